"""Message <-> numpy conversions and the frame pipeline, without a ROS graph (no rclpy.init)."""
import array
import math
import time

import numpy as np
import pytest

pytest.importorskip("rclpy")
from rclpy.serialization import deserialize_message, serialize_message  # noqa: E402
from sensor_msgs.msg import CameraInfo, Image, PointCloud2  # noqa: E402
from std_msgs.msg import Header  # noqa: E402

from depth_restore_ros.core.camera import PinholeCamera  # noqa: E402
from depth_restore_ros.core.errors import InputError  # noqa: E402
from depth_restore_ros.core.image_codec import encode_compressed, encode_image  # noqa: E402
from depth_restore_ros.core.pointcloud import backproject  # noqa: E402
from depth_restore_ros.ros import convert, depth_pipeline, params  # noqa: E402


def header(sec=12, nanosec=345, frame="cam_optical"):
    h = Header(frame_id=frame)
    h.stamp.sec, h.stamp.nanosec = sec, nanosec
    return h


def info_msg(width=64, height=48, fx=50.0, cx=31.5, cy=23.5, tx=0.0):
    return CameraInfo(header=header(), width=width, height=height, distortion_model="plumb_bob",
                      d=[0.1, -0.02, 0.0, 0.0, 0.0], k=[fx, 0.0, cx, 0.0, fx, cy, 0.0, 0.0, 1.0],
                      r=[1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0],
                      p=[fx, 0.0, cx, tx, 0.0, fx, cy, 0.0, 0.0, 0.0, 1.0, 0.0])


def image_msg(array_, encoding):
    step, data = encode_image(array_, encoding)
    msg = Image(header=header(), height=array_.shape[0], width=array_.shape[1], encoding=encoding, step=step)
    msg.data = array.array("B", data)
    return deserialize_message(serialize_message(msg), Image)  # data as rclpy hands it to callbacks


def test_image_to_rgb8_handles_colour_order_and_mono():
    rgb = np.random.default_rng(0).integers(0, 256, (6, 8, 3), dtype=np.uint8)
    assert np.array_equal(convert.image_to_rgb8(image_msg(rgb, "rgb8")), rgb)
    assert np.array_equal(convert.image_to_rgb8(image_msg(rgb[:, :, ::-1], "bgr8")), rgb)
    grey = convert.image_to_rgb8(image_msg(rgb[:, :, 0], "mono8"))
    assert grey.shape == (6, 8, 3) and np.array_equal(grey[:, :, 2], rgb[:, :, 0])


def test_image_to_rgb8_rejects_bad_images_with_kinds():
    msg = image_msg(np.zeros((6, 8, 3), np.uint8), "rgb8")
    msg.encoding = "bayer_rggb8"
    with pytest.raises(InputError) as err:
        convert.image_to_rgb8(msg)
    assert err.value.kind == "encoding"
    msg = image_msg(np.zeros((6, 8, 3), np.uint8), "rgb8")
    msg.data = msg.data[:10]
    with pytest.raises(InputError) as err:
        convert.image_to_rgb8(msg)
    assert err.value.kind == "truncated"


def test_compressed_to_rgb8():
    rgb = np.random.default_rng(1).integers(0, 256, (16, 24, 3), dtype=np.uint8)
    fmt, data = encode_compressed(rgb, "rgb8", "png")
    from sensor_msgs.msg import CompressedImage
    msg = CompressedImage(format=fmt)
    msg.data = array.array("B", data)
    assert np.array_equal(convert.compressed_to_rgb8(msg), rgb)
    msg.data = array.array("B", b"not an image at all")
    with pytest.raises(InputError) as err:
        convert.compressed_to_rgb8(msg)
    assert err.value.kind == "compressed"


def test_depth_image_round_trip_keeps_nan_header_and_layout():
    depth = np.linspace(0.5, 9.0, 48 * 64, dtype=np.float32).reshape(48, 64)
    depth[3, 4] = np.nan
    msg = convert.array_to_image(depth, "32FC1", header())
    assert (msg.encoding, msg.width, msg.height, msg.step, msg.is_bigendian) == ("32FC1", 64, 48, 256, 0)
    assert isinstance(msg.data, array.array) and msg.header.frame_id == "cam_optical"
    back = convert.image_to_array(deserialize_message(serialize_message(msg), Image))
    assert np.array_equal(back, depth, equal_nan=True)


