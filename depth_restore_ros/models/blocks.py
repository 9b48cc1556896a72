"""Convolution blocks shared by the networks: cheap on a CPU, exportable to ONNX as they are."""
import torch
from torch import nn


class StridedDepthwiseConv(nn.Conv2d):
    """A strided depthwise convolution that stays float32 under CPU bfloat16 autocast.

    oneDNN's bfloat16 kernels for strided depthwise convolutions (the backward above all) are 5-20x
    slower than its float32 ones on this kind of CPU (`depth-restore bench train-step`); the other
    convolutions gain from bfloat16. Same parameters as nn.Conv2d, so checkpoints do not change."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.device.type == "cpu" and torch.is_autocast_enabled("cpu"):
            with torch.autocast("cpu", enabled=False):
                return super().forward(x.float())
        return super().forward(x)


def conv_bn_act(in_ch: int, out_ch: int, kernel: int = 3, stride: int = 1, groups: int = 1,
                act: bool = True) -> nn.Sequential:
    conv_type = StridedDepthwiseConv if groups == in_ch == out_ch and groups > 1 and stride > 1 else nn.Conv2d
    layers = [conv_type(in_ch, out_ch, kernel, stride, kernel // 2, groups=groups, bias=False),
              nn.BatchNorm2d(out_ch)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MobileNetV2 block: expand, depthwise 3x3, project; residual when the shape is kept.

    Depthwise convolutions keep the multiply count low enough for a 2-core CPU at 320 px.
    """

    def __init__(self, in_ch: int, out_ch: int, stride: int = 1, expand: int = 4):
        super().__init__()
        hidden = in_ch * expand
        self.use_residual = stride == 1 and in_ch == out_ch
        self.body = nn.Sequential(
            conv_bn_act(in_ch, hidden, 1),
            conv_bn_act(hidden, hidden, 3, stride, groups=hidden),
            conv_bn_act(hidden, out_ch, 1, act=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.body(x)
        return x + y if self.use_residual else y


class SeparableConv(nn.Module):
    """Depthwise 3x3 then pointwise: the decoder's fusion conv at high resolution."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.body = nn.Sequential(conv_bn_act(in_ch, in_ch, 3, groups=in_ch), conv_bn_act(in_ch, out_ch, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class PyramidPooling(nn.Module):
    """Global context at the coarsest level: a room's scale is a whole-image cue."""

    def __init__(self, ch: int):
        super().__init__()
        self.reduce = conv_bn_act(ch, ch // 2, 1)
        self.fuse = conv_bn_act(ch + ch // 2, ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = self.reduce(x.mean(dim=(2, 3), keepdim=True)).expand(-1, -1, x.shape[2], x.shape[3])
        return self.fuse(torch.cat([x, pooled], dim=1))
