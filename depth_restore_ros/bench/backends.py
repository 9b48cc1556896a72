"""onnxruntime against torch eager on the CPU, for every shipped network, in one run.

Same frames, same Estimator.predict call, the back-end is the only difference. Reported per model:
mean predict and network-only milliseconds for each back-end, their ratio (torch / onnxruntime), and
the largest relative difference of the depth maps (the two must agree; see models/export.py).
"""
import numpy as np

from .model import load_frames, time_predict

BACKENDS = ("onnxruntime", "torch")


def bench_backends(models, width=640, height=480, iterations=20) -> dict:
    from ..inference import Estimator
    frames = load_frames(width, height, 8)
    result = {"resolution": [width, height], "iterations": iterations, "models": {}}
    for model in models:
        rows, depths = {}, {}
        for backend in BACKENDS:
            est = Estimator.from_pretrained(model, backend=backend)
            rows[backend] = time_predict(est, frames, iterations)
            rgb, camera = frames[0]
            est = Estimator.from_pretrained(model, backend=backend)   # fresh noise generator: same samples
            depths[backend] = est.predict(rgb, camera=camera).depth
        a, b = depths["onnxruntime"], depths["torch"]
        valid = np.isfinite(a) & np.isfinite(b)
        rows["torch_over_onnxruntime"] = round(rows["torch"]["predict"]["mean"] / rows["onnxruntime"]["predict"]["mean"], 3)
        rows["max_relative_difference"] = float(np.max(np.abs(a[valid] - b[valid]) / b[valid])) if valid.any() else None
        result["models"][model] = rows
    return result
