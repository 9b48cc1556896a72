"""ModelConfig: the typed description that travels with a model's weights.

Everything the Estimator needs to feed the network and read its outputs lives here, so a model folder
(config.json + model.onnx / model.pt) is self-describing and no caller hard-codes sizes or constants.
"""
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Dict, Tuple


@dataclass
class ModelConfig:
    name: str = "unnamed"
    arch: str = "mono_unet"              # key in depth_restore_ros.models.ARCHITECTURES
    arch_args: Dict = field(default_factory=dict)  # constructor arguments of that architecture
    input_long_side: int = 320           # the image is resized so its long side is this many pixels
    size_multiple: int = 16              # network sides are rounded to a multiple of the total stride
    mean: Tuple[float, float, float] = (0.485, 0.456, 0.406)  # RGB in [0, 1], ImageNet statistics
    std: Tuple[float, float, float] = (0.229, 0.224, 0.225)
    # Outputs are depth as a camera with this focal length (pixels, at network resolution) would see
    # it; the Estimator rescales by f_net / canonical_focal so one network serves any intrinsics.
    canonical_focal: float = 200.0
    min_depth: float = 0.1               # metres; predictions are clipped up to this
    max_depth: float = 80.0              # metres; predictions beyond are published as NaN (invalid)
    stereo: bool = False                 # network takes a right view and a baseline
    stochastic: bool = False             # several samples differ (diffusion); else one pass
    uncertainty: str = "aleatoric"       # what the `sigma` output means
    # Stochastic (restoration) models: inputs `noise` (K, latent_channels, H / latent_stride,
    # W / latent_stride) and `schedule` (see inference/diffusion_schedule.py).
    latent_channels: int = 0
    latent_stride: int = 16
    diffusion_steps: int = 4
    diffusion_strength: float = 0.5
    default_samples: int = 1             # K when the caller does not say
    input_names: Tuple[str, ...] = ("image",)
    # (N,1,H,W) canonical metres, 1-sigma metres; stochastic models add "spread" (metres), models with
    # a sky head "beyond" (a logit, > 0 where nothing lies within range)
    output_names: Tuple[str, ...] = ("depth", "sigma")

    def save(self, path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def from_dict(cls, data: Dict) -> "ModelConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"model config has unknown keys {unknown}; known: {sorted(known)}")
        data = dict(data)
        for key in ("mean", "std", "input_names", "output_names"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    @classmethod
    def load(cls, path) -> "ModelConfig":
        return cls.from_dict(json.loads(Path(path).read_text()))
