"""`depth-restore ablate restore`: the restoration ablation table, trained and evaluated in one go.

Rows: mono-small; + restoration (mono-restore); + restoration with the invertible stages replaced
by plain ones; and both base models trained on LiDAR-sparse ground truth (~5% of pixels). Every row
uses its recipe's data and budget (or --steps for all); results go to a markdown file and JSON.
"""
import json
import shlex
import sys
from pathlib import Path

from ..train.ablation import Variant, evaluate_rows, markdown

STUDIES = {
    "restore": [
        Variant("mono-small", "config/train/mono-small.yaml", slug="ablate-mono-small"),
        Variant("+ restoration (mono-restore)", "config/train/mono-restore.yaml", slug="ablate-mono-restore"),
        Variant("+ restoration, plain decoder", "config/train/mono-restore.yaml",
                {"arch_args": {"invertible": False}}, slug="ablate-restore-plain"),
        Variant("mono-small, sparse GT", "config/train/mono-small.yaml", {"gt_density": "lidar"},
                slug="ablate-mono-small-lidar"),
        Variant("+ restoration, sparse GT", "config/train/mono-restore.yaml", {"gt_density": "lidar"},
                slug="ablate-mono-restore-lidar"),
    ],
}


def add_arguments(parser):
    parser.add_argument("study", choices=sorted(STUDIES))
    parser.add_argument("--out", default=None, help="markdown file (default: docs/ablation_<study>.md)")
    parser.add_argument("--runs", default="runs/ablation", help="where rows that need training train")
    parser.add_argument("--data", default="synthetic:test")
    parser.add_argument("--steps", type=int, help="train every row for this many steps instead of its recipe's")
    parser.add_argument("--max-images", type=int, help="evaluate on this many test frames (default: all)")
    parser.add_argument("--no-progress", action="store_true")


def run(args) -> int:
    out = Path(args.out or Path("docs") / f"ablation_{args.study}.md")
    rows = evaluate_rows(STUDIES[args.study], Path(args.runs), args.data, args.steps, args.max_images,
                         not args.no_progress)
    command = "depth-restore " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["ablate"] \
        else f"depth-restore ablate {args.study}"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(f"Ablation: {args.study}", command, args.data, rows))
    out.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print(out.read_text())
    return 0
