"""Uncertainty scores on constructed cases whose answers are known."""
import numpy as np
import pytest

from depth_restore_ros.train.uncertainty_eval import UncertaintyAccumulator, plot_sparsification, spearman


def case(seed=0, n=(60, 80)):
    rng = np.random.default_rng(seed)
    gt = rng.uniform(1.0, 20.0, n).astype(np.float32)
    sigma = rng.uniform(0.01, 1.0, n).astype(np.float32)
    pred = gt + sigma * rng.standard_normal(n).astype(np.float32)   # errors drawn with that sigma
    return pred, gt, sigma, np.ones(n, bool)


def test_an_uncertainty_that_generated_the_errors_beats_random_and_correlates():
    acc = UncertaintyAccumulator()
    for seed in range(3):
        acc.add(*case(seed))
    r = acc.result()
    assert r["num_images"] == 3
    assert r["rmse"]["ause"] < 0.5 * r["rmse"]["ause_random"] and r["spearman"] > 0.4
    assert r["rmse"]["curve"][0] == pytest.approx(r["rmse"]["random"][0], rel=1e-6)  # nothing removed yet
    assert all(o <= m + 1e-9 for o, m in zip(r["rmse"]["oracle"], r["rmse"]["curve"]))  # oracle is best


def test_absrel_ranks_pixels_by_relative_uncertainty():
    """Relative errors drawn with a relative sigma over 1-20 m: sigma in metres grows with depth,
    so ranked by it AbsRel would remove far pixels first; ranked by sigma / depth it finds them."""
    rng = np.random.default_rng(4)
    gt = rng.uniform(1.0, 20.0, (60, 80))
    rel = rng.uniform(0.01, 0.3, gt.shape)
    pred = gt * (1 + rel * rng.standard_normal(gt.shape))
    acc = UncertaintyAccumulator()
    acc.add(pred, gt, rel * pred, np.ones(gt.shape, bool))
    r = acc.result()
    assert r["absrel"]["ause"] < 0.5 * r["absrel"]["ause_random"]


def test_an_uninformative_uncertainty_scores_like_random():
    pred, gt, _, mask = case(1)
    acc = UncertaintyAccumulator()
    acc.add(pred, gt, np.random.default_rng(9).uniform(size=gt.shape).astype(np.float32), mask)
    r = acc.result()
    assert 0.8 < r["rmse"]["ause_ratio"] < 1.2 and abs(r["spearman"]) < 0.1


def test_spearman_and_plot(tmp_path):
    x = np.arange(100.0)
    assert spearman(x, x ** 3) == pytest.approx(1.0) and spearman(x, -x) == pytest.approx(-1.0)
    acc = UncertaintyAccumulator()
    acc.add(*case(2))
    plot_sparsification(acc.result(), tmp_path / "s.png", "test")
    assert (tmp_path / "s.png").stat().st_size > 1000
