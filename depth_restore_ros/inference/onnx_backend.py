"""onnxruntime back-end: the CPU default. Imports neither torch nor rclpy."""
import os
from pathlib import Path
from typing import Dict

import numpy as np

from .config import ModelConfig


class OnnxBackend:
    name = "onnxruntime"

    def __init__(self, model_dir: Path, config: ModelConfig, threads: int = 0):
        import onnxruntime as ort  # imported here so that listing models costs nothing

        path = Path(model_dir) / "model.onnx"
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing: export it with `depth-restore export`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types for a corrupt file
            raise RuntimeError(f"cannot load {path}: {err}. The file is corrupt or not an ONNX model; "
                               "re-export it with `depth-restore export`") from err
        self.output_names = list(config.output_names)

    def run(self, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        return dict(zip(self.output_names, self.session.run(self.output_names, inputs)))
