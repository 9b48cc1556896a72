"""Every shipped network: a valid ONNX graph, and the two CPU back-ends agree on a real photograph.

Parametrised over whatever `depth_restore_ros/weights/` holds, so a model that ships later is
checked without a new test. The photograph is scikit-image's Motorcycle pair (a real rectified
stereo pair with its calibration): monocular models see the left view, stereo models both.
"""
import numpy as np
import onnx
import pytest

from depth_restore_ros import Estimator
from depth_restore_ros.data.datasets import open_dataset
from depth_restore_ros.inference.registry import resolve_model_dir, shipped_models
from depth_restore_ros.models.export import OPSET

# max relative difference over pixels both back-ends call valid (float32 parity). 2e-3: the stereo
# model that plane-sweeps at 320 px differs by up to 1.5e-3 on the Motorcycle pair (median 2.6e-4):
# float32 sums in another order, through its 32-way matching softmax; the others stay below 1e-3
TOLERANCE = 2e-3


@pytest.fixture(scope="module")
def motorcycle():
    return open_dataset("middlebury:skimage")[0]


@pytest.mark.parametrize("name", shipped_models())
def test_shipped_graph_passes_the_checker(name):
    graph = onnx.load(str(resolve_model_dir(name) / "model.onnx"))
    onnx.checker.check_model(graph)
    assert graph.opset_import[0].version >= OPSET


def max_relative_difference(a, b, scale=None):
    """max |a - b| / |scale| (scale: b itself unless given) over pixels both call valid."""
    both = np.isfinite(a) & np.isfinite(b)
    assert both.mean() > 0.5, "most pixels should be valid in both back-ends"
    assert np.array_equal(np.isfinite(a), np.isfinite(b)), "the back-ends disagree on validity"
    scale = b if scale is None else scale
    return float(np.max(np.abs(a[both] - b[both]) / np.abs(scale[both])))


@pytest.mark.parametrize("name", shipped_models())
def test_backends_agree_on_a_real_photograph(name, motorcycle):
    """Same seed, so a stochastic model draws the same diffusion noise in both back-ends."""
    results = []
    for backend in ("onnxruntime", "torch"):
        est = Estimator.from_pretrained(name, backend=backend)
        stereo = dict(aux_rgb=motorcycle.right_rgb, baseline_m=motorcycle.baseline_m) if est.config.stereo else {}
        results.append(est.predict(motorcycle.rgb, camera=motorcycle.camera, **stereo))
    ort_pred, torch_pred = results
    assert max_relative_difference(ort_pred.depth, torch_pred.depth) < TOLERANCE
    # a restoration model's 1-sigma holds the samples' standard deviation, a difference of nearly equal
    # numbers: its rounding is bounded relative to the depth it describes (stereo-restore on this pair:
    # 1.1e-3 relative to itself)
    assert max_relative_difference(ort_pred.uncertainty, torch_pred.uncertainty, torch_pred.depth) < TOLERANCE
