"""Training losses: the relative L1 is AbsRel itself and leans near when the answer is unsure."""
import math

import numpy as np
import torch

from depth_restore_ros.train.losses import l1_log_loss, relative_l1_loss
from depth_restore_ros.train.metrics import depth_metrics


def logs(*values):
    return torch.log(torch.tensor(values, dtype=torch.float32)).reshape(1, 1, 1, -1)


def test_relative_l1_is_the_absrel_metric_on_valid_pixels():
    rng = np.random.default_rng(0)
    gt = rng.uniform(0.5, 20.0, (1, 1, 8, 8)).astype(np.float32)
    pred = gt * rng.uniform(0.6, 1.6, gt.shape).astype(np.float32)
    valid = rng.random(gt.shape) > 0.3
    loss = relative_l1_loss(torch.log(torch.from_numpy(pred)), torch.log(torch.from_numpy(gt)),
                            torch.from_numpy(valid).float())
    metric = depth_metrics(pred[0, 0], gt[0, 0], valid[0, 0], 0.1, 80.0)["absrel"]
    assert math.isclose(float(loss), metric, rel_tol=1e-5)


def test_too_far_costs_more_than_too_near_unlike_the_log_l1():
    gt, valid = logs(2.0), torch.ones(1, 1, 1, 1)
    far, near = logs(4.0), logs(1.0)
    assert math.isclose(float(relative_l1_loss(far, gt, valid)), 1.0, rel_tol=1e-6)
    assert math.isclose(float(relative_l1_loss(near, gt, valid)), 0.5, rel_tol=1e-6)
    assert math.isclose(float(l1_log_loss(far, gt, valid)), float(l1_log_loss(near, gt, valid)), rel_tol=1e-6)


def test_an_unsure_pixel_leans_near():
    """Ground truth 1 m or 4 m, equally likely: any answer in between is optimal for the log L1,
    the relative L1 is smallest at the near answer."""
    gt, valid = logs(1.0, 4.0), torch.ones(1, 1, 1, 2)
    costs = {d: float(relative_l1_loss(logs(d, d), gt, valid)) for d in (1.0, 2.0, 4.0)}
    assert costs[1.0] < costs[2.0] < costs[4.0]
    assert math.isclose(float(l1_log_loss(logs(1.0, 1.0), gt, valid)), float(l1_log_loss(logs(2.0, 2.0), gt, valid)))
