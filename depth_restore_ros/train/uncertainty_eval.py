"""How good is a per-pixel uncertainty: sparsification curves, AUSE and rank correlation with error.

Sparsification: remove the pixels the model is least sure of, a fraction at a time, and score what is
left; a good uncertainty makes the error fall fast. The oracle removes pixels by their true error
(the best any ordering can do); a random ordering leaves the error flat on average. AUSE is the area
between the model's curve and the oracle's (Ilg et al. 2018; Poggi et al. 2020), per image and then
averaged over images, for RMSE (pixels ranked by the uncertainty in metres) and AbsRel (ranked by
the relative uncertainty, sigma / depth); lower is better, and AUSE(random) is the reference.
Spearman: rank correlation of uncertainty with absolute error over an image's valid pixels, averaged.
"""
from typing import Dict, List

import numpy as np

FRACTIONS = np.linspace(0.0, 0.99, 100)   # fraction of pixels removed
METRICS = ("rmse", "absrel")
MAX_PIXELS = 50_000                        # per image (evenly strided): bounded time and memory


def _errors(pred: np.ndarray, gt: np.ndarray, metric: str) -> np.ndarray:
    """Per-pixel squared error (RMSE) or relative error (AbsRel)."""
    return (pred - gt) ** 2 if metric == "rmse" else np.abs(pred - gt) / gt


def _curve(err: np.ndarray, order: np.ndarray, metric: str) -> np.ndarray:
    """Metric of the pixels kept after removing the first fractions of `order` (most removed first)."""
    kept = err[order][::-1]                           # least removable first
    sums = np.cumsum(kept)
    n = kept.size
    counts = np.maximum(1, np.round((1.0 - FRACTIONS) * n).astype(int))
    means = sums[counts - 1] / counts
    return np.sqrt(means) if metric == "rmse" else means


def _ranks(values: np.ndarray) -> np.ndarray:
    ranks = np.empty(values.size, np.float64)
    ranks[np.argsort(values, kind="stable")] = np.arange(values.size)
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho (ties broken by position: fine for continuous maps)."""
    ra, rb = _ranks(a), _ranks(b)
    ra -= ra.mean()
    rb -= rb.mean()
    denom = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return float((ra * rb).sum() / denom) if denom > 0 else 0.0


class UncertaintyAccumulator:
    """Add images one at a time; `result()` gives AUSE per metric, the random reference, mean curves
    and the mean Spearman correlation."""

    def __init__(self):
        self.curves = {m: {"model": [], "oracle": [], "random": []} for m in METRICS}
        self.rhos: List[float] = []

    def add(self, pred: np.ndarray, gt: np.ndarray, uncertainty: np.ndarray, mask: np.ndarray) -> None:
        keep = mask & np.isfinite(pred) & np.isfinite(uncertainty) & (gt > 0)
        p, g, u = pred[keep], gt[keep], uncertainty[keep]
        if p.size < 100:
            return
        step = max(1, p.size // MAX_PIXELS)
        p, g, u = p[::step].astype(np.float64), g[::step].astype(np.float64), u[::step].astype(np.float64)
        # each metric's error ranked by the uncertainty in its own units: metres for RMSE, relative
        # (sigma / depth) for AbsRel, or AbsRel would just remove the far pixels first
        by_uncertainty = {"rmse": np.argsort(-u, kind="stable"), "absrel": np.argsort(-u / p, kind="stable")}
        for metric in METRICS:
            err = _errors(p, g, metric)
            self.curves[metric]["model"].append(_curve(err, by_uncertainty[metric], metric))
            self.curves[metric]["oracle"].append(_curve(err, np.argsort(-err, kind="stable"), metric))
            full = np.sqrt(err.mean()) if metric == "rmse" else err.mean()
            self.curves[metric]["random"].append(np.full(FRACTIONS.size, full))
        self.rhos.append(spearman(u, np.abs(p - g)))

    def result(self) -> Dict:
        out = {"num_images": len(self.rhos), "fractions": FRACTIONS.round(3).tolist(),
               "spearman": float(np.mean(self.rhos)) if self.rhos else float("nan")}
        for metric, curves in self.curves.items():
            if not curves["model"]:
                continue
            model, oracle, rand = (np.mean(curves[k], axis=0) for k in ("model", "oracle", "random"))
            ause = np.mean([np.trapezoid(c - o, FRACTIONS) for c, o in zip(curves["model"], curves["oracle"])])
            ause_random = np.mean([np.trapezoid(r - o, FRACTIONS) for r, o in zip(curves["random"],
                                                                                  curves["oracle"])])
            out[metric] = {"ause": float(ause), "ause_random": float(ause_random),
                           "ause_ratio": float(ause / ause_random) if ause_random > 0 else float("nan"),
                           "curve": model.round(5).tolist(), "oracle": oracle.round(5).tolist(),
                           "random": rand.round(5).tolist()}
        return out


def plot_sparsification(result: Dict, path, title: str = "") -> None:
    """Curves (model, oracle, random) for each metric, side by side, drawn with cv2."""
    import cv2

    panels = []
    colours = {"curve": (80, 160, 255), "oracle": (90, 220, 90), "random": (160, 160, 160)}
    for metric in METRICS:
        if metric not in result:
            continue
        r = result[metric]
        canvas = np.full((320, 420, 3), 255, np.uint8)
        top = max(max(r["curve"]), max(r["random"])) or 1.0
        x0, y0, w, h = 50, 280, 350, 240
        cv2.rectangle(canvas, (x0, y0 - h), (x0 + w, y0), (0, 0, 0), 1)
        for key, colour in colours.items():
            pts = [(int(x0 + f * w), int(y0 - v / top * h)) for f, v in zip(result["fractions"], r[key])]
            cv2.polylines(canvas, [np.array(pts, np.int32)], False, colour, 2, cv2.LINE_AA)
        text = f"{metric}: AUSE {r['ause']:.4f} (random {r['ause_random']:.4f})"
        cv2.putText(canvas, text, (10, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(canvas, "removed fraction ->", (x0 + 200, y0 + 25), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (0, 0, 0), 1, cv2.LINE_AA)
        for i, (key, colour) in enumerate(colours.items()):
            cv2.putText(canvas, {"curve": "model"}.get(key, key), (x0 + 10, y0 - h + 20 + 16 * i),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)
        panels.append(canvas)
    image = np.concatenate(panels, axis=1)
    if title:
        band = np.full((28, image.shape[1], 3), 255, np.uint8)
        cv2.putText(band, title, (10, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        image = np.concatenate([band, image], axis=0)
    cv2.imwrite(str(path), image[:, :, ::-1])
