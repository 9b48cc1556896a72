"""Solid primitives in their own (local) frame: ray intersection and surface attributes.

Each primitive is a canonical solid centred at its local origin -- a box of half-sizes, an
ellipsoid of radii, a frustum along local z (cylinders and cones are frustums), a rectangle in
local z = 0 -- placed in the world by a rotation `R` (world-from-local) and a `center`.

Rays arrive already in the local frame as component tuples (ox, oy, oz), (dx, dy, dz) whose
entries are float32 scalars or equal-shaped float32 arrays: a camera's rays share one origin, a
shadow batch towards the sun shares one direction, and broadcasting skips the constant half.
Directions need not be unit length (camera rays have optical z = 1, so t is the depth itself).

`hit` returns t of the first surface crossing with t > tmin (inf where none), so a ray starting
inside a solid still meets its inner wall. `surface` returns, for local hit points, the local
outward normal and texture coordinates (u, v) in METRES, so a material maps at one physical scale
on every object -- a scale cue the depth network can learn from.
"""
import math

import numpy as np

INF = np.float32(np.inf)
_SIGNS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], float)


def _first(tmin, *candidates):
    """Per ray, the smallest candidate t > tmin; candidates are (t, valid-mask) pairs."""
    best = None
    for t, ok in candidates:
        t = np.where(ok & (t > tmin), t, INF)
        best = t if best is None else np.minimum(best, t)
    return best


def _errstate():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def yaw_matrix(yaw: float) -> np.ndarray:
    c, s = math.cos(yaw), math.sin(yaw)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def axis_matrix(axis, yaw: float = 0.0) -> np.ndarray:
    """A rotation taking local z to the unit vector `axis` (then spun by yaw about it)."""
    ax, ay, az = (float(a) for a in axis)
    n = math.sqrt(ax * ax + ay * ay + az * az)
    z = (ax / n, ay / n, az / n)
    if abs(z[0]) < 0.9:                      # x = normalise(e_x cross z)
        x = (0.0, -z[2], z[1])
    else:                                    # x = normalise(e_y cross z)
        x = (z[2], 0.0, -z[0])
    m = math.sqrt(x[0] ** 2 + x[1] ** 2 + x[2] ** 2)
    x = (x[0] / m, x[1] / m, x[2] / m)
    y = (z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0])
    return np.array([x, y, z]).T @ yaw_matrix(yaw)


class Primitive:
    """Placement, material and shadow flag shared by all shapes; shapes add hit/surface/extent."""

    def __init__(self, center, R=None, material=None, casts_shadow=True):
        self.center = np.asarray(center, np.float64)
        self.R = np.eye(3) if R is None else np.asarray(R, np.float64)
        self.material = material
        self.casts_shadow = casts_shadow

    half_extent = (INF, INF, INF)  # local bounding half-sizes; inf = unbounded (never culled)

    def corners(self):
        """8 world corners of the local bounding box, or None when unbounded."""
        cached = self.__dict__.get("_corners", False)
        if cached is not False:
            return cached
        e = np.asarray(self.half_extent, np.float64)
        corners = None
        if np.all(np.isfinite(e)):
            corners = self.center + (_SIGNS * e) @ self.R.T
        self._corners = corners        # primitives never move: compute once
        return corners


class Box(Primitive):
    """Oriented box; faces map textures planar, vertical faces with v = height, unmirrored."""

    def __init__(self, center, half, R=None, material=None, casts_shadow=True):
        super().__init__(center, R, material, casts_shadow)
        self.half = tuple(float(h) for h in half)
        self.half_extent = self.half

    def hit(self, o, d, tmin):
        tn, tf = -INF, INF
        with _errstate():
            for k in range(3):
                inv = np.float32(1.0) / d[k]
                t1 = (-self.half[k] - o[k]) * inv
                t2 = (self.half[k] - o[k]) * inv
                tn = np.maximum(tn, np.minimum(t1, t2))
                tf = np.minimum(tf, np.maximum(t1, t2))
        t = np.where(tn > tmin, tn, tf)
        return np.where((tn <= tf) & (t > tmin), t, INF)

    def surface(self, p):
        h = np.asarray(self.half, np.float32)[:, None]
        P = np.stack(p)
        face = np.argmin(h - np.abs(P), axis=0)  # the nearest face is the one that was hit
        cols = np.arange(P.shape[1])
        s = np.where(P[face, cols] >= 0, np.float32(1), np.float32(-1))
        n = np.zeros_like(P)
        n[face, cols] = s
        x, y, z = p
        hx, hy, hz = self.half
        # u runs to the viewer's right on the side faces (viewer outside, z up): images read correctly.
        u = np.where(face == 0, s * y + hy, np.where(face == 1, hx - s * x, x + hx))
        v = np.where(face == 2, y + hy, z + hz)
        return n, u, v


