"""Training frames: a Sample becomes (image, log canonical depth, valid) tensors.

Intrinsics-awareness is made here: every frame is zoomed by a random factor (its focal length grows
with it, the metric depth does not), and the target is depth in the canonical camera,
depth * canonical_focal / f, so the network must read scale from content *and* focal length.
"""
import cv2
import numpy as np
import torch

from ..inference.preprocess import to_network
from ..inference.config import ModelConfig


def zoom_crop(sample, crop_hw, zoom, rng):
    """Zoom in by `zoom`, take a random crop of crop_hw; returns rgb, depth and the new fx, fy."""
    h, w = sample.depth.shape
    scale = max(zoom, crop_hw[0] / h, crop_hw[1] / w)
    size = (int(round(w * scale)), int(round(h * scale)))
    rgb = cv2.resize(sample.rgb, size, interpolation=cv2.INTER_LINEAR)
    depth = cv2.resize(sample.depth, size, interpolation=cv2.INTER_NEAREST)  # never blend across edges
    top = int(rng.integers(0, size[1] - crop_hw[0] + 1))
    left = int(rng.integers(0, size[0] - crop_hw[1] + 1))
    window = np.s_[top:top + crop_hw[0], left:left + crop_hw[1]]
    fx, fy = sample.camera[0] * size[0] / w, sample.camera[1] * size[1] / h
    return rgb[window], depth[window], fx, fy


class TrainingFrames(torch.utils.data.Dataset):
    def __init__(self, dataset, model_config: ModelConfig, crop_hw, zoom=(1.0, 1.0), augment=None, seed=0):
        self.dataset = dataset
        self.config = model_config
        self.crop_hw = tuple(crop_hw)
        self.zoom = zoom
        self.augment = augment  # callable(rgb, rng) -> rgb, or None
        self.seed = seed
        self.epoch = 0          # set by the trainer so each pass draws new augmentations

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        rng = np.random.default_rng([self.seed, self.epoch, index])
        sample = self.dataset[index]
        zoom = float(rng.uniform(*self.zoom))
        rgb, depth, fx, fy = zoom_crop(sample, self.crop_hw, zoom, rng)
        if rng.random() < 0.5:  # a mirrored world has the same metric depth
            rgb, depth = rgb[:, ::-1], depth[:, ::-1]
        if self.augment is not None:
            rgb = self.augment(np.ascontiguousarray(rgb), rng)
        image = to_network(np.ascontiguousarray(rgb), self.config)[0]
        assert image.shape[1:] == self.crop_hw, "crop must be the network size of itself"
        f_net = 0.5 * (fx + fy)
        valid = np.isfinite(depth) & (depth >= self.config.min_depth) & (depth <= self.config.max_depth)
        canonical = np.where(valid, depth, 1.0) * (self.config.canonical_focal / f_net)
        return (torch.from_numpy(image), torch.from_numpy(np.log(canonical).astype(np.float32))[None],
                torch.from_numpy(valid.astype(np.float32))[None])
