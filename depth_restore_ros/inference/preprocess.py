"""Image <-> network tensors, in numpy: the same code for every back-end.

Resizing keeps the aspect ratio (long side = config.input_long_side, sides rounded to the network's
stride), so the focal length in network pixels is well defined and the metric rescaling is exact.
"""
from typing import Tuple

import cv2
import numpy as np

from .config import ModelConfig


def network_size(height: int, width: int, config: ModelConfig) -> Tuple[int, int]:
    scale = config.input_long_side / max(height, width)
    m = config.size_multiple
    return (max(m, int(round(height * scale / m)) * m), max(m, int(round(width * scale / m)) * m))


def to_network(rgb: np.ndarray, config: ModelConfig) -> np.ndarray:
    """HxWx3 uint8 RGB -> (1, 3, h, w) float32, normalised."""
    h, w = network_size(rgb.shape[0], rgb.shape[1], config)
    interp = cv2.INTER_AREA if h < rgb.shape[0] else cv2.INTER_LINEAR
    small = cv2.resize(rgb, (w, h), interpolation=interp).astype(np.float32)
    mean = np.asarray(config.mean, np.float32) * 255.0
    inv_std = 1.0 / (np.asarray(config.std, np.float32) * 255.0)
    return ((small - mean) * inv_std).transpose(2, 0, 1)[None].copy()


def focal_ratio(camera, image_hw: Tuple[int, int], net_hw: Tuple[int, int], config: ModelConfig) -> float:
    """f_net / canonical_focal: the factor that turns canonical-camera depth into this camera's.

    Square pixels are assumed for the network; fx and fy are averaged after scaling each axis.
    """
    fx, fy = camera[0], camera[1]
    f_net = 0.5 * (fx * net_hw[1] / image_hw[1] + fy * net_hw[0] / image_hw[0])
    return f_net / config.canonical_focal


def to_image(values: np.ndarray, image_hw: Tuple[int, int]) -> np.ndarray:
    """(h, w) network map -> (H, W) float32 at the input resolution (bilinear)."""
    return cv2.resize(values.astype(np.float32, copy=False), (image_hw[1], image_hw[0]),
                      interpolation=cv2.INTER_LINEAR)
