"""One CUDA stream and per-tensor device buffers for the TensorRT back-end.

cuda-python's runtime binding (`cuda.bindings.runtime`, formerly `cuda.cudart`) rather
than torch. It is the binding NVIDIA's own TensorRT Python samples use (samples/python/
common_runtime.py), a small pip wheel on x86 and aarch64 alike, whereas a CUDA torch on Jetson needs
NVIDIA's own JetPack wheel and gigabytes; the node then needs no torch at all. The calls used:
cudaStreamCreate / cudaStreamSynchronize / cudaStreamDestroy, cudaMalloc / cudaFree, cudaMemcpyAsync,
cudaGetDevice, cudaDeviceGetAttribute (compute capability). Host arrays are ordinary (pageable)
numpy memory: each copy is ordered on the one stream and the stream is synchronised before run()
returns. Device buffers are kept per tensor and grown when a larger shape arrives.
"""
from typing import Dict, Tuple

import numpy as np


class CudaStream:
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
