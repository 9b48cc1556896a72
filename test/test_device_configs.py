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


def test_tensorrt_options_stay_comments_until_the_node_declares_them():
    text = (CONFIG / "jetson_orin.yaml").read_text()
    for option in ("engine_path", "force_rebuild", "workspace_mb", "dla_core"):
        assert f"    # {option}:" in text and option not in _params("jetson_orin.yaml")
