"""camera_source_node: a stand-in camera driver that publishes an embedded image sequence.

The demo, the graph tests and the benchmark need a camera that behaves like a driver -- `image`
and `camera_info` with one stamp, an optical frame id, a steady rate -- on machines with no camera
and no bag files. Frames are rendered and encoded once at start-up, so a tick only stamps and
publishes and the rate stays steady however slow rendering is.

    python -m depth_restore_ros.ros.camera_source --ros-args -p rate_hz:=5.0 -p loop:=false
"""
import array
import sys

import numpy as np
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header

from ..core.camera import PinholeCamera
from ..core.image_codec import encode_compressed
from .convert import array_to_image
from .spin import spin_node

# name -> (default, description, read_only). Read-only ones shape the cached frames or the topics.
PARAMETERS = {
    "rate_hz": (10.0, "publishing rate (frames per second); can be changed while running", False),
    "width": (640, "image width in pixels", True),
    "height": (480, "image height in pixels", True),
    "num_frames": (50, "frames in the sequence, rendered at start-up", True),
    "seed": (0, "seed of the synthetic scene (same seed, same images)", True),
    "loop": (True, "start the sequence again after its last frame; false: stop after num_frames", False),
    "max_frames": (0, "stop after publishing this many frames in all (0: no limit)", False),
    "transport": ("raw", "raw: sensor_msgs/Image on `image`; compressed: JPEG on `image/compressed`", True),
    "frame_id": ("camera_optical_frame", "header.frame_id of image and camera_info (REP 103 optical)", True),
    "reliability": ("reliable", "QoS reliability of the publishers: reliable | best_effort", True),
    "qos_depth": (10, "QoS history depth (keep last N)", True),
    "wait_for_subscribers": (0, "publish nothing until the image topic has this many subscribers, "
                                "so that no frame of a finite sequence is lost at start-up", True),
    "wait_timeout_s": (60.0, "give up waiting for subscribers after this long and start anyway", True),
}
_RANGES = {
    "rate_hz": FloatingPointRange(from_value=0.1, to_value=1000.0),
    "width": IntegerRange(from_value=16, to_value=8192), "height": IntegerRange(from_value=16, to_value=8192),
    "num_frames": IntegerRange(from_value=1, to_value=100000),
    "max_frames": IntegerRange(from_value=0, to_value=2**31 - 1),
    "qos_depth": IntegerRange(from_value=1, to_value=1000),
    "wait_for_subscribers": IntegerRange(from_value=0, to_value=100),
}
_CHOICES = {"transport": ("raw", "compressed"), "reliability": ("reliable", "best_effort")}
HFOV_DEG = 60.0  # field of view of the fallback scene's camera


def load_sequence(seed: int, width: int, height: int, num_frames: int, fps: float):
    """[(rgb HxWx3 uint8, (fx, fy, cx, cy))]: the package's synthetic world, rendered once."""
    try:
        from ..data.synthetic import render_sequence
    except ImportError:  # the synthetic world is optional at run time: fall back to a plain scene
        return _fallback_sequence(seed, width, height, num_frames)
    return [(s.rgb, tuple(s.camera)) for s in render_sequence(seed, width, height, num_frames, fps=fps)]


def _fallback_sequence(seed, width, height, num_frames):
    """A textured floor, a wall and discs drifting sideways: simple, but a real moving image."""
    rng = np.random.default_rng(seed)
    cam = PinholeCamera.from_fov(width, height, HFOV_DEG)
    v, u = np.mgrid[0:height, 0:width].astype(np.float32)
    horizon = 0.45 * height
    with np.errstate(divide="ignore"):
        z_floor = np.where(v > horizon, 1.2 * cam.fy / np.maximum(v - cam.cy, 1e-3), np.inf)
    with np.errstate(invalid="ignore"):  # inf above the horizon, masked out below
        x_floor = (u - cam.cx) * z_floor / cam.fx
        checker = ((np.floor(x_floor) + np.floor(z_floor)) % 2).astype(np.float32)
    base = np.empty((height, width, 3), np.float32)
    base[:] = np.array([150, 170, 200], np.float32) * (0.7 + 0.3 * v / height)[..., None]  # wall
    floor = v > horizon
    base[floor] = (np.array([90, 80, 70]) + 60 * checker[floor, None]).astype(np.float32)
    discs = [(rng.uniform(0, width), rng.uniform(0.3, 0.8) * height, rng.uniform(0.05, 0.15) * height,
              rng.uniform(-6, 6), rng.integers(40, 255, 3)) for _ in range(5)]
    frames = []
    for i in range(num_frames):
        img = base.copy()
        for x0, y0, r, speed, colour in discs:
            x = (x0 + speed * i) % width
            inside = (u - x) ** 2 + (v - y0) ** 2 < r * r
            img[inside] = colour * (0.6 + 0.4 * ((v[inside] - y0 + r) / (2 * r)))[:, None]
        noise = rng.normal(0.0, 3.0, img.shape)
        frames.append((np.clip(img + noise, 0, 255).astype(np.uint8), cam.as_tuple()))
    return frames


