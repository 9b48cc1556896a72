"""Photometric augmentation: what a real camera does to an image that a renderer does not.

Applied by the training set (never baked into renders, so the test split stays clean and one cached
render serves many augmentations): exposure and gamma, white balance and saturation, vignetting,
defocus or motion blur, sensor noise and JPEG re-encoding. Geometry is untouched, so the metric depth
stays valid.
"""
import cv2
import numpy as np


def augment_photometric(rgb: np.ndarray, rng, strength: float = 1.0) -> np.ndarray:
    """HxWx3 uint8 -> HxWx3 uint8, every draw from `rng` (a numpy Generator): same rng, same image."""
    s = float(strength)
    x = rgb.astype(np.float32) * np.float32(1.0 / 255.0)
    x **= np.float32(np.exp(rng.uniform(-0.25, 0.25) * s))                  # gamma / tone curve
    gains = np.exp(rng.uniform(-0.4, 0.4) * s + rng.uniform(-0.12, 0.12, 3) * s)  # exposure, white balance
    x *= gains.astype(np.float32)
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * np.float32(np.exp(rng.uniform(-0.5, 0.25) * s))  # saturation
    x = (x - 0.5) * np.float32(np.exp(rng.uniform(-0.2, 0.2) * s)) + 0.5     # contrast
    h, w = x.shape[:2]
    if rng.random() < 0.3 * s:                                              # vignetting
        yy, xx = np.ogrid[-1:1:complex(0, h), -1:1:complex(0, w)]
        x *= (1.0 - rng.uniform(0.1, 0.4) * (xx * xx + yy * yy) / 2.0).astype(np.float32)[..., None]
    r = rng.random()
    if r < 0.25 * s:                                                        # defocus
        x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.3, 1.5)))
    elif r < 0.35 * s:                                                      # motion blur
        n = int(rng.integers(3, 9))
        kernel = np.zeros((n, n), np.float32)
        kernel[n // 2] = 1.0 / n
        rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (n, n))
        x = cv2.filter2D(x, -1, kernel / max(kernel.sum(), 1e-6))
    sigma = rng.uniform(0.0, 0.03) * s                                      # read + shot noise
    shot = rng.uniform(0.0, 0.02) * s
    noise = rng.standard_normal(x.shape, dtype=np.float32)
    x += noise * np.sqrt(np.float32(sigma ** 2) + np.float32(shot ** 2) * np.clip(x, 0, 1))
    out = (np.clip(x, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    if rng.random() < 0.5 * s:                                              # JPEG artefacts
        quality = int(rng.integers(30, 96))
        ok, buf = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            out = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return out


# Skies the renderer does not make (it draws day-blue or overcast ones): (top, horizon) colour ranges in
# sRGB [0, 1]. A network that met only those reads a dusk or night sky as a near wall.
SKY_PALETTES = {
    "blue hour": (((0.02, 0.05, 0.15), (0.10, 0.18, 0.40)), ((0.25, 0.25, 0.40), (0.60, 0.55, 0.75))),
    "sunset": (((0.15, 0.20, 0.40), (0.40, 0.45, 0.70)), ((0.85, 0.45, 0.15), (1.00, 0.75, 0.45))),
    "night": (((0.00, 0.00, 0.02), (0.03, 0.04, 0.10)), ((0.04, 0.04, 0.06), (0.20, 0.16, 0.20))),
    "haze": (((0.55, 0.58, 0.62), (0.85, 0.88, 0.92)), ((0.75, 0.75, 0.75), (0.98, 0.98, 0.98))),
}


def recolour_sky(rgb: np.ndarray, sky: np.ndarray, rng) -> np.ndarray:
    """Paint the `sky` pixels (HxW bool) of an HxWx3 uint8 image with a sky of another time of day: a
    vertical gradient between a drawn zenith and horizon colour, with soft low-frequency clouds."""
    rows = np.nonzero(sky.any(axis=1))[0]
    if rows.size == 0:
        return rgb
    top_range, bottom_range = SKY_PALETTES[list(SKY_PALETTES)[int(rng.integers(len(SKY_PALETTES)))]]
    top, bottom = (rng.uniform(*np.asarray(r, np.float32)) for r in (top_range, bottom_range))
    h, w = sky.shape
    t = np.clip((np.arange(h, dtype=np.float32) - rows[0]) / max(1, rows[-1] - rows[0]), 0, 1) ** 0.7
    sky_rgb = top[None, :] * (1 - t[:, None]) + bottom[None, :] * t[:, None]             # (H, 3)
    clouds = cv2.resize(rng.uniform(-1, 1, (4, 6)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    paint = sky_rgb[:, None, :] * (1 + rng.uniform(0.0, 0.25) * clouds[..., None])
    out = rgb.copy()
    out[sky] = (np.clip(paint[sky], 0, 1) * 255 + 0.5).astype(np.uint8)
    return out
