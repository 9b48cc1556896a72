"""DepthNode: what the mono and stereo depth nodes share, a lifecycle node around one Estimator.

The model loads in on_configure, topics open in on_activate, so a robot's launch can bring the
node up (and down) in step with its cameras. The subscription callbacks only match their inputs
by stamp (StampSync) and leave a complete set in a one-frame slot; one worker thread runs the
model on the newest set. A camera faster than the model costs dropped (and counted) frames,
never a growing queue or growing latency.

A subclass says what its inputs are: how many streams are matched (`STREAMS`), which
subscriptions feed them (`_subscribe`), and how a matched set becomes one frame (`_frame`).
Everything after that -- outputs, publishing, diagnostics, error logging -- is here.
"""
import threading
import time
from typing import NamedTuple

import rclpy
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from sensor_msgs.msg import CameraInfo, Image, PointCloud2

from ..core.errors import InputError
from ..core.sync import LatestSlot, StampSync
from . import depth_pipeline, params, qos
from .diagnostics import UNSYNCED, DiagnosticsPublisher, FrameStats
from .error_log import InputErrorLog
from .heap import keep_frames_in_heap
from .spin import spin_node

SUCCESS, FAILURE = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE


class Frame(NamedTuple):
    """One matched input set, ready for depth_pipeline.process."""

    image: object  # the image whose header every output carries
    info: object  # its camera_info
    received: float  # perf_counter() when the image arrived (end_to_end_ms starts here)
    predict_kwargs: dict = {}  # extra Estimator.predict arguments (the stereo node's aux_rgb, baseline_m)
    decode_s: float = 0.0  # time the subclass spent decoding (added to the "decode" step)


def _output_type(topic):
    if topic == "points":
        return PointCloud2
    if topic == "depth/camera_info":
        return CameraInfo
    if topic == "depth/estimate":
        from depth_restore_ros_msgs.msg import DepthEstimate
        return DepthEstimate
    return Image


def _transition(method):
    """rclpy turns an exception in a transition callback into ERROR without a word: log it."""
    def wrapper(self, state):
        try:
            return method(self, state)
        except Exception as exc:  # noqa: BLE001 -- reported, and the transition fails cleanly
            self.get_logger().error(f"{method.__name__} failed: {type(exc).__name__}: {exc}")
            if method.__name__ == "on_configure":
                self._teardown()  # back to unconfigured: nothing half-built left behind
            return FAILURE
    wrapper.__name__ = method.__name__
    return wrapper


