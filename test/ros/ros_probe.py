"""The test side of a node graph: an rclpy node that plays the camera and records what comes out.

The node under test runs in its own process (depth_restore_ros.graph); this probe lives in the
test process, in its own rclpy Context on the graph's ROS_DOMAIN_ID, spun by a background thread,
so tests publish frames and wait for outputs with deadlines. No mocks: real DDS in between.
"""
import re
import threading
import time

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2

from depth_restore_ros.core.image_codec import encode_compressed, encode_image
from depth_restore_ros.graph import NodeSpec
from depth_restore_ros_msgs.msg import DepthEstimate

OUTPUTS = {"depth/image": Image, "depth/camera_info": CameraInfo, "depth/uncertainty": Image,
           "points": PointCloud2, "depth/estimate": DepthEstimate, "depth/colorized": Image}
STEREO_INPUTS = {"left/image_rect": Image, "left/camera_info": CameraInfo, "right/image_rect": Image,
                 "right/camera_info": CameraInfo}
RELIABLE = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE)
FRAME_ID = "test_camera_optical_frame"
RIGHT_FRAME_ID = "test_right_camera_optical_frame"
MONO_NODE, STEREO_NODE = "mono_depth_node", "stereo_depth_node"


def stamp_ns(header) -> int:
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


def textured_rgb(width, height, seed=0) -> np.ndarray:
    """A picture with structure (gradient, stripes, noise): something a depth network can chew on."""
    rng = np.random.default_rng(seed)
    v, u = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([255 * u / width, 255 * v / height, 128 + 100 * np.sin(u / 7.0)], axis=2)
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_info(width, height, fx=None, k=None) -> CameraInfo:
    fx = fx or 0.8 * width
    k = list(k) if k is not None else [fx, 0.0, (width - 1) / 2, 0.0, fx, (height - 1) / 2, 0.0, 0.0, 1.0]
    p = [k[0], 0.0, k[2], 0.0, 0.0, k[4], k[5], 0.0, 0.0, 0.0, 1.0, 0.0]
    return CameraInfo(width=width, height=height, distortion_model="plumb_bob", d=[0.0] * 5, k=k,
                      r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], p=p)


def make_stereo_info(width, height, baseline=0.0, fx=None) -> CameraInfo:
    """camera_info of one camera of a rectified pair: P's Tx = -fx * baseline (0 for the left one)."""
    info = make_info(width, height, fx)
    info.p[3] = -info.p[0] * baseline
    return info


def make_image(rgb, encoding="rgb8") -> Image:
    step, data = encode_image(rgb, encoding)
    msg = Image(height=rgb.shape[0], width=rgb.shape[1], encoding=encoding, is_bigendian=0, step=step)
    msg.data.frombytes(data)
    return msg


def make_compressed(rgb) -> CompressedImage:
    fmt, data = encode_compressed(rgb, "rgb8", "jpeg")
    msg = CompressedImage(format=fmt)
    msg.data.frombytes(data)
    return msg


