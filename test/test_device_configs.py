"""config/jetson_orin.yaml, desktop_gpu.yaml, cpu.yaml: the mono node's parameter file for each kind of
machine. Same keys and value types as config/mono.yaml (which a launch test ties to the node's table),
every parameter commented, and a backend value the node accepts."""
from pathlib import Path

import pytest
import yaml

CONFIG = Path(__file__).resolve().parent.parent / "config"
SECTION = "/**/mono_depth_node"


def _params(name):
    doc = yaml.safe_load((CONFIG / name).read_text())
    assert list(doc) == [SECTION]
    return doc[SECTION]["ros__parameters"]


@pytest.mark.parametrize("name, backend", [("jetson_orin.yaml", "auto"), ("desktop_gpu.yaml", "auto"),
                                           ("cpu.yaml", "onnxruntime")])
def test_device_config_mirrors_mono_yaml(name, backend):
    reference, params = _params("mono.yaml"), _params(name)
    assert list(params) == list(reference)
    assert all(type(params[k]) is type(reference[k]) for k in reference), name
    assert params["backend"] == backend
    lines = [ln for ln in (CONFIG / name).read_text().splitlines() if ln.startswith("    ") and ":" in ln]
    assert all("#" in ln for ln in lines), [ln for ln in lines if "#" not in ln]


def test_tensorrt_options_are_node_parameters():
    from depth_restore_ros.ros.params import tensorrt_options
    values = _params("jetson_orin.yaml")
    options = tensorrt_options({**values, "engine_resolution": "1280x720"})
    assert options["resolution"] == (720, 1280) and options["precision"] == "fp16" and options["engine_path"] is None
    assert options["max_samples"] >= 8 and options["dla_core"] == values["dla_core"]
