"""`depth-restore bench MODE`: benchmarks that print JSON (and write it with --json PATH).

Modes:
  node   the mono node in its own process vs. the model alone: end-to-end and per-step latency,
         overhead ratio, peak RSS, time from process start to first depth (bench/node.py)
  backends  onnxruntime vs torch eager on the CPU for every shipped network (bench/backends.py)
  samples  a stochastic model's latency at K = 1, 4, 8 samples against a baseline model (bench/samples.py)
  train-step  a training recipe's optimiser step, float32 vs bfloat16; a batch read from cache vs memory (bench/train_step.py)
  synthetic  the synthetic world's images/s on one core at 320x256 and 1920x1080, against reading a
         cached frame back (bench/synthetic.py)
"""
import json
from pathlib import Path

MODES = {"node": "node end-to-end latency vs. the model alone (640x480, full-resolution XYZRGB cloud)",
         "synthetic": "synthetic world images/s on one core (320x256, 1920x1080) vs. a cache read",
         "backends": "onnxruntime vs torch eager on the CPU, every shipped network (640x480)",
         "samples": "latency of K = 1, 4, 8 restoration samples vs. one sample and a baseline model (640x480)",
         "train-step": "a training recipe's optimiser step, float32 vs bfloat16 autocast; a batch read from cache vs memory"}


def add_arguments(parser):
    modes = parser.add_subparsers(dest="mode", required=True, metavar="MODE")
    node = modes.add_parser("node", help=MODES["node"], description=MODES["node"])
    node.add_argument("--json", metavar="PATH", help="also write the JSON here")
    node.add_argument("--model", default=None, help="model name or folder (default: the shipped default)")
    node.add_argument("--backend", default="auto", choices=["auto", "onnxruntime", "torch"])
    node.add_argument("--frames", type=int, default=30, help="measured frames (default: 30)")
    node.add_argument("--warmup", type=int, default=5, help="frames sent before measuring (default: 5)")
    node.add_argument("--rate", type=float, default=5.0,
                      help="most frames per second sent to the node; it also waits for each depth "
                           "before sending the next, so it stays below the node's capacity")
    node.add_argument("--width", type=int, default=640)
    node.add_argument("--height", type=int, default=480)
    node.add_argument("--params-file", default=None, help="node parameters (default: config/mono.yaml)")
    node.add_argument("--log-dir", default="out/bench/logs", help="node logs (default: out/bench/logs)")
    backends = modes.add_parser("backends", help=MODES["backends"], description=MODES["backends"])
    backends.add_argument("--json", metavar="PATH", help="also write the JSON here")
    backends.add_argument("--model", action="append", help="model(s) to time (default: every shipped model)")
    backends.add_argument("--iterations", type=int, default=20)
    backends.add_argument("--width", type=int, default=640)
    backends.add_argument("--height", type=int, default=480)
    samples = modes.add_parser("samples", help=MODES["samples"], description=MODES["samples"])
    samples.add_argument("--json", metavar="PATH", help="also write the JSON here")
    samples.add_argument("--model", default="mono-restore", help="stochastic model (default: mono-restore)")
    samples.add_argument("--baseline", default=None, help="baseline model (default: the shipped default)")
    samples.add_argument("--samples", default="1,4,8", help="K values, comma-separated (default: 1,4,8)")
    samples.add_argument("--steps", type=int, default=None, help="diffusion steps (default: the model's)")
    samples.add_argument("--iterations", type=int, default=20)
    samples.add_argument("--backend", default="onnxruntime", choices=["onnxruntime", "torch"])
    samples.add_argument("--width", type=int, default=640)
    samples.add_argument("--height", type=int, default=480)
    step = modes.add_parser("train-step", help=MODES["train-step"], description=MODES["train-step"])
    step.add_argument("--json", metavar="PATH", help="also write the JSON here")
    step.add_argument("--config", default=None, help="training recipe (default: the shipped mono-small's)")
    step.add_argument("--steps", type=int, default=8, help="timed steps per precision (default: 8)")
    synthetic = modes.add_parser("synthetic", help=MODES["synthetic"], description=MODES["synthetic"])
    synthetic.add_argument("--json", metavar="PATH", help="also write the JSON here")
    synthetic.add_argument("--frames", type=int, default=8, help="frames per resolution (default: 8)")
    synthetic.add_argument("--stereo", action="store_true", help="render rectified stereo pairs")
    synthetic.add_argument("--size", action="append", metavar="WxH",
                           help="resolution to time (repeatable; default: 320x256 and 1920x1080)")


def run(args) -> int:
    if args.mode == "node":
        from ..bench.node import run_node_bench
        from ..inference.registry import DEFAULT_MODEL
        result = run_node_bench(args.model or DEFAULT_MODEL, width=args.width, height=args.height,
                                frames=args.frames, warmup=args.warmup, rate_hz=args.rate,
                                backend=args.backend, log_dir=args.log_dir, params_file=args.params_file)
    elif args.mode == "backends":
        from ..bench.backends import bench_backends
        from ..inference.registry import shipped_models
        result = bench_backends(args.model or shipped_models(), args.width, args.height, args.iterations)
    elif args.mode == "samples":
        from ..bench.samples import bench_samples
        from ..inference.registry import DEFAULT_MODEL
        result = bench_samples(args.model, args.baseline or DEFAULT_MODEL,
                               tuple(int(k) for k in args.samples.split(",")), args.width, args.height,
                               args.iterations, args.backend, args.steps)
    elif args.mode == "train-step":
        from ..bench.train_step import bench_train_step
        from ..graph import share_file
        result = bench_train_step(args.config or share_file("config/train/mono-small.yaml"), steps=args.steps)
    elif args.mode == "synthetic":
        from ..bench.synthetic import bench_synthetic
        sizes = [tuple(int(v) for v in s.lower().split("x"))[::-1] for s in args.size or ["320x256", "1920x1080"]]
        result = bench_synthetic(sizes, frames=args.frames, stereo=args.stereo)
    else:  # pragma: no cover - argparse rejects unknown modes
        raise ValueError(f"unknown bench mode {args.mode!r}")
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return 0