class Ellipsoid(Primitive):
    """Ellipsoid of radii (a, b, c): spheres, tree crowns, bushes, cushions, heads."""

    def __init__(self, center, radii, R=None, material=None, casts_shadow=True):
        super().__init__(center, R, material, casts_shadow)
        self.radii = tuple(float(r) for r in radii)
        self.half_extent = self.radii

    def hit(self, o, d, tmin):
        o = [o[k] / np.float32(self.radii[k]) for k in range(3)]  # unit sphere; t is unchanged
        d = [d[k] / np.float32(self.radii[k]) for k in range(3)]
        a = d[0] * d[0] + d[1] * d[1] + d[2] * d[2]
        b = o[0] * d[0] + o[1] * d[1] + o[2] * d[2]
        c = o[0] * o[0] + o[1] * o[1] + o[2] * o[2] - np.float32(1)
        disc = b * b - a * c
        with _errstate():
            sq = np.sqrt(disc)
            t0, t1 = (-b - sq) / a, (-b + sq) / a
        ok = disc >= 0
        return _first(tmin, (t0, ok), (t1, ok))

    def surface(self, p):
        a, b, c = self.radii
        n = np.stack([p[0] / (a * a), p[1] / (b * b), p[2] / (c * c)])
        n /= np.linalg.norm(n, axis=0, keepdims=True)
        u = np.arctan2(p[1], p[0]) * np.float32(0.5 * (a + b))
        v = np.arcsin(np.clip(p[2] / np.float32(c), -1, 1)) * np.float32(c)
        return n, u, v


class Frustum(Primitive):
    """Capped frustum along local z: radius r0 at z = -h, r1 at z = +h (cylinder, cone, lamp shade)."""

    def __init__(self, center, r0, r1, half_height, R=None, material=None, casts_shadow=True):
        super().__init__(center, R, material, casts_shadow)
        self.r0, self.r1, self.h = float(r0), float(r1), float(half_height)
        self.k = (self.r1 - self.r0) / (2.0 * self.h)     # radius slope dr/dz
        self.a0 = self.r0 + self.k * self.h               # radius at z = 0
        rmax = max(self.r0, self.r1)
        self.half_extent = (rmax, rmax, self.h)

    def hit(self, o, d, tmin):
        f32 = np.float32
        k, a0, h = f32(self.k), f32(self.a0), f32(self.h)
        rz = a0 + k * o[2]                                  # radius at the origin's height
        a = d[0] * d[0] + d[1] * d[1] - k * k * d[2] * d[2]
        b = o[0] * d[0] + o[1] * d[1] - k * rz * d[2]
        c = o[0] * o[0] + o[1] * o[1] - rz * rz
        disc = b * b - a * c
        cands = []
        with _errstate():
            sq = np.sqrt(disc)
            for t in ((-b - sq) / a, (-b + sq) / a):  # the side surface, inside the slab only
                cands.append((t, (disc >= 0) & (np.abs(o[2] + t * d[2]) <= h)))
            for zc, rc in ((-h, f32(self.r0)), (h, f32(self.r1))):  # the two caps
                t = (zc - o[2]) / d[2]
                x, y = o[0] + t * d[0], o[1] + t * d[1]
                cands.append((t, x * x + y * y <= rc * rc))
        return _first(tmin, *cands)

    def surface(self, p):
        x, y, z = p
        rz = np.float32(self.a0) + np.float32(self.k) * z
        rho = np.sqrt(x * x + y * y)
        slant = 1.0 / math.sqrt(1.0 + self.k * self.k)
        cap = (np.float32(self.h) - np.abs(z)) < (rz - rho) * np.float32(slant)
        side = np.stack([x, y, -np.float32(self.k) * rz])
        side /= np.maximum(np.linalg.norm(side, axis=0, keepdims=True), np.float32(1e-12))
        capn = np.stack([np.zeros_like(z), np.zeros_like(z), np.sign(z)])
        n = np.where(cap[None], capn, side)
        rmean = np.float32(0.5 * (self.r0 + self.r1))
        u = np.where(cap, x, np.arctan2(y, x) * rmean)
        v = np.where(cap, y, z + np.float32(self.h))
        return n, u, v


def Cylinder(center, radius, half_height, R=None, material=None, casts_shadow=True):
    return Frustum(center, radius, radius, half_height, R, material, casts_shadow)


def Cone(center, radius, half_height, R=None, material=None, casts_shadow=True, top_radius=0.0):
    return Frustum(center, radius, top_radius, half_height, R, material, casts_shadow)


class Rect(Primitive):
    """Rectangle in local z = 0 with half-sizes (hx, hy); inf half-sizes give an infinite plane."""

    def __init__(self, center, hx, hy, R=None, material=None, casts_shadow=True):
        super().__init__(center, R, material, casts_shadow)
        self.hx, self.hy = float(hx), float(hy)
        self.half_extent = (self.hx, self.hy, 0.0)

    def hit(self, o, d, tmin):
        with _errstate():
            t = -o[2] / d[2]
            ok = t > tmin
            if math.isfinite(self.hx):
                ok &= np.abs(o[0] + t * d[0]) <= np.float32(self.hx)
            if math.isfinite(self.hy):
                ok &= np.abs(o[1] + t * d[1]) <= np.float32(self.hy)
        return np.where(ok, t, INF)

    def surface(self, p):
        x, y, _ = p
        n = np.stack([np.zeros_like(x), np.zeros_like(x), np.ones_like(x)])
        ou = self.hx if math.isfinite(self.hx) else 0.0
        ov = self.hy if math.isfinite(self.hy) else 0.0
        return n, x + np.float32(ou), y + np.float32(ov)
