"""Invertible decoder stages: exact inverse, and the stated bi-Lipschitz bounds hold on random pairs."""
import pytest
import torch

from depth_restore_ros.models.invertible import (CouplingBlock, InvertibleStage, L1DepthwiseConv3x3,
                                                  SpectralConv1x1, freeze_lipschitz_weights)


def scrambled(module, seed=0, scale=3.0):
    """Large random weights: the normalisations, not a gentle init, must keep the bound."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * scale)
    return module


def test_sub_layers_are_one_lipschitz():
    torch.manual_seed(0)
    for layer in (scrambled(SpectralConv1x1(6, 10)), scrambled(L1DepthwiseConv3x3(6))):
        x, y = torch.randn(64, 6, 9, 9), torch.randn(64, 6, 9, 9)
        if isinstance(layer, SpectralConv1x1):
            layer.bias.data.zero_()
        out = layer(x) - layer(y)
        ratio = out.flatten(1).norm(dim=1) / (x - y).flatten(1).norm(dim=1)
        assert ratio.max() <= 1.0 + 1e-5


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stage_inverse_reconstructs_its_input(seed):
    stage = scrambled(InvertibleStage(8, blocks=3, hidden=12, scale_bound=0.7), seed).double()
    x = torch.randn(4, 8, 10, 12, dtype=torch.float64) * 3
    assert torch.allclose(stage.inverse(stage(x)), torch.tanh(x), atol=1e-9)


def lipschitz_ratios(f, x, y):
    num = (f(x) - f(y)).flatten(1).norm(dim=1)
    return num / (x - y).flatten(1).norm(dim=1)


@pytest.mark.parametrize("seed", [0, 1])
def test_block_ratios_stay_inside_the_stated_bounds(seed):
    block = scrambled(CouplingBlock(8, hidden=12, scale_bound=0.7), seed).double()
    upper, lower_inv = block.lipschitz_bounds(m_in=1.0)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand(256, 8, 6, 6, generator=gen, dtype=torch.float64) * 2 - 1            # |x2| <= 1
    for eps in (1.0, 1e-2, 1e-4):                                                    # far and near pairs
        y = (x + eps * torch.randn(x.shape, generator=gen, dtype=torch.float64)).clamp(-1, 1)
        forward = lipschitz_ratios(block, x, y)
        inverse = lipschitz_ratios(block.inverse, block(x), block(y))
        assert forward.max() <= upper and inverse.max() <= lower_inv
        assert forward.min() >= 1.0 / lower_inv  # bi-Lipschitz: no two inputs collapse
    assert 1.0 < upper < 20.0 and 1.0 < lower_inv < 50.0  # a bound that says something


def test_stage_ratios_stay_inside_the_product_bounds():
    stage = scrambled(InvertibleStage(8, blocks=2, hidden=12, scale_bound=0.5), 3).double()
    upper, inverse_bound = stage.lipschitz_bounds()
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(256, 8, 6, 6, generator=gen, dtype=torch.float64) * 2
    y = x + 0.05 * torch.randn(x.shape, generator=gen, dtype=torch.float64)
    tx, ty = torch.tanh(x), torch.tanh(y)
    blocks = lambda t: stage(torch.atanh(t.clamp(-1 + 1e-12, 1 - 1e-12)))  # noqa: E731 - the blocks alone
    assert lipschitz_ratios(blocks, tx, ty).max() <= upper
    assert lipschitz_ratios(stage.inverse, stage(x), stage(y)).max() <= inverse_bound


def test_frozen_weights_give_the_same_map_and_export_to_onnx(tmp_path):
    onnx = pytest.importorskip("onnx")
    stage = scrambled(InvertibleStage(8, blocks=2, hidden=12), 4).eval()
    x = torch.randn(2, 8, 10, 12)
    before = stage(x)
    freeze_lipschitz_weights(stage)
    assert torch.allclose(stage(x), before, atol=1e-6)
    path = tmp_path / "stage.onnx"
    torch.onnx.export(stage, (x,), str(path), opset_version=17, dynamo=False)
    onnx.checker.check_model(onnx.load(str(path)))
