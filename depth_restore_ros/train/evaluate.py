"""Evaluate any depth predictor on a data set under the data set's own protocol, with a baseline.

`predict_fn(sample) -> HxW float32 metres` keeps this free of models and backends: the CLI passes an
Estimator, tests pass plain arithmetic. A constant predictor is scored beside the model so a number
can be read against "knows nothing but the typical depth of this data set".
"""
import logging
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..data.datasets import window_mask
from .metrics import METRICS, DepthBands, MetricAccumulator, align as align_prediction, depth_metrics
from .uncertainty_eval import UncertaintyAccumulator

LOG = logging.getLogger(__name__)
BASELINE_PIXELS = 20_000  # gt pixels kept per image for the constant baseline (memory stays bounded)


def spread_indices(n: int, max_images: Optional[int]) -> np.ndarray:
    """All frames, or `max_images` spread evenly over the set (the first N of KITTI are one drive)."""
    if max_images is None or max_images >= n:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max(1, int(max_images))).round().astype(int))


def evaluate(predict_fn: Callable, dataset, align: str = "none", max_images: Optional[int] = None,
             progress: bool = True, on_image: Optional[Callable] = None,
             windows: Optional[Dict[str, Callable]] = None) -> Dict:
    """Metrics of `predict_fn` over `dataset` (a sequence of Samples with a `protocol`).

    Pixels count where the gt is inside the protocol's range and crop. NaN predictions are left out of
    the metrics and reported as `coverage` (the fraction of those pixels that got a finite prediction),
    so compare numbers only at comparable coverage. `align` (metrics.align) is fitted per image.
    Baseline "constant_median": predicts, for every pixel of every image, one constant, the median of
    all counted gt over the evaluated images; it never looks at the image it predicts. It gets the same
    alignment as the model and is scored on up to BASELINE_PIXELS evenly strided gt pixels per image.
    `on_image(sample, aligned_prediction, metrics)` is called per image (e.g. to keep a few for a picture).
    A `predict_fn` that returns (depth, uncertainty) also gets uncertainty scores (uncertainty_eval)
    under "uncertainty".
    "by_depth" breaks AbsRel, RMSE and the log bias down by ground-truth depth band, with each band's share
    of the squared error (metrics.DepthBands).
    `windows` (name -> crop, as EvalProtocol.crop) also scores the same predictions inside each window,
    under "windows": e.g. the Garg crop, the rows a KITTI LiDAR covers, for models trained on such GT.
    A data set whose NaN ground truth means "sky or beyond range" (`nan_means_beyond`, the synthetic world)
    also gets "beyond_range": how many of those pixels the predictor published as a surface, and how
    near: a robot reads them as obstacles, and no metric above sees them.
    """
    protocol = dataset.protocol
    lo, hi = protocol.min_depth, protocol.max_depth
    model, bands, counted, covered = MetricAccumulator(), DepthBands(), 0, 0
    in_window = {name: (crop, MetricAccumulator()) for name, crop in (windows or {}).items()}
    scored_uncertainty = UncertaintyAccumulator()
    beyond = BeyondRange() if getattr(dataset, "nan_means_beyond", None) is not None else None
    kept_gt: List[np.ndarray] = []
    per_image = []
    indices = spread_indices(len(dataset), max_images)
    iterator = indices
    if progress:
        from tqdm import tqdm
        iterator = tqdm(indices, desc="evaluate", unit="img")
    for index in iterator:
        sample = dataset[int(index)]
        pred, uncertainty = predict_fn(sample), None
        if isinstance(pred, tuple):
            pred, uncertainty = pred
        pred = np.asarray(pred, dtype=np.float32)
        if pred.shape != sample.depth.shape:
            raise ValueError(f"{sample.name}: prediction {pred.shape} and ground truth {sample.depth.shape} "
                             "differ in size; predict at the image's resolution")
        mask = protocol.mask(sample.depth)
        aligned = align_prediction(pred, sample.depth, mask, align)
        metrics = depth_metrics(aligned, sample.depth, mask, lo, hi)
        model.add(metrics)
        for crop, accumulator in in_window.values():
            accumulator.add(depth_metrics(aligned, sample.depth, mask & window_mask(crop, mask.shape), lo, hi))
        bands.add(aligned, sample.depth, mask, lo, hi)
        if uncertainty is not None:
            scored_uncertainty.add(aligned, sample.depth, np.asarray(uncertainty, np.float32), mask)
        if beyond is not None:
            beyond.add(pred, sample.depth)
        n_mask, n_finite = int(mask.sum()), int((mask & np.isfinite(aligned)).sum())
        counted, covered = counted + n_mask, covered + n_finite
        gt = sample.depth[mask]
        kept_gt.append(gt[:: max(1, -(-gt.size // BASELINE_PIXELS))].astype(np.float32))
        per_image.append({"name": sample.name, "coverage": n_finite / n_mask if n_mask else 0.0,
                          **({k: metrics[k] for k in ("absrel", "rmse", "d1")} if metrics else {})})
        if on_image is not None:
            on_image(sample, aligned, metrics)
    if model.empty:
        LOG.warning("%d of %d images had no pixel to score", model.empty, len(indices))
    extra = {"uncertainty": scored_uncertainty.result()} if scored_uncertainty.rhos else {}
    if beyond is not None:
        extra["beyond_range"] = beyond.result()
    if in_window:
        extra["windows"] = {name: accumulator.result() for name, (_, accumulator) in in_window.items()}
    return {
        **extra,
        "metrics": model.result(),
        "by_depth": bands.result(),
        "num_images": model.count,
        "num_empty": model.empty,
        "coverage": covered / counted if counted else 0.0,
        "protocol": protocol.describe(),
        "align": align,
        "baselines": {"constant_median": _constant_median(kept_gt, align, lo, hi)},
        "per_image": per_image,
    }


class BeyondRange:
    """Pixels with no surface within range (NaN ground truth in a `nan_means_beyond` data set): the
    fraction published as finite depth, and the quartiles of that depth (from a strided sample)."""

    def __init__(self):
        self.pixels, self.published, self.images, self.kept = 0, 0, 0, []

    def add(self, pred: np.ndarray, gt: np.ndarray) -> None:
        sky = ~np.isfinite(gt)
        if not sky.any():
            return
        depth = pred[sky & np.isfinite(pred)]
        self.images += 1
        self.pixels += int(sky.sum())
        self.published += depth.size
        self.kept.append(depth[:: max(1, -(-depth.size // BASELINE_PIXELS))])

    def result(self) -> Dict:
        kept = np.concatenate(self.kept) if self.kept else np.zeros(0, np.float32)
        quartiles = np.percentile(kept, [25, 50, 75]).tolist() if kept.size else [None] * 3
        return {"images": self.images, "pixels": self.pixels,
                "published_fraction": self.published / self.pixels if self.pixels else 0.0,
                "published_quartiles_m": quartiles}


def estimator_predictor(est, mask_beyond: bool = True) -> Callable:
    """`predict_fn` for evaluate(): an Estimator's depth; a stereo model gets the right view when the
    sample has one. mask_beyond=False: the depth network's value also where the sky head fires."""
    def predict(sample):
        pair = est.config.stereo and sample.right_rgb is not None
        options = dict(aux_rgb=sample.right_rgb, baseline_m=sample.baseline_m) if pair else {}
        return est.predict(sample.rgb, camera=sample.camera, mask_beyond=mask_beyond, **options).depth
    return predict


def _constant_median(kept_gt: Sequence[np.ndarray], align: str, lo: float, hi: float) -> Dict:
    values = [g for g in kept_gt if g.size]
    if not values:
        return {"value_m": float("nan"), "metrics": MetricAccumulator().result()}
    constant = float(np.median(np.concatenate(values)))
    acc = MetricAccumulator()
    for gt in values:
        valid = np.ones(gt.shape, bool)
        pred = align_prediction(np.full(gt.shape, constant, np.float32), gt, valid, align)
        acc.add(depth_metrics(pred, gt, valid, lo, hi))
    return {"value_m": constant, "metrics": acc.result()}


def _display(values: np.ndarray, height: int) -> np.ndarray:
    """A float map resized to `height` rows for a picture; sparse maps (lidar) are dilated first so
    their points stay visible after down-scaling. NaN stays NaN."""
    import cv2
    values = np.asarray(values, np.float32)
    valid = np.isfinite(values)
    scale = height / values.shape[0]
    if valid.mean() < 0.3 and scale < 1:
        k = 2 * int(round(0.5 / scale)) + 1
        kernel = np.ones((k, k), np.uint8)
        filled = cv2.dilate(np.where(valid, values, -np.inf).astype(np.float32), kernel)
        values = np.where(cv2.dilate(valid.astype(np.uint8), kernel) > 0, filled, np.nan).astype(np.float32)
    width = max(1, round(values.shape[1] * scale))
    return cv2.resize(values, (width, height), interpolation=cv2.INTER_NEAREST)


def _table(result: Dict, width: int) -> np.ndarray:
    import cv2
    rows = [("", [m for m in METRICS]), ("model", [result["metrics"][m] for m in METRICS])]
    for name, base in result.get("baselines", {}).items():
        rows.append((name.replace("_", " "), [base["metrics"][m] for m in METRICS]))
    title = (f"{result.get('model', 'model')} on {result.get('data', result['protocol']['name'])}: "
             f"{result['num_images']} images, align {result['align']}, "
             f"coverage {100 * result['coverage']:.1f}%")
    canvas = np.full((30 + 26 * len(rows), max(width, 180 + 100 * len(METRICS)), 3), 24, np.uint8)
    font, colour = cv2.FONT_HERSHEY_SIMPLEX, (235, 235, 235)
    cv2.putText(canvas, title, (10, 20), font, 0.5, colour, 1, cv2.LINE_AA)
    for r, (label, values) in enumerate(rows):
        y = 48 + 26 * r
        cv2.putText(canvas, label, (10, y), font, 0.5, colour, 1, cv2.LINE_AA)
        for c, v in enumerate(values):
            text = v if isinstance(v, str) else f"{v:.4f}" if abs(v) < 10 else f"{v:.2f}"
            cv2.putText(canvas, text, (180 + 100 * c, y), font, 0.5, colour, 1, cv2.LINE_AA)
    return canvas


def write_report(result: Dict, samples_for_picture: Sequence[Tuple], out_png, row_height: int = 200) -> Path:
    """A PNG: per (sample, prediction) pair (1-3 of them) a row rgb | gt | prediction | abs-rel error
    (black = no gt; bright = error >= 50%), then the metrics table. Drawn with cv2 only."""
    import cv2

    from ..core.colorize import colorize_depth, colorize_uncertainty, side_by_side

    rows = []
    for sample, pred in list(samples_for_picture)[:3]:
        gt, pred = sample.depth, np.asarray(pred, np.float32)
        with np.errstate(invalid="ignore", divide="ignore"):
            error = np.abs(pred - gt) / gt
        valid = np.isfinite(gt) & (gt > 0)
        vmin, vmax = (np.percentile(gt[valid], [2, 98]) if valid.any() else (None, None))
        rgb_width = max(1, round(sample.rgb.shape[1] * row_height / sample.rgb.shape[0]))
        panels = [cv2.resize(sample.rgb, (rgb_width, row_height), interpolation=cv2.INTER_AREA),
                  colorize_depth(_display(gt, row_height), vmin, vmax),
                  colorize_depth(_display(pred, row_height), vmin, vmax),
                  colorize_uncertainty(_display(error, row_height), vmax=0.5)]
        rows.append(side_by_side(panels, [sample.name or "rgb", "ground truth", "prediction", "abs rel error"]))
    width = max([r.shape[1] for r in rows] + [1])
    # Rows of differently sized images get padded to one width.
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows]
    table = _table(result, width)
    rows = [np.pad(r, ((0, 0), (0, table.shape[1] - r.shape[1]), (0, 0))) for r in rows]
    picture = np.concatenate(rows + [table], axis=0)
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out_png), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {out_png}")
    return out_png