class DepthNode(LifecycleNode):
    NODE_NAME = ""  # the default node name
    SPECS = ()  # params.Param table
    STREAMS = 2  # inputs matched by stamp; stream 0 is the image the outputs belong to
    DROP_STREAMS = {"dropped_unsynced": (0,), "dropped_camera_info": (1,)}  # diagnostics key -> streams
    UNSYNCED = UNSYNCED  # what dropped_unsynced counts, in words
    FIXED = {}  # values the frame sees for parameters this node does not declare

    def __init__(self, node_name=None, **kwargs):
        super().__init__(node_name or self.NODE_NAME, **kwargs)
        self.p = params.declare(self, self.SPECS)
        params.add_validator(self, self.SPECS, self.p)
        self.stats = FrameStats()
        self.input_errors = InputErrorLog(self.get_logger())
        self.internal_errors = InputErrorLog(self.get_logger(), label="processing error")
        self.state = "unconfigured"
        self.estimator = None
        self._pubs, self._subs = {}, []
        self._sync, self._slot, self._worker = None, None, None
        self._active = False
        self._publish_lock = threading.Lock()  # a deactivation never cuts a frame's outputs in half
        self._drop_base = dict.fromkeys(("dropped", *self.DROP_STREAMS), 0)  # of sync/slot objects freed
        self._diagnostics = DiagnosticsPublisher(self, self.stats, self._drops, self._diagnostics_info,
                                                 period=self.p["diagnostics_period"], unsynced=self.UNSYNCED)
        if self.p["autostart"] and self.trigger_configure() == SUCCESS:
            self.trigger_activate()

    # -- what a subclass defines -----------------------------------------------------------------
    def _subscribe(self, in_qos) -> list:
        """Create the input subscriptions (on_activate); returns them (their topics are logged)."""
        raise NotImplementedError

    def _frame(self, matched, p) -> Frame:
        """A matched set (stream order) -> Frame; raises InputError for input it cannot use."""
        raise NotImplementedError

    def _report_unsynced(self, index, msg):
        """A stream-0 message was dropped unmatched while `msg` arrived on stream `index`."""

    def _latest_streams(self) -> tuple:
        return ()

    def _sync_description(self) -> str:
        return (f"approximate sync {self.p['sync_tolerance']:g} s" if self.p["approximate_sync"]
                else "exact-stamp sync")

    # -- lifecycle -----------------------------------------------------------------------------
    @_transition
    def on_configure(self, state):
        p = self.p
        try:
            from .. import Estimator
            self.estimator = Estimator.from_pretrained(p["model"], backend=p["backend"],
                                                       tensorrt_options=params.tensorrt_options(p))
        except Exception as exc:  # noqa: BLE001 -- any load failure is a configure FAILURE
            self.get_logger().error(
                f"cannot load model '{p['model']}' (backend {p['backend']}): {type(exc).__name__}: {exc}"
                " -- set the `model` parameter to a shipped model name or a model folder")
            return FAILURE
        out_qos = qos.profile(p["output_qos"], p["output_qos_depth"])
        self._pubs = {t: self.create_lifecycle_publisher(_output_type(t), t, out_qos)
                      for t in depth_pipeline.enabled_topics(p)}
        self._sync = StampSync(self.STREAMS, approximate=p["approximate_sync"],
                               tolerance_ns=int(round(p["sync_tolerance"] * 1e9)),
                               queue_size=p["queue_size"], latest_streams=self._latest_streams())
        self._slot = LatestSlot()
        self._worker = threading.Thread(target=self._work, args=(self._slot,), name="depth-worker",
                                        daemon=True)
        self._worker.start()
        self.state = "inactive"
        self.get_logger().info(f"configured: model {self.estimator.name} on {self.estimator.backend_name}, "
                               f"outputs {', '.join(self._pubs)} ({qos.describe(out_qos)})")
        return super().on_configure(state)

    @_transition
    def on_activate(self, state):
        in_qos = qos.profile(self.p["input_qos"], self.p["input_qos_depth"])
        self._subs = self._subscribe(in_qos)
        result = super().on_activate(state)  # enables the lifecycle publishers
        self._active = True
        self.state = "active"
        inputs = " + ".join(sub.topic_name for sub in self._subs)
        self.get_logger().info(f"active: {inputs} ({self._sync_description()}, {qos.describe(in_qos)}) -> "
                               f"{self.get_namespace().rstrip('/')}/depth/...")
        return result

    @_transition
    def on_deactivate(self, state):
        self._stop_input()
        self.state = "inactive"
        self.get_logger().info("inactive: input ignored until activated again")
        return super().on_deactivate(state)

    @_transition
    def on_cleanup(self, state):
        self._teardown()
        self.input_errors.reset()
        self.state = "unconfigured"
        self.get_logger().info("cleaned up: model and publishers released")
        return super().on_cleanup(state)

    @_transition
    def on_shutdown(self, state):
        self._teardown()
        self.state = "finalized"
        return super().on_shutdown(state)

    def on_error(self, state):
        self._teardown()
        self.state = "unconfigured"
        return SUCCESS

    def _stop_input(self):
        """No more frames in, none out: the next frame after activation is a fresh one."""
        with self._publish_lock:
            self._active = False
        for sub in self._subs:
            self.destroy_subscription(sub)
        self._subs = []
        if self._sync is not None:
            self._sync.clear()
        if self._slot is not None and self._slot.take(0) is not None:
            self._drop_base["dropped"] += 1

    def _teardown(self):
        self._stop_input()
        if self._slot is not None:
            self._slot.close()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=10.0)
        for key, value in self._drops().items():
            self._drop_base[key] = value
        self._sync, self._slot, self._worker = None, None, None
        for pub in self._pubs.values():
            self.destroy_lifecycle_publisher(pub)
        self._pubs = {}
        self.estimator = None

    # -- input (executor thread: never blocks on inference) ----------------------------------------
    def _offer(self, index, msg, item):
        """Give stream `index`'s message to the sync (call only while active); a complete set goes
        to the worker's slot."""
        sync = self._sync
        before = sync.dropped[0]
        matched = sync.add(index, depth_pipeline.stamp_ns(msg.header.stamp), item)
        if sync.dropped[0] > before:
            self._report_unsynced(index, msg)
        if matched is not None:
            self._slot.put(matched)

    # -- worker thread ---------------------------------------------------------------------------
    def _work(self, slot):
        while True:
            matched = slot.take(timeout=0.5)
            if matched is None:
                if slot.closed:
                    return
                continue
            try:
                self._process(matched)
            except Exception as exc:  # noqa: BLE001 -- the worker must outlive any one frame
                if not rclpy.ok(context=self.context):
                    return
                self.stats.error("internal")
                self.internal_errors.report("internal", f"{type(exc).__name__}: {exc}",
                                         "a bug or an unusable model output: please report it with this line")

    def _frame_params(self) -> dict:
        """One consistent set of parameters for a whole frame."""
        return {**self.p, **self.FIXED}

    def _process(self, matched):
        p = self._frame_params()
        # lazy outputs: nobody listening to the cloud (or the estimate...) means it is not built
        wanted = [topic for topic, pub in self._pubs.items() if pub.get_subscription_count() > 0]
        try:
            frame = self._frame(matched, p)
            outputs, timings = depth_pipeline.process(
                self.estimator, frame.image, frame.info, p, compressed=p["transport"] == "compressed",
                wanted=wanted, **frame.predict_kwargs)
        except InputError as err:
            self.stats.error(err.kind)
            self.input_errors.report_error(err)
            return
        timings["decode"] += frame.decode_s
        t0 = time.perf_counter()
        with self._publish_lock:
            if not self._active:
                return
            for topic, msg in outputs:
                self._pubs[topic].publish(msg)
        done = time.perf_counter()
        timings["publish"] = done - t0
        age_ns = self.get_clock().now().nanoseconds - depth_pipeline.stamp_ns(frame.image.header.stamp)
        self.stats.frame_done(timings, done - frame.received, age_ns * 1e-9)

    # -- diagnostics -----------------------------------------------------------------------------
    def _drops(self):
        sync, slot, base = self._sync, self._slot, self._drop_base
        if sync is None or slot is None:
            return dict(base)
        drops = {"dropped": base["dropped"] + slot.dropped}
        for key, streams in self.DROP_STREAMS.items():
            drops[key] = base[key] + sum(sync.dropped[i] for i in streams)
        return drops

    def _diagnostics_info(self):
        est = self.estimator
        model = est.name if est is not None else str(self.p["model"])
        extra = (("model", model), ("backend", est.backend_name if est is not None else "-"),
                 ("transport", self._frame_params()["transport"]))
        return self.state, model, extra


def run(node_class, args=None):
    """A console script's main(): spin one `node_class` in this process; the exit code."""
    keep_frames_in_heap()

    def release(node):
        node._teardown()
        node.destroy_node()

    return spin_node(node_class, node_class.NODE_NAME, args, release)
