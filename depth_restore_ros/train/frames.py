"""Training frames: a Sample becomes (image, log canonical depth, valid) tensors.

Intrinsics-awareness is made here: every frame is zoomed by a random factor (its focal length grows
with it, the metric depth does not), and the target is depth in the canonical camera,
depth * canonical_focal / f, so the network must read scale from content *and* focal length.
"""
import cv2
import numpy as np
import torch

from ..data.synthetic.augment import recolour_sky
from ..inference.preprocess import to_network
from ..inference.config import ModelConfig


def zoom_crop(sample, crop_hw, zoom, rng, base: float = 1.0):
    """Resize by base * zoom (base < 1: a lower-resolution view of the same field of view), take a
    random crop of crop_hw; returns rgb, depth, the new fx, fy and the right view cut the same way
    (None for a monocular sample): one window for both views keeps the pair rectified."""
    h, w = sample.depth.shape
    scale = max(base * zoom, crop_hw[0] / h, crop_hw[1] / w)
    size = (int(round(w * scale)), int(round(h * scale)))
    # shrinking averages (as the Estimator's to_network does); enlarging interpolates
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    rgb = cv2.resize(sample.rgb, size, interpolation=interp)
    depth = cv2.resize(sample.depth, size, interpolation=cv2.INTER_NEAREST)  # never blend across edges
    top = int(rng.integers(0, size[1] - crop_hw[0] + 1))
    left = int(rng.integers(0, size[0] - crop_hw[1] + 1))
    window = np.s_[top:top + crop_hw[0], left:left + crop_hw[1]]
    fx, fy = sample.camera[0] * size[0] / w, sample.camera[1] * size[1] / h
    right = None
    if sample.right_rgb is not None:
        right = cv2.resize(sample.right_rgb, size, interpolation=interp)[window]
    return rgb[window], depth[window], fx, fy, right


SKY_FACTOR = 1.5          # sky / beyond-range targets: this many times max_depth
BEYOND_MARGIN = 1.2       # beyond_loss "hinge": sky / beyond range must come out farther than this x max_depth
LIDAR_DENSITY = 0.05       # KITTI's projected Velodyne: about 5% of the pixels of a frame
LIDAR_LINE_SPACING = 4     # rows between scan lines at 240 px height (64 beams over ~2/3 of the view)


def lidar_mask(height: int, width: int, rng) -> np.ndarray:
    """A LiDAR-like sampling pattern: slightly curved scan lines over the lower two thirds of the
    view, each keeping random points, ~LIDAR_DENSITY of the pixels in all."""
    top = int(height / 3 * rng.uniform(0.8, 1.2))
    spacing = max(1, int(round(LIDAR_LINE_SPACING * height / 240)))
    x = np.arange(width)
    bend = rng.uniform(0.0, 0.06) * height * ((x - width / 2) / width) ** 2  # beams curve in the image
    mask = np.zeros((height, width), bool)
    keep = min(1.0, LIDAR_DENSITY * height / max(1, (height - top) // spacing))
    for row in range(top + int(rng.integers(0, spacing)), height, spacing):
        rows = np.clip(np.round(row - bend).astype(int), 0, height - 1)
        hits = rng.random(width) < keep
        mask[rows[hits], x[hits]] = True
    return mask


class TrainingFrames(torch.utils.data.Dataset):
    def __init__(self, dataset, model_config: ModelConfig, crop_hw, zoom=(1.0, 1.0), augment=None, seed=0,
                 gt_density: str = "dense", base_scale: float = 1.0, aux_dropout: float = 0.0,
                 sky_as_far: bool = True, beyond_loss: str = "target", sky_recolour: float = 0.0):
        self.dataset = dataset
        self.config = model_config
        self.crop_hw = tuple(crop_hw)
        self.zoom = zoom
        self.augment = augment  # callable(rgb, rng) -> rgb, or None
        self.seed = seed
        self.epoch = 0          # set by the trainer so each pass draws new augmentations
        if gt_density not in ("dense", "lidar"):
            raise ValueError(f"gt_density must be 'dense' or 'lidar', not {gt_density!r}")
        self.gt_density = gt_density
        self.base_scale = base_scale  # < 1: train on a down-scaled view (same field of view, fewer pixels)
        self.aux_dropout = aux_dropout
        self.sky_as_far = sky_as_far
        self.beyond_loss = beyond_loss  # "hinge", "mask": valid gets a second channel, the beyond-range pixels
        self.sky_recolour = sky_recolour  # this fraction of monocular frames gets another sky (recolour_sky)

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        rng = np.random.default_rng([self.seed, self.epoch, index])
        sample = self.dataset[index]
        zoom = float(rng.uniform(*self.zoom))
        rgb, depth, fx, fy, right = zoom_crop(sample, self.crop_hw, zoom, rng, self.base_scale)
        if right is None and rng.random() < 0.5:  # a mirrored world has the same metric depth (not
            rgb, depth = rgb[:, ::-1], depth[:, ::-1]  # for a pair: mirrored, the right camera is on the left)
        beyond = getattr(self.dataset, "nan_means_beyond", None)
        # (a pair would need the right view's sky recoloured too)
        if self.sky_recolour and beyond is not None and right is None and rng.random() < self.sky_recolour:
            rgb = recolour_sky(np.ascontiguousarray(rgb), ~np.isfinite(depth), rng)
        if self.augment is not None:
            rgb = self.augment(np.ascontiguousarray(rgb), rng)
        image = to_network(np.ascontiguousarray(rgb), self.config)[0]
        assert image.shape[1:] == self.crop_hw, "crop must be the network size of itself"
        f_net = 0.5 * (fx + fy)
        valid = np.isfinite(depth) & (depth >= self.config.min_depth) & (depth <= self.config.max_depth)
        masks = [valid]
        if beyond is not None and self.sky_as_far and self.gt_density == "dense":
            # sky and beyond-range pixels learn "farther than max_depth" (published as NaN), so the
            # model never paints the sky as a near surface; KITTI-like sparse GT has no such pixels
            sky = ~np.isfinite(depth)
            far = max(beyond, self.config.max_depth)
            if self.beyond_loss in ("hinge", "mask"):   # a bound, not a depth; or a class of its own
                depth = np.where(sky, BEYOND_MARGIN * far, depth)
                masks.append(sky)
            else:
                depth = np.where(sky, SKY_FACTOR * far, depth)
                valid |= sky
        if self.gt_density == "lidar":
            valid &= lidar_mask(*valid.shape, rng)
        known = np.logical_or.reduce(masks)
        canonical = np.where(known, depth, 1.0) * (self.config.canonical_focal / f_net)
        frame = (torch.from_numpy(image), torch.from_numpy(np.log(canonical).astype(np.float32))[None],
                 torch.from_numpy(np.stack(masks).astype(np.float32)))
        if right is None:
            return frame
        if rng.random() < self.aux_dropout:   # teach the monocular path too (baseline 0 = no view)
            return frame + (frame[0].clone(), torch.zeros(()))
        if self.augment is not None:
            right = self.augment(np.ascontiguousarray(right), rng)
        aux = to_network(np.ascontiguousarray(right), self.config)[0]
        return frame + (torch.from_numpy(aux), torch.tensor(float(sample.baseline_m), dtype=torch.float32))