def test_large_messages_are_built_fast():
    """uint8[] fields filled from bytes or lists cost ~1 s per cloud in rclpy; array.array does not."""
    depth = np.full((480, 640), 2.0, np.float32)
    cam = PinholeCamera(500.0, 500.0, 319.5, 239.5, 640, 480)
    rgb = np.zeros((480, 640, 3), np.uint8)
    t0 = time.perf_counter()
    convert.array_to_image(depth, "32FC1", header())
    convert.pointcloud_msg(backproject(depth, cam, rgb=rgb), header())
    assert time.perf_counter() - t0 < 0.25


def test_camera_from_info_checks_size_and_uses_k_or_p():
    info = info_msg()
    info.p[0] = info.p[5] = 40.0  # rectification changed the focal length
    assert convert.camera_from_info(info, 64, 48).fx == 50.0
    assert convert.camera_from_info(info, 64, 48, rectified=True).fx == 40.0
    with pytest.raises(InputError) as err:
        convert.camera_from_info(info, 128, 96)
    assert err.value.kind == "camera_info_size" and err.value.hint
    info.k = [math.nan] + [0.0] * 8
    with pytest.raises(InputError) as err:
        convert.camera_from_info(info, 64, 48)
    assert err.value.kind == "camera_info"


def test_uncalibrated_camera_info_uses_the_fallback_field_of_view_only_when_asked():
    info = info_msg()
    info.k = [0.0] * 9
    with pytest.raises(InputError):
        convert.camera_from_info(info, 64, 48)
    cam = convert.camera_from_info(info, 64, 48, fallback_hfov_deg=90.0)
    assert cam.fx == pytest.approx(32.0)
    out = convert.output_camera_info(info, header(), 1, cam)
    assert out.k[0] == pytest.approx(32.0) and out.p[0] == pytest.approx(50.0)  # P as the driver sent it


def test_output_camera_info_follows_decimation():
    info = info_msg(tx=-5.0)
    same = convert.output_camera_info(info, header(7, 8, "depth_frame"), 1)
    assert list(same.k) == list(info.k) and list(same.p) == list(info.p)
    assert (same.width, same.height) == (64, 48)
    assert (same.header.stamp.sec, same.header.frame_id) == (7, "depth_frame")
    assert list(same.d) == list(info.d) and same.distortion_model == "plumb_bob"
    half = convert.output_camera_info(info, header(), 2)
    assert (half.width, half.height) == (32, 24)
    assert list(half.k) == [25.0, 0.0, 15.75, 0.0, 25.0, 11.75, 0.0, 0.0, 1.0]
    assert list(half.p) == [25.0, 0.0, 15.75, -2.5, 0.0, 25.0, 11.75, 0.0, 0.0, 0.0, 1.0, 0.0]
    # pixel u' of depth[::2, ::2] is pixel 2u': the decimated intrinsics must project it there
    cam, cam2 = PinholeCamera(50.0, 50.0, 31.5, 23.5, 64, 48), PinholeCamera(25.0, 25.0, 15.75, 11.75, 32, 24)
    point = [[0.3, -0.2, 2.0]]
    assert np.allclose(cam.project(point), 2 * cam2.project(point))
    odd = convert.output_camera_info(info_msg(width=65, height=49), header(), 2)
    assert (odd.width, odd.height) == (33, 25)  # what depth[::2, ::2] of 65x49 has
    no_p = info_msg()
    no_p.p = [0.0] * 12
    assert convert.output_camera_info(no_p, header(), 1).p[0] == 50.0


def test_pointcloud_msg_is_organised_and_survives_serialisation():
    depth = np.full((48, 64), 2.0, np.float32)
    depth[0, 0] = np.nan
    rgb = np.zeros((48, 64, 3), np.uint8)
    rgb[..., 0] = 255
    cam = PinholeCamera(50.0, 50.0, 31.5, 23.5, 64, 48)
    msg = convert.pointcloud_msg(backproject(depth, cam, rgb=rgb), header())
    assert (msg.height, msg.width, msg.point_step, msg.row_step, msg.is_dense) == (48, 64, 16, 1024, False)
    assert [(f.name, f.offset, f.datatype, f.count) for f in msg.fields] == [
        ("x", 0, 7, 1), ("y", 4, 7, 1), ("z", 8, 7, 1), ("rgb", 12, 7, 1)]
    back = deserialize_message(serialize_message(msg), PointCloud2)
    pts = convert.pointcloud_to_array(back)
    assert np.isnan(pts[0, 0, :3]).all() and pts[47, 63, 2] == 2.0
    assert pts[47, 63, 0] == pytest.approx((63 - 31.5) / 50.0 * 2.0)
    assert np.frombuffer(back.data, np.uint8).reshape(48, 64, 16)[5, 5, 12:16].tolist() == [0, 0, 255, 0]