def camera_info(intrinsics, width, height, header) -> CameraInfo:
    """CameraInfo of an ideal (undistorted, unrectified) camera: K, P from the intrinsics, D = 0, R = I."""
    cam = PinholeCamera(*intrinsics, width=width, height=height)
    return CameraInfo(header=header, width=width, height=height, distortion_model="plumb_bob",
                      d=[0.0] * 5, k=cam.k_matrix(), r=[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
                      p=cam.p_matrix())


def _descriptor(name, description, read_only):
    desc = ParameterDescriptor(name=name, description=description, read_only=read_only)
    if name in _CHOICES:
        desc.additional_constraints = "one of: " + ", ".join(_CHOICES[name])
    rng = _RANGES.get(name)
    if isinstance(rng, FloatingPointRange):
        desc.floating_point_range = [rng]
    elif isinstance(rng, IntegerRange):
        desc.integer_range = [rng]
    return desc


class CameraSource(Node):
    def __init__(self, **kwargs):
        super().__init__("camera_source", **kwargs)
        for name, (default, description, read_only) in PARAMETERS.items():
            self.declare_parameter(name, default, _descriptor(name, description, read_only))
        p = {name: self.get_parameter(name).value for name in PARAMETERS}
        for name, choices in _CHOICES.items():
            if p[name] not in choices:
                raise ValueError(f"parameter {name}={p[name]!r}: must be one of {choices}")
        self.params = p
        self._frames = self._render(p)
        reliability = (ReliabilityPolicy.RELIABLE if p["reliability"] == "reliable"
                       else ReliabilityPolicy.BEST_EFFORT)
        qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=p["qos_depth"], reliability=reliability)
        if p["transport"] == "compressed":
            self._image_pub = self.create_publisher(CompressedImage, "image/compressed", qos)
        else:
            self._image_pub = self.create_publisher(Image, "image", qos)
        self._info_pub = self.create_publisher(CameraInfo, "camera_info", qos)
        self.sent = 0
        self._started = p["wait_for_subscribers"] == 0
        self._done = False
        self._wait_since = self.get_clock().now()
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._timer = self.create_timer(1.0 / p["rate_hz"], self._tick)
        self.get_logger().info(
            f"camera source ready: {len(self._frames)} frames {p['width']}x{p['height']} at "
            f"{p['rate_hz']:g} Hz on {self._image_pub.topic_name} ({p['transport']}, {p['reliability']})")

    def _render(self, p):
        """Render and encode every frame now, so that publishing is only a stamp and a copy."""
        frames = []
        for rgb, intrinsics in load_sequence(p["seed"], p["width"], p["height"], p["num_frames"],
                                             p["rate_hz"]):
            header = Header(frame_id=p["frame_id"])
            if p["transport"] == "compressed":
                fmt, data = encode_compressed(rgb, "rgb8", "jpeg")
                image = CompressedImage(header=header, format=fmt, data=array.array("B", data))
            else:
                image = array_to_image(rgb, "rgb8", header)
            frames.append((image, camera_info(intrinsics, rgb.shape[1], rgb.shape[0], header)))
        return frames

    def _on_set_parameters(self, params):
        for param in params:
            if param.name == "rate_hz":
                if not (0.1 <= float(param.value) <= 1000.0):
                    return SetParametersResult(successful=False, reason="rate_hz must be in [0.1, 1000]")
                self._timer.cancel()
                self._timer = self.create_timer(1.0 / float(param.value), self._tick)
            if param.name in self.params:
                self.params[param.name] = param.value
        return SetParametersResult(successful=True)

    def _ready_to_start(self) -> bool:
        wanted = self.params["wait_for_subscribers"]
        # Both publishers: a subscriber matched on image but not yet on camera_info loses frames.
        have = min(self._image_pub.get_subscription_count(), self._info_pub.get_subscription_count())
        if have >= wanted:
            self.get_logger().info(f"{have} subscriber(s) on image and camera_info: publishing")
            return True
        waited = (self.get_clock().now() - self._wait_since).nanoseconds * 1e-9
        if waited > self.params["wait_timeout_s"]:
            self.get_logger().warning(f"still fewer than {wanted} subscribers after {waited:.0f} s: "
                                      "publishing anyway")
            return True
        return False

    def _tick(self):
        if self._done:
            return
        if not self._started:
            self._started = self._ready_to_start()
            if not self._started:
                return
        limit = self.params["max_frames"]
        if not self.params["loop"]:
            limit = min(limit, len(self._frames)) if limit else len(self._frames)
        if limit and self.sent >= limit:
            self._done = True
            self._timer.cancel()
            self.get_logger().info(f"camera source done: published {self.sent} frames")
            return
        image, info = self._frames[self.sent % len(self._frames)]
        stamp = self.get_clock().now().to_msg()
        image.header.stamp = stamp
        info.header.stamp = stamp
        # camera_info first: a node that pairs each image with the latest info already has it.
        self._info_pub.publish(info)
        self._image_pub.publish(image)
        self.sent += 1


def main(args=None):
    return spin_node(CameraSource, "camera_source_node", args)


if __name__ == "__main__":
    sys.exit(main())
