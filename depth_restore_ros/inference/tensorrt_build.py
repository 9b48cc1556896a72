"""Building a TensorRT engine from a model folder's model.onnx (the back-end caches the result).

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
from typing import Optional, Tuple

from . import engine_cache

LOG = logging.getLogger(__name__)


def version_tuple(version: str) -> Tuple[int, int]:
    major, minor = (version.split(".") + ["0"])[:2]
    return int(major), int(minor)


def trt_logger(trt):
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
