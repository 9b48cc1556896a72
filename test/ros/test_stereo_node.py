"""stereo_depth_node in a real ROS graph: its own process, DDS in between, the shipped model.

Two node processes are shared by the module's tests: exact-stamp sync with every output, and
approximate sync (10 ms) with depth and camera_info only. The probe plays a rectified pair
(left/right image_rect + camera_info); every test sends sets with fresh stamps and checks only
outputs with its stamps.
"""
import numpy as np
import pytest

pytest.importorskip("rclpy")
pytest.importorskip("depth_restore_ros_msgs.msg")
from ros_probe import (FRAME_ID, STEREO_INPUTS, STEREO_NODE, assert_nothing_for, counter,  # noqa: E402
                       diag_name, make_image, make_stereo_info, send_bad, start_nodes, stamp_ns,
                       stereo_spec, textured_rgb, wait_outputs)

from depth_restore_ros.ros.convert import image_to_array, pointcloud_to_array  # noqa: E402

EXACT, APPROX = "stereo_exact", "stereo_approx"
W, H = 160, 120
BASELINE = 0.12
MS = 1_000_000
PER_FRAME = ("depth/image", "depth/camera_info", "depth/uncertainty", "points", "depth/estimate",
             "depth/colorized")
DEPTH_ONLY = ("depth/image", "depth/camera_info")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nodes(ros_graph, probe):
    procs = start_nodes(ros_graph, [
        stereo_spec(EXACT, EXACT, publish_colorized=True, diagnostics_period=0.25),
        stereo_spec(APPROX, APPROX, approximate_sync=True, sync_tolerance=0.01, publish_points=False,
                    publish_estimate=False, publish_uncertainty=False, diagnostics_period=0.25),
    ])
    probe.wait_connected(EXACT, inputs=probe.stereo_camera(EXACT))
    probe.wait_connected(APPROX, topics=DEPTH_ONLY, inputs=probe.stereo_camera(APPROX))
    yield dict(zip((EXACT, APPROX), procs))
    ros_graph.stop([EXACT, APPROX])


def good_set(width=W, height=H, seed=0, baseline=BASELINE):
    """(left image, left camera_info, right image, right camera_info) of a rectified pair."""
    left_info = make_stereo_info(width, height)
    left_info.k[0] *= 1.1  # K is the unrectified camera's: the node must use P
    return (make_image(textured_rgb(width, height, seed)), left_info,
            make_image(textured_rgb(width, height, seed + 1)), make_stereo_info(width, height, baseline))


def test_outputs_carry_the_left_header_and_the_left_p(nodes, probe):
    inputs = r" \+ ".join(f"/{EXACT}/{topic}" for topic in STEREO_INPUTS)
    nodes[EXACT].wait_for_line(rf"\]: active: {inputs} \(exact-stamp sync", 1)
    left, left_info, right, right_info = good_set()
    stamp = probe.send_stereo(EXACT, left, left_info, right, right_info)
    out = wait_outputs(probe, EXACT, stamp, PER_FRAME)
    for topic, msg in out.items():
        assert stamp_ns(msg.header) == stamp and msg.header.frame_id == FRAME_ID, topic
    depth = image_to_array(out["depth/image"])
    assert (out["depth/image"].width, out["depth/image"].height) == (W, H)
    valid = np.isfinite(depth)
    assert valid.mean() > 0.5
    cam = out["depth/camera_info"]
    assert np.allclose(cam.p, left_info.p) and np.allclose(cam.k, left_info.k)
    # the cloud is back-projected with the left P (rectified image), not with K
    xyz = pointcloud_to_array(out["points"])
    v, u = np.nonzero(valid)
    p = left_info.p
    assert np.allclose(xyz[v, u, 0], (u - p[2]) / p[0] * depth[v, u], rtol=1e-4, atol=1e-4)
    assert out["depth/estimate"].model_name == "stereo-restore-hr"   # the stereo node's default
    name = diag_name(EXACT, STEREO_NODE)
    probe.wait_for(lambda: probe.latest_values(name).get("baseline_m") == f"{BASELINE:.4f}", 5,
                   "the baseline in /diagnostics")


