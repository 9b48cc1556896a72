"""The mono node serving a shipped restoration model: K samples per frame, uncertainty live.

Runs against every shipped stochastic monocular model (skipped, with the reason, where none is
shipped). K is a run-time parameter: the DepthEstimate says how many samples made each frame.
"""
import numpy as np
import pytest

pytest.importorskip("rclpy")
pytest.importorskip("depth_restore_ros_msgs.msg")
from ros_probe import mono_spec, start_nodes, stamp_ns  # noqa: E402
from test_mono_node import good_frame, wait_outputs  # noqa: E402

from depth_restore_ros.inference.config import ModelConfig  # noqa: E402
from depth_restore_ros.inference.registry import resolve_model_dir, shipped_models  # noqa: E402
from depth_restore_ros.ros.convert import image_to_array  # noqa: E402

RESTORE = [m for m in shipped_models()
           if (c := ModelConfig.load(resolve_model_dir(m) / "config.json")).stochastic and not c.stereo]
NS = "restore"
TOPICS = ("depth/image", "depth/uncertainty", "depth/estimate")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not RESTORE, reason="no stochastic monocular model is shipped")]


@pytest.fixture(scope="module", params=RESTORE)
def node(request, ros_graph, probe):
    proc, = start_nodes(ros_graph, [mono_spec("restore", NS, model=request.param, num_samples=4,
                                              publish_points=False)])
    probe.wait_connected(NS, topics=TOPICS)
    yield request.param, f"/{NS}/mono_depth_node"
    ros_graph.stop(["restore"])


def frame_with(probe, node, samples):
    fqn = node[1]
    assert probe.set_parameter(fqn, "num_samples", samples).successful
    image, info = good_frame()
    stamp = probe.send(NS, image, info)
    out = wait_outputs(probe, NS, stamp, TOPICS)
    assert all(stamp_ns(m.header) == stamp for m in out.values())
    return out


@pytest.mark.parametrize("samples", [4, 1, 8])
def test_k_samples_give_depth_and_a_live_uncertainty(node, probe, samples):
    out = frame_with(probe, node, samples)
    est = out["depth/estimate"]
    assert est.model_name == node[0] and est.num_samples == samples
    depth, unc = image_to_array(out["depth/image"]), image_to_array(out["depth/uncertainty"])
    valid = np.isfinite(depth)
    assert valid.mean() > 0.5
    assert np.array_equal(np.isfinite(unc), valid) and (unc[valid] > 0).all()
    assert np.array_equal(image_to_array(est.uncertainty), unc, equal_nan=True)
