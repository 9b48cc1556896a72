"""TensorRTBackend's own flow, run against a stand-in for tensorrt and cuda-python.

The stand-in implements only the calls the back-end makes, with the signatures of the TensorRT / cuda-python
docs (see tensorrt_build's docstring), and a toy engine: depth = 1 + mean |image| over channels,
sigma = depth / 10, beyond = -1 (no sky). It checks what no machine here can run for real: build once
then reuse, the cache files, rebuild on a bad engine, refusal without allow_build, inputs bound by
name through device buffers, and the shape checks. It says nothing about TensorRT itself.
"""
import ctypes
import dataclasses
import enum
import json
import logging
import types

import numpy as np
import pytest

from depth_restore_ros import Estimator
from depth_restore_ros.inference import engine_cache as ec
from depth_restore_ros.inference import tensorrt_backend
from depth_restore_ros.inference.config import ModelConfig
from depth_restore_ros.inference.estimator import Probes
from depth_restore_ros.inference.preprocess import network_size
from depth_restore_ros.inference.registry import resolve_model_dir

MODEL_DIR = resolve_model_dir("mono-small")
# the shipped default at a 320 px network (the shapes below are written for it)
CONFIG = dataclasses.replace(ModelConfig.load(MODEL_DIR / "config.json"), input_long_side=320)


def fake_cudart():
    memory = {}   # address -> ctypes buffer (kept alive)

    def malloc(size):
        buf = ctypes.create_string_buffer(size)
        memory[ctypes.addressof(buf)] = buf
        return ok, ctypes.addressof(buf)

    def free(ptr):
        memory.pop(ptr)
        return (ok,)

    def memcpy(dst, src, count, kind, stream):
        ctypes.memmove(dst, src, count)
        return (ok,)

    ok = enum.IntEnum("cudaError_t", {"cudaSuccess": 0}).cudaSuccess
    attr = enum.IntEnum("cudaDeviceAttr", {"cudaDevAttrComputeCapabilityMajor": 75,
                                           "cudaDevAttrComputeCapabilityMinor": 76})
    return types.SimpleNamespace(
        cudaError_t=type(ok), cudaDeviceAttr=attr, memory=memory,
        cudaMemcpyKind=types.SimpleNamespace(cudaMemcpyHostToDevice=1, cudaMemcpyDeviceToHost=2),
        cudaStreamCreate=lambda: (ok, 7), cudaStreamSynchronize=lambda s: (ok,), cudaStreamDestroy=lambda s: (ok,),
        cudaGetDevice=lambda: (ok, 0), cudaMalloc=malloc, cudaFree=free,
        cudaMemcpyAsync=memcpy,
        cudaDeviceGetAttribute=lambda a, dev: (ok, 8 if a == attr.cudaDevAttrComputeCapabilityMajor else 7))


def fake_tensorrt(builds):
    class ILogger:
        INTERNAL_ERROR, ERROR, WARNING, INFO, VERBOSE = range(5)

        def __init__(self):
            pass

    class IProgressMonitor:
        def __init__(self):
            pass

    class Config:
        def __init__(self):
            self.flags, self.profiles, self.progress_monitor = set(), [], None

        def set_memory_pool_limit(self, pool, size):
            self.workspace = size

        def set_flag(self, flag):
            self.flags.add(flag)

        def add_optimization_profile(self, profile):
            self.profiles.append(profile)
            return len(self.profiles) - 1

        def create_timing_cache(self, blob):
            return types.SimpleNamespace(serialize=lambda: b"timing:" + blob)

        def set_timing_cache(self, cache, ignore_mismatch):
            self.timing = cache
            return True

        def get_timing_cache(self):
            return self.timing

    class Profile(dict):
        def set_shape(self, name, lo, opt, hi):
            self[name] = (tuple(lo), tuple(opt), tuple(hi))

    class Builder:
        def __init__(self, logger):
            pass

        def create_network(self, flags):
            return types.SimpleNamespace(flags=flags)

        def create_builder_config(self):
            return Config()

        def create_optimization_profile(self):
            return Profile()

        def build_serialized_network(self, network, config):
            builds.append(config)
            config.progress_monitor.phase_start("Building engine", None, 2)
            assert config.progress_monitor.step_complete("Building engine", 0) is True
            return memoryview(b"ENGINE" + json.dumps(config.profiles[0]).encode())

    class Context:
        def __init__(self):
            self.shapes, self.addresses = {}, {}

        def set_input_shape(self, name, shape):
            self.shapes[name] = tuple(shape)
            return True

        def get_tensor_shape(self, name):
            return (1, 1, *self.shapes["image"][2:])

        def set_tensor_address(self, name, ptr):
            self.addresses[name] = ptr
            return True

        def execute_async_v3(self, stream_handle):
            n = int(np.prod(self.shapes["image"]))
            image = np.ctypeslib.as_array((ctypes.c_float * n).from_address(self.addresses["image"]))
            depth = 1 + np.abs(image.reshape(self.shapes["image"])).mean(axis=1)
            for name, values in (("depth", depth), ("sigma", depth / 10), ("beyond", np.full_like(depth, -1.0))):
                flat = values.astype(np.float32).ravel()
                ctypes.memmove(self.addresses[name], flat.ctypes.data, flat.nbytes)
            return True

    class Engine:
        names = ["image", "depth", "sigma", "beyond"]
        num_io_tensors = 4
        def get_tensor_name(self, i):
            return self.names[i]

        def get_tensor_mode(self, name):
            return "in" if name == "image" else "out"

        def get_tensor_dtype(self, name):
            return "float32"

        def create_execution_context(self):
            return Context()

    class Runtime:
        def __init__(self, logger):
            self.DLA_core = -1

        def deserialize_cuda_engine(self, blob):
            return Engine() if bytes(blob).startswith(b"ENGINE") else None

    return types.SimpleNamespace(
        __version__="10.3.0", ILogger=ILogger, IProgressMonitor=IProgressMonitor, Builder=Builder, Runtime=Runtime,
        OnnxParser=lambda network, logger: types.SimpleNamespace(parse=lambda data, path: True, num_errors=0),
        NetworkDefinitionCreationFlag=types.SimpleNamespace(EXPLICIT_BATCH=0),
        MemoryPoolType=types.SimpleNamespace(WORKSPACE="workspace"),
        BuilderFlag=types.SimpleNamespace(FP16="fp16", INT8="int8", GPU_FALLBACK="gpu_fallback"),
        DeviceType=types.SimpleNamespace(DLA="dla"), TensorIOMode=types.SimpleNamespace(INPUT="in"),
        nptype=lambda dtype: np.float32)


