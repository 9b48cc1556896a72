"""`restore_residual`: mono-small's whole network per image, and K restored corrections of its depth.

    image -> encoder (levels 0-3) -> mono_unet's decoder (strides 8, 4, 2) and head: the base
             log-depth and log-scale at stride 2, exactly what mono-small computes
          -> IID-RDepth's restoration as in `restore_net`: levels 2 and 3 -> z_enc and cond -> K
             restorations by a few DDIM steps, one per noise sample
          -> per sample: `restore_net`'s decoder (latent grid, stride 4 against the base decoder's
             stride-4 stage, two invertible bi-Lipschitz stages) gives a correction of log-depth
             and log-scale, zero at initialisation, brought to stride 2 and added to the base
          -> depth = mean of the K samples, uncertainty from their mixture (`sample_statistics`),
             brought to the input size in log space, as mono-small's head is

Why a residual: in `restore_net` every sample's depth comes through the restored latent and a thin
decoder, and at mono-small's budget it scored 12 % worse RMSE than mono-small (docs/ablation_restore.md
has the history). Here the restoration starts as mono-small and learns only what the restored deep
features add to it; the samples' spread is what the restoration is unsure of.
"""
from typing import Sequence

import torch
import torch.nn.functional as F

from .diffusion import repeat_samples
from .mono_unet import BeyondHead, Decoder, DepthHead
from .restore_net import RestoreNet, SharedSkipFuse, sample_statistics


class ResidualRestoreNet(RestoreNet):
    def __init__(self, channels: Sequence[int] = (32, 64, 128, 256), depths: Sequence[int] = (1, 2, 3, 4),
                 base_channels: Sequence[int] = (128, 64, 32), dec_channels: Sequence[int] = (48, 32),
                 beyond_head: bool = False, **restoration):
        if restoration.get("stereo") or restoration.get("context_channels") or restoration.get("input_scale", 1) != 1:
            raise ValueError("restore_residual is monocular; its per-image decoder is base_channels")
        if len(base_channels) != 3:
            raise ValueError("base_channels: three decoder stages (strides 8, 4, 2), as mono_unet's")
        super().__init__(channels, depths, dec_channels=dec_channels, **restoration)
        del self.upsampler                                   # bilinear to the input, as mono-small
        self.decoder = Decoder(channels, base_channels)
        self.base_head = DepthHead(base_channels[-1])
        self.coarse2 = SharedSkipFuse(dec_channels[0], base_channels[1], dec_channels[1])
        self.head = DepthHead(dec_channels[1], log_depth_init=0.0)
        with torch.no_grad():
            self.head.body[-1].bias.zero_()                  # no correction until it is learned
        self.beyond = BeyondHead(base_channels[-1], channels[-1]) if beyond_head else None

    def encode(self, image: torch.Tensor, aux_image=None, baseline=None):
        """Per image: (z_enc, cond, the projected stride-4 skip, the base log-depth and log-scale
        (N, 2, h, w) at stride 2, the beyond logit at stride 2 or None)."""
        levels = self.encoder(image)
        stages = self.decoder.stage_outputs(levels)
        base = torch.cat(self.base_head.at_stride(stages[-1]), dim=1)
        beyond = self.beyond(stages[-1], levels[3]) if self.beyond is not None else None
        z_enc, cond = self.latent_and_cond(levels[2], levels[3])
        return z_enc, cond, self.coarse2.from_skip(stages[-2]), base, beyond

    def samples_log(self, image: torch.Tensor, noise: torch.Tensor, schedule: torch.Tensor, aux_image=None,
                    baseline=None):
        """Stride-2 log-depth and log-scale of every sample, (N * K, 1, h, w); no upsampling weights
        (None: `upsample` is bilinear); the full-size beyond logit (or None)."""
        k = noise.shape[0] // image.shape[0]
        z_enc, cond, skip, base, beyond = self.encode(image)
        z = self.loop(repeat_samples(z_enc, k), repeat_samples(cond, k), noise, schedule)
        correction = torch.cat(self.decode(z, repeat_samples(skip, k)), dim=1)
        both = repeat_samples(base, k) + F.interpolate(correction, size=[base.shape[2], base.shape[3]],
                                                       mode="bilinear", align_corners=False)
        if beyond is not None:
            beyond = self.upsample(beyond, None, image)
        return both[:, :1], both[:, 1:].clamp(-6.0, 3.0), None, beyond

    def upsample(self, maps: torch.Tensor, up_weights, image: torch.Tensor) -> torch.Tensor:
        """Bilinear to the input size, as mono-small's head (there are no upsampling weights)."""
        return F.interpolate(maps, size=[image.shape[2], image.shape[3]], mode="bilinear", align_corners=False)
