"""Pinhole intrinsics from sensor_msgs/CameraInfo, and what they become when the image is resized.

Geometry comes from CameraInfo, never from the image size: a point cloud built from width/2 and a
guessed focal length is silently wrong. Pixel convention (ROS / OpenCV): integer pixel coordinates
are pixel *centres*; pixel u covers [u - 0.5, u + 0.5], so the image spans [-0.5, width - 0.5].
"""
import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError


def _finite(values):
    return all(math.isfinite(v) for v in values)


@dataclass(frozen=True)
class PinholeCamera:
    """Intrinsics (pixels) of an undistorted image of `width` x `height` pixels."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    def __post_init__(self):
        if not _finite((self.fx, self.fy, self.cx, self.cy)) or self.fx <= 0 or self.fy <= 0:
            raise InputError("camera_info", f"invalid intrinsics fx={self.fx} fy={self.fy} "
                             f"cx={self.cx} cy={self.cy}", "fx, fy must be finite and > 0")
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise InputError("camera_info", f"camera_info has zero size {self.width}x{self.height}",
                             "the camera driver must fill width and height")
        # Normalise types so that equal cameras hash equal (they key the ray cache).
        for name in ("fx", "fy", "cx", "cy"):
            object.__setattr__(self, name, float(getattr(self, name)))
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))

    @classmethod
    def from_camera_info(cls, k, p, width, height, rectified=False) -> "PinholeCamera":
        """From CameraInfo K (9, row-major) or, for already-rectified images (image_rect), P (12).

        Rectified images follow P, not K: rectification can change the focal length and centre.
        """
        name, m, n = ("P", p, 12) if rectified else ("K", k, 9)
        m = [] if m is None else [float(v) for v in np.asarray(m, dtype=float).ravel()]
        if len(m) != n:
            raise InputError("camera_info", f"camera_info {name} has {len(m)} numbers, expected {n}")
        if not any(m):
            raise InputError("camera_info", f"camera_info {name} is all zeros (uncalibrated camera)",
                             "calibrate the camera, or set the field-of-view parameter for a default")
        if rectified:
            fx, cx, fy, cy = m[0], m[2], m[5], m[6]
        else:
            fx, cx, fy, cy = m[0], m[2], m[4], m[5]
        return cls(fx, fy, cx, cy, width, height)

    @classmethod
    def from_fov(cls, width, height, hfov_deg) -> "PinholeCamera":
        """Square pixels, centred principal point, horizontal FOV across the full image width."""
        if not (0.0 < float(hfov_deg) < 180.0):
            raise InputError("camera_info", f"horizontal field of view {hfov_deg} deg not in (0, 180)")
        fx = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        return cls(fx, fx, (width - 1) / 2.0, (height - 1) / 2.0, width, height)

    def scaled(self, width, height) -> "PinholeCamera":
        """The same view resampled (cv2.resize) to `width` x `height`.

        Resizing maps the image edges onto each other: x_edge = x + 0.5 scales by s, so
        cx' = (cx + 0.5) * s - 0.5, not cx * s (which is off by (s - 1) / 2 pixels).
        """
        sx, sy = width / self.width, height / self.height
        return PinholeCamera(self.fx * sx, self.fy * sy, (self.cx + 0.5) * sx - 0.5,
                             (self.cy + 0.5) * sy - 0.5, width, height)

    def decimated(self, d) -> "PinholeCamera":
        """The image made of every d-th pixel (image[::d, ::d]): pixel u' is old pixel d*u'.

        Unlike `scaled`, no resampling happens, pixel centres are kept, so u' = u / d exactly:
        fx' = fx / d, cx' = cx / d.
        """
        d = int(d)
        if d < 1:
            raise ValueError(f"decimation must be >= 1, got {d}")
        return PinholeCamera(self.fx / d, self.fy / d, self.cx / d, self.cy / d,
                             -(-self.width // d), -(-self.height // d))

    def project(self, xyz) -> np.ndarray:
        """Nx3 points in the optical frame (z forward) -> Nx2 pixel coordinates (u, v)."""
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        return np.stack([self.fx * xyz[:, 0] / xyz[:, 2] + self.cx,
                         self.fy * xyz[:, 1] / xyz[:, 2] + self.cy], axis=1)

    def as_tuple(self) -> tuple:
        """(fx, fy, cx, cy): the form Estimator.predict takes."""
        return (self.fx, self.fy, self.cx, self.cy)

    def k_matrix(self) -> list:
        """CameraInfo.k (row-major 3x3)."""
        return [self.fx, 0.0, self.cx, 0.0, self.fy, self.cy, 0.0, 0.0, 1.0]

    def p_matrix(self, tx=0.0) -> list:
        """CameraInfo.p (row-major 3x4); `tx` is P[3] (-fx * baseline for a right stereo camera)."""
        return [self.fx, 0.0, self.cx, float(tx), 0.0, self.fy, self.cy, 0.0, 0.0, 0.0, 1.0, 0.0]
