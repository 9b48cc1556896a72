"""Invertible two-stream coupling blocks with a bi-Lipschitz bound that holds by construction.

IID-RDepth decodes restored features through invertible fine stages so that a small change of the
restored features (a diffusion step that drifts) can only move the output by a bounded amount, and
no two different features collapse onto one output. One block, on channels split as (x1, x2):

    x2' = x2 * G(x1) + H(x1),   G = exp(c * tanh(g(x1))) in [e^-c, e^c],   H = tanh(h(x1)) in [-1, 1]
    x1' = x1 + F(x2')

g, h and F are 1-Lipschitz by construction: 1x1 convolutions divided by their exact spectral norm
(when it exceeds 1), a depthwise 3x3 convolution whose kernels are divided by their l1 norm (when it
exceeds 1: a convolution's l2 operator norm is at most its kernel's l1 norm), ReLU and tanh.
The product x2 * G(x1) is Lipschitz only where x2 is bounded, so the bound is stated on the domain
|x2| <= M (sup norm). With a = e^c (the chain rule on the two half-steps, Cauchy-Schwarz to combine):

    forward  ||f(x) - f(y)|| <= sqrt((1 + k)^2 + k^2) ||x - y||,   k  = sqrt(a^2 + (M c a + 1)^2)
    inverse  ||x - y|| <= sqrt(2 + k'^2) ||f(x) - f(y)||,          k' = sqrt((a + M' c a)^2 + (2a + M' c a)^2)

where M' = a M bounds x2' - H(x1) = x2 * G(x1). A stage squashes its input with tanh (M = 1) and
chains blocks on the same streams, so the next block's domain is M <- a M + 1 (|H| <= 1): the
stage's bounds are the products of its blocks' (`InvertibleStage.lipschitz_bounds`; tests check
random pairs against them and the inverse against the input).
"""
import math
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn


class SpectralConv1x1(nn.Module):
    """1x1 convolution with weight / max(1, sigma_max(weight)): exactly 1-Lipschitz or less."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_ch, in_ch))
        nn.init.orthogonal_(self.weight)
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.frozen = None  # a plain tensor after freeze(): what ONNX export sees (it has no SVD)

    def normalised_weight(self) -> torch.Tensor:
        if self.frozen is not None:
            return self.frozen
        with torch.no_grad():  # the bound needs the exact norm, not its gradient (SVD's is unstable)
            sigma = torch.linalg.matrix_norm(self.weight, ord=2)
        return self.weight / torch.clamp(sigma, min=1.0)

    def forward(self, x):
        w = self.normalised_weight()
        return F.conv2d(x, w[:, :, None, None], self.bias)

    def freeze(self):
        self.frozen = self.normalised_weight().detach().clone()


class L1DepthwiseConv3x3(nn.Module):
    """Depthwise 3x3 convolution, each kernel divided by max(1, its l1 norm): 1-Lipschitz in l2."""

    def __init__(self, ch: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(ch, 1, 3, 3) / 9.0)
        self.frozen = None

    def normalised_weight(self) -> torch.Tensor:
        if self.frozen is not None:
            return self.frozen
        l1 = self.weight.abs().sum(dim=(1, 2, 3), keepdim=True)
        return self.weight / torch.clamp(l1, min=1.0)

    def forward(self, x):
        return F.conv2d(x, self.normalised_weight(), padding=1, groups=x.shape[1])

    def freeze(self):
        self.frozen = self.normalised_weight().detach().clone()


def lipschitz_subnet(in_ch: int, out_ch: int, hidden: int) -> nn.Sequential:
    """1x1 -> ReLU -> depthwise 3x3 -> ReLU -> 1x1: a 1-Lipschitz map with a 3x3 receptive field."""
    return nn.Sequential(SpectralConv1x1(in_ch, hidden), nn.ReLU(), L1DepthwiseConv3x3(hidden), nn.ReLU(),
                         SpectralConv1x1(hidden, out_ch))


class CouplingBlock(nn.Module):
    """One invertible block on 2C channels (C per stream); scale bounded by e^+-`scale_bound`."""

    def __init__(self, channels: int, hidden: int = 32, scale_bound: float = 0.5):
        super().__init__()
        if channels % 2:
            raise ValueError(f"a coupling block needs an even channel count, not {channels}")
        half = channels // 2
        self.c = float(scale_bound)
        self.g = lipschitz_subnet(half, half, hidden)
        self.h = lipschitz_subnet(half, half, hidden)
        self.f = lipschitz_subnet(half, half, hidden)
        # start near the identity map (scale ~1, shift ~0): the block learns a departure from it
        for net in (self.g, self.h, self.f):
            with torch.no_grad():
                net[-1].weight.mul_(0.01)

    def scale(self, x1):
        return torch.exp(self.c * torch.tanh(self.g(x1)))

    def shift(self, x1):
        return torch.tanh(self.h(x1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x.chunk(2, dim=1)
        y2 = x2 * self.scale(x1) + self.shift(x1)
        y1 = x1 + self.f(y2)
        return torch.cat([y1, y2], dim=1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        y1, y2 = y.chunk(2, dim=1)
        x1 = y1 - self.f(y2)
        x2 = (y2 - self.shift(x1)) / self.scale(x1)
        return torch.cat([x1, x2], dim=1)

    def lipschitz_bounds(self, m_in: float = 1.0) -> Tuple[float, float]:
        """(forward, inverse) bi-Lipschitz constants on inputs with |x2| <= m_in (module docstring)."""
        a, c = math.exp(self.c), self.c
        k = math.hypot(a, m_in * c * a + 1.0)
        m_shifted = a * m_in
        k_inv = math.hypot(a + m_shifted * c * a, 2.0 * a + m_shifted * c * a)
        return math.hypot(1.0 + k, k), math.sqrt(2.0 + k_inv ** 2)

    def output_bound(self, m_in: float) -> float:
        """Sup norm of x2' for |x2| <= m_in: the next block's domain."""
        return math.exp(self.c) * m_in + 1.0


class InvertibleStage(nn.Module):
    """tanh (bounds the domain), then coupling blocks on the same two streams (both transformed in
    every block: x2 by scale and shift, x1 by the additive half-step)."""

    def __init__(self, channels: int, blocks: int = 2, hidden: int = 32, scale_bound: float = 0.5):
        super().__init__()
        self.blocks = nn.ModuleList(CouplingBlock(channels, hidden, scale_bound) for _ in range(blocks))

    def forward(self, x):
        x = torch.tanh(x)
        for block in self.blocks:
            x = block(x)
        return x

    def inverse(self, y):
        """Inverse of the blocks: returns tanh(x) (the squash itself is not part of the bound)."""
        for block in reversed(self.blocks):
            y = block.inverse(y)
        return y

    def lipschitz_bounds(self) -> Tuple[float, float]:
        """(forward, inverse) constants of the blocks on tanh-squashed input: products over blocks."""
        forward, inverse, m = 1.0, 1.0, 1.0
        for block in self.blocks:
            f, i = block.lipschitz_bounds(m)
            forward, inverse, m = forward * f, inverse * i, block.output_bound(m)
        return forward, inverse


def freeze_lipschitz_weights(model: nn.Module) -> nn.Module:
    """Replace computed (SVD / l1) normalisations with fixed tensors: for export and fast inference."""
    for module in model.modules():
        if isinstance(module, (SpectralConv1x1, L1DepthwiseConv3x3)):
            module.freeze()
    return model
