"""Convolution blocks: the float32 strided depthwise convolution under bfloat16 autocast."""
import torch
from torch import nn

from depth_restore_ros.models.blocks import InvertedResidual, StridedDepthwiseConv, conv_bn_act


def test_only_strided_depthwise_convolutions_get_the_float32_type():
    assert type(conv_bn_act(32, 32, 3, stride=2, groups=32)[0]) is StridedDepthwiseConv
    assert type(conv_bn_act(32, 32, 3, stride=1, groups=32)[0]) is nn.Conv2d   # bf16 is faster here
    assert type(conv_bn_act(16, 32, 3, stride=2)[0]) is nn.Conv2d
    block = InvertedResidual(16, 32, stride=2)
    assert sum(isinstance(m, StridedDepthwiseConv) for m in block.modules()) == 1


def test_strided_depthwise_runs_float32_under_autocast_and_matches_a_plain_convolution():
    torch.manual_seed(0)
    conv = StridedDepthwiseConv(8, 8, 3, 2, 1, groups=8, bias=False)
    plain = nn.Conv2d(8, 8, 3, 2, 1, groups=8, bias=False)
    plain.load_state_dict(conv.state_dict())            # same parameters, same checkpoint keys
    x = torch.randn(2, 8, 16, 20)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = conv(x.bfloat16())                          # what the previous bf16 layer hands it
        y_plain = plain(x)
    assert y.dtype == torch.float32 and y_plain.dtype == torch.bfloat16
    torch.testing.assert_close(y, plain(x.bfloat16().float()), rtol=0, atol=0)
    torch.testing.assert_close(conv(x), plain(x), rtol=0, atol=0)   # no autocast: a plain conv


def test_gradients_flow_through_the_float32_path():
    conv = StridedDepthwiseConv(4, 4, 3, 2, 1, groups=4, bias=False)
    x = torch.randn(1, 4, 8, 8, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        conv(x).sum().backward()
    assert x.grad is not None and conv.weight.grad is not None and conv.weight.grad.abs().sum() > 0
