"""stereo_depth_node: a rectified left/right pair in, the same depth outputs as the mono node out.

Inputs (relative names): left/image_rect, left/camera_info, right/image_rect, right/camera_info,
matched by stamp (identical stamps, or within sync_tolerance with approximate_sync). Outputs are
the mono node's (depth/image, depth/camera_info, ..., points) in the left camera's frame with the
left image's header: the left camera is the reference, as in stereo_image_proc.

Intrinsics come from the left camera_info P (rectified images), the baseline from the two P
(core.stereo). A set that is not one rectified pair -- images of different sizes, no or a
non-positive baseline, P matrices of two geometries -- is refused with a logged reason and
counted, and the node goes on with the next set. The model gets the right image and the baseline
too (Estimator.predict's aux_rgb, baseline_m); monocular models ignore them.

    python -m depth_restore_ros.ros.stereo_node --ros-args \
        -r left/image_rect:=/stereo/left/image_rect -r left/camera_info:=/stereo/left/camera_info \
        -r right/image_rect:=/stereo/right/image_rect -r right/camera_info:=/stereo/right/camera_info
"""
import functools
import sys
import time
from collections import deque

from sensor_msgs.msg import CameraInfo, Image

from ..core.errors import InputError
from ..core.stereo import stereo_baseline
from . import convert, depth_pipeline, params
from .depth_node import DepthNode, Frame, run

INPUTS = (("left/image_rect", Image), ("left/camera_info", CameraInfo),
          ("right/image_rect", Image), ("right/camera_info", CameraInfo))


def _labelled(label, fn, *args):
    """fn(*args), naming `label` (e.g. "right image") in the message of an InputError it raises."""
    try:
        return fn(*args)
    except InputError as err:
        raise InputError(err.kind, f"{label}: {err.message}", err.hint) from None


class StereoDepthNode(DepthNode):
    NODE_NAME = "stereo_depth_node"
    SPECS = params.STEREO
    STREAMS = len(INPUTS)
    DROP_STREAMS = {"dropped_unsynced": (0,), "dropped_camera_info": (1, 3), "dropped_right": (2,)}
    UNSYNCED = "left image(s) without a matching right image and camera_infos"
    FIXED = {"rectified": True, "fallback_hfov_deg": 0.0, "transport": "raw"}
    _baseline = None  # metres, of the last set that passed the stereo checks (diagnostics)

    def _subscribe(self, in_qos):
        # recent stamps per input: the "unsynced" line names the offsets to a dropped left image
        self._recent = [deque(maxlen=2 * self.p["queue_size"] + 2) for _ in INPUTS]
        return [self.create_subscription(msg_type, topic, functools.partial(self._on_input, i), in_qos)
                for i, (topic, msg_type) in enumerate(INPUTS)]

    # -- input (executor thread) -------------------------------------------------------------------
    def _on_input(self, index, msg):
        received = time.perf_counter()
        if not self._active:
            return
        self._recent[index].append(depth_pipeline.stamp_ns(msg.header.stamp))
        if index == 0:
            self.stats.image_received()
        self._offer(index, msg, (msg, received) if index == 0 else msg)

    def _report_unsynced(self, index, msg):
        left = self._sync.last_dropped[0]
        how = "within sync_tolerance of" if self.p["approximate_sync"] else "with the same stamp as"
        nearest = []
        for (topic, _), stamps in zip(INPUTS[1:], self._recent[1:]):
            closest = min(stamps, key=lambda s: abs(s - left), default=None)
            nearest.append(f"{topic} none received" if closest is None
                           else f"{topic} {(closest - left) * 1e-6:+.3f} ms")
        self.input_errors.report(
            "unsynced", f"left images are dropped: no right image and camera_infos {how} "
            f"the left image stamped {left // 10**9}.{left % 10**9:09d} ({self._sync.dropped[0]} dropped "
            f"so far; nearest stamps received: {', '.join(nearest)})",
            "check that all four topics are published (ros2 topic hz) and that the two cameras are "
            "stamped together (hardware-triggered); if their stamps differ a little set "
            "approximate_sync:=true with sync_tolerance below half the frame period")

    # -- worker thread ---------------------------------------------------------------------------
    def _frame(self, matched, p):
        (left, received), left_info, right, right_info = matched
        if (left.width, left.height) != (right.width, right.height):
            raise InputError("stereo_size", f"the left image is {left.width}x{left.height} but the right "
                             f"one is {right.width}x{right.height}",
                             "send both images of one rectified pair at the same resolution (the same "
                             "binning / resizing on both sides)")
        t0 = time.perf_counter()
        right_rgb = _labelled("right image", convert.image_to_rgb8, right)
        decode_s = time.perf_counter() - t0
        _labelled("right camera_info", convert.camera_from_info, right_info, right.width, right.height, True)
        _labelled("left camera_info", convert.camera_from_info, left_info, left.width, left.height, True)
        self._baseline = baseline = stereo_baseline(left_info.p, right_info.p)
        return Frame(left, left_info, received, {"aux_rgb": right_rgb, "baseline_m": baseline}, decode_s)

    def _diagnostics_info(self):
        state, model, extra = super()._diagnostics_info()
        return state, model, extra + (("baseline_m", f"{self._baseline:.4f}" if self._baseline else "-"),)


def main(args=None):
    return run(StereoDepthNode, args)


if __name__ == "__main__":
    sys.exit(main())
