"""The demo graph over DDS, as separate processes, and the process runner under it.

A short `depth-restore demo` (camera source -> mono node -> recorder) runs once for the module;
its bag is then read back here with rosbags, independently of the demo's own check: every frame
the node processed must have depth, uncertainty, cloud and camera_info, each stamped like its
input image. The runner's own tests use tiny Python processes, no ROS.
"""
import json
import signal
import time

import pytest

from depth_restore_ros.graph import Graph, GraphError, NodeSpec

pytest.importorskip("rclpy")
pytest.importorskip("rosbags")
FRAMES, WIDTH, HEIGHT, NS = 6, 640, 480, "test_demo"
PER_FRAME = ["depth/image", "depth/uncertainty", "points", "depth/camera_info", "depth/estimate"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from depth_restore_ros import cli
    out = tmp_path_factory.mktemp("demo")
    t0 = time.monotonic()
    code = cli.main(["demo", "--out", str(out), "--frames", str(FRAMES), "--rate", "5", "--png-every", "2",
                     "--namespace", NS, "--no-progress", "--timeout", "50"])
    return out, code, time.monotonic() - t0


@pytest.fixture(scope="module")
def bag(demo):
    """{topic: [(stamp_ns, message)]} read with rosbags and the bag's own type definitions."""
    from rosbags.rosbag2 import Reader
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore
    store, out = get_typestore(Stores.EMPTY), {}
    with Reader(demo[0] / "bag") as reader:
        for conn in reader.connections:  # self-describing: no ROS install, no package typestore
            store.register(get_types_from_msg(conn.msgdef.data, conn.msgtype))
        for conn, _, raw in reader.messages():
            msg = store.deserialize_cdr(raw, conn.msgtype)
            out.setdefault(conn.topic.removeprefix(f"/{NS}/"), []).append(
                (msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec, msg))
    return out


@pytest.mark.slow
def test_demo_ends_by_itself_with_its_outputs(demo):
    out, code, seconds = demo
    logs = {log.name: log.read_text()[-1500:] for log in (out / "logs").glob("*.log")}
    assert code == 0, logs
    assert seconds < 60
    summary = json.loads((out / "summary.json").read_text())
    assert summary["frames_sent"] == FRAMES
    assert 1 <= summary["frames_with_depth"] <= FRAMES
    assert summary["bag_verified"], summary["bag_problems"]
    assert 0 < summary["latency_mean_ms"] <= summary["latency_max_ms"]
    assert summary["png_files"] >= 1 and len(list((out / "png").glob("frame_*.png"))) == summary["png_files"]


@pytest.mark.slow
def test_every_processed_frame_has_all_outputs_stamped_like_its_input(bag):
    sent = {stamp for stamp, _ in bag["image"]}
    assert len(sent) == FRAMES  # reliable camera -> recorder: every frame recorded
    processed = {stamp for stamp, _ in bag["depth/image"]}
    assert processed and processed <= sent
    for topic in PER_FRAME:
        stamps = [stamp for stamp, _ in bag[topic]]
        assert len(stamps) == len(set(stamps)), f"{topic}: a frame published twice"
        assert set(stamps) == processed, topic


@pytest.mark.slow
def test_outputs_are_metric_full_resolution_and_in_the_optical_frame(bag):
    info_in = {stamp: msg for stamp, msg in bag["camera_info"]}
    for stamp, depth in bag["depth/image"]:
        assert (depth.encoding, depth.width, depth.height) == ("32FC1", WIDTH, HEIGHT)
        assert depth.header.frame_id == "camera_optical_frame"
    for stamp, info in bag["depth/camera_info"]:
        assert list(info.k) == list(info_in[stamp].k)  # decimation 1: the input's intrinsics
    for _, cloud in bag["points"]:
        assert (cloud.width, cloud.height) == (WIDTH, HEIGHT)
        assert {"x", "y", "z", "rgb"} <= {f.name for f in cloud.fields}
    for _, est in bag["depth/estimate"]:
        assert est.model_name and est.depth.encoding == "32FC1"


# --- the process runner ----------------------------------------------------------------------------

def _module(tmp_path, name, body):
    (tmp_path / f"{name}.py").write_text(body)
    return name


def _graph(tmp_path):
    graph = Graph(tmp_path / "logs")
    graph.env["PYTHONPATH"] = f"{tmp_path}:{graph.env['PYTHONPATH']}"
    return graph


def test_node_command_is_what_ros2_launch_builds():
    spec = NodeSpec("m", "pkg.mod", namespace="front", params_file="/p.yaml", remaps={"image": "/cam/image"},
                    params={"model": "mono-small", "rate_hz": 5.0, "loop": False, "topics": ["a", "b"]})
    cmd = spec.command()
    assert cmd[1:5] == ["-m", "pkg.mod", "--ros-args", "-r"]
    assert " ".join(cmd[4:]) == ("-r __ns:=/front --params-file /p.yaml -r image:=/cam/image -p model:=mono-small "
                                 "-p rate_hz:=5.0 -p loop:=false -p topics:=[a, b]")


def test_stop_escalates_when_sigint_is_ignored(tmp_path):
    stubborn = _module(tmp_path, "stubborn", "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                       "print('up', flush=True)\ntime.sleep(60)\n")
    deaf = _module(tmp_path, "deaf", "import signal, time\nfor s in (signal.SIGINT, signal.SIGTERM):\n"
                   "    signal.signal(s, signal.SIG_IGN)\nprint('up', flush=True)\ntime.sleep(60)\n")
    with _graph(tmp_path) as graph:
        for name in (stubborn, deaf):
            graph.start(NodeSpec(name, name)).wait_for_line("^up$", 10)
        t0 = time.monotonic()
        codes = graph.stop(sigint_s=0.3, sigterm_s=0.3)
    assert codes == {stubborn: -signal.SIGTERM, deaf: -signal.SIGKILL}
    assert time.monotonic() - t0 < 5


def test_waiting_on_a_dead_node_says_why(tmp_path):
    crash = _module(tmp_path, "crash", "import sys\nprint('loading model failed: no such file')\nsys.exit(3)\n")
    with _graph(tmp_path) as graph:
        proc = graph.start(NodeSpec("crash", crash))
        with pytest.raises(GraphError, match=r"(?s)exited with code 3.*no such file"):
            proc.wait_for_line("ready", 10)
        assert "no such file" in (tmp_path / "logs" / "crash.log").read_text()
        with pytest.raises(GraphError, match="crash exited"):
            graph.check_alive()


def test_graphs_running_together_get_different_domains(tmp_path):
    with Graph(tmp_path / "a") as a, Graph(tmp_path / "b") as b:
        assert a.domain_id != b.domain_id
        assert a.env["ROS_DOMAIN_ID"] == str(a.domain_id)
