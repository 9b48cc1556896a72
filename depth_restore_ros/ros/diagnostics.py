"""Per-frame statistics of a depth node, published as diagnostic_msgs/DiagnosticArray at 1 Hz.

Why: a depth node that silently drops frames, or spends its time decoding instead of inferring,
looks the same as a healthy one in RViz. /diagnostics (rqt_robot_monitor, diagnostic_aggregator,
`ros2 topic echo`) shows the rate, where the time goes and what was dropped or rejected, with a
level that turns WARN when frames are dropped and ERROR when input was bad in the last window.

Times: `latency_*` is header stamp -> outputs published (what a consumer sees, camera and
transport included); `end_to_end_ms` is image callback entry -> last output published (this
node's own share); `<step>_ms` are per-step means over the window.
"""
import threading
import time

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

STEPS = ("decode", "preprocess", "inference", "postprocess", "cloud", "publish")
DROP_KEYS = ("dropped", "dropped_unsynced", "dropped_camera_info")  # a node may add keys of its own
UNSYNCED = "image(s) without a matching camera_info"  # what `dropped_unsynced` counts, in the WARN line


class FrameStats:
    """Counters and per-window sums, fed by the callback and worker threads, read by the timer."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self.frames_in = 0
        self.frames_out = 0
        self.errors = {}  # kind -> count since start
        self._drops_seen = dict.fromkeys(DROP_KEYS, 0)
        self._window_start = clock()
        self._reset_window()

    def _reset_window(self):
        self._w_out = 0
        self._w_errors = {}
        self._w_steps = dict.fromkeys(STEPS, 0.0)
        self._w_step_n = dict.fromkeys(STEPS, 0)
        self._w_latency = []
        self._w_e2e = []

    def image_received(self) -> None:
        with self._lock:
            self.frames_in += 1

    def error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            self._w_errors[kind] = self._w_errors.get(kind, 0) + 1

    def frame_done(self, steps: dict, end_to_end_s: float, latency_s: float) -> None:
        """One frame fully published; `steps` maps step name -> seconds (unknown names ignored)."""
        with self._lock:
            self.frames_out += 1
            self._w_out += 1
            for name, seconds in steps.items():
                if name in self._w_steps:
                    self._w_steps[name] += seconds
                    self._w_step_n[name] += 1
            self._w_e2e.append(end_to_end_s)
            self._w_latency.append(latency_s)

    def take_window(self, drops: dict) -> dict:
        """Summary of the window since the last call (then a new window starts).

        `drops` are the totals of DROP_KEYS (and of any other drop counter the node keeps) now,
        owned by the sync / slot objects; the window's share is their increase since the last call.
        """
        now = self._clock()
        with self._lock:
            span = max(now - self._window_start, 1e-9)
            lat, e2e = self._w_latency, self._w_e2e
            out = {
                "window_s": span,
                "rate_hz": self._w_out / span,
                "latency_mean_ms": 1e3 * sum(lat) / len(lat) if lat else 0.0,
                "latency_max_ms": 1e3 * max(lat) if lat else 0.0,
                "end_to_end_ms": 1e3 * sum(e2e) / len(e2e) if e2e else 0.0,
                "end_to_end_max_ms": 1e3 * max(e2e) if e2e else 0.0,
                "frames_in": self.frames_in,
                "frames_out": self.frames_out,
                "window_frames_out": self._w_out,
                "errors": dict(self.errors),
                "window_errors": dict(self._w_errors),
            }
            for name in STEPS:
                n = self._w_step_n[name]
                out[f"{name}_ms"] = 1e3 * self._w_steps[name] / n if n else 0.0
            out["drop_keys"] = DROP_KEYS + tuple(k for k in drops if k not in DROP_KEYS)
            for key in out["drop_keys"]:
                total = int(drops.get(key, 0))
                out[key] = total
                out[f"window_{key}"] = max(0, total - self._drops_seen.get(key, 0))
                self._drops_seen[key] = total
            self._window_start = now
            self._reset_window()
        return out


def build_status(name: str, hardware_id: str, window: dict, state: str, extra=(),
                 unsynced: str = UNSYNCED) -> DiagnosticStatus:
    """DiagnosticStatus of one window: level, a one-line message, and every number as a KeyValue.

    `unsynced` names what `dropped_unsynced` counts (the stereo node's are incomplete stereo sets).
    """
    w_err = window["window_errors"]
    w_drop, w_unsync = window["window_dropped"], window["window_dropped_unsynced"]
    if w_err:
        level = DiagnosticStatus.ERROR
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(w_err.items()))
        message = f"bad input in the last {window['window_s']:.1f} s ({kinds}): see the node's log"
    elif w_drop or w_unsync:
        level = DiagnosticStatus.WARN
        parts = []
        if w_drop:
            parts.append(f"{w_drop} frame(s) skipped, inference slower than the camera")
        if w_unsync:
            parts.append(f"{w_unsync} {unsynced}")
        message = "dropping frames: " + "; ".join(parts)
    else:
        level = DiagnosticStatus.OK
        message = (f"{state}, {window['rate_hz']:.1f} Hz" if window["window_frames_out"]
                   else f"{state}, no frames in the last {window['window_s']:.1f} s")
    values = [("state", state), *extra]
    for key in ("rate_hz", "latency_mean_ms", "latency_max_ms", "end_to_end_ms", "end_to_end_max_ms"):
        values.append((key, f"{window[key]:.2f}"))
    values += [("frames_in", window["frames_in"]), ("frames_out", window["frames_out"])]
    values += [(key, window[key]) for key in window.get("drop_keys", DROP_KEYS)]
    values.append(("errors", sum(window["errors"].values())))
    values += [(f"errors_{k}", n) for k, n in sorted(window["errors"].items())]
    values += [(f"{s}_ms", f"{window[f'{s}_ms']:.2f}") for s in STEPS]
    return DiagnosticStatus(level=level, name=name, message=message, hardware_id=hardware_id,
                            values=[KeyValue(key=str(k), value=str(v)) for k, v in values])


class DiagnosticsPublisher:
    """Publishes the node's status on the absolute /diagnostics every `period` seconds.

    An ordinary publisher, not a lifecycle one: an inactive or unconfigured node still says so.
    `drops_fn()` -> dict of drop totals (DROP_KEYS and the node's own); `info_fn()` -> (state,
    hardware_id, extra pairs); `unsynced` as in build_status.
    """

    def __init__(self, node, stats: FrameStats, drops_fn, info_fn, period: float = 1.0,
                 unsynced: str = UNSYNCED):
        self._node = node
        self._unsynced = unsynced
        self._stats = stats
        self._drops_fn = drops_fn
        self._info_fn = info_fn
        self.name = node.get_fully_qualified_name().lstrip("/") + ": depth"
        self._pub = node.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self._timer = node.create_timer(period, self.publish)

    def publish(self) -> None:
        state, hardware_id, extra = self._info_fn()
        window = self._stats.take_window(self._drops_fn())
        msg = DiagnosticArray()
        msg.header.stamp = self._node.get_clock().now().to_msg()
        msg.status = [build_status(self.name, hardware_id, window, state, extra, self._unsynced)]
        self._pub.publish(msg)

    def destroy(self) -> None:
        self._node.destroy_timer(self._timer)
        self._node.destroy_publisher(self._pub)
