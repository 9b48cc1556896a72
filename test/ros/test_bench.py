"""`depth-restore bench node`: a short run gives JSON with every key and sane values.

No timing thresholds: machines differ. What must hold anywhere: the numbers exist, are positive,
and relate as they should (the node's steps fit in its end-to-end time, nothing was dropped at a
rate below capacity, the ratio is end-to-end over model time).
"""
import json

import pytest

pytest.importorskip("rclpy")
STEPS = {"decode", "preprocess", "inference", "postprocess", "cloud", "publish"}
KEYS = {"mode", "model", "backend", "model_ms", "predict_ms", "resolution", "point_cloud", "frames",
        "node_end_to_end_ms", "overhead_ratio", "steps_ms", "observed_latency_ms", "frames_received",
        "frames_dropped", "peak_rss_mb", "time_to_first_depth_s", "rate_hz", "model_only",
        "node_diagnostics", "machine"}


@pytest.mark.slow
def test_bench_node_short_run(tmp_path, capsys):
    from depth_restore_ros import cli
    path = tmp_path / "bench" / "node.json"
    code = cli.main(["bench", "node", "--frames", "6", "--warmup", "2", "--rate", "5", "--json", str(path),
                     "--log-dir", str(tmp_path / "logs")])
    assert code == 0
    result = json.loads(path.read_text())
    assert json.loads(capsys.readouterr().out) == result  # printed and written alike
    assert KEYS <= set(result), KEYS - set(result)
    assert result["mode"] == "node" and result["resolution"] == [640, 480]
    assert 0 < result["model_ms"] <= result["predict_ms"]
    # Lock-step below capacity drops nothing by design; a frame lost in transport is counted, not hidden.
    assert result["frames_received"] + result["frames_dropped"] == 6 and result["frames_received"] >= 4
    e2e = result["node_end_to_end_ms"]
    assert e2e > 0
    assert result["overhead_ratio"] == pytest.approx(e2e / result["model_ms"], rel=1e-2)
    steps = result["steps_ms"]
    assert set(steps) == STEPS and all(v is not None and v >= 0 for v in steps.values())
    assert steps["inference"] > 0 and steps["cloud"] > 0  # the full-resolution cloud was built
    assert sum(steps.values()) <= e2e * 1.05 + 0.5  # the steps are parts of the end-to-end time
    assert result["observed_latency_ms"]["mean"] > 0
    assert result["peak_rss_mb"] > 50  # a Python process with a model: not the probe's own RSS
    assert 0 < result["time_to_first_depth_s"] < 60
    assert result["node_diagnostics"]["frames_out"] >= result["frames_received"]
