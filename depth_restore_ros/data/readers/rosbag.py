"""Frames from a recorded rosbag2 (folder, .mcap or .db3; ROS 1 .bag too), read without ROS.

    rosbag:/data/run1?image=/cam/color/image_raw&depth=/cam/depth/image_raw&info=/cam/color/camera_info

An image and a depth message form a frame when their header stamps are equal: the depth must be
registered to the colour camera (same size and intrinsics), as a depth camera's "aligned_depth_to_color"
stream is. Approximate matching would pair a moving camera's images with depth from elsewhere.

Opening scans the bag once and keeps only stamps and log times; a frame is read back on demand by a
time-bounded query, so long bags need no memory for images. Type definitions come from the bag
(rosbags' AnyReader), falling back to the latest ROS 2 message definitions.
Intrinsics come from the camera_info with the image's stamp, else the latest one before it: K for raw
images, P for rectified ones (`rectified`, default: "rect" in the image topic's name).
"""
import bisect
import os
from pathlib import Path
from typing import Optional

import numpy as np

from ...core.camera import PinholeCamera
from ...core.image_codec import decode_image, to_rgb8
from ..datasets import DepthDataset, EvalProtocol
from ..sample import Sample
from . import depth_from_array, flag

IMAGE = "sensor_msgs/msg/Image"
INFO = "sensor_msgs/msg/CameraInfo"
DEPTH_SCALE = {"32FC1": 1.0, "16UC1": 1e-3, "mono16": 1e-3}  # metres per unit (REP 118)


def _stamp(msg) -> int:
    return int(msg.header.stamp.sec) * 1_000_000_000 + int(msg.header.stamp.nanosec)


def _pick(kind: str, given: Optional[str], candidates, topics) -> str:
    if given:
        if given not in topics:
            raise ValueError(f"topic {given!r} is not in the bag; topics: {sorted(topics)}")
        return given
    if len(candidates) == 1:
        return candidates[0]
    raise ValueError(f"cannot tell which topic is the {kind} among {candidates or 'none'}; "
                     f"name it (rosbag:<bag>?image=...&depth=...&info=...)")


