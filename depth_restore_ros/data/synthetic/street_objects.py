"""Outdoor objects at their real sizes: cars (~1.5 m high, ~4.5 m long), trees, lamp posts, signs,
benches, bins, bollards, traffic cones, people.

Each takes a `Placed` frame (x along the object's length, z up) and `rng`, adds its parts and
records its footprint, so cameras and trajectories keep out of them. Parts that hang above 2.2 m
(crowns, sign plates, lamp arms) are left out of the footprint: a camera may pass beneath them.
"""
from .materials import emissive, make


def _u(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def car(o, rng):
    van = rng.random() < 0.15
    L, W = (_u(rng, 4.6, 5.6), _u(rng, 1.9, 2.05)) if van else (_u(rng, 3.8, 4.9), _u(rng, 1.7, 1.9))
    r = _u(rng, 0.3, 0.35)
    paint, glass, rubber = make("car", rng), make("glass", rng), make("rubber", rng)
    if van:
        top = _u(rng, 1.9, 2.4)
        o.box((0, 0, (0.3 + top) / 2), (L, W, top - 0.3), paint)
        o.box((L / 2 - 0.3, 0, top - 0.55), (0.62, W - 0.1, 0.55), glass)
    else:
        belt, roof = _u(rng, 0.9, 1.05), _u(rng, 1.38, 1.55)
        cab = L * _u(rng, 0.45, 0.58)
        o.box((0, 0, (0.3 + belt) / 2), (L, W, belt - 0.3), paint)
        o.box((-L * 0.06, 0, (belt + roof) / 2), (cab, W - 0.12, roof - belt), glass)
        o.box((-L * 0.06, 0, roof - 0.03), (cab * 0.85, W - 0.14, 0.06), paint)
    for sx in (-1, 1):
        for sy in (-1, 1):
            o.cylinder((sx * (L / 2 - 0.8), sy * (W / 2 - 0.12), r), r, 0.22, rubber, axis=(0, 1, 0))
    lamp = emissive(rng, (0.2, 1.0), tint=(1.0, 0.95, 0.85))
    tail = emissive(rng, (0.1, 0.8), tint=(0.8, 0.05, 0.03))
    bumper = make("rubber", rng, tint=(0.12, 0.12, 0.12))
    for sx in (-1, 1):
        o.box((sx * (L / 2 - 0.06), 0, 0.42), (0.16, W + 0.02, 0.2), bumper, shadow=False)
        for sy in (-1, 1):
            o.box((sx * (L / 2 + 0.005), sy * (W / 2 - 0.22), 0.72), (0.02, 0.28, 0.12), lamp if sx > 0 else tail,
                  shadow=False)
    if not van:
        for sy in (-1, 1):
            o.box((L * 0.18, sy * (W / 2 + 0.08), 1.0), (0.1, 0.16, 0.08), paint)   # wing mirrors
    o.footprint(L, W)


def tree(o, rng):
    trunk_r, trunk_h = _u(rng, 0.1, 0.25), _u(rng, 2.4, 4.0)
    bark = make("bark", rng)
    o.cylinder((0, 0, trunk_h / 2), trunk_r, trunk_h, bark)
    leaves = make("foliage", rng)
    if rng.random() < 0.25:                       # conifer
        h, r = _u(rng, 4.0, 9.0), _u(rng, 1.2, 2.2)
        o.frustum((0, 0, 2.3 + h / 2), r, 0.05, h, leaves)
        o.footprint(2 * r, 2 * r)
        return
    r = _u(rng, 1.2, 3.0)
    rz = r * _u(rng, 0.8, 1.3)
    zc = max(trunk_h + 0.3 * rz, 2.4 + rz)
    o.cylinder((0, 0, (trunk_h + zc) / 2), trunk_r * 0.7, zc - trunk_h + 0.01, bark)
    o.ellipsoid((0, 0, zc), (r, r * _u(rng, 0.8, 1.1), rz), leaves, yaw=_u(rng, 0, 6.3))
    if rng.random() < 0.6:
        s = r * _u(rng, 0.5, 0.8)
        o.ellipsoid((_u(rng, -r, r) * 0.5, _u(rng, -r, r) * 0.5, zc + rz * 0.5), (s, s, s), leaves)
    o.footprint(2 * trunk_r + 0.1, 2 * trunk_r + 0.1)


def lamp_post(o, rng, toward=1.0):
    """A street light; `toward` (+1/-1) is the side (object y) where the road is."""
    h, metal = _u(rng, 5.0, 8.0), make("metal", rng)
    o.cylinder((0, 0, h / 2), _u(rng, 0.06, 0.1), h, metal)
    o.cylinder((0, 0, 0.4), 0.13, 0.8, metal)
    arm = _u(rng, 0.8, 2.0)
    o.box((0, toward * arm / 2, h - 0.05), (0.08, arm, 0.08), metal)
    o.box((0, toward * arm, h - 0.12), (0.3, 0.55, 0.14), metal)
    o.footprint(0.3, 0.3)


def sign(o, rng):
    h = _u(rng, 2.2, 2.7)
    o.cylinder((0, 0, h / 2), 0.035, h, make("metal", rng))
    plate = make("plastic", rng, specular=0.2)
    if rng.random() < 0.5:
        o.cylinder((0.03, 0, h - 0.3), 0.3, 0.02, plate, axis=(1, 0, 0))
    else:
        o.box((0.03, 0, h - 0.3), (0.02, _u(rng, 0.5, 0.8), 0.6), plate)
    o.footprint(0.2, 0.2)


def bench(o, rng):
    L = _u(rng, 1.4, 2.0)
    wood, metal = make("wood", rng), make("metal", rng)
    o.box((0, 0, 0.44), (L, 0.45, 0.05), wood)
    o.box((0, 0.22, 0.7), (L, 0.04, 0.35), wood)
    for sx in (-1, 1):
        o.box((sx * (L / 2 - 0.1), 0, 0.21), (0.06, 0.45, 0.42), metal)
    o.footprint(L, 0.5)


def bin_(o, rng):
    if rng.random() < 0.5:
        r, h = _u(rng, 0.22, 0.3), _u(rng, 0.85, 1.1)
        o.cylinder((0, 0, h / 2), r, h, make("metal", rng))
        o.footprint(2 * r, 2 * r)
    else:                                         # wheelie bin: 0.58 x 0.74 x 1.07 m
        o.box((0, 0, 0.53), (0.58, 0.74, 1.03), make("plastic", rng))
        o.box((0, 0, 1.05), (0.62, 0.8, 0.04), make("plastic", rng))
        o.footprint(0.62, 0.8)


def bollard(o, rng):
    r, h = _u(rng, 0.06, 0.12), _u(rng, 0.8, 1.0)
    m = make(("metal", "painted", "concrete")[int(rng.integers(3))], rng)
    o.cylinder((0, 0, h / 2), r, h, m)
    o.ellipsoid((0, 0, h), (r, r, r * 0.6), m)
    o.footprint(2 * r, 2 * r)


def traffic_cone(o, rng):
    orange = make("plastic", rng, tint=(0.95, 0.35, 0.05))
    h = (0.5, 0.7, 0.9)[int(rng.integers(3))]
    o.box((0, 0, 0.015), (0.38 * h / 0.7, 0.38 * h / 0.7, 0.03), make("rubber", rng))
    o.frustum((0, 0, 0.03 + h / 2), 0.16 * h / 0.7, 0.025, h, orange)
    o.footprint(0.4, 0.4)


def person(o, rng):
    H = _u(rng, 1.55, 1.92)
    skin = make("plastic", rng, tint=tuple(float(c) * k for c, k in zip((0.9, 0.7, 0.55), [rng.uniform(0.45, 1.0)] * 3)), specular=0.1)
    top, legs = make("fabric", rng), make("fabric", rng)
    leg_h = 0.47 * H
    for sy in (-1, 1):
        o.cylinder((0, sy * 0.09, leg_h / 2), 0.07, leg_h, legs)
        o.cylinder((0, sy * 0.24, leg_h + 0.27 * H / 2 + 0.02), 0.045, 0.3 * H, top)
    o.ellipsoid((0, 0, leg_h + 0.17 * H), (0.13, 0.21, 0.17 * H), top)
    o.ellipsoid((0, 0, H - 0.11), (0.09, 0.08, 0.115), skin)
    o.footprint(0.4, 0.6)


def hydrant(o, rng):
    red = make("plastic", rng, tint=(0.75, 0.1, 0.08))
    o.cylinder((0, 0, 0.3), 0.1, 0.6, red)
    o.ellipsoid((0, 0, 0.6), (0.1, 0.1, 0.08), red)
    o.cylinder((0, 0, 0.42), 0.04, 0.34, red, axis=(0, 1, 0))
    o.footprint(0.35, 0.35)


def bush(o, rng):
    r = _u(rng, 0.4, 1.1)
    o.ellipsoid((0, 0, r * 0.6), (r, r * _u(rng, 0.7, 1.2), r * 0.8), make("foliage", rng, scale=(0.6, 0.6)))
    o.footprint(2 * r, 2 * r)


SIDEWALK = {  # object -> relative frequency on a pavement
    "bin": (bin_, 2), "bollard": (bollard, 2), "bench": (bench, 1), "sign": (sign, 2),
    "person": (person, 3), "hydrant": (hydrant, 1), "bush": (bush, 1), "cone": (traffic_cone, 1),
}
