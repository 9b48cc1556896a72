"""stereo_depth_node serving a shipped stereo model: the right view reaches the network over DDS.

A held-out synthetic pair (exact metric depth) goes through the node; its depth must be the
Estimator's stereo answer for that pair (not the left-view-only fallback), and closer to the ground
truth than the monocular answer. Skipped, with the reason, where no stereo model is shipped.
"""
import numpy as np
import pytest

pytest.importorskip("rclpy")
pytest.importorskip("depth_restore_ros_msgs.msg")
from ros_probe import make_image, make_info, start_nodes, stamp_ns, stereo_spec, wait_outputs  # noqa: E402

from depth_restore_ros import Estimator  # noqa: E402
from depth_restore_ros.data.synthetic import render_scene  # noqa: E402
from depth_restore_ros.inference.config import ModelConfig  # noqa: E402
from depth_restore_ros.inference.registry import resolve_model_dir, shipped_models  # noqa: E402
from depth_restore_ros.ros.convert import image_to_array  # noqa: E402

STEREO = [m for m in shipped_models() if ModelConfig.load(resolve_model_dir(m) / "config.json").stereo]
TOPICS = ("depth/image", "depth/uncertainty", "depth/estimate")
SAMPLES = 8
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not STEREO, reason="no stereo model is shipped")]


@pytest.fixture(scope="module", params=STEREO)
def node(request, ros_graph, probe):
    """(model, namespace): one node per shipped stereo model, each under its own label and namespace."""
    ns = "stereo_" + request.param.replace("-", "_")
    proc, = start_nodes(ros_graph, [stereo_spec(ns, ns, model=request.param, num_samples=SAMPLES,
                                                publish_points=False)])
    probe.wait_connected(ns, topics=TOPICS, inputs=probe.stereo_camera(ns))
    yield request.param, ns
    ros_graph.stop([ns])


def pair_messages(pair):
    fx, fy, cx, cy = pair.camera
    h, w = pair.depth.shape
    k = [fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0]
    left_info, right_info = make_info(w, h, k=k), make_info(w, h, k=k)
    right_info.p[3] = -fx * pair.baseline_m
    return make_image(pair.rgb), left_info, make_image(pair.right_rgb), right_info


def absrel(depth, truth):
    valid = np.isfinite(depth) & np.isfinite(truth) & (truth > 0)
    return float(np.mean(np.abs(depth[valid] - truth[valid]) / truth[valid]))


def test_the_right_view_reaches_the_network(node, probe):
    model, ns = node
    pair = render_scene(9_100_001, 320, 240, stereo=True)
    stamp = probe.send_stereo(ns, *pair_messages(pair))
    out = wait_outputs(probe, ns, stamp, TOPICS)
    assert all(stamp_ns(m.header) == stamp for m in out.values())
    assert out["depth/estimate"].model_name == model and out["depth/estimate"].num_samples == SAMPLES
    published = image_to_array(out["depth/image"])

    est = Estimator.from_pretrained(model)
    stereo = est.predict(pair.rgb, camera=pair.camera, aux_rgb=pair.right_rgb, baseline_m=pair.baseline_m,
                         num_samples=SAMPLES).depth
    mono = est.predict(pair.rgb, camera=pair.camera, num_samples=SAMPLES).depth
    valid = np.isfinite(published) & np.isfinite(stereo) & np.isfinite(mono)
    assert valid.mean() > 0.5
    to_stereo = np.median(np.abs(published[valid] / stereo[valid] - 1))
    to_mono = np.median(np.abs(published[valid] / mono[valid] - 1))
    assert to_stereo < 0.5 * to_mono, (to_stereo, to_mono)   # the node ran the stereo path
    assert absrel(published, pair.depth) < absrel(mono, pair.depth)
