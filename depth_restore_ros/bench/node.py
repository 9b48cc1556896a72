"""Node benchmark: what the ROS node costs on top of the model, measured from outside the node.

The mono node runs in its own process (as on a robot) and is fed by a probe in this process that
sends the next frame only after the previous depth came back, never faster than `rate_hz`: the
node is below its capacity, nothing queues or drops, and latency is the node's own, not a queue's.
Reported: model-only latency (bench.model), the node's end-to-end and per-step means from its
/diagnostics, their ratio, the node process' peak RSS, and the time from spawning the process to
the first depth image (model load, lifecycle transitions, DDS discovery: what a robot waits).
"""
import os
import platform
import time
from pathlib import Path

from ..graph import Graph, NodeSpec, share_file
from .model import bench_model, load_frames, stats_ms

STEPS = ("decode", "preprocess", "inference", "postprocess", "cloud", "publish")
NAMESPACE = "bench"
MONO_MODULE = "depth_restore_ros.ros.mono_node"
# The heaviest standard output: depth, uncertainty, DepthEstimate and an XYZRGB cloud of every pixel.
NODE_FULL_RES_CLOUD = {"output_decimation": 1, "publish_points": True, "cloud_rgb": True,
                       "cloud_decimation": 1, "publish_uncertainty": True, "publish_estimate": True,
                       "publish_colorized": False}


