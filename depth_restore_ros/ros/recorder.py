"""depth_recorder_node: records a depth node's inputs and outputs into a rosbag2 MCAP, plus PNGs.

Why our own recorder: `ros2 bag` is not installable everywhere, and the demo should leave behind
something a user can open (Foxglove, `ros2 bag play`, rosbags) and pictures they can look at.
The bag is self-describing: the DepthEstimate definition is registered from its .msg text, so
readers need no ROS install. Callbacks only serialize and queue; one writer thread owns the bag
and the PNG drawing, so slow disks delay the writer, not the executor. SIGINT/SIGTERM drain the
queue and close the bag.

Files under `output_dir`: bag/ (bag.mcap + metadata.yaml), png/frame_NNNNN.png (input | depth |
uncertainty), frames.jsonl (one line per depth frame: stamp, latency; the demo's progress feed).
"""
import json
import queue
import shutil
import sys
import threading
import time
from pathlib import Path

import rclpy.logging
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2

from .spin import spin_node

DEFAULT_TOPICS = ["image", "camera_info", "depth/image", "depth/uncertainty", "depth/camera_info",
                  "points", "depth/estimate"]
PARAMETERS = {
    "output_dir": ("out/recording", "folder for bag/, png/ and frames.jsonl"),
    "overwrite": (False, "delete an existing bag in output_dir instead of refusing to start"),
    "topics": (DEFAULT_TOPICS, "topics to record, relative to the namespace; the type follows the "
                               "name (…camera_info, points, …estimate, …/compressed, else Image)"),
    "depth_topic": ("depth/image", "the topic that counts frames (PNG cadence, frames.jsonl)"),
    "png_every_n": (10, "write input|depth|uncertainty as a PNG every N-th depth frame (1: all, 0: none)"),
    "reliability": ("reliable", "QoS reliability of the subscriptions: reliable | best_effort"),
    "qos_depth": (50, "QoS history depth of the subscriptions (a reliable publisher blocks when full)"),
}


def message_class(topic: str):
    """The message type a topic of a depth graph carries, from its name (no graph introspection)."""
    from depth_restore_ros_msgs.msg import DepthEstimate
    leaf = topic.rstrip("/").rsplit("/", 1)[-1]
    return {"camera_info": CameraInfo, "points": PointCloud2, "estimate": DepthEstimate,
            "compressed": CompressedImage}.get(leaf, Image)


def ros_type_name(cls) -> str:
    """sensor_msgs.msg.Image -> 'sensor_msgs/msg/Image' (the name in rosbag2 metadata)."""
    return f"{cls.__module__.split('.')[0]}/msg/{cls.__name__}"


def depth_estimate_msg_text() -> str:
    """DepthEstimate.msg as installed (ament share dir), or from the source tree."""
    candidates = []
    try:
        from ament_index_python.packages import get_package_share_directory
        candidates.append(Path(get_package_share_directory("depth_restore_ros_msgs")))
    except Exception:  # no AMENT_PREFIX_PATH (a venv install): look beside the interpreter
        pass
    candidates += [Path(sys.prefix) / "share" / "depth_restore_ros_msgs",
                   Path(__file__).resolve().parents[2]]
    for base in candidates:
        path = base / "msg" / "DepthEstimate.msg"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError("DepthEstimate.msg not found in " + ", ".join(map(str, candidates)))


def make_typestore():
    """rosbags' ROS 2 typestore with depth_restore_ros_msgs registered, for writing and reading."""
    from rosbags.typesys import Stores, get_types_from_msg, get_typestore
    store = get_typestore(Stores.ROS2_KILTED)
    store.register(get_types_from_msg(depth_estimate_msg_text(), "depth_restore_ros_msgs/msg/DepthEstimate"))
    return store


def stamp_ns(header) -> int:
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


class BagWriter:
    """The writer thread: owns the rosbags Writer, the PNG drawing and frames.jsonl."""

    def __init__(self, output_dir: Path, overwrite: bool, logger):
        from rosbags.rosbag2 import StoragePlugin, Writer
        self.bag_path = output_dir / "bag"
        if self.bag_path.exists():
            if not overwrite:
                raise FileExistsError(f"{self.bag_path} exists: choose another output_dir or set overwrite")
            shutil.rmtree(self.bag_path)
        (output_dir / "png").mkdir(parents=True, exist_ok=True)
        self.png_dir = output_dir / "png"
        self.typestore = make_typestore()
        self.writer = Writer(self.bag_path, version=9, storage_plugin=StoragePlugin.MCAP)
        self.writer.open()
        self.frames_file = open(output_dir / "frames.jsonl", "w", encoding="utf-8")
        self.logger = logger
        self.connections = {}
        self.counts = {}
        self.queue = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="bag-writer", daemon=True)
        self.thread.start()

    def add_topic(self, topic: str, msgtype: str):
        self.connections[topic] = self.writer.add_connection(topic, msgtype, typestore=self.typestore)
        self.counts[topic] = 0

    def _run(self):
        while True:
            job = self.queue.get()
            if job is None:
                return
            kind, *args = job
            try:
                if kind == "msg":
                    topic, t_ns, data = args
                    self.writer.write(self.connections[topic], t_ns, data)
                    self.counts[topic] += 1
                elif kind == "frame":
                    self.frames_file.write(json.dumps(args[0]) + "\n")
                    self.frames_file.flush()
                elif kind == "png":
                    write_png(self.png_dir / f"frame_{args[0]:05d}.png", *args[1:])
            except Exception as exc:  # one bad PNG must not stop the recording
                self.logger.error(f"writer: {kind} failed: {exc!r}")

    def close(self) -> dict:
        """Drain the queue, close the bag; returns messages written per topic."""
        self.queue.put(None)
        self.thread.join()
        self.writer.close()
        self.frames_file.close()
        return dict(self.counts)


