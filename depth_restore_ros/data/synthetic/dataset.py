"""SyntheticDataset: train / val / test splits of the synthetic world, deterministic by (split, index).

Seeds are what make a split: frame i of a split is `render_scene(seed)`, so splits are disjoint by
construction of their seed ranges:
    train  seed = i,              0 <= i < 8,000,000  (default length 1,000,000: effectively unbounded;
                                  the trainer asks for the number of distinct frames it wants)
    val    seed = 8,000,000 + i,  0 <= i < 1,000,000  (default length 100)
    test   the FIXED list in data/synthetic_test_seeds.txt: 200 seeds from [9,000,000, 10,000,000),
           committed to the repository and never used for training (default length 200)
An optional cache writes one compressed npz per frame (keyed by renderer version, size, stereo and
seed), so a training run renders its frames once and later epochs and runs just read them.
"""
import os
import tempfile
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from ..datasets import EvalProtocol
from ..sample import Sample
from .augment import augment_photometric
from .render import MAX_DEPTH, render_scene

# Evaluation protocol of synthetic data: all ground truth in (1 mm, 80 m] counts; no crop (the
# renderer's depth is exact everywhere, and beyond MAX_DEPTH it is NaN anyway).
PROTOCOL = EvalProtocol("synthetic", 1e-3, MAX_DEPTH)
RENDER_VERSION = 1          # bump when renders change, so stale caches are not reused
TRAIN_SEEDS = (0, 8_000_000)
VAL_SEEDS = (8_000_000, 9_000_000)
TEST_SEED_RANGE = (9_000_000, 10_000_000)
TEST_SEEDS_FILE = Path(__file__).resolve().parent.parent / "synthetic_test_seeds.txt"
DEFAULT_LENGTH = {"train": 1_000_000, "val": 100, "test": 200}


def test_seeds():
    """The committed test seeds (comment lines start with #)."""
    lines = TEST_SEEDS_FILE.read_text().splitlines()
    return [int(s) for s in (ln.split("#")[0].strip() for ln in lines) if s]


def split_seeds(split: str, length: Optional[int] = None):
    """The seeds of the first `length` frames of a split."""
    n = DEFAULT_LENGTH[split] if length is None else int(length)
    if split == "test":
        seeds = test_seeds()
        if n > len(seeds):
            raise ValueError(f"the synthetic test split has {len(seeds)} frames, not {n}")
        return seeds[:n]
    lo, hi = TRAIN_SEEDS if split == "train" else VAL_SEEDS
    if n > hi - lo:
        raise ValueError(f"the synthetic {split} split has at most {hi - lo} frames, not {n}")
    return range(lo, lo + n)


class SyntheticDataset:
    """A sequence of Samples (see module docstring); `augment` defaults to True for train only."""

    protocol = PROTOCOL
    # NaN depth here means sky or farther than MAX_DEPTH, never "not measured": training may
    # teach the network that such pixels are far (so it publishes them as NaN) instead of ignoring them
    nan_means_beyond = MAX_DEPTH

    def __init__(self, split: str, size: Tuple[int, int] = (256, 320), length: Optional[int] = None,
                 stereo: bool = False, augment: Optional[bool] = None, cache_dir: Optional[str] = None):
        if split not in DEFAULT_LENGTH:
            raise ValueError(f"split must be one of {sorted(DEFAULT_LENGTH)}, not {split!r}")
        self.split, self.stereo = split, bool(stereo)
        self.height, self.width = (int(size[0]), int(size[1]))
        if self.height < 8 or self.width < 8:
            raise ValueError(f"size {size} is too small; give (height, width) in pixels")
        self.seeds = split_seeds(split, length)
        self.augment = (split == "train") if augment is None else bool(augment)
        self.cache = None
        if cache_dir:
            tag = f"v{RENDER_VERSION}-{self.height}x{self.width}{'-stereo' if self.stereo else ''}"
            self.cache = Path(cache_dir).expanduser() / tag

    def __len__(self):
        return len(self.seeds)

    def seed(self, index: int) -> int:
        return int(self.seeds[index])

    def __getitem__(self, index) -> Sample:
        i = int(index)
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} {self.split} frames")
        i %= len(self)
        sample = self._render(self.seed(i))
        if self.augment:
            rng = np.random.default_rng([self.seed(i), 1])
            sample.rgb = augment_photometric(sample.rgb, rng)
            if sample.right_rgb is not None:
                sample.right_rgb = augment_photometric(sample.right_rgb, rng)
        return sample

    def _render(self, seed: int) -> Sample:
        path = None if self.cache is None else self.cache / f"{seed}.npz"
        if path is not None and path.is_file():
            try:
                with np.load(path) as z:
                    right = z["right_rgb"] if "right_rgb" in z.files else None
                    baseline = float(z["baseline_m"]) if "baseline_m" in z.files else None
                    return Sample(z["rgb"], z["depth"], tuple(float(v) for v in z["camera"]), right, baseline,
                                  f"synthetic-{seed}")
            except (OSError, ValueError, KeyError):
                pass                                        # a damaged entry: render it again
        sample = render_scene(seed, self.width, self.height, stereo=self.stereo)
        if path is not None:
            self._store(path, sample)
        return sample

    @staticmethod
    def _store(path: Path, sample: Sample):
        """Write atomically (temp file + rename): parallel loaders never read half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = dict(rgb=sample.rgb, depth=sample.depth, camera=np.asarray(sample.camera, np.float64))
        if sample.right_rgb is not None:
            arrays.update(right_rgb=sample.right_rgb, baseline_m=np.float64(sample.baseline_m))
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez_compressed(f, **arrays)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
