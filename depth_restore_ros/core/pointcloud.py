"""Depth image -> organised XYZ / XYZRGB point buffer in the sensor_msgs/PointCloud2 layout.

Organised (height x width, invalid points NaN) rather than dense, so that pixel (u, v) of the
depth image stays point (u, v) of the cloud, as depth_image_proc does. Pure numpy: the ROS layer
only copies `fields`, `point_step` and `data` into a PointCloud2 with the depth image's header.
"""
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .camera import PinholeCamera
from .errors import InputError

FLOAT32 = 7  # sensor_msgs/PointField.FLOAT32
POINT_STEP = 16  # x, y, z, rgb-or-padding: 16-byte aligned points, the layout PCL uses


def fields_xyz(with_rgb) -> list:
    """PointField (name, offset, datatype, count) tuples for the layout backproject writes."""
    fields = [("x", 0, FLOAT32, 1), ("y", 4, FLOAT32, 1), ("z", 8, FLOAT32, 1)]
    return fields + [("rgb", 12, FLOAT32, 1)] if with_rgb else fields


@dataclass
class PointBuffer:
    """The parts of a PointCloud2 that do not depend on ROS; `data` is little-endian.

    `data` is a bytearray (bytes-like, filled in place without a copy); copy it into a message
    with `msg.data.frombytes(buf.data)` -- assigning it to a uint8[] field makes rclpy check
    every byte in Python.
    """

    fields: list
    point_step: int
    height: int
    width: int
    data: bytearray
    is_dense: bool = False  # organised clouds keep invalid points as NaN

    @property
    def row_step(self) -> int:
        return self.point_step * self.width

    def as_array(self) -> np.ndarray:
        """HxWx4 float32 view of `data` (x, y, z, rgb-or-pad), for tests and numpy consumers."""
        return np.frombuffer(self.data, "<f4").reshape(self.height, self.width, 4)


@lru_cache(maxsize=16)
def _rays(camera: PinholeCamera, height: int, width: int, decimation: int):
    """Per-column (u - cx) / fx and per-row (v - cy) / fy at full-resolution pixel coordinates.

    The pinhole ray grid is separable, so two 1-D vectors are the whole grid; cached because a
    node calls this with the same camera every frame.
    """
    u = np.arange(0, width, decimation, dtype=np.float64)
    v = np.arange(0, height, decimation, dtype=np.float64)
    rx = ((u - camera.cx) / camera.fx).astype(np.float32)
    ry = ((v - camera.cy) / camera.fy).astype(np.float32)
    rx.flags.writeable = ry.flags.writeable = False
    return rx, ry


def _check_shape(name, array, shape):
    if array.shape[:2] != shape:
        raise InputError("size_mismatch", f"{name} is {array.shape[1]}x{array.shape[0]}, "
                         f"depth is {shape[1]}x{shape[0]}", "resample it to the depth's size")


def backproject(depth, camera, rgb=None, uncertainty=None, max_uncertainty=None,
                decimation=1) -> PointBuffer:
    """Organised cloud in the optical frame (REP 103: x right, y down, z forward).

    depth: HxW float metres (invalid: NaN, inf, <= 0) or uint16 millimetres (0 invalid), as
    depth_image_proc reads them. X = (u - cx) Z / fx, Y = (v - cy) Z / fy. Pixels whose
    `uncertainty` exceeds `max_uncertainty` (or is NaN) become NaN points. `decimation` d keeps
    every d-th pixel in both axes, at its full-resolution pixel coordinates.
    rgb: HxWx3 uint8 RGB, packed as a float32 whose bytes are 0x00RRGGBB (little-endian B,G,R,0:
    the PCL / RViz convention).
    """
    depth = np.asarray(depth)
    if depth.ndim != 2:
        raise InputError("size_mismatch", f"depth must be HxW, got shape {depth.shape}")
    shape = depth.shape
    if (camera.height, camera.width) != shape:
        raise InputError("size_mismatch", f"camera_info is {camera.width}x{camera.height}, depth is "
                         f"{shape[1]}x{shape[0]}", "use camera.scaled() for the depth's resolution")
    if rgb is not None:
        rgb = np.asarray(rgb)
        _check_shape("rgb", rgb, shape)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise InputError("encoding", f"rgb must be HxWx3 uint8, got {rgb.shape} {rgb.dtype}")
    d = int(decimation)
    if d < 1:
        raise ValueError(f"decimation must be >= 1, got {decimation}")
    if depth.dtype == np.uint16:
        z = depth[::d, ::d].astype(np.float32) * np.float32(0.001)
    else:
        z = depth[::d, ::d].astype(np.float32)  # a copy: we write NaN into it
    invalid = ~((z > 0) & (z < np.inf))  # NaN compares False, so it is invalid too
    if uncertainty is not None and max_uncertainty is not None:
        unc = np.asarray(uncertainty)
        _check_shape("uncertainty", unc, shape)
        invalid |= ~(unc[::d, ::d] <= max_uncertainty)
    z[invalid] = np.nan

    rx, ry = _rays(camera, shape[0], shape[1], d)
    h, w = z.shape
    # Written in place into the buffer handed to ROS: an ndarray + tobytes() would allocate and
    # page-fault a second 5 MB block per 640x480 frame (measured ~3 ms of a ~4.5 ms call).
    data = bytearray(h * w * POINT_STEP)
    out = np.frombuffer(data, dtype="<f4").reshape(h, w, 4)
    np.multiply(z, rx[None, :], out=out[:, :, 0])
    np.multiply(z, ry[:, None], out=out[:, :, 1])
    out[:, :, 2] = z
    if rgb is not None:  # else the 4th float stays zero padding (bytearray starts zeroed)
        last = out.view(np.uint8).reshape(h, w, POINT_STEP)[:, :, 12:15]  # bytes of the 4th float
        last[...] = rgb[::d, ::d, ::-1]  # little-endian 0x00RRGGBB is the bytes B, G, R, 0
    return PointBuffer(fields_xyz(rgb is not None), POINT_STEP, h, w, data)
