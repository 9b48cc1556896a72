"""Checks of what tools/setup_env.sh builds: the message package, DDS between processes, the
library's import hygiene and the packaging metadata. Real rclpy, real Fast DDS, no mocks."""
import json
import os
import random
import select
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_PY = ROOT / ".venv" / "bin" / "python"
PY = str(VENV_PY) if VENV_PY.exists() else sys.executable

EXPECTED_FIELDS = {
    "header": "std_msgs/Header",
    "depth": "sensor_msgs/Image",
    "uncertainty": "sensor_msgs/Image",
    "camera_info": "sensor_msgs/CameraInfo",
    "model_name": "string",
    "inference_time": "float",
    "num_samples": "uint32",
}


def ros_env():
    """Environment for child processes: keep the DDS traffic of this run to itself."""
    env = dict(os.environ)
    env.setdefault("ROS_DOMAIN_ID", str(random.randint(1, 100)))
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    return env


def read_line(proc, timeout):
    """One line of a child's stdout, or '' if none comes within `timeout` seconds."""
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


def test_depth_estimate_message_fields():
    from depth_restore_ros_msgs.msg import DepthEstimate

    assert DepthEstimate.get_fields_and_field_types() == EXPECTED_FIELDS
    msg = DepthEstimate(model_name="mono-small", inference_time=0.012, num_samples=4)
    msg.header.frame_id = "camera_optical_frame"
    msg.depth.encoding = "32FC1"
    msg.camera_info.k = [500.0, 0.0, 320.0, 0.0, 500.0, 240.0, 0.0, 0.0, 1.0]
    assert msg.num_samples == 4 and msg.model_name == "mono-small"
    assert abs(msg.inference_time - 0.012) < 1e-6
    # Field checks are off by default since Kilted (ROS_PYTHON_CHECK_FIELDS); ask for them.
    checked = DepthEstimate(check_fields=True)
    with pytest.raises(AssertionError):
        checked.num_samples = -1  # uint32


# Subscriber: prints READY once its subscription exists, then the first message it gets, as JSON.
SUBSCRIBER = r"""
import json, math, struct, sys, time
import rclpy
from depth_restore_ros_msgs.msg import DepthEstimate
topic, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
rclpy.init()
node = rclpy.create_node("test_setup_sub")
got = []
node.create_subscription(DepthEstimate, topic, got.append, 10)
print("READY", flush=True)
while not got and time.monotonic() < deadline:
    rclpy.spin_once(node, timeout_sec=0.05)
if not got:
    sys.exit("no DepthEstimate received before the deadline")
m = got[0]
depth = struct.unpack("<%df" % (m.depth.width * m.depth.height), bytes(m.depth.data))
print(json.dumps({
    "stamp": [m.header.stamp.sec, m.header.stamp.nanosec], "frame_id": m.header.frame_id,
    "depth_shape": [m.depth.height, m.depth.width], "encoding": m.depth.encoding,
    "depth": [None if math.isnan(v) else v for v in depth],
    "unc_encoding": m.uncertainty.encoding, "k": list(m.camera_info.k),
    "model_name": m.model_name, "inference_time": m.inference_time, "num_samples": m.num_samples,
}), flush=True)
node.destroy_node()
rclpy.shutdown()
"""

# Publisher: waits until a subscriber is matched, then publishes every 50 ms (reliable QoS can
# still drop what goes out before the other side has matched us) until the test stops it.
PUBLISHER = r"""
import math, struct, sys, time
import rclpy
from depth_restore_ros_msgs.msg import DepthEstimate
topic, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
rclpy.init()
node = rclpy.create_node("test_setup_pub")
pub = node.create_publisher(DepthEstimate, topic, 10)
while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
    rclpy.spin_once(node, timeout_sec=0.05)
msg = DepthEstimate(model_name="mono-small", inference_time=0.0125, num_samples=8)
msg.header.stamp.sec, msg.header.stamp.nanosec = 1700000000, 123456789
msg.header.frame_id = "camera_optical_frame"
for img in (msg.depth, msg.uncertainty):
    img.header = msg.header
    img.height, img.width, img.encoding, img.step = 2, 3, "32FC1", 12
msg.depth.data = struct.pack("<6f", 1.0, 2.5, float("nan"), 4.0, 5.0, 6.25)
msg.uncertainty.data = struct.pack("<6f", 0.1, 0.2, float("nan"), 0.4, 0.5, 0.6)
msg.camera_info.height, msg.camera_info.width = 2, 3
msg.camera_info.k = [2.0, 0.0, 1.5, 0.0, 2.0, 1.0, 0.0, 0.0, 1.0]
while time.monotonic() < deadline:
    pub.publish(msg)
    rclpy.spin_once(node, timeout_sec=0.05)
"""


