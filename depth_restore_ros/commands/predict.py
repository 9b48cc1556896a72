"""`depth-restore predict IMAGE... --out DIR`: depth for image files, as .npy (metres) and a picture."""
from pathlib import Path

from ..inference.estimator import BACKENDS


def add_arguments(parser):
    parser.add_argument("images", nargs="+", help="image files (png, jpg, ...)")
    parser.add_argument("--model", default=None, help="shipped model name or model folder (default: mono-small)")
    parser.add_argument("--backend", default="auto", choices=BACKENDS)
    parser.add_argument("--fx", type=float, help="focal length in pixels (default: a 60 deg horizontal FOV)")
    parser.add_argument("--fy", type=float)
    parser.add_argument("--cx", type=float)
    parser.add_argument("--cy", type=float)
    parser.add_argument("--out", default="out/predict", help="output folder")


def camera_from_args(args, shape):
    if args.fx is None:
        return None
    return (args.fx, args.fy or args.fx, (shape[1] - 1) / 2 if args.cx is None else args.cx,
            (shape[0] - 1) / 2 if args.cy is None else args.cy)


def run(args) -> int:
    import cv2
    import numpy as np

    from ..core.colorize import colorize_uncertainty, side_by_side
    from ..inference import Estimator
    from ..inference.registry import DEFAULT_MODEL

    estimator = Estimator.from_pretrained(args.model or DEFAULT_MODEL, backend=args.backend)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.images:
        bgr = cv2.imread(name, cv2.IMREAD_COLOR)
        if bgr is None:
            print(f"skipped {name}: not a readable image")
            continue
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        pred = estimator.predict(rgb, camera=camera_from_args(args, rgb.shape))
        stem = out / Path(name).stem
        np.save(f"{stem}_depth.npy", pred.depth)
        np.save(f"{stem}_uncertainty.npy", pred.uncertainty)
        picture = side_by_side([rgb, pred.colorized(), colorize_uncertainty(pred.uncertainty)],
                               ["input", "depth", "uncertainty"])
        cv2.imwrite(f"{stem}_depth.png", cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
        print(f"{name}: median depth {np.nanmedian(pred.depth):.2f} m -> {stem}_depth.npy, {stem}_depth.png")
    return 0
