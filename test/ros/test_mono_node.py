"""mono_depth_node in a real ROS graph: its own process, DDS in between, the shipped model.

Three node processes are shared by the module's tests (start-up costs seconds): raw images, JPEG,
and camera_info paired by "latest". Every test sends frames with fresh stamps and checks only
outputs with its stamps.
"""
import array
import math

import numpy as np
import pytest

pytest.importorskip("rclpy")
pytest.importorskip("depth_restore_ros_msgs.msg")
from lifecycle_msgs.msg import Transition  # noqa: E402
from ros_probe import (FRAME_ID, assert_nothing_for, count_lines, diag_name, make_compressed,  # noqa: E402
                       make_image, make_info, mono_spec, send_bad, start_nodes, stamp_ns, textured_rgb)

from depth_restore_ros.ros.convert import image_to_array, pointcloud_to_array  # noqa: E402

RAW, JPEG, LATEST = "mono_raw", "mono_jpeg", "mono_latest"
W, H = 160, 120
MAX_DEPTH = 60.0
PER_FRAME = ("depth/image", "depth/camera_info", "depth/uncertainty", "points", "depth/estimate",
             "depth/colorized")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nodes(ros_graph, probe):
    procs = start_nodes(ros_graph, [
        mono_spec("mono_raw", RAW, publish_colorized=True, max_depth=MAX_DEPTH, diagnostics_period=0.25),
        mono_spec("mono_jpeg", JPEG, transport="compressed", publish_points=False, diagnostics_period=0.25),
        mono_spec("mono_latest", LATEST, use_latest_camera_info=True, publish_points=False,
                  publish_estimate=False, publish_uncertainty=False),
    ])
    probe.wait_connected(RAW)
    probe.wait_connected(JPEG, compressed=True, topics=("depth/image", "depth/camera_info"))
    probe.wait_connected(LATEST, topics=("depth/image", "depth/camera_info"))
    yield dict(zip((RAW, JPEG, LATEST), procs))
    ros_graph.stop([RAW, JPEG, LATEST])


def good_frame(width=W, height=H, seed=0):
    return make_image(textured_rgb(width, height, seed)), make_info(width, height)


def wait_outputs(probe, ns, stamp, topics=PER_FRAME, timeout=15.0):
    """{topic: message} of the frame stamped `stamp`, once every topic has it."""
    probe.wait_for(lambda: all(stamp in probe.by_stamp(ns, t) for t in topics), timeout,
                   f"outputs {topics} stamped {stamp} in /{ns}")
    return {t: probe.by_stamp(ns, t)[stamp] for t in topics}


def test_one_frame_gives_every_output_with_the_input_header(nodes, probe):
    image, info = good_frame()
    stamp = probe.send(RAW, image, info)
    out = wait_outputs(probe, RAW, stamp)
    for topic, msg in out.items():
        assert stamp_ns(msg.header) == stamp and msg.header.frame_id == FRAME_ID, topic
    depth_msg, unc_msg = out["depth/image"], out["depth/uncertainty"]
    for msg in (depth_msg, unc_msg):
        assert (msg.encoding, msg.width, msg.height, msg.step) == ("32FC1", W, H, 4 * W)
    depth, unc = image_to_array(depth_msg), image_to_array(unc_msg)
    valid = np.isfinite(depth)
    assert valid.mean() > 0.5
    assert (depth[valid] > 0).all() and (depth[valid] <= MAX_DEPTH).all()
    assert np.isnan(unc[~valid]).all() and (unc[valid] >= 0).all()

    cam = out["depth/camera_info"]
    assert (cam.width, cam.height) == (W, H)
    assert np.allclose(cam.k, info.k) and np.allclose(cam.p, info.p)

    cloud = out["points"]
    assert (cloud.height, cloud.width) == (H, W) and not cloud.is_dense
    assert [f.name for f in cloud.fields] == ["x", "y", "z", "rgb"]
    xyzc = pointcloud_to_array(cloud)
    assert np.array_equal(np.isnan(xyzc[:, :, 2]), ~valid)
    assert np.allclose(xyzc[:, :, 2][valid], depth[valid])
    v, u = np.nonzero(valid)
    x_expected = (u - info.k[2]) / info.k[0] * depth[v, u]
    assert np.allclose(xyzc[v, u, 0], x_expected, rtol=1e-4, atol=1e-4)

    est = out["depth/estimate"]
    assert est.model_name == "mono-small" and est.num_samples >= 1 and est.inference_time > 0
    for inner in (est.depth.header, est.uncertainty.header, est.camera_info.header):
        assert stamp_ns(inner) == stamp and inner.frame_id == FRAME_ID
    assert np.array_equal(image_to_array(est.depth), depth, equal_nan=True)

    colour = out["depth/colorized"]
    assert (colour.encoding, colour.width, colour.height) == ("rgb8", W, H)


