"""Intrinsics-aware metric depth: the same scene through a longer lens gets the same metric depth.

Zooming a photograph by 1.5x (crop the centre, resize back) is what a 1.5x focal length sees. A model
that ignored intrinsics would report the zoomed scene 1.5x nearer or farther; ours must not.
"""
import cv2
import numpy as np
import pytest
import skimage.data

from depth_restore_ros import Estimator
from depth_restore_ros.inference.registry import DEFAULT_MODEL

ZOOM = 1.5


@pytest.mark.parametrize("photo_name", ["coffee", "chelsea", "astronaut"])
def test_zoomed_view_has_the_same_metric_depth(photo_name):
    rgb = getattr(skimage.data, photo_name)()
    h, w = rgb.shape[:2]
    f = 0.8 * w
    est = Estimator.from_pretrained(DEFAULT_MODEL)
    wide = est.predict(rgb, camera=(f, f, (w - 1) / 2, (h - 1) / 2)).depth
    ch, cw = int(round(h / ZOOM)), int(round(w / ZOOM))
    top, left = (h - ch) // 2, (w - cw) // 2
    zoomed_rgb = cv2.resize(rgb[top:top + ch, left:left + cw], (w, h), interpolation=cv2.INTER_LINEAR)
    zoomed = est.predict(zoomed_rgb, camera=(f * ZOOM, f * ZOOM, (w - 1) / 2, (h - 1) / 2)).depth
    same_pixels = cv2.resize(zoomed, (cw, ch), interpolation=cv2.INTER_AREA)
    ratio = np.nanmedian(same_pixels / wide[top:top + ch, left:left + cw])
    assert 1 / 1.2 < ratio < 1.2, f"zoomed/wide median depth ratio {ratio:.3f}"
