"""Estimator: the one inference API that the nodes, the CLI and library users share.

    est = Estimator.from_pretrained("mono-small")          # TensorRT / CUDA if here, else onnxruntime on the CPU
    pred = est.predict(rgb, camera=(fx, fy, cx, cy))
    pred.depth, pred.uncertainty                            # HxW float32 metres, NaN invalid

predict() runs in labelled stages (preprocess, inference, postprocess) and times each, so the node's
diagnostics and the benchmarks report where time goes. An instance is not thread-safe.
"""
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Sequence

import numpy as np

from ..core.errors import InputError
from . import preprocess
from .config import ModelConfig
from .registry import resolve_model_dir

LOG = logging.getLogger(__name__)
BACKENDS = ("auto", "onnxruntime", "torch", "tensorrt", "cuda")  # cuda: onnxruntime-gpu or torch
DEFAULT_HFOV_DEG = 60.0


@dataclass
class Prediction:
    depth: np.ndarray                 # HxW float32 metres, NaN invalid
    uncertainty: np.ndarray           # HxW float32 metres (1-sigma), NaN where depth is invalid
    num_samples: int = 1
    timings: Dict[str, float] = field(default_factory=dict)  # seconds per stage
    spread: Optional[np.ndarray] = None  # stochastic models: std of the K samples' depth (metres)

    def colorized(self) -> np.ndarray:
        """Depth as an rgb8 picture (near is warm), for looking at."""
        from ..core.colorize import colorize_depth
        return colorize_depth(self.depth)


@dataclass(frozen=True)
class Probes:
    """What the machine offers, as functions so tests can pass their own (see default_probes)."""
    cuda_gpus: Callable[[], int]             # CUDA GPUs the driver sees
    tensorrt: Callable[[], bool]             # tensorrt and cuda-python importable
    onnxruntime_cuda: Callable[[], bool]     # onnxruntime has the CUDAExecutionProvider
    torch_cuda: Callable[[], bool]           # torch built with CUDA and a GPU available (imports torch)


@dataclass(frozen=True)
class BackendChoice:
    name: str      # onnxruntime | torch | tensorrt
    device: str    # cpu | cuda
    reason: str    # why each faster option was skipped ("" when none was)


def default_probes() -> Probes:
    from . import probes
    return Probes(probes.cuda_gpu_count, probes.tensorrt_importable, probes.onnxruntime_has_cuda,
                  probes.torch_has_cuda)


def _pick_backend(requested: str, model_dir, probes: Optional[Probes] = None) -> BackendChoice:
    """The back-end for `requested`. auto: TensorRT if importable and a CUDA GPU is present, else CUDA
    through onnxruntime-gpu or torch, else onnxruntime on the CPU (torch if there is no model.onnx).
    Probes run only as far as needed: without a GPU neither torch nor tensorrt is imported."""
    if requested not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, not {requested!r}")
    if requested in ("onnxruntime", "torch", "tensorrt"):
        return BackendChoice(requested, "cuda" if requested == "tensorrt" else "cpu", "")
    probes = probes or default_probes()
    has_onnx, has_pt = (model_dir / "model.onnx").is_file(), (model_dir / "model.pt").is_file()
    gpu = probes.cuda_gpus() > 0
    skipped = []
    candidates = [("tensorrt", has_onnx, "model.onnx", probes.tensorrt, "tensorrt or cuda-python not importable"),
                  ("onnxruntime", has_onnx, "model.onnx", probes.onnxruntime_cuda,
                   "onnxruntime has no CUDAExecutionProvider (pip install onnxruntime-gpu)"),
                  ("torch", has_pt, "model.pt", probes.torch_cuda, "torch has no CUDA")]
    if requested == "cuda":   # CUDA without TensorRT
        candidates = candidates[1:]
    for name, has_file, file, available, missing in candidates:
        label = name if name == "tensorrt" else f"{name} CUDA"
        if not gpu:
            skipped.append(f"{label}: no CUDA GPU")
        elif not has_file:
            skipped.append(f"{label}: no {file}")
        elif not available():
            skipped.append(f"{label}: {missing}")
        else:
            return BackendChoice(name, "cuda", "; ".join(skipped))
    if requested == "cuda":
        raise RuntimeError(f"backend 'cuda' is not available here: {'; '.join(skipped)}")
    return BackendChoice("onnxruntime" if has_onnx else "torch", "cpu", "; ".join(skipped))


