"""`mono_unet`: the small monocular metric-depth network behind `mono-small`.

Encoder: 4 levels at strides 2, 4, 8, 16 (levels 0-3, the layout the restoration model of IID-RDepth
builds on). Decoder: upsample, concatenate the skip, fuse, up to stride 2; a head predicts log-depth
and a log-scale per pixel, upsampled to the input size.

Outputs, each (N, 1, H, W); metres for a camera of the config's canonical focal length:
- `depth`: exp(log-depth);
- `sigma`: 1-sigma of a Laplace distribution on log-depth, turned into metres (sqrt(2) * b * depth),
  learned by negative log-likelihood: the aleatoric uncertainty this single-pass model can state;
- with `beyond_head`, a third, `beyond`: a logit, positive where nothing lies within range (the sky),
  a decision learned apart from the depth (TrainConfig.beyond_loss "mask"); the Estimator publishes
  NaN there unless told to keep the depth network's value.
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import InvertedResidual, PyramidPooling, SeparableConv, conv_bn_act


class Encoder(nn.Module):
    def __init__(self, channels: Sequence[int] = (24, 40, 80, 160), depths: Sequence[int] = (1, 2, 3, 3)):
        super().__init__()
        self.stem = conv_bn_act(3, channels[0], 3, stride=2)
        levels, in_ch = [], channels[0]
        for level, (out_ch, depth) in enumerate(zip(channels, depths)):
            blocks = [InvertedResidual(in_ch, out_ch, stride=1 if level == 0 else 2)]
            blocks += [InvertedResidual(out_ch, out_ch) for _ in range(depth - 1)]
            levels.append(nn.Sequential(*blocks))
            in_ch = out_ch
        self.levels = nn.ModuleList(levels)
        self.context = PyramidPooling(channels[-1])
        self.channels = tuple(channels)

    def level(self, x: torch.Tensor, level: int) -> torch.Tensor:
        """Level 0 or 1 alone (no deeper): what an auxiliary view contributes (AV-LFE)."""
        x = self.levels[0](self.stem(x))
        return self.levels[1](x) if level == 1 else x

    def forward(self, x: torch.Tensor) -> List[torch.Tensor]:
        feats, x = [], self.stem(x)
        for level in self.levels:
            x = level(x)
            feats.append(x)
        feats[-1] = self.context(feats[-1])
        return feats


class Decoder(nn.Module):
    """Coarse to fine: each stage upsamples x2, concatenates the encoder level, fuses."""

    def __init__(self, enc_channels: Sequence[int], dec_channels: Sequence[int] = (96, 64, 32)):
        super().__init__()
        stages, in_ch = [], enc_channels[-1]
        for skip_ch, out_ch in zip(reversed(enc_channels[:-1]), dec_channels):
            stages.append(SeparableConv(in_ch + skip_ch, out_ch))
            in_ch = out_ch
        self.stages = nn.ModuleList(stages)
        self.out_channels = in_ch

    def forward(self, feats: List[torch.Tensor]) -> torch.Tensor:
        return self.stage_outputs(feats)[-1]

    def stage_outputs(self, feats: List[torch.Tensor]) -> List[torch.Tensor]:
        """Every stage's output, coarse to fine."""
        x, outputs = feats[-1], []
        for stage, skip in zip(self.stages, reversed(feats[:-1])):
            x = F.interpolate(x, size=skip.shape[2:], mode="bilinear", align_corners=False)
            x = stage(torch.cat([x, skip], dim=1))
            outputs.append(x)
        return outputs


class DepthHead(nn.Module):
    """Log-depth and log-scale at stride 2, then bilinear to the input size."""

    def __init__(self, in_ch: int, log_depth_init: float = 1.0):
        super().__init__()
        self.body = nn.Sequential(conv_bn_act(in_ch, in_ch, 3), nn.Conv2d(in_ch, 2, 1))
        nn.init.zeros_(self.body[-1].weight)
        with torch.no_grad():
            self.body[-1].bias.copy_(torch.tensor([log_depth_init, -2.0]))

    def at_stride(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Log-depth and (clamped) log-scale at the features' own resolution."""
        out = self.body(x)
        return out[:, :1], out[:, 1:].clamp(-6.0, 3.0)

    def forward(self, x: torch.Tensor, size: Tuple[int, int]) -> Tuple[torch.Tensor, torch.Tensor]:
        out = F.interpolate(self.body(x), size=size, mode="bilinear", align_corners=False)
        return out[:, :1], out[:, 1:].clamp(-6.0, 3.0)


class BeyondHead(nn.Module):
    """The logit of "nothing within range here" (the sky), from fine features and the encoder's
    deepest, global-context level (a sky is a whole-image judgement as much as a local one). A
    module of its own, so it can be trained on a frozen network (TrainConfig.train_only) whose depth
    then stays what it was; it starts at "a surface" (sigmoid(-4) = 0.02)."""

    def __init__(self, fine_ch: int, deep_ch: int, hidden: int = 16):
        super().__init__()
        self.fine = conv_bn_act(fine_ch, hidden, 3)
        self.deep = conv_bn_act(deep_ch, hidden, 1)
        self.out = nn.Sequential(conv_bn_act(hidden, hidden, 3), nn.Conv2d(hidden, 1, 1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.constant_(self.out[-1].bias, -4.0)

    def forward(self, fine: torch.Tensor, deep: torch.Tensor) -> torch.Tensor:
        """The logit at the fine features' resolution."""
        up = F.interpolate(self.deep(deep), size=fine.shape[2:], mode="bilinear", align_corners=False)
        return self.out(self.fine(fine) + up)


def to_metres(log_depth: torch.Tensor, log_scale: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    depth = torch.exp(log_depth)
    return depth, depth * torch.exp(log_scale) * (2.0 ** 0.5)


class MonoUNet(nn.Module):
    def __init__(self, channels=(24, 40, 80, 160), depths=(1, 2, 3, 3), dec_channels=(96, 64, 32),
                 beyond_head: bool = False):
        super().__init__()
        self.encoder = Encoder(channels, depths)
        self.decoder = Decoder(self.encoder.channels, dec_channels)
        self.head = DepthHead(self.decoder.out_channels)
        self.beyond = BeyondHead(self.decoder.out_channels, channels[-1]) if beyond_head else None

    def forward_log(self, image: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Log-depth and log-scale (and the beyond logit): what training losses use."""
        levels = self.encoder(image)
        features = self.decoder(levels)
        maps = self.head(features, image.shape[2:])
        if self.beyond is None:
            return maps
        logit = F.interpolate(self.beyond(features, levels[-1]), size=image.shape[2:], mode="bilinear",
                              align_corners=False)
        return maps + (logit,)

    def forward(self, image: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        log_depth, log_scale, *beyond = self.forward_log(image)
        return to_metres(log_depth, log_scale) + tuple(beyond)
