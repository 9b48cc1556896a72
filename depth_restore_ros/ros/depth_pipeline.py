"""One frame through a depth node: decode -> Estimator.predict -> every output message, timed.

Kept apart from the node so the mono and stereo nodes share it and so the node file is only
wiring. Every message of a frame is built before any is published: a frame that fails half-way
raises InputError and publishes nothing, never a depth image without its camera_info.
Every output carries exactly the input image's header (stamp and frame_id).
"""
import time
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from ..core.colorize import colorize_depth
from ..core.pointcloud import backproject
from . import convert

# Publish order: what consumers wait on first (depth + its camera_info), the heavy cloud last.
TOPICS = ("depth/image", "depth/camera_info", "depth/uncertainty", "depth/estimate",
          "depth/colorized", "points")
FLAGS = {"depth/uncertainty": "publish_uncertainty", "depth/estimate": "publish_estimate",
         "depth/colorized": "publish_colorized", "points": "publish_points"}


def enabled_topics(p: dict) -> List[str]:
    """The output topics the publish_* parameters switch on, in publish order."""
    return [t for t in TOPICS if t not in FLAGS or p[FLAGS[t]]]


def stamp_ns(stamp) -> int:
    """builtin_interfaces/Time -> integer nanoseconds (exact: stamps are matched for equality)."""
    return int(stamp.sec) * 1_000_000_000 + int(stamp.nanosec)


def decode(image_msg, info_msg, compressed: bool, rectified: bool, fallback_hfov_deg: float = 0.0):
    """Input messages -> (rgb HxWx3 uint8, PinholeCamera for that image). Raises InputError."""
    if compressed:
        rgb = convert.compressed_to_rgb8(image_msg)
    else:
        rgb = convert.image_to_rgb8(image_msg)
    camera = convert.camera_from_info(info_msg, rgb.shape[1], rgb.shape[0], rectified, fallback_hfov_deg)
    return rgb, camera


def mask_range(depth: np.ndarray, uncertainty: np.ndarray, min_depth: float, max_depth: float) -> None:
    """Depth outside [min_depth, max_depth] becomes NaN in both maps, in place."""
    with np.errstate(invalid="ignore"):
        invalid = ~((depth >= min_depth) & (depth <= max_depth))  # NaN stays invalid
    depth[invalid] = np.nan
    uncertainty[invalid] = np.nan


def build_outputs(header, info_msg, rgb, camera, depth, uncertainty, p: dict, model_name: str,
                  inference_s: float, num_samples: int,
                  wanted: Optional[Iterable[str]] = None) -> Tuple[List[Tuple[str, object]], Dict[str, float]]:
    """[(topic, message)] for the enabled outputs, and the seconds spent in "postprocess"/"cloud".

    `wanted`: the topics someone listens to (None: all). Others are not built, except depth/image
    and depth/camera_info, which are cheap and keep a late subscriber from waiting a frame.
    """
    t0 = time.perf_counter()
    topics = enabled_topics(p)
    if wanted is not None:
        wanted = set(wanted) | {"depth/image", "depth/camera_info"}
        topics = [t for t in topics if t in wanted]
    d = int(p["output_decimation"])
    depth_out = depth[::d, ::d]
    msgs = {"depth/image": convert.array_to_image(depth_out, "32FC1", header),
            "depth/camera_info": convert.output_camera_info(info_msg, header, d, camera)}
    if "depth/uncertainty" in topics or "depth/estimate" in topics:
        msgs["depth/uncertainty"] = convert.array_to_image(uncertainty[::d, ::d], "32FC1", header)
    if "depth/estimate" in topics:
        msgs["depth/estimate"] = convert.estimate_msg(
            header, msgs["depth/image"], msgs["depth/uncertainty"], msgs["depth/camera_info"],
            model_name, inference_s, num_samples)
    if "depth/colorized" in topics:
        msgs["depth/colorized"] = convert.array_to_image(colorize_depth(depth_out), "rgb8", header)
    t1 = time.perf_counter()
    if "points" in topics:
        max_unc = float(p["cloud_max_uncertainty"]) or None
        buf = backproject(depth, camera, rgb=rgb if p["cloud_rgb"] else None, uncertainty=uncertainty,
                          max_uncertainty=max_unc, decimation=d * int(p["cloud_decimation"]))
        msgs["points"] = convert.pointcloud_msg(buf, header)
    t2 = time.perf_counter()
    return [(t, msgs[t]) for t in topics], {"postprocess": t1 - t0, "cloud": t2 - t1}


def process(estimator, image_msg, info_msg, p: dict, compressed: bool, wanted=None, **predict_kwargs):
    """The whole frame: ([(topic, message)], {step: seconds}). Raises core InputError on bad input.

    `wanted` as in build_outputs; `predict_kwargs` (aux_rgb, baseline_m) are the stereo node's additions.
    """
    t0 = time.perf_counter()
    rgb, camera = decode(image_msg, info_msg, compressed, bool(p["rectified"]),
                         float(p["fallback_hfov_deg"]))
    t1 = time.perf_counter()
    pred = estimator.predict(rgb, camera=camera.as_tuple(), num_samples=int(p["num_samples"]) or None,
                             diffusion_steps=int(p["diffusion_steps"]) or None,
                             mask_beyond=bool(p["mask_beyond"]), **predict_kwargs)
    if pred.depth.shape != rgb.shape[:2] or pred.uncertainty.shape != rgb.shape[:2]:
        raise RuntimeError(f"model {estimator.name} returned depth {pred.depth.shape} / uncertainty "
                           f"{pred.uncertainty.shape} for a {rgb.shape[:2]} image (expected the input size)")
    t2 = time.perf_counter()
    depth = np.asarray(pred.depth, dtype=np.float32)
    uncertainty = np.asarray(pred.uncertainty, dtype=np.float32)
    mask_range(depth, uncertainty, float(p["min_depth"]), float(p["max_depth"]))
    t3 = time.perf_counter()
    timings = {"decode": t1 - t0}
    for step in ("preprocess", "inference", "postprocess"):
        timings[step] = float(pred.timings.get(step, 0.0))
    outputs, build_timings = build_outputs(
        image_msg.header, info_msg, rgb, camera, depth, uncertainty, p, estimator.name,
        timings["inference"] or (t2 - t1), getattr(pred, "num_samples", 1), wanted)
    timings["postprocess"] += (t3 - t2) + build_timings["postprocess"]
    timings["cloud"] = build_timings["cloud"]
    return outputs, timings
