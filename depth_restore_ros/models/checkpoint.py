"""Checkpoint loading as its own layer: one key remapping, strict by default, loud about what differs."""
import logging
from pathlib import Path
from typing import Dict

import torch

LOG = logging.getLogger(__name__)
WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def clean_state_dict(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Strip the prefixes DataParallel and torch.compile add, so any of our checkpoints loads."""
    cleaned = {}
    for key, value in state.items():
        for prefix in WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key = key[len(prefix):]
        cleaned[key] = value
    return cleaned


def read_checkpoint(path: Path) -> Dict:
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise RuntimeError(f"cannot read checkpoint {path}: {err}. The file is corrupt or not a "
                           "PyTorch checkpoint; retrain or copy it again") from err
    if not isinstance(blob, dict):
        raise RuntimeError(f"checkpoint {path} holds a {type(blob).__name__}, not a state dict")
    return blob


def load_weights(model: torch.nn.Module, path: Path, strict: bool = True) -> None:
    """Load `model` (a state dict, or a training checkpoint with a "model" entry) into `model`."""
    blob = read_checkpoint(path)
    state = clean_state_dict(blob.get("model", blob))
    missing, unexpected = model.load_state_dict(state, strict=False)
    if strict and (missing or unexpected):
        raise RuntimeError(f"checkpoint {path} does not fit {type(model).__name__}: missing "
                           f"{missing[:5]}{'...' if len(missing) > 5 else ''}, unexpected "
                           f"{unexpected[:5]}{'...' if len(unexpected) > 5 else ''}")
    if missing or unexpected:
        LOG.warning("loaded %s non-strictly: missing %d keys, unexpected %d keys", path, len(missing),
                    len(unexpected))
