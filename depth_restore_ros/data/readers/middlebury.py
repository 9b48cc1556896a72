"""Middlebury 2014 stereo scenes: real photographs with metric ground truth (structured light).

    middlebury:<dir>        a folder of scene folders, or one scene folder, each holding the
                            benchmark's files: im0.png (left), im1.png (right), disp0.pfm
                            (left disparity, inf = unknown) and calib.txt (cam0, doffs, baseline)
    middlebury:skimage      the Motorcycle scene that ships inside scikit-image (4x down-sampled,
                            calibration from its docstring): real ground truth on every machine

Depth from disparity: Z = baseline * f / (d + doffs), with the baseline given in millimetres and
doffs the x-difference of the two principal points (non-zero in this benchmark).
"""
from pathlib import Path

import numpy as np

from ..datasets import DepthDataset, EvalProtocol
from ..sample import Sample
from . import read_rgb

PROTOCOL = EvalProtocol("middlebury", 1e-3, 80.0)
# scikit-image's copy of Motorcycle-perfect (skimage.data.stereo_motorcycle docstring)
SKIMAGE_MOTORCYCLE = dict(f=994.978, cx=311.193, cy=254.877, doffs=31.086, baseline_mm=193.001)


def read_pfm(path) -> np.ndarray:
    """Portable float map -> HxW float32 (single channel, rows stored bottom-up, scale<0: little-endian)."""
    with open(path, "rb") as f:
        kind = f.readline().strip()
        if kind != b"Pf":
            raise ValueError(f"{path}: not a single-channel PFM (header {kind!r}, expected b'Pf')")
        width, height = (int(v) for v in f.readline().split())
        scale = float(f.readline())
        data = np.frombuffer(f.read(4 * width * height), "<f4" if scale < 0 else ">f4")
    if data.size != width * height:
        raise ValueError(f"{path}: truncated PFM ({data.size} of {width * height} values)")
    return np.flipud(data.reshape(height, width)).astype(np.float32)


def write_pfm(path, values: np.ndarray) -> None:
    """HxW float32 -> little-endian PFM (how the benchmark stores disparities)."""
    values = np.asarray(values, np.float32)
    with open(path, "wb") as f:
        f.write(b"Pf\n%d %d\n-1\n" % (values.shape[1], values.shape[0]))
        f.write(np.flipud(values).astype("<f4").tobytes())


def read_calib(path) -> dict:
    """calib.txt -> {f, cx, cy, doffs, baseline_mm} (cam0 = [f 0 cx; 0 f cy; 0 0 1])."""
    fields = {}
    for line in Path(path).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    try:
        cam0 = [float(v) for v in fields["cam0"].strip("[]").replace(";", " ").split()]
        return dict(f=cam0[0], cx=cam0[2], cy=cam0[5], doffs=float(fields["doffs"]),
                    baseline_mm=float(fields["baseline"]))
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(f"{path}: calib.txt needs cam0=[f 0 cx; 0 f cy; 0 0 1], doffs and baseline "
                         f"({err})") from err


def depth_from_disparity(disp: np.ndarray, calib: dict) -> np.ndarray:
    """Metres; NaN where the disparity is unknown (inf, NaN or <= -doffs)."""
    disp = np.asarray(disp, np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        depth = np.float32(calib["baseline_mm"] * 1e-3 * calib["f"]) / (disp + np.float32(calib["doffs"]))
        depth[~(np.isfinite(depth) & (depth > 0))] = np.nan
    return depth


def _sample(rgb, right, disp, calib, name) -> Sample:
    camera = (calib["f"], calib["f"], calib["cx"], calib["cy"])
    return Sample(rgb, depth_from_disparity(disp, calib), camera, right, calib["baseline_mm"] * 1e-3, name)


class MiddleburyDataset(DepthDataset):
    """Scenes in name order. The right view's principal point differs by doffs, so for our rectified
    stereo path (same intrinsics both sides) the right image is shifted by doffs columns on load."""

    protocol = PROTOCOL

    def __init__(self, root):
        self.scenes = None
        if str(root) != "skimage":
            root = Path(root).expanduser()
            candidates = [root] if (root / "calib.txt").is_file() else sorted(root.glob("*"))
            self.scenes = [d for d in candidates if (d / "calib.txt").is_file() and (d / "disp0.pfm").is_file()]
            if not self.scenes:
                raise FileNotFoundError(f"{root}: no Middlebury scene (a folder with im0.png, im1.png, "
                                        "disp0.pfm and calib.txt)")

    def __len__(self) -> int:
        return 1 if self.scenes is None else len(self.scenes)

    def _load(self, index: int) -> Sample:
        if self.scenes is None:
            from skimage.data import stereo_motorcycle
            left, right, disp = stereo_motorcycle()
            calib = SKIMAGE_MOTORCYCLE
            name = "middlebury-motorcycle-skimage"
        else:
            scene = self.scenes[index]
            calib = read_calib(scene / "calib.txt")
            left, right = read_rgb(scene / "im0.png"), read_rgb(scene / "im1.png")
            disp, name = read_pfm(scene / "disp0.pfm"), f"middlebury-{scene.name}"
        return _sample(left, _shift_right(right, calib["doffs"]), disp, calib, name)


def _shift_right(right: np.ndarray, doffs: float) -> np.ndarray:
    """Move the right image doffs pixels to the left, so both views share the left principal point;
    then the disparity between the two is the usual fx * B / Z."""
    import cv2
    m = np.float32([[1, 0, -doffs], [0, 1, 0]])
    return cv2.warpAffine(right, m, (right.shape[1], right.shape[0]), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
