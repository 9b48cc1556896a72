"""colorize: shapes, invalid pixels black, near warm / far cold, uncertainty dark -> bright, panels."""
import numpy as np
import pytest

from depth_restore_ros.core.colorize import (
    DEPTH_LUT, UNCERTAINTY_LUT, colorize_depth, colorize_uncertainty, side_by_side)


def luminance(rgb):
    return rgb.astype(float) @ [0.299, 0.587, 0.114]


def test_depth_colours_near_warm_far_cold_invalid_black():
    depth = np.tile(np.linspace(0.5, 10.0, 50, dtype=np.float32), (20, 1))
    depth[0, :4] = [np.nan, 0.0, -1.0, np.inf]
    img = colorize_depth(depth)
    assert img.shape == (20, 50, 3) and img.dtype == np.uint8
    assert (img[0, :4] == 0).all()
    near, far = img[5, 0].astype(int), img[5, -1].astype(int)
    assert near[0] > near[2] and far[2] > far[0]
    assert not (img[1:] == 0).all(axis=2).any()  # valid pixels are never black


def test_depth_explicit_range_and_inverse_depth():
    depth = np.array([[1.0, 2.0, 4.0, 0.5, 100.0]], np.float32)
    img = colorize_depth(depth, vmin=1.0, vmax=4.0)
    np.testing.assert_array_equal(img[0, 0], DEPTH_LUT[255])
    np.testing.assert_array_equal(img[0, 2], DEPTH_LUT[0])
    np.testing.assert_array_equal(img[0, 3], DEPTH_LUT[255])  # clipped, not wrapped
    np.testing.assert_array_equal(img[0, 4], DEPTH_LUT[0])
    # 2 m is 1/3 of the way in inverse depth (1/2 between 1/4 and 1/1), not 1/3 in depth.
    np.testing.assert_array_equal(img[0, 1], DEPTH_LUT[round(255 / 3)])


def test_all_invalid_is_black():
    assert not colorize_depth(np.full((3, 4), np.nan, np.float32)).any()
    assert not colorize_uncertainty(np.full((3, 4), np.nan, np.float32)).any()


def test_uncertainty_map_is_sequential_and_distinct():
    lum = luminance(UNCERTAINTY_LUT)
    assert (np.diff(lum) > -0.5).all() and lum[-1] - lum[0] > 150
    assert np.abs(UNCERTAINTY_LUT.astype(int) - DEPTH_LUT).mean() > 40
    unc = np.array([[0.0, 0.5, 1.0, 3.0, np.nan]], np.float32)
    img = colorize_uncertainty(unc, vmax=1.0)
    assert luminance(img[0, 0]) < luminance(img[0, 1]) < luminance(img[0, 2])
    np.testing.assert_array_equal(img[0, 3], UNCERTAINTY_LUT[255])
    assert (img[0, 4] == 0).all() and img[0, 0].any()  # NaN black, zero uncertainty is not black


def test_side_by_side():
    a = np.full((40, 60, 3), 100, np.uint8)
    b = np.full((20, 20, 3), 200, np.uint8)
    mono = np.full((40, 10), 50, np.uint8)
    out = side_by_side([a, b, mono], ["rgb", "depth"])
    assert out.shape == (40, 60 + 40 + 10, 3) and out.dtype == np.uint8
    plain = side_by_side([a, b, mono], [])
    assert (plain[:, :60] == 100).all() and (plain[:, 60:100] == 200).all() and (plain[:, 100:] == 50).all()
    assert (out[:, :60] != plain[:, :60]).any()  # the label was drawn
    assert (a == 100).all()  # inputs untouched
    with pytest.raises(ValueError):
        side_by_side([np.zeros((4, 4, 3), np.float32)], [])
