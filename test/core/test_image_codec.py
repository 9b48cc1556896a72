"""image_codec: raw encodings round-trip, padding, endianness, YUV against OpenCV, JPEG/PNG, errors."""
import array
from contextlib import contextmanager

import cv2
import numpy as np
import pytest

from depth_restore_ros.core.errors import InputError
from depth_restore_ros.core.image_codec import (
    SUPPORTED_ENCODINGS, decode_compressed, decode_image, encode_compressed, encode_image, to_rgb8)

RNG = np.random.default_rng(0)
RAW = {  # encoding -> (dtype, channels)
    "rgb8": (np.uint8, 3), "bgr8": (np.uint8, 3), "rgba8": (np.uint8, 4), "bgra8": (np.uint8, 4),
    "mono8": (np.uint8, 1), "mono16": (np.uint16, 1), "8UC1": (np.uint8, 1), "8UC3": (np.uint8, 3),
    "8UC4": (np.uint8, 4), "16UC1": (np.uint16, 1), "16SC1": (np.int16, 1), "32FC1": (np.float32, 1),
}


def random_image(dtype, channels, h=7, w=5):
    shape = (h, w) if channels == 1 else (h, w, channels)
    if dtype == np.float32:
        img = RNG.normal(size=shape).astype(np.float32)
        img.flat[3] = np.nan  # depth images carry NaN; it must survive
        return img
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


@contextmanager
def expect(kind, *words):
    """pytest.raises for an InputError of `kind` whose message names every word."""
    with pytest.raises(InputError) as info:
        yield info
    assert info.value.kind == kind, info.value
    for word in words:
        assert word in info.value.message, info.value


@pytest.mark.parametrize("encoding", sorted(RAW))
def test_raw_encodings_round_trip(encoding):
    img = random_image(*RAW[encoding])
    step, data = encode_image(img, encoding)
    assert step == img.shape[1] * img.itemsize * (1 if img.ndim == 2 else img.shape[2])
    out = decode_image(encoding, img.shape[0], img.shape[1], step, data)
    assert out.dtype == img.dtype and out.shape == img.shape
    np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize("encoding", ["rgb8", "mono16", "32FC1", "bgra8"])
def test_padded_rows(encoding):
    img = random_image(*RAW[encoding], h=6, w=9)
    step, data = encode_image(img, encoding)
    pad = 7  # odd padding: rows of 16/32-bit pixels start unaligned
    rows = np.frombuffer(data, np.uint8).reshape(img.shape[0], step)
    padded = np.concatenate([rows, np.full((img.shape[0], pad), 0xAB, np.uint8)], axis=1)
    out = decode_image(encoding, img.shape[0], img.shape[1], step + pad, padded.tobytes())
    np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize("encoding,wire", [("16UC1", ">u2"), ("32FC1", ">f4"), ("mono16", ">u2")])
def test_big_endian(encoding, wire):
    img = random_image(*RAW[encoding])
    data = img.astype(wire).tobytes()
    step = img.shape[1] * img.itemsize
    out = decode_image(encoding, img.shape[0], img.shape[1], step, data, is_bigendian=True)
    np.testing.assert_array_equal(out, img)
    assert out.dtype.isnative
    assert encode_image(img.astype(wire), encoding)[1] == encode_image(img, encoding)[1]  # LE on the wire
    wrong = decode_image(encoding, img.shape[0], img.shape[1], step, data, is_bigendian=False)
    assert not np.array_equal(wrong, img, equal_nan=True)  # the flag is honoured


def test_decode_copies_and_accepts_rclpy_buffers():
    img = random_image(np.uint8, 3)
    step, data = encode_image(img, "rgb8")
    buf = bytearray(data)
    out = decode_image("rgb8", img.shape[0], img.shape[1], step, buf)
    buf[:] = bytes(len(buf))  # the message buffer is reused by the middleware
    np.testing.assert_array_equal(out, img)
    assert out.flags.writeable and out.flags.c_contiguous
    for data_like in (array.array("B", data), list(data), memoryview(data)):
        np.testing.assert_array_equal(decode_image("rgb8", *img.shape[:2], step, data_like), img)