def test_compressed_input(nodes, probe):
    rgb = textured_rgb(W, H, seed=3)
    stamp = probe.send(JPEG, make_compressed(rgb), make_info(W, H), compressed=True)
    out = wait_outputs(probe, JPEG, stamp, ("depth/image", "depth/camera_info"))
    depth = out["depth/image"]
    assert (depth.encoding, depth.width, depth.height) == ("32FC1", W, H)
    assert out["depth/camera_info"].header.frame_id == FRAME_ID


def test_corrupt_compressed_is_logged_and_skipped(nodes, probe):
    bad = make_compressed(textured_rgb(W, H))
    bad.data[:4] = array.array("B", bytes(4))  # no JPEG start marker: OpenCV cannot decode it
    stamps = send_bad(probe, JPEG, [(bad, make_info(W, H))] * 2, "compressed", compressed=True)
    good = probe.send(JPEG, make_compressed(textured_rgb(W, H)), make_info(W, H), compressed=True)
    wait_outputs(probe, JPEG, good, ("depth/image",))
    assert_nothing_for(probe, JPEG, stamps)
    assert count_lines(nodes[JPEG], r"bad input \(compressed\):") == 1


def _bayer(image, info):
    image.encoding = "bayer_rggb8"
    image.step = W
    return image, info


