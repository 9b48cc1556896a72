"""ROS messages <-> numpy for the depth nodes (our cv_bridge / sensor_msgs_py, thin over core).

The pixel work lives in core (tested without ROS); this module only moves fields. uint8[] fields
are filled with array.array('B'): assigning bytes or a list makes rclpy check every byte in
Python (~1 s for a 640x480 cloud), while an array.array is taken as is.
"""
import array

import numpy as np
from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField

from ..core.camera import PinholeCamera
from ..core.errors import InputError
from ..core.image_codec import decode_compressed, decode_image, encode_image, to_rgb8


def _bytes_field(data) -> array.array:
    out = array.array("B")
    out.frombytes(data)  # any bytes-like object, one memcpy
    return out


def image_to_rgb8(msg: Image) -> np.ndarray:
    """sensor_msgs/Image (any camera encoding core supports) -> HxWx3 uint8 RGB."""
    decoded = decode_image(msg.encoding, msg.height, msg.width, msg.step, msg.data, bool(msg.is_bigendian))
    return to_rgb8(decoded, msg.encoding)


def compressed_to_rgb8(msg) -> np.ndarray:
    """sensor_msgs/CompressedImage (jpeg / png) -> HxWx3 uint8 RGB."""
    decoded, encoding = decode_compressed(msg.format, msg.data)
    return to_rgb8(decoded, encoding)


def array_to_image(values: np.ndarray, encoding: str, header) -> Image:
    """HxW[xC] array -> sensor_msgs/Image with `header` (32FC1 for metres, rgb8 for pictures)."""
    step, data = encode_image(values, encoding)
    msg = Image(header=header, height=int(values.shape[0]), width=int(values.shape[1]),
                encoding=encoding, is_bigendian=0, step=int(step))
    msg.data = _bytes_field(data)
    return msg


def image_to_array(msg: Image) -> np.ndarray:
    """sensor_msgs/Image -> array of its encoding's dtype (e.g. 32FC1 -> HxW float32 metres)."""
    return decode_image(msg.encoding, msg.height, msg.width, msg.step, msg.data, bool(msg.is_bigendian))


def camera_from_info(info: CameraInfo, width: int, height: int, rectified: bool = False,
                     fallback_hfov_deg: float = 0.0) -> PinholeCamera:
    """Intrinsics for an image of `width` x `height` from its camera_info.

    A camera_info of another size belongs to another stream or calibration (a resized image,
    binning): using its K would put every point in the wrong place, so it is rejected.
    An all-zero K (P if `rectified`), an uncalibrated driver, becomes a pinhole of
    `fallback_hfov_deg` when that is > 0, and an InputError otherwise.
    """
    if (info.width, info.height) != (width, height):
        raise InputError("camera_info_size",
                         f"camera_info is {info.width}x{info.height} but the image is {width}x{height}",
                         "pair the image with the camera_info of the same stream/resolution "
                         "(remap camera_info), or republish a camera_info for the resized image")
    matrix = info.p if rectified else info.k
    if fallback_hfov_deg > 0 and not any(float(v) for v in matrix):
        return PinholeCamera.from_fov(width, height, fallback_hfov_deg)
    return PinholeCamera.from_camera_info(info.k, info.p, info.width, info.height, rectified)


def output_camera_info(info: CameraInfo, header, decimation: int = 1, camera=None) -> CameraInfo:
    """camera_info of the published depth: the input's, at every `decimation`-th pixel.

    Pixel u' of depth[::d, ::d] is pixel d*u' of the image, so fx, fy, cx, cy and P's Tx, Ty
    divide by d (no half-pixel shift: nothing is resampled). D and R are unchanged (D acts on
    normalised coordinates). A zero P (uncalibrated rectification) is filled from K, a zero K
    from `camera` (the intrinsics actually used, e.g. the fallback field of view).
    """
    d = int(decimation)
    k = [float(v) for v in info.k]
    if camera is not None and not any(k):  # uncalibrated input: publish what was assumed
        k = camera.k_matrix()
    p = [float(v) for v in info.p]
    if not any(p):
        p = [k[0], 0.0, k[2], 0.0, 0.0, k[4], k[5], 0.0, 0.0, 0.0, 1.0, 0.0]
    for i in (0, 1, 2, 3, 4):  # rows 0 and 1 of K (fx, skew, cx; 0, fy, cy)
        k[i] /= d
    k[5] /= d
    for i in range(8):  # rows 0 and 1 of P (fx, skew, cx, Tx; 0, fy, cy, Ty)
        p[i] /= d
    return CameraInfo(header=header, height=-(-int(info.height) // d), width=-(-int(info.width) // d),
                      distortion_model=info.distortion_model, d=list(info.d), k=k, r=list(info.r), p=p)


def pointcloud_msg(buf, header) -> PointCloud2:
    """core.pointcloud.PointBuffer -> organised sensor_msgs/PointCloud2 with `header`."""
    msg = PointCloud2(header=header, height=int(buf.height), width=int(buf.width),
                      is_bigendian=False, point_step=int(buf.point_step),
                      row_step=int(buf.point_step * buf.width), is_dense=bool(buf.is_dense))
    msg.fields = [PointField(name=name, offset=int(offset), datatype=int(datatype), count=int(count))
                  for name, offset, datatype, count in buf.fields]
    msg.data = _bytes_field(buf.data)
    return msg


def pointcloud_to_array(msg: PointCloud2) -> np.ndarray:
    """HxWx(point_step/4) float32 view of a little-endian float cloud (tests, simple consumers)."""
    if msg.is_bigendian:
        raise InputError("encoding", "big-endian PointCloud2 is not supported")
    floats = np.frombuffer(msg.data, "<f4")
    return floats.reshape(msg.height, msg.width, msg.point_step // 4)


def estimate_msg(header, depth: Image, uncertainty: Image, info: CameraInfo, model_name: str,
                 inference_time: float, num_samples: int):
    """depth_restore_ros_msgs/DepthEstimate: one frame's outputs in one message."""
    from depth_restore_ros_msgs.msg import DepthEstimate  # built by colcon: not needed to import us

    return DepthEstimate(header=header, depth=depth, uncertainty=uncertainty, camera_info=info,
                         model_name=str(model_name), inference_time=float(inference_time),
                         num_samples=int(num_samples))
