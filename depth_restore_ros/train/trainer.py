"""The training loop: deterministic by seed, resumable, checkpoints that rebuild their model.

A run directory holds `config.yaml` (the TrainConfig), `last.pt` (model, optimiser, step, config)
and, at the end, `model/` (a model folder the Estimator loads: config.json, model.pt, model.onnx).
"""
import json
import math
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import yaml
from tqdm import tqdm

from ..inference.config import ModelConfig
from ..inference.registry import resolve_model_dir
from ..models import build_model
from ..models.checkpoint import load_matching_weights
from ..models.export import write_model_folder
from .config import TrainConfig, learning_differences
from .frames import TrainingFrames
from .in_memory import InMemory
from .losses import beyond_mask_loss, l1_log_loss, laplace_nll, relative_l1_loss, sample_spread, silog_loss
from .validation import Validation


def model_config_for(cfg: TrainConfig, model=None) -> ModelConfig:
    config = ModelConfig(name=cfg.name, arch=cfg.arch, arch_args=dict(cfg.arch_args),
                         input_long_side=cfg.input_long_side, canonical_focal=cfg.canonical_focal,
                         min_depth=cfg.min_depth, max_depth=cfg.max_depth)
    if model is not None and hasattr(model, "loop"):  # a restoration (diffusion) network
        config.stochastic = True
        config.uncertainty = "mixture"
        config.input_names = ("image", "noise", "schedule")
        if model.stereo:
            config.stereo = True
            config.input_names += ("aux_image", "baseline")
        config.output_names = ("depth", "sigma", "spread")
        # strides relative to the network's input: input_scale 2 halves it before the encoder
        config.latent_channels, config.latent_stride = model.latent, model.latent_stride * model.input_scale
        config.diffusion_steps, config.diffusion_strength = model.diffusion_steps, model.diffusion_strength
        config.default_samples = cfg.default_samples
        config.size_multiple *= model.input_scale
    if cfg.arch_args.get("beyond_head"):
        config.output_names += ("beyond",)
    return config


def open_training_set(cfg: TrainConfig):
    from ..data.datasets import open_dataset
    from ..data.synthetic import augment_photometric
    options = {}
    if cfg.data.startswith("synthetic:"):
        options = dict(length=cfg.num_scenes, size=tuple(cfg.crop), augment=False, stereo=cfg.stereo,
                       cache_dir=str(Path(cfg.cache_dir).expanduser()))
    return open_dataset(cfg.data, **options), augment_photometric


def _touch(args):
    dataset, indices = args
    for i in indices:
        dataset[i]  # rendering a cached dataset's frame stores it
    return len(indices)


def prerender(dataset, workers: int = 2, progress: bool = True) -> None:
    """Fill an on-disk cache with every frame, on all cores, before the first step needs it."""
    import multiprocessing

    chunks = [(dataset, range(start, min(start + 64, len(dataset)))) for start in range(0, len(dataset), 64)]
    with multiprocessing.get_context("fork").Pool(workers) as pool, \
            tqdm(total=len(dataset), disable=not progress, desc="pre-render") as bar:
        for done in pool.imap_unordered(_touch, chunks):
            bar.update(done)


