"""The mono node serving a restoration (diffusion) model: K samples per frame, uncertainty live.

The model is the CI smoke recipe of mono-restore, trained here for a few steps: what is checked is
the plumbing (K and the step count reach the network, the spread reaches depth/uncertainty and
DepthEstimate), not accuracy.
"""
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("rclpy")
pytest.importorskip("depth_restore_ros_msgs.msg")
from ros_probe import make_image, make_info, mono_spec, start_nodes, textured_rgb  # noqa: E402

from depth_restore_ros.cli import main  # noqa: E402
from depth_restore_ros.ros.convert import image_to_array  # noqa: E402

NS = "mono_restore"
W, H = 128, 96
RECIPE = Path(__file__).resolve().parents[2] / "config" / "train" / "smoke-restore.yaml"
TOPICS = ("depth/image", "depth/uncertainty", "depth/estimate")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def node(ros_graph, probe, tmp_path_factory):
    run = tmp_path_factory.mktemp("restore")
    assert main(["train", "--config", str(RECIPE), "--out", str(run), "--no-progress", "--eval-images", "1"]) == 0
    proc, = start_nodes(ros_graph, [mono_spec("mono_restore", NS, model=str(run / "model"), num_samples=4,
                                              publish_points=False)])
    probe.wait_connected(NS, topics=TOPICS)
    yield proc
    ros_graph.stop(["mono_restore"])


def frame_outputs(probe):
    stamp = probe.send(NS, make_image(textured_rgb(W, H, 5)), make_info(W, H))
    probe.wait_for(lambda: all(stamp in probe.by_stamp(NS, t) for t in TOPICS), 20.0, "restoration outputs")
    return {t: probe.by_stamp(NS, t)[stamp] for t in TOPICS}


def test_samples_reach_the_estimate_and_the_uncertainty(node, probe):
    out = frame_outputs(probe)
    est = out["depth/estimate"]
    assert est.num_samples == 4 and est.model_name == "smoke-restore"
    depth, unc = image_to_array(out["depth/image"]), image_to_array(out["depth/uncertainty"])
    valid = np.isfinite(depth)
    assert valid.any() and (unc[valid] > 0).all() and np.isnan(unc[~valid]).all()

    fqn = f"/{NS}/mono_depth_node"
    assert probe.set_parameter(fqn, "num_samples", 1).successful
    assert probe.set_parameter(fqn, "diffusion_steps", 1).successful
    assert not probe.set_parameter(fqn, "diffusion_steps", 99).successful     # outside 0..50
    try:
        assert frame_outputs(probe)["depth/estimate"].num_samples == 1
    finally:
        probe.set_parameter(fqn, "num_samples", 0)                              # the model's default: 3
        probe.set_parameter(fqn, "diffusion_steps", 0)
    assert frame_outputs(probe)["depth/estimate"].num_samples == 3
