"""Estimator on the shipped default model: real onnxruntime / torch sessions, real photographs."""
import subprocess
import sys

import numpy as np
import pytest
import skimage.data

from depth_restore_ros import Estimator
from depth_restore_ros.core.errors import InputError
from depth_restore_ros.inference.registry import DEFAULT_MODEL, shipped_models


@pytest.fixture(scope="module")
def photo():
    return skimage.data.coffee()  # 400x600 RGB photograph of a real scene


@pytest.fixture(scope="module")
def estimator():
    return Estimator.from_pretrained(DEFAULT_MODEL, backend="onnxruntime")


def camera_for(rgb, hfov_scale=1.0):
    f = 0.8 * rgb.shape[1] * hfov_scale
    return (f, f, (rgb.shape[1] - 1) / 2, (rgb.shape[0] - 1) / 2)


def test_default_model_is_shipped():
    assert DEFAULT_MODEL in shipped_models()


def test_predict_gives_metric_depth_at_input_resolution(estimator, photo):
    pred = estimator.predict(photo, camera=camera_for(photo))
    assert pred.depth.shape == photo.shape[:2] and pred.depth.dtype == np.float32
    assert pred.uncertainty.shape == photo.shape[:2] and pred.uncertainty.dtype == np.float32
    valid = np.isfinite(pred.depth)
    assert valid.mean() > 0.5
    assert np.all(pred.depth[valid] >= estimator.config.min_depth)
    assert np.all(pred.depth[valid] <= estimator.config.max_depth)
    assert np.array_equal(np.isfinite(pred.uncertainty), valid)
    assert np.all(pred.uncertainty[valid] > 0)
    assert set(pred.timings) == {"preprocess", "inference", "postprocess"}
    assert pred.colorized().shape == photo.shape


def test_depth_scales_with_focal_length(estimator, photo):
    """The canonical-camera rescaling: the same pixels seen through a longer lens are farther."""
    near = estimator.predict(photo, camera=camera_for(photo))
    far = estimator.predict(photo, camera=camera_for(photo, hfov_scale=1.5))
    both = np.isfinite(near.depth) & np.isfinite(far.depth) & (near.depth * 1.5 < estimator.config.max_depth)
    np.testing.assert_allclose(far.depth[both], near.depth[both] * 1.5, rtol=1e-4)


@pytest.mark.parametrize("bad, what", [
    (np.zeros((48, 64), np.uint8), "HxWx3 uint8"),
    (np.zeros((48, 64, 3), np.float32), "HxWx3 uint8"),
    (np.zeros((4, 4, 3), np.uint8), "too small"),
])
def test_bad_images_are_refused_with_a_reason(estimator, bad, what):
    with pytest.raises(InputError, match=what):
        estimator.predict(bad, camera=(50.0, 50.0, 32.0, 24.0))


def test_bad_camera_is_refused(estimator, photo):
    with pytest.raises(InputError, match="fx, fy > 0"):
        estimator.predict(photo, camera=(float("nan"), 500.0, 300.0, 200.0))


def test_unknown_model_lists_the_shipped_ones():
    with pytest.raises(FileNotFoundError, match=DEFAULT_MODEL):
        Estimator.from_pretrained("no-such-model")


def test_corrupt_onnx_file_gives_a_clear_error(tmp_path):
    from depth_restore_ros.inference.registry import resolve_model_dir
    src = resolve_model_dir(DEFAULT_MODEL)
    (tmp_path / "config.json").write_text((src / "config.json").read_text())
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07not really a protobuf" * 10)
    with pytest.raises(RuntimeError, match="corrupt"):
        Estimator.from_pretrained(str(tmp_path), backend="onnxruntime")


def test_onnxruntime_path_does_not_import_torch(photo):
    code = ("import sys, numpy as np; from depth_restore_ros import Estimator; "
            "e = Estimator.from_pretrained('mono-small'); "
            "e.predict(np.zeros((48, 64, 3), np.uint8), camera=(50, 50, 32, 24)); "
            "print(e.backend_name, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["onnxruntime", "False"]


def test_bench_backends_times_both_and_checks_agreement(tmp_path, capsys):
    import json

    from depth_restore_ros.cli import main
    out = tmp_path / "b.json"
    assert main(["bench", "backends", "--model", DEFAULT_MODEL, "--iterations", "2", "--width", "96",
                 "--height", "72", "--json", str(out)]) == 0
    row = json.loads(out.read_text())["models"][DEFAULT_MODEL]
    assert row["onnxruntime"]["predict"]["mean"] > 0 and row["torch"]["predict"]["mean"] > 0
    assert row["torch_over_onnxruntime"] > 0 and row["max_relative_difference"] < 1e-3
