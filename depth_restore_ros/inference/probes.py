"""What the machine offers for inference: the probes behind Estimator's backend="auto".

Each is cheap and imports nothing heavy: the GPU count comes from the NVIDIA driver through ctypes,
TensorRT is looked up without importing it, and only torch_has_cuda imports torch (auto calls it
only when a GPU is present and the faster options were skipped).
"""
import ctypes
import importlib.util


def cuda_gpu_count() -> int:
    """CUDA devices the driver sees (cuInit + cuDeviceGetCount); 0 without a driver or a GPU."""
    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            driver = ctypes.CDLL(name)
        except OSError:
            continue
        count = ctypes.c_int(0)
        if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
            return 0
        return count.value
    return 0


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:   # the parent package of a dotted name is missing
        return False


def tensorrt_importable() -> bool:
    """tensorrt and the CUDA runtime binding (cuda-python) that TensorRTBackend needs are installed."""
    return _findable("tensorrt") and (_findable("cuda.bindings") or _findable("cuda.cudart"))


def onnxruntime_has_cuda() -> bool:
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def torch_has_cuda() -> bool:
    if not _findable("torch"):
        return False
    import torch

    return torch.cuda.is_available()