def test_estimate_msg_carries_the_frame():
    pytest.importorskip("depth_restore_ros_msgs.msg")
    depth = convert.array_to_image(np.ones((4, 4), np.float32), "32FC1", header())
    est = convert.estimate_msg(header(), depth, depth, info_msg(4, 4), "m", 0.0125, 3)
    assert (est.model_name, est.num_samples, est.header.stamp.nanosec) == ("m", 3, 345)
    assert est.inference_time == pytest.approx(0.0125) and est.depth.width == 4


P = {spec.name: spec.default for spec in params.MONO}


def test_mask_range_invalidates_both_maps():
    depth = np.array([[0.05, 1.0, 50.0, np.nan]], np.float32)
    unc = np.ones_like(depth)
    depth_pipeline.mask_range(depth, unc, 0.1, 10.0)
    assert np.array_equal(np.isnan(depth), [[True, False, True, True]])
    assert np.array_equal(np.isnan(unc), np.isnan(depth))


def test_build_outputs_share_one_header_and_one_decimation():
    rng = np.random.default_rng(2)
    depth = rng.uniform(1, 5, (48, 64)).astype(np.float32)
    unc = np.full_like(depth, 0.1)
    cam = PinholeCamera(50.0, 50.0, 31.5, 23.5, 64, 48)
    p = dict(P, publish_colorized=True, output_decimation=2, cloud_decimation=2)
    rgb = np.zeros((48, 64, 3), np.uint8)
    outputs, timings = depth_pipeline.build_outputs(header(), info_msg(), rgb, cam, depth, unc, p, "m",
                                                    0.01, 1)
    topics = [t for t, _ in outputs]
    assert topics == list(depth_pipeline.TOPICS) and set(timings) == {"postprocess", "cloud"}
    for _, msg in outputs:
        stamp = msg.header.stamp
        assert (stamp.sec, stamp.nanosec, msg.header.frame_id) == (12, 345, "cam_optical")
    msgs = dict(outputs)
    assert {msgs[t].width for t in ("depth/image", "depth/camera_info", "depth/uncertainty")} == {32}
    assert (msgs["points"].width, msgs["points"].height) == (16, 12)
    assert msgs["depth/colorized"].encoding == "rgb8"
    off = dict(P, publish_points=False, publish_uncertainty=False, publish_estimate=False)
    outputs, _ = depth_pipeline.build_outputs(header(), info_msg(), None, cam, depth, unc, off, "m", 0.01, 1)
    assert [t for t, _ in outputs] == ["depth/image", "depth/camera_info"]
    # lazy: only what someone listens to, plus depth and its camera_info
    outputs, timings = depth_pipeline.build_outputs(header(), info_msg(), rgb, cam, depth, unc, p, "m", 0.01, 1,
                                                    wanted=["depth/uncertainty"])
    assert [t for t, _ in outputs] == ["depth/image", "depth/camera_info", "depth/uncertainty"]


@pytest.fixture(scope="module")
def estimator():
    from depth_restore_ros import Estimator
    from depth_restore_ros.inference.registry import DEFAULT_MODEL
    return Estimator.from_pretrained(DEFAULT_MODEL)


def test_process_runs_the_model_and_times_each_step(estimator):
    rgb = np.random.default_rng(3).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    outputs, timings = depth_pipeline.process(estimator, image_msg(rgb, "rgb8"), info_msg(),
                                              dict(P, max_depth=30.0), compressed=False)
    assert set(timings) == {"decode", "preprocess", "inference", "postprocess", "cloud"}
    assert all(v >= 0 for v in timings.values()) and timings["inference"] > 0
    depth = convert.image_to_array(dict(outputs)["depth/image"])
    assert depth.shape == (48, 64) and np.nanmax(depth) <= 30.0 and np.isfinite(depth).any()


def test_process_raises_input_error_and_builds_nothing_for_bad_input(estimator):
    rgb = np.zeros((48, 64, 3), np.uint8)
    with pytest.raises(InputError) as err:
        depth_pipeline.process(estimator, image_msg(rgb, "rgb8"), info_msg(32, 24), P, compressed=False)
    assert err.value.kind == "camera_info_size"
