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
