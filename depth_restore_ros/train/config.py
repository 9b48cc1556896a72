"""TrainConfig: a training run's YAML, typed. The checkpoint stores it, so a model rebuilds from it."""
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Dict, List, Tuple

import yaml

PRECISIONS = ("fp32", "bf16")
BEYOND_LOSSES = ("target", "hinge", "mask")
# how fast a run goes and what it reports while it trains, not what it learns
EXECUTION_SETTINGS = ("threads", "loader_workers", "frames_in_memory", "val_data", "eval_every", "eval_images")


@dataclass
class TrainConfig:
    name: str = "mono-small"            # model name (also the shipped folder name)
    arch: str = "mono_unet"             # architecture key in depth_restore_ros.models
    arch_args: Dict = field(default_factory=dict)
    data: str = "synthetic:train"       # dataset spec for open_dataset()
    val_data: str = "synthetic:val"
    test_data: str = "synthetic:test"   # evaluated at the end for the model card
    num_scenes: int = 4000              # distinct training frames (pre-rendered once into cache_dir)
    cache_dir: str = "~/.cache/depth_restore_ros/synthetic"
    crop: Tuple[int, int] = (240, 320)  # rendered frame and full-resolution training tensor (height, width)
    zoom: Tuple[float, float] = (1.0, 1.4)  # random zoom-in range: focal varies with the content fixed
    batch_size: int = 8
    steps: int = 2000
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    silog_weight: float = 1.0           # scale-invariant log loss (lambda 0.85)
    l1_weight: float = 1.0              # L1 on log-depth: keeps the absolute (metric) scale
    nll_weight: float = 0.1             # Laplace NLL that trains the uncertainty output
    absrel_weight: float = 0.0          # L1 on relative error (AbsRel itself): too far costs more than too near
    crps_weight: float = 0.0            # stochastic models: -0.5 E|X - X'| between samples, which with
                                        # the L1 term makes the CRPS (a proper score for the spread)
    default_samples: int = 1            # stochastic models: K the shipped model uses by default
    mean_loss: bool = False             # stochastic models: SILog and L1 score the mean of the samples (what
                                        # is published), and the CRPS (crps_weight x (L1 - 0.5 spread)) the
                                        # samples; off: SILog and L1 score every sample (the CRPS's L1)
    gt_density: str = "dense"           # "dense", or "lidar": keep ~5% of pixels on scan lines
    sky_as_far: bool = False            # synthetic sky / beyond-range pixels learn "beyond max_depth" (so they
                                        # are published as NaN); off in the recipes that shipped without it
    beyond_loss: str = "target"         # how they learn it: "target": a depth of 1.5 x max_depth, scored like
                                        # a surface; "hinge": only "farther than 1.2 x max_depth", a one-sided
                                        # L1 outside SILog and the NLL (the sky does not bend the image's scale);
                                        # "mask": the sky head's "nothing within range" (arch_args.beyond_head),
                                        # learned by cross-entropy; the depth never sees the sky
    sky_recolour: float = 0.0           # this fraction of synthetic monocular frames gets a sky of another
                                        # time of day (blue hour, sunset, night, haze: recolour_sky)
    stereo: bool = False                # train on rectified stereo pairs (the model takes aux_image, baseline)
    aux_dropout: float = 0.2            # stereo: this fraction of frames trains without the right view
    lowres_fraction: float = 0.0        # the first fraction of steps sees half-resolution views (same
                                        # field of view, 4x cheaper steps); the rest full resolution
    canonical_focal: float = 200.0      # pixels at network resolution (see ModelConfig)
    input_long_side: int = 320          # the network's long side; below max(crop), training views are
                                        # the frames resized by input_long_side / max(crop)
    min_depth: float = 0.1
    max_depth: float = 80.0
    seed: int = 0
    ema_decay: float = 0.0              # > 0: ship an exponential moving average of the weights (and BN
                                        # statistics) with this decay per step; 0: the last step's weights
    init_from: str = ""                 # fine-tuning: a model name, model folder or checkpoint whose tensors
                                        # (same name and shape) start this run; the rest start fresh
    train_only: Tuple[str, ...] = ()    # with init_from: only parameters whose names start so train (e.g.
                                        # [beyond.]); the rest, BatchNorm statistics too, stay as loaded
    precision: str = "fp32"             # "bf16": convolutions in bfloat16 under autocast (weights and
                                        # losses stay float32); `depth-restore bench train-step` says the gain
    threads: int = 0                    # torch threads; 0 = all cores
    loader_workers: int = 0             # background loaders; 0 = in the training process
    frames_in_memory: bool = False      # decode every training frame once into RAM (train/in_memory.py;
                                        # ~0.54 MB a 240x320 frame): ~8 % faster steps, 4.3 GB for 8000
    checkpoint_every: int = 250
    eval_every: int = 500               # steps between validations on val_data (train/validation.py); 0: none
    eval_images: int = 50               # validation frames (the same ones every time)

    @classmethod
    def from_yaml(cls, path) -> "TrainConfig":
        return cls.from_dict(yaml.safe_load(Path(path).read_text()) or {}, source=str(path))

    @classmethod
    def from_dict(cls, data: Dict, source: str = "training config") -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown keys {unknown}; known: {sorted(known)}")
        data = dict(data)
        for key in ("crop", "zoom", "train_only"):
            if key in data:
                data[key] = tuple(data[key])
        cfg = cls(**data)
        if not 0 < cfg.input_long_side <= max(cfg.crop):
            raise ValueError(f"{source}: input_long_side {cfg.input_long_side} must be in (0, max(crop)]")
        if not 0.0 <= cfg.ema_decay < 1.0:
            raise ValueError(f"{source}: ema_decay must be in [0, 1), not {cfg.ema_decay}")
        if not 0.0 <= cfg.sky_recolour <= 1.0:
            raise ValueError(f"{source}: sky_recolour is a fraction of frames, in [0, 1], not {cfg.sky_recolour}")
        if cfg.beyond_loss not in BEYOND_LOSSES:
            raise ValueError(f"{source}: beyond_loss must be one of {BEYOND_LOSSES}, not {cfg.beyond_loss!r}")
        wants_head = cfg.sky_as_far and cfg.beyond_loss == "mask"
        if bool(cfg.arch_args.get("beyond_head")) != wants_head:
            raise ValueError(f"{source}: arch_args.beyond_head goes with sky_as_far: true and beyond_loss: mask "
                             "(one without the other leaves the head untrained or the sky unlearned)")
        if cfg.train_only and not cfg.init_from:
            raise ValueError(f"{source}: train_only trains part of a network loaded by init_from; init_from is empty")
        if cfg.precision not in PRECISIONS:
            raise ValueError(f"{source}: precision must be one of {PRECISIONS}, not {cfg.precision!r}")
        return cfg

    def to_dict(self) -> Dict:
        return asdict(self)


def learning_differences(stored: Dict, cfg: TrainConfig) -> List[str]:
    """Fields in which the config a checkpoint was saved with (as stored) and `cfg` differ in what the
    run learns. Not counted: execution settings, the name, the step count (a run may be extended) and
    the weight average (it may be switched on mid-run); fields the stored config predates are skipped."""
    import json
    ignored = set(EXECUTION_SETTINGS) | {"name", "steps", "ema_decay"}
    now = json.loads(json.dumps(cfg.to_dict()))
    return sorted(key for key, value in json.loads(json.dumps(stored)).items()
                  if key in now and key not in ignored and now[key] != value)
