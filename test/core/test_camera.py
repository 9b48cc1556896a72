"""PinholeCamera: K vs P, validation, and that scaled/decimated intrinsics describe the resized image."""
import math

import cv2
import numpy as np
import pytest

from depth_restore_ros.core.camera import PinholeCamera
from depth_restore_ros.core.errors import InputError

K = [500.0, 0.0, 321.0, 0.0, 510.0, 242.0, 0.0, 0.0, 1.0]
P = [480.0, 0.0, 310.0, -24.0, 0.0, 490.0, 235.0, 0.0, 0.0, 0.0, 1.0, 0.0]
RNG = np.random.default_rng(1)


def test_from_k_and_from_p():
    cam = PinholeCamera.from_camera_info(K, P, 640, 480)
    assert cam.as_tuple() == (500.0, 510.0, 321.0, 242.0) and (cam.width, cam.height) == (640, 480)
    rect = PinholeCamera.from_camera_info(K, P, 640, 480, rectified=True)
    assert rect.as_tuple() == (480.0, 490.0, 310.0, 235.0)
    assert PinholeCamera.from_camera_info(np.array(K).reshape(3, 3), None, 640, 480) == cam
    assert PinholeCamera.from_camera_info(cam.k_matrix(), cam.p_matrix(), 640, 480, rectified=True) == cam
    assert rect.p_matrix(tx=-24.0) == P


@pytest.mark.parametrize("k,width,height,word", [
    ([0.0] * 9, 640, 480, "uncalibrated"),
    ([float("nan")] + K[1:], 640, 480, "fx=nan"),
    ([-500.0] + K[1:], 640, 480, "fx=-500"),
    (K[:4] + [math.inf] + K[5:], 640, 480, "fy=inf"),
    (K, 0, 480, "zero size"),
    (K[:8], 640, 480, "8 numbers"),
])
def test_invalid_camera_info(k, width, height, word):
    with pytest.raises(InputError) as info:
        PinholeCamera.from_camera_info(k, None, width, height)
    assert info.value.kind == "camera_info" and word in info.value.message
    if word == "uncalibrated":
        assert "calibrate" in info.value.hint


def test_rectified_needs_p():
    with pytest.raises(InputError) as info:
        PinholeCamera.from_camera_info(K, [0.0] * 12, 640, 480, rectified=True)
    assert info.value.kind == "camera_info" and "P" in info.value.message


def random_points(n=50):
    return np.stack([RNG.uniform(-2, 2, n), RNG.uniform(-1.5, 1.5, n), RNG.uniform(1, 10, n)], 1)


@pytest.mark.parametrize("size", [(320, 240), (960, 720), (518, 392)])
def test_scaled_projects_to_the_same_image_position(size):
    cam = PinholeCamera.from_camera_info(K, None, 640, 480)
    small = cam.scaled(*size)
    sx, sy = size[0] / 640, size[1] / 480
    pts = random_points()
    uv, uv2 = cam.project(pts), small.project(pts)
    # Same point of the scene, measured from the image's left/top edge (-0.5), scales by s.
    np.testing.assert_allclose(uv2[:, 0], (uv[:, 0] + 0.5) * sx - 0.5, atol=1e-9)
    np.testing.assert_allclose(uv2[:, 1], (uv[:, 1] + 0.5) * sy - 0.5, atol=1e-9)
    assert (small.width, small.height) == size


@pytest.mark.parametrize("new_width", [320, 960])
def test_scaled_matches_cv2_resize(new_width):
    """An image whose value is its own u coordinate, resized by OpenCV, must read back the u that
    the original camera projects a point to, at the pixel the scaled camera projects it to."""
    cam = PinholeCamera(400.0, 400.0, 300.7, 200.2, 640, 480)
    ramp = np.tile(np.arange(640, dtype=np.float32), (480, 1))
    resized = cv2.resize(ramp, (new_width, new_width * 3 // 4), interpolation=cv2.INTER_LINEAR)
    scaled = cam.scaled(new_width, new_width * 3 // 4)
    pts = random_points()
    u = cam.project(pts)[:, 0]
    u2 = scaled.project(pts)[:, 0]
    inside = (u2 > 2) & (u2 < new_width - 3)
    read = np.interp(u2[inside], np.arange(new_width), resized[0])
    np.testing.assert_allclose(read, u[inside], atol=1e-3)
    naive_cx = cam.cx * new_width / 640  # the common mistake is a quarter/half pixel off
    assert abs(naive_cx - scaled.cx) > 0.2


def test_decimated_takes_every_dth_pixel():
    cam = PinholeCamera(400.0, 410.0, 300.0, 200.0, 641, 481)
    dec = cam.decimated(4)
    assert (dec.width, dec.height) == (len(range(0, 641, 4)), len(range(0, 481, 4)))
    pts = random_points()
    np.testing.assert_allclose(dec.project(pts), cam.project(pts) / 4, atol=1e-9)
    with pytest.raises(ValueError):
        cam.decimated(0)


def test_from_fov_and_hashable():
    cam = PinholeCamera.from_fov(640, 480, 90.0)
    assert cam.fx == pytest.approx(320.0) and cam.fy == cam.fx
    assert (cam.cx, cam.cy) == (319.5, 239.5)
    with pytest.raises(InputError):
        PinholeCamera.from_fov(640, 480, 180.0)
    assert hash(PinholeCamera(1, 1, 0, 0, 2, 2)) == hash(PinholeCamera(1.0, 1.0, 0.0, 0.0, 2, 2))
    with pytest.raises(AttributeError):
        cam.fx = 1.0  # frozen: it keys caches
