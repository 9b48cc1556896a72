"""Materials: a texture, its METRIC scale, a tint and optional emission.

The scale (metres covered by one texture tile) is fixed per material class with modest variation:
a floor tile is 0.3-0.6 m, a brick course 7.5 cm, a facade bay ~3 m wide and one storey high.
Repeated patterns of known size are among the strongest monocular scale cues, so they must not be
scaled arbitrarily.
"""
from dataclasses import dataclass, field
from typing import Tuple

import numpy as np


@dataclass
class Material:
    texture: str                               # name in textures.bank()
    scale: Tuple[float, float] = (1.0, 1.0)    # metres per texture tile along (u, v)
    tint: Tuple[float, float, float] = (1.0, 1.0, 1.0)  # multiplies the texture (sRGB-ish 0..1)
    offset: Tuple[float, float] = (0.0, 0.0)   # tile units: breaks the repetition between objects
    emission: float = 0.0                      # self-lit (lamps, windows, screens): added radiance
    specular: float = 0.0                      # strength of a Blinn highlight (paint, glass, tiles)
    shininess: float = 40.0


def _jitter(rng, colour, amount=0.06):
    return tuple(float(np.clip(c * (1 + rng.uniform(-amount, amount)), 0.02, 1.0)) for c in colour)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


PALETTES = {
    "wood": [(0.62, 0.42, 0.25), (0.78, 0.6, 0.4), (0.45, 0.28, 0.16), (0.85, 0.74, 0.56), (0.35, 0.22, 0.14)],
    "pastel": [(0.93, 0.92, 0.88), (0.85, 0.88, 0.9), (0.92, 0.86, 0.75), (0.8, 0.87, 0.8), (0.95, 0.95, 0.95),
               (0.88, 0.8, 0.78), (0.75, 0.8, 0.88)],
    "brick": [(0.68, 0.33, 0.22), (0.6, 0.38, 0.28), (0.8, 0.62, 0.45), (0.55, 0.25, 0.2), (0.9, 0.88, 0.85)],
    "stone": [(0.7, 0.7, 0.68), (0.55, 0.55, 0.55), (0.8, 0.76, 0.68), (0.62, 0.58, 0.52), (0.75, 0.72, 0.7)],
    "vivid": [(0.75, 0.12, 0.1), (0.1, 0.3, 0.7), (0.12, 0.5, 0.2), (0.9, 0.75, 0.15), (0.2, 0.2, 0.22),
              (0.9, 0.9, 0.88), (0.5, 0.2, 0.55), (0.9, 0.45, 0.1), (0.3, 0.55, 0.6)],
    "fabric": [(0.35, 0.35, 0.4), (0.55, 0.2, 0.2), (0.2, 0.3, 0.45), (0.6, 0.55, 0.45), (0.25, 0.4, 0.3),
               (0.7, 0.68, 0.62)],
    "car": [(0.8, 0.8, 0.8), (0.1, 0.1, 0.11), (0.55, 0.56, 0.58), (0.6, 0.08, 0.08), (0.1, 0.18, 0.45),
            (0.92, 0.92, 0.9), (0.3, 0.32, 0.35), (0.15, 0.3, 0.2)],
    "green": [(0.3, 0.5, 0.18), (0.25, 0.42, 0.15), (0.4, 0.55, 0.22), (0.22, 0.36, 0.2)],
}

