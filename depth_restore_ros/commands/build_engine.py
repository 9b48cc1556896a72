"""`depth-restore build-engine --model M`: build (or find) the TensorRT engine a model runs with here.

Prints the cache key and the engine path. The engine is only valid on this GPU with this TensorRT
version; the node finds it in the same cache when it starts with backend tensorrt (or auto).
"""


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="shipped model name or model folder (with model.onnx)")
    parser.add_argument("--precision", default="fp16", choices=["fp32", "fp16", "int8"],
                        help="int8 needs --calibration-cache (default: fp16)")
    parser.add_argument("--workspace-mb", type=int, default=1024, help="builder workspace limit in MiB")
    parser.add_argument("--dla-core", type=int, default=-1, help="DLA core (Jetson), -1: GPU only")
    parser.add_argument("--force", action="store_true", help="rebuild even if the cached engine is usable")
    parser.add_argument("--cache-dir", default=None, help="engine folder (default: $DEPTH_RESTORE_ENGINE_CACHE "
                        "or ~/.cache/depth_restore_ros/engines)")
    parser.add_argument("--engine-path", default=None, help="write the engine to this file instead of the cache")
    parser.add_argument("--resolution", default="640x480", type=_resolution,
                        help="camera resolution WxH; the engine takes this camera's network size (default 640x480)")
    parser.add_argument("--max-samples", type=int, default=8, help="restoration models: most samples K per frame")
    parser.add_argument("--max-steps", type=int, default=8, help="restoration models: most diffusion steps")
    parser.add_argument("--calibration-cache", default=None, help="existing TensorRT INT8 calibration cache")


def _resolution(text: str):
    """'WxH' -> (height, width)."""
    import argparse

    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"resolution must be WxH, like 640x480, not {text!r}") from None
    return height, width


def run(args) -> int:
    from ..inference.config import ModelConfig
    from ..inference.registry import resolve_model_dir
    from ..inference.tensorrt_backend import TensorRTBackend, TensorRTUnavailable

    try:
        model_dir = resolve_model_dir(args.model)
        config = ModelConfig.load(model_dir / "config.json")
        backend = TensorRTBackend(model_dir, config, engine_path=args.engine_path, force_rebuild=args.force,
                                  workspace_mb=args.workspace_mb, dla_core=args.dla_core, precision=args.precision,
                                  cache_dir=args.cache_dir, max_samples=args.max_samples, max_steps=args.max_steps,
                                  resolution=args.resolution, calibration_cache=args.calibration_cache)
    except (TensorRTUnavailable, FileNotFoundError, ValueError) as err:
        raise SystemExit(f"depth-restore build-engine: {err}") from None
    print(f"cache key {backend.key.digest}")
    for name, value in backend.key.fields().items():
        print(f"  {name}: {value}")
    print(f"engine {backend.engine_path} ({'built' if backend.built else 'reused, already built'})")
    backend.close()
    return 0
