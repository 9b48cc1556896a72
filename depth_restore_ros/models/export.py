"""Write a model folder: config.json, model.pt (state dict) and model.onnx (opset 17, dynamic shapes).

The ONNX graph has fixed I/O names (config.input_names / output_names) and dynamic batch, height and
width, so the K samples of a stochastic model can ride in the batch and any camera size works.
"""
from pathlib import Path

import numpy as np
import torch

from ..inference.config import ModelConfig

OPSET = 17


def example_inputs(model: torch.nn.Module, sample_hw) -> dict:
    """Named example inputs: an image, plus whatever else the network takes (noise, schedule)."""
    if hasattr(model, "example_inputs"):
        return model.example_inputs(*sample_hw)
    return {"image": torch.randn(1, 3, *sample_hw)}


def dynamic_axes(model: torch.nn.Module, config: ModelConfig) -> dict:
    if hasattr(model, "dynamic_axes"):
        return model.dynamic_axes()
    image = {0: "batch", 2: "height", 3: "width"}
    return {name: image for name in ("image", *config.output_names)}


def export_onnx(model: torch.nn.Module, config: ModelConfig, path: Path, sample_hw=(192, 256)) -> None:
    model = model.eval()
    inputs = example_inputs(model, sample_hw)
    module = model
    if hasattr(model, "prepare_export"):
        # A network with a TorchScript part (the diffusion loop) is traced first: the exporter
        # keeps the scripted loop as an ONNX Loop only when handed a ScriptModule.
        module = torch.jit.trace(model.prepare_export(), tuple(inputs.values()), check_trace=False)
    names = set(inputs) | set(config.output_names)
    axes = {k: v for k, v in dynamic_axes(model, config).items() if k in names}
    torch.onnx.export(module, tuple(inputs.values()), str(path), input_names=list(inputs),
                      output_names=list(config.output_names), dynamic_axes=axes,
                      opset_version=OPSET, dynamo=False,
                      # unfolded: initializers stay the (float16-rounded) tensors of model.pt, so
                      # halving them is exact; onnxruntime fuses Conv+BN itself when it loads
                      do_constant_folding=False)


def onnx_parity(model: torch.nn.Module, onnx_path: Path, sample_hw=(240, 320), seed: int = 0) -> float:
    """Max relative difference between torch and onnxruntime outputs on one random input.

    Outputs are metres; the denominator has a 1 cm floor, so a sample spread of 2e-5 m that comes
    out as 2.1e-5 m (float32 cancellation in a variance) does not read as a 5% error."""
    import onnxruntime as ort

    torch.manual_seed(seed)
    inputs = {k: v.numpy() for k, v in example_inputs(model, sample_hw).items()}
    with torch.no_grad():  # not inference_mode: a scripted part refuses inference tensors
        ref = [t.numpy() for t in model.eval()(*(torch.from_numpy(v) for v in inputs.values()))]
    got = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"]).run(None, inputs)
    return max(relative_difference(g, r) for g, r in zip(got, ref))


def relative_difference(got: np.ndarray, ref: np.ndarray) -> float:
    """Over the values both call finite; inf where they disagree on which those are."""
    finite = np.isfinite(ref)
    if not np.array_equal(finite, np.isfinite(got)):
        return float("inf")
    if not finite.any():
        return 0.0
    return float(np.max(np.abs(got[finite] - ref[finite]) / np.maximum(np.abs(ref[finite]), 1e-2)))


def write_model_folder(model: torch.nn.Module, config: ModelConfig, out_dir) -> Path:
    """config.json, model.pt and model.onnx; weights rounded to and stored as float16 (compact.py)."""
    from .compact import half_state_dict, halve_onnx_initializers, round_weights_to_half

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config.save(out / "config.json")
    round_weights_to_half(model)
    torch.save(half_state_dict(model), out / "model.pt")
    export_onnx(model, config, out / "model.onnx")
    halve_onnx_initializers(out / "model.onnx")
    return out
