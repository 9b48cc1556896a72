"""`depth-restore export --checkpoint RUN/last.pt --out DIR`: a model folder from a training checkpoint."""


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True, help="a training checkpoint (runs/<name>/last.pt)")
    parser.add_argument("--out", required=True, help="model folder to write (config.json, model.pt, model.onnx)")


def run(args) -> int:
    from ..models import build_model
    from ..models.checkpoint import load_weights, read_checkpoint
    from ..models.export import onnx_parity, write_model_folder
    from ..train.config import TrainConfig
    from ..train.trainer import model_config_for

    blob = read_checkpoint(args.checkpoint)
    if "config" not in blob:
        raise SystemExit(f"{args.checkpoint} has no training config: not a depth-restore training checkpoint")
    cfg = TrainConfig.from_dict(blob["config"], source=args.checkpoint)
    model = build_model(cfg.arch, **cfg.arch_args)
    load_weights(model, args.checkpoint)
    folder = write_model_folder(model, model_config_for(cfg, model), args.out)
    print(f"wrote {folder}; onnxruntime vs torch max relative difference "
          f"{onnx_parity(model, folder / 'model.onnx'):.2e}")
    return 0
