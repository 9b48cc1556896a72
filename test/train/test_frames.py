"""Training frames: canonical metric targets, zoom keeps metres, sky learns "beyond range"."""
import numpy as np
import pytest
import torch

from depth_restore_ros.data.datasets import open_dataset
from depth_restore_ros.data.sample import Sample
from depth_restore_ros.inference.config import ModelConfig
from depth_restore_ros.train.frames import BEYOND_MARGIN, SKY_FACTOR, TrainingFrames

CONFIG = ModelConfig(input_long_side=128, canonical_focal=80.0, max_depth=80.0)


class Plane:
    """One frame: a wall 4 m away with a band of unknown depth on top."""

    def __init__(self, nan_means_beyond=None):
        self.nan_means_beyond = nan_means_beyond

    def __len__(self):
        return 1

    def __getitem__(self, index):
        depth = np.full((96, 128), 4.0, np.float32)
        depth[:20] = np.nan
        return Sample(np.full((96, 128, 3), 128, np.uint8), depth, (100.0, 100.0, 63.5, 47.5))


def test_targets_are_canonical_metres_whatever_the_zoom():
    for zoom in (1.0, 1.4):
        _, log_gt, valid = TrainingFrames(Plane(), CONFIG, (96, 128), zoom=(zoom, zoom))[0]
        f_net = 100.0 * 0.5 * (round(128 * zoom) / 128 + round(96 * zoom) / 96)   # sizes round to pixels
        seen = np.exp(log_gt[0][valid[0] > 0]) * f_net / CONFIG.canonical_focal   # back to metres
        assert np.allclose(seen, 4.0, rtol=1e-5)


def test_unknown_depth_is_ignored_unless_the_data_set_says_it_means_beyond_range():
    _, _, valid = TrainingFrames(Plane(), CONFIG, (96, 128))[0]
    assert valid[0, :20].sum() == 0 and valid[0, 20:].min() == 1
    _, log_gt, valid = TrainingFrames(Plane(nan_means_beyond=80.0), CONFIG, (96, 128))[0]
    assert valid.min() == 1
    sky_metres = np.exp(log_gt[0, :20]) * 100.0 / CONFIG.canonical_focal
    assert np.allclose(sky_metres, SKY_FACTOR * 80.0, rtol=1e-5)          # beyond max_depth: NaN when published
    _, _, sparse = TrainingFrames(Plane(nan_means_beyond=80.0), CONFIG, (96, 128), gt_density="lidar")[0]
    assert sparse[0, :20].sum() == 0
    _, _, off = TrainingFrames(Plane(nan_means_beyond=80.0), CONFIG, (96, 128), sky_as_far=False)[0]
    assert off[0, :20].sum() == 0                                          # the shipped recipes' behaviour


@pytest.mark.parametrize("beyond_loss", ["hinge", "mask"])
def test_hinge_and_mask_mark_the_sky_in_a_second_mask(beyond_loss):
    _, log_gt, masks = TrainingFrames(Plane(nan_means_beyond=80.0), CONFIG, (96, 128), beyond_loss=beyond_loss)[0]
    assert masks.shape == (2, 96, 128)
    assert masks[0, :20].sum() == 0 and masks[0, 20:].min() == 1             # surfaces: the plane only
    assert masks[1, :20].min() == 1 and masks[1, 20:].sum() == 0             # beyond range: the sky only
    bound = np.exp(log_gt[0, :20]) * 100.0 / CONFIG.canonical_focal
    assert np.allclose(bound, BEYOND_MARGIN * 80.0, rtol=1e-5)


def test_sky_recolour_repaints_the_sky_of_some_frames_and_nothing_else():
    plain = TrainingFrames(Plane(nan_means_beyond=80.0), CONFIG, (96, 128))
    recoloured = TrainingFrames(Plane(nan_means_beyond=80.0), CONFIG, (96, 128), sky_recolour=1.0)
    (a, gt_a, va), (b, gt_b, vb) = plain[0], recoloured[0]
    assert torch.equal(gt_a, gt_b) and torch.equal(va, vb)
    assert torch.equal(a[:, 20:], b[:, 20:]) and not torch.equal(a[:, :20], b[:, :20])
    indoor = TrainingFrames(Plane(), CONFIG, (96, 128), sky_recolour=1.0)[0][0]   # NaN = unmeasured: no sky
    assert torch.equal(indoor, TrainingFrames(Plane(), CONFIG, (96, 128))[0][0])


def test_the_synthetic_world_declares_its_nan_as_beyond_range():
    assert open_dataset("synthetic:train", length=1).nan_means_beyond == 80.0


def test_half_resolution_crop_is_rounded_to_the_network_multiple(tmp_path):
    from depth_restore_ros.train.config import TrainConfig
    from depth_restore_ros.train.trainer import Trainer
    cfg = TrainConfig(name="t", arch_args=dict(channels=(8, 8, 8, 8), depths=(1, 1, 1, 1), dec_channels=(8, 8, 8)),
                      crop=(240, 320), input_long_side=320)
    frames = Trainer(cfg, tmp_path).training_frames(Plane(), None, 0.5)
    image, log_gt, valid = frames[0]
    assert image.shape[1:] == log_gt.shape[1:] == (128, 160) and frames.config.input_long_side == 160
