"""The baseline of a rectified stereo pair from its two projection matrices, and the checks that it is one.

A rectified pair (stereo_image_proc, camera_calibration's stereo mode, a stereo driver's image_rect)
publishes camera_info P = [fx, 0, cx, Tx; 0, fy, cy, Ty; 0, 0, 1, 0] per camera, with Tx = -fx * B
for the right camera (B its offset along the left camera's x axis, in metres) and Tx = 0 for the
left one. Both images then share one focal length and one row geometry (fx, fy, cy; cx may differ),
and a point's disparity is fx * B / depth. Input that breaks this (two separately calibrated
cameras, swapped sides, raw images) would give depth off by an unknown factor, so it is refused.

R (the rectification rotation) is deliberately not compared: each camera of a calibrated pair has
its own R (they differ by the rotation between the cameras), and it is the same in the camera_info
of image_raw and image_rect, so it says nothing about whether the images are rectified.
"""
import math
from typing import Sequence

from .errors import InputError

# Largest relative disagreement of fx, fy, cy (to fx) and of the vertical offset (to the
# baseline) still taken as one rectified geometry: 0.1 %, e.g. half a pixel at fx = 500.
RECTIFIED_TOLERANCE = 1e-3

_BASELINE_HINT = ("the right camera_info P must carry Tx = -fx * baseline: calibrate the pair as a "
                  "stereo rig (camera_calibration's stereo mode), and do not swap left and right")
_RECTIFIED_HINT = ("feed the node a rectified pair (image_rect from stereo_image_proc or the stereo "
                   "driver) with the camera_infos of that rectification")


def _matrix(p: Sequence[float], side: str) -> list:
    values = [float(v) for v in p]
    if len(values) != 12 or not all(math.isfinite(v) for v in values):
        raise InputError("baseline", f"{side} camera_info P is not 12 finite numbers: {values}",
                         _BASELINE_HINT)
    return values


def stereo_baseline(p_left: Sequence[float], p_right: Sequence[float],
                    tolerance: float = RECTIFIED_TOLERANCE) -> float:
    """Baseline in metres (> 0) of the rectified pair whose camera_info P are `p_left`, `p_right`.

    B = (Tx_left - Tx_right) / fx, which is -P_right[3] / P_right[0] when the left camera is the
    reference (Tx_left = 0, as ROS publishes it). Raises InputError "baseline" (no or a non-positive
    baseline) or "unrectified" (the two P do not describe one rectified geometry).
    """
    left, right = _matrix(p_left, "left"), _matrix(p_right, "right")
    fx = right[0]
    if fx <= 0:
        raise InputError("baseline", f"right camera_info P has fx = {fx:g}: no stereo calibration",
                         _BASELINE_HINT)
    baseline = (left[3] - right[3]) / fx
    if baseline <= 0:
        what = "zero" if baseline == 0 else f"negative ({baseline:g} m: left and right swapped?)"
        raise InputError("baseline", f"the baseline from the camera_info P matrices is {what} (left Tx "
                         f"{left[3] + 0.0:g}, right Tx {right[3] + 0.0:g}, fx {fx:g})", _BASELINE_HINT)
    scale = tolerance * abs(left[0])
    for name, i in (("fx", 0), ("fy", 5), ("cy", 6)):
        if not abs(left[i] - right[i]) <= scale:
            raise InputError("unrectified", f"left and right camera_info P differ in {name} "
                             f"({left[i]:g} vs {right[i]:g}): not one rectified pair", _RECTIFIED_HINT)
    # Ty = -fy * vertical offset, Tx = -fx * horizontal offset, and fy = fx here
    if not abs(left[7] - right[7]) <= tolerance * abs(left[3] - right[3]):
        raise InputError("unrectified", f"the right camera is offset vertically (P Ty {left[7]:g} vs "
                         f"{right[7]:g}): rows of the two images do not correspond", _RECTIFIED_HINT)
    return baseline