def test_approximate_sync_pairs_close_stamps_and_keeps_the_left_header(nodes, probe):
    stamp = probe.next_stamp()
    probe.send_stereo(APPROX, *good_set(seed=2), stamp=stamp, right_stamp=stamp + 3 * MS)
    out = wait_outputs(probe, APPROX, stamp, DEPTH_ONLY)
    assert all(m.header.frame_id == FRAME_ID for m in out.values())
    assert stamp + 3 * MS not in probe.by_stamp(APPROX, "depth/image")


@pytest.mark.parametrize("ns, offset_ms", [(EXACT, 1), (APPROX, 50)])
def test_set_with_the_right_stamp_beyond_tolerance_is_dropped_and_counted(nodes, probe, ns, offset_ms):
    name = diag_name(ns, STEREO_NODE)
    mark = len(probe.diagnostics)
    before = probe.wait_for(lambda: probe.latest_values(name, mark), 5, "diagnostics")
    bad = probe.next_stamp()
    probe.send_stereo(ns, *good_set(), stamp=bad, right_stamp=bad + offset_ms * MS)
    good = probe.send_stereo(ns, *good_set(seed=3), stamp=bad + (offset_ms + 100) * MS)
    wait_outputs(probe, ns, good, DEPTH_ONLY)
    assert_nothing_for(probe, ns, [bad, bad + offset_ms * MS], DEPTH_ONLY)
    mark = len(probe.diagnostics)
    for key in ("dropped_unsynced", "dropped_right"):  # the good set's match retired the bad one
        want = int(before[key]) + 1
        probe.wait_for(lambda: counter(probe, ns, key, mark, STEREO_NODE) >= want, 5, f"{key} counted")
    probe.wait_for(lambda: [s for s in probe.status(name) if s.level == b"\x01"
                            and "left image(s) without a matching right image" in s.message], 5,
                   "a WARN status naming the dropped set")
    # the log line says by how much the right stamps missed
    nodes[ns].wait_for_line(rf"bad input \(unsynced\): left images are dropped: .*"
                            rf"left/camera_info \+0.000 ms, right/image_rect \+{offset_ms}.000 ms", 5)


def _other_sizes(left, left_info, right, right_info):
    half = make_image(textured_rgb(W // 2, H // 2))  # with a camera_info of its own size
    return left, left_info, half, make_stereo_info(W // 2, H // 2, BASELINE)


def _zero_baseline(left, left_info, right, right_info):
    return left, left_info, right, make_stereo_info(W, H, 0.0)


def _unrectified(left, left_info, right, right_info):
    right_info.p[5] *= 1.05  # another fy, cy: rows of the two images do not correspond
    right_info.p[6] += 4.0
    return left, left_info, right, right_info


def _right_bayer(left, left_info, right, right_info):
    right.encoding, right.step = "bayer_rggb8", W
    return left, left_info, right, right_info


BAD_SETS = {"stereo_size": (_other_sizes, f"left image is {W}x{H} but the right one is {W // 2}x{H // 2}"),
            "baseline": (_zero_baseline, "baseline from the camera_info P matrices is zero"),
            "unrectified": (_unrectified, "differ in fy"),
            "encoding": (_right_bayer, "right image: ")}


@pytest.mark.parametrize("kind", sorted(BAD_SETS))
def test_bad_set_is_logged_once_and_the_next_set_works(nodes, probe, kind):
    proc = nodes[EXACT]
    make_bad, words = BAD_SETS[kind]
    stamps = send_bad(probe, EXACT, [make_bad(*good_set()) for _ in range(3)], kind, node=STEREO_NODE,
                      send=probe.send_stereo)
    good = probe.send_stereo(EXACT, *good_set(seed=1))
    wait_outputs(probe, EXACT, good, PER_FRAME)
    assert_nothing_for(probe, EXACT, stamps, PER_FRAME)
    lines = [line for line in proc.lines if f"bad input ({kind}):" in line]
    assert len(lines) == 1, lines
    assert words in lines[0] and " -- " in lines[0] and "skipped" in lines[0]
    assert proc.popen.poll() is None
