"""KITTI raw images with the official (depth completion / prediction benchmark) ground truth.

Layout read (the two downloads unpacked into one root, or the ground truth under `depth_root`):
    <root>/<date>/calib_cam_to_cam.txt
    <root>/<date>/<drive>_sync/image_02/data/<frame>.png        (image_03 for the right camera)
    <gt>/<date>/<drive>_sync/proj_depth/groundtruth/image_02/<frame>.png, or <gt>/[train|val/]<drive>_sync/...
Ground truth PNGs are uint16 depth x 256 (0 = no lidar return). We use this ground truth, not raw
Velodyne projection: it accumulates 11 scans and drops outliers, and is what recent papers report on.

The split file lists frames as `2011_09_26/2011_09_26_drive_0002_sync 0000000069 l` (the Eigen test
split in the monodepth2 format); lines that name an image path (`.../image_02/data/0000000069.png ...`,
the BTS format) are read too. Listed frames without ground truth are skipped and counted in `skipped`
(the Eigen split has 697 frames, 652 with official ground truth).
"""
import logging
import re
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional

import numpy as np

from ..datasets import KITTI, DepthDataset
from ..sample import Sample
from . import flag, read_depth, read_rgb

LOG = logging.getLogger(__name__)
DEFAULT_SPLIT_FILES = ("eigen_test_files.txt", "eigen_test_files_with_gt.txt", "splits/eigen/test_files.txt")
_DRIVE = re.compile(r"(\d{4}_\d\d_\d\d)/(\d{4}_\d\d_\d\d_drive_\d+_sync)(?:/image_0([23])/data/(\d+)\.\w+)?")


class Frame(NamedTuple):
    date: str
    drive: str   # e.g. 2011_09_26_drive_0002_sync
    frame: str   # ten digits
    cam: int     # 2 = left colour camera, 3 = right
    gt: Path


def parse_split_line(line: str):
    """One split line -> (date, drive, frame, cam), or None for blank / comment lines."""
    tokens = line.split()
    if not tokens or tokens[0].startswith("#"):
        return None
    match = _DRIVE.match(tokens[0])
    if not match:
        raise ValueError(f"KITTI split line {line.strip()!r} does not start with <date>/<drive>_sync")
    date, drive, cam, frame = match.groups()
    if frame is None:  # monodepth2 format: drive frame side
        if len(tokens) < 2:
            raise ValueError(f"KITTI split line {line.strip()!r} has no frame number")
        frame = tokens[1]
        cam = "3" if len(tokens) > 2 and tokens[2] == "r" else "2"
    return date, drive, f"{int(frame):010d}", int(cam)


def read_calib(path: Path) -> Dict[str, np.ndarray]:
    """calib_cam_to_cam.txt -> {key: numbers}; keys such as P_rect_02 (3x4 row-major)."""
    values = {}
    for line in Path(path).read_text().splitlines():
        key, sep, rest = line.partition(":")
        if not sep:
            continue
        try:
            values[key.strip()] = np.array([float(v) for v in rest.split()])
        except ValueError:  # calib_time: a date, not numbers
            continue
    return values


class KittiDataset(DepthDataset):
    """The Eigen split (or any split file) of KITTI with the Garg crop protocol.

    Options: split (split file; default: one of DEFAULT_SPLIT_FILES under root, else every frame
    that has ground truth), depth_root (where proj_depth lives; default root), stereo (give the
    right view and the baseline for left-camera frames).
    """

    protocol = KITTI

    def __init__(self, root, split: Optional[str] = None, depth_root: Optional[str] = None, stereo=False):
        self.root = Path(root).expanduser()
        if not self.root.is_dir():
            raise FileNotFoundError(f"KITTI root {self.root} is not a folder")
        self.depth_root = Path(depth_root).expanduser() if depth_root else self.root
        self.stereo = flag(stereo)
        self._calib: Dict[str, Dict[str, np.ndarray]] = {}
        if split is None:
            split = next((self.root / s for s in DEFAULT_SPLIT_FILES if (self.root / s).is_file()), None)
        if split is not None:
            listed = [f for f in map(parse_split_line, Path(split).expanduser().read_text().splitlines()) if f]
            self.split_name = Path(split).name
        else:
            LOG.warning("no KITTI split file under %s: using every frame with ground truth", self.root)
            listed = self._all_frames()
            self.split_name = "all frames with ground truth"
        self.frames: List[Frame] = []
        for date, drive, frame, cam in listed:
            gt = self._find_gt(date, drive, frame, cam)
            if gt is not None:
                self.frames.append(Frame(date, drive, frame, cam, gt))
        self.skipped = len(listed) - len(self.frames)
        if self.skipped:
            LOG.info("KITTI: %d of %d listed frames have no ground truth and are skipped",
                     self.skipped, len(listed))

    def _all_frames(self):
        return [(p.parents[3].name, p.parents[2].name, p.stem, 2)
                for p in sorted(self.root.glob("*/*_sync/image_02/data/*.png"))]

    def _find_gt(self, date, drive, frame, cam) -> Optional[Path]:
        tail = Path(drive, "proj_depth", "groundtruth", f"image_0{cam}", frame + ".png")
        roots = (self.depth_root / date, self.depth_root, self.depth_root / "train", self.depth_root / "val")
        for base in roots:
            if (base / tail).is_file():
                return base / tail
        return None

    def calib(self, date: str) -> Dict[str, np.ndarray]:
        if date not in self._calib:
            path = self.root / date / "calib_cam_to_cam.txt"
            if not path.is_file():
                raise FileNotFoundError(f"{path} is missing: KITTI intrinsics come from it")
            self._calib[date] = read_calib(path)
        return self._calib[date]

    def __len__(self) -> int:
        return len(self.frames)

    def _image(self, f: Frame, cam: int) -> Path:
        return self.root / f.date / f.drive / f"image_0{cam}" / "data" / (f.frame + ".png")

    def _load(self, index: int) -> Sample:
        f = self.frames[index]
        calib = self.calib(f.date)
        p = calib[f"P_rect_0{f.cam}"].reshape(3, 4)
        rgb = read_rgb(self._image(f, f.cam))
        depth = read_depth(f.gt, scale=1.0 / 256.0)
        if depth.shape != rgb.shape[:2]:
            raise ValueError(f"{f.gt}: ground truth {depth.shape} does not match image {rgb.shape[:2]}")
        right, baseline = None, None
        if self.stereo and f.cam == 2:
            right = read_rgb(self._image(f, 3))
            # P_rect_0k[0, 3] = -fx * x_k, x_k the camera's position along the rectified x axis.
            p3 = calib["P_rect_03"].reshape(3, 4)
            baseline = float(p[0, 3] / p[0, 0] - p3[0, 3] / p3[0, 0])
        camera = (float(p[0, 0]), float(p[1, 1]), float(p[0, 2]), float(p[1, 2]))
        name = f"{f.date}/{f.drive} {f.frame} {'l' if f.cam == 2 else 'r'}"  # the split file's own words
        return Sample(rgb=rgb, depth=depth, camera=camera, right_rgb=right, baseline_m=baseline, name=name)
