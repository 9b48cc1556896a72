"""InvT-IndDiffusion: restore the encoder's deep latent with a few conditional DDIM steps.

The denoiser sees the noisy latent, the conditioning (the mutual conditional maps) and the timestep,
and predicts the clean latent directly (x0-prediction: with 1-8 steps an epsilon network's errors
are amplified by 1 / sqrt(alpha_bar) at the noisy end). Training is indirect: the loop is unrolled
with gradients and only the depth decoded from its result is supervised (DepthGen's step-unrolled
training, taken to all steps, which is affordable because the latent is small).

`RestorationLoop` is TorchScript so that its loop over the schedule's rows exports as an ONNX Loop:
the exported graph runs any number of steps (the schedule is an input, see
inference/diffusion_schedule.py) and any number of samples (the noise batch).
"""
import math
from typing import List

import torch
import torch.nn.functional as F
from torch import nn


class FiLMBlock(nn.Module):
    """Depthwise-separable residual block whose activations are scaled and shifted by the timestep
    embedding (no normalisation layer: it costs more than the block on a CPU, and the latent's
    scale is fixed by the noise schedule)."""

    def __init__(self, ch: int, emb: int):
        super().__init__()
        self.dw = nn.Conv2d(ch, ch, 3, padding=1, groups=ch)
        self.film = nn.Linear(emb, 2 * ch)
        self.pw = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.pw.weight)
        nn.init.zeros_(self.pw.bias)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        scale, shift = self.film(emb).chunk(2, dim=1)
        h = self.dw(x) * (1 + scale[:, :, None, None]) + shift[:, :, None, None]
        return x + self.pw(F.silu(h))


class Denoiser(nn.Module):
    """A two-level UNet on the latent grid: full size, then half size for context, then back."""

    def __init__(self, latent: int, cond: int, width: int = 48, emb: int = 32):
        super().__init__()
        self.emb_dim = emb
        self.time = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.from_z = nn.Conv2d(latent, width, 1)
        self.from_cond = nn.Conv2d(cond, width, 1, bias=False)  # applied once, outside the loop
        self.hi1 = FiLMBlock(width, emb)
        self.down = nn.Conv2d(width, width, 3, stride=2, padding=1, groups=width)
        self.lo = FiLMBlock(width, emb)
        self.hi2 = FiLMBlock(width, emb)
        self.out = nn.Conv2d(width, latent, 1)

    def embed(self, t: torch.Tensor, batch: int) -> torch.Tensor:
        """Sinusoidal embedding of t in [0, 1] (as fraction of the training timesteps)."""
        half = self.emb_dim // 2
        freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=t.device) * (-math.log(1000.0) / half))
        angles = t.reshape(1, 1) * 1000.0 * freqs.reshape(1, half)
        emb = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
        return self.time(emb).expand(batch, self.emb_dim)

    def forward(self, z: torch.Tensor, cond_projected: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """`cond_projected` = from_cond(cond): the same at every step, so the loop computes it once."""
        emb = self.embed(t, z.shape[0])
        h = self.hi1(self.from_z(z) + cond_projected, emb)
        low = self.lo(self.down(h), emb)
        h = h + F.interpolate(low, size=[h.shape[2], h.shape[3]], mode="bilinear", align_corners=False)
        return z + self.out(self.hi2(h, emb))  # x0 = z_t + a learned correction


class RestorationLoop(nn.Module):
    """z_start = sqrt(ab) z_enc + sqrt(1 - ab) noise, then one DDIM step (eta = 0) per schedule row."""

    def __init__(self, denoiser: Denoiser):
        super().__init__()
        self.denoiser = denoiser

    def forward(self, z_enc: torch.Tensor, cond: torch.Tensor, noise: torch.Tensor,
                schedule: torch.Tensor) -> torch.Tensor:
        ab0 = schedule[0, 1]
        z = torch.sqrt(ab0) * z_enc + torch.sqrt(1.0 - ab0) * noise
        cond_projected = self.denoiser.from_cond(cond)
        for i in range(schedule.shape[0]):
            row = schedule[i]
            x0 = self.denoiser(z, cond_projected, row[0])
            eps = (z - torch.sqrt(row[1]) * x0) / torch.sqrt(torch.clamp(1.0 - row[1], min=1e-6))
            z = torch.sqrt(row[2]) * x0 + torch.sqrt(torch.clamp(1.0 - row[2], min=0.0)) * eps
        return z


def repeat_samples(x: torch.Tensor, samples: int) -> torch.Tensor:
    """(N, ...) -> (N * samples, ...), image-major: the samples of image n are rows n*K .. n*K+K-1."""
    shape: List[int] = [x.shape[0], samples] + list(x.shape[1:])
    return x.unsqueeze(1).expand(shape).reshape([x.shape[0] * samples] + list(x.shape[1:]))
