"""The classical reference for the stereo node: OpenCV semi-global matching, disparity -> depth.

What stereo_image_proc does on a robot. Reported two ways, in the same run as the networks:
where it matched (its density and its errors there), and at 100% density with its holes filled by
the nearest valid disparity along the row (the simplest fill a consumer would apply).
"""
import cv2
import numpy as np

MAX_DISPARITY = 192      # pixels, a multiple of 16: 0.05 m baseline and fx 600 reach 0.16 m
BLOCK = 5


def sgbm_disparity(left_rgb: np.ndarray, right_rgb: np.ndarray, max_disparity: int = MAX_DISPARITY) -> np.ndarray:
    """HxW float32 disparity in pixels of the left image; NaN where SGBM found no match."""
    left = cv2.cvtColor(left_rgb, cv2.COLOR_RGB2GRAY)
    right = cv2.cvtColor(right_rgb, cv2.COLOR_RGB2GRAY)
    num = max(16, int(min(max_disparity, left.shape[1] // 2)) // 16 * 16)
    matcher = cv2.StereoSGBM_create(minDisparity=0, numDisparities=num, blockSize=BLOCK,
                                    P1=8 * BLOCK * BLOCK, P2=32 * BLOCK * BLOCK, disp12MaxDiff=1,
                                    uniquenessRatio=10, speckleWindowSize=100, speckleRange=2,
                                    mode=cv2.STEREO_SGBM_MODE_SGBM_3WAY)
    disparity = matcher.compute(left, right).astype(np.float32) / 16.0   # fixed point, 4 fraction bits
    disparity[disparity <= 0] = np.nan
    return disparity


def fill_rows(values: np.ndarray) -> np.ndarray:
    """NaN -> the nearest valid value on the same row (rows with nothing valid: the image median)."""
    out = values.copy()
    h, w = out.shape
    cols = np.arange(w)
    fallback = np.nanmedian(out) if np.isfinite(out).any() else 1.0
    for r in range(h):
        valid = np.isfinite(out[r])
        if not valid.any():
            out[r] = fallback
            continue
        known = cols[valid]
        nearest = np.clip(np.searchsorted(known, cols), 1, max(1, len(known) - 1))
        left_idx, right_idx = known[nearest - 1], known[np.minimum(nearest, len(known) - 1)]
        pick = np.where(np.abs(cols - left_idx) <= np.abs(right_idx - cols), left_idx, right_idx)
        out[r] = out[r, pick]
    return out


def sgbm_depth(sample, filled: bool = False) -> np.ndarray:
    """Metric depth of a rectified pair sample (fx of the left view, baseline_m): fx B / d."""
    disparity = sgbm_disparity(sample.rgb, sample.right_rgb)
    if filled:
        disparity = fill_rows(disparity)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.float32(sample.camera[0] * sample.baseline_m) / disparity).astype(np.float32)