def bt601(y, u, v):
    """Textbook BT.601 video-range YUV -> RGB, independent of OpenCV."""
    y, u, v = (np.asarray(a, np.float64) for a in (y, u, v))
    c = 1.164 * (y - 16).clip(0)
    u, v = u - 128, v - 128
    rgb = np.stack([c + 1.596 * v, c - 0.813 * v - 0.391 * u, c + 2.018 * u], -1)
    return rgb.clip(0, 255)


@pytest.mark.parametrize("encoding,layout,code", [
    ("yuv422", "UYVY", cv2.COLOR_YUV2RGB_UYVY), ("uyvy", "UYVY", cv2.COLOR_YUV2RGB_UYVY),
    ("yuv422_yuy2", "YUYV", cv2.COLOR_YUV2RGB_YUY2), ("yuyv", "YUYV", cv2.COLOR_YUV2RGB_YUY2)])
def test_yuv_decodes_like_opencv_and_bt601(encoding, layout, code):
    h, w = 4, 6
    buf = RNG.integers(0, 256, size=(h, w * 2), dtype=np.uint8)
    out = decode_image(encoding, h, w, w * 2, buf.tobytes())
    assert out.shape == (h, w, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, cv2.cvtColor(buf.reshape(h, w, 2), code))
    quads = buf.reshape(h, w // 2, 4)
    if layout == "UYVY":
        u, y0, v, y1 = (quads[..., k] for k in range(4))
    else:
        y0, u, y1, v = (quads[..., k] for k in range(4))
    y = np.stack([y0, y1], -1).reshape(h, w)
    ref = bt601(y, np.repeat(u, 2, 1), np.repeat(v, 2, 1))
    assert np.abs(out - ref).max() <= 2.0  # byte order and colour matrix, checked without OpenCV


def test_yuv_white_black_and_encode():
    white = decode_image("yuv422", 1, 2, 4, bytes([128, 235, 128, 235]))
    black = decode_image("yuv422_yuy2", 1, 2, 4, bytes([16, 128, 16, 128]))
    assert (white == 255).all() and (black == 0).all()
    rgb = np.repeat(RNG.integers(30, 220, size=(8, 5, 3), dtype=np.uint8), 2, axis=1)  # pairs share chroma
    for enc in ("yuv422", "yuv422_yuy2"):
        step, data = encode_image(rgb, enc)
        assert step == rgb.shape[1] * 2
        back = decode_image(enc, 8, 10, step, data)
        assert np.abs(back.astype(int) - rgb).max() <= 4  # YUV is lossy (rounding), not exact


def test_errors_name_kind_and_encoding():
    with expect("encoding", "bayer_rggb8", "rgb8", "yuv422"):
        decode_image("bayer_rggb8", 2, 2, 2, bytes(4))
    with expect("truncated", "rgb8"):
        decode_image("rgb8", 4, 4, 12, bytes(12 * 4 - 1))
    with expect("size_mismatch", "32FC1"):
        decode_image("32FC1", 4, 4, 15, bytes(64))
    with expect("size_mismatch"):
        decode_image("mono8", 0, 4, 4, b"")
    with expect("size_mismatch", "odd width"):
        decode_image("yuv422", 2, 3, 6, bytes(12))
    with expect("encoding", "mono16"):
        encode_image(np.zeros((2, 2), np.uint8), "mono16")
    with expect("encoding", "rgb8"):
        encode_image(np.zeros((2, 2, 4), np.uint8), "rgb8")
    with expect("encoding", "foo"):
        encode_image(np.zeros((2, 2), np.uint8), "foo")
    assert set(RAW) | {"yuv422", "yuv422_yuy2"} <= set(SUPPORTED_ENCODINGS)


def test_to_rgb8():
    rgb = random_image(np.uint8, 3)
    np.testing.assert_array_equal(to_rgb8(rgb, "rgb8"), rgb)
    np.testing.assert_array_equal(to_rgb8(rgb[:, :, ::-1], "bgr8"), rgb)
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 7, np.uint8)], axis=2)
    np.testing.assert_array_equal(to_rgb8(rgba, "rgba8"), rgb)
    np.testing.assert_array_equal(to_rgb8(rgba[:, :, [2, 1, 0, 3]], "bgra8"), rgb)
    mono = random_image(np.uint8, 1)
    np.testing.assert_array_equal(to_rgb8(mono, "mono8"), np.stack([mono] * 3, -1))
    ir = np.array([[0, 255, 256, 65535]], np.uint16)
    np.testing.assert_array_equal(to_rgb8(ir, "mono16")[..., 0], [[0, 0, 1, 255]])  # fixed 1/256 scale
    with expect("encoding", "32FC1"):
        to_rgb8(np.zeros((2, 2), np.float32), "32FC1")


