"""Latency of a stochastic model's K samples against one sample and against a baseline model.

Same run, same frames, same back-end: `predict` at the camera resolution (640x480 by default) for
the baseline (mono-small) and for K = 1, 4, 8 of the restoration model. The figures that matter are
the ratios: K=8 over K=1 (the encoder runs once, so this should stay well under K) and K=1 over the
baseline (what restoration costs at all).
"""
from .model import load_frames, time_predict


def bench_samples(model: str, baseline: str, samples=(1, 4, 8), width=640, height=480, iterations=20,
                  backend="onnxruntime", steps=None) -> dict:
    from ..inference import Estimator
    frames = load_frames(width, height, 8)
    base = Estimator.from_pretrained(baseline, backend=backend)
    result = {"model": model, "baseline": baseline, "backend": backend, "resolution": [width, height],
              "iterations": iterations, "baseline_ms": time_predict(base, frames, iterations), "samples": {}}
    est = Estimator.from_pretrained(model, backend=backend)
    result["diffusion_steps"] = int(steps or est.config.diffusion_steps)
    for k in samples:
        result["samples"][str(k)] = time_predict(est, frames, iterations, num_samples=k, diffusion_steps=steps)
    one = result["samples"][str(samples[0])]["predict"]["mean"]
    result["ratios"] = {f"K{k}_over_K{samples[0]}": round(result["samples"][str(k)]["predict"]["mean"] / one, 3)
                        for k in samples[1:]}
    result["ratios"][f"K{samples[0]}_over_baseline"] = round(one / result["baseline_ms"]["predict"]["mean"], 3)
    return result
