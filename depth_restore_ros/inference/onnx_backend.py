"""onnxruntime back-end: the CPU default, and CUDA through onnxruntime-gpu. Imports neither torch nor rclpy."""
import os
from pathlib import Path
from typing import Dict

import numpy as np

from .config import ModelConfig


class OnnxBackend:
    name = "onnxruntime"

    def __init__(self, model_dir: Path, config: ModelConfig, threads: int = 0, device: str = "cpu"):
        """device: cpu, or cuda (the CUDAExecutionProvider of onnxruntime-gpu)."""
        import onnxruntime as ort  # imported here so that listing models costs nothing

        path = Path(model_dir) / "model.onnx"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: export it with `depth-restore export`")
        if device not in ("cpu", "cuda"):
            raise ValueError(f"device must be cpu or cuda, not {device!r}")
        if device == "cuda" and "CUDAExecutionProvider" not in ort.get_available_providers():
            raise RuntimeError("this onnxruntime has no CUDA provider: pip install onnxruntime-gpu "
                               "(or use device cpu / backend tensorrt)")
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if device == "cuda" else ["CPUExecutionProvider"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as err:  # onnxruntime raises its own exception types for a corrupt file
            raise RuntimeError(f"cannot load {path}: {err}. The file is corrupt or not an ONNX model; "
                               "re-export it with `depth-restore export`") from err
        if device == "cuda":
            if "CUDAExecutionProvider" not in self.session.get_providers():  # it falls back silently
                raise RuntimeError("onnxruntime could not start its CUDA provider (see its log: CUDA / cuDNN "
                                   "libraries?); use device cpu or backend tensorrt")
            self.name = "onnxruntime-cuda"
        self.output_names = list(config.output_names)

    def run(self, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        return dict(zip(self.output_names, self.session.run(self.output_names, inputs)))
