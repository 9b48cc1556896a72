"""Write a model folder: config.json, model.pt (state dict) and model.onnx (opset 17, dynamic shapes).

The ONNX graph has fixed I/O names (config.input_names / output_names) and dynamic batch, height and
width, so the K samples of a stochastic model can ride in the batch and any camera size works.
"""
from pathlib import Path

import numpy as np
import torch

from ..inference.config import ModelConfig

OPSET = 17


def export_onnx(model: torch.nn.Module, config: ModelConfig, path: Path, sample_hw=(192, 256)) -> None:
    model = model.eval()
    dummy = torch.randn(1, 3, *sample_hw)
    axes = {"image": {0: "batch", 2: "height", 3: "width"}}
    axes.update({name: {0: "batch", 2: "height", 3: "width"} for name in config.output_names})
    torch.onnx.export(model, (dummy,), str(path), input_names=list(config.input_names),
                      output_names=list(config.output_names), dynamic_axes=axes, opset_version=OPSET,
                      dynamo=False)


def onnx_parity(model: torch.nn.Module, onnx_path: Path, sample_hw=(240, 320), seed: int = 0) -> float:
    """Max relative difference between torch and onnxruntime outputs on one random input."""
    import onnxruntime as ort

    x = np.random.default_rng(seed).standard_normal((1, 3, *sample_hw)).astype(np.float32)
    with torch.inference_mode():
        ref = [t.numpy() for t in model.eval()(torch.from_numpy(x))]
    got = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(None, {"image": x})
    return max(float(np.max(np.abs(g - r) / (np.abs(r) + 1e-6))) for g, r in zip(got, ref))


def write_model_folder(model: torch.nn.Module, config: ModelConfig, out_dir) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config.save(out / "config.json")
    torch.save(model.state_dict(), out / "model.pt")
    export_onnx(model, config, out / "model.onnx")
    return out
