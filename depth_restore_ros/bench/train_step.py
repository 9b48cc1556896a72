"""Training step time of a recipe in float32 and in bfloat16, same run, same batch.

What `precision: bf16` buys on this CPU: the recipe's model, one real batch of its frames at its
network size, warm-up steps, then the mean wall time of an optimiser step in each precision and
their ratio. A fresh model per precision, so neither times the other's warmed-up weights.
And what `frames_in_memory` buys: a batch of augmented training frames read from the on-disk cache
against the same frames held in memory, beside the step it feeds.
"""
import tempfile
import time
from dataclasses import replace

from .model import stats_ms


def bench_train_step(config_path: str, steps: int = 8, warmup: int = 3) -> dict:
    import torch

    from ..train.config import TrainConfig
    from ..train.in_memory import InMemory
    from ..train.trainer import Trainer, open_training_set, prerender

    cfg = TrainConfig.from_yaml(config_path)
    dataset, augment = open_training_set(replace(cfg, num_scenes=cfg.batch_size))
    if getattr(dataset, "cache", None) is not None:
        prerender(dataset, workers=1, progress=False)
    result = {"config": str(config_path), "batch_size": cfg.batch_size, "steps": steps, "precisions": {}}
    batch = None
    for precision in ("fp32", "bf16"):
        with tempfile.TemporaryDirectory() as run_dir:
            trainer = Trainer(replace(cfg, precision=precision), run_dir)
            if batch is None:  # built once: both precisions step on the very same tensors
                frames = trainer.training_frames(dataset, None, 1.0)
                batch = next(iter(torch.utils.data.DataLoader(frames, batch_size=cfg.batch_size)))
                result["network_size"] = list(batch[0].shape[2:])
            times = []
            for i in range(warmup + steps):
                t0 = time.perf_counter()
                trainer.train_step(batch)
                if i >= warmup:
                    times.append(time.perf_counter() - t0)
        result["precisions"][precision] = stats_ms(times)
        if precision == "bf16":
            reads = {"from_cache": trainer.training_frames(dataset, augment, 1.0),
                     "from_memory": trainer.training_frames(InMemory(dataset, progress=False), augment, 1.0)}
    result["fp32_over_bf16"] = round(result["precisions"]["fp32"]["mean"] / result["precisions"]["bf16"]["mean"], 3)
    result["batch_reads"] = {name: stats_ms(batch_read_times(frames, cfg.batch_size, steps)) for name, frames in reads.items()}
    result["cache_over_memory"] = round(result["batch_reads"]["from_cache"]["mean"] / result["batch_reads"]["from_memory"]["mean"], 3)
    return result


def batch_read_times(frames, batch_size: int, repeats: int) -> list:
    """Seconds to assemble a batch (read, augment, resize), as a loader in the training process does."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(batch_size):
            frames[i]
        times.append(time.perf_counter() - t0)
    return times
