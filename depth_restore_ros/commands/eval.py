"""`depth-restore eval --model M --data SPEC`: metrics under the data set's protocol, as JSON and a picture.

    depth-restore eval --model mono-small --data nyu:/data/nyu_depth_v2_labeled.mat \
        --json nyu.json --png nyu.png
"""
import json
import math
import time
from pathlib import Path

from ..inference.estimator import BACKENDS
from ..train.metrics import ALIGN_MODES


def add_arguments(parser):
    parser.add_argument("--model", default=None,
                        help="shipped model name or model folder (default: mono-small)")
    parser.add_argument("--data", required=True,
                        help="data set spec: synthetic:test, kitti:<root>, nyu:<file.mat|folder>, "
                             "folder:<dir>, rosbag:<bag>?image=..&depth=..&info=..")
    parser.add_argument("--align", default="none", choices=ALIGN_MODES,
                        help="per-image least-squares alignment before the metrics (none for metric models; "
                             "scale-shift is in depth space, scale-shift-disparity in disparity space)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--png", help="write a picture (3 images + the metrics table) here")
    parser.add_argument("--max-images", type=int, help="evaluate this many frames spread over the set")
    parser.add_argument("--backend", default="auto", choices=BACKENDS)
    parser.add_argument("--num-samples", type=int, help="samples per image for stochastic models")
    parser.add_argument("--no-mask-beyond", dest="mask_beyond", action="store_false",
                        help="score the depth network on every pixel: its depth also where the sky head "
                             "says nothing lies within range (published as NaN by default)")
    parser.add_argument("--uncertainty", metavar="PNG", nargs="?", const="",
                        help="also score the uncertainty (sparsification, AUSE, Spearman); with a path, "
                             "plot the sparsification curves there")
    parser.add_argument("--no-progress", action="store_true")


def _strict_json(value):
    """NaN/inf -> null: JSON has no NaN, and strict parsers reject it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v) for v in value]
    return value


def run(args) -> int:
    from depth_restore_ros import Estimator

    from ..data.datasets import open_dataset
    from ..inference.registry import DEFAULT_MODEL
    from ..train.evaluate import evaluate, write_report

    args.model = args.model or DEFAULT_MODEL
    est = Estimator.from_pretrained(args.model, backend=args.backend)
    dataset = open_dataset(args.data)
    stereo = bool(getattr(est.config, "stereo", False))

    def predict(sample):
        options = {}
        if stereo:
            if sample.right_rgb is None or sample.baseline_m is None:
                raise ValueError(f"{sample.name}: model {args.model} is stereo but the data set has no right "
                                 "view and baseline (KITTI: add ?stereo=1; folder: right/ + baseline)")
            options.update(aux_rgb=sample.right_rgb, baseline_m=sample.baseline_m)
        if args.num_samples:
            options["num_samples"] = args.num_samples
        pred = est.predict(sample.rgb, camera=sample.camera, mask_beyond=args.mask_beyond, **options)
        return (pred.depth, pred.uncertainty) if args.uncertainty is not None else pred.depth

    picture = []

    def keep(sample, aligned, metrics):
        if len(picture) < 3 and metrics is not None:
            picture.append((sample, aligned))

    start = time.perf_counter()
    result = evaluate(predict, dataset, align=args.align, max_images=args.max_images,
                      progress=not args.no_progress, on_image=keep)
    seconds = time.perf_counter() - start
    result = {"model": args.model, "data": args.data, "backend": getattr(est, "backend_name", args.backend),
              "mask_beyond": args.mask_beyond, "seconds": round(seconds, 2), **result}
    m, base = result["metrics"], result["baselines"]["constant_median"]["metrics"]
    print(f"{args.model} on {args.data} ({result['num_images']} images, align {args.align}, "
          f"coverage {100 * result['coverage']:.1f}%, {seconds:.1f} s)")
    for label, values in (("model", m), ("constant median", base)):
        print(f"  {label:16s} " + "  ".join(f"{k} {values[k]:.4f}" for k in ("absrel", "rmse", "silog", "d1")))
    if result.get("beyond_range", {}).get("pixels"):
        b = result["beyond_range"]
        near = "" if b["published_quartiles_m"][1] is None else \
            f", median {b['published_quartiles_m'][1]:.1f} m"
        print(f"  sky / beyond range: {100 * b['published_fraction']:.1f}% of {b['pixels']} pixels "
              f"({b['images']} images) published as a surface{near}")
    if "uncertainty" in result:
        u = result["uncertainty"]
        print("  uncertainty      " + "  ".join(f"AUSE({k}) {u[k]['ause']:.4f} (random {u[k]['ause_random']:.4f})"
                                                for k in ("rmse", "absrel") if k in u)
              + f"  spearman {u['spearman']:.3f}")
        if args.uncertainty:
            from ..train.uncertainty_eval import plot_sparsification
            plot_sparsification(u, args.uncertainty, f"{args.model} on {args.data}")
            print(f"wrote {args.uncertainty}")
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_strict_json(result), indent=2) + "\n")
        print(f"wrote {path}")
    if args.png:
        print(f"wrote {write_report(result, picture, args.png)}")
    return 0
