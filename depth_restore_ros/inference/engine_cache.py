"""Where TensorRT engines live, when one may be reused, and the shape profile our models are built for.

Pure Python (no TensorRT import), so every rule here is unit-tested on any machine.

A TensorRT engine is only valid for the exact ONNX file, TensorRT version, GPU (compute capability),
precision, input shape profile and DLA core it was built with (and, for int8, the calibration cache).
`EngineKey` holds those fields; its `digest` (sha256 of their canonical JSON) is the cache key.
Beside each engine a small JSON sidecar records the key and the engine's own size and sha256, so a
later start can tell:

    reusable   sidecar key == wanted key, engine size and sha256 match the sidecar
    missing    no engine or no sidecar
    stale      sidecar readable but a key field differs (the reason names each one)
    corrupt    sidecar unreadable, engine empty / truncated / altered, or the caller's
               deserialisation failed (corrupt_reason)

decide() applies the rules: reuse, or build (always with force_rebuild), or, when building is not
allowed, refuse with what differs and the `depth-restore build-engine` command that builds it.

`engine_path()` names the file from every key field except the file hashes (ONNX, calibration):
re-exporting a model makes its engine stale and it is rebuilt in place, while two cameras whose
network sizes differ (different profiles) keep one engine each. Writes are atomic (temp file in the
same folder, fsync, rename); the engine is written before its sidecar, so a crash between the two
reads as corrupt, never as valid.
"""
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

from . import preprocess
from .config import ModelConfig

PRECISIONS = ("fp32", "fp16", "int8")
DEFAULT_CACHE_DIR = "~/.cache/depth_restore_ros/engines"
CACHE_DIR_ENV = "DEPTH_RESTORE_ENGINE_CACHE"   # overrides DEFAULT_CACHE_DIR when no cache_dir is given
SIDECAR_FORMAT = 1
Shape = Tuple[int, ...]


class EngineCacheError(RuntimeError):
    """A usable engine is not in the cache and building one is not allowed."""


# -- shape profile ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShapeProfile:
    """min / opt / max shape per network input (one TensorRT optimisation profile)."""
    shapes: Tuple[Tuple[str, Shape, Shape, Shape], ...]   # (input name, min, opt, max)

    def __iter__(self):
        return iter(self.shapes)

    def names(self) -> Tuple[str, ...]:
        return tuple(name for name, *_ in self.shapes)

    def text(self) -> str:
        """Canonical text (sorted by input name): the profile's part of the cache key."""
        return ";".join(f"{n}={_dims(lo)}/{_dims(opt)}/{_dims(hi)}" for n, lo, opt, hi in sorted(self.shapes))

    def violation(self, name: str, shape: Shape) -> Optional[str]:
        """Why `shape` is outside this profile for input `name`, or None if it fits."""
        for n, lo, _, hi in self.shapes:
            if n == name:
                if len(shape) != len(lo) or any(not a <= s <= b for s, a, b in zip(shape, lo, hi)):
                    return f"{name} has shape {tuple(shape)}; the engine accepts {tuple(lo)} .. {tuple(hi)}"
                return None
        return f"{name} is not an input of the engine (its inputs: {', '.join(self.names())})"


def _dims(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)


def profile_for(config: ModelConfig, resolution: Tuple[int, int], max_samples: int = 8,
                max_steps: int = 8) -> ShapeProfile:
    """The profile our models need for a camera of `resolution` = (height, width) pixels.

    image (and aux_image): batch 1 at the network size preprocess.network_size gives that camera
    (fixed: min = opt = max); noise: 1..max_samples samples on the latent grid, opt = the model's
    default K; schedule: 1..max_steps rows of 3, opt = the model's default steps; baseline: (1,).
    """
    height, width = (int(v) for v in resolution)
    if height < 8 or width < 8:
        raise ValueError(f"resolution must be (height, width) >= 8 pixels, got {resolution}")
    if max_samples < 1 or max_steps < 1:
        raise ValueError(f"max_samples and max_steps must be >= 1, got {max_samples}, {max_steps}")
    h, w = preprocess.network_size(height, width, config)
    image = (1, 3, h, w)
    stride = config.latent_stride   # the Estimator's noise grid: network side // latent_stride
    latent = (config.latent_channels, h // stride, w // stride)
    k_opt = min(max(config.default_samples, 1), max_samples)
    s_opt = min(max(config.diffusion_steps, 1), max_steps)
    known = {
        "image": (image, image, image),
        "aux_image": (image, image, image),
        "baseline": ((1,), (1,), (1,)),
        "noise": ((1, *latent), (k_opt, *latent), (max_samples, *latent)),
        "schedule": ((1, 3), (s_opt, 3), (max_steps, 3)),
    }
    unknown = [n for n in config.input_names if n not in known]
    if unknown:
        raise ValueError(f"model {config.name} has inputs {unknown} that no shape profile is known for "
                         f"(known: {sorted(known)})")
    return ShapeProfile(tuple((n, *known[n]) for n in config.input_names))


# -- key ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EngineKey:
    onnx_sha256: str
    tensorrt_version: str       # tensorrt.__version__, e.g. "10.3.0"
    compute_capability: str     # e.g. "8.7" (Jetson Orin), "8.9" (RTX 40xx)
    precision: str              # fp32 | fp16 | int8
    profile: str                # ShapeProfile.text()
    dla_core: Optional[int]     # None: GPU only
    calibration_sha256: Optional[str] = None   # int8: the calibration cache the engine was built from

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {self.precision!r}")
        if self.dla_core is not None and (isinstance(self.dla_core, bool) or self.dla_core < 0):
            raise ValueError(f"dla_core must be None (GPU) or a core index >= 0, not {self.dla_core!r}")

    @classmethod
    def create(cls, onnx_path, tensorrt_version: str, compute_capability: str, precision: str,
               profile: ShapeProfile, dla_core: Optional[int] = None, calibration_cache=None) -> "EngineKey":
        calibration = file_sha256(calibration_cache) if calibration_cache else None
        return cls(file_sha256(onnx_path), str(tensorrt_version), str(compute_capability), precision,
                   profile.text(), dla_core, calibration)

    def fields(self) -> Dict:
        return asdict(self)

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.fields(), sort_keys=True).encode()).hexdigest()


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- files -------------------------------------------------------------------------------------------
def cache_dir(path=None) -> Path:
    """The engine folder: `path`, else $DEPTH_RESTORE_ENGINE_CACHE, else ~/.cache/depth_restore_ros/engines."""
    return Path(path or os.environ.get(CACHE_DIR_ENV) or DEFAULT_CACHE_DIR).expanduser()


