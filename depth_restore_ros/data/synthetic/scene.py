"""A scene: primitives, lights, sky and the free space a camera may occupy.

Objects are written in their own frame (x forward/along, y sideways, z up, origin on the floor
under the object's centre) with `Placed`, which turns part coordinates into world primitives; the
object's 2-D footprint is recorded so cameras and trajectories stay in free space (a camera inside
a table would see the inside of a box and learn nonsense depth).
"""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import numpy as np

from .primitives import Box, Ellipsoid, Frustum, Rect, axis_matrix, yaw_matrix


@dataclass
class Area:
    """An axis-aligned rectangle a camera may stand in, with its ground height (road, pavement, room)."""
    x0: float
    x1: float
    y0: float
    y1: float
    ground: float = 0.0

    def contains(self, xy, margin=0.0):
        xy = np.atleast_2d(xy)
        return ((xy[:, 0] >= self.x0 + margin) & (xy[:, 0] <= self.x1 - margin)
                & (xy[:, 1] >= self.y0 + margin) & (xy[:, 1] <= self.y1 - margin))


@dataclass
class Sky:
    horizon: Tuple[float, float, float]          # linear radiance at the horizon
    zenith: Tuple[float, float, float]
    clouds: float = 0.0                          # 0 = clear, 1 = overcast
    cloud_scale: float = 2000.0                  # metres per cloud texture tile at 1 km altitude
    sun: Optional[np.ndarray] = None             # unit vector towards the sun (glow)


@dataclass
class Scene:
    kind: str                                    # "indoor" | "outdoor"
    prims: list = field(default_factory=list)
    lights: list = field(default_factory=list)
    ambient: Tuple[float, float, float] = (0.3, 0.3, 0.3)
    sky: Optional[Sky] = None                    # None: a closed room, every ray hits something
    fog: float = 0.0                             # metres; 0 = none, else exp(-distance / fog)
    fog_colour: Tuple[float, float, float] = (0.7, 0.75, 0.8)
    areas: List[Area] = field(default_factory=list)
    footprints: list = field(default_factory=list)   # (cx, cy, hx, hy, yaw) obstacles on the ground
    street_axis: Optional[float] = None          # preferred viewing yaw outdoors (along the street)

    def corners(self):
        """(P, 8, 3) bounding corners of all primitives, cached (primitives never move)."""
        cache = self.__dict__.get("_corners")
        if cache is None or len(cache) != len(self.prims):
            from .raycast import corner_stack
            cache = self._corners = corner_stack(self.prims)
        return cache

    def obstacles(self):
        return np.asarray(self.footprints, np.float64).reshape(-1, 5)

    def is_free(self, xy, clearance, area: Area = None):
        """Per point: inside `area` (or any area) by `clearance`, and that far from every footprint."""
        xy = np.atleast_2d(np.asarray(xy, np.float64))
        areas = [area] if area is not None else self.areas
        ok = np.zeros(len(xy), bool)
        for a in areas:
            ok |= a.contains(xy, clearance)
        fp = self.obstacles()
        if len(fp) and ok.any():
            dx = xy[:, None, 0] - fp[None, :, 0]
            dy = xy[:, None, 1] - fp[None, :, 1]
            c, s = np.cos(fp[:, 4]), np.sin(fp[:, 4])
            lx, ly = c * dx + s * dy, -s * dx + c * dy
            hit = (np.abs(lx) < fp[:, 2] + clearance) & (np.abs(ly) < fp[:, 3] + clearance)
            ok &= ~hit.any(axis=1)
        return ok

    def footprint_free(self, cx, cy, hx, hy, yaw, margin=0.05):
        """Does an object footprint avoid every recorded one? Tests 3x3 samples of each rectangle
        against the other (both ways), vectorised over all recorded footprints."""
        fp = self.obstacles()
        if not len(fp):
            return True
        mine = np.array([[cx, cy, hx + margin, hy + margin, yaw]])
        return not (_inside(_samples(mine), fp).any() or _inside(_samples(fp), mine).any())


_GRID = np.array([[sx, sy] for sx in (-1, 0, 1) for sy in (-1, 0, 1)], float)


def _samples(fp):
    """(K, 9, 2) corner, edge-midpoint and centre points of K footprints (cx, cy, hx, hy, yaw)."""
    c, s = np.cos(fp[:, 4])[:, None], np.sin(fp[:, 4])[:, None]
    gx, gy = _GRID[None, :, 0] * fp[:, 2:3], _GRID[None, :, 1] * fp[:, 3:4]
    return np.stack([fp[:, 0:1] + c * gx - s * gy, fp[:, 1:2] + s * gx + c * gy], axis=-1)


def _inside(points, fp):
    """(K, 9, 2) points vs (M,) footprints -> (K, 9, M) point-in-rectangle."""
    d = points[..., None, :] - fp[:, :2]
    c, s = np.cos(fp[:, 4]), np.sin(fp[:, 4])
    lx, ly = c * d[..., 0] + s * d[..., 1], -s * d[..., 0] + c * d[..., 1]
    return (np.abs(lx) < fp[:, 2]) & (np.abs(ly) < fp[:, 3])


class Placed:
    """An object frame at (x, y, z) with a yaw: parts given in object coordinates become primitives."""

    def __init__(self, scene: Scene, x, y, yaw=0.0, z=0.0):
        self.scene, self.yaw = scene, float(yaw)
        self.R = yaw_matrix(yaw)
        self.origin = np.array([x, y, z], float)

    def world(self, p):
        return self.origin + self.R @ np.asarray(p, float)

    def _add(self, prim):
        self.scene.prims.append(prim)
        return prim

    def box(self, center, size, material, yaw=0.0, shadow=True):
        """Box of full `size` (dx, dy, dz) at object-frame `center`, spun by `yaw` about z."""
        half = np.asarray(size, float) / 2
        return self._add(Box(self.world(center), half, self.R @ yaw_matrix(yaw), material, shadow))

    def frustum(self, center, r0, r1, height, material, axis=(0, 0, 1), shadow=True):
        R = self.R @ axis_matrix(axis)
        return self._add(Frustum(self.world(center), r0, r1, height / 2, R, material, shadow))

    def cylinder(self, center, radius, height, material, axis=(0, 0, 1), shadow=True):
        return self.frustum(center, radius, radius, height, material, axis, shadow)

    def ellipsoid(self, center, radii, material, yaw=0.0, shadow=True):
        radii = (radii,) * 3 if np.isscalar(radii) else radii
        return self._add(Ellipsoid(self.world(center), radii, self.R @ yaw_matrix(yaw), material, shadow))

    def rect(self, center, hx, hy, material, R=None, shadow=False):
        R = self.R if R is None else self.R @ R
        return self._add(Rect(self.world(center), hx, hy, R, material, shadow))

    def footprint(self, size_x, size_y, offset=(0.0, 0.0)):
        """Record this object's ground footprint (full sizes, centred at offset in object frame)."""
        c = self.world([offset[0], offset[1], 0.0])
        self.scene.footprints.append((c[0], c[1], size_x / 2, size_y / 2, self.yaw))