class RosbagDataset(DepthDataset):
    """Options: image, depth, info (topics; guessed when unambiguous), rectified, min_depth, max_depth,
    fx, fy, cx, cy (intrinsics for bags without camera_info)."""

    def __init__(self, path, image: Optional[str] = None, depth: Optional[str] = None,
                 info: Optional[str] = None, rectified=None, min_depth: float = 1e-3, max_depth: float = 80.0,
                 fx=None, fy=None, cx=None, cy=None):
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise FileNotFoundError(f"rosbag {self.path} does not exist")
        self.protocol = EvalProtocol("rosbag", float(min_depth), float(max_depth))
        self._reader, self._pid = None, None
        reader = self._open()
        types = {c.topic: c.msgtype for c in reader.connections}
        images = sorted(t for t, m in types.items() if m == IMAGE)
        self.depth_topic = _pick("depth", depth, [t for t in images if "depth" in t.lower()], types)
        self.image_topic = _pick("image", image, [t for t in images if t != self.depth_topic
                                                  and "depth" not in t.lower()], types)
        self.fixed_camera = None
        if fx is not None:
            self.fixed_camera = (float(fx), float(fy if fy is not None else fx), float(cx), float(cy))
            self.info_topic = None
        else:
            infos = sorted(t for t, m in types.items() if m == INFO)
            sibling = self.image_topic.rsplit("/", 1)[0] + "/camera_info"
            self.info_topic = _pick("camera_info", info, [sibling] if sibling in infos else infos, types)
        self.rectified = "rect" in self.image_topic if rectified is None else flag(rectified)
        self._index(reader)

    def _open(self):
        # One reader per process: file handles do not survive fork() (DataLoader workers).
        if self._reader is None or self._pid != os.getpid():
            from rosbags.highlevel import AnyReader
            from rosbags.typesys import Stores, get_typestore
            self._reader = AnyReader([self.path], default_typestore=get_typestore(Stores.LATEST))
            self._reader.open()
            self._pid = os.getpid()
        return self._reader

    def _connections(self, reader, topic):
        return [c for c in reader.connections if c.topic == topic]

    def _index(self, reader) -> None:
        topics = [t for t in (self.image_topic, self.depth_topic, self.info_topic) if t]
        seen = {self.image_topic: {}, self.depth_topic: {}}
        infos = []
        wanted = [c for c in reader.connections if c.topic in topics]
        for conn, logtime, raw in reader.messages(connections=wanted):
            msg = reader.deserialize(raw, conn.msgtype)
            if conn.topic == self.info_topic:
                infos.append((_stamp(msg), np.asarray(msg.k, float), np.asarray(msg.p, float),
                              int(msg.width), int(msg.height)))
            else:
                seen[conn.topic].setdefault(_stamp(msg), logtime)
        infos.sort(key=lambda i: i[0])
        self._infos, self._info_stamps = infos, [i[0] for i in infos]
        self.stamps = sorted(set(seen[self.image_topic]) & set(seen[self.depth_topic]))
        self._logtimes = {s: (seen[self.image_topic][s], seen[self.depth_topic][s]) for s in self.stamps}
        if not self.stamps:
            raise ValueError(f"{self.path}: no {self.image_topic} and {self.depth_topic} messages share a "
                             "header stamp (the depth must be registered to the image and stamped alike)")
        if self.info_topic and not infos:
            raise ValueError(f"{self.path}: no messages on {self.info_topic}; give fx, fy, cx, cy instead")

    def _message(self, topic: str, logtime: int, stamp: int):
        reader = self._open()
        for conn, _, raw in reader.messages(connections=self._connections(reader, topic),
                                            start=logtime, stop=logtime + 1):
            msg = reader.deserialize(raw, conn.msgtype)
            if _stamp(msg) == stamp:
                return msg
        raise KeyError(f"{topic} message stamped {stamp} ns vanished from {self.path}")

    def _camera(self, stamp: int, width: int, height: int):
        if self.fixed_camera is not None:
            return self.fixed_camera
        i = max(0, bisect.bisect_right(self._info_stamps, stamp) - 1)
        _, k, p, w, h = self._infos[i]
        cam = PinholeCamera.from_camera_info(k, p, w or width, h or height, self.rectified)
        if (cam.width, cam.height) != (width, height):  # e.g. binning or a resized republish
            cam = cam.scaled(width, height)
        return cam.as_tuple()

    def __len__(self) -> int:
        return len(self.stamps)

    def _load(self, index: int) -> Sample:
        stamp = self.stamps[index]
        t_image, t_depth = self._logtimes[stamp]
        im = self._message(self.image_topic, t_image, stamp)
        dm = self._message(self.depth_topic, t_depth, stamp)
        rgb = to_rgb8(decode_image(im.encoding, im.height, im.width, im.step, im.data, im.is_bigendian),
                      im.encoding)
        if dm.encoding not in DEPTH_SCALE:
            raise ValueError(f"{self.depth_topic}: depth encoding {dm.encoding!r} is not one of "
                             f"{list(DEPTH_SCALE)}")
        raw = decode_image(dm.encoding, dm.height, dm.width, dm.step, dm.data, dm.is_bigendian)
        depth = depth_from_array(raw, DEPTH_SCALE[dm.encoding])
        if depth.shape != rgb.shape[:2]:
            raise ValueError(f"depth {depth.shape} and image {rgb.shape[:2]} differ in size: the depth "
                             "must be registered to the colour camera")
        return Sample(rgb=rgb, depth=depth, camera=self._camera(stamp, rgb.shape[1], rgb.shape[0]),
                      name=f"{stamp // 1_000_000_000}.{stamp % 1_000_000_000:09d}")

    def close(self) -> None:
        if self._reader is not None and self._pid == os.getpid():
            self._reader.close()
        self._reader = None