# kind -> (texture choices, base scale (u, v) metres, relative scale variation, palette, specular)
CATALOGUE = {
    "floor_wood": (["planks"], (3.0, 0.64), 0.2, "wood", 0.2),
    "floor_tiles": (["tiles"], (1.6, 1.6), 0.3, "stone", 0.3),        # 4 tiles/tile: 0.3-0.5 m tiles
    "floor_checker": (["checker"], (0.8, 0.8), 0.25, "stone", 0.3),   # 2 squares/tile: 0.3-0.5 m
    "carpet": (["carpet", "fabric"], (0.8, 0.8), 0.3, "fabric", 0.0),
    "concrete": (["concrete"], (3.0, 3.0), 0.3, "stone", 0.0),
    "plaster": (["plaster", "plain"], (3.0, 3.0), 0.3, "pastel", 0.0),
    "brick": (["brick"], (1.9, 1.35), 0.12, "brick", 0.0),              # 7.5 cm courses, 22 cm bricks
    "wallpaper": (["stripes"], (1.2, 1.2), 0.3, "pastel", 0.0),        # 8 stripes/tile: ~15 cm
    "ceiling": (["ceiling", "plaster"], (1.2, 1.2), 0.0, "pastel", 0.0),  # 0.6 m ceiling panels
    "wood": (["wood"], (0.8, 0.8), 0.3, "wood", 0.15),
    "painted": (["plain", "wood"], (0.8, 0.8), 0.3, "vivid", 0.2),
    "fabric": (["fabric", "carpet"], (0.5, 0.5), 0.3, "fabric", 0.0),
    "plastic": (["plain"], (1.0, 1.0), 0.0, "vivid", 0.4),
    "metal": (["plain", "concrete"], (1.0, 1.0), 0.0, "stone", 0.5),
    "cardboard": (["concrete", "plain"], (0.6, 0.6), 0.2, None, 0.0),
    "books": (["books"], (0.8, 0.3), 0.15, None, 0.0),
    "asphalt": (["asphalt", "gravel"], (1.2, 1.2), 0.3, None, 0.05),
    "grass": (["grass", "leaves"], (1.2, 1.2), 0.25, "green", 0.0),
    "paving": (["paving", "tiles"], (1.0, 1.0), 0.3, "stone", 0.05),
    "kerb": (["concrete"], (1.0, 1.0), 0.2, "stone", 0.0),
    "facade": (["facade", "facade_wide", "brick_facade", "office"], (3.2, 3.1), 0.12, None, 0.0),
    "car": (["plain"], (1.0, 1.0), 0.0, "car", 0.7),
    "glass": (["plain"], (1.0, 1.0), 0.0, None, 1.0),
    "rubber": (["plain"], (1.0, 1.0), 0.0, None, 0.05),
    "bark": (["concrete", "wood"], (0.6, 0.6), 0.2, None, 0.0),
    "foliage": (["leaves", "grass"], (1.5, 1.5), 0.3, "green", 0.0),
    "marking": (["dashes"], (9.0, 1.0), 0.1, None, 0.1),               # 3.6 m dash, 5.4 m gap
}

_FIXED_TINTS = {"cardboard": (0.66, 0.5, 0.33), "books": (1.0, 1.0, 1.0), "asphalt": (0.42, 0.42, 0.43),
                "glass": (0.12, 0.14, 0.17), "rubber": (0.06, 0.06, 0.06), "bark": (0.36, 0.27, 0.19),
                "marking": (0.95, 0.95, 0.92)}


def make(kind: str, rng, **overrides) -> Material:
    """A random instance of a material class (texture, scale, tint), keyword fields overriding."""
    textures, (su, sv), var, palette, spec = CATALOGUE[kind]
    tex = _pick(rng, textures)
    s = float(np.exp(rng.uniform(-var, var))) if var else 1.0
    tint = _jitter(rng, _pick(rng, PALETTES[palette]) if palette else _FIXED_TINTS.get(kind, (0.85,) * 3))
    if kind == "facade":
        tint = _jitter(rng, _pick(rng, PALETTES["brick"] + PALETTES["stone"] + PALETTES["pastel"]), 0.1)
        su *= rng.uniform(0.85, 1.25)   # bay width 2.7-4 m, storey height ~3.1 m (varied above)
    m = Material(tex, (su * s, sv * s), tint, tuple(float(x) for x in rng.random(2)), 0.0, spec)
    for key, value in overrides.items():
        setattr(m, key, value)
    return m


def picture(name: str, width: float, height: float, rng) -> Material:
    """A photograph stretched once over a (width x height) face: posters, paintings, screens."""
    return Material(name, (width, height), _jitter(rng, (1.0, 1.0, 1.0), 0.05), (0.0, 0.0), 0.0, 0.3)


def emissive(rng, strength=(1.5, 3.0), tint=(1.0, 0.95, 0.85), texture="plain") -> Material:
    return Material(texture, (1.0, 1.0), _jitter(rng, tint, 0.05), (0.0, 0.0),
                    float(rng.uniform(*strength)), 0.0)


@dataclass
class Light:
    """A sun (direction towards it) or a point lamp; colour is linear radiance scale."""
    kind: str                                   # "sun" | "point"
    colour: Tuple[float, float, float]
    direction: np.ndarray = None                # sun: unit vector towards the sun
    position: np.ndarray = None                 # point: world position
    falloff: float = 3.0                        # point: distance (m) where intensity halves
    shadows: bool = True
    basis: tuple = field(default=None, repr=False)

    def __post_init__(self):
        if self.kind == "sun":
            d = np.asarray(self.direction, float)
            self.direction = d / np.linalg.norm(d)
            e1 = np.cross(self.direction, [0.0, 0.0, 1.0] if abs(self.direction[2]) < 0.99 else [1.0, 0, 0])
            e1 /= np.linalg.norm(e1)
            e2 = np.cross(self.direction, e1)
            self.basis = (tuple(np.float32(x) for x in e1), tuple(np.float32(x) for x in e2))
        else:
            self.position = np.asarray(self.position, float)

    def __getitem__(self, key):  # raycast reads lights like mappings
        return getattr(self, key)
