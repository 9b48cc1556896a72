"""Standard monocular depth metrics (docs: METHODS.md, "Evaluation protocol"), numpy only.

Metrics are computed per image and then averaged over images, as the published NYU / KITTI numbers
are: a pixel-weighted mean would let the images with the most valid pixels dominate.
"""
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

METRICS = ("absrel", "sqrel", "rmse", "rmse_log", "log10", "silog", "d1", "d2", "d3")
ALIGN_MODES = ("none", "scale", "scale-shift", "scale-shift-disparity")


def counted_pixels(pred, gt, valid, min_depth: float, max_depth: float):
    """(prediction clipped to the range, gt) as float64 over `valid` pixels with a finite prediction
    and a positive finite gt: the pixels every metric here counts."""
    pred, gt = np.asarray(pred, np.float64), np.asarray(gt, np.float64)
    if pred.shape != gt.shape or np.shape(valid) != gt.shape:
        raise ValueError(f"pred {pred.shape}, gt {gt.shape} and valid {np.shape(valid)} must have one shape")
    mask = np.asarray(valid, bool) & np.isfinite(pred) & np.isfinite(gt) & (gt > 0)
    return np.clip(pred[mask], min_depth, max_depth), gt[mask]


def depth_metrics(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray, min_depth: float = 1e-3,
                  max_depth: float = 80.0) -> Optional[Dict[str, float]]:
    """Metrics of one image over `valid` pixels that also have a finite prediction; None if none do.

    Predictions are clipped to [min_depth, max_depth] (what the protocol does: a model is not
    punished with log(0) for an occasional zero). `valid` should already keep gt inside that range.
    """
    p, g = counted_pixels(pred, gt, valid, min_depth, max_depth)
    if not g.size:
        return None
    err = p - g
    d = np.log(p) - np.log(g)
    ratio = np.maximum(p / g, g / p)
    return {
        "absrel": float(np.mean(np.abs(err) / g)),
        "sqrel": float(np.mean(err ** 2 / g)),
        "rmse": float(np.sqrt(np.mean(err ** 2))),
        "rmse_log": float(np.sqrt(np.mean(d ** 2))),
        "log10": float(np.mean(np.abs(np.log10(p) - np.log10(g)))),
        # max(0, .) guards against a tiny negative from rounding when d is constant
        "silog": float(100.0 * np.sqrt(max(0.0, np.mean(d ** 2) - np.mean(d) ** 2))),
        "d1": float(np.mean(ratio < 1.25)),
        "d2": float(np.mean(ratio < 1.25 ** 2)),
        "d3": float(np.mean(ratio < 1.25 ** 3)),
    }


def _least_squares(x: np.ndarray, y: np.ndarray, shift: bool):
    """(scale, shift) minimising sum (scale * x + shift - y)^2; shift is 0 when not fitted."""
    if not shift:
        denom = float(np.dot(x, x))
        return (float(np.dot(x, y)) / denom if denom > 0 else 1.0), 0.0
    design = np.stack([x, np.ones_like(x)], axis=1)
    (s, t), *_ = np.linalg.lstsq(design, y, rcond=None)  # minimum-norm when x is constant
    return float(s), float(t)


