"""backproject: the pinhole formula, NaN for invalid pixels, uncertainty mask, decimation, rgb bytes."""

import numpy as np
import pytest

from depth_restore_ros.core.camera import PinholeCamera
from depth_restore_ros.core.errors import InputError
from depth_restore_ros.core.pointcloud import FLOAT32, backproject, fields_xyz

RNG = np.random.default_rng(2)
CAM = PinholeCamera(525.0, 530.0, 300.3, 250.7, 64, 48)


def random_depth(cam=CAM):
    return RNG.uniform(0.3, 8.0, size=(cam.height, cam.width)).astype(np.float32)


def test_matches_pinhole_formula_at_random_pixels():
    depth = random_depth()
    buf = backproject(depth, CAM)
    pts = buf.as_array()
    assert (buf.height, buf.width, buf.point_step, buf.row_step) == (48, 64, 16, 16 * 64)
    assert buf.fields == [("x", 0, FLOAT32, 1), ("y", 4, FLOAT32, 1), ("z", 8, FLOAT32, 1)]
    assert not buf.is_dense and len(buf.data) == 48 * 64 * 16
    for _ in range(40):
        v, u = RNG.integers(0, 48), RNG.integers(0, 64)
        z = float(depth[v, u])
        expected = [(u - CAM.cx) * z / CAM.fx, (v - CAM.cy) * z / CAM.fy, z]
        np.testing.assert_allclose(pts[v, u, :3], expected, rtol=1e-6, atol=1e-6)
    assert (pts[:, :, 3] == 0).all()  # padding bytes are zero, not garbage
    # The cloud projects back onto the pixels it came from.
    flat = pts[:, :, :3].reshape(-1, 3)
    vv, uu = np.mgrid[0:48, 0:64]
    np.testing.assert_allclose(CAM.project(flat), np.stack([uu.ravel(), vv.ravel()], 1), atol=1e-3)


def test_invalid_depth_is_nan_and_stays_organised():
    depth = random_depth()
    bad = {(0, 0): np.nan, (1, 5): 0.0, (2, 7): -1.0, (3, 9): np.inf, (4, 1): -np.inf}
    for (v, u), value in bad.items():
        depth[v, u] = value
    pts = backproject(depth, CAM).as_array()
    assert pts.shape == (48, 64, 4)
    nan = np.isnan(pts[:, :, :3]).all(axis=2)
    assert set(zip(*np.nonzero(nan))) == set(bad)
    assert np.isfinite(pts[~nan][:, :3]).all()


def test_uint16_millimetres():
    depth = np.zeros((48, 64), np.uint16)
    depth[10, 20] = 1500
    pts = backproject(depth, CAM).as_array()
    assert pts[10, 20, 2] == pytest.approx(1.5)
    assert np.isnan(pts[0, 0, 2])  # 0 mm means no measurement


def test_uncertainty_threshold():
    depth = random_depth()
    unc = RNG.uniform(0, 1, size=depth.shape).astype(np.float32)
    unc[5, 5] = np.nan
    pts = backproject(depth, CAM, uncertainty=unc, max_uncertainty=0.5).as_array()
    masked = np.isnan(pts[:, :, 2])
    np.testing.assert_array_equal(masked, ~(unc <= 0.5))
    assert masked[5, 5]
    unmasked = backproject(depth, CAM, uncertainty=unc).as_array()  # no threshold: keep everything
    assert np.isfinite(unmasked[:, :, 2]).all()


@pytest.mark.parametrize("d", [2, 3, 5])
def test_decimation_uses_full_resolution_coordinates(d):
    depth = random_depth()
    rgb = RNG.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    full = backproject(depth, CAM, rgb=rgb).as_array()
    dec = backproject(depth, CAM, rgb=rgb, decimation=d)
    assert (dec.height, dec.width) == (len(range(0, 48, d)), len(range(0, 64, d)))
    np.testing.assert_array_equal(dec.as_array(), full[::d, ::d])
    np.testing.assert_array_equal(dec.as_array(), backproject(depth[::d, ::d], CAM.decimated(d),
                                                              rgb=rgb[::d, ::d]).as_array())


def test_rgb_packing_bytes():
    depth = random_depth()
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[3, 4] = (0x12, 0x34, 0x56)
    buf = backproject(depth, CAM, rgb=rgb)
    assert buf.fields == fields_xyz(True) and buf.fields[3] == ("rgb", 12, FLOAT32, 1)
    assert buf.point_step == 16
    offset = (3 * 64 + 4) * 16
    assert buf.data[offset + 12: offset + 16] == bytes([0x56, 0x34, 0x12, 0x00])  # B, G, R, 0
    rgb_u32 = np.frombuffer(buf.data, "<u4").reshape(48, 64, 4)[:, :, 3]
    assert rgb_u32[3, 4] == 0x00123456


def test_shape_errors():
    with pytest.raises(InputError) as info:
        backproject(np.ones((24, 32), np.float32), CAM)
    assert info.value.kind == "size_mismatch" and "scaled" in info.value.hint
    with pytest.raises(InputError) as info:
        backproject(random_depth(), CAM, rgb=np.zeros((24, 32, 3), np.uint8))
    assert info.value.kind == "size_mismatch"
    with pytest.raises(InputError):
        backproject(random_depth(), CAM, rgb=np.zeros((48, 64, 3), np.float32))