class Probe:
    """Publishes image + camera_info and listens to depth/image and /diagnostics, in its own context."""

    def __init__(self, graph: Graph, frames, frame_id="camera_optical_frame"):
        import rclpy
        from diagnostic_msgs.msg import DiagnosticArray
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from sensor_msgs.msg import CameraInfo, Image
        from std_msgs.msg import Header

        from ..ros.camera_source import camera_info
        from ..ros.convert import array_to_image

        os.environ.update(graph.ros_env())  # discovery range is read from the environment
        self.rclpy = rclpy
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=graph.domain_id)
        self.node = rclpy.create_node("bench_probe", namespace=NAMESPACE, context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.image_pub = self.node.create_publisher(Image, "image", qos)
        self.info_pub = self.node.create_publisher(CameraInfo, "camera_info", qos)
        self.node.create_subscription(Image, "depth/image", self._on_depth, qos)
        # listen to every output like a full consumer (RViz + planner): the node builds only what is
        # subscribed, and the benchmark must pay for the full-resolution cloud and the estimate
        from depth_restore_ros_msgs.msg import DepthEstimate
        from sensor_msgs.msg import PointCloud2
        self.extra = {}
        for topic, kind in (("depth/uncertainty", Image), ("depth/camera_info", CameraInfo),
                            ("depth/estimate", DepthEstimate), ("points", PointCloud2)):
            self.node.create_subscription(kind, topic, lambda msg, t=topic: self._count(t), qos)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self.messages = []
        for rgb, intrinsics in frames:  # encode once: publishing must not cost the probe time
            header = Header(frame_id=frame_id)
            self.messages.append((array_to_image(rgb, "rgb8", header),
                                  camera_info(intrinsics, rgb.shape[1], rgb.shape[0], header)))
        self.sent = {}         # stamp ns -> index
        self.received = {}     # stamp ns -> (monotonic s, latency s)
        self.first_depth_at = None
        self.diagnostics = []  # (monotonic s, {key: value}) of the mono node's status

    def _on_depth(self, msg):
        now_m, now_ns = time.monotonic(), time.time_ns()
        stamp = msg.header.stamp.sec * 10**9 + msg.header.stamp.nanosec
        self.first_depth_at = self.first_depth_at or now_m
        self.received[stamp] = (now_m, (now_ns - stamp) * 1e-9)

    def _count(self, topic):
        self.extra[topic] = self.extra.get(topic, 0) + 1

    def _on_diagnostics(self, msg):
        for status in msg.status:
            if "mono_depth_node" in status.name:
                self.diagnostics.append((time.monotonic(), {kv.key: kv.value for kv in status.values}))

    def publish(self, index: int) -> int:
        image, info = self.messages[index % len(self.messages)]
        stamp = self.node.get_clock().now().to_msg()
        image.header.stamp = info.header.stamp = stamp
        self.info_pub.publish(info)
        self.image_pub.publish(image)
        key = stamp.sec * 10**9 + stamp.nanosec
        self.sent[key] = index
        return key

    def spin_until(self, condition, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.executor.spin_once(timeout_sec=min(left, 0.02))
        return True

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()
        self.rclpy.try_shutdown(context=self.context)


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def diagnostics_over(reports, since: float) -> dict:
    """Frame-weighted means of the node's per-window diagnostics for the frames after `since`.

    The node publishes means over 1 s windows; a window's frame count is the increase of the
    cumulative frames_out. Windows that began after `since` hold only measured frames; a short
    run may have none, and then windows that ended after `since` are used.
    """
    windows = []  # (start, end, frames, values)
    for (t_prev, prev), (t, cur) in zip(reports, reports[1:]):
        n = (_number(cur.get("frames_out")) or 0) - (_number(prev.get("frames_out")) or 0)
        if n > 0:
            windows.append((t_prev, t, n, cur))
    chosen = [w for w in windows if w[0] >= since] or [w for w in windows if w[1] > since]
    total = sum(w[2] for w in chosen)
    if not total:
        return {}
    keys = ["end_to_end_ms"] + [f"{step}_ms" for step in STEPS]
    out = {k: round(sum(w[2] * (_number(w[3].get(k)) or 0.0) for w in chosen) / total, 2) for k in keys}
    last = reports[-1][1]
    out.update(frames_averaged=int(total), windows=len(chosen),
               end_to_end_max_ms=max(_number(w[3].get("end_to_end_max_ms")) or 0.0 for w in chosen),
               **{k: int(_number(last.get(k)) or 0) for k in ("frames_in", "frames_out", "dropped",
                                                               "dropped_unsynced", "errors")})
    return out


def run_node_bench(model: str, width=640, height=480, frames=30, warmup=5, rate_hz=5.0, backend="auto",
                   log_dir="out/bench/logs", params_file=None, startup_timeout=60.0) -> dict:
    """The whole benchmark; returns the JSON-ready dict (see module docstring)."""
    images = load_frames(width, height, min(frames + warmup, 20))
    model_result = bench_model(model, backend, images, iterations=frames)
    overrides = {"model": model, "backend": backend, **NODE_FULL_RES_CLOUD}
    params_file = Path(params_file) if params_file else share_file("config/mono.yaml")
    with Graph(log_dir) as graph:
        probe = Probe(graph, images)
        try:
            proc = graph.start(NodeSpec("mono", MONO_MODULE, NAMESPACE, params_file=params_file,
                                        params=overrides))
            # Start-up: a frame every 50 ms until the first depth comes back (the resolution of
            # time_to_first_depth_s; frames sent before the node subscribes are simply lost).
            index = 0
            deadline = time.monotonic() + startup_timeout
            while probe.first_depth_at is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no depth within {startup_timeout:.0f} s of starting the node; "
                                       f"log: {proc.log_path}\n{proc.tail()}")
                graph.check_alive()
                probe.publish(index)
                index += 1
                probe.spin_until(lambda: probe.first_depth_at is not None, 0.05)
            startup_s = probe.first_depth_at - proc.spawned_at
            probe.spin_until(lambda: False, 0.5)  # let frames queued at start-up drain
            measured, period = [], 1.0 / rate_hz
            measure_start = None
            for i in range(warmup + frames):  # lock-step, at most rate_hz
                t0 = time.monotonic()
                if i == warmup:
                    measure_start = t0
                stamp = probe.publish(index + i)
                if not probe.spin_until(lambda: stamp in probe.received, 3.0):
                    graph.check_alive()  # lost (counted below) unless the node died
                if i >= warmup:
                    measured.append(stamp)
                probe.spin_until(lambda: False, max(0.0, period - (time.monotonic() - t0)))
            # The node's diagnostics cover a window; wait for one published after the last frame.
            last = time.monotonic()
            probe.spin_until(lambda: probe.diagnostics and probe.diagnostics[-1][0] > last + 0.05, 3.0)
            peak_rss = proc.peak_rss_mb()
        finally:
            probe.close()
    diag = diagnostics_over(probe.diagnostics, measure_start)
    got = [probe.received[s][1] for s in measured if s in probe.received]
    e2e = diag.get("end_to_end_ms")
    result = {
        "mode": "node",
        **{k: model_result[k] for k in ("model", "backend", "model_ms", "predict_ms")},
        "resolution": [width, height],
        "point_cloud": "XYZRGB, full resolution",
        "frames": frames,
        "node_end_to_end_ms": e2e,
        "overhead_ratio": round(e2e / model_result["model_ms"], 3) if e2e and model_result["model_ms"] else None,
        "steps_ms": {step: diag.get(f"{step}_ms") for step in STEPS},
        "observed_latency_ms": stats_ms(got),  # stamp -> probe callback: includes DDS transport
        "frames_received": len(got),
        "other_outputs_received": dict(probe.extra),
        "frames_dropped": len(measured) - len(got),
        "peak_rss_mb": round(peak_rss, 1) if peak_rss else None,
        "time_to_first_depth_s": round(startup_s, 3),
        "rate_hz": rate_hz,
        "model_only": model_result["model_only"],
        "node_diagnostics": diag,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
    }
    return result
