"""Readers of real depth data sets, one module per format; `data.datasets.open_dataset` picks one.

The file-level conventions every reader shares live here, so that a 16-bit PNG means the same thing
everywhere: integer depth is a count of `scale` metres with 0 = no measurement; float depth is
metres with non-finite or <= 0 = no measurement. Unknown depth is NaN in a Sample.
"""
from pathlib import Path

import numpy as np

RGB_SUFFIXES = (".png", ".jpg", ".jpeg")
DEPTH_SUFFIXES = (".png", ".npy", ".tif", ".tiff")


def read_rgb(path) -> np.ndarray:
    """Image file -> HxWx3 uint8 RGB (grey images are replicated)."""
    import cv2
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"{path}: missing or not a readable image")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def depth_from_array(raw: np.ndarray, scale: float = 1e-3) -> np.ndarray:
    """Stored depth -> HxW float32 metres, NaN where unknown. Integers are multiplied by `scale`."""
    raw = np.asarray(raw)
    if raw.ndim == 3 and raw.shape[2] == 1:
        raw = raw[:, :, 0]
    if raw.ndim != 2:
        raise ValueError(f"depth must be a single-channel image, got shape {raw.shape}")
    if np.issubdtype(raw.dtype, np.integer):
        if raw.dtype.itemsize < 2:
            raise ValueError("8-bit depth cannot hold metric depth; store uint16 (mm) or float metres")
        depth = raw.astype(np.float32) * np.float32(scale)
    else:
        depth = raw.astype(np.float32)
    with np.errstate(invalid="ignore"):
        depth[~(np.isfinite(depth) & (depth > 0))] = np.nan
    return depth


def read_depth(path, scale: float = 1e-3) -> np.ndarray:
    """Depth file -> HxW float32 metres: .png uint16 x `scale`; .npy / .tif(f) float metres."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        raw = np.load(path)
    else:
        import cv2
        raw = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if raw is None:
            raise FileNotFoundError(f"{path}: missing or not a readable depth image")
    return depth_from_array(raw, scale)


def find_with_suffix(folder: Path, stem: str, suffixes) -> Path:
    """folder/stem + the first suffix that exists, or None."""
    for suffix in suffixes:
        for candidate in (folder / (stem + suffix), folder / (stem + suffix.upper())):
            if candidate.is_file():
                return candidate
    return None


def flag(value) -> bool:
    """An option that may come from a query string ("1", "true") or from Python (True)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