class Estimator:
    def __init__(self, config: ModelConfig, backend, model_dir, seed: int = 0):
        self.config = config
        self.backend = backend
        self.model_dir = model_dir
        self._rng = np.random.default_rng(seed)  # the diffusion's noise: reproducible runs

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def backend_name(self) -> str:
        return self.backend.name

    @classmethod
    def from_pretrained(cls, name_or_path: str, backend: str = "auto", probes: Optional[Probes] = None,
                        tensorrt_options: Optional[Dict] = None, **backend_options) -> "Estimator":
        """backend: auto | onnxruntime | torch | tensorrt | cuda (see _pick_backend). backend_options go to
        the chosen back-end's constructor; tensorrt_options (TensorRTBackend's precision, resolution,
        engine_path, ...) only if TensorRT is chosen, so a caller with backend auto can always pass them."""
        model_dir = resolve_model_dir(name_or_path)
        config = ModelConfig.load(model_dir / "config.json")
        choice = _pick_backend(backend, model_dir, probes)
        if choice.name == "tensorrt":
            from .tensorrt_backend import TensorRTBackend
            impl = TensorRTBackend(model_dir, config, **{**(tensorrt_options or {}), **backend_options})
        elif choice.name == "onnxruntime":
            from .onnx_backend import OnnxBackend
            impl = OnnxBackend(model_dir, config, **{"device": choice.device, **backend_options})
        else:
            from .torch_backend import TorchBackend
            impl = TorchBackend(model_dir, config, **{"device": choice.device, **backend_options})
        skipped = f"; skipped {choice.reason}" if choice.reason else ""
        LOG.info("model %s on %s (requested %s%s) from %s", config.name, impl.name, backend, skipped, model_dir)
        return cls(config, impl, model_dir)

    def predict(self, rgb: np.ndarray, camera: Optional[Sequence[float]] = None, aux_rgb=None,
                baseline_m: Optional[float] = None, num_samples: Optional[int] = None,
                diffusion_steps: Optional[int] = None, mask_beyond: bool = True) -> Prediction:
        """Depth and uncertainty at rgb's resolution. `num_samples` (K) and `diffusion_steps` apply
        to stochastic models (default: the model's); deterministic models ignore them (K = 1).
        `mask_beyond`: NaN where the model's sky head (if it has one) says nothing lies within range;
        False keeps the depth network's own value there (still NaN beyond max_depth)."""
        _check_rgb(rgb, "rgb")
        camera = _check_camera(camera, rgb.shape)
        if aux_rgb is not None and not self.config.stereo:
            LOG.debug("model %s is monocular: aux_rgb ignored", self.name)
        if aux_rgb is not None and self.config.stereo:
            _check_rgb(aux_rgb, "aux_rgb")
            if aux_rgb.shape != rgb.shape:
                raise InputError("stereo_size", f"the auxiliary view is {aux_rgb.shape[1]}x{aux_rgb.shape[0]}, the "
                                 f"main view {rgb.shape[1]}x{rgb.shape[0]}", "rectify both views to one size")
            if baseline_m is None or not math.isfinite(baseline_m) or baseline_m <= 0:
                raise InputError("baseline", f"a stereo pair needs a positive baseline, got {baseline_m}",
                                 "the right camera_info's P[3] must be -fx * baseline")
        timings = {}
        t0 = time.perf_counter()
        image = preprocess.to_network(rgb, self.config)
        net_hw = image.shape[2:]
        t1 = time.perf_counter()
        inputs, k = {"image": image}, 1
        if self.config.stereo:  # no right view: baseline 0 makes the auxiliary branch the identity
            stereo = aux_rgb is not None
            inputs["aux_image"] = preprocess.to_network(aux_rgb, self.config) if stereo else image
            inputs["baseline"] = np.array([baseline_m if stereo else 0.0], np.float32)
        if self.config.stochastic:
            k = int(num_samples or self.config.default_samples)
            inputs.update(self._diffusion_inputs(net_hw, k, int(diffusion_steps or self.config.diffusion_steps)))
        outputs = self.backend.run(inputs)
        t2 = time.perf_counter()
        ratio = preprocess.focal_ratio(camera, rgb.shape[:2], net_hw, self.config)
        depth = preprocess.to_image(outputs["depth"][0, 0] * ratio, rgb.shape[:2])
        sigma = preprocess.to_image(outputs["sigma"][0, 0] * ratio, rgb.shape[:2])
        spread = preprocess.to_image(outputs["spread"][0, 0] * ratio, rgb.shape[:2]) if "spread" in outputs else None
        np.maximum(depth, self.config.min_depth, out=depth)
        invalid = ~(depth <= self.config.max_depth)  # also catches NaN from the network
        if mask_beyond and "beyond" in outputs:
            invalid |= preprocess.to_image(outputs["beyond"][0, 0], rgb.shape[:2]) > 0
        for values in (depth, sigma) if spread is None else (depth, sigma, spread):
            values[invalid] = np.nan
        t3 = time.perf_counter()
        timings.update(preprocess=t1 - t0, inference=t2 - t1, postprocess=t3 - t2)
        return Prediction(depth=depth, uncertainty=sigma, num_samples=k, timings=timings, spread=spread)

    def _diffusion_inputs(self, net_hw, samples: int, steps: int) -> Dict[str, np.ndarray]:
        """Noise for K samples on the latent grid, and the DDIM schedule of `steps` steps."""
        from .diffusion_schedule import ddim_schedule
        if not 1 <= samples <= 64 or not 1 <= steps <= 50:
            raise ValueError(f"num_samples must be 1..64 and diffusion_steps 1..50, got {samples}, {steps}")
        stride = self.config.latent_stride
        shape = (samples, self.config.latent_channels, net_hw[0] // stride, net_hw[1] // stride)
        return {"noise": self._rng.standard_normal(shape, dtype=np.float32),
                "schedule": ddim_schedule(steps, self.config.diffusion_strength)}


def _check_rgb(rgb, what: str) -> None:
    if not isinstance(rgb, np.ndarray) or rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        desc = f"{rgb.dtype} array of shape {rgb.shape}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
        raise InputError("image", f"{what} must be an HxWx3 uint8 RGB array, got a {desc}",
                         "convert with depth_restore_ros.core.image_codec.to_rgb8")
    if rgb.shape[0] < 8 or rgb.shape[1] < 8:
        raise InputError("image", f"{what} is {rgb.shape[1]}x{rgb.shape[0]}: too small for the network")


def _check_camera(camera, shape):
    if camera is None:
        f = 0.5 * shape[1] / math.tan(math.radians(DEFAULT_HFOV_DEG) / 2)
        LOG.warning("no camera intrinsics given: assuming a %.0f deg horizontal field of view; "
                    "metric depth scales with the focal length, pass camera=(fx, fy, cx, cy)",
                    DEFAULT_HFOV_DEG)
        return (f, f, (shape[1] - 1) / 2, (shape[0] - 1) / 2)
    values = tuple(float(v) for v in camera)
    if len(values) != 4 or not all(math.isfinite(v) for v in values) or values[0] <= 0 or values[1] <= 0:
        raise InputError("camera_info", f"camera must be (fx, fy, cx, cy) with fx, fy > 0 and finite, "
                         f"got {camera}", "check the camera_info K matrix (calibrate the camera)")
    return values
