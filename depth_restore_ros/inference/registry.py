"""Where models live: shipped names map to folders inside the installed package.

A model folder holds `config.json` (ModelConfig), `model.onnx` and/or `model.pt`, and `card.json`.
"""
from pathlib import Path
from typing import List

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
DEFAULT_MODEL = "mono-small"
DEFAULT_STEREO_MODEL = "stereo-restore-hr"   # the stereo node's: uses the right view (AV-LFE)


def shipped_models() -> List[str]:
    if not WEIGHTS_DIR.is_dir():
        return []
    return sorted(p.name for p in WEIGHTS_DIR.iterdir() if (p / "config.json").is_file())


def resolve_model_dir(name_or_path: str) -> Path:
    """A shipped model's name, or a path to a model folder (or to a file inside one)."""
    path = Path(name_or_path).expanduser()
    if path.is_file():
        path = path.parent
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} has no config.json: not a model folder "
                                    "(export one with `depth-restore export`)")
        return path
    shipped = WEIGHTS_DIR / name_or_path
    if (shipped / "config.json").is_file():
        return shipped
    raise FileNotFoundError(f"no model named {name_or_path!r}: shipped models are "
                            f"{shipped_models() or 'none'}; or give a path to a model folder")
