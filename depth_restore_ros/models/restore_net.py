"""`restore_net`: IID-RDepth's restoration network behind `mono-restore`.

    image -> encoder (levels 0-3, as mono_unet)
          -> mutual conditional maps: levels 2 and 3 on one grid, concatenated (on the stride-16
             grid level 2 is folded 2x2 into channels, not blurred: its detail is kept)
          -> z_enc (the degraded latent) and cond (what the denoiser conditions on)
          -> K restorations: z_enc noised and denoised by a few DDIM steps, one per noise sample
          -> decoder per sample: two conventional stages (latent grid, then stride 4 with a skip)
             and two invertible stages (stride 4), a log-depth head at stride 4; the skip is level 1,
             or (`context_channels`) mono_unet's decoder stages over levels 3 -> 2 -> 1, run once per
             image: the samples then restore what the un-restored features miss, and the model starts
             from what mono-small learns
          -> depth = mean of the K samples, uncertainty (metres) from their spread (see `forward`),
             both brought to full resolution by a convex 4x upsampling whose weights come from
             the image's level-0 features (edges stay sharp; RAFT's upsampler, guided per image)

A stereo model with `input_scale` 2 takes its input at twice the encoder's resolution: the encoder
sees it 2x2-averaged (the monocular model's view), AV-LFE matches the two views at full resolution,
and the outputs are interpolated (log-space) back to the input's size.

Everything that does not depend on the noise runs once per image: the encoder, the mutual maps, the
skip and its projection and the upsampling weights; only the small latent loop and the thin stride-4
decoder see K rows. That is what keeps 8 samples within 2x the cost of one (measured by
`depth-restore bench samples`).
"""
from typing import Dict, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..inference.diffusion_schedule import ddim_schedule
from .blocks import SeparableConv, conv_bn_act
from .diffusion import Denoiser, RestorationLoop, repeat_samples
from .av_lfe import AuxiliaryViewEnhancement
from .invertible import InvertibleStage, freeze_lipschitz_weights
from .mono_unet import BeyondHead, Decoder, DepthHead, Encoder, to_metres


def sample_statistics(log_depth: torch.Tensor, log_scale: torch.Tensor, images: int):
    """(N * K, 1, h, w) log-depth and log-scale of K samples per image -> (depth, sigma, spread) in
    metres, each (N, 1, h, w): the samples' mean, the mixture's std and the samples' std."""
    depth_k, sigma_k = to_metres(log_depth, log_scale)
    depth_k = depth_k.reshape(images, -1, depth_k.shape[2], depth_k.shape[3])
    sigma_k = sigma_k.reshape(depth_k.shape)
    depth = depth_k.mean(dim=1, keepdim=True)
    spread = torch.sqrt(((depth_k - depth) ** 2).mean(dim=1, keepdim=True))
    sigma = torch.sqrt((sigma_k ** 2).mean(dim=1, keepdim=True) + spread ** 2)
    return depth, sigma, spread


