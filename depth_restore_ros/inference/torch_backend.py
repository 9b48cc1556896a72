"""PyTorch back-end: eager execution of the same network; the reference the ONNX export matches."""
from pathlib import Path
from typing import Dict, Optional

import numpy as np

from .config import ModelConfig


class TorchBackend:
    name = "torch"

    def __init__(self, model_dir: Optional[Path], config: ModelConfig, device: str = "cpu", module=None):
        """`module`: a network already in memory (validation while training) instead of model_dir's
        weights; it is switched to eval mode, so pass a copy of one that is still training."""
        import torch

        from ..models import build_model
        from ..models.checkpoint import load_weights

        self.torch = torch
        self.device = torch.device(device)
        if self.device.type != "cpu":
            self.name = f"torch-{self.device.type}"
        self.model = module
        if module is None:
            self.model = build_model(config.arch, **config.arch_args)
            load_weights(self.model, Path(model_dir) / "model.pt")
        self.model.to(self.device).eval()
        self.output_names = list(config.output_names)

    def run(self, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        with self.torch.inference_mode():
            tensors = {name: self.torch.from_numpy(v).to(self.device) for name, v in inputs.items()}
            outputs = self.model(**tensors)  # by name: forward()'s arguments are the graph's input names
        return {name: out.float().cpu().numpy() for name, out in zip(self.output_names, outputs)}
