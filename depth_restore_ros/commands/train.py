"""`depth-restore train --config config/train/<name>.yaml`: train, export, evaluate, write a model card."""
import shlex
import sys
from dataclasses import replace
from pathlib import Path


def add_arguments(parser):
    parser.add_argument("--config", required=True, help="training YAML (see config/train/)")
    parser.add_argument("--out", help="run directory (default: runs/<name>)")
    parser.add_argument("--steps", type=int, help="override the number of steps (smoke tests)")
    parser.add_argument("--num-scenes", type=int, help="override the number of training frames")
    parser.add_argument("--gt-density", choices=["dense", "lidar"],
                        help="override the ground-truth density (lidar: ~5%% of pixels on scan lines)")
    parser.add_argument("--seed", type=int,
                        help="override the seed (weights' initialisation, frame order, augmentation): "
                             "several seeds of one recipe show how far its numbers move by chance")
    parser.add_argument("--eval-images", type=int, help="test frames for the model card (default: all)")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out")
    parser.add_argument("--ship", action="store_true",
                        help="copy the finished model into the package (depth_restore_ros/weights/<name>)")
    parser.add_argument("--no-progress", action="store_true")


def run(args) -> int:
    from ..train.config import TrainConfig
    from ..train.model_card import ship, write_card
    from ..train.trainer import Trainer

    cfg = TrainConfig.from_yaml(args.config)
    overrides = {k: v for k, v in dict(steps=args.steps, num_scenes=args.num_scenes,
                                       gt_density=args.gt_density, seed=args.seed).items() if v is not None}
    cfg = replace(cfg, **overrides)
    run_dir = Path(args.out or Path("runs") / cfg.name)
    trainer = Trainer(cfg, run_dir)
    if not args.fresh and trainer.resume():
        print(f"resuming {run_dir} at step {trainer.step}/{cfg.steps}")
    model_dir = trainer.fit(progress=not args.no_progress)
    evaluation = evaluate_model(model_dir, cfg.test_data, args.eval_images, not args.no_progress)
    command = "depth-restore " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[1:2] == ["train"] \
        else f"depth-restore train --config {args.config}"
    write_card(model_dir, cfg, trainer.seconds, trainer.step, evaluation, command)
    metrics = evaluation["metrics"]
    print(f"model: {model_dir}  {cfg.test_data}: absrel {metrics['absrel']:.4f} rmse {metrics['rmse']:.3f} "
          f"d1 {metrics['d1']:.3f}")
    if args.ship:
        print(f"shipped as {ship(model_dir, cfg.name)}")
    return 0


def evaluate_model(model_dir, data_spec, max_images, progress):
    from ..data.datasets import open_dataset
    from ..inference import Estimator
    from ..train.evaluate import estimator_predictor, evaluate

    estimator = Estimator.from_pretrained(str(model_dir), backend="onnxruntime")
    result = evaluate(estimator_predictor(estimator), open_dataset(data_spec), align="none",
                      max_images=max_images, progress=progress)
    result["data"] = data_spec
    return result
