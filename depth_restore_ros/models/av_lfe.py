"""AV-LFE: auxiliary-view low-level feature enhancement for rectified stereo.

The right view's low-level features (level 0 at stride 2 or level 1 at stride 4, same encoder) are
aligned to the left view by a plane sweep over depth hypotheses and correlated with the left's; the
cost volume, its soft-argmin depth and the left level-1 features give a correction that is added to
the left level-1 features, which the decoder's stride-4 stages and invertible stages then use.
Matching on level 0 halves the disparity step a feature pixel stands for (what far points need);
its volume is average-pooled to the level-1 grid before the fusion. `full_resolution` goes further:
the network's input is twice the encoder's (restore_net `input_scale` 2), and a light extractor of
its own matches both views at stride 2 of that input, i.e. at the encoder's full pixel grid, which
halves the disparity step again; its volume is pooled 4x onto level 1. Without a right view (baseline 0) the
correction is multiplied by 0: the same network is exactly the monocular model.

Geometry, any baseline and focal length: the networks predict depth for a canonical focal length
f_c (see ModelConfig). A canonical depth c is the metric depth z = c * f / f_c, so its disparity in
network pixels is f * B / z = f_c * B / c -- the camera's own focal length cancels, and only the
baseline B (metres, from the right camera_info's P[3] = -fx B) enters the graph. The hypotheses are
fixed canonical depths, log-spaced; their disparities are computed from B at run time.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import conv_bn_act


class PlaneSweep(nn.Module):
    """(left, right) stride-`stride` features, baseline -> (N, planes, h, w) correlation volume."""

    def __init__(self, canonical_focal: float, planes: int = 24, near: float = 0.3, far: float = 80.0,
                 stride: int = 4):
        super().__init__()
        depths = torch.exp(torch.linspace(math.log(near), math.log(far), planes))
        self.register_buffer("log_depths", depths.log(), persistent=False)
        # disparity (feature pixels) of each hypothesis for a 1 m baseline
        self.register_buffer("unit_disparity", canonical_focal / depths / stride, persistent=False)
        self.planes = planes

    def forward(self, left: torch.Tensor, right: torch.Tensor, baseline: torch.Tensor) -> torch.Tensor:
        """Mean over channels of left(x) * right(x - d), the right view bilinearly sampled (0 outside).

        Rectified rows match rows: one matrix product gives the correlation of every left pixel with
        every right pixel of its row, and each hypothesis reads (and interpolates) two entries of it.
        Bilinear sampling is linear, so this equals warping the right features and correlating, without
        the (N, planes, C, h, w) warped volume that makes the warp slow to train on the CPU."""
        n, c, h, w = left.shape
        rows = torch.matmul(left.permute(0, 2, 3, 1), right.permute(0, 2, 1, 3)) / c      # (N, h, x, x')
        disparity = baseline.reshape(n, 1, 1) * self.unit_disparity.reshape(1, 1, self.planes)  # (N, 1, D)
        # a point at left column x is at right column x - d (right camera at +x)
        source = torch.arange(w, dtype=rows.dtype, device=rows.device).reshape(1, w, 1) - disparity  # (N, w, D)
        x0 = torch.floor(source)
        frac = source - x0
        cost = 0
        for column, weight in ((x0, 1.0 - frac), (x0 + 1.0, frac)):
            inside = ((column >= 0) & (column <= w - 1)).to(rows.dtype)
            index = column.clamp(0, w - 1).long().unsqueeze(1).expand(n, h, w, self.planes)
            cost = cost + torch.gather(rows, 3, index) * (weight * inside).unsqueeze(1)
        return cost.permute(0, 3, 1, 2)                                                     # (N, D, h, w)


class AuxiliaryViewEnhancement(nn.Module):
    """Level-1 features of the left view, corrected with what the right view says about depth."""

    def __init__(self, channels: int, canonical_focal: float, planes: int = 24, hidden: int = 32,
                 match_level: int = 1, match_channels: int = 0, full_resolution: bool = False):
        super().__init__()
        if match_level not in (0, 1):
            raise ValueError(f"match_level must be 0 or 1, not {match_level}")
        self.match_level = match_level
        # matching features, shared by both views; full resolution: from the images themselves
        # (canonical_focal is then the full-resolution input's, and the sweep's stride is 2 there)
        if full_resolution:
            self.key = nn.Sequential(conv_bn_act(3, 24, 3, stride=2), conv_bn_act(24, 24, 3),
                                     conv_bn_act(24, hidden, 1))
        else:
            self.key = conv_bn_act(match_channels if match_level == 0 else channels, hidden, 1)
        self.pool = 4 if full_resolution else (2 if match_level == 0 else 1)  # match grid -> level 1
        self.sweep = PlaneSweep(canonical_focal, planes, stride=4 if self.pool == 1 else 2)
        self.sharpness = nn.Parameter(torch.ones(()))     # learned softmax temperature of the matches
        self.fuse = nn.Sequential(conv_bn_act(channels + planes + 1, hidden, 1),
                                  conv_bn_act(hidden, hidden, 3, groups=hidden),
                                  nn.Conv2d(hidden, channels, 1))
        nn.init.zeros_(self.fuse[-1].weight)               # starts as the identity
        nn.init.zeros_(self.fuse[-1].bias)

    def forward(self, left: torch.Tensor, left_match: torch.Tensor, right_match: torch.Tensor,
                baseline: torch.Tensor) -> torch.Tensor:
        """The left level 1, corrected. `left_match` / `right_match`: what the views are matched on,
        level `match_level` of each view, or (full_resolution) the input images themselves."""
        cost = self.sweep(self.key(left_match), self.key(right_match), baseline)                  # (N, D, h, w)
        prob = torch.softmax(cost * self.sharpness, dim=1)
        log_depth = (prob * self.sweep.log_depths.reshape(1, -1, 1, 1)).sum(dim=1, keepdim=True)
        if self.pool > 1:  # to the level-1 grid (ceil division, as the stride-2 convolutions give)
            prob = F.avg_pool2d(prob, self.pool, ceil_mode=True)
            log_depth = F.avg_pool2d(log_depth, self.pool, ceil_mode=True)
        has_aux = (baseline > 0).to(left.dtype).reshape(-1, 1, 1, 1)
        return left + has_aux * self.fuse(torch.cat([left, prob, log_depth], dim=1))
