"""A plain folder data set: the easiest way to evaluate on your own recordings.

    <dir>/camera.yaml     fx, fy, cx, cy (pixels of the rgb images); optional baseline (metres, for
                          right/), depth_scale (metres per unit of integer depth, default 0.001),
                          min_depth, max_depth (evaluation range, default 1e-3 .. 80 m)
    <dir>/rgb/<stem>.png|jpg
    <dir>/depth/<stem>.png (uint16, x depth_scale, 0 = unknown) | .npy | .tif(f) (float metres)
    <dir>/right/<stem>.png|jpg   optional rectified right views
Frames are the rgb files that have a depth file of the same stem, in name order. Intrinsics are
required: metric depth from a guessed focal length would be silently wrong.
"""
from pathlib import Path
from typing import Optional

import yaml

from ..datasets import DepthDataset, EvalProtocol
from ..sample import Sample
from . import DEPTH_SUFFIXES, RGB_SUFFIXES, find_with_suffix, read_depth, read_rgb


class FolderDataset(DepthDataset):
    """Options min_depth, max_depth, depth_scale override camera.yaml."""

    def __init__(self, root, min_depth: Optional[float] = None, max_depth: Optional[float] = None,
                 depth_scale: Optional[float] = None):
        self.root = Path(root).expanduser()
        cam_path = self.root / "camera.yaml"
        if not cam_path.is_file():
            raise FileNotFoundError(f"{cam_path} is missing: it must give fx, fy, cx, cy (pixels)")
        meta = yaml.safe_load(cam_path.read_text()) or {}
        missing = [k for k in ("fx", "fy", "cx", "cy") if k not in meta]
        if missing:
            raise ValueError(f"{cam_path} lacks {missing}; it needs fx, fy, cx, cy (pixels)")
        self.camera = tuple(float(meta[k]) for k in ("fx", "fy", "cx", "cy"))
        self.baseline = float(meta["baseline"]) if meta.get("baseline") is not None else None
        self.depth_scale = float(depth_scale if depth_scale is not None else meta.get("depth_scale", 1e-3))
        self.protocol = EvalProtocol(
            "folder", float(min_depth if min_depth is not None else meta.get("min_depth", 1e-3)),
            float(max_depth if max_depth is not None else meta.get("max_depth", 80.0)))
        rgb_dir, depth_dir, right_dir = self.root / "rgb", self.root / "depth", self.root / "right"
        if not rgb_dir.is_dir() or not depth_dir.is_dir():
            raise FileNotFoundError(f"{self.root} needs rgb/ and depth/ sub-folders")
        if right_dir.is_dir() and self.baseline is None:
            raise ValueError(f"{self.root} has right/ views but camera.yaml gives no baseline (metres)")
        self.frames = []
        for rgb in sorted(p for p in rgb_dir.iterdir() if p.suffix.lower() in RGB_SUFFIXES):
            depth = find_with_suffix(depth_dir, rgb.stem, DEPTH_SUFFIXES)
            if depth is not None:
                right = find_with_suffix(right_dir, rgb.stem, RGB_SUFFIXES) if right_dir.is_dir() else None
                self.frames.append((rgb, depth, right))
        if not self.frames:
            raise FileNotFoundError(f"{self.root}: no rgb/<stem> with a matching depth/<stem> file")

    def __len__(self) -> int:
        return len(self.frames)

    def _load(self, index: int) -> Sample:
        rgb_path, depth_path, right_path = self.frames[index]
        rgb, depth = read_rgb(rgb_path), read_depth(depth_path, self.depth_scale)
        if depth.shape != rgb.shape[:2]:
            raise ValueError(f"{depth_path}: depth {depth.shape} does not match image {rgb.shape[:2]}")
        right = read_rgb(right_path) if right_path is not None else None
        return Sample(rgb=rgb, depth=depth, camera=self.camera, right_rgb=right,
                      baseline_m=self.baseline if right is not None else None, name=rgb_path.stem)
