"""sensor_msgs/Image and CompressedImage <-> numpy, without cv_bridge.

cv_bridge ties the package to one ROS distro's OpenCV build; the raw layout is simple enough to
decode with numpy views (one copy per image). cv2 is imported lazily, only for YUV colour
conversion and JPEG/PNG, so that this module imports with numpy alone.
"""
import numpy as np

from .errors import InputError

# encoding -> (dtype, channels). Raw encodings only; YUV ones are handled apart (2 bytes/pixel).
_RAW = {
    "rgb8": (np.uint8, 3), "bgr8": (np.uint8, 3), "rgba8": (np.uint8, 4), "bgra8": (np.uint8, 4),
    "mono8": (np.uint8, 1), "mono16": (np.uint16, 1),
    "8UC1": (np.uint8, 1), "8UC3": (np.uint8, 3), "8UC4": (np.uint8, 4),
    "16UC1": (np.uint16, 1), "16SC1": (np.int16, 1), "32FC1": (np.float32, 1),
}
# yuv422 is UYVY (U0 Y0 V0 Y1), yuv422_yuy2 is YUYV (Y0 U0 Y1 V0); "uyvy"/"yuyv" are the newer names.
_YUV = {"yuv422": "UYVY", "uyvy": "UYVY", "yuv422_yuy2": "YUY2", "yuyv": "YUY2"}
SUPPORTED_ENCODINGS = tuple(_RAW) + tuple(_YUV)


def _unsupported(encoding) -> InputError:
    return InputError("encoding", f"unsupported image encoding '{encoding}'; supported: "
                      + ", ".join(SUPPORTED_ENCODINGS), "republish the camera in one of these encodings")


def _byte_array(data) -> np.ndarray:
    """bytes / bytearray / array.array('B') (what rclpy gives) / list of ints -> uint8 array, no copy."""
    try:
        return np.frombuffer(data, np.uint8)
    except (TypeError, ValueError):  # a list of ints (e.g. from YAML / JSON)
        return np.asarray(data, dtype=np.uint8).ravel()


def _cv2():
    import cv2  # lazy: only YUV and compressed images need it
    return cv2


def decode_image(encoding, height, width, step, data, is_bigendian=False) -> np.ndarray:
    """sensor_msgs/Image fields -> HxW or HxWxC array of the encoding's dtype (a fresh copy).

    YUV 4:2:2 encodings decode to HxWx3 uint8 **RGB** (BT.601 video range, as OpenCV's
    COLOR_YUV2RGB_UYVY/YUY2), since nothing downstream wants subsampled chroma.
    """
    height, width, step = int(height), int(width), int(step)
    if encoding in _YUV:
        dtype, channels, bpp = np.dtype(np.uint8), 2, 2
    elif encoding in _RAW:
        dtype, channels = np.dtype(_RAW[encoding][0]), _RAW[encoding][1]
        bpp = dtype.itemsize * channels
    else:
        raise _unsupported(encoding)
    if height <= 0 or width <= 0:
        raise InputError("size_mismatch", f"{encoding} image has zero size ({width}x{height})")
    if encoding in _YUV and width % 2:
        raise InputError("size_mismatch", f"{encoding} image has odd width {width}",
                         "YUV 4:2:2 pairs pixels, so width must be even")
    row = width * bpp
    if step < row:
        raise InputError("size_mismatch", f"{encoding} step {step} < width {width} x {bpp} bytes = {row}")
    raw = _byte_array(data)
    if raw.size < step * height:
        raise InputError("truncated", f"{encoding} {width}x{height} image needs step*height = "
                         f"{step * height} bytes, got {raw.size}", "the message was cut short")
    rows = raw[: step * height].reshape(height, step)[:, :row]  # view: drops row padding
    if encoding in _YUV:
        cv2 = _cv2()
        code = cv2.COLOR_YUV2RGB_UYVY if _YUV[encoding] == "UYVY" else cv2.COLOR_YUV2RGB_YUY2
        return cv2.cvtColor(np.ascontiguousarray(rows).reshape(height, width, 2), code)
    if dtype.itemsize > 1:
        # Only the last axis must be contiguous to reinterpret bytes; astype copies and byte-swaps.
        wire = dtype.newbyteorder(">" if is_bigendian else "<")
        out = rows.view(wire).astype(dtype.newbyteorder("="), copy=True)
    else:
        out = rows.copy()
    return out.reshape((height, width) if channels == 1 else (height, width, channels))


