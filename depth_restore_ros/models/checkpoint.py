"""Checkpoint loading as its own layer: one key remapping, strict by default, loud about what differs."""
import logging
from pathlib import Path
from typing import Dict, List

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


def load_matching_weights(model: torch.nn.Module, path: Path) -> List[str]:
    """Copy the tensors of `path` whose name and shape match `model`'s (fine-tuning a related network,
    e.g. the stereo model from the monocular one); returns the names left as initialised."""
    blob = read_checkpoint(path)
    state = clean_state_dict(blob.get("model", blob))
    own = model.state_dict()
    matching = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not matching:
        raise RuntimeError(f"no tensor of {path} fits {type(model).__name__} (by name and shape): it is a "
                           "checkpoint of another architecture; check the recipe's init_from")
    model.load_state_dict(matching, strict=False)
    fresh = sorted(set(own) - set(matching))
    LOG.info("initialised %d of %d tensors from %s; %d start fresh", len(matching), len(own), path, len(fresh))
    return fresh
