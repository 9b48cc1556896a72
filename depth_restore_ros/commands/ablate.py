"""`depth-restore ablate restore|stereo`: an ablation table, trained and evaluated in one go.

restore: mono-small; + restoration (mono-restore); + restoration with the invertible stages
replaced by plain ones; and both base models trained on LiDAR-sparse ground truth (~5% of pixels).
stereo: mono-restore vs stereo-restore on held-out synthetic stereo pairs, with OpenCV SGBM in the
same run (its density and errors where it matched, and with its holes filled).
Every row uses its recipe's data and budget (or --steps for all); results go to markdown and JSON.
A table longer to train than one sitting: --no-train writes what is ready, --keep takes the rows of
the earlier JSON that still match (recipe, data, frames) instead of training them again.
Rows of shipped models name the recipe that made them (stage 2, the sky head on the frozen network),
so they are reused as shipped; every row scores the depth network on every pixel (a sky head's mask
is not applied: it decides where to publish, not what depth).
"""
import json
import shlex
import sys
from pathlib import Path

from ..data.datasets import garg_crop
from ..train.ablation import Variant, evaluate_rows, markdown

STUDIES = {
    "restore": [
        Variant("mono-small", "config/train/mono-small-sky-head.yaml", slug="ablate-mono-small"),
        Variant("+ restoration (mono-restore)", "config/train/mono-restore-sky-head.yaml", slug="ablate-mono-restore"),
        Variant("+ restoration, plain decoder", "config/train/mono-restore.yaml",
                {"arch_args": {"invertible": False}}, slug="ablate-restore-plain"),
        Variant("mono-small, sparse GT", "config/train/mono-small.yaml", {"gt_density": "lidar"},
                slug="ablate-mono-small-lidar"),
        Variant("+ restoration, sparse GT", "config/train/mono-restore.yaml", {"gt_density": "lidar"},
                slug="ablate-mono-restore-lidar"),
        # the first two rows' recipes again with another seed: how far a row moves by chance in training
        Variant("mono-small, seed 1", "config/train/mono-small.yaml", {"seed": 1}, slug="ablate-mono-small-seed1",
                repeats="mono-small"),
        Variant("+ restoration, seed 1", "config/train/mono-restore.yaml", {"seed": 1},
                slug="ablate-mono-restore-seed1", repeats="+ restoration (mono-restore)"),
    ],
    "stereo": [
        Variant("mono-restore (left view only)", "config/train/mono-restore-sky-head.yaml", slug="ablate-mono-restore"),
        Variant("stereo-restore (AV-LFE)", "config/train/stereo-restore-sky-head.yaml", slug="ablate-stereo-restore"),
        Variant("stereo-restore-hr (AV-LFE, matching at full resolution)", "config/train/stereo-restore-hr-sky-head.yaml",
                slug="ablate-stereo-restore-hr"),
        Variant("OpenCV SGBM, where it matched", classical="sgbm"),
        Variant("OpenCV SGBM, holes filled", classical="sgbm-filled"),
    ],
}
DEFAULT_DATA = {"restore": "synthetic:test", "stereo": "synthetic:test?stereo=true"}
# windows of the frame each row is also scored in: name -> (crop, what the table shows)
WINDOWS = {"restore": {"garg_crop": (garg_crop, (
    "rows 41-99 % of the height, columns 4-96 % (KITTI's Garg crop), the part of the view the sparse-GT "
    "rows' LiDAR-like scan lines cover. Above it those rows had no ground truth at all, and the table "
    "above scores them there too."))}}


def add_arguments(parser):
    parser.add_argument("study", choices=sorted(STUDIES))
    parser.add_argument("--out", default=None, help="markdown file (default: docs/ablation_<study>.md)")
    parser.add_argument("--runs", default="runs/ablation", help="where rows that need training train")
    parser.add_argument("--data", default=None, help="default: synthetic:test (stereo: its stereo pairs)")
    parser.add_argument("--steps", type=int, help="train every row for this many steps instead of its recipe's")
    parser.add_argument("--max-images", type=int, help="evaluate on this many test frames (default: all)")
    parser.add_argument("--keep", action="store_true",
                        help="keep rows of the existing JSON beside --out whose recipe, data and frames are "
                             "unchanged: a table can be written over several runs")
    parser.add_argument("--no-train", action="store_true",
                        help="leave out (and name) rows that would need training; write the rest")
    parser.add_argument("--no-progress", action="store_true")


def run(args) -> int:
    out = Path(args.out or Path("docs") / f"ablation_{args.study}.md")
    data = args.data or DEFAULT_DATA[args.study]
    earlier = out.with_suffix(".json")
    kept = json.loads(earlier.read_text()) if args.keep and earlier.is_file() else []
    windows = WINDOWS.get(args.study, {})
    rows = evaluate_rows(STUDIES[args.study], Path(args.runs), data, args.steps, args.max_images,
                         not args.no_progress, kept, train=not args.no_train,
                         windows={name: crop for name, (crop, _) in windows.items()})
    command = "depth-restore " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["ablate"] \
        else f"depth-restore ablate {args.study}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(f"Ablation: {args.study}", command, data, rows,
                            windows={name: why for name, (_, why) in windows.items()}))
    out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print(out.read_text())
    return 0