def _check_array(array, encoding):
    """Raise InputError('encoding') unless `array` has the dtype/channels `encoding` needs."""
    array = np.asarray(array)
    if encoding in _YUV:
        dtype, channels = np.dtype(np.uint8), 3  # YUV is encoded *from* RGB
    elif encoding in _RAW:
        dtype, channels = np.dtype(_RAW[encoding][0]), _RAW[encoding][1]
    else:
        raise _unsupported(encoding)
    if array.ndim == 3 and array.shape[2] == 1 and channels == 1:
        array = array[:, :, 0]
    got = 1 if array.ndim == 2 else (array.shape[2] if array.ndim == 3 else None)
    if got != channels or array.dtype.newbyteorder("=") != dtype:  # any byte order is fine
        raise InputError("encoding", f"{encoding} needs {channels}-channel {dtype.name}, got array "
                         f"{array.shape} {array.dtype.name}", f"convert with astype({dtype.name}) first")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError("size_mismatch", f"cannot encode an empty {array.shape} image")
    return array.astype(dtype, copy=False)  # native byte order from here on


def encode_image(array, encoding) -> tuple:
    """HxW[xC] array -> (step, bytes) for a sensor_msgs/Image with is_bigendian = 0.

    For YUV encodings `array` is HxWx3 uint8 RGB (even width); chroma is averaged per pixel pair.
    """
    array = _check_array(array, encoding)
    if encoding in _YUV:
        if array.shape[1] % 2:
            raise InputError("size_mismatch", f"{encoding} needs an even width, got {array.shape[1]}")
        cv2 = _cv2()
        code = cv2.COLOR_RGB2YUV_UYVY if _YUV[encoding] == "UYVY" else cv2.COLOR_RGB2YUV_YUY2
        array = cv2.cvtColor(np.ascontiguousarray(array), code)
    else:
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)  # the wire is little-endian
    array = np.ascontiguousarray(array)
    return array.shape[1] * array.itemsize * (1 if array.ndim == 2 else array.shape[2]), array.tobytes()


def to_rgb8(array, encoding) -> np.ndarray:
    """Decoded image (as decode_image returns it) -> HxWx3 uint8 RGB, the network's input.

    Mono is replicated to 3 channels. 16-bit mono/IR is scaled by 1/256 (top byte), not by the
    frame's max: a per-frame max makes brightness flicker with scene content and changes the
    input statistics; a fixed scale maps the full 16-bit range onto the full 8-bit range.
    8UC3/8UC4 are taken as BGR(A): that is what cv_bridge "passthrough" makes of OpenCV images.
    """
    array = np.asarray(array)
    if encoding in _YUV:
        encoding = "rgb8"  # decode_image already converted to RGB
    if encoding in ("32FC1", "16SC1"):
        raise InputError("encoding", f"{encoding} is not a camera image encoding (a depth/float image?)",
                         "subscribe to the colour or mono camera topic")
    array = _check_array(array, encoding)
    if encoding in ("rgb8",):
        return array.copy()
    if encoding in ("bgr8", "8UC3"):
        return np.ascontiguousarray(array[:, :, ::-1])
    if encoding == "rgba8":
        return np.ascontiguousarray(array[:, :, :3])
    if encoding in ("bgra8", "8UC4"):
        return np.ascontiguousarray(array[:, :, 2::-1])
    if array.dtype == np.uint16:
        array = (array >> 8).astype(np.uint8)
    return np.repeat(array[:, :, None], 3, axis=2)


def _parse_format(fmt):
    """image_transport format string -> (original encoding or None, codec).

    Forms: "jpeg", "png", "rgb8; jpeg compressed bgr8", "16UC1; compressedDepth png".
    """
    fmt = (fmt or "").strip()
    orig, _, rest = fmt.partition(";") if ";" in fmt else ("", "", fmt)
    words = rest.lower().replace(",", " ").split()
    if "compresseddepth" in words:  # only its PNG flavour; "compressedDepth rvl" is unsupported
        codec = "compressedDepth" if ("png" in words or len(words) == 1) else rest.strip()
        return orig.strip() or None, codec
    for codec in ("jpeg", "jpg", "png"):
        if codec in words:
            return orig.strip() or None, "png" if codec == "png" else "jpeg"
    return orig.strip() or None, rest.strip() or None  # unknown, or empty: let the bytes decide