@pytest.fixture
def builds(monkeypatch):
    built = []
    runtime = (fake_tensorrt(built), fake_cudart())
    monkeypatch.setattr(tensorrt_backend, "import_runtime", lambda: runtime)
    return built


def test_builds_once_then_reuses_and_runs_by_name(builds, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="depth_restore_ros.inference.tensorrt_backend"):
        first = tensorrt_backend.TensorRTBackend(MODEL_DIR, CONFIG, cache_dir=tmp_path, workspace_mb=256)
    assert first.built and len(builds) == 1 and builds[0].flags == {"fp16"} and builds[0].workspace == 256 << 20
    assert dict(builds[0].profiles[0]) == {"image": ((1, 3, 240, 320),) * 3}
    assert any("building a TensorRT engine for mono-small (fp16, profile image=1x3x240x320" in r.getMessage()
               for r in caplog.records)
    assert first.engine_path.parent == tmp_path and ec.check(first.engine_path, first.key) is None
    assert first.key.compute_capability == "8.7"
    assert (tmp_path / "timing.sm87.trt10.3.0.cache").read_bytes() == b"timing:"   # a new timing cache, saved

    image = np.random.default_rng(0).normal(size=(1, 3, 240, 320)).astype(np.float32)
    out = first.run({"image": image})
    np.testing.assert_allclose(out["depth"], 1 + np.abs(image).mean(axis=1, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(out["sigma"], out["depth"] / 10, rtol=1e-6)
    with pytest.raises(ValueError, match="engine accepts .*--resolution 640x480"):
        first.run({"image": np.zeros((1, 3, 176, 320), np.float32)})
    first.close()

    again = tensorrt_backend.TensorRTBackend(MODEL_DIR, CONFIG, cache_dir=tmp_path)
    assert not again.built and len(builds) == 1 and again.engine_path == first.engine_path


def test_rebuilds_an_engine_tensorrt_cannot_load_and_refuses_without_allow_build(builds, tmp_path):
    first = tensorrt_backend.TensorRTBackend(MODEL_DIR, CONFIG, cache_dir=tmp_path)
    ec.store(first.engine_path, first.key, b"not a plan")   # consistent sidecar, but undeserialisable
    refusal = "(?s)could not deserialise.*depth-restore build-engine --model mono-small "
    with pytest.raises(ec.EngineCacheError, match=refusal):
        tensorrt_backend.TensorRTBackend(MODEL_DIR, CONFIG, cache_dir=tmp_path, allow_build=False)
    assert tensorrt_backend.TensorRTBackend(MODEL_DIR, CONFIG, cache_dir=tmp_path).built and len(builds) == 2
    with pytest.raises(ec.EngineCacheError, match="(?s)missing.*--precision fp32"):
        tensorrt_backend.TensorRTBackend(MODEL_DIR, CONFIG, cache_dir=tmp_path, precision="fp32", allow_build=False)
    forced = tensorrt_backend.TensorRTBackend(MODEL_DIR, CONFIG, cache_dir=tmp_path, force_rebuild=True)
    assert forced.built and len(builds) == 3


def test_dla_core_goes_to_builder_and_key(builds, tmp_path):
    dla = tensorrt_backend.TensorRTBackend(MODEL_DIR, CONFIG, cache_dir=tmp_path, dla_core=1)
    assert builds[-1].DLA_core == 1 and builds[-1].default_device_type == "dla"
    assert builds[-1].flags == {"fp16", "gpu_fallback"} and dla.key.dla_core == 1 and "-dla1." in dla.engine_path.name


def test_estimator_predicts_through_the_tensorrt_backend(builds, tmp_path):
    est = Estimator.from_pretrained("mono-small", backend="tensorrt", cache_dir=tmp_path)
    pred = est.predict(np.full((480, 640, 3), 128, np.uint8), camera=(500.0, 500.0, 319.5, 239.5))
    assert est.backend_name == "tensorrt" and pred.depth.shape == (480, 640)
    assert np.isfinite(pred.depth).all() and (pred.uncertainty > 0).all()


def test_tensorrt_options_reach_tensorrt_only(builds, tmp_path):
    options = dict(cache_dir=tmp_path, precision="fp32", resolution=(720, 1280))
    gpu = Probes(lambda: 1, lambda: True, lambda: False, lambda: False)
    est = Estimator.from_pretrained("mono-small", probes=gpu, tensorrt_options=options)
    assert est.backend_name == "tensorrt" and est.backend.key.precision == "fp32"
    assert est.backend.profile.shapes[0][1] == (1, 3, *network_size(720, 1280, est.config)) and builds[-1].flags == set()
    no_gpu = Probes(lambda: 0, lambda: True, lambda: False, lambda: False)
    cpu = Estimator.from_pretrained("mono-small", probes=no_gpu, tensorrt_options=options)
    assert cpu.backend_name == "onnxruntime"
