"""The depth nodes' parameters: one table per node (MONO, STEREO) with defaults, descriptions,
ranges and choices, both built on COMMON.

One table so that declaring, validating, `ros2 param describe` and config/*.yaml cannot drift
apart. Read-only parameters shape what on_configure builds (the model, topics, QoS, sync); the
others are read for every frame and can be changed while the node runs.
"""
from dataclasses import dataclass, replace
from typing import Any, Dict, Iterable, Optional, Tuple

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor, SetParametersResult

from ..inference.registry import DEFAULT_MODEL, DEFAULT_STEREO_MODEL
from . import qos


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    description: str
    read_only: bool = False
    range: Optional[Tuple[float, float]] = None  # inclusive; int or float after the default's type
    choices: Tuple[str, ...] = ()

    def descriptor(self) -> ParameterDescriptor:
        desc = ParameterDescriptor(name=self.name, description=self.description, read_only=self.read_only)
        if self.choices:
            desc.additional_constraints = "one of: " + ", ".join(self.choices)
        if self.range is not None:
            lo, hi = self.range
            if isinstance(self.default, float):
                desc.floating_point_range = [FloatingPointRange(from_value=float(lo), to_value=float(hi))]
            else:
                desc.integer_range = [IntegerRange(from_value=int(lo), to_value=int(hi), step=1)]
        return desc


_FLAG = "publish {} (turning it off saves the time spent building and sending it)"
COMMON = (
    Param("model", DEFAULT_MODEL, "shipped model name or path to a model folder", read_only=True),
    Param("backend", "auto", "inference back-end; auto: TensorRT, then CUDA (onnxruntime-gpu, torch), "
          "then onnxruntime on the CPU, logging why", read_only=True,
          choices=("auto", "onnxruntime", "torch", "tensorrt", "cuda")),
    Param("engine_path", "", "TensorRT engine file (\"\": the engine cache, keyed by model, TensorRT "
          "version, GPU, precision and shapes)", read_only=True),
    Param("force_rebuild", False, "TensorRT: rebuild the engine even if the cached one is usable",
          read_only=True),
    Param("workspace_mb", 1024, "TensorRT builder workspace limit, MiB", read_only=True, range=(16, 65536)),
    Param("dla_core", -1, "TensorRT: -1 GPU only; 0 or 1 a DLA core (Jetson Orin), GPU fallback",
          read_only=True, range=(-1, 7)),
    Param("engine_precision", "fp16", "TensorRT precision (int8 needs a calibration cache)", read_only=True,
          choices=("fp32", "fp16", "int8")),
    Param("engine_resolution", "640x480", "TensorRT: the camera's WxH the engine is built for",
          read_only=True),
    Param("autostart", True, "configure and activate at start; false: wait for lifecycle "
          "transitions (<node>/change_state)", read_only=True),
    Param("num_samples", 0, "restoration samples K per frame for stochastic models: depth is their "
          "mean, uncertainty their spread with the aleatoric part (0: the model's default; "
          "deterministic models run once)", range=(0, 32)),
    Param("diffusion_steps", 0, "DDIM steps of a restoration model (0: the model's default)", range=(0, 50)),
    Param("max_depth", 80.0, "metres; depth beyond is published as NaN (the model's own "
          "max_depth applies too)", range=(0.1, 1000.0)),
    Param("min_depth", 0.0, "metres; depth below is published as NaN (0: keep all)", range=(0.0, 1000.0)),
    Param("mask_beyond", True, "NaN where the model's sky head says nothing lies within range (the "
          "sky); false: publish the depth network's value there (e.g. if the head misfires on a "
          "near, featureless wall)"),
    Param("output_decimation", 1, "publish depth, uncertainty and camera_info at every n-th pixel "
          "(camera_info K and P are scaled to match)", range=(1, 16)),
    Param("publish_points", True, _FLAG.format("the organised point cloud on `points`"), read_only=True),
    Param("publish_uncertainty", True, _FLAG.format("depth/uncertainty (32FC1, 1-sigma metres)"),
          read_only=True),
    Param("publish_estimate", True, _FLAG.format("depth/estimate (DepthEstimate: all of a frame in "
          "one message)"), read_only=True),
    Param("publish_colorized", False, _FLAG.format("depth/colorized (rgb8 picture for people)"),
          read_only=True),
    Param("cloud_rgb", True, "points carry the image's colour (XYZRGB) instead of XYZ only"),
    Param("cloud_decimation", 1, "points at every n-th pixel of the published depth (smaller clouds)",
          range=(1, 16)),
    Param("cloud_max_uncertainty", 0.0, "metres; points whose uncertainty exceeds this are NaN "
          "(0: keep all)", range=(0.0, 1000.0)),
    Param("input_qos", qos.DEFAULT_INPUT, "QoS of the image and camera_info subscriptions",
          read_only=True, choices=qos.INPUT_CHOICES),
    Param("input_qos_depth", qos.DEFAULT_DEPTH, "history depth of the input subscriptions",
          read_only=True, range=(1, 100)),
    Param("output_qos", qos.DEFAULT_OUTPUT, "QoS of the output publishers", read_only=True,
          choices=qos.OUTPUT_CHOICES),
    Param("output_qos_depth", qos.DEFAULT_DEPTH, "history depth of the output publishers",
          read_only=True, range=(1, 100)),
    Param("approximate_sync", False, "pair image and camera_info whose stamps differ by up to "
          "sync_tolerance (else: identical stamps only)", read_only=True),
    Param("sync_tolerance", 0.01, "seconds; largest stamp difference approximate_sync accepts",
          read_only=True, range=(0.0, 1.0)),
    Param("queue_size", 5, "messages per input kept waiting for their partner before the oldest "
          "is dropped (counted as dropped_unsynced)", read_only=True, range=(1, 100)),
    Param("diagnostics_period", 1.0, "seconds between /diagnostics messages (each covers that window)",
          read_only=True, range=(0.1, 60.0)),
)
MONO = COMMON + (
    Param("rectified", False, "the input image is rectified (image_rect): take intrinsics from "
          "camera_info P instead of K"),
    Param("fallback_hfov_deg", 0.0, "degrees; for an uncalibrated camera (camera_info K all zeros) "
          "assume this horizontal field of view (0: reject such frames; metric depth scales with it)",
          range=(0.0, 179.0)),
    Param("transport", "raw", "raw: sensor_msgs/Image on `image`; compressed: CompressedImage "
          "on `image/compressed`", read_only=True, choices=("raw", "compressed")),
    Param("use_latest_camera_info", False, "pair each image with the latest camera_info whatever "
          "its stamp (for drivers that do not stamp camera_info with the image)", read_only=True),
)