def test_png_round_trips_exactly():
    cases = [(random_image(np.uint8, 3), "rgb8", "rgb8"), (random_image(np.uint8, 3), "bgr8", "rgb8"),
             (random_image(np.uint8, 1), "mono8", "mono8"), (random_image(np.uint16, 1), "mono16", "mono16"),
             (random_image(np.uint16, 1), "16UC1", "16UC1"), (random_image(np.uint8, 4), "rgba8", "rgb8"),
             (random_image(np.uint8, 4), "bgra8", "rgb8")]
    for img, enc, out_enc in cases:
        fmt, data = encode_compressed(img, enc, fmt="png")
        assert fmt.startswith(f"{enc}; png compressed ")
        out, got_enc = decode_compressed(fmt, data)
        assert got_enc == out_enc
        np.testing.assert_array_equal(out, to_rgb8(img, enc) if out_enc == "rgb8" else img)
    out, enc = decode_compressed("png", encode_compressed(cases[0][0], "rgb8", "png")[1])  # legacy format
    assert enc == "rgb8" and np.array_equal(out, cases[0][0])


def test_jpeg_round_trip_is_close():
    yy, xx = np.mgrid[0:48, 0:64]
    rgb = np.stack([xx * 4, yy * 5, 255 - xx * 3], -1).astype(np.uint8)  # smooth: JPEG-friendly
    fmt, data = encode_compressed(rgb, "rgb8", fmt="jpeg", quality=95)
    assert fmt == "rgb8; jpeg compressed bgr8"
    out, enc = decode_compressed(fmt, data)
    assert enc == "rgb8" and out.shape == rgb.shape
    assert np.abs(out.astype(int) - rgb).mean() < 3.0  # and channel order kept: a swap would be ~100
    with expect("encoding", "16-bit"):
        encode_compressed(np.zeros((4, 4), np.uint16), "mono16", fmt="jpeg")


def test_compressed_errors():
    with expect("compressed"):
        decode_compressed("rgb8; jpeg compressed bgr8", b"\xff\xd8 not really a jpeg")
    with expect("compressed"):
        decode_compressed("png", b"")
    with expect("encoding", "theora"):
        decode_compressed("theora", b"\x00" * 10)


def test_compressed_depth_png():
    depth_mm = RNG.integers(0, 5000, size=(5, 6), dtype=np.uint16)
    png = cv2.imencode(".png", depth_mm)[1].tobytes()
    header = np.array([1], "<i4").tobytes() + np.array([0, 0], "<f4").tobytes()
    out, enc = decode_compressed("16UC1; compressedDepth png", header + png)
    assert enc == "16UC1" and np.array_equal(out, depth_mm)
    qa, qb = 100.0, -10.0  # depth = A / (q - B)
    q = np.array([[0, 30, 90]], np.uint16)
    header = np.array([1], "<i4").tobytes() + np.array([qa, qb], "<f4").tobytes()
    out, enc = decode_compressed("32FC1; compressedDepth png", header + cv2.imencode(".png", q)[1].tobytes())
    assert enc == "32FC1" and np.isnan(out[0, 0])
    np.testing.assert_allclose(out[0, 1:], [100 / 40, 100 / 100], rtol=1e-6)