class SharedSkipFuse(nn.Module):
    """Upsample x to the skip's grid and add two 1x1 projections (= a 1x1 conv of their concat),
    then depthwise 3x3 and pointwise. The skip's projection is computed once per image."""

    def __init__(self, in_ch: int, skip_ch: int, out_ch: int):
        super().__init__()
        self.from_x = nn.Conv2d(in_ch, out_ch, 1, bias=False)
        self.from_skip = nn.Sequential(nn.Conv2d(skip_ch, out_ch, 1, bias=False), nn.BatchNorm2d(out_ch))
        self.body = nn.Sequential(nn.ReLU6(), conv_bn_act(out_ch, out_ch, 3, groups=out_ch),
                                  conv_bn_act(out_ch, out_ch, 1))

    def forward(self, x: torch.Tensor, skip_projected: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(x, size=skip_projected.shape[2:], mode="bilinear", align_corners=False)
        return self.body(self.from_x(up) + skip_projected)


class ConvexUpsampler(nn.Module):
    """4x upsampling of stride-4 maps: each output pixel is a convex combination of the 3x3 coarse
    neighbours around it, with weights predicted from the image's level-0 and level-1 features."""

    def __init__(self, ch0: int, ch1: int, hidden: int):
        super().__init__()
        self.from0 = nn.Sequential(nn.PixelUnshuffle(2), conv_bn_act(4 * ch0, hidden * 2, 1))
        self.from1 = conv_bn_act(ch1, hidden * 2, 1)
        self.mask = nn.Sequential(conv_bn_act(hidden * 2, hidden * 2, 3, groups=hidden * 2),
                                  nn.Conv2d(hidden * 2, 9 * 16, 1))

    def weights(self, f0: torch.Tensor, f1: torch.Tensor) -> torch.Tensor:
        """(N, 9, 16, h, w): softmax over the 9 neighbours for each of the 4x4 sub-pixels."""
        f0 = F.pad(f0, [0, f0.shape[3] % 2, 0, f0.shape[2] % 2], mode="replicate")
        x = self.from1(f1) + self.from0(f0)[:, :, :f1.shape[2], :f1.shape[3]]
        m = self.mask(x)
        return torch.softmax(m.reshape(m.shape[0], 9, 16, m.shape[2], m.shape[3]), dim=1)

    def forward(self, maps: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """maps (N, C, h, w) -> (N, C, 4h, 4w); weights from `weights()` of the same image(s).
        Network inputs are multiples of 16 pixels (ModelConfig.size_multiple), so 4h is the input height."""
        n, c, h, w = maps.shape
        padded = F.pad(maps, [1, 1, 1, 1], mode="replicate")
        neighbours = torch.stack([padded[:, :, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)],
                                 dim=2)                                          # (N, C, 9, h, w)
        mixed = (neighbours.unsqueeze(3) * weights.unsqueeze(1)).sum(dim=2)       # (N, C, 16, h, w)
        return F.pixel_shuffle(mixed.reshape(n, c * 16, h, w), 4)                # (N, C, 4h, 4w)


def fine_stage(ch: int, invertible: bool, blocks: int, hidden: int) -> nn.Module:
    """An invertible stage, or (for the ablation) a conventional one of the same width."""
    if invertible:
        return InvertibleStage(ch, blocks=blocks, hidden=hidden)
    return nn.Sequential(*[SeparableConv(ch, ch) for _ in range(blocks)])


class RestoreNet(nn.Module):
    def __init__(self, channels: Sequence[int] = (32, 64, 128, 256), depths: Sequence[int] = (1, 2, 3, 4),
                 latent: int = 48, latent_stride: int = 16, denoiser_width: int = 48,
                 dec_channels: Sequence[int] = (48, 24), fine_channels: int = 16, invertible: bool = True,
                 invertible_blocks: int = 1, invertible_hidden: int = 8, diffusion_steps: int = 4,
                 diffusion_strength: float = 0.5, train_samples: int = 2, stereo: bool = False,
                 canonical_focal: float = 200.0, sweep_planes: int = 24, match_level: int = 1,
                 context_channels: Sequence[int] = (), input_scale: int = 1, beyond_head: bool = False):
        super().__init__()
        if latent_stride not in (8, 16):
            raise ValueError(f"latent_stride must be 8 or 16, not {latent_stride}")
        if input_scale not in (1, 2) or (input_scale == 2 and not stereo):
            raise ValueError("input_scale must be 1, or 2 for a stereo model (full-resolution matching)")
        # 2: the network's input is twice the encoder's: the encoder sees it 2x2-averaged, AV-LFE
        # matches the views at full resolution, and the outputs are brought back to the input size
        self.input_scale = int(input_scale)
        self.latent, self.latent_stride = int(latent), int(latent_stride)
        self.diffusion_steps, self.diffusion_strength = int(diffusion_steps), float(diffusion_strength)
        self.train_samples = int(train_samples)
        self.stereo = bool(stereo)
        self.encoder = Encoder(channels, depths)
        if self.stereo:  # AV-LFE: the right view corrects the left's level-1 features
            self.aux = AuxiliaryViewEnhancement(channels[1], canonical_focal, sweep_planes,
                                                match_level=match_level, match_channels=channels[0],
                                                full_resolution=self.input_scale == 2)
        mutual = channels[2] * (4 if latent_stride == 16 else 1) + channels[3]
        self.to_latent = nn.Sequential(nn.Conv2d(mutual, latent, 1, bias=False), nn.BatchNorm2d(latent))
        self.to_cond = conv_bn_act(mutual, latent, 1)
        self.loop = RestorationLoop(Denoiser(latent, latent, denoiser_width))
        # per image, optional: a mono_unet decoder over levels 3 -> 2 -> 1 to stride 4, the skip the
        # restored samples are decoded against (without it the skip is level 1 alone)
        self.context = Decoder(channels[1:], context_channels) if context_channels else None
        skip_ch = context_channels[-1] if context_channels else channels[1]
        self.coarse1 = SeparableConv(latent, dec_channels[0])
        self.coarse2 = SharedSkipFuse(dec_channels[0], skip_ch, dec_channels[1])
        self.fine1 = fine_stage(dec_channels[1], invertible, invertible_blocks, invertible_hidden)
        self.fine2 = fine_stage(dec_channels[1], invertible, invertible_blocks, invertible_hidden)
        self.head = DepthHead(dec_channels[1])
        self.upsampler = ConvexUpsampler(channels[0], channels[1], fine_channels)
        # per image, optional: the logit of "nothing within range" (sky) at stride 4, from the skip and level 3
        self.beyond = BeyondHead(skip_ch, channels[3], fine_channels) if beyond_head else None

    # -- the pieces ----------------------------------------------------------------------------
    def encode(self, image: torch.Tensor, aux_image=None, baseline=None):
        """Per image: (z_enc, cond, the projected stride-4 skip, upsampling weights, beyond logit or None)."""
        full = image
        if self.input_scale == 2:
            image = F.avg_pool2d(full, 2)
        f0, f1, f2, f3 = self.encoder(image)
        if self.stereo and aux_image is not None:
            if self.input_scale == 2:   # matched at full resolution, on the images themselves
                f1 = self.aux(f1, full, aux_image, baseline)
            else:
                level = self.aux.match_level
                f1 = self.aux(f1, (f0, f1)[level], self.encoder.level(aux_image, level), baseline)
        skip = self.context([f1, f2, f3]) if self.context is not None else f1
        beyond = self.beyond(skip, f3) if self.beyond is not None else None
        z_enc, cond = self.latent_and_cond(f2, f3)
        return z_enc, cond, self.coarse2.from_skip(skip), self.upsampler.weights(f0, f1), beyond

    def latent_and_cond(self, f2: torch.Tensor, f3: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """The mutual conditional maps of levels 2 and 3, projected to z_enc and to cond."""
        if self.latent_stride == 8:
            f3 = F.interpolate(f3, size=[f2.shape[2], f2.shape[3]], mode="bilinear", align_corners=False)
        else:  # fold 2x2 blocks of level 2 into channels (odd sizes: pad to even first)
            f2 = F.pixel_unshuffle(F.pad(f2, [0, f2.shape[3] % 2, 0, f2.shape[2] % 2], mode="replicate"), 2)
        mutual = torch.cat([f2, f3], dim=1)
        return self.to_latent(mutual), self.to_cond(mutual)

    def decode(self, z: torch.Tensor, skip1: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Log-depth and log-scale at stride 4."""
        return self.head.at_stride(self.fine2(self.fine1(self.coarse2(self.coarse1(z), skip1))))

    def samples_log(self, image: torch.Tensor, noise: torch.Tensor, schedule: torch.Tensor, aux_image=None,
                    baseline=None):
        """Stride-4 log-depth and log-scale of every sample, (N * K, 1, h, w), K = noise rows per
        image; the image's upsampling weights; its full-size beyond logit (or None)."""
        k = noise.shape[0] // image.shape[0]
        z_enc, cond, skip1, up_weights, beyond = self.encode(image, aux_image, baseline)
        z = self.loop(repeat_samples(z_enc, k), repeat_samples(cond, k), noise, schedule)
        log_depth, log_scale = self.decode(z, repeat_samples(skip1, k))
        if beyond is not None:
            beyond = self.upsample(beyond, up_weights, image)
        return log_depth, log_scale, up_weights, beyond

    def latent_shape(self, height: int, width: int) -> Tuple[int, int, int]:
        """(C, h, w) of the noise one sample needs, for a network input of height x width."""
        h, w = height // self.input_scale, width // self.input_scale
        for _ in range(4 if self.latent_stride == 16 else 3):   # the encoder's stride-2 convs
            h, w = (h + 1) // 2, (w + 1) // 2
        return self.latent, h, w

    # -- training and inference ----------------------------------------------------------------
    def forward_log(self, image: torch.Tensor, samples: int = 0, aux_image=None,
                    baseline=None) -> Tuple[torch.Tensor, ...]:
        """Training: (N, K, H, W) log-depth and log-scale, K = train_samples unless given (and the
        (N, 1, H, W) beyond logit)."""
        k = samples or self.train_samples
        log_depth, log_scale, up_weights, beyond = self.samples_log(image, *self.training_noise(image, k),
                                                                    aux_image, baseline)
        n, h, w = image.shape[0], log_depth.shape[2], log_depth.shape[3]
        both = torch.cat([log_depth, log_scale], dim=1).reshape(n, 2 * k, h, w)   # image-major rows
        full = self.upsample(both, up_weights, image).reshape(n, k, 2, *image.shape[2:])
        return (full[:, :, 0], full[:, :, 1]) + ((beyond,) if beyond is not None else ())

    def training_noise(self, image: torch.Tensor, samples: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Fresh noise for `samples` restorations of each image, and the recipe's DDIM schedule."""
        c, h, w = self.latent_shape(*image.shape[2:])
        noise = torch.randn(image.shape[0] * samples, c, h, w, device=image.device)
        schedule = torch.from_numpy(ddim_schedule(self.diffusion_steps, self.diffusion_strength))
        return noise, schedule.to(image.device)

    def upsample(self, maps: torch.Tensor, up_weights: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """The decoder's maps to the input size: the image's convex upsampling, then `to_input_size`."""
        return self.to_input_size(self.upsampler(maps, up_weights), image)

    def to_input_size(self, maps: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """The upsampler's output is the encoder's size; input_scale 2 doubles it (log-space maps)."""
        if self.input_scale == 1:
            return maps
        return F.interpolate(maps, size=[image.shape[2], image.shape[3]], mode="bilinear", align_corners=False)

    def forward(self, image: torch.Tensor, noise: torch.Tensor, schedule: torch.Tensor, aux_image=None,
                baseline=None):
        """(depth, sigma, spread), each (N, 1, H, W) metres at the canonical focal length, and with
        a beyond head its (N, 1, H, W) logit. Stereo models also take the right view and the baseline
        (metres; 0 = no right view).

        depth: mean of the K samples. spread: their standard deviation (0 when K = 1).
        sigma: the std of the whole predictive mixture, sqrt(mean aleatoric variance + spread^2)
        (law of total variance): with K = 1 it is the aleatoric head alone.
        """
        log_depth, log_scale, up_weights, beyond = self.samples_log(image, noise, schedule, aux_image, baseline)
        depth, sigma, spread = sample_statistics(log_depth, log_scale, image.shape[0])
        # log-space upsampling keeps ratios (a convex mix of depths at an edge stays between them)
        full = torch.exp(self.upsample(torch.log(torch.cat([depth, sigma, spread + 1e-6], dim=1)), up_weights, image))
        maps = (full[:, :1], full[:, 1:2], full[:, 2:])
        return maps if beyond is None else maps + (beyond,)

    # -- export --------------------------------------------------------------------------------
    def example_inputs(self, height: int, width: int, samples: int = 2) -> Dict[str, torch.Tensor]:
        c, h, w = self.latent_shape(height, width)
        inputs = {"image": torch.randn(1, 3, height, width), "noise": torch.randn(samples, c, h, w),
                  "schedule": torch.from_numpy(ddim_schedule(self.diffusion_steps, self.diffusion_strength))}
        if self.stereo:
            inputs.update(aux_image=torch.randn(1, 3, height, width), baseline=torch.full((1,), 0.12))
        return inputs

    def dynamic_axes(self) -> Dict[str, Dict[int, str]]:
        image = {0: "batch", 2: "height", 3: "width"}
        return {"image": image, "noise": {0: "samples", 2: "latent_height", 3: "latent_width"},
                "schedule": {0: "steps"}, "aux_image": image, "baseline": {0: "batch"},
                "depth": image, "sigma": image, "spread": image, "beyond": image}

    def prepare_export(self) -> "RestoreNet":
        """Fixed Lipschitz normalisations and a TorchScript loop (exported as an ONNX Loop)."""
        freeze_lipschitz_weights(self)
        if not isinstance(self.loop, torch.jit.ScriptModule):
            self.loop = torch.jit.script(self.loop)
        return self
