"""mono_depth_node: image + camera_info in, metric depth, uncertainty and a point cloud out.

A lifecycle node: the model loads in on_configure, topics open in on_activate, so a robot's
launch can bring the node up (and down) in step with its camera. The subscription callbacks only
pair image and camera_info by stamp and leave the pair in a one-frame slot; one worker thread
runs the model on the newest pair. A camera faster than the model costs dropped (and counted)
frames, never a growing queue or growing latency.

    python -m depth_restore_ros.ros.mono_node --ros-args -r image:=/camera/image_raw \
        -r camera_info:=/camera/camera_info -p publish_colorized:=true
"""
import sys
import threading
import time

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2

from ..core.errors import InputError
from ..core.sync import LatestSlot, StampSync
from . import depth_pipeline, params, qos
from .diagnostics import DROP_KEYS, DiagnosticsPublisher, FrameStats
from .error_log import InputErrorLog
from .heap import keep_frames_in_heap

SUCCESS, FAILURE = TransitionCallbackReturn.SUCCESS, TransitionCallbackReturn.FAILURE


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


class MonoDepthNode(LifecycleNode):
    SPECS = params.MONO

    def __init__(self, node_name="mono_depth_node", **kwargs):
        super().__init__(node_name, **kwargs)
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
        self._drop_base = dict.fromkeys(DROP_KEYS, 0)  # counts of sync/slot objects already freed
        self._diagnostics = DiagnosticsPublisher(self, self.stats, self._drops, self._diagnostics_info,
                                                 period=self.p["diagnostics_period"])
        if self.p["autostart"] and self.trigger_configure() == SUCCESS:
            self.trigger_activate()

    # -- lifecycle -----------------------------------------------------------------------------
    @_transition
    def on_configure(self, state):
        p = self.p
        try:
            from .. import Estimator
            self.estimator = Estimator.from_pretrained(p["model"], backend=p["backend"])
        except Exception as exc:  # noqa: BLE001 -- any load failure is a configure FAILURE
            self.get_logger().error(
                f"cannot load model '{p['model']}' (backend {p['backend']}): {type(exc).__name__}: {exc}"
                " -- set the `model` parameter to a shipped model name or a model folder")
            return FAILURE
        out_qos = qos.profile(p["output_qos"], p["output_qos_depth"])
        self._pubs = {t: self.create_lifecycle_publisher(_output_type(t), t, out_qos)
                      for t in depth_pipeline.enabled_topics(p)}
        self._sync = StampSync(2, approximate=p["approximate_sync"],
                               tolerance_ns=int(round(p["sync_tolerance"] * 1e9)),
                               queue_size=p["queue_size"],
                               latest_streams=(1,) if p["use_latest_camera_info"] else ())
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
        p = self.p
        in_qos = qos.profile(p["input_qos"], p["input_qos_depth"])
        if p["transport"] == "compressed":
            image_sub = self.create_subscription(CompressedImage, "image/compressed", self._on_image, in_qos)
        else:
            image_sub = self.create_subscription(Image, "image", self._on_image, in_qos)
        info_sub = self.create_subscription(CameraInfo, "camera_info", self._on_info, in_qos)
        self._subs = [image_sub, info_sub]
        result = super().on_activate(state)  # enables the lifecycle publishers
        self._active = True
        self.state = "active"
        sync = ("latest camera_info" if p["use_latest_camera_info"] else
                f"approximate sync {p['sync_tolerance']:g} s" if p["approximate_sync"] else
                "exact-stamp sync")
        self.get_logger().info(f"active: {image_sub.topic_name} + {info_sub.topic_name} ({sync}, "
                               f"{qos.describe(in_qos)}) -> {self.get_namespace().rstrip('/')}/depth/...")
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
    def _on_image(self, msg):
        received = time.perf_counter()
        if not self._active:
            return
        self.stats.image_received()
        sync = self._sync
        before = sync.dropped[0]
        pair = sync.add(0, depth_pipeline.stamp_ns(msg.header.stamp), (msg, received))
        if sync.dropped[0] > before:
            self._report_unsynced(msg)
        if pair is not None:
            self._slot.put(pair)

    def _on_info(self, msg):
        if not self._active:
            return
        pair = self._sync.add(1, depth_pipeline.stamp_ns(msg.header.stamp), msg)
        if pair is not None:
            self._slot.put(pair)

    def _report_unsynced(self, msg):
        info_topic = self._subs[1].topic_name if len(self._subs) > 1 else "camera_info"
        how = "within sync_tolerance of" if self.p["approximate_sync"] else "with the same stamp as"
        self.input_errors.report(
            "unsynced", f"images are dropped: no camera_info on {info_topic} {how} the image stamped "
            f"{msg.header.stamp.sec}.{msg.header.stamp.nanosec:09d} ({self._sync.dropped[0]} dropped so far)",
            "check that camera_info is published (ros2 topic hz) with the image's stamps; if its stamps "
            "differ set approximate_sync:=true, or use_latest_camera_info:=true")

    # -- worker thread ---------------------------------------------------------------------------
    def _work(self, slot):
        while True:
            pair = slot.take(timeout=0.5)
            if pair is None:
                if slot.closed:
                    return
                continue
            try:
                self._process(pair)
            except Exception as exc:  # noqa: BLE001 -- the worker must outlive any one frame
                if not rclpy.ok(context=self.context):
                    return
                self.stats.error("internal")
                self.internal_errors.report("internal", f"{type(exc).__name__}: {exc}",
                                         "a bug or an unusable model output: please report it with this line")

    def _process(self, pair):
        (image_msg, received), info_msg = pair
        p = dict(self.p)  # one consistent set of parameters for the whole frame
        # lazy outputs: nobody listening to the cloud (or the estimate...) means it is not built
        wanted = [topic for topic, pub in self._pubs.items() if pub.get_subscription_count() > 0]
        try:
            outputs, timings = depth_pipeline.process(self.estimator, image_msg, info_msg, p,
                                                      compressed=p["transport"] == "compressed", wanted=wanted)
        except InputError as err:
            self.stats.error(err.kind)
            self.input_errors.report_error(err)
            return
        t0 = time.perf_counter()
        with self._publish_lock:
            if not self._active:
                return
            for topic, msg in outputs:
                self._pubs[topic].publish(msg)
        done = time.perf_counter()
        timings["publish"] = done - t0
        age_ns = self.get_clock().now().nanoseconds - depth_pipeline.stamp_ns(image_msg.header.stamp)
        self.stats.frame_done(timings, done - received, age_ns * 1e-9)

    # -- diagnostics -----------------------------------------------------------------------------
    def _drops(self):
        sync, slot, base = self._sync, self._slot, self._drop_base
        if sync is None or slot is None:
            return dict(base)
        return {"dropped": base["dropped"] + slot.dropped,
                "dropped_unsynced": base["dropped_unsynced"] + sync.dropped[0],
                "dropped_camera_info": base["dropped_camera_info"] + sync.dropped[1]}

    def _diagnostics_info(self):
        est = self.estimator
        model = est.name if est is not None else str(self.p["model"])
        extra = (("model", model), ("backend", est.backend_name if est is not None else "-"),
                 ("transport", self.p["transport"]))
        return self.state, model, extra


def main(args=None):
    keep_frames_in_heap()
    rclpy.init(args=args)
    node = None
    code = 0
    try:
        node = MonoDepthNode()
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception as exc:  # noqa: BLE001 -- e.g. a parameter override out of range: say why
        print(f"mono_depth_node: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    finally:
        if node is not None:
            node._teardown()
            node.destroy_node()
        rclpy.try_shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
