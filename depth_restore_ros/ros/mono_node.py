"""mono_depth_node: image + camera_info in, metric depth, uncertainty and a point cloud out.

A lifecycle node (depth_node.DepthNode: model loaded in on_configure, topics opened in
on_activate, one worker thread on the newest frame). This file only says what its inputs are:
an image (raw or compressed) and its camera_info, paired by stamp, or with the latest camera_info
for drivers that do not stamp it with the image.

    python -m depth_restore_ros.ros.mono_node --ros-args -r image:=/camera/image_raw \
        -r camera_info:=/camera/camera_info -p publish_colorized:=true
"""
import sys
import time

from sensor_msgs.msg import CameraInfo, CompressedImage, Image

from . import params
from .depth_node import DepthNode, Frame, run


class MonoDepthNode(DepthNode):
    NODE_NAME = "mono_depth_node"
    SPECS = params.MONO

    def _latest_streams(self):
        return (1,) if self.p["use_latest_camera_info"] else ()

    def _sync_description(self):
        return "latest camera_info" if self.p["use_latest_camera_info"] else super()._sync_description()

    def _subscribe(self, in_qos):
        if self.p["transport"] == "compressed":
            image_sub = self.create_subscription(CompressedImage, "image/compressed", self._on_image, in_qos)
        else:
            image_sub = self.create_subscription(Image, "image", self._on_image, in_qos)
        return [image_sub, self.create_subscription(CameraInfo, "camera_info", self._on_info, in_qos)]

    # -- input (executor thread) -------------------------------------------------------------------
    def _on_image(self, msg):
        received = time.perf_counter()
        if self._active:
            self.stats.image_received()
            self._offer(0, msg, (msg, received))

    def _on_info(self, msg):
        if self._active:
            self._offer(1, msg, msg)

    def _report_unsynced(self, index, msg):
        if index != 0:  # reported when the next image arrives, with that image's stamp
            return
        info_topic = self._subs[1].topic_name if len(self._subs) > 1 else "camera_info"
        how = "within sync_tolerance of" if self.p["approximate_sync"] else "with the same stamp as"
        self.input_errors.report(
            "unsynced", f"images are dropped: no camera_info on {info_topic} {how} the image stamped "
            f"{msg.header.stamp.sec}.{msg.header.stamp.nanosec:09d} ({self._sync.dropped[0]} dropped so far)",
            "check that camera_info is published (ros2 topic hz) with the image's stamps; if its stamps "
            "differ set approximate_sync:=true, or use_latest_camera_info:=true")

    # -- worker thread ---------------------------------------------------------------------------
    def _frame(self, matched, p):
        (image_msg, received), info_msg = matched
        return Frame(image_msg, info_msg, received)


def main(args=None):
    return run(MonoDepthNode, args)


if __name__ == "__main__":
    sys.exit(main())