def learning_rate(cfg: TrainConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to 5% of the peak."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    progress = (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress))))


def weights_file(name_or_path: str) -> Path:
    """init_from: a checkpoint file, a model folder, or a shipped model's name."""
    path = Path(name_or_path).expanduser()
    return path if path.is_file() else resolve_model_dir(name_or_path) / "model.pt"


def refuse_another_architecture(cfg: TrainConfig, weights: Path) -> None:
    """init_from copies tensors by name and shape, and models of two architectures can share some
    (restore_net's and restore_residual's restoration and decoder do): a recipe would start from half
    of another network without a word. A model folder says its architecture; it must be the recipe's."""
    config = weights.parent / "config.json"
    arch = json.loads(config.read_text()).get("arch") if config.is_file() else None
    if arch is not None and arch != cfg.arch:
        raise ValueError(f"init_from {cfg.init_from!r} is a {arch} model and this recipe builds a {cfg.arch}: "
                         "start it from a model of its own architecture (train that model's recipe first)")


def freeze_all_but(model: torch.nn.Module, prefixes) -> list:
    """train_only: parameters named with one of `prefixes` train, the rest freeze; returns the former."""
    prefixes = tuple(prefixes)
    for name, p in model.named_parameters():
        p.requires_grad_(name.startswith(prefixes))
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not trainable:
        raise ValueError(f"train_only {list(prefixes)} names no parameter of the {type(model).__name__}")
    return trainable


def training_mode(model: torch.nn.Module) -> None:
    """train(), except modules whose every parameter is frozen: they keep their BatchNorm statistics."""
    model.train()
    for module in model.modules():
        params = list(module.parameters())
        if params and not any(p.requires_grad for p in params):
            module.eval()


def per_row(log_pred, log_gt, valid, *more):
    """(N, K, H, W) predictions (and `more` of that shape) with their (N, 1, H, W) ground truth and
    mask, flattened to K * N single-channel rows: every sample scored against the same truth."""
    k = log_pred.shape[1]
    flat = lambda t: t.reshape(-1, 1, *t.shape[2:])  # noqa: E731
    return (flat(log_pred), flat(log_gt.repeat_interleave(k, 1)), flat(valid.repeat_interleave(k, 1)),
            *map(flat, more))


class Trainer:
    def __init__(self, cfg: TrainConfig, run_dir):
        self.cfg = cfg
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(cfg.seed)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        # channels_last: depthwise convolutions train ~1.8x faster on the CPU in this layout
        self.model = build_model(cfg.arch, **cfg.arch_args).to(memory_format=torch.channels_last)
        if cfg.init_from:  # a resumed run's checkpoint replaces these weights again
            start = weights_file(cfg.init_from)
            refuse_another_architecture(cfg, start)
            load_matching_weights(self.model, start)
        self.model_config = model_config_for(cfg, self.model)
        trainable = freeze_all_but(self.model, cfg.train_only) if cfg.train_only else list(self.model.parameters())
        self.optimizer = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.ema = None  # the averaged copy that ships when cfg.ema_decay > 0
        if cfg.ema_decay:
            from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
            self.ema = AveragedModel(self.model, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema_decay), use_buffers=True)
        self.step = 0
        self.seconds = 0.0  # training wall time, summed over resumed sessions

    def resume(self) -> bool:
        path = self.run_dir / "last.pt"
        if not path.is_file():
            return False
        blob = torch.load(path, map_location="cpu", weights_only=True)
        changed = learning_differences(blob.get("config", {}), self.cfg)
        if changed or blob["step"] > self.cfg.steps:
            why = f"its config differs in {', '.join(changed)}" if changed else \
                f"it is at step {blob['step']}, past this config's {self.cfg.steps}"
            raise ValueError(f"{path} is another run's checkpoint ({why}): resuming would pass its weights off "
                             "as this config's; move or delete it (depth-restore train: --fresh starts over)")
        self.model.load_state_dict(blob["model"])
        self.optimizer.load_state_dict(blob["optimizer"])
        self.step, self.seconds = blob["step"], blob.get("seconds", 0.0)
        if self.ema is not None and "ema" in blob:
            self.ema.load_state_dict(blob["ema"])
        elif self.ema is not None:  # averaging switched on mid-run: it starts at the resumed weights
            tqdm.write(f"{path}: no weight average stored; ema_decay {self.cfg.ema_decay} starts at step {self.step}")
            self.ema.update_parameters(self.model)  # the first update of an empty average copies the weights
        torch.set_rng_state(blob["torch_rng"])
        return True

    def save(self) -> None:
        blob = dict(model=self.model.state_dict(), optimizer=self.optimizer.state_dict(), step=self.step,
                    seconds=self.seconds, config=self.cfg.to_dict(), torch_rng=torch.get_rng_state())
        if self.ema is not None:
            blob["ema"] = self.ema.state_dict()
        tmp = self.run_dir / "last.pt.tmp"
        torch.save(blob, tmp)
        tmp.replace(self.run_dir / "last.pt")  # never leave a half-written checkpoint behind
        (self.run_dir / "config.yaml").write_text(yaml.safe_dump(self.cfg.to_dict(), sort_keys=False))

    def loss(self, image, log_gt, valid, aux_image=None, baseline=None):
        """`valid` (N, 1 or 2, H, W): surfaces, and (beyond_loss "hinge" or "mask") pixels only known
        to lie beyond range; "hinge": their log_gt is the bound they must pass."""
        valid, beyond = valid[:, :1], (valid[:, 1:] if valid.shape[1] == 2 else None)
        stereo = {} if aux_image is None else dict(aux_image=aux_image, baseline=baseline)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.cfg.precision == "bf16"):
            outputs = self.model.forward_log(image, **stereo)  # (N, K, H, W): K samples (1 for mono)
        # losses in float32 whatever the precision; a third output is the beyond-range logit
        log_pred, log_scale, *beyond_logit = [t.float() for t in outputs]
        k = log_pred.shape[1]
        each, gt_each, valid_each, scale_each = per_row(log_pred, log_gt, valid, log_scale)
        # what SILog and L1 score: every sample, or (mean_loss) their mean, the published depth
        scored = (each, gt_each, valid_each)
        if k > 1 and self.cfg.mean_loss:
            scored = per_row(log_pred.mean(dim=1, keepdim=True), log_gt, valid)
        parts = dict(silog=silog_loss(*scored), l1=l1_log_loss(*scored),
                     nll=laplace_nll(each, scale_each, gt_each, valid_each))
        total = (self.cfg.silog_weight * parts["silog"] + self.cfg.l1_weight * parts["l1"]
                 + self.cfg.nll_weight * parts["nll"])
        if beyond is not None and beyond_logit:   # "mask": is anything within range here? (BCE)
            parts["beyond"] = beyond_mask_loss(beyond_logit[0], beyond, valid)
            total = total + parts["beyond"]
        elif beyond is not None:   # "hinge": every sample must come out past the bound; nearer costs like the L1
            _, _, beyond_each = per_row(log_pred, log_gt, beyond)
            short = torch.relu(gt_each - each) * beyond_each
            parts["beyond"] = short.sum() / (valid_each.sum() + beyond_each.sum()).clamp(min=1)
            total = total + self.cfg.l1_weight * parts["beyond"]
        if self.cfg.absrel_weight:
            parts["absrel"] = relative_l1_loss(*scored)
            total = total + self.cfg.absrel_weight * parts["absrel"]
        if k > 1 and self.cfg.crps_weight:
            parts["spread"] = sample_spread(log_pred, valid)
            if self.cfg.mean_loss:  # the CRPS as its own term: L1 of each sample - 0.5 E|X - X'|
                parts["crps"] = l1_log_loss(each, gt_each, valid_each) - 0.5 * parts["spread"]
                total = total + self.cfg.crps_weight * parts["crps"]
            else:  # with the per-sample L1 above, this makes the CRPS
                total = total - 0.5 * self.cfg.crps_weight * parts["spread"]
        return total, {k: float(v.detach()) for k, v in parts.items()}

    def train_step(self, batch):
        """One optimiser step on a batch from TrainingFrames; returns (loss tensor, parts)."""
        image, log_gt, valid, *stereo = batch
        image = image.contiguous(memory_format=torch.channels_last)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.cfg, self.step)
        total, parts = self.loss(image, log_gt, valid, *stereo)
        self.optimizer.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model)
        self.step += 1
        return total, parts

    def batches(self, frames):
        """An endless, seeded stream of batches; epoch e's order depends only on (seed, e)."""
        epoch = self.step * self.cfg.batch_size // len(frames)
        skip = self.step * self.cfg.batch_size % len(frames)
        while True:
            frames.epoch = epoch
            order = np.random.default_rng([self.cfg.seed, epoch]).permutation(len(frames))[skip:]
            loader = torch.utils.data.DataLoader(
                torch.utils.data.Subset(frames, order.tolist()), batch_size=self.cfg.batch_size,
                num_workers=self.cfg.loader_workers, drop_last=True)
            yield from loader
            epoch, skip = epoch + 1, 0

    def training_frames(self, dataset, augment, scale: float) -> TrainingFrames:
        """Frames at `scale` of the recipe's resolution: the crop and the network's long side shrink
        together, the canonical focal length does not (targets stay metric through f_net).

        The recipe's resolution is `input_long_side` over the rendered frames (`crop`): a recipe
        with input_long_side 160 and crop 240x320 trains (and ships) a 160 px wide network on
        half-size views of the full field of view, as the Estimator will feed it."""
        scale *= self.cfg.input_long_side / max(self.cfg.crop)
        m = self.model_config.size_multiple  # network sides are multiples of it: round the crop up
        crop = tuple(-(-int(round(c * scale)) // m) * m for c in self.cfg.crop)
        config = replace(self.model_config, input_long_side=max(crop))
        return TrainingFrames(dataset, config, crop, self.cfg.zoom, augment, self.cfg.seed, self.cfg.gt_density,
                              base_scale=scale, aux_dropout=self.cfg.aux_dropout, sky_as_far=self.cfg.sky_as_far,
                              beyond_loss=self.cfg.beyond_loss, sky_recolour=self.cfg.sky_recolour)

    def fit(self, progress: bool = True) -> Path:
        dataset, augment = open_training_set(self.cfg)
        if getattr(dataset, "cache", None) is not None:
            prerender(dataset, workers=os.cpu_count() or 1, progress=progress)
        if self.cfg.frames_in_memory:
            dataset = InMemory(dataset, progress)
        lowres_until = int(self.cfg.steps * self.cfg.lowres_fraction)
        stages = {True: self.training_frames(dataset, augment, 0.5), False: self.training_frames(dataset, augment, 1.0)}
        validation = Validation(self.cfg.val_data, self.cfg.eval_every, self.cfg.eval_images, self.model_config)
        training_mode(self.model)
        log = (self.run_dir / "log.jsonl").open("a", buffering=1)  # line-buffered: tail -f works
        bar = tqdm(total=self.cfg.steps, initial=self.step, disable=not progress, desc=self.cfg.name)
        stream, stream_lowres = None, None
        while self.step < self.cfg.steps:
            lowres = self.step < lowres_until
            if stream is None or lowres != stream_lowres:  # a new stage (or a resumed run) starts here
                stream, stream_lowres = self.batches(stages[lowres]), lowres
            t0 = time.perf_counter()
            total, parts = self.train_step(next(stream))
            self.seconds += time.perf_counter() - t0
            bar.update(1)
            bar.set_postfix(loss=f"{float(total.detach()):.3f}", silog=f"{parts['silog']:.3f}")
            log.write(json.dumps(dict(step=self.step, loss=float(total.detach()), **parts)) + "\n")
            if self.step % self.cfg.checkpoint_every == 0 or self.step == self.cfg.steps:
                self.save()
            if validation.due(self.step):
                scores = validation(self.model if self.ema is None else self.ema.module)
                log.write(json.dumps(dict(step=self.step, val=scores)) + "\n")
                tqdm.write(f"step {self.step} {self.cfg.val_data}: "
                           + " ".join(f"{k} {v:.4f}" for k, v in scores.items()))
        bar.close()
        log.close()
        return write_model_folder(self.shipped_model(), self.model_config, self.run_dir / "model")

    def shipped_model(self) -> torch.nn.Module:
        """The weights a model folder gets: the moving average when the recipe keeps one."""
        model = self.model if self.ema is None else self.ema.module
        return model.eval().to(memory_format=torch.contiguous_format)
