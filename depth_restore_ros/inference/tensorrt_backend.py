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

CUDA memory: cuda-python's runtime binding (`cuda.bindings.runtime`, formerly `cuda.cudart`) rather
than torch. It is the binding NVIDIA's own TensorRT Python samples use (samples/python/
common_runtime.py), a small pip wheel on x86 and aarch64 alike, whereas a CUDA torch on Jetson needs
NVIDIA's own JetPack wheel and gigabytes; the node then needs no torch at all. The calls used:
cudaStreamCreate / cudaStreamSynchronize / cudaStreamDestroy, cudaMalloc / cudaFree, cudaMemcpyAsync,
cudaGetDevice, cudaDeviceGetAttribute (compute capability). Host arrays are ordinary (pageable)
numpy memory: each copy is ordered on the one stream and the stream is synchronised before run()
returns. Device buffers are kept per tensor and grown when a larger shape arrives.

Versions: TensorRT 8.5 to 10.x (JetPack 6 ships 8.6 / 10.3), through the name-based tensor API that
exists from 8.5 on. Every TensorRT call below was checked against the Python API documentation of
TensorRT 8.6 and 10.x, and the 8.x -> 10.x / 10.x -> 11.x migration guides:
  https://docs.nvidia.com/deeplearning/tensorrt/archives/tensorrt-861/api/python_api/parsers/Onnx/pyOnnx.html
  https://docs.nvidia.com/deeplearning/tensorrt/archives/tensorrt-861/api/python_api/infer/Core/ExecutionContext.html
  https://docs.nvidia.com/deeplearning/tensorrt/archives/tensorrt-1001/api/python_api/infer/Core/Engine.html
  https://docs.nvidia.com/deeplearning/tensorrt/api/python_api/infer/Core/Builder.html
  https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/Core/pyCore.html (IBuilderConfig)
  https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/Core/OptimizationProfile.html
  https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/Core/TimingCache.html
  https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/Core/ProgressMonitor.html
  https://docs.nvidia.com/deeplearning/tensorrt/latest/_static/python-api/infer/FoundationalTypes/HostMemory.html
  https://docs.nvidia.com/deeplearning/tensorrt/latest/api/migration/tensorrt-8x-to-10x-python-api-reference.html
  https://docs.nvidia.com/deeplearning/tensorrt/latest/api/migration/tensorrt-10x-to-11x-python-api-reference.html
  https://docs.nvidia.com/deeplearning/tensorrt/latest/inference-library/dla-build-and-run.html
and against the pybind11 sources the Python docs are generated from (NVIDIA/TensorRT python/src/infer/
pyCore.cpp, pyInt8.cpp, release 8.5) plus samples/python/simple_progress_monitor. Differences handled:
create_network needs the EXPLICIT_BATCH flag before 10.0 (ignored in 10, gone in 11); IProgressMonitor
is used only where the module has it; TensorRT 11 removed BuilderFlag.FP16 / INT8, so there only
fp32 is accepted. set_memory_pool_limit exists from 8.4, so no max_workspace_size fallback is needed.

