"""Depth and uncertainty -> rgb8 pictures for people (RViz Image, README figures, debugging).

These are for looking at only: the metric depth itself is published as 32FC1 metres. The colour
maps are 256-entry tables interpolated from a few anchor colours chosen here: a turbo-like
rainbow for depth (hue separates distances well) and a dark-to-bright sequential map for
uncertainty (brightness reads as "more", and it cannot be mistaken for the depth map).
"""
import numpy as np

# Anchors (position in [0, 1], RGB) -- blue (far) through green and yellow to dark red (near).
_DEPTH_ANCHORS = [
    (0.00, (48, 18, 59)), (0.12, (68, 90, 205)), (0.25, (62, 156, 254)), (0.38, (24, 215, 203)),
    (0.50, (70, 248, 132)), (0.62, (164, 252, 60)), (0.75, (238, 207, 58)), (0.87, (251, 128, 34)),
    (0.95, (208, 47, 5)), (1.00, (122, 4, 3)),
]
# Deep violet -> magenta -> orange -> pale yellow; starts above black so NaN (black) stays distinct.
_UNCERTAINTY_ANCHORS = [
    (0.00, (20, 12, 50)), (0.30, (110, 30, 130)), (0.60, (215, 70, 90)), (0.85, (250, 160, 60)),
    (1.00, (252, 250, 190)),
]


def _table(anchors) -> np.ndarray:
    pos = np.array([a[0] for a in anchors])
    cols = np.array([a[1] for a in anchors], dtype=np.float64)
    x = np.linspace(0.0, 1.0, 256)
    lut = np.stack([np.interp(x, pos, cols[:, c]) for c in range(3)], axis=1)
    return np.round(lut).astype(np.uint8)


DEPTH_LUT = _table(_DEPTH_ANCHORS)
UNCERTAINTY_LUT = _table(_UNCERTAINTY_ANCHORS)


def _valid_sample(values, valid, limit=100_000):
    """Valid values, strided down to ~`limit` so percentiles stay cheap on big images."""
    v = values[valid]
    return v[:: max(1, v.size // limit)]


def _apply(lut, t, valid) -> np.ndarray:
    idx = np.zeros(t.shape, dtype=np.uint8)
    idx[valid] = np.round(np.clip(t[valid], 0.0, 1.0) * 255.0).astype(np.uint8)
    out = lut[idx]
    out[~valid] = 0
    return out


def colorize_depth(depth, vmin=None, vmax=None) -> np.ndarray:
    """HxW metres -> HxWx3 uint8 RGB; near is warm (red), far is cold (blue), invalid is black.

    Coloured by inverse depth, which spends the colours where a camera resolves depth best (near).
    vmin / vmax (metres) default to the 2nd / 98th percentiles of valid pixels, so one outlier
    does not wash out the picture.
    """
    depth = np.asarray(depth, dtype=np.float32)
    valid = np.isfinite(depth) & (depth > 0)
    if not valid.any():
        return np.zeros(depth.shape + (3,), dtype=np.uint8)
    if vmin is None or vmax is None:
        lo, hi = np.percentile(_valid_sample(depth, valid), [2.0, 98.0])
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
    vmin = max(float(vmin), 1e-6)
    vmax = max(float(vmax), vmin * (1 + 1e-6))
    inv_near, inv_far = 1.0 / vmin, 1.0 / vmax
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (1.0 / depth - inv_far) / (inv_near - inv_far)
    return _apply(DEPTH_LUT, t, valid)


def colorize_uncertainty(uncertainty, vmax=None) -> np.ndarray:
    """HxW uncertainty (metres) -> HxWx3 uint8; 0 is dark, >= vmax is bright, NaN is black.

    vmax defaults to the 98th percentile of valid pixels.
    """
    unc = np.asarray(uncertainty, dtype=np.float32)
    valid = np.isfinite(unc)
    if not valid.any():
        return np.zeros(unc.shape + (3,), dtype=np.uint8)
    if vmax is None:
        vmax = float(np.percentile(_valid_sample(unc, valid), 98.0))
    t = unc / max(float(vmax), 1e-12)
    return _apply(UNCERTAINTY_LUT, t, valid)


def side_by_side(panels, labels=()) -> np.ndarray:
    """Panels (HxWx3 or HxW uint8) resized to the first panel's height, labelled, left to right."""
    import cv2  # lazy: only for resizing and text

    if not panels:
        raise ValueError("side_by_side needs at least one panel")
    height = panels[0].shape[0]
    out = []
    for i, panel in enumerate(panels):
        panel = np.asarray(panel)
        if panel.ndim == 2:
            panel = np.repeat(panel[:, :, None], 3, axis=2)
        if panel.dtype != np.uint8 or panel.shape[2] != 3:
            raise ValueError(f"panel {i} must be HxWx3 uint8, got {panel.shape} {panel.dtype}")
        if panel.shape[0] != height:
            width = max(1, round(panel.shape[1] * height / panel.shape[0]))
            panel = cv2.resize(panel, (width, height), interpolation=cv2.INTER_AREA)
        else:
            panel = panel.copy()  # putText draws in place
        if i < len(labels) and labels[i]:
            scale = max(0.4, height / 480.0 * 0.8)
            org = (int(8 * scale), int(28 * scale))
            thick = max(1, int(round(2 * scale)))
            # A dark outline under the white text keeps it readable on any background.
            cv2.putText(panel, labels[i], org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2,
                        cv2.LINE_AA)
            cv2.putText(panel, labels[i], org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick,
                        cv2.LINE_AA)
        out.append(panel)
    return np.concatenate(out, axis=1)
