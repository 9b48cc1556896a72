"""stereo_baseline: the baseline of a rectified pair from camera_info P, and what it refuses."""
import math

import pytest

from depth_restore_ros.core.errors import InputError
from depth_restore_ros.core.stereo import stereo_baseline


def projection(fx=500.0, cx=319.5, cy=239.5, tx=0.0, ty=0.0, fy=None):
    fy = fx if fy is None else fy
    return [fx, 0.0, cx, tx, 0.0, fy, cy, ty, 0.0, 0.0, 1.0, 0.0]


def test_baseline_is_minus_tx_over_fx():
    assert stereo_baseline(projection(), projection(tx=-500.0 * 0.12)) == pytest.approx(0.12)
    # cx may differ between the two rectified images (no zero-disparity alignment)
    assert stereo_baseline(projection(), projection(cx=300.0, tx=-60.0)) == pytest.approx(0.12)
    # a left camera that is not the reference: the difference of the two Tx counts
    assert stereo_baseline(projection(tx=-25.0), projection(tx=-85.0)) == pytest.approx(0.12)


@pytest.mark.parametrize("right, words", [
    (projection(), "zero"),
    (projection(tx=60.0), "swapped"),
    (projection(fx=0.0, tx=-60.0), "no stereo calibration"),
    ([0.0] * 12, "no stereo calibration"),
    (projection(tx=math.nan), "finite"),
    (projection()[:9], "12 finite numbers"),
])
def test_missing_zero_or_negative_baseline(right, words):
    with pytest.raises(InputError, match=words) as err:
        stereo_baseline(projection(), right)
    assert err.value.kind == "baseline" and "Tx = -fx * baseline" in err.value.hint


@pytest.mark.parametrize("right, name", [
    (projection(fx=510.0, tx=-61.2), "fx"),
    (projection(fy=490.0, tx=-60.0), "fy"),
    (projection(cy=250.0, tx=-60.0), "cy"),
    (projection(tx=-60.0, ty=-20.0), "vertically"),
])
def test_two_geometries_are_not_a_rectified_pair(right, name):
    with pytest.raises(InputError, match=name) as err:
        stereo_baseline(projection(), right)
    assert err.value.kind == "unrectified" and "rectified" in err.value.hint


def test_rounding_within_the_tolerance_is_accepted():
    right = projection(fx=500.0004, cy=239.52, tx=-60.00005, ty=0.001)
    assert stereo_baseline(projection(), right) == pytest.approx(0.12, rel=1e-5)