def engine_path(folder, model_name: str, key: EngineKey, source) -> Path:
    """Deterministic engine file for a model folder (`source`) and every key field but the file hashes."""
    slot = dict(key.fields(), onnx_sha256=None, calibration_sha256=None, source=str(Path(source).resolve()))
    tag = hashlib.sha256(json.dumps(slot, sort_keys=True).encode()).hexdigest()[:12]
    device = "gpu" if key.dla_core is None else f"dla{key.dla_core}"
    sm = key.compute_capability.replace(".", "")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in model_name)
    return Path(folder) / f"{safe}.{key.precision}.sm{sm}-{device}.trt{key.tensorrt_version}.{tag}.engine"


def sidecar_path(engine) -> Path:
    return Path(f"{engine}.json")


def timing_cache_path(folder, key: EngineKey) -> Path:
    """One tactic timing cache per TensorRT version and GPU, shared by every engine in the folder."""
    return Path(folder) / f"timing.sm{key.compute_capability.replace('.', '')}.trt{key.tensorrt_version}.cache"


def atomic_write(path, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store(engine, key: EngineKey, blob: bytes, model_name: str = "") -> None:
    """Save a built engine and then its sidecar (the sidecar is the commit: see the module doc)."""
    atomic_write(engine, blob)
    sidecar = {"format": SIDECAR_FORMAT, "key": key.fields(), "key_sha256": key.digest,
               "engine_bytes": len(blob), "engine_sha256": hashlib.sha256(blob).hexdigest(),
               "model": model_name}
    atomic_write(sidecar_path(engine), (json.dumps(sidecar, indent=2, sort_keys=True) + "\n").encode())


# -- rules -------------------------------------------------------------------------------------------
def check(engine, key: EngineKey) -> Optional[str]:
    """None if the engine at `engine` may be reused for `key`, else why not ("missing: ...",
    "stale: ...", "corrupt: ...")."""
    engine, sidecar = Path(engine), sidecar_path(engine)
    if not engine.is_file():
        return f"missing: no engine at {engine}"
    if not sidecar.is_file():
        return f"missing: {engine} has no sidecar {sidecar.name} (built elsewhere or interrupted)"
    try:
        meta = json.loads(sidecar.read_text())
        recorded, size, sha = dict(meta["key"]), int(meta["engine_bytes"]), str(meta["engine_sha256"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        return f"corrupt: sidecar {sidecar.name} is unreadable ({type(err).__name__}: {err})"
    wanted = key.fields()
    changed = [f"{k} {recorded.get(k)!r} -> {v!r}" for k, v in wanted.items() if recorded.get(k) != v]
    if changed:
        return "stale: " + "; ".join(changed)
    actual = engine.stat().st_size
    if actual == 0 or actual != size:
        return f"corrupt: engine is {actual} bytes, the sidecar says {size} (truncated or replaced)"
    if file_sha256(engine) != sha:
        return "corrupt: engine content differs from the sha256 in its sidecar"
    return None


def decide(engine, key: EngineKey, force_rebuild: bool = False, allow_build: bool = True,
           build_command: str = "depth-restore build-engine ...") -> Optional[str]:
    """None: load the engine at `engine`. Otherwise the reason it must be built ("force_rebuild" or
    check()'s answer); raises EngineCacheError instead when building is not allowed."""
    problem = "force_rebuild" if force_rebuild else check(engine, key)
    if problem is not None:
        require_build(problem, allow_build, build_command)
    return problem


def corrupt_reason(error) -> str:
    """The problem to pass to `require_build` when TensorRT could not deserialise a cached engine."""
    return f"corrupt: TensorRT could not deserialise the engine ({error})"


def require_build(problem: str, allow_build: bool, build_command: str) -> None:
    """Raise EngineCacheError unless building is allowed. `problem` says why the cached engine cannot
    be used; `build_command` is the `depth-restore build-engine ...` line that builds it."""
    if not allow_build:
        raise EngineCacheError(f"no usable TensorRT engine ({problem}) and building is disabled "
                               f"(allow_build=False). Build it once on this machine with:\n"
                               f"    {build_command}\n"
                               "(it takes minutes, once per GPU / TensorRT version / model)")
