"""One entry to every depth data set: `open_dataset("kitti:/data/kitti")` -> a sequence of Samples.

Each data set carries its evaluation protocol (depth range, crop), because published numbers are only
comparable under the protocol they were measured with: the evaluation reads it from the data set
instead of asking the caller to remember that NYU stops at 10 m and KITTI is Garg-cropped.

Specs (options may also be given as a query string, `kind:path?key=value&key=value`; keyword
options win over the query string):
    synthetic:train|val|test    the procedural world (data/synthetic)
    kitti:<root>                KITTI raw + official ground truth, Eigen split (readers/kitti.py)
    nyu:<file.mat>|<folder>     NYU Depth v2 labelled set (readers/nyu.py)
    folder:<dir>                rgb/, depth/, camera.yaml (readers/folder.py)
    rosbag:<bag>                rosbag2 folder, .mcap or .db3 (readers/rosbag.py)
    middlebury:<dir>|skimage    Middlebury 2014 stereo scenes; `skimage`: the real scene that ships
                                with scikit-image (readers/middlebury.py)
"""
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple
from urllib.parse import parse_qsl

import numpy as np

from .sample import Sample

Crop = Callable[[int, int], Tuple[int, int, int, int]]


def garg_crop(h: int, w: int) -> Tuple[int, int, int, int]:
    """KITTI Garg et al. crop: rows 0.4081-0.9919 H, cols 0.0359-0.9640 W (top, bottom, left, right)."""
    return int(0.40810811 * h), int(0.99189189 * h), int(0.03594771 * w), int(0.96405229 * w)


def window_mask(crop: Crop, shape) -> np.ndarray:
    """The pixels inside a crop's window, as a boolean image."""
    top, bottom, left, right = crop(*shape[:2])
    window = np.zeros(shape[:2], bool)
    window[top:bottom, left:right] = True
    return window


def eigen_nyu_crop(h: int, w: int) -> Tuple[int, int, int, int]:
    """NYU Eigen crop rows 45:471, cols 41:601 of 480x640 (it drops the white Kinect border),
    scaled proportionally for other sizes."""
    return round(45 * h / 480), round(471 * h / 480), round(41 * w / 640), round(601 * w / 640)


@dataclass(frozen=True)
class EvalProtocol:
    name: str
    min_depth: float = 1e-3        # metres; gt outside [min, max] is ignored, predictions are clipped to it
    max_depth: float = 80.0
    crop: Optional[Crop] = None    # (h, w) -> (top, bottom, left, right) of the evaluated window

    def mask(self, gt: np.ndarray) -> np.ndarray:
        """Pixels that count: finite gt inside the range and inside the crop."""
        with np.errstate(invalid="ignore"):
            keep = np.isfinite(gt) & (gt >= self.min_depth) & (gt <= self.max_depth)
        if self.crop is not None:
            keep &= window_mask(self.crop, gt.shape[:2])
        return keep

    def describe(self) -> Dict:
        """JSON-friendly form for reports (the crop by its function's name)."""
        return {"name": self.name, "min_depth": self.min_depth, "max_depth": self.max_depth,
                "crop": getattr(self.crop, "__name__", None)}


SYNTHETIC = EvalProtocol("synthetic", 1e-3, 80.0)
KITTI = EvalProtocol("kitti_eigen", 1e-3, 80.0, garg_crop)
NYU = EvalProtocol("nyu_eigen", 1e-3, 10.0, eigen_nyu_crop)


class DepthDataset(Sequence):
    """A sequence of Samples with an evaluation protocol; readers implement `_load(index)`."""

    protocol: EvalProtocol  # every reader sets one: there is no protocol-free evaluation

    def __len__(self) -> int:
        raise NotImplementedError

    def _load(self, index: int) -> Sample:
        raise NotImplementedError

    def __getitem__(self, index) -> Sample:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        n = len(self)
        i = int(index) + n if int(index) < 0 else int(index)
        if not 0 <= i < n:
            raise IndexError(f"index {index} out of range for a data set of {n} frames")
        return self._load(i)


class _Wrapped(DepthDataset):
    """Gives a foreign sequence of Samples (the synthetic world) a protocol, forwarding the rest."""

    def __init__(self, inner, protocol: EvalProtocol):
        self.inner = inner
        self.protocol = protocol

    def __len__(self):
        return len(self.inner)

    def _load(self, index):
        return self.inner[index]

    def __getattr__(self, name):  # only called for attributes the wrapper lacks
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)


def parse_spec(spec: str) -> Tuple[str, str, Dict[str, str]]:
    """Split "kind:target?k=v&k=v" into (kind, target, {k: typed v})."""
    kind, sep, rest = str(spec).partition(":")
    if not sep or not rest:
        raise ValueError(f"dataset spec {spec!r} must look like KIND:TARGET, KIND one of {sorted(READERS)}")
    target, _, query = rest.partition("?")
    return kind.strip().lower(), target, {k: _typed(v) for k, v in parse_qsl(query, keep_blank_values=True)}


def _typed(value: str):
    """Query-string text -> bool / int / float where it reads as one, else the text (topics, paths)."""
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def _open_synthetic(split: str, **options) -> DepthDataset:
    if split not in ("train", "val", "test"):
        raise ValueError(f"synthetic split must be train, val or test, not {split!r}")
    try:
        module = importlib.import_module("depth_restore_ros.data.synthetic")
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("depth_restore_ros.data.synthetic"):
            raise ValueError("synthetic data sets need depth_restore_ros.data.synthetic, "
                             "which is missing") from err
        raise
    inner = module.SyntheticDataset(split, **options)
    # The synthetic module may declare its own protocol (e.g. a tighter depth range).
    protocol = getattr(inner, "protocol", None) or getattr(module, "PROTOCOL", None)
    if not isinstance(protocol, EvalProtocol):
        protocol = SYNTHETIC if protocol is None else EvalProtocol(
            getattr(protocol, "name", "synthetic"), float(protocol.min_depth), float(protocol.max_depth),
            getattr(protocol, "crop", None))
    return _Wrapped(inner, protocol)


def _reader(module: str, factory: str) -> Callable[..., DepthDataset]:
    def open_with(target, **options):
        return getattr(importlib.import_module(f"depth_restore_ros.data.readers.{module}"), factory)(
            target, **options)
    return open_with


# kind -> opener(target, **options). Readers are imported only when their kind is asked for, so
# `import depth_restore_ros.data.datasets` needs neither h5py nor rosbags.
READERS: Dict[str, Callable[..., DepthDataset]] = {
    "synthetic": _open_synthetic,
    "kitti": _reader("kitti", "KittiDataset"),
    "nyu": _reader("nyu", "open_nyu"),
    "folder": _reader("folder", "FolderDataset"),
    "rosbag": _reader("rosbag", "RosbagDataset"),
    "middlebury": _reader("middlebury", "MiddleburyDataset"),
}


def open_dataset(spec: str, **options) -> DepthDataset:
    """Open the data set named by `spec` (see the module docstring); options go to its reader."""
    kind, target, query = parse_spec(spec)
    if kind not in READERS:
        raise ValueError(f"unknown dataset kind {kind!r} in {spec!r}; known: {sorted(READERS)}")
    return READERS[kind](target, **{**query, **options})