def align(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray, mode: str = "none") -> np.ndarray:
    """Fit `pred` to `gt` over `valid` pixels by least squares, for relative (affine-invariant) models.

    none                  returns pred unchanged (metric models must be evaluated this way)
    scale                 s * pred
    scale-shift           s * pred + t in DEPTH space (the Marigold convention)
    scale-shift-disparity 1 / (s / pred + t): fitted in disparity space (the MiDaS / Depth Anything
                          convention); aligned disparities <= 0 become NaN (no depth)
    Say which mode a number used: the same prediction scores differently under each.
    """
    if mode not in ALIGN_MODES:
        raise ValueError(f"align mode must be one of {ALIGN_MODES}, not {mode!r}")
    pred = np.asarray(pred, np.float32)
    if mode == "none":
        return pred
    gt = np.asarray(gt, np.float64)
    mask = np.asarray(valid, bool) & np.isfinite(pred) & np.isfinite(gt) & (gt > 0)
    if mode == "scale-shift-disparity":
        mask &= pred > 0
    if mask.sum() < 2:
        return pred
    x, y = pred[mask].astype(np.float64), gt[mask]
    if mode == "scale-shift-disparity":
        s, t = _least_squares(1.0 / x, 1.0 / y, shift=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            disparity = s / pred.astype(np.float64) + t
            return np.where(disparity > 0, 1.0 / disparity, np.nan).astype(np.float32)
    s, t = _least_squares(x, y, shift=(mode == "scale-shift"))
    return (s * pred.astype(np.float64) + t).astype(np.float32)


class MetricAccumulator:
    """Averages per-image metrics over images; images without a usable pixel are counted apart."""

    def __init__(self):
        self.sums = {k: 0.0 for k in METRICS}
        self.count = 0
        self.empty = 0

    def add(self, metrics: Optional[Dict[str, float]]) -> None:
        if metrics is None:
            self.empty += 1
            return
        for k in METRICS:
            self.sums[k] += metrics[k]
        self.count += 1

    def result(self) -> Dict[str, float]:
        """Mean of each metric over the images added (NaN if none had valid pixels)."""
        return {k: (self.sums[k] / self.count if self.count else float("nan")) for k in METRICS}


DEPTH_BANDS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, float("inf"))  # metres


class DepthBands:
    """AbsRel, RMSE and mean log error per ground-truth depth band, pooled over every counted pixel:
    where in depth a model errs and which way (log_bias > 0: predicted too far), and each band's
    share of the squared error (what the overall RMSE is made of)."""

    def __init__(self, edges=DEPTH_BANDS):
        self.edges = tuple(float(e) for e in edges)
        n = len(self.edges) - 1
        self.count, self.absrel, self.log_error, self.sq_error = (np.zeros(n) for _ in range(4))

    def add(self, pred, gt, valid, min_depth: float = 1e-3, max_depth: float = 80.0) -> None:
        p, g = counted_pixels(pred, gt, valid, min_depth, max_depth)
        band = np.digitize(g, self.edges[1:-1])
        n = len(self.count)
        self.count += np.bincount(band, minlength=n)
        self.absrel += np.bincount(band, np.abs(p - g) / g, minlength=n)
        self.log_error += np.bincount(band, np.log(p / g), minlength=n)
        self.sq_error += np.bincount(band, (p - g) ** 2, minlength=n)

    def result(self):
        total, total_sq = self.count.sum(), self.sq_error.sum()
        rows = []
        for i, (lo, hi) in enumerate(zip(self.edges, self.edges[1:])):
            c = self.count[i]
            rows.append({"from_m": lo, "to_m": hi if np.isfinite(hi) else None,
                         "fraction": float(c / total) if total else 0.0,
                         "absrel": float(self.absrel[i] / c) if c else None,
                         "log_bias": float(self.log_error[i] / c) if c else None,
                         "rmse": float(np.sqrt(self.sq_error[i] / c)) if c else None,
                         "sq_error_share": float(self.sq_error[i] / total_sq) if total_sq else 0.0})
        return rows


def paired_bootstrap_change(reference: Sequence[float], other: Sequence[float], resamples: int = 10_000,
                            level: float = 0.95, seed: int = 0) -> Tuple[float, float, float]:
    """(change, low, high) of the mean of a per-image metric from `reference` to `other` (a fraction:
    +0.02 is 2 % more), with a `level` interval from resampling the images, the same draw for both.

    Two models scored on one test set differ partly by which images that set happened to hold; the
    interval says how far the change could move by that alone (not by training another seed). An
    image either model could not score (NaN) is left out of both."""
    a, b = np.asarray(reference, np.float64), np.asarray(other, np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"per-image values of the same images expected, got {a.shape} and {b.shape}")
    both = np.isfinite(a) & np.isfinite(b)
    a, b = a[both], b[both]
    if not a.size:
        raise ValueError("no image that both models scored")
    draws = np.random.default_rng(seed).integers(0, a.size, (resamples, a.size))
    changes = b[draws].mean(axis=1) / a[draws].mean(axis=1) - 1.0
    low, high = np.quantile(changes, [(1.0 - level) / 2, (1.0 + level) / 2])
    return float(b.mean() / a.mean() - 1.0), float(low), float(high)