class Probe:
    """One rclpy node in its own context: camera publishers, output recorders, service clients."""

    def __init__(self, domain_id: int):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node("test_probe", context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self._cond = threading.Condition()
        self.received = {}  # (namespace, topic) -> [msg]
        self.diagnostics = []  # DiagnosticStatus, in arrival order
        self._pubs = {}
        self._subs = []
        self._listening = set()
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diag, RELIABLE)
        self._stamp = 0
        self.sent_stamps = []  # every stamp this probe published, for "no foreign stamp" checks
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._thread.start()

    def _spin(self):
        try:
            self.executor.spin()
        except Exception:  # noqa: BLE001 -- shutdown while spinning
            pass

    def close(self):
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.try_shutdown(context=self.context)
        self._thread.join(5.0)

    # -- recording ---------------------------------------------------------------------------------
    def _store(self, key, msg):
        with self._cond:
            self.received.setdefault(key, []).append(msg)
            self._cond.notify_all()

    def _on_diag(self, msg):
        with self._cond:
            self.diagnostics.extend(msg.status)
            self._cond.notify_all()

    def listen(self, ns, topics=tuple(OUTPUTS)):
        """Record `topics` of namespace `ns` (once per topic, however often it is called)."""
        for topic in topics:
            key = (ns, topic)
            if key in self._listening:
                continue
            self._listening.add(key)
            self._subs.append(self.node.create_subscription(
                OUTPUTS[topic], f"/{ns}/{topic}", lambda m, key=key: self._store(key, m), RELIABLE))

    def messages(self, ns, topic) -> list:
        with self._cond:
            return list(self.received.get((ns, topic), []))

    def by_stamp(self, ns, topic) -> dict:
        return {stamp_ns(m.header): m for m in self.messages(ns, topic)}

    def wait_for(self, condition, timeout=15.0, what="condition"):
        """Wait until `condition()` is truthy (re-checked on every message); returns its value."""
        deadline = time.monotonic() + timeout
        with self._cond:  # an RLock: `condition` may read the recordings
            while True:
                value = condition()
                if value:
                    return value
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
                self._cond.wait(min(left, 0.1))

    def status(self, name_part, since=0):
        """Diagnostic statuses whose name contains `name_part`, from index `since` on."""
        with self._cond:
            return [s for s in self.diagnostics[since:] if name_part in s.name]

    def latest_values(self, name_part, since=0) -> dict:
        found = self.status(name_part, since)
        return {kv.key: kv.value for kv in found[-1].values} if found else {}

    # -- camera side -----------------------------------------------------------------------------
    def publisher(self, ns, topic, msg_type):
        """The probe's publisher of `msg_type` on /<ns>/<topic>, created once."""
        key = (ns, topic)
        if key not in self._pubs:
            self._pubs[key] = self.node.create_publisher(msg_type, f"/{ns}/{topic}", RELIABLE)
        return self._pubs[key]

    def camera(self, ns, compressed=False):
        """(image publisher, camera_info publisher) for namespace `ns`, created once."""
        image_type, topic = (CompressedImage, "image/compressed") if compressed else (Image, "image")
        return self.publisher(ns, topic, image_type), self.publisher(ns, "camera_info", CameraInfo)

    def stereo_camera(self, ns):
        """Publishers of the stereo node's inputs in namespace `ns`, in STEREO_INPUTS order."""
        return tuple(self.publisher(ns, topic, msg_type) for topic, msg_type in STEREO_INPUTS.items())

    def wait_connected(self, ns, compressed=False, topics=tuple(OUTPUTS), timeout=20.0, inputs=None):
        """Wait until the node in `ns` subscribes to `inputs` (default: the mono camera's
        publishers) and publishes `topics`, which the probe then records."""
        inputs = self.camera(ns, compressed) if inputs is None else inputs
        self.listen(ns, topics)
        self.wait_for(lambda: all(pub.get_subscription_count() > 0 for pub in inputs)
                      and all(self.node.count_publishers(f"/{ns}/{t}") > 0 for t in topics),
                      timeout, f"the node in /{ns} to match the probe's topics")
        time.sleep(0.3)  # discovery is per endpoint pair: let the reverse direction settle too

    def next_stamp(self):
        """A stamp near now, strictly increasing across the session (sync resets otherwise)."""
        now = self.node.get_clock().now().nanoseconds
        self._stamp = max(now, self._stamp + 1_000_000)
        return self._stamp

    def send(self, ns, image, info=None, stamp=None, frame_id=FRAME_ID, compressed=False) -> int:
        """Publish camera_info (unless None) then the image, both with one header; returns the stamp."""
        stamp = self.next_stamp() if stamp is None else stamp
        image_pub, info_pub = self.camera(ns, compressed)
        self.publish([(info_pub, info, stamp, frame_id), (image_pub, image, stamp, frame_id)])
        return stamp

    def send_stereo(self, ns, left, left_info, right, right_info, stamp=None, right_stamp=None,
                    frame_id=FRAME_ID, right_frame_id=RIGHT_FRAME_ID) -> int:
        """Publish a stereo set (camera_infos, right image, left image last; a None message is
        not sent); the right side stamped `right_stamp` (default: the left's). Returns the left stamp."""
        stamp = self.next_stamp() if stamp is None else stamp
        right_stamp = stamp if right_stamp is None else right_stamp
        left_pub, left_info_pub, right_pub, right_info_pub = self.stereo_camera(ns)
        self.publish([(left_info_pub, left_info, stamp, frame_id),
                      (right_info_pub, right_info, right_stamp, right_frame_id),
                      (right_pub, right, right_stamp, right_frame_id), (left_pub, left, stamp, frame_id)])
        return stamp

    def publish(self, items):
        """Publish [(publisher, message, stamp, frame_id)] in order, each message with that header
        (None messages are skipped). Later next_stamp() values are above every stamp sent."""
        for pub, msg, stamp, frame_id in items:
            if msg is None:
                continue
            msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(stamp, 1_000_000_000)
            msg.header.frame_id = frame_id
            if stamp not in self.sent_stamps:
                self.sent_stamps.append(stamp)
            self._stamp = max(self._stamp, stamp)
            pub.publish(msg)

    # -- services --------------------------------------------------------------------------------
    def _call(self, srv_type, name, request, timeout=10.0):
        client = self.node.create_client(srv_type, name)
        try:
            if not client.wait_for_service(timeout_sec=timeout):
                raise AssertionError(f"service {name} not available")
            future = client.call_async(request)
            self.wait_for(future.done, timeout, f"a reply from {name}")
            return future.result()
        finally:
            self.node.destroy_client(client)

    def change_state(self, node_fqn, transition_id) -> bool:
        request = ChangeState.Request(transition=Transition(id=transition_id))
        return self._call(ChangeState, f"{node_fqn}/change_state", request).success

    def set_parameter(self, node_fqn, name, value):
        """SetParameters with one str / bool / int / float value; returns the SetParametersResult."""
        if isinstance(value, str):
            pv = ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value)
        elif isinstance(value, bool):
            pv = ParameterValue(type=ParameterType.PARAMETER_BOOL, bool_value=value)
        elif isinstance(value, int):
            pv = ParameterValue(type=ParameterType.PARAMETER_INTEGER, integer_value=value)
        else:
            pv = ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=float(value))
        request = SetParameters.Request(parameters=[Parameter(name=name, value=pv)])
        return self._call(SetParameters, f"{node_fqn}/set_parameters", request).results[0]


