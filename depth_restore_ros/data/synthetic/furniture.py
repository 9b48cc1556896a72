"""Indoor objects at their real sizes (tables 0.72-0.78 m, seats 0.43-0.48 m, doors ~2 m, ...).

Each generator draws its dimensions and materials from `rng` and returns (size_x, size_y, build):
the footprint the placer must find room for, and a function that adds the parts to a `Placed`
frame. Object frame: x along the object's width, y its depth with the BACK at +y (against a wall),
z up from the floor. True sizes with modest variation are what make one image metric.
"""
import math

import numpy as np

from .materials import emissive, make, picture
from .scene import Placed
from .textures import PICTURES


def _u(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def _tabletop_items(o, rng, x_half, y_half, z):
    """Cups, bottles, books, bowls, laptops: small things of well-known size."""
    for _ in range(int(rng.integers(0, 5))):
        x, y = _u(rng, -x_half * 0.8, x_half * 0.8), _u(rng, -y_half * 0.7, y_half * 0.7)
        kind = int(rng.integers(5))
        if kind == 0:
            o.cylinder((x, y, z + 0.05), _u(rng, 0.035, 0.045), 0.1, make("plastic", rng))
        elif kind == 1:
            h = _u(rng, 0.2, 0.3)
            m = make("glass", rng, tint=tuple(rng.uniform(0.1, 0.5, 3)))
            o.cylinder((x, y, z + h * 0.35), 0.035, h * 0.7, m)
            o.frustum((x, y, z + h * 0.85), 0.035, 0.013, h * 0.3, m)
        elif kind == 2:
            o.box((x, y, z + 0.015), (0.16, 0.23, 0.03), make("painted", rng), yaw=_u(rng, -1, 1))
        elif kind == 3:
            o.ellipsoid((x, y, z), (0.09, 0.09, 0.05), make("plastic", rng))
        else:
            yaw = _u(rng, -0.4, 0.4)
            o.box((x, y, z + 0.01), (0.33, 0.23, 0.02), make("metal", rng), yaw=yaw)
            o.box((x - 0.11 * math.sin(yaw), y + 0.11 * math.cos(yaw), z + 0.13), (0.33, 0.01, 0.22),
                  picture(PICTURES[int(rng.integers(len(PICTURES)))], 0.33, 0.22, rng), yaw=yaw)


def chair(rng, back_yaw=0.0):
    seat_h, w, d = _u(rng, 0.43, 0.48), _u(rng, 0.4, 0.48), _u(rng, 0.4, 0.48)
    back_h, leg = _u(rng, 0.35, 0.5), _u(rng, 0.025, 0.04)
    frame, seat = make(("wood", "metal", "painted")[int(rng.integers(3))], rng), make("fabric", rng)
    stool = rng.random() < 0.15

    def build(o):
        if stool:
            o.cylinder((0, 0, seat_h - 0.02), w / 2, 0.04, seat)
            o.cylinder((0, 0, (seat_h - 0.04) / 2), leg, seat_h - 0.04, frame)
            o.cylinder((0, 0, 0.01), w / 2.5, 0.02, frame)
            return
        o.box((0, 0, seat_h - 0.025), (w, d, 0.05), seat)
        for sx in (-1, 1):
            for sy in (-1, 1):
                o.box((sx * (w / 2 - leg), sy * (d / 2 - leg), (seat_h - 0.05) / 2), (leg, leg, seat_h - 0.05), frame)
        o.box((0, d / 2 - 0.02, seat_h + back_h / 2), (w, 0.035, back_h), seat if rng.random() < 0.5 else frame)
    return w, d, build


def table_group(rng):
    """A dining/meeting table with 0-6 chairs around it (the group's footprint includes them)."""
    h = _u(rng, 0.72, 0.78)
    top = make(("wood", "painted")[int(rng.integers(2))], rng)
    round_ = rng.random() < 0.25
    L, W = (2 * _u(rng, 0.4, 0.65),) * 2 if round_ else (_u(rng, 0.8, 2.0), _u(rng, 0.6, 1.0))
    seats = [(0, -1), (0, 1)] + ([(-1, 0), (1, 0)] if L > 1.4 or round_ else [])
    seats = [s for s in seats if rng.random() < 0.7]
    chairs = [chair(rng) for _ in seats]
    leg, thick = _u(rng, 0.04, 0.07), _u(rng, 0.025, 0.05)

    def build(o):
        if round_:
            o.cylinder((0, 0, h - thick / 2), L / 2, thick, top)
            o.cylinder((0, 0, h / 2), 0.05, h - thick, top)
            o.cylinder((0, 0, 0.015), 0.28, 0.03, top)
        else:
            o.box((0, 0, h - thick / 2), (L, W, thick), top)
            for sx in (-1, 1):
                for sy in (-1, 1):
                    o.box((sx * (L / 2 - leg), sy * (W / 2 - leg), (h - thick) / 2), (leg, leg, h - thick), top)
        _tabletop_items(o, rng, L / 2, W / 2, h)
        for (sx, sy), (cw, cd, cbuild) in zip(seats, chairs):
            dist = (L / 2 if sx else W / 2) + cd * _u(rng, 0.1, 0.5)
            yaw = math.atan2(sx, -sy) + math.pi + _u(rng, -0.25, 0.25)   # back away from the table
            cbuild(Placed(o.scene, *o.world((sx * dist, sy * dist, 0))[:2], o.yaw + yaw))
    return L + 1.0, W + 1.0, build


def shelf(rng, room_h):
    W, D, H = _u(rng, 0.6, 1.4), _u(rng, 0.28, 0.4), min(room_h - 0.2, _u(rng, 1.0, 2.2))
    body = make(("wood", "painted", "metal")[int(rng.integers(3))], rng)
    gap = _u(rng, 0.3, 0.42)

    def build(o):
        t = 0.02
        for sx in (-1, 1):
            o.box((sx * (W / 2 - t / 2), 0, H / 2), (t, D, H), body)
        o.box((0, D / 2 - 0.005, H / 2), (W, 0.01, H), body)
        z = 0.08
        while z < H - 0.05:
            o.box((0, 0, z - t / 2), (W - 2 * t, D, t), body)
            x = -W / 2 + t
            while x < W / 2 - t - 0.1 and z + 0.2 < H:
                ln = min(_u(rng, 0.15, W), W / 2 - t - x)
                if rng.random() < 0.75:
                    bh = min(gap - 0.03, _u(rng, 0.18, 0.3))
                    o.box((x + ln / 2, 0.0, z + bh / 2), (ln, D * 0.8, bh), make("books", rng, scale=(0.8, bh * 1.33)))
                elif rng.random() < 0.5:
                    s = min(gap - 0.05, _u(rng, 0.1, 0.25))
                    o.box((x + ln / 2, 0, z + s / 2), (min(ln, s * 1.5), D * 0.7, s), make("cardboard", rng))
                x += ln + _u(rng, 0.0, 0.15)
            z += gap
        o.box((0, 0, H - t / 2), (W, D, t), body)
    return W, D, build


def cupboard(rng, room_h):
    tall = rng.random() < 0.4
    W, D = _u(rng, 0.5, 2.2), _u(rng, 0.45, 0.62)
    H = min(room_h - 0.1, _u(rng, 1.8, 2.2)) if tall else _u(rng, 0.85, 0.92)
    body, handle = make(("wood", "painted")[int(rng.integers(2))], rng), make("metal", rng)
    counter = make(("wood", "concrete", "metal")[int(rng.integers(3))], rng)

    def build(o):
        o.box((0, 0.01, H / 2), (W, D - 0.02, H), body)
        n = max(1, int(round(W / _u(rng, 0.45, 0.65))))
        dw = W / n
        for i in range(n):
            x = -W / 2 + (i + 0.5) * dw
            o.box((x, -D / 2 + 0.005, H / 2 + 0.03), (dw - 0.006, 0.02, H - 0.08), body)
            hx = x + (dw / 2 - 0.06) * (1 if i % 2 else -1)
            o.box((hx, -D / 2 - 0.02, H * (0.45 if tall else 0.8)), (0.015, 0.025, 0.12), handle)
        if not tall:
            o.box((0, -0.01, H + 0.015), (W + 0.02, D + 0.02, 0.03), counter)
            if rng.random() < 0.5:
                _tabletop_items(o, rng, W / 2, D / 3, H + 0.03)
    return W, D, build


def sofa(rng):
    W, D = _u(rng, 1.5, 2.4), _u(rng, 0.8, 0.95)
    cloth = make("fabric", rng)

    def build(o):
        o.box((0, 0, 0.21), (W, D, 0.42), cloth)
        o.box((0, D / 2 - 0.1, 0.45), (W, 0.2, 0.9), cloth)
        for sx in (-1, 1):
            o.box((sx * (W / 2 - 0.08), 0, 0.31), (0.16, D, 0.62), cloth)
        for i in range(int(rng.integers(0, 4))):
            o.ellipsoid((_u(rng, -W / 2 + 0.35, W / 2 - 0.35), D / 2 - 0.3, 0.6), (0.2, 0.08, 0.17),
                        make("fabric", rng), yaw=_u(rng, -0.3, 0.3))
    return W, D, build


def bed(rng):
    W, L = (0.9, 1.4, 1.6, 1.8)[int(rng.integers(4))], _u(rng, 1.95, 2.1)
    frame, sheet = make("wood", rng), make("fabric", rng)

    def build(o):
        o.box((0, 0, 0.15), (W, L, 0.3), frame)
        o.box((0, 0, 0.4), (W - 0.04, L - 0.04, 0.2), make("fabric", rng, tint=(0.9, 0.9, 0.88)))
        o.box((0, -0.25, 0.51), (W, L * 0.7, 0.04), sheet)
        o.box((0, L / 2 + 0.03, 0.5), (W + 0.04, 0.06, 1.0), frame)
        for x in ([0] if W < 1.2 else [-W / 4, W / 4]):
            o.ellipsoid((x, L / 2 - 0.25, 0.55), (min(0.3, W / 4.5), 0.18, 0.07), make("fabric", rng, tint=(0.92, 0.92, 0.9)))
    return W, L + 0.06, build


def desk(rng):
    W, D, h = _u(rng, 1.1, 1.7), _u(rng, 0.6, 0.8), _u(rng, 0.72, 0.76)
    top = make(("wood", "painted")[int(rng.integers(2))], rng)
    ch = chair(rng)

    def build(outer):
        o = Placed(outer.scene, *outer.world((0, 0.4, 0))[:2], outer.yaw)  # desk at the back of its footprint
        o.box((0, 0, h - 0.015), (W, D, 0.03), top)
        for sx in (-1, 1):
            o.box((sx * (W / 2 - 0.02), 0, (h - 0.03) / 2), (0.03, D - 0.04, h - 0.03), top)
        sw, sh = _u(rng, 0.5, 0.7), _u(rng, 0.3, 0.42)
        o.box((0, D / 4, h + 0.06), (0.05, 0.05, 0.12), make("metal", rng))
        screen = picture(PICTURES[int(rng.integers(len(PICTURES)))], sw, sh, rng)
        screen.emission = _u(rng, 0.0, 0.8)
        o.box((0, D / 4 - 0.03, h + 0.1 + sh / 2), (sw, 0.025, sh), screen)
        o.box((0, -D / 5, h + 0.01), (0.44, 0.14, 0.02), make("plastic", rng))
        cw, cd, cbuild = ch
        cbuild(Placed(o.scene, *o.world((_u(rng, -0.2, 0.2), -D / 2 - cd * 0.3, 0))[:2], o.yaw + _u(rng, -0.4, 0.4)))
    return W, D + 0.8, build


def boxes(rng):
    sizes = [(_u(rng, 0.25, 0.6), _u(rng, 0.25, 0.6), _u(rng, 0.2, 0.5)) for _ in range(int(rng.integers(1, 5)))]
    W = max(s[0] for s in sizes) + 0.1
    D = max(s[1] for s in sizes) + 0.1

    def build(o):
        z = 0.0
        for (sx, sy, sz) in sizes:
            o.box((_u(rng, -0.03, 0.03), _u(rng, -0.03, 0.03), z + sz / 2), (sx, sy, sz), make("cardboard", rng),
                  yaw=_u(rng, -0.15, 0.15))
            z += sz
    return W, D, build


def plant(rng):
    r, h = _u(rng, 0.1, 0.2), _u(rng, 0.25, 0.5)
    pot = make(("plastic", "concrete", "painted")[int(rng.integers(3))], rng)

    def build(o):
        o.frustum((0, 0, h / 2), r * 0.8, r, h, pot)
        for _ in range(int(rng.integers(1, 4))):
            s = _u(rng, 0.2, 0.45)
            o.ellipsoid((_u(rng, -0.1, 0.1), _u(rng, -0.1, 0.1), h + s * _u(rng, 0.6, 1.4)), (s, s, s * _u(rng, 0.8, 1.5)),
                        make("foliage", rng, scale=(0.4, 0.4)))
    return 2 * r + 0.3, 2 * r + 0.3, build


def floor_lamp(rng):
    hgt = _u(rng, 1.4, 1.75)

    def build(o):
        metal = make("metal", rng)
        o.cylinder((0, 0, 0.01), 0.15, 0.02, metal)
        o.cylinder((0, 0, hgt / 2), 0.012, hgt, metal)
        o.frustum((0, 0, hgt + 0.1), 0.22, 0.14, 0.28, emissive(rng, (0.3, 0.8), texture="fabric"), shadow=False)
    return 0.45, 0.45, build


def small_item(rng):
    """Bins and balls: common floor clutter of unmistakable size."""
    if rng.random() < 0.5:
        r, h = _u(rng, 0.13, 0.2), _u(rng, 0.3, 0.5)
        return 2 * r, 2 * r, lambda o: o.cylinder((0, 0, h / 2), r, h, make("plastic", rng))
    r = (0.033, 0.11, 0.12, 0.33)[int(rng.integers(4))]
    return 2 * r, 2 * r, lambda o: o.ellipsoid((0, 0, r), r, make("plastic", rng))


def column(rng, room_h):
    r = _u(rng, 0.18, 0.3)
    m = make(("concrete", "plaster")[int(rng.integers(2))], rng)
    if rng.random() < 0.5:
        return 2 * r, 2 * r, lambda o: o.cylinder((0, 0, room_h / 2), r, room_h, m)
    return 2 * r, 2 * r, lambda o: o.box((0, 0, room_h / 2), (2 * r, 2 * r, room_h), m)


def tv_stand(rng):
    W = _u(rng, 1.0, 1.8)
    sw = _u(rng, 0.9, min(W, 1.45))

    def build(o):
        o.box((0, 0, 0.25), (W, 0.4, 0.5), make(("wood", "painted")[int(rng.integers(2))], rng))
        scr = picture(PICTURES[int(rng.integers(len(PICTURES)))], sw, sw * 0.5625, rng)
        scr.emission = _u(rng, 0.0, 0.6)
        o.box((0, 0.05, 0.55 + sw * 0.28), (sw, 0.05, sw * 0.5625), scr)
        o.box((0, 0.05, 0.52), (0.3, 0.2, 0.04), make("metal", rng))
    return W, 0.4, build


# name -> (generator(rng, room_h), against a wall?)
CATALOGUE = {
    "table": (lambda rng, h: table_group(rng), False),
    "chair": (lambda rng, h: chair(rng), False),
    "shelf": (shelf, True),
    "cupboard": (cupboard, True),
    "sofa": (lambda rng, h: sofa(rng), True),
    "bed": (lambda rng, h: bed(rng), True),
    "desk": (lambda rng, h: desk(rng), True),
    "boxes": (lambda rng, h: boxes(rng), None),       # None: either
    "plant": (lambda rng, h: plant(rng), None),
    "lamp": (lambda rng, h: floor_lamp(rng), None),
    "item": (lambda rng, h: small_item(rng), None),
    "column": (column, False),
    "tv": (lambda rng, h: tv_stand(rng), True),
}

ROOM_TYPES = {  # relative weights of objects per room type: things that belong together
    "living": dict(sofa=3, tv=2, table=2, shelf=2, plant=2, lamp=1, item=1, chair=1),
    "office": dict(desk=4, shelf=2, cupboard=2, boxes=1, plant=1, item=2, chair=1, table=1),
    "kitchen": dict(cupboard=5, table=2, chair=1, plant=1, item=1, boxes=1),
    "bedroom": dict(bed=2, cupboard=2, desk=1, shelf=1, plant=1, lamp=1, item=1),
    "storage": dict(boxes=6, shelf=3, column=1, item=2, cupboard=1),
    "corridor": dict(plant=2, item=2, boxes=1, cupboard=1, shelf=1),
}
