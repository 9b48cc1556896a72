"""SGBM reference: right depth on a rendered pair where it matches, holes filled on request."""
import numpy as np

from depth_restore_ros.data.synthetic import render_scene
from depth_restore_ros.train.classical_stereo import fill_rows, sgbm_depth


def test_sgbm_depth_is_metric_where_it_matches():
    pair = render_scene(9_000_321, 320, 240, stereo=True)
    depth = sgbm_depth(pair)
    valid = np.isfinite(depth) & np.isfinite(pair.depth)
    assert 0.3 < valid.mean() < 1.0
    rel = np.abs(depth[valid] - pair.depth[valid]) / pair.depth[valid]
    assert np.median(rel) < 0.1
    filled = sgbm_depth(pair, filled=True)
    assert np.isfinite(filled).all() and np.array_equal(filled[valid], depth[valid])


def test_fill_rows_takes_the_nearest_valid_neighbour():
    values = np.array([[np.nan, 1.0, np.nan, np.nan, 4.0], [np.nan] * 5], np.float32)
    filled = fill_rows(values)
    assert filled[0].tolist() == [1.0, 1.0, 1.0, 4.0, 4.0] and np.allclose(filled[1], 2.5)