def _described(table, defaults=None, **descriptions):
    """`table` with some descriptions (and `defaults`) replaced (same names, ranges and choices)."""
    defaults = defaults or {}
    return tuple(replace(p, description=descriptions.get(p.name, p.description),
                         default=defaults.get(p.name, p.default)) for p in table)


# Rectified input only (intrinsics from P, the baseline from the right P): no `rectified` or
# `fallback_hfov_deg`; raw images only; the four inputs always matched by stamp.
STEREO = _described(
    COMMON, defaults={"model": DEFAULT_STEREO_MODEL},
    input_qos="QoS of the four image and camera_info subscriptions",
    approximate_sync="match left/right images and camera_infos whose stamps span up to "
    "sync_tolerance (else: identical stamps only)",
    queue_size="messages per input kept waiting for the rest of their stereo set before the oldest "
    "is dropped (left images: counted as dropped_unsynced)")


def declare(node, specs: Iterable[Param]) -> Dict[str, Any]:
    """Declare every parameter on `node` (overrides from -p / YAML apply) and return the values.

    Raises ValueError naming the parameter when an override is not one of its choices or breaks
    a cross-parameter rule (ranges are checked by rclpy itself).
    """
    specs = list(specs)
    node.declare_parameters("", [(p.name, p.default, p.descriptor()) for p in specs])
    values = {p.name: node.get_parameter(p.name).value for p in specs}
    problem = check(specs, values, values)
    if problem:
        raise ValueError(problem)
    return values


def check(specs: Iterable[Param], changes: Dict[str, Any], current: Dict[str, Any]) -> str:
    """'' if `changes` (name -> value) are acceptable given `current` values, else the reason."""
    by_name = {p.name: p for p in specs}
    for name, value in changes.items():
        spec = by_name.get(name)
        if spec is not None and spec.choices and value not in spec.choices:
            return f"{name}={value!r} is not one of: {', '.join(spec.choices)}"
    merged = {**current, **changes}
    if "min_depth" in merged and "max_depth" in merged and merged["min_depth"] >= merged["max_depth"]:
        return (f"min_depth ({merged['min_depth']}) must be below max_depth ({merged['max_depth']}): "
                "otherwise every pixel would be invalid")
    resolution = str(merged.get("engine_resolution", "1x1")).lower().split("x")
    if len(resolution) != 2 or not all(v.isdigit() and int(v) > 0 for v in resolution):
        return f"engine_resolution must be WIDTHxHEIGHT in pixels (e.g. 640x480), not {merged['engine_resolution']!r}"
    if merged.get("model", "x") == "":
        return "model must name a shipped model or a model folder"
    return ""


def add_validator(node, specs: Iterable[Param], values: Dict[str, Any]) -> None:
    """Validate run-time changes with a reason, and keep `values` (read by the node) up to date."""
    specs = list(specs)

    def on_set(parameters) -> SetParametersResult:
        reason = check(specs, {p.name: p.value for p in parameters if p.name in values}, values)
        return SetParametersResult(successful=not reason, reason=reason)

    def after_set(parameters) -> None:  # only once every validator has accepted the change
        values.update({p.name: p.value for p in parameters if p.name in values})

    node.add_on_set_parameters_callback(on_set)
    node.add_post_set_parameters_callback(after_set)


def tensorrt_options(values: Dict[str, Any]) -> Dict[str, Any]:
    """The TensorRTBackend arguments among the node's parameters (used only if TensorRT is chosen)."""
    width, _, height = str(values["engine_resolution"]).lower().partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise ValueError(f"engine_resolution must look like 640x480, not {values['engine_resolution']!r}")
    return {"engine_path": values["engine_path"] or None, "force_rebuild": values["force_rebuild"],
            "workspace_mb": values["workspace_mb"], "dla_core": values["dla_core"],
            "precision": values["engine_precision"], "resolution": (int(height), int(width)),
            "max_samples": max(8, values["num_samples"]), "max_steps": max(8, values["diffusion_steps"])}
