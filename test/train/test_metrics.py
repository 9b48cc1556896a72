"""Depth metrics and alignment against values worked out by hand on tiny arrays."""
import math

import numpy as np
import pytest

from depth_restore_ros.train.metrics import (METRICS, DepthBands, MetricAccumulator, align, depth_metrics,
                                             paired_bootstrap_change)

GT = np.array([[1.0, 2.0, 4.0]], np.float32)
ALL = np.ones(GT.shape, bool)


def test_perfect_prediction():
    m = depth_metrics(GT, GT, ALL)
    assert set(m) == set(METRICS)
    for k in ("absrel", "sqrel", "rmse", "rmse_log", "log10", "silog"):
        assert m[k] == pytest.approx(0.0, abs=1e-9)
    assert m["d1"] == m["d2"] == m["d3"] == 1.0


def test_twice_too_far():
    m = depth_metrics(2 * GT, GT, ALL)
    assert m["absrel"] == pytest.approx(1.0)
    assert m["sqrel"] == pytest.approx((1 + 2 + 4) / 3)            # mean (2g - g)^2 / g = mean g
    assert m["rmse"] == pytest.approx(math.sqrt((1 + 4 + 16) / 3))
    assert m["rmse_log"] == pytest.approx(math.log(2))
    assert m["log10"] == pytest.approx(math.log10(2))
    assert m["silog"] == pytest.approx(0.0, abs=1e-6)              # a pure scale error is scale-invariant
    assert m["d1"] == m["d2"] == m["d3"] == 0.0                     # 2 > 1.25^3 = 1.953


def test_mixed_errors():
    gt, pred = np.array([1.0, 2.0]), np.array([1.1, 1.0])
    m = depth_metrics(pred, gt, np.ones(2, bool))
    assert m["absrel"] == pytest.approx((0.1 + 0.5) / 2)
    assert m["rmse"] == pytest.approx(math.sqrt((0.01 + 1.0) / 2))
    assert m["d1"] == 0.5 and m["d2"] == 0.5 and m["d3"] == 0.5  # ratio 2 fails all three
    # two log errors a, b: mean d^2 - mean(d)^2 = ((a - b) / 2)^2
    assert m["silog"] == pytest.approx(100 * (math.log(1.1) - math.log(0.5)) / 2)


def test_mask_clip_and_nan():
    gt = np.array([2.0, 2.0, 2.0, 50.0])
    pred = np.array([0.0, np.nan, 2.0, 100.0])
    valid = np.array([True, True, True, False])
    m = depth_metrics(pred, gt, valid, min_depth=1.0, max_depth=10.0)
    # pixel 0 clipped up to 1 m (absrel 0.5), pixel 1 NaN left out, pixel 3 not valid
    assert m["absrel"] == pytest.approx(0.25) and np.isfinite(m["silog"])
    assert depth_metrics(pred, gt, np.zeros(4, bool)) is None


def test_align_recovers_scale_and_shift():
    rng = np.random.default_rng(1)
    gt = rng.uniform(1, 10, (8, 8)).astype(np.float32)
    valid = np.ones_like(gt, bool)
    valid[0] = False
    np.testing.assert_allclose(align(gt / 3, gt, valid, "scale"), gt, rtol=1e-5)
    np.testing.assert_allclose(align((gt - 0.5) / 3, gt, valid, "scale-shift"), gt, rtol=1e-4)
    relative = 1.0 / ((1.0 / gt - 0.02) / 4)                      # an affine map of the disparity
    np.testing.assert_allclose(align(relative, gt, valid, "scale-shift-disparity"), gt, rtol=1e-4)
    np.testing.assert_array_equal(align(gt / 3, gt, valid, "none"), gt / 3)
    with pytest.raises(ValueError, match="align mode"):
        align(gt, gt, valid, "median")


def test_accumulator_averages_images_not_pixels():
    acc = MetricAccumulator()
    acc.add(depth_metrics(np.array([2.0]), np.array([1.0]), np.ones(1, bool)))       # absrel 1, 1 pixel
    acc.add(depth_metrics(np.full(99, 1.0), np.full(99, 1.0), np.ones(99, bool)))   # absrel 0, 99 pixels
    acc.add(None)
    assert acc.result()["absrel"] == pytest.approx(0.5) and acc.count == 2 and acc.empty == 1
    assert math.isnan(MetricAccumulator().result()["rmse"])


def test_depth_bands_pool_pixels_and_say_which_way():
    gt = np.array([[0.5, 0.5, 3.0, 3.0, 50.0, np.nan]])
    pred = np.array([[1.0, 1.0, 3.0, 3.3, 40.0, 5.0]])   # near too far, far too near
    bands = DepthBands()
    bands.add(pred, gt, np.isfinite(gt), 0.1, 80.0)
    rows = {(r["from_m"], r["to_m"]): r for r in bands.result()}
    assert rows[(0.0, 1.0)]["fraction"] == 0.4 and np.isclose(rows[(0.0, 1.0)]["absrel"], 1.0)
    assert np.isclose(rows[(0.0, 1.0)]["log_bias"], np.log(2.0))
    assert np.isclose(rows[(2.0, 4.0)]["absrel"], 0.05)
    assert rows[(32.0, None)]["log_bias"] < 0 and np.isclose(rows[(32.0, None)]["absrel"], 0.2)
    assert rows[(1.0, 2.0)]["absrel"] is None and rows[(1.0, 2.0)]["fraction"] == 0.0
    # squared errors 0.25 + 0.25, 0 + 0.09, 100: the one far pixel is almost all of the RMSE
    assert np.isclose(rows[(32.0, None)]["rmse"], 10.0) and np.isclose(rows[(2.0, 4.0)]["rmse"], np.sqrt(0.045))
    assert np.isclose(rows[(32.0, None)]["sq_error_share"], 100 / 100.59)
    assert np.isclose(sum(r["sq_error_share"] for r in rows.values()), 1.0)


def test_paired_bootstrap_change():
    """A model 10 % worse on every image is +10 % with no doubt; one that differs from the reference
    only by noise gets an interval around zero; the same draw pairs the images of both models."""
    rng = np.random.default_rng(3)
    reference = rng.uniform(0.5, 5.0, 200)            # per-image RMSE: images differ far more than models
    assert paired_bootstrap_change(reference, 1.1 * reference) == pytest.approx((0.1, 0.1, 0.1))
    noisy = reference * rng.normal(1.0, 0.05, 200)
    change, low, high = paired_bootstrap_change(reference, noisy)
    assert low < change < high and low < 0.0 < high and high - low < 0.03
    unpaired = paired_bootstrap_change(reference, rng.permutation(noisy))   # same values, images shuffled
    assert unpaired[2] - unpaired[1] > 5 * (high - low)
    with_nan = np.append(noisy, np.nan)
    assert paired_bootstrap_change(np.append(reference, 1.0), with_nan) == pytest.approx((change, low, high), abs=0.01)
    with pytest.raises(ValueError, match="same images"):
        paired_bootstrap_change(reference, reference[:10])