INT8: only with `calibration_cache`, an existing TensorRT calibration cache, served by a cache-only
IInt8EntropyCalibrator2. TODO: a calibrator that feeds frames of the synthetic world to write that
cache (implicit INT8 calibration is deprecated since TensorRT 10.1 and removed in 11; the lasting
route is explicit Q/DQ quantisation of the ONNX).
"""
import logging
import time
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np

from . import engine_cache
from .config import ModelConfig
from .registry import WEIGHTS_DIR

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


def version_tuple(version: str) -> Tuple[int, int]:
    major, minor = (version.split(".") + ["0"])[:2]
    return int(major), int(minor)


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


class _Cuda:
    """The few CUDA runtime calls the back-end makes: one stream and per-tensor device buffers."""

    def __init__(self, cudart):
        self.rt = cudart
        self.stream = self._call(cudart.cudaStreamCreate(), "cudaStreamCreate")
        self.buffers: Dict[str, Tuple[int, int]] = {}   # tensor name -> (device pointer, bytes)

    def _call(self, result, what: str):
        """cuda-python calls return (cudaError_t, *values): raise on an error, else the value(s)."""
        err, *values = result
        if err != self.rt.cudaError_t.cudaSuccess:
            raise RuntimeError(f"CUDA {what} failed: {err}")
        return values[0] if len(values) == 1 else tuple(values)

    def compute_capability(self) -> str:
        device = self._call(self.rt.cudaGetDevice(), "cudaGetDevice")
        attr = self.rt.cudaDeviceAttr
        major = self._call(self.rt.cudaDeviceGetAttribute(attr.cudaDevAttrComputeCapabilityMajor, device), "cc")
        minor = self._call(self.rt.cudaDeviceGetAttribute(attr.cudaDevAttrComputeCapabilityMinor, device), "cc")
        return f"{major}.{minor}"

    @property
    def handle(self) -> int:
        try:
            from cuda.bindings.utils import get_cuda_native_handle
        except ImportError:   # older cuda-python: int() gives the address
            return int(self.stream)
        return get_cuda_native_handle(self.stream)

    def buffer(self, name: str, nbytes: int) -> int:
        ptr, capacity = self.buffers.get(name, (0, 0))
        if capacity < nbytes:
            if ptr:
                self._call(self.rt.cudaFree(ptr), "cudaFree")
            ptr = self._call(self.rt.cudaMalloc(nbytes), f"cudaMalloc({nbytes}) for {name}")
            self.buffers[name] = (ptr, nbytes)
        return ptr

    def upload(self, ptr: int, array: np.ndarray) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._call(self.rt.cudaMemcpyAsync(ptr, array.ctypes.data, array.nbytes, kind, self.stream), "upload")

    def download(self, array: np.ndarray, ptr: int) -> None:
        kind = self.rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        self._call(self.rt.cudaMemcpyAsync(array.ctypes.data, ptr, array.nbytes, kind, self.stream), "download")

    def synchronize(self) -> None:
        self._call(self.rt.cudaStreamSynchronize(self.stream), "cudaStreamSynchronize")

    def close(self) -> None:
        for ptr, _ in self.buffers.values():
            self.rt.cudaFree(ptr)
        self.buffers.clear()
        if self.stream is not None:
            self.rt.cudaStreamDestroy(self.stream)
            self.stream = None


def _logger(trt):
    """A TensorRT logger that forwards to Python logging (INFO as DEBUG; VERBOSE dropped)."""
    levels = {trt.ILogger.INTERNAL_ERROR: logging.CRITICAL, trt.ILogger.ERROR: logging.ERROR,
              trt.ILogger.WARNING: logging.WARNING, trt.ILogger.INFO: logging.DEBUG}

    class Logger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)

        def log(self, severity, msg):
            if severity in levels:
                LOG.log(levels[severity], "TensorRT: %s", msg)

    return Logger()


def _progress_monitor(trt):
    """Phase lines while the builder works (TensorRT versions with IProgressMonitor), else None."""
    if not hasattr(trt, "IProgressMonitor"):
        return None

    class Progress(trt.IProgressMonitor):
        def __init__(self):
            trt.IProgressMonitor.__init__(self)

        def phase_start(self, phase_name, parent_phase, num_steps):
            LOG.log(logging.INFO if parent_phase is None else logging.DEBUG,
                    "TensorRT build: %s (%d steps)", phase_name, num_steps)

        def step_complete(self, phase_name, step):
            LOG.debug("TensorRT build: %s, step %d done", phase_name, step)
            return True   # False would cancel the build

        def phase_finish(self, phase_name):
            LOG.debug("TensorRT build: %s finished", phase_name)

    return Progress()


def _cache_calibrator(trt, path: Path):
    """INT8 calibrator that only serves an existing calibration cache (see the module doc's TODO)."""
    class CacheCalibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self):
            trt.IInt8EntropyCalibrator2.__init__(self)

        def get_batch_size(self):
            return 1

        def get_batch(self, names):
            return None   # no frames: TensorRT must find everything in the cache

        def read_calibration_cache(self):
            return path.read_bytes()

        def write_calibration_cache(self, cache):
            pass

    return CacheCalibrator()


def build_engine(trt, logger, onnx_path: Path, profile: engine_cache.ShapeProfile, precision: str,
                 workspace_mb: int, dla_core: int, timing_cache: Path, model_name: str,
                 calibration_cache: Optional[Path] = None) -> bytes:
    """Parse model.onnx, configure the builder and return the serialised engine."""
    builder = trt.Builder(logger)
    explicit_batch = version_tuple(trt.__version__)[0] < 10   # 10.0 made every network explicit-batch
    network = builder.create_network(1 << int(trt.NetworkDefinitionCreationFlag.EXPLICIT_BATCH)
                                     if explicit_batch else 0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse(onnx_path.read_bytes(), str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT's ONNX parser refused {onnx_path}: {errors}")

    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_mb) << 20)
    shapes = builder.create_optimization_profile()
    for name, lo, opt, hi in profile:
        shapes.set_shape(name, lo, opt, hi)
    if config.add_optimization_profile(shapes) < 0:
        raise RuntimeError(f"TensorRT refused the shape profile {profile.text()}")
    if precision in ("fp16", "int8"):
        config.set_flag(trt.BuilderFlag.FP16)   # int8: layers without an INT8 kernel run in FP16
    if precision == "int8":
        config.set_flag(trt.BuilderFlag.INT8)
        config.int8_calibrator = _cache_calibrator(trt, calibration_cache)
        config.set_calibration_profile(shapes)
    if dla_core >= 0:
        config.default_device_type = trt.DeviceType.DLA
        config.DLA_core = int(dla_core)
        config.set_flag(trt.BuilderFlag.GPU_FALLBACK)   # layers the DLA cannot run go to the GPU
    blob = timing_cache.read_bytes() if timing_cache.is_file() else b""
    if not config.set_timing_cache(config.create_timing_cache(blob), False):
        LOG.warning("timing cache %s does not fit this TensorRT / GPU: starting a new one", timing_cache)
        config.set_timing_cache(config.create_timing_cache(b""), False)
    monitor = _progress_monitor(trt)   # referenced until the build returns, as TensorRT requires
    if monitor is not None:
        config.progress_monitor = monitor

    LOG.warning("building a TensorRT engine for %s (%s, profile %s): this takes minutes, once per GPU / "
                "TensorRT version / model", model_name, precision, profile.text())
    start = time.monotonic()
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"TensorRT could not build an engine for {model_name} (errors logged above)")
    engine_cache.atomic_write(timing_cache, bytes(memoryview(config.get_timing_cache().serialize())))
    LOG.warning("built the TensorRT engine for %s in %.0f s", model_name, time.monotonic() - start)
    return bytes(memoryview(serialized))


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

        self.cuda = _Cuda(cudart)
        self.logger = _logger(trt)
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
