"""Training step time of a recipe in float32 and in bfloat16, same run, same batch.

What `precision: bf16` buys on this CPU: the recipe's model, one real batch of its frames at its
network size, warm-up steps, then the mean wall time of an optimiser step in each precision and
their ratio. A fresh model per precision, so neither times the other's warmed-up weights.
"""
import tempfile
import time
from dataclasses import replace

from .model import stats_ms


def bench_train_step(config_path: str, steps: int = 8, warmup: int = 3) -> dict:
    import torch

    from ..train.config import TrainConfig
    from ..train.trainer import Trainer, open_training_set

    cfg = TrainConfig.from_yaml(config_path)
    dataset, _ = open_training_set(replace(cfg, num_scenes=cfg.batch_size))
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
    result["fp32_over_bf16"] = round(result["precisions"]["fp32"]["mean"] / result["precisions"]["bf16"]["mean"], 3)
    return result
