"""Model-only latency: Estimator.predict in this process, the baseline the node is compared with.

ROS-free on purpose: it is the number a library user gets, and the denominator of the node's
overhead ratio. Frames are the same synthetic sequence the node benchmark sends.
"""
import gc
import time

import numpy as np


def stats_ms(seconds) -> dict:
    """Mean / p50 / p90 / max of durations in seconds, as milliseconds rounded to 0.01."""
    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    if ms.size == 0:
        return {"mean": None, "p50": None, "p90": None, "max": None}
    return {"mean": round(float(ms.mean()), 2), "p50": round(float(np.percentile(ms, 50)), 2),
            "p90": round(float(np.percentile(ms, 90)), 2), "max": round(float(ms.max()), 2)}


def load_frames(width: int, height: int, count: int, seed: int = 0) -> list:
    """[(rgb, (fx, fy, cx, cy))]: the synthetic world at the benchmark's resolution."""
    try:
        from ..data.synthetic import render_sequence
    except ImportError:  # the synthetic world is not there: the camera source's stand-in scene
        from ..ros.camera_source import load_sequence
        return load_sequence(seed, width, height, count, 10.0)
    return [(s.rgb, tuple(s.camera)) for s in render_sequence(seed, width, height, count)]


STAGES = ("preprocess", "inference", "postprocess")


def time_predict(estimator, frames: list, iterations: int, warmup: int = 3, **options) -> dict:
    """{"predict": stats, <stage>: stats} of `iterations` predict calls (after `warmup`, which pay
    for allocation and kernel selection), cycling through `frames`; `options` go to predict."""
    for i in range(warmup):
        rgb, camera = frames[i % len(frames)]
        estimator.predict(rgb, camera=camera, **options)
    wall, stages = [], {name: [] for name in STAGES}
    for i in range(iterations):
        rgb, camera = frames[i % len(frames)]
        t0 = time.perf_counter()
        pred = estimator.predict(rgb, camera=camera, **options)
        wall.append(time.perf_counter() - t0)
        for name in STAGES:
            stages[name].append(pred.timings.get(name, float("nan")))
    return {"predict": stats_ms(wall), **{k: stats_ms(v) for k, v in stages.items()}}


def bench_model(model: str, backend: str, frames: list, iterations: int, warmup: int = 3) -> dict:
    """Time `iterations` predict calls (after `warmup`), cycling through `frames`."""
    from ..inference import Estimator
    estimator = Estimator.from_pretrained(model, backend=backend)
    timed = time_predict(estimator, frames, iterations, warmup)
    result = {
        "model": estimator.name,
        "backend": estimator.backend_name,
        "model_ms": timed["inference"]["mean"],   # the network alone
        "predict_ms": timed["predict"]["mean"],   # the whole predict() call
        "model_only": timed,
    }
    del estimator
    gc.collect()  # free the session before the node runs beside this process
    return result
