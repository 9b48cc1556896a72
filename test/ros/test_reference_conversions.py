"""Cross-check our conversions against cv_bridge and sensor_msgs_py where a full ROS install has them.

They cannot be installed from the package index (see README), so on the development machines and
in CI these tests are skipped with that reason; on a robot with ROS 2 sourced they run.
"""
import math

import numpy as np
import pytest

pytest.importorskip("rclpy")
from std_msgs.msg import Header  # noqa: E402

from depth_restore_ros.core.camera import PinholeCamera  # noqa: E402
from depth_restore_ros.core.pointcloud import backproject  # noqa: E402
from depth_restore_ros.ros import convert  # noqa: E402

ENCODINGS = {"rgb8": (np.uint8, 3), "bgr8": (np.uint8, 3), "rgba8": (np.uint8, 4), "bgra8": (np.uint8, 4),
             "mono8": (np.uint8, 1), "mono16": (np.uint16, 1), "16UC1": (np.uint16, 1),
             "32FC1": (np.float32, 1)}


def random_image(encoding, height=7, width=9):
    dtype, channels = ENCODINGS[encoding]
    rng = np.random.default_rng(3)
    shape = (height, width) if channels == 1 else (height, width, channels)
    if dtype == np.float32:
        return rng.uniform(0.1, 30.0, shape).astype(np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype)


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_images_match_cv_bridge_both_ways(encoding):
    cv_bridge = pytest.importorskip("cv_bridge", reason="cv_bridge is not installable from the package index")
    bridge = cv_bridge.CvBridge()
    values = random_image(encoding)
    ours = convert.array_to_image(values, encoding, Header(frame_id="cam"))
    theirs = bridge.cv2_to_imgmsg(values, encoding=encoding)
    assert (ours.height, ours.width, ours.step, ours.encoding) == (theirs.height, theirs.width, theirs.step,
                                                                   theirs.encoding)
    assert bytes(ours.data) == bytes(theirs.data)
    assert np.array_equal(convert.image_to_array(theirs).reshape(values.shape), values)
    assert np.array_equal(bridge.imgmsg_to_cv2(ours).reshape(values.shape), values)


def test_organised_cloud_matches_sensor_msgs_py():
    pc2 = pytest.importorskip("sensor_msgs_py.point_cloud2",
                              reason="sensor_msgs_py is not installable from the package index")
    depth = np.random.default_rng(1).uniform(0.5, 9.0, (6, 8)).astype(np.float32)
    depth[2, 3] = np.nan
    rgb = np.random.default_rng(2).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    camera = PinholeCamera(7.0, 7.5, 3.5, 2.5, 8, 6)
    msg = convert.pointcloud_msg(backproject(depth, camera, rgb=rgb), Header(frame_id="cam"))
    theirs = list(pc2.read_points(msg, field_names=("x", "y", "z"), skip_nans=False))
    ours = convert.pointcloud_to_array(msg)[..., :3].reshape(-1, 3)
    assert len(theirs) == depth.size
    for point, mine in zip(theirs, ours):
        for a, b in zip(point, mine):
            assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(float(b))