def _truncated(image, info):
    image.data = image.data[: len(image.data) // 2]
    return image, info


def _step_too_small(image, info):
    image.step = W  # rgb8 needs 3 bytes per pixel
    return image, info


def _info_other_size(image, info):
    return image, make_info(2 * W, 2 * H)


def _nan_in_k(image, info):
    info.k[0] = math.nan
    return image, info


BAD_INPUTS = {"encoding": _bayer, "truncated": _truncated, "size_mismatch": _step_too_small,
              "camera_info_size": _info_other_size, "camera_info": _nan_in_k}


@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_is_logged_once_and_the_next_frame_works(nodes, probe, kind):
    proc = nodes[RAW]
    stamps = send_bad(probe, RAW, [BAD_INPUTS[kind](*good_frame()) for _ in range(3)], kind)
    good = probe.send(RAW, *good_frame(seed=1))
    wait_outputs(probe, RAW, good)
    assert_nothing_for(probe, RAW, stamps, PER_FRAME)
    lines = [line for line in proc.lines if f"bad input ({kind}):" in line]
    assert len(lines) == 1, lines
    assert " -- " in lines[0] and "skipped" in lines[0]  # says what to do, and what happened
    assert proc.popen.poll() is None


def test_images_without_camera_info_are_dropped_and_counted(nodes, probe):
    name = diag_name(RAW)
    mark = len(probe.diagnostics)
    before = probe.wait_for(lambda: probe.latest_values(name, mark), 5, "diagnostics")
    stamps = [probe.send(RAW, good_frame()[0], None) for _ in range(10)]
    good = probe.send(RAW, *good_frame())  # its match pushes the unmatched images out of the queue
    wait_outputs(probe, RAW, good, ("depth/image",))
    assert_nothing_for(probe, RAW, stamps, PER_FRAME)
    mark = len(probe.diagnostics)
    after = probe.wait_for(lambda: probe.latest_values(name, mark), 5, "diagnostics")
    received = int(after["frames_in"]) - int(before["frames_in"])  # DDS may drop a few under load
    assert 6 <= received <= 11
    # every image that came without camera_info is counted: the queue overflowed (queue_size 5),
    # then the good frame's match retired the rest
    assert int(after["dropped_unsynced"]) - int(before["dropped_unsynced"]) == received - 1
    nodes[RAW].wait_for_line(r"bad input \(unsynced\): .*camera_info", timeout=5)


def test_diagnostics_report_rates_timings_and_errors(nodes, probe):
    mark = len(probe.diagnostics)
    send_bad(probe, RAW, [_bayer(*good_frame())], "encoding")
    good = probe.send(RAW, *good_frame())
    wait_outputs(probe, RAW, good, ("depth/image",))
    name = diag_name(RAW)
    errors = probe.wait_for(lambda: [s for s in probe.status(name, mark) if s.level == b"\x02"], 5,
                            "an ERROR status after bad input")
    values = {kv.key: kv.value for kv in errors[-1].values}
    assert "encoding" in errors[-1].message
    for key in ("state", "model", "backend", "rate_hz", "latency_mean_ms", "latency_max_ms", "end_to_end_ms",
                "frames_in", "frames_out", "dropped", "dropped_unsynced", "errors", "decode_ms",
                "preprocess_ms", "inference_ms", "postprocess_ms", "cloud_ms", "publish_ms"):
        assert key in values, key
    assert values["state"] == "active" and values["model"] == "mono-small"
    assert int(values["errors_encoding"]) >= 1 and int(values["frames_out"]) >= 1
    probe.wait_for(lambda: any(s.level == b"\x00" for s in probe.status(name, mark)), 5,
                   "an OK status once the bad frame is out of the window")


def test_parameters_change_at_run_time_and_are_validated(nodes, probe):
    fqn = f"/{RAW}/mono_depth_node"
    rejected = probe.set_parameter(fqn, "min_depth", 100.0)  # above max_depth
    assert not rejected.successful and "max_depth" in rejected.reason
    assert not probe.set_parameter(fqn, "transport", "compressed").successful  # read-only
    assert probe.set_parameter(fqn, "output_decimation", 2).successful
    try:
        image, info = good_frame()
        stamp = probe.send(RAW, image, info)
        out = wait_outputs(probe, RAW, stamp, ("depth/image", "depth/camera_info", "points"))
        assert (out["depth/image"].width, out["depth/image"].height) == (W // 2, H // 2)
        cam = out["depth/camera_info"]
        assert (cam.width, cam.height) == (W // 2, H // 2)
        assert np.allclose(cam.k, [info.k[0] / 2, 0, info.k[2] / 2, 0, info.k[4] / 2, info.k[5] / 2, 0, 0, 1])
        assert (out["points"].width, out["points"].height) == (W // 2, H // 2)
    finally:
        assert probe.set_parameter(fqn, "output_decimation", 1).successful


def test_the_sky_is_nan_unless_mask_beyond_is_switched_off(nodes, probe):
    """The shipped model's sky head: NaN on the sky of a held-out outdoor frame; with mask_beyond
    false (set at run time) the depth network's own values are published there instead."""
    from depth_restore_ros.data.datasets import open_dataset
    ds = open_dataset("synthetic:test")
    sample = next(s for s in map(ds.__getitem__, range(len(ds))) if (~np.isfinite(s.depth)).mean() > 0.2)
    sky = ~np.isfinite(sample.depth)
    fx, fy, cx, cy = sample.camera
    info = make_info(sample.rgb.shape[1], sample.rgb.shape[0], k=[fx, 0.0, cx, 0.0, fy, cy, 0.0, 0.0, 1.0])
    fqn, published = f"/{RAW}/mono_depth_node", {}
    for mask in (True, False):
        assert probe.set_parameter(fqn, "mask_beyond", mask).successful
        stamp = probe.send(RAW, make_image(sample.rgb), info)
        depth = image_to_array(wait_outputs(probe, RAW, stamp, ("depth/image",))["depth/image"])
        published[mask] = np.isfinite(depth[sky]).mean()
    assert probe.set_parameter(fqn, "mask_beyond", True).successful
    assert published[True] < 0.2 and published[False] > 0.8, published


def test_lifecycle_deactivate_stops_outputs_and_activate_resumes(nodes, probe):
    fqn = f"/{RAW}/mono_depth_node"
    image_pub, info_pub = probe.camera(RAW)
    assert probe.change_state(fqn, Transition.TRANSITION_DEACTIVATE)
    try:
        nodes[RAW].wait_for_line(r"\]: inactive: ", timeout=5)
        stamps = [probe.send(RAW, *good_frame()) for _ in range(3)]
        with pytest.raises(AssertionError):
            probe.wait_for(lambda: set(probe.by_stamp(RAW, "depth/image")) & set(stamps), 1.5)
        # an inactive node does not even subscribe: no bandwidth spent on frames it would ignore
        probe.wait_for(lambda: image_pub.get_subscription_count() == 0, 5, "the image subscription gone")
    finally:
        assert probe.change_state(fqn, Transition.TRANSITION_ACTIVATE)
    probe.wait_connected(RAW)
    stamp = probe.send(RAW, *good_frame())
    wait_outputs(probe, RAW, stamp)
    assert_nothing_for(probe, RAW, stamps, PER_FRAME)  # frames sent while inactive never come out


def test_lifecycle_cleanup_releases_and_configure_reloads(nodes, probe):
    fqn = f"/{RAW}/mono_depth_node"
    start = len(nodes[RAW].lines)
    image_pub, _ = probe.camera(RAW)
    for transition in (Transition.TRANSITION_DEACTIVATE, Transition.TRANSITION_CLEANUP):
        assert probe.change_state(fqn, transition), transition
    nodes[RAW].wait_for_line(r"\]: cleaned up: ", timeout=5, start=start)
    # gone from the graph (so that the checks below see the new endpoints, not stale ones)
    probe.wait_for(lambda: image_pub.get_subscription_count() == 0
                   and probe.node.count_publishers(f"/{RAW}/depth/image") == 0, 5, "endpoints released")
    for transition in (Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE):
        assert probe.change_state(fqn, transition), transition
    nodes[RAW].wait_for_line(r"\]: configured: model mono-small", timeout=5, start=start)
    probe.wait_connected(RAW)
    stamp = probe.send(RAW, *good_frame())
    wait_outputs(probe, RAW, stamp)


def test_latest_camera_info_mode_pairs_any_stamp_and_keeps_the_image_header(nodes, probe):
    image, info = good_frame()
    probe.send(LATEST, make_image(textured_rgb(W, H)), info)  # camera_info stamped like this frame...
    later = [probe.send(LATEST, image, None, frame_id="other_optical_frame") for _ in range(2)]
    # ...then images alone: each pairs with that camera_info, and outputs carry the image's header
    probe.wait_for(lambda: later[-1] in probe.by_stamp(LATEST, "depth/camera_info"), 15, "latest-info output")
    out = probe.by_stamp(LATEST, "depth/camera_info")[later[-1]]
    assert out.header.frame_id == "other_optical_frame" and list(out.k) == list(info.k)
    assert probe.by_stamp(LATEST, "depth/image")[later[-1]].header.frame_id == "other_optical_frame"


def test_burst_faster_than_inference_never_mixes_frames(nodes, probe):
    """20 frames at once: the node drops (and counts) what it cannot keep up with, and every
    output it does publish carries one sent frame's stamp on all of its topics."""
    name = diag_name(RAW)
    mark = len(probe.diagnostics)
    before = probe.wait_for(lambda: probe.latest_values(name, mark), 5, "a diagnostics message")
    width, height = 640, 480
    frames = [good_frame(width, height, seed=i) for i in range(4)]
    sent = [probe.send(RAW, *frames[i % 4]) for i in range(20)]
    probe.wait_for(lambda: set(sent) & set(probe.by_stamp(RAW, "points")), 20, "outputs of the burst")
    # idle again: a whole diagnostics window with nothing published
    mark2 = len(probe.diagnostics)
    probe.wait_for(lambda: [s for s in probe.status(name, mark2) if "no frames" in s.message], 10, "idle")
    flush = probe.send(RAW, *good_frame(width, height))  # its match retires any image left unmatched
    wait_outputs(probe, RAW, flush, ("depth/image",))
    got = {t: {s: m for s, m in probe.by_stamp(RAW, t).items() if s in sent} for t in PER_FRAME}
    depth_stamps = set(got["depth/image"])
    want_out = int(before["frames_out"]) + len(depth_stamps) + 1
    after = probe.wait_for(lambda: (lambda v: v if int(v.get("frames_out", 0)) >= want_out else None)(
        probe.latest_values(name)), 5, "diagnostics counting the flush frame")
    assert depth_stamps
    for topic, msgs in probe.received.items():  # nothing the probe did not send, on any topic
        if msgs and topic[0] == RAW:
            assert {stamp_ns(m.header) for m in msgs} <= set(probe.sent_stamps), topic
    for topic in PER_FRAME:  # per frame, all outputs or none
        assert set(got[topic]) == depth_stamps, topic
    for s in depth_stamps:
        assert (got["points"][s].height, got["points"][s].width) == (height, width)
        assert (got["depth/camera_info"][s].width, got["depth/estimate"][s].depth.width) == (width, width)

    def delta(key):
        return int(after[key]) - int(before[key])
    received = delta("frames_in") - 1  # DDS may lose best-effort frames before they reach the node
    assert 0 < received <= 20 and delta("frames_out") - 1 == len(depth_stamps) <= received
    # every image that reached the node is accounted for: published, replaced by a newer one
    # while the model was busy (latest-frame policy), left without camera_info, or rejected
    assert delta("frames_in") == (delta("frames_out") + delta("dropped") + delta("dropped_unsynced")
                                  + delta("errors"))
    if received >= 3:  # the model was busy with the first while the others arrived
        assert delta("dropped") > 0 and len(depth_stamps) < received
