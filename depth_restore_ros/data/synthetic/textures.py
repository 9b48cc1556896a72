"""Texture bank: real photographs shipped inside scikit-image plus procedural patterns, mip-mapped.

Photographs give the network natural image statistics (brick, grass and gravel tile surfaces;
the portraits, animals and objects hang as pictures); procedural patterns give regular structures
whose metric size is known exactly (floor tiles, planks, windows, lane dashes), which is what lets
a single image reveal absolute scale. Every texture is built once per process from a fixed seed
(no file I/O beyond scikit-image's bundled data), so renders are reproducible everywhere.

Images are stored top row first; a texture coordinate v grows UPWARD (v = height on walls), so the
sampler reads row (1 - v): pictures hang upright. Minification picks a mip level per pixel from the
pixel's footprint on the surface, so distant floors blur the way a camera sees them instead of
aliasing into noise.
"""
from functools import lru_cache

import cv2
import numpy as np


class Texture:
    """A mip pyramid of float32 (h, w, c) images in [0, 1]; c = 1 (tinted by material) or 3."""

    def __init__(self, image: np.ndarray):
        img = np.asarray(image, np.float32)
        img = img[..., None] if img.ndim == 2 else img
        self.channels = img.shape[2]
        self.aspect = img.shape[1] / img.shape[0]          # width / height, for pictures
        self.levels = [img]
        while min(img.shape[:2]) > 2:
            img = cv2.resize(img, (img.shape[1] // 2, img.shape[0] // 2), interpolation=cv2.INTER_AREA)
            self.levels.append(img.reshape(img.shape[0], img.shape[1], self.channels))
        self.flat = [lv.reshape(-1, self.channels) for lv in self.levels]

    def sample(self, u, v, footprint):
        """Bilinear lookup at tile coordinates (u, v) (period 1, float32 arrays) on the mip level
        whose texel best matches `footprint` (tile units per pixel)."""
        h0 = self.levels[0].shape[0]
        level = np.log2(np.maximum(footprint * np.float32(h0), np.float32(1.0)))
        level = np.minimum(level.astype(np.int32), len(self.levels) - 1)
        u = u - np.floor(u)
        v = np.float32(1.0) - (v - np.floor(v))
        top_level = int(level.max(initial=0))
        if top_level == 0:
            return self._bilinear(0, u, v)
        out = np.empty((len(u), self.channels), np.float32)
        for lv in range(top_level + 1):
            sel = np.nonzero(level == lv)[0]
            if sel.size:
                out[sel] = self._bilinear(lv, u[sel], v[sel])
        return out

    def _bilinear(self, lv, u, v):
        h, w = self.levels[lv].shape[:2]
        x, y = u * np.float32(w) - np.float32(0.5), v * np.float32(h) - np.float32(0.5)
        x0, y0 = np.floor(x), np.floor(y)
        fx, fy = (x - x0)[:, None], (y - y0)[:, None]
        x0, y0 = x0.astype(np.int64) % w, y0.astype(np.int64) % h
        x1, y1 = (x0 + 1) % w, (y0 + 1) % h
        img = self.flat[lv]
        r0, r1 = y0 * w, y1 * w
        top = img[r0 + x0] * (1 - fx) + img[r0 + x1] * fx
        bottom = img[r1 + x0] * (1 - fx) + img[r1 + x1] * fx
        return top * (1 - fy) + bottom * fy


# -- procedural patterns (periodic, so they tile without seams) ----------------------------------

def spectral_noise(size, beta, rng, stretch=(1.0, 1.0)):
    """Periodic 1/f^beta noise in [0, 1]; `stretch` elongates it (wood grain, brushed metal)."""
    fy = np.fft.fftfreq(size)[:, None] * stretch[0]
    fx = np.fft.fftfreq(size)[None, :] * stretch[1]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    spec = np.fft.fft2(rng.standard_normal((size, size))) / f ** beta
    spec[0, 0] = 0
    n = np.real(np.fft.ifft2(spec))
    n = (n - n.mean()) / (n.std() + 1e-9)
    return np.clip(0.5 + 0.18 * n, 0, 1)


def _tiles(size, n, grout, rng, jitter=0.12, noise=0.2):
    cell = size // n
    tone = 1.0 - jitter * rng.random((n, n))
    img = np.kron(tone, np.ones((cell, cell)))
    img *= 1 - noise + noise * 2 * spectral_noise(size, 1.0, rng)
    yy, xx = np.mgrid[0:size, 0:size] % cell
    g = max(1, int(grout * cell))
    img[(yy < g) | (xx < g)] *= 0.55
    return img


def _planks(size, rows, rng):
    """Wood floor: rows of planks with staggered joints, per-plank tone, grain along the plank."""
    grain = spectral_noise(size, 1.3, rng, stretch=(1.0, 0.08))
    img = np.empty((size, size))
    h = size // rows
    for r in range(rows):
        band = slice(r * h, (r + 1) * h)
        joint = int(rng.integers(0, size))
        tone = np.where((np.arange(size) - joint) % size < size // 2, rng.uniform(0.7, 1), rng.uniform(0.7, 1))
        img[band] = tone[None, :] * (0.65 + 0.7 * grain[band])
        img[r * h, :] *= 0.5
        img[band, joint] *= 0.5
        img[band, (joint + size // 2) % size] *= 0.5
    return np.clip(img, 0, 1)


def _windows(size, wall, rng, frac_w=0.45, sill=0.3, frac_h=0.45):
    """One facade bay: a wall texture with a dark glazed window and a light frame."""
    img = wall.copy()
    x0, x1 = int(size * (0.5 - frac_w / 2)), int(size * (0.5 + frac_w / 2))
    y1 = int(size * (1 - sill))
    y0 = y1 - int(size * frac_h)
    frame = max(2, size // 64)
    img[y0 - frame:y1 + frame, x0 - frame:x1 + frame] = 0.85
    glass = 0.12 + 0.15 * spectral_noise(size, 2.0, rng)[y0:y1, x0:x1]
    glass += np.linspace(0.15, 0.0, y1 - y0)[:, None]               # sky reflection towards the top
    img[y0:y1, x0:x1] = glass[..., None] if img.ndim == 3 else glass
    img[y0:y1, (x0 + x1) // 2 - frame // 2:(x0 + x1) // 2 + frame // 2 + 1] = 0.8
    return img


def _books(size, rng):
    """Rows of book spines (colour): filled shelves for a few primitives' worth of work."""
    img = np.full((size, size, 3), 0.08)
    x = 0
    while x < size:
        w = int(rng.integers(size // 40, size // 14))
        top = int(rng.integers(0, size // 4))
        col = rng.uniform(0.1, 0.9, 3)
        img[top:, x:x + w - 1] = col * rng.uniform(0.6, 1.0)
        img[top + size // 8: top + size // 8 + size // 40, x + 1:x + w - 2] = 0.9 * (1 - col)
        x += w
    return img


def _photo(name):
    import skimage.data
    img = getattr(skimage.data, name)()
    return img[..., :3].astype(np.float32) / 255.0 if img.ndim == 3 else img.astype(np.float32) / 255.0


def _mirror_tile(img):
    """Photos are not periodic: mirror them 2x2 so the repeated tile has no seams."""
    img = np.concatenate([img, img[:, ::-1]], axis=1)
    return np.concatenate([img, img[::-1]], axis=0)


PICTURES = ("astronaut", "coffee", "chelsea", "rocket", "camera", "coins", "text", "page",
            "hubble_deep_field", "immunohistochemistry", "moon", "colorwheel", "clock")


@lru_cache(maxsize=1)
def bank():
    """name -> Texture. Built once per process from a fixed seed (deterministic)."""
    rng = np.random.default_rng(20240611)
    S = 256
    t = {}
    t["plain"] = np.clip(0.92 + 0.08 * spectral_noise(64, 1.5, rng), 0, 1)
    t["plaster"] = np.clip(0.8 + 0.25 * spectral_noise(S, 1.6, rng), 0, 1)
    t["concrete"] = np.clip(0.55 + 0.5 * spectral_noise(S, 1.1, rng), 0, 1)
    t["carpet"] = np.clip(0.3 + 0.9 * spectral_noise(S, 0.6, rng), 0, 1)
    t["asphalt"] = np.clip(0.25 + 0.9 * spectral_noise(S, 0.5, rng) * (0.7 + 0.6 * spectral_noise(S, 2.0, rng)), 0, 1)
    t["leaves"] = np.clip(0.25 + 1.6 * spectral_noise(S, 0.9, rng) ** 2, 0.1, 1)
    t["tiles"] = _tiles(S, 4, 0.05, rng)
    t["paving"] = _tiles(S, 2, 0.04, rng, jitter=0.2, noise=0.35)
    t["ceiling"] = _tiles(S, 2, 0.02, rng, jitter=0.03, noise=0.1) * 0.3 + 0.7
    t["planks"] = _planks(S, 4, rng)
    t["wood"] = np.clip(0.55 + 0.45 * np.sin(spectral_noise(S, 1.4, rng, (1.0, 0.05)) * 40), 0, 1) * 0.35 + 0.6
    xx = np.arange(S) / S
    t["stripes"] = np.tile((0.8 + 0.2 * (xx * 8 % 1 < 0.5))[None, :], (S, 1)) * (0.9 + 0.2 * spectral_noise(S, 1.5, rng))
    t["checker"] = 0.25 + 0.7 * ((np.arange(S)[:, None] // (S // 2) + np.arange(S)[None, :] // (S // 2)) % 2)
    t["dashes"] = np.tile(np.where(xx < 0.4, 0.95, 0.3)[None, :], (S, 1)) * (0.85 + 0.3 * spectral_noise(S, 0.7, rng))
    t["books"] = _books(S, rng)
    t["fabric"] = np.clip(0.7 + 0.3 * spectral_noise(S, 0.3, rng) * (1 + 0.2 * np.sin(np.arange(S) * 1.7))[None], 0, 1)
    t["clouds"] = np.clip((spectral_noise(S, 1.8, rng) - 0.5) * 3, 0, 1)
    t["brick"] = _mirror_tile(np.rot90(_photo("brick"))[:, :])   # bricks run horizontally
    t["grass"] = _mirror_tile(_photo("grass"))
    t["gravel"] = _mirror_tile(_photo("gravel"))
    bay = 0.75 + 0.25 * spectral_noise(S, 1.5, rng)
    t["facade"] = _windows(S, bay, rng)
    t["facade_wide"] = _windows(S, bay, rng, frac_w=0.7, sill=0.25, frac_h=0.55)
    brick = cv2.resize(t["brick"], (S, S), interpolation=cv2.INTER_AREA)
    t["brick_facade"] = _windows(S, brick, rng)
    t["office"] = _windows(S, 0.7 + 0.3 * spectral_noise(S, 2.0, rng), rng, frac_w=0.9, sill=0.1, frac_h=0.75)
    for name in PICTURES:
        t[name] = _photo(name)
    return {name: Texture(img) for name, img in t.items()}