def mono_spec(label, namespace, **params) -> NodeSpec:
    return NodeSpec(label, "depth_restore_ros.ros.mono_node", namespace=namespace, params=params)


def start_nodes(graph, specs, ready=r"\]: active: ", timeout=60.0):
    """Start every spec at once (their start-ups overlap) and wait until each logs `ready`."""
    procs = [graph.start(spec) for spec in specs]
    for proc in procs:
        proc.wait_for_line(ready, timeout=timeout)
    return procs


def count_lines(proc, pattern) -> int:
    """Lines of a node's log matching the regex `pattern` so far."""
    regex = re.compile(pattern)
    return sum(1 for line in list(proc.lines) if regex.search(line))


def stereo_spec(label, namespace, **params) -> NodeSpec:
    return NodeSpec(label, "depth_restore_ros.ros.stereo_node", namespace=namespace, params=params)


def diag_name(ns, node=MONO_NODE):
    """The DiagnosticStatus name of the depth node `node` in namespace `ns`."""
    return f"{ns}/{node}: depth"


def counter(probe, ns, key, mark=0, node=MONO_NODE) -> int:
    """The latest value of a diagnostics counter of the node in `ns` (0 when not reported yet)."""
    return int(probe.latest_values(diag_name(ns, node), mark).get(key, 0))


def send_bad(probe, ns, frames, kind, compressed=False, node=MONO_NODE, send=None):
    """Send bad frames a little apart (else the latest-frame policy would rightly skip all but
    the newest), then wait until diagnostics count each of them as an error of `kind`.

    A frame is (image, info) for probe.send, or the arguments of `send(ns, *frame)` -> stamp
    (e.g. probe.send_stereo with node=STEREO_NODE)."""
    send = send or (lambda ns_, image, info: probe.send(ns_, image, info, compressed=compressed))
    mark = len(probe.diagnostics)
    before = probe.wait_for(lambda: probe.latest_values(diag_name(ns, node), mark), 5, "diagnostics")
    stamps = []
    for frame in frames:
        stamps.append(send(ns, *frame))
        time.sleep(0.2)
    want = int(before.get(f"errors_{kind}", 0)) + len(frames)
    probe.wait_for(lambda: counter(probe, ns, f"errors_{kind}", mark, node) >= want, 10,
                   f"{len(frames)} '{kind}' errors counted in /{ns}")
    return stamps


def wait_outputs(probe, ns, stamp, topics, timeout=15.0):
    """{topic: message} of the frame stamped `stamp`, once every topic has it."""
    probe.wait_for(lambda: all(stamp in probe.by_stamp(ns, t) for t in topics), timeout,
                   f"outputs {topics} stamped {stamp} in /{ns}")
    return {t: probe.by_stamp(ns, t)[stamp] for t in topics}


def assert_nothing_for(probe, ns, stamps, topics=("depth/image",)):
    """No output on `topics` carries any of `stamps` (frames that had to fail)."""
    for topic in topics:
        got = set(probe.by_stamp(ns, topic)) & set(stamps)
        assert not got, f"{topic} published for bad frames {sorted(got)}"
