"""Outdoor scenes: a street along world x (road, kerbs, pavements, facades, cars, street furniture)
or, on one side, a park (grass, trees, bushes); sun with shadows, sky with clouds, distance fog.

Sizes follow the real world: lanes 2.8-3.6 m, kerbs 10-18 cm, storeys ~3.1 m (facade textures are
mapped so one window bay is one storey), cars ~1.5 m high, lamp posts 5-8 m. The camera walks on
the road or a pavement (areas), between the obstacles' footprints.
"""
import math

import numpy as np

from . import street_objects as so
from .materials import Light, make
from .primitives import Rect
from .scene import Area, Placed, Scene, Sky

HALF_LENGTH = 80.0          # the street spans x in [-80, 80] m; the camera stays within +-60 m
CAMERA_SPAN = 60.0


def _u(rng, lo, hi):
    return float(rng.uniform(lo, hi))


def _buildings(scene, rng, side, y_front):
    x = -HALF_LENGTH - _u(rng, 0, 10)
    while x < HALF_LENGTH:
        w = _u(rng, 6.0, 25.0)
        storey = _u(rng, 2.9, 3.4)
        h = int(rng.integers(1, 11)) * storey + _u(rng, 0.2, 1.5)
        setback = 0.0 if rng.random() < 0.7 else _u(rng, 0.5, 3.0)
        depth = _u(rng, 10.0, 20.0)
        mat = make("facade", rng)
        mat.scale = (mat.scale[0], storey)
        mat.offset = (mat.offset[0], 0.0)                 # windows sit on the storeys
        o = Placed(scene, x + w / 2, y_front + side * (setback + depth / 2))
        o.box((0, 0, h / 2), (w, depth, h), mat)
        if rng.random() < 0.4:                            # shop fronts on the ground floor
            shop = make("facade", rng, texture="office", tint=tuple(rng.uniform(0.3, 0.9, 3)))
            shop.scale = (_u(rng, 3.0, 5.0), 3.6)
            o.box((0, -side * (depth / 2 + 0.06), 1.8), (w - 0.4, 0.12, 3.6), shop)
        if rng.random() < 0.3:                            # a parapet or roof block breaks the skyline
            o.box((_u(rng, -w / 4, w / 4), 0, h + 1.0), (w * _u(rng, 0.3, 0.7), depth * 0.6, 2.0), mat)
        x += w + (_u(rng, 2.0, 8.0) if rng.random() < 0.2 else 0.0)


def _park(scene, rng, side, y_edge):
    grass = make("grass", rng)
    Placed(scene, 0.0, y_edge + side * 40.0).rect((0, 0, 0.005), HALF_LENGTH, 40.0, grass)
    for _ in range(int(rng.integers(8, 22))):
        o = Placed(scene, _u(rng, -HALF_LENGTH, HALF_LENGTH), y_edge + side * _u(rng, 2.0, 60.0), _u(rng, 0, 6.3))
        if scene.footprint_free(o.origin[0], o.origin[1], 1.5, 1.5, 0.0):
            (so.tree if rng.random() < 0.65 else so.bush)(o, rng)
    for _ in range(int(rng.integers(0, 4))):
        o = Placed(scene, _u(rng, -CAMERA_SPAN, CAMERA_SPAN), y_edge + side * _u(rng, 1.0, 5.0),
                   math.pi * (side < 0) + _u(rng, -0.2, 0.2))
        if scene.footprint_free(o.origin[0], o.origin[1], 1.0, 0.4, o.yaw):
            so.bench(o, rng)


def _parked_cars(scene, rng, y, yaw_base, x0=-CAMERA_SPAN - 15, x1=CAMERA_SPAN + 15):
    x = x0 + _u(rng, 0, 8)
    density = _u(rng, 0.0, 1.0)
    while x < x1:
        if rng.random() < density:
            o = Placed(scene, x, y + _u(rng, -0.15, 0.15), yaw_base + _u(rng, -0.04, 0.04))
            so.car(o, rng)
            x += 5.5 + _u(rng, 0.3, 2.5)
        else:
            x += _u(rng, 2.0, 8.0)


def _sidewalk_things(scene, rng, side, R, S, hk):
    y_kerb = side * (R + 0.45)
    x = -HALF_LENGTH + _u(rng, 0, 30)
    while x < HALF_LENGTH:                              # street lights at regular spacing
        so.lamp_post(Placed(scene, x, y_kerb, 0.0, hk), rng, toward=-side)
        x += _u(rng, 18.0, 35.0)
    if S > 2.4 and rng.random() < 0.6:                  # a row of street trees
        x, y = -HALF_LENGTH + _u(rng, 0, 10), side * (R + min(1.2, S / 2))
        while x < HALF_LENGTH:
            if scene.footprint_free(x, y, 0.4, 0.4, 0.0):
                so.tree(Placed(scene, x, y, 0.0, hk), rng)
            x += _u(rng, 6.0, 15.0)
    names = list(so.SIDEWALK)
    p = np.array([so.SIDEWALK[n][1] for n in names], float)
    for _ in range(int(rng.integers(2, 14))):
        make_thing = so.SIDEWALK[names[int(rng.choice(len(names), p=p / p.sum()))]][0]
        x, y = _u(rng, -CAMERA_SPAN, CAMERA_SPAN), side * (R + _u(rng, 0.4, S - 0.4))
        yaw = _u(rng, 0, 6.3) if make_thing is so.person else (0.0 if side > 0 else math.pi)
        if scene.footprint_free(x, y, 0.5, 0.5, 0.0):
            make_thing(Placed(scene, x, y, yaw, hk), rng)


