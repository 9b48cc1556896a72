"""TensorRTBackend where TensorRT is absent (every machine here): the module imports, and constructing
it fails early with a message that says what is missing and what to use instead."""
import subprocess
import sys

import pytest

from depth_restore_ros import Estimator, cli
from depth_restore_ros.inference.config import ModelConfig
from depth_restore_ros.inference.registry import resolve_model_dir
from depth_restore_ros.inference.tensorrt_backend import TensorRTBackend, TensorRTUnavailable, build_command
from depth_restore_ros.inference.tensorrt_build import version_tuple

MODEL_DIR = resolve_model_dir("mono-small")
CONFIG = ModelConfig.load(MODEL_DIR / "config.json")


@pytest.fixture
def no_tensorrt(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorrt", None)   # `import tensorrt` raises ImportError


def test_module_imports_without_tensorrt_or_cuda():
    code = ("import sys; sys.modules['tensorrt'] = None; sys.modules['cuda'] = None; "
            "import depth_restore_ros.inference.tensorrt_backend as m; print(m.TensorRTBackend.name)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["tensorrt"]


def test_constructing_without_tensorrt_says_what_is_missing(no_tensorrt):
    with pytest.raises(TensorRTUnavailable, match="TensorRT is not importable") as err:
        TensorRTBackend(MODEL_DIR, CONFIG)
    assert "JetPack" in str(err.value) and "'onnxruntime'" in str(err.value)
    with pytest.raises(TensorRTUnavailable):
        Estimator.from_pretrained("mono-small", backend="tensorrt")


def test_build_engine_cli_fails_clearly_without_tensorrt(no_tensorrt):
    with pytest.raises(SystemExit, match="build-engine: TensorRT is not importable"):
        cli.main(["build-engine", "--model", "mono-small", "--resolution", "1280x720"])


@pytest.mark.parametrize("options, message", [
    (dict(precision="fp8"), "precision must be one of"),
    (dict(dla_core=0, precision="fp32"), "DLA runs FP16 and INT8"),
    (dict(precision="int8"), "calibration_cache"),
    (dict(workspace_mb=0), "workspace_mb"),
])
def test_bad_options_are_refused_before_tensorrt_is_needed(no_tensorrt, options, message):
    with pytest.raises(ValueError, match=message):
        TensorRTBackend(MODEL_DIR, CONFIG, **options)


def test_missing_onnx_is_refused(no_tensorrt, tmp_path):
    with pytest.raises(FileNotFoundError, match="depth-restore export"):
        TensorRTBackend(tmp_path, CONFIG)


def test_build_command_repeats_the_options_that_shape_the_engine():
    assert build_command("/m", "fp16", (480, 640), -1, CONFIG, 8, 8) == \
        "depth-restore build-engine --model /m --precision fp16 --resolution 640x480"
    restore = ModelConfig(stochastic=True, input_names=("image", "noise", "schedule"))
    assert build_command("/m", "fp16", (720, 1280), 1, restore, 4, 6, cache_dir="/c") == (
        "depth-restore build-engine --model /m --precision fp16 --resolution 1280x720 "
        "--max-samples 4 --max-steps 6 --dla-core 1 --cache-dir /c")


def test_version_tuple():
    assert version_tuple("8.6.1.6") == (8, 6) and version_tuple("10.3.0") == (10, 3) and version_tuple("11") == (11, 0)