def decode_compressed(fmt, data) -> tuple:
    """sensor_msgs/CompressedImage (format, data) -> (array, encoding).

    Colour comes back as RGB "rgb8" (alpha dropped), 8-bit grey as "mono8", 16-bit grey as
    "mono16" -- or "16UC1" when the format says the original was 16UC1 (depth, not intensity).
    compressedDepth (compressed_depth_image_transport) PNG is decoded to 16UC1 or 32FC1 metres.
    """
    orig, codec = _parse_format(fmt)
    if codec not in (None, "jpeg", "png", "compressedDepth"):
        raise InputError("encoding", f"unsupported compressed format '{fmt}'; supported: jpeg, png, "
                         "compressedDepth png", "use the compressed (jpeg/png) image_transport")
    raw = _byte_array(data)
    header = None
    if codec == "compressedDepth":
        if raw.size < 12:
            raise InputError("compressed", f"compressedDepth data too short ({raw.size} bytes)")
        header, raw = raw[:12], raw[12:]  # ConfigHeader: int32 format, float32 depthQuantA, depthQuantB
    cv2 = _cv2()
    img = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    if img is None:
        raise InputError("compressed", f"could not decode {raw.size} bytes of '{fmt}' compressed image",
                         "corrupt or truncated data")
    if header is not None:
        if img.ndim != 2 or img.dtype != np.uint16:
            raise InputError("compressed", f"compressedDepth PNG decoded to {img.dtype} {img.shape}")
        if orig == "32FC1":  # inverse-depth quantisation: depth = A / (q - B); q == 0 is invalid
            qa, qb = np.frombuffer(header[4:12].tobytes(), "<f4")
            q = img.astype(np.float32)
            with np.errstate(divide="ignore", invalid="ignore"):
                depth = np.where(q > 0, qa / (q - qb), np.nan).astype(np.float32)
            return depth, "32FC1"
        return img, "16UC1"
    if img.ndim == 3 and img.dtype == np.uint8:
        code = cv2.COLOR_BGRA2RGB if img.shape[2] == 4 else cv2.COLOR_BGR2RGB
        return cv2.cvtColor(img, code), "rgb8"
    if img.ndim == 2 and img.dtype == np.uint8:
        return img, "mono8"
    if img.ndim == 2 and img.dtype == np.uint16:
        return img, "16UC1" if orig == "16UC1" else "mono16"
    raise InputError("compressed", f"unsupported decoded image {img.dtype} {img.shape} from '{fmt}'")


def encode_compressed(array, encoding, fmt="jpeg", quality=90) -> tuple:
    """array in `encoding` -> (format string, bytes) as compressed_image_transport writes them.

    `quality` is the JPEG quality (ignored for PNG, which is lossless). JPEG is 8-bit only:
    16-bit mono images need fmt="png".
    """
    if fmt not in ("jpeg", "png"):
        raise InputError("encoding", f"unsupported compressed format '{fmt}'; supported: jpeg, png")
    if encoding in ("32FC1", "16SC1"):
        raise InputError("encoding", f"cannot {fmt}-compress {encoding}", "publish raw or 16UC1 png")
    array = _check_array(array, encoding)
    cv2 = _cv2()
    if array.dtype == np.uint16:
        if fmt == "jpeg":
            raise InputError("encoding", f"JPEG cannot hold 16-bit {encoding}", "use fmt='png'")
        img, target = array, "mono16"
    elif array.ndim == 2:
        img, target = array, "mono8"
    elif encoding in ("rgba8", "bgra8", "8UC4") and fmt == "png":  # PNG keeps alpha
        img = cv2.cvtColor(array, cv2.COLOR_RGBA2BGRA) if encoding == "rgba8" else array
        target = "bgra8"
    else:  # OpenCV writes BGR
        img, target = cv2.cvtColor(to_rgb8(array, encoding), cv2.COLOR_RGB2BGR), "bgr8"
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if fmt == "jpeg" else [cv2.IMWRITE_PNG_COMPRESSION, 3]
    ok, buf = cv2.imencode("." + ("jpg" if fmt == "jpeg" else "png"), np.ascontiguousarray(img), params)
    if not ok:
        raise InputError("compressed", f"OpenCV failed to {fmt}-encode a {img.shape} {img.dtype} image")
    return f"{encoding}; {fmt} compressed {target}", buf.tobytes()
