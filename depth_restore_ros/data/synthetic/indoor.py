"""Indoor scenes: a room (3-12 m wide/deep, 2.4-3.5 m high) or a corridor, furnished by room type.

The room shell is floor, ceiling and four wall slabs (which do not cast shadows, so ceiling lamps
light the room); doors (~2 m), windows, pictures and radiators hang on the walls; furniture of real
size is placed against walls or free-standing without overlaps; 1-4 ceiling lamps light it with
shadows. Room x runs 0..W, y 0..D, z 0..H.
"""
import math

import numpy as np

from . import furniture
from .materials import Light, emissive, make, picture
from .scene import Area, Placed, Scene
from .textures import PICTURES, bank

# wall index -> (start corner, unit tangent, inward normal) as functions of room (W, D)
_WALLS = (
    lambda W, D: ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)),
    lambda W, D: ((W, 0.0), (0.0, 1.0), (-1.0, 0.0)),
    lambda W, D: ((W, D), (-1.0, 0.0), (0.0, -1.0)),
    lambda W, D: ((0.0, D), (0.0, -1.0), (1.0, 0.0)),
)


def _u(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def _choice(rng, weights: dict):
    names = list(weights)
    p = np.array([weights[n] for n in names], float)
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def wall_frame(scene, W, D, wall, s, dist):
    """A Placed frame on `wall` at `s` metres along it, `dist` into the room, back (+y) to the wall."""
    (x0, y0), (tx, ty), (nx, ny) = _WALLS[wall](W, D)
    return Placed(scene, x0 + s * tx + nx * dist, y0 + s * ty + ny * dist, math.atan2(nx, -ny))


def _wall_length(W, D, wall):
    return W if wall % 2 == 0 else D


class _WallSlots:
    """Occupied (s0, s1, z0, z1) rectangles per wall, so doors, windows and pictures never overlap."""

    def __init__(self):
        self.used = {w: [] for w in range(4)}

    def take(self, wall, s0, s1, z0, z1):
        if any(s0 < b1 + 0.1 and b0 < s1 + 0.1 and z0 < c1 + 0.05 and c0 < z1 + 0.05
               for b0, b1, c0, c1 in self.used[wall]):
            return False
        self.used[wall].append((s0, s1, z0, z1))
        return True


def _wall_items(scene, rng, W, D, H, corridor, slots):
    # Doors: ~2 m high, 0.8-0.95 m wide; a reserved footprint keeps furniture out of the swing.
    for _ in range(int(rng.integers(2, 7)) if corridor else int(rng.integers(0, 3))):
        wall = int(rng.integers(4))
        L = _wall_length(W, D, wall)
        dw, dh = _u(rng, 0.8, 0.95), _u(rng, 1.98, 2.1)
        if L < dw + 0.5:
            continue
        s = _u(rng, dw / 2 + 0.2, L - dw / 2 - 0.2)
        if not slots.take(wall, s - dw / 2 - 0.1, s + dw / 2 + 0.1, 0.0, dh + 0.05):
            continue
        leaf = make(("wood", "painted")[int(rng.integers(2))], rng)
        o = wall_frame(scene, W, D, wall, s, 0.0)
        o.box((0, 0, dh / 2 + 0.02), (dw + 0.12, 0.06, dh + 0.06), make("painted", rng), shadow=False)
        o.box((0, -0.0225, dh / 2), (dw, 0.045, dh), leaf, shadow=False)
        hx = (dw / 2 - 0.08) * (1 if rng.random() < 0.5 else -1)
        o.cylinder((hx, -0.06, 1.0), 0.008, 0.05, make("metal", rng), axis=(0, 1, 0))
        o.box((hx * 0.93, -0.085, 1.0), (0.12, 0.02, 0.02), make("metal", rng))
        f = wall_frame(scene, W, D, wall, s, 0.5)
        f.footprint(dw, 0.9)
    # Windows (bright: daylight), with a radiator under some; none in corridors.
    for _ in range(0 if corridor else int(rng.integers(0, 4))):
        wall = int(rng.integers(4))
        L = _wall_length(W, D, wall)
        ww, wh, sill = _u(rng, 0.8, 2.0), _u(rng, 1.0, 1.6), _u(rng, 0.8, 1.0)
        wh = min(wh, H - sill - 0.25)
        if L < ww + 0.6 or wh < 0.6:
            continue
        s = _u(rng, ww / 2 + 0.3, L - ww / 2 - 0.3)
        if not slots.take(wall, s - ww / 2 - 0.1, s + ww / 2 + 0.1, sill - 0.1, sill + wh + 0.1):
            continue
        o = wall_frame(scene, W, D, wall, s, 0.0)
        o.box((0, 0, sill + wh / 2), (ww + 0.1, 0.08, wh + 0.1), make("painted", rng, tint=(0.9, 0.9, 0.9)), shadow=False)
        glass = emissive(rng, (1.2, 2.5), tint=(0.8, 0.88, 1.0))
        o.box((0, -0.01, sill + wh / 2), (ww, 0.09, wh), glass, shadow=False)
        o.box((0, -0.06, sill + wh / 2), (0.04, 0.04, wh), make("painted", rng, tint=(0.9, 0.9, 0.9)), shadow=False)
        if rng.random() < 0.5 and sill > 0.75:
            rw = min(ww, _u(rng, 0.6, 1.2))
            o.box((0, -0.06, 0.15 + (sill - 0.3) / 2), (rw, 0.08, sill - 0.3),
                  make("wallpaper", rng, tint=(0.92, 0.92, 0.92), scale=(0.4, 1.0)))
    # Pictures, posters and whiteboards: the photographs of the texture bank, at eye height.
    for _ in range(int(rng.integers(0, 5))):
        wall = int(rng.integers(4))
        L = _wall_length(W, D, wall)
        name = PICTURES[int(rng.integers(len(PICTURES)))]
        pw = _u(rng, 0.3, 1.3)
        ph = pw / bank()[name].aspect
        zc = _u(rng, 1.3, 1.75)
        if L < pw + 0.4 or zc + ph / 2 > H - 0.1:
            continue
        s = _u(rng, pw / 2 + 0.2, L - pw / 2 - 0.2)
        if not slots.take(wall, s - pw / 2, s + pw / 2, zc - ph / 2, zc + ph / 2):
            continue
        o = wall_frame(scene, W, D, wall, s, 0.0)
        o.box((0, -0.005, zc), (pw + 0.06, 0.03, ph + 0.06), make(("wood", "painted")[int(rng.integers(2))], rng),
              shadow=False)
        o.box((0, -0.012, zc), (pw, 0.03, ph), picture(name, pw, ph, rng), shadow=False)


def _room_shell(scene, rng, W, D, H):
    floor = make(("floor_wood", "floor_tiles", "floor_checker", "carpet", "concrete")[int(rng.integers(5))], rng)
    Placed(scene, W / 2, D / 2).rect((0, 0, 0), W / 2, D / 2, floor)
    Placed(scene, W / 2, D / 2).rect((0, 0, H), W / 2, D / 2, make("ceiling", rng))
    kinds = ("plaster", "plaster", "wallpaper", "brick", "concrete")
    shared = make(kinds[int(rng.integers(len(kinds)))], rng)
    skirting = make("painted", rng) if rng.random() < 0.6 else None
    for wall in range(4):
        L = _wall_length(W, D, wall)
        mat = shared if rng.random() < 0.75 else make(kinds[int(rng.integers(len(kinds)))], rng)
        o = wall_frame(scene, W, D, wall, L / 2, 0.0)
        o.box((0, 0.1, H / 2), (L + 0.4, 0.2, H + 0.2), mat, shadow=False)
        if skirting is not None:
            o.box((0, -0.006, 0.04), (L, 0.012, 0.08), skirting, shadow=False)


def _lights(scene, rng, W, D, H):
    n = int(np.clip(round(W * D / _u(rng, 10, 25)), 1, 4))
    colour = np.array((1.0, 0.9, 0.75) if rng.random() < 0.5 else (0.95, 0.97, 1.0)) * _u(rng, 0.8, 1.2)
    nx = max(1, int(round(math.sqrt(n * W / D))))
    ny = max(1, int(math.ceil(n / nx)))
    lamp = emissive(rng, (2.0, 3.0))
    pendant = H > 2.9 and rng.random() < 0.4
    for i in range(nx):
        for j in range(ny):
            x = W * (i + 0.5) / nx + _u(rng, -0.3, 0.3)
            y = D * (j + 0.5) / ny + _u(rng, -0.3, 0.3)
            o = Placed(scene, x, y)
            if pendant:
                drop = _u(rng, 0.3, H - 2.6)
                o.cylinder((0, 0, H - drop / 2), 0.006, drop, make("metal", rng), shadow=False)
                o.frustum((0, 0, H - drop - 0.1), 0.25, 0.06, 0.2, make("painted", rng), shadow=False)
                z = H - drop - 0.25
            elif rng.random() < 0.5:
                o.box((0, 0, H - 0.015), (0.6, 0.6, 0.03), lamp, shadow=False)
                z = H - 0.1
            else:
                o.cylinder((0, 0, H - 0.03), _u(rng, 0.12, 0.25), 0.06, lamp, shadow=False)
                z = H - 0.12
            scene.lights.append(Light("point", tuple(colour * _u(rng, 0.8, 1.2) / math.sqrt(nx * ny)),
                                      position=(x, y, z), falloff=_u(rng, 2.0, 4.0)))


def build_indoor(rng) -> Scene:
    room = _choice(rng, dict(living=3, office=3, kitchen=2, bedroom=2, storage=2, corridor=2))
    corridor = room == "corridor"
    if corridor:
        W, D = _u(rng, 1.6, 2.6), _u(rng, 8.0, 16.0)
    else:
        W, D = _u(rng, 3.0, 12.0), _u(rng, 3.0, 12.0)
    H = _u(rng, 2.4, 3.5)
    scene = Scene("indoor", ambient=tuple(np.array((0.9, 0.9, 1.0)) * _u(rng, 0.12, 0.3)))
    scene.areas = [Area(0.0, W, 0.0, D, 0.0)]
    _room_shell(scene, rng, W, D, H)
    _wall_items(scene, rng, W, D, H, corridor, _WallSlots())
    _lights(scene, rng, W, D, H)
    count = int(np.clip(W * D * _u(rng, 0.08, 0.3), 1 if corridor else 2, 24))
    weights = furniture.ROOM_TYPES[room]
    for _ in range(count):
        gen, at_wall = furniture.CATALOGUE[_choice(rng, weights)]
        sx, sy, build = gen(rng, H)
        at_wall = bool(rng.random() < 0.5) if at_wall is None else at_wall
        spot = _place(scene, rng, W, D, sx, sy, at_wall)
        if spot is not None:
            o = Placed(scene, *spot)
            build(o)
            o.footprint(sx, sy)
    return scene


def _place(scene, rng, W, D, sx, sy, at_wall, tries=25):
    """A free (x, y, yaw) for a footprint of sx by sy inside the room, back to a wall if asked."""
    for _ in range(tries):
        if at_wall:
            wall = int(rng.integers(4))
            L = _wall_length(W, D, wall)
            if L < sx + 0.1:
                continue
            f = wall_frame(scene, W, D, wall, _u(rng, sx / 2 + 0.05, L - sx / 2 - 0.05), sy / 2 + 0.01)
            x, y, yaw = f.origin[0], f.origin[1], f.yaw
        else:
            yaw = (int(rng.integers(4)) * math.pi / 2 + rng.normal(0, 0.1)) if rng.random() < 0.7 else _u(rng, 0, 2 * math.pi)
            x, y = _u(rng, 0, W), _u(rng, 0, D)
        c, s = abs(math.cos(yaw)), abs(math.sin(yaw))
        ex, ey = (c * sx + s * sy) / 2, (s * sx + c * sy) / 2     # axis-aligned half extents
        if x - ex < 0.0 or x + ex > W or y - ey < 0.0 or y + ey > D:
            continue
        if scene.footprint_free(x, y, sx / 2, sy / 2, yaw):
            return x, y, yaw
    return None
