"""ONNX export: valid graph, dynamic shapes, numerical parity with torch."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from depth_restore_ros.inference.config import ModelConfig
from depth_restore_ros.models import build_model
from depth_restore_ros.models.export import OPSET, onnx_parity, relative_difference, write_model_folder

SMALL = dict(channels=(16, 24, 32, 48), depths=(1, 1, 1, 1), dec_channels=(32, 24, 16))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model("mono_unet", **SMALL)
    with torch.no_grad():  # the head starts at zero; make the outputs depend on the input
        for p in model.head.parameters():
            p.normal_(0, 0.1)
    config = ModelConfig(name="t", arch="mono_unet", arch_args=SMALL)
    return model, write_model_folder(model, config, tmp_path_factory.mktemp("model"))


def test_graph_is_valid_with_fixed_names_and_opset(exported):
    _, folder = exported
    graph = onnx.load(str(folder / "model.onnx"))
    onnx.checker.check_model(graph)
    assert graph.opset_import[0].version >= 17 == OPSET
    assert [i.name for i in graph.graph.input] == ["image"]
    assert [o.name for o in graph.graph.output] == ["depth", "sigma"]


def test_dynamic_batch_and_size(exported):
    _, folder = exported
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    for shape in [(1, 3, 96, 128), (4, 3, 144, 256)]:
        depth, sigma = session.run(None, {"image": np.zeros(shape, np.float32)})
        assert depth.shape == sigma.shape == (shape[0], 1, *shape[2:])


def test_parity_with_torch(exported):
    model, folder = exported
    assert onnx_parity(model, folder / "model.onnx", sample_hw=(96, 160)) < 1e-3


@pytest.mark.parametrize("logit, finite", [(-10.0, 1.0), (10.0, 0.0)])
def test_beyond_head_is_an_output_of_its_own_that_the_estimator_masks_with(tmp_path, logit, finite):
    """mono_unet's sky head says "no surface within range" in a third output, `beyond` (a logit):
    the estimator publishes NaN where it is positive (REP 118), through ONNX Runtime and torch
    alike; mask_beyond=False publishes the depth network's own values, the same ones elsewhere."""
    from depth_restore_ros import Estimator
    args = {**SMALL, "beyond_head": True}
    model = build_model("mono_unet", **args)
    with torch.no_grad():
        model.beyond.out[-1].bias.fill_(logit)
    config = ModelConfig(name="t", arch="mono_unet", arch_args=args, output_names=("depth", "sigma", "beyond"))
    folder = write_model_folder(model, config, tmp_path)
    assert [o.name for o in onnx.load(str(folder / "model.onnx")).graph.output] == ["depth", "sigma", "beyond"]
    assert onnx_parity(model, folder / "model.onnx", sample_hw=(96, 160)) < 1e-3
    assert relative_difference(np.array([1.0, np.inf]), np.array([1.0, 2.0])) == np.inf   # validity differs
    rgb = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    for backend in ("onnxruntime", "torch"):
        estimator = Estimator.from_pretrained(str(folder), backend=backend)
        masked, kept = estimator.predict(rgb), estimator.predict(rgb, mask_beyond=False)
        published = np.isfinite(masked.depth)
        assert published.mean() == finite and np.isfinite(kept.depth).all()
        assert np.array_equal(masked.depth[published], kept.depth[published])
        assert np.array_equal(np.isfinite(masked.uncertainty), published)