def write_png(path: Path, image_msg, depth_msg, unc_msg):
    """input | colourised depth | colourised uncertainty, side by side, with the depth range."""
    import cv2
    import numpy as np

    from ..core.colorize import colorize_depth, colorize_uncertainty, side_by_side
    from .convert import compressed_to_rgb8, image_to_array, image_to_rgb8

    is_compressed = isinstance(image_msg, CompressedImage)
    rgb = compressed_to_rgb8(image_msg) if is_compressed else image_to_rgb8(image_msg)
    depth, unc = image_to_array(depth_msg), image_to_array(unc_msg)
    valid = depth[np.isfinite(depth)]
    rng = f" {np.percentile(valid, 2):.1f}-{np.percentile(valid, 98):.1f} m" if valid.size else ""
    picture = side_by_side([rgb, colorize_depth(depth), colorize_uncertainty(unc)],
                           ["input", "depth" + rng, "uncertainty"])
    cv2.imwrite(str(path), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))


class DepthRecorder(Node):
    def __init__(self, **kwargs):
        super().__init__("depth_recorder", **kwargs)
        for name, (default, description) in PARAMETERS.items():
            self.declare_parameter(name, default, ParameterDescriptor(description=description, read_only=True))
        p = {name: self.get_parameter(name).value for name in PARAMETERS}
        if p["reliability"] not in ("reliable", "best_effort"):
            raise ValueError(f"reliability={p['reliability']!r}: must be reliable or best_effort")
        self.params = p
        self.output_dir = Path(p["output_dir"]).expanduser().resolve()
        self.bag = BagWriter(self.output_dir, p["overwrite"], self.get_logger())
        reliability = ReliabilityPolicy.RELIABLE if p["reliability"] == "reliable" else ReliabilityPolicy.BEST_EFFORT
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=p["qos_depth"], reliability=reliability)
        self._lock = threading.Lock()  # guards `closed` and the frame bookkeeping below
        self.closed = False
        self.frames = 0
        self._pending = {}  # stamp -> {"image"|"depth"|"uncertainty": msg} until a PNG is drawn
        self._subs = {}
        # What each topic is to the PNG panels and the frame count.
        self._roles = {"image": "image", "image/compressed": "image"}
        self._roles.update({rel: "uncertainty" for rel in p["topics"] if rel.endswith("uncertainty")})
        self._roles[p["depth_topic"]] = "depth"
        for rel in p["topics"]:
            cls = message_class(rel)
            sub = self.create_subscription(cls, rel, lambda msg, info, rel=rel: self._on_msg(rel, msg, info), qos)
            self.bag.add_topic(sub.topic_name, ros_type_name(cls))
            self._subs[rel] = sub
        self._announced = set()
        self._match_timer = self.create_timer(0.1, self._announce_matches)
        self.get_logger().info(f"recording {len(self._subs)} topics into {self.bag.bag_path}")

    def _announce_matches(self):
        """Log each topic's first matched publisher: the graph runner waits for these lines."""
        for rel, sub in self._subs.items():
            if rel not in self._announced and sub.get_publisher_count() > 0:
                self._announced.add(rel)
                self.get_logger().info(f"matched publisher on {sub.topic_name}")
        if len(self._announced) == len(self._subs):
            self.get_logger().info("recorder ready: all topics matched")
            self._match_timer.cancel()

    def _on_msg(self, rel: str, msg, info):
        data = serialize_message(msg)
        recv_ns = info["received_timestamp"] or time.time_ns()
        with self._lock:
            if self.closed:
                return
            self.bag.queue.put(("msg", self._subs[rel].topic_name, recv_ns, data))
            self._track_frame(rel, msg, recv_ns)

    def _track_frame(self, rel, msg, recv_ns):
        role = self._roles.get(rel)
        if role is None:
            return
        stamp = stamp_ns(msg.header)
        if role == "depth":
            self.bag.queue.put(("frame", {"frame": self.frames, "stamp_ns": stamp, "recv_ns": recv_ns,
                                          "latency_ms": round((recv_ns - stamp) * 1e-6, 3)}))
            self.frames += 1
        every = self.params["png_every_n"]
        if every <= 0:
            return
        slot = self._pending.setdefault(stamp, {})
        slot[role] = msg
        if role == "depth":
            slot["index"] = self.frames - 1
        if {"image", "depth", "uncertainty", "index"} <= slot.keys():
            del self._pending[stamp]
            if slot["index"] % every == 0:
                self.bag.queue.put(("png", slot["index"], slot["image"], slot["depth"], slot["uncertainty"]))
        while len(self._pending) > 30:  # frames whose outputs never came (dropped by the node)
            del self._pending[min(self._pending)]

    def close(self):
        with self._lock:
            if self.closed:
                return
            self.closed = True
        # After a signal the context is gone: the node's logger would try (and fail, noisily) to
        # publish to /rosout, so these lines go to a child logger not registered there (console only).
        # Said before the drain too: a close that stalls then shows where (the demo test saw one once).
        log = rclpy.logging.get_logger(f"{self.get_logger().name}.bag")
        log.info(f"closing bag {self.bag.bag_path}: {self.bag.queue.qsize()} jobs to write")
        counts = self.bag.close()
        log.info(f"closed bag {self.bag.bag_path} ({self.frames} depth frames): "
                 + ", ".join(f"{t}={n}" for t, n in counts.items()))


def _release(node):
    # The bag first: closing it needs no ROS, so nothing in the middleware's teardown can keep the
    # metadata from being written.
    node.close()
    node.destroy_node()


def main(args=None):
    return spin_node(DepthRecorder, "depth_recorder_node", args, _release)


if __name__ == "__main__":
    sys.exit(main())
