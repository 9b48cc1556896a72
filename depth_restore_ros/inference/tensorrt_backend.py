"""TensorRT back-end: builds an engine from a model folder's model.onnx once, caches it, runs it.

    backend = TensorRTBackend(model_dir, config, precision="fp16", resolution=(480, 640))
    outputs = backend.run({"image": image})          # same contract as OnnxBackend / TorchBackend

Scope: inputs arrive and outputs leave as numpy arrays on the host; pre- and post-processing stay on
the CPU (preprocess.py) for now. Moving them onto the GPU is out of scope here.

Engines: the cache rules (key, sidecar, stale / corrupt, allow_build, atomic writes) and the shape
profile live in engine_cache.py, without TensorRT, where they are unit-tested. The profile fixes the
image at the network size of one camera resolution; K samples and diffusion steps of a restoration
model may vary in 1..max_samples and 1..max_steps. A frame outside the profile is refused with the
command that builds an engine for it. TensorRT's ONNX parser must accept the restoration network's
ONNX Loop (the DDIM steps); that was not run here (no GPU / TensorRT on the development machines).

CUDA memory: cuda_stream.py (cuda-python's runtime binding, not torch: why is said there).
Building: tensorrt_build.py (TensorRT versions handled, INT8).
"""
import logging
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from . import engine_cache
from .config import ModelConfig
from .cuda_stream import CudaStream
from .registry import WEIGHTS_DIR
from .tensorrt_build import build_engine, trt_logger, version_tuple

LOG = logging.getLogger(__name__)
MIN_VERSION = (8, 5)   # num_io_tensors, get_tensor_name, set_input_shape, set_tensor_address, execute_async_v3


class TensorRTUnavailable(RuntimeError):
    """TensorRT or the CUDA runtime binding cannot be imported, or is too old."""


def import_runtime():
    """(tensorrt module, cuda runtime binding), or TensorRTUnavailable saying what is missing."""
    try:
        import tensorrt as trt
    except ImportError as err:
        raise TensorRTUnavailable(
            f"TensorRT is not importable ({err}). It comes with JetPack on Jetson and as the `tensorrt` "
            "pip package on desktop NVIDIA GPUs; without it use backend 'cuda' (onnxruntime-gpu) or "
            "'onnxruntime' (CPU)") from err
    try:
        from cuda.bindings import runtime as cudart   # cuda-python >= 12.6
    except ImportError:
        try:
            from cuda import cudart                    # older cuda-python
        except ImportError as err:
            raise TensorRTUnavailable(f"TensorRT needs the CUDA runtime binding, which is not importable "
                                      f"({err}): pip install cuda-python") from err
    return trt, cudart


def build_command(model_dir, precision: str, resolution, dla_core: int, config: ModelConfig,
                  max_samples: int, max_steps: int, cache_dir=None, engine_path=None) -> str:
    """The `depth-restore build-engine` line that builds the engine these arguments ask for."""
    height, width = resolution
    model = Path(model_dir).name if Path(model_dir).resolve().parent == WEIGHTS_DIR else model_dir  # shipped
    parts = [f"depth-restore build-engine --model {model} --precision {precision}",
             f"--resolution {width}x{height}"]
    if config.stochastic:
        parts.append(f"--max-samples {max_samples} --max-steps {max_steps}")
    if dla_core >= 0:
        parts.append(f"--dla-core {dla_core}")
    if cache_dir:
        parts.append(f"--cache-dir {cache_dir}")
    if engine_path:
        parts.append(f"--engine-path {engine_path}")
    return " ".join(parts)


