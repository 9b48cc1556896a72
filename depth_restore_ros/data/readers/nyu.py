"""NYU Depth v2, labelled set: the 1449-frame `nyu_depth_v2_labeled.mat` or PNGs extracted from it.

The .mat file is MATLAB v7.3, i.e. HDF5, and MATLAB stores arrays column-major, so h5py sees every
array with its axes reversed: `images` is (N, 3, W, H) uint8 and `depths` is (N, W, H) float32 metres.
We transpose back to HxWx3 / HxW. The depths are the in-painted ("filled") maps.

The Eigen test split is the 654 frames `testNdxs` (1-based) of the companion `splits.mat`; without it
every frame is evaluated, which is NOT the split published numbers use (a warning says so).
All frames share the Kinect colour camera's standard intrinsics (480x640).
"""
import logging
import os
import re
from pathlib import Path
from typing import Optional

import numpy as np

from ..datasets import NYU, DepthDataset
from ..sample import Sample
from . import read_depth, read_rgb

LOG = logging.getLogger(__name__)
NYU_CAMERA = (518.8579, 519.4696, 325.5824, 253.7362)  # fx, fy, cx, cy of the 640x480 colour images


def open_nyu(target, **options) -> DepthDataset:
    path = Path(target).expanduser()
    if path.is_dir():
        return NyuFolderDataset(path, **options)
    if path.suffix.lower() == ".mat":
        return NyuMatDataset(path, **options)
    raise FileNotFoundError(f"nyu:{target} is neither a .mat file nor a folder of rgb_*/depth_* PNGs")


def read_split_indices(splits_path: Path, split: str) -> np.ndarray:
    """0-based frame indices of `split` (train|test) from splits.mat (trainNdxs / testNdxs, 1-based)."""
    key = {"train": "trainNdxs", "test": "testNdxs"}[split]
    try:
        from scipy.io import loadmat
        table = loadmat(str(splits_path))
        return np.asarray(table[key]).ravel().astype(np.int64) - 1
    except NotImplementedError:  # a v7.3 splits file is HDF5 too
        import h5py
        with h5py.File(splits_path, "r") as f:
            return np.asarray(f[key]).ravel().astype(np.int64) - 1


class NyuMatDataset(DepthDataset):
    """Options: split = test | train | all (default: test when splits.mat is found, else all);
    splits = path of splits.mat (default: beside the .mat file)."""

    protocol = NYU

    def __init__(self, path, split: Optional[str] = None, splits: Optional[str] = None):
        import h5py
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise FileNotFoundError(f"NYU file {self.path} does not exist")
        with h5py.File(self.path, "r") as f:
            for key in ("images", "depths"):
                if key not in f:
                    raise ValueError(f"{self.path} has no '{key}' dataset: not the labelled NYU v2 .mat")
            count, shape = f["images"].shape[0], f["images"].shape
            if len(shape) != 4 or shape[1] != 3 or f["depths"].shape != (count, shape[2], shape[3]):
                raise ValueError(f"{self.path}: images {shape} / depths {f['depths'].shape} are not "
                                 "(N, 3, W, H) / (N, W, H) as MATLAB v7.3 stores them")
        splits_path = Path(splits).expanduser() if splits else self.path.with_name("splits.mat")
        if split is None:
            split = "test" if splits_path.is_file() else "all"
            if split == "all":
                LOG.warning("%s not found: evaluating all %d NYU frames, not the 654-frame Eigen test split",
                            splits_path, count)
        if split == "all":
            self.indices = np.arange(count)
        elif split in ("train", "test"):
            if not splits_path.is_file():
                raise FileNotFoundError(f"split {split!r} needs {splits_path} (trainNdxs / testNdxs)")
            self.indices = read_split_indices(splits_path, split)
            if self.indices.size and (self.indices.min() < 0 or self.indices.max() >= count):
                raise ValueError(f"{splits_path} lists frames outside 1..{count}")
        else:
            raise ValueError(f"NYU split must be test, train or all, not {split!r}")
        self.split = split
        self._file, self._pid = None, None

    def _h5(self):
        # h5py handles do not survive fork(): reopen in each process (e.g. DataLoader workers).
        if self._file is None or self._pid != os.getpid():
            import h5py
            self._file, self._pid = h5py.File(self.path, "r"), os.getpid()
        return self._file

    def __len__(self) -> int:
        return len(self.indices)

    def _load(self, index: int) -> Sample:
        i = int(self.indices[index])
        f = self._h5()
        rgb = np.ascontiguousarray(np.asarray(f["images"][i], dtype=np.uint8).transpose(2, 1, 0))
        depth = np.ascontiguousarray(np.asarray(f["depths"][i], dtype=np.float32).T)
        with np.errstate(invalid="ignore"):
            depth[~(np.isfinite(depth) & (depth > 0))] = np.nan
        return Sample(rgb=rgb, depth=depth, camera=NYU_CAMERA, name=f"nyu_{i + 1:04d}")


class NyuFolderDataset(DepthDataset):
    """rgb_XXXXX.png + depth_XXXXX.png (uint16 millimetres, 0 = unknown), every pair in the folder."""

    protocol = NYU

    def __init__(self, folder):
        self.folder = Path(folder).expanduser()
        pairs = []
        for rgb in self.folder.glob("rgb_*"):
            match = re.fullmatch(r"rgb_(\d+)\.(png|jpg|jpeg)", rgb.name, re.IGNORECASE)
            depth = self.folder / f"depth_{match.group(1)}.png" if match else None
            if depth is not None and depth.is_file():
                pairs.append((int(match.group(1)), rgb, depth))
        if not pairs:
            raise FileNotFoundError(f"{self.folder} has no rgb_XXXXX.png / depth_XXXXX.png pairs")
        self.pairs = [p[1:] for p in sorted(pairs)]

    def __len__(self) -> int:
        return len(self.pairs)

    def _load(self, index: int) -> Sample:
        rgb_path, depth_path = self.pairs[index]
        rgb, depth = read_rgb(rgb_path), read_depth(depth_path, scale=1e-3)
        if depth.shape != rgb.shape[:2]:
            raise ValueError(f"{depth_path}: depth {depth.shape} does not match image {rgb.shape[:2]}")
        sy, sx = rgb.shape[0] / 480.0, rgb.shape[1] / 640.0  # the intrinsics belong to 640x480
        fx, fy, cx, cy = NYU_CAMERA
        camera = (fx * sx, fy * sy, (cx + 0.5) * sx - 0.5, (cy + 0.5) * sy - 0.5)
        return Sample(rgb=rgb, depth=depth, camera=camera, name=rgb_path.stem)