def test_depth_estimate_crosses_processes_over_dds():
    topic = "/test_setup/estimate_" + uuid.uuid4().hex[:8]
    env, budget = ros_env(), 15.0
    sub = subprocess.Popen([PY, "-c", SUBSCRIBER, topic, str(budget)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pub = None
    try:
        # Start the publisher once the subscriber is up, so its wait for a match is meaningful.
        if read_line(sub, budget).strip() != "READY":
            sub.kill()
            pytest.fail(f"subscriber did not start: {sub.communicate()[1]}")
        pub = subprocess.Popen([PY, "-c", PUBLISHER, topic, str(budget)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        out, err = sub.communicate(timeout=budget + 5)
        assert sub.returncode == 0, f"subscriber failed: {err}"
    finally:
        for proc in (sub, pub):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    got = json.loads(out.strip().splitlines()[-1])
    assert got["stamp"] == [1700000000, 123456789]
    assert got["frame_id"] == "camera_optical_frame"
    assert got["depth_shape"] == [2, 3] and got["encoding"] == "32FC1"
    assert got["unc_encoding"] == "32FC1"
    assert got["depth"] == [1.0, 2.5, None, 4.0, 5.0, 6.25]  # NaN (invalid) survives the trip
    assert got["k"] == [2.0, 0.0, 1.5, 0.0, 2.0, 1.0, 0.0, 0.0, 1.0]
    assert got["model_name"] == "mono-small" and got["num_samples"] == 8
    assert abs(got["inference_time"] - 0.0125) < 1e-7


def test_library_import_loads_neither_torch_nor_rclpy():
    # A fresh interpreter: this pytest process may already have imported both.
    code = ("import json, sys, depth_restore_ros; "
            "print(json.dumps([m for m in ('torch', 'rclpy') if m in sys.modules]))")
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_console_scripts_and_ros_layout_installed():
    bin_dir = Path(PY).parent
    for script in ("mono_depth_node", "stereo_depth_node", "camera_source_node",
                   "depth_recorder_node", "depth-restore"):
        assert (bin_dir / script).is_file(), f"{script} missing from {bin_dir}"
    prefix = Path(PY).parents[1]
    index = prefix / "share" / "ament_index" / "resource_index" / "packages"
    assert (index / "depth_restore_ros").exists()
    assert (index / "depth_restore_ros_msgs").exists()
    assert (prefix / "share" / "depth_restore_ros" / "package.xml").exists()


def test_package_manifests_parse():
    # catkin_pkg is what colcon/ament use; it rejects e.g. malformed maintainer e-mails.
    from catkin_pkg.package import parse_package

    pkg = parse_package(str(ROOT / "package.xml"))
    assert pkg.package_format == 3 and pkg.name == "depth_restore_ros"
    assert pkg.get_build_type() == "ament_python"
    deps = {d.name for d in pkg.build_depends + pkg.exec_depends}
    assert {"rclpy", "depth_restore_ros_msgs", "sensor_msgs", "std_msgs"} <= deps
    msgs = parse_package(str(ROOT / "msg" / "package.xml"))
    assert msgs.package_format == 3 and msgs.name == "depth_restore_ros_msgs"
    assert msgs.get_build_type() == "ament_cmake"
    assert "rosidl_interface_packages" in [g.name for g in msgs.member_of_groups]