class TensorRTBackend:
    name = "tensorrt"

    def __init__(self, model_dir: Path, config: ModelConfig, engine_path=None, force_rebuild: bool = False,
                 workspace_mb: int = 1024, dla_core: int = -1, precision: str = "fp16",
                 allow_build: bool = True, cache_dir=None, max_samples: int = 8, max_steps: int = 8,
                 resolution: Tuple[int, int] = (480, 640), calibration_cache=None):
        """`resolution` is the camera's (height, width); `dla_core` -1 means GPU only."""
        model_dir = Path(model_dir)
        onnx_path = model_dir / "model.onnx"
        if precision not in engine_cache.PRECISIONS:
            raise ValueError(f"precision must be one of {engine_cache.PRECISIONS}, not {precision!r}")
        if workspace_mb < 1 or dla_core < -1:
            raise ValueError(f"workspace_mb must be >= 1 and dla_core >= -1, got {workspace_mb}, {dla_core}")
        if dla_core >= 0 and precision == "fp32":
            raise ValueError("the DLA runs FP16 and INT8 networks only: use precision fp16 with dla_core")
        if precision == "int8" and not (calibration_cache and Path(calibration_cache).is_file()):
            raise ValueError("precision int8 needs calibration_cache=<an existing TensorRT calibration cache>; "
                             "writing one from synthetic frames is not implemented yet (use fp16)")
        if not onnx_path.is_file():
            raise FileNotFoundError(f"{onnx_path} is missing: export it with `depth-restore export`")
        self.profile = engine_cache.profile_for(config, resolution, max_samples, max_steps)
        trt, cudart = import_runtime()
        version = version_tuple(trt.__version__)
        if version < MIN_VERSION:
            raise TensorRTUnavailable(f"TensorRT {trt.__version__} is older than 8.5, where the name-based "
                                      "tensor API this back-end uses begins")
        if version[0] >= 11 and precision != "fp32":
            raise ValueError(f"TensorRT {trt.__version__} removed the FP16/INT8 builder flags (strongly typed "
                             "networks only): use precision fp32, or a TensorRT 10.x")

        self.cuda = CudaStream(cudart)
        self.logger = trt_logger(trt)
        self.key = engine_cache.EngineKey.create(onnx_path, trt.__version__, self.cuda.compute_capability(),
                                                 precision, self.profile, dla_core if dla_core >= 0 else None,
                                                 calibration_cache if precision == "int8" else None)
        folder = Path(engine_path).parent if engine_path else engine_cache.cache_dir(cache_dir)
        self.engine_path = (Path(engine_path) if engine_path else
                            engine_cache.engine_path(folder, config.name, self.key, model_dir))
        self.hint = build_command(model_dir, precision, resolution, dla_core, config, max_samples, max_steps,
                                  cache_dir, engine_path)
        runtime = trt.Runtime(self.logger)
        if dla_core >= 0:
            runtime.DLA_core = int(dla_core)
        problem = engine_cache.decide(self.engine_path, self.key, force_rebuild, allow_build, self.hint)
        self.engine, self.built = None, False
        if problem is None:
            self.engine = runtime.deserialize_cuda_engine(self.engine_path.read_bytes())
            if self.engine is None:
                problem = engine_cache.corrupt_reason("see the TensorRT log")
                engine_cache.require_build(problem, allow_build, self.hint)
        if self.engine is None:
            LOG.info("TensorRT engine %s: %s", self.engine_path, problem)
            blob = build_engine(trt, self.logger, onnx_path, self.profile, precision, workspace_mb, dla_core,
                                engine_cache.timing_cache_path(folder, self.key), config.name,
                                Path(calibration_cache) if calibration_cache else None)
            engine_cache.store(self.engine_path, self.key, blob, config.name)
            self.engine, self.built = runtime.deserialize_cuda_engine(blob), True
            if self.engine is None:
                raise RuntimeError(f"TensorRT could not load the engine it just built ({self.engine_path})")
        self.context = self.engine.create_execution_context()
        if self.context is None:
            raise RuntimeError("TensorRT could not create an execution context (out of GPU memory?)")
        self._bind_names(trt, config)

    def _bind_names(self, trt, config: ModelConfig) -> None:
        names = [self.engine.get_tensor_name(i) for i in range(self.engine.num_io_tensors)]
        self.input_names = [n for n in names if self.engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        self.engine_outputs = [n for n in names if n not in self.input_names]
        self.dtypes = {n: np.dtype(trt.nptype(self.engine.get_tensor_dtype(n))) for n in names}
        missing = [n for n in (*config.input_names, *config.output_names) if n not in names]
        if missing:
            raise RuntimeError(f"engine {self.engine_path} has no tensors {missing} (it has {names}): "
                               "rebuild it with force_rebuild")
        self.output_names = list(config.output_names)

    def run(self, inputs: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
        missing = [n for n in self.input_names if n not in inputs]
        if missing:
            raise ValueError(f"missing inputs {missing}: the engine takes {self.input_names}")
        for name in self.input_names:
            array = np.ascontiguousarray(inputs[name], dtype=self.dtypes[name])
            problem = self.profile.violation(name, array.shape)
            if problem:
                raise ValueError(f"{problem}. Build an engine for it: {self.hint} (with the frame's resolution)")
            if not self.context.set_input_shape(name, array.shape):
                raise RuntimeError(f"TensorRT refused shape {array.shape} for {name}")
            ptr = self.cuda.buffer(name, array.nbytes)
            self.cuda.upload(ptr, array)
            self.context.set_tensor_address(name, ptr)
        outputs = {}
        for name in self.engine_outputs:
            outputs[name] = np.empty(tuple(self.context.get_tensor_shape(name)), self.dtypes[name])
            self.context.set_tensor_address(name, self.cuda.buffer(name, outputs[name].nbytes))
        if not self.context.execute_async_v3(self.cuda.handle):
            raise RuntimeError("TensorRT execute_async_v3 failed (errors logged above)")
        for name, array in outputs.items():
            self.cuda.download(array, self.cuda.buffers[name][0])
        self.cuda.synchronize()
        return {name: outputs[name].astype(np.float32, copy=False) for name in self.output_names}

    def close(self) -> None:
        """Free the device buffers and the stream (the engine goes with the object)."""
        if getattr(self, "cuda", None) is not None:
            self.cuda.close()

    def __del__(self):
        try:
            self.close()
        except Exception:   # interpreter shutdown: CUDA may already be gone
            pass