def _sky_and_sun(scene, rng):
    overcast = rng.random() < 0.3
    elev, azim = math.radians(_u(rng, 10.0, 70.0)), _u(rng, 0.0, 2 * math.pi)
    sun = np.array([math.cos(elev) * math.cos(azim), math.cos(elev) * math.sin(azim), math.sin(elev)])
    warm = 1.0 - 0.3 * max(0.0, (0.5 - math.sin(elev)))      # low sun: warmer light
    strength = _u(rng, 0.8, 1.5) if overcast else _u(rng, 2.5, 4.0)
    scene.lights.append(Light("sun", tuple(np.array((1.0, 0.93 * warm, 0.82 * warm)) * strength), direction=sun))
    bounce = (-sun[0], -sun[1], 0.4)                          # light reflected by the lit street
    scene.lights.append(Light("sun", tuple(np.array((0.9, 0.9, 0.85)) * strength * 0.12), direction=bounce,
                              shadows=False))
    k = _u(rng, 0.8, 1.2)
    horizon = np.array((0.78, 0.83, 0.9) if not overcast else (0.8, 0.8, 0.82)) * k
    zenith = np.array((0.25, 0.45, 0.85) if not overcast else (0.6, 0.62, 0.66)) * k
    scene.sky = Sky(tuple(horizon), tuple(zenith), clouds=_u(rng, 0.6, 1.0) if overcast else _u(rng, 0.0, 0.6),
                    cloud_scale=_u(rng, 800.0, 3000.0), sun=None if overcast else sun)
    scene.ambient = tuple((0.5 * horizon + 0.5 * zenith) * (_u(rng, 0.7, 1.0) if overcast else _u(rng, 0.35, 0.6)))
    scene.fog, scene.fog_colour = _u(rng, 150.0, 900.0), tuple(horizon)


def build_outdoor(rng) -> Scene:
    scene = Scene("outdoor", street_axis=0.0)
    _sky_and_sun(scene, rng)
    lanes, lane_w = int(rng.integers(1, 5)), _u(rng, 2.8, 3.6)
    R = lanes * lane_w / 2 + (2.2 if rng.random() < 0.6 else 0.3)   # + parking strips
    S, hk = _u(rng, 1.5, 4.5), _u(rng, 0.1, 0.18)
    road = Placed(scene, 0.0, 0.0)
    scene.prims.append(Rect((0, 0, 0), np.inf, np.inf, None, make("asphalt", rng), casts_shadow=False))
    paving, kerb = make("paving", rng), make("kerb", rng)
    for side in (-1, 1):
        road.box((0, side * (R + S / 2), hk / 2), (2 * HALF_LENGTH, S, hk), paving, shadow=False)
        road.box((0, side * (R + 0.075), hk / 2 + 0.004), (2 * HALF_LENGTH, 0.15, hk + 0.008), kerb, shadow=False)
    for k in range(1, lanes):                           # dashed lane lines, 3.6 m dash / 5.4 m gap
        road.rect((0, -lanes * lane_w / 2 + k * lane_w, 0.003), HALF_LENGTH, 0.06, make("marking", rng))
    if rng.random() < 0.6:                              # solid edge lines
        for side in (-1, 1):
            road.rect((0, side * (lanes * lane_w / 2 - 0.1), 0.003), HALF_LENGTH, 0.06,
                      make("marking", rng, texture="plain"))
    park_side = int(rng.choice((-1, 1))) if rng.random() < 0.3 else 0
    for side in (-1, 1):
        if side == park_side:
            _park(scene, rng, side, side * (R + S))
        else:
            _buildings(scene, rng, side, side * (R + S))
    scene.areas = [Area(-CAMERA_SPAN, CAMERA_SPAN, -R, R, 0.0),
                   Area(-CAMERA_SPAN, CAMERA_SPAN, R + 0.15, R + S, hk),
                   Area(-CAMERA_SPAN, CAMERA_SPAN, -R - S, -R - 0.15, hk)]
    for side in (-1, 1):
        if R > lanes * lane_w / 2 + 1.0:               # parking strips: cars along the kerb
            _parked_cars(scene, rng, side * (R - 1.1), 0.0 if side > 0 else math.pi)
        _sidewalk_things(scene, rng, side, R, S, hk)
    for _ in range(int(rng.integers(0, 5))):            # traffic in the lanes
        lane = int(rng.integers(lanes))
        y = -lanes * lane_w / 2 + (lane + 0.5) * lane_w
        x = _u(rng, -CAMERA_SPAN, CAMERA_SPAN)
        if scene.footprint_free(x, y, 3.0, 1.2, 0.0):
            so.car(Placed(scene, x, y, 0.0 if y > 0 else math.pi), rng)
    if rng.random() < 0.2:                              # road works
        x = _u(rng, -CAMERA_SPAN / 2, CAMERA_SPAN / 2)
        for i in range(int(rng.integers(3, 7))):
            y = _u(rng, -R + 0.5, R - 0.5)
            if scene.footprint_free(x + 2.0 * i, y, 0.3, 0.3, 0.0):
                so.traffic_cone(Placed(scene, x + 2.0 * i, y), rng)
    return scene
