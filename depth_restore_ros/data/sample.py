"""One frame of a depth data set: what every reader yields and training/evaluation consume."""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np


@dataclass
class Sample:
    rgb: np.ndarray                          # HxWx3 uint8, the main (left) view
    depth: np.ndarray                        # HxW float32 metres (optical z), NaN where unknown
    camera: Tuple[float, float, float, float]  # (fx, fy, cx, cy) in rgb's pixels
    right_rgb: Optional[np.ndarray] = None   # rectified right view, same size and intrinsics
    baseline_m: Optional[float] = None       # stereo baseline (right camera at +x of the left)
    name: str = ""                           # identifies the frame in reports

    @property
    def valid(self) -> np.ndarray:
        """Pixels with usable ground truth."""
        return np.isfinite(self.depth) & (self.depth > 0)
