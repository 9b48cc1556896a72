"""The node's small parts, without a ROS graph: error log, diagnostics, QoS, parameters."""
import pytest

rclpy = pytest.importorskip("rclpy")
from diagnostic_msgs.msg import DiagnosticStatus  # noqa: E402
from rclpy.parameter import Parameter  # noqa: E402
from rclpy.qos import ReliabilityPolicy  # noqa: E402

from depth_restore_ros.ros import params, qos  # noqa: E402
from depth_restore_ros.ros.diagnostics import STEPS, FrameStats, build_status  # noqa: E402
from depth_restore_ros.ros.error_log import InputErrorLog  # noqa: E402


class Lines:
    def __init__(self):
        self.lines = []

    def warning(self, text):
        self.lines.append(text)


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_error_log_once_per_kind_then_rate_limited_reminders():
    log, clock = Lines(), Clock()
    errors = InputErrorLog(log, reminder_s=10.0, clock=clock)
    assert errors.report("encoding", "unsupported 'bayer_rggb8'", "debayer first")
    assert not errors.report("encoding", "unsupported 'bayer_rggb8'")
    assert errors.report("truncated", "cut short")  # another kind: explained at once
    clock.t += 5
    assert not errors.report("encoding", "unsupported 'bayer_rggb8'")
    clock.t += 6
    assert errors.report("encoding", "unsupported 'bayer_gbrg8'")
    assert len(log.lines) == 3
    assert log.lines[0].startswith("bad input (encoding): unsupported 'bayer_rggb8' -- debayer first")
    assert "3 more since the last report, 4 in all" in log.lines[2] and "bayer_gbrg8" in log.lines[2]
    assert errors.counts == {"encoding": 4, "truncated": 1}
    assert " -- " in log.lines[1]  # kinds without a hint of their own get a default one


def window(stats, drops=None):
    totals = {"dropped": 0, "dropped_unsynced": 0, "dropped_camera_info": 0}
    return stats.take_window(dict(totals, **(drops or {})))


def test_frame_stats_window_and_levels():
    clock = Clock()
    stats = FrameStats(clock=clock)
    for _ in range(3):
        stats.image_received()
        stats.frame_done({s: 0.002 for s in STEPS}, end_to_end_s=0.030, latency_s=0.040)
    clock.t += 1.0
    w = window(stats)
    assert w["rate_hz"] == pytest.approx(3.0) and w["end_to_end_ms"] == pytest.approx(30.0)
    assert w["inference_ms"] == pytest.approx(2.0) and w["latency_max_ms"] == pytest.approx(40.0)
    status = build_status("n: depth", "m", w, "active", (("model", "m"),))
    assert status.level == DiagnosticStatus.OK
    values = {kv.key: kv.value for kv in status.values}
    for key in ("rate_hz", "latency_mean_ms", "end_to_end_ms", "frames_in", "frames_out", "dropped",
                "dropped_unsynced", "errors", "decode_ms", "cloud_ms", "publish_ms", "model", "state"):
        assert key in values

    clock.t += 1.0
    w = window(stats, {"dropped": 4})
    assert w["window_dropped"] == 4 and w["rate_hz"] == 0.0
    assert build_status("n", "m", w, "active").level == DiagnosticStatus.WARN
    clock.t += 1.0
    w = window(stats, {"dropped": 4})  # no new drops: OK again
    assert w["window_dropped"] == 0 and build_status("n", "m", w, "active").level == DiagnosticStatus.OK

    stats.error("encoding")
    w = window(stats, {"dropped": 4})
    status = build_status("n", "m", w, "active")
    assert status.level == DiagnosticStatus.ERROR and "encoding" in status.message
    assert {kv.key: kv.value for kv in status.values}["errors_encoding"] == "1"
    assert build_status("n", "m", window(stats, {"dropped": 4}), "active").level == DiagnosticStatus.OK


def test_qos_profiles():
    assert qos.profile("sensor_data").reliability == ReliabilityPolicy.BEST_EFFORT
    assert qos.profile("best_effort", 3).depth == 3
    assert qos.profile("reliable").reliability == ReliabilityPolicy.RELIABLE
    assert qos.describe(qos.profile("reliable", 7)) == "reliable, keep_last 7"
    with pytest.raises(ValueError, match="sensor_data"):
        qos.profile("fast")


def test_parameter_table_descriptors():
    by_name = {p.name: p for p in params.MONO}
    assert by_name["model"].descriptor().read_only and by_name["backend"].choices
    rng = by_name["max_depth"].descriptor().floating_point_range[0]
    assert (rng.from_value, rng.to_value) == (0.1, 1000.0)
    rng = by_name["num_samples"].descriptor().integer_range[0]
    assert (rng.from_value, rng.to_value) == (0, 32)
    assert all(p.description for p in params.MONO)
    assert params.check(params.MONO, {"transport": "udp"}, {})
    assert "max_depth" in params.check(params.MONO, {"min_depth": 5.0}, {"max_depth": 2.0})
    assert params.check(params.MONO, {"min_depth": 1.0}, {"max_depth": 2.0}) == ""


@pytest.fixture
def node():
    context = rclpy.Context()
    rclpy.init(context=context)
    n = rclpy.create_node("params_test", context=context,
                          parameter_overrides=[Parameter("max_depth", value=20.0)])
    try:
        yield n
    finally:
        n.destroy_node()
        rclpy.try_shutdown(context=context)


def test_declared_parameters_validate_changes_with_a_reason(node):
    values = params.declare(node, params.MONO)
    params.add_validator(node, params.MONO, values)
    assert values["max_depth"] == 20.0 and values["transport"] == "raw"
    ok = node.set_parameters([Parameter("min_depth", value=1.5)])[0]
    assert ok.successful and values["min_depth"] == 1.5
    bad = node.set_parameters([Parameter("min_depth", value=25.0)])[0]
    assert not bad.successful and "max_depth" in bad.reason and values["min_depth"] == 1.5
    assert not node.set_parameters([Parameter("num_samples", value=64)])[0].successful  # range
    assert not node.set_parameters([Parameter("model", value="other")])[0].successful  # read-only
    assert values["num_samples"] == 0 and values["model"] != "other"


def test_bad_override_is_refused_at_declaration():
    context = rclpy.Context()
    rclpy.init(context=context)
    n = rclpy.create_node("params_bad", context=context,
                          parameter_overrides=[Parameter("transport", value="udp")])
    try:
        with pytest.raises(ValueError, match="transport"):
            params.declare(n, params.MONO)
    finally:
        n.destroy_node()
        rclpy.try_shutdown(context=context)
