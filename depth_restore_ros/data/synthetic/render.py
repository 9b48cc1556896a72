"""Public rendering API: a random scene and camera per seed, stereo pairs, and driven sequences.

Everything random comes from `np.random.default_rng(seed)` in a fixed order that does not depend on
the resolution or on `stereo`, so one seed is one view: the left image of a stereo render equals the
mono render, and a 4K render shows the same scene as a 256x320 one.
"""
import math
from typing import List, Tuple

import numpy as np

from ..sample import Sample
from .camera_path import Intrinsics, Pose, plan_trajectory, ray_grid, sample_intrinsics, sample_pose
from .indoor import build_indoor
from .outdoor import build_outdoor
from .raycast import cast_camera
from .shade import fog, light, sky, surfaces

MAX_DEPTH = 80.0                 # metres: farther (and sky) is NaN in the depth map
BASELINE_RANGE = (0.05, 0.5)     # metres, rectified stereo
SPEED_RANGE = (0.3, 1.5)         # m/s, robots
CHUNK_PIXELS = 1 << 17           # rows rendered together: bounds memory at 4K


def build_scene(rng):
    """Indoor or outdoor with equal probability."""
    return build_indoor(rng) if rng.random() < 0.5 else build_outdoor(rng)


def render_view(scene, pose: Pose, intr: Intrinsics, width: int, height: int):
    """(linear radiance HxWx3 float32, optical-z depth HxW float32 metres, NaN beyond MAX_DEPTH)."""
    xs, ys = ray_grid(intr, width, height)
    focal = intr.at(width, height)[0]
    origin, R = np.asarray(pose.position, np.float64), pose.rotation()
    radiance = np.zeros((height, width, 3), np.float32)
    depth = np.full((height, width), np.nan, np.float32)
    rows = max(1, CHUNK_PIXELS // width)
    for r0 in range(0, height, rows):
        yc = ys[r0:r0 + rows]
        t, ids = cast_camera(scene.prims, origin, R, xs, yc, scene.corners())
        s = surfaces(scene.prims, t, ids, origin, R, xs, yc, focal)
        col = light(scene, s)
        dist = np.sqrt(sum((s["P"][i] - np.float32(origin[i])) ** 2 for i in range(3)))
        out = radiance[r0:r0 + rows].reshape(-1, 3)
        out[s["index"]] = fog(scene, col, dist)
        miss = np.nonzero(ids.ravel() < 0)[0]
        if miss.size and scene.sky is not None:
            W = len(xs)
            dc = (np.asarray(xs, np.float32)[miss % W], np.asarray(yc, np.float32)[miss // W], np.float32(1))
            Rf = R.astype(np.float32)
            dirs = tuple(Rf[i, 0] * dc[0] + Rf[i, 1] * dc[1] + Rf[i, 2] for i in range(3))
            out[miss] = sky(scene, dirs, focal)
        with np.errstate(invalid="ignore"):
            depth[r0:r0 + rows] = np.where((ids >= 0) & (t <= MAX_DEPTH), t, np.nan)
    return radiance, depth


def expose(radiance, key: float, gain: float = None):
    """Linear radiance -> sRGB-ish uint8 with auto-exposure (the 95th-percentile luminance maps to
    `key`); pass `gain` to reuse one exposure (stereo partner, later frames of a sequence)."""
    if gain is None:
        step = max(1, int(math.sqrt(radiance.shape[0] * radiance.shape[1] / 20000)))
        lum = radiance[::step, ::step].mean(axis=2)
        gain = key / max(float(np.percentile(lum, 95)), 1e-4)
    x = np.clip(radiance * np.float32(gain), 0.0, 1.0)
    return (np.sqrt(x) * 255.0 + 0.5).astype(np.uint8), gain


def _setup(seed: int):
    """Scene, intrinsics, start pose/area, baseline and exposure key of a seed (fixed draw order)."""
    rng = np.random.default_rng(seed)
    scene = build_scene(rng)
    intr = sample_intrinsics(rng)
    pose, area = sample_pose(scene, rng, intr)
    baseline = float(rng.uniform(*BASELINE_RANGE))
    key = float(rng.uniform(0.6, 0.95))
    return rng, scene, intr, pose, area, baseline, key


def _fit_baseline(scene, poses, baseline):
    """Halve the baseline until every right camera stands in free space (the left ones already do)."""
    while baseline > BASELINE_RANGE[0]:
        right = [p.shifted(baseline).position[:2] for p in poses]
        if scene.is_free(right, 0.1).all():
            return baseline
        baseline = max(BASELINE_RANGE[0], baseline / 2)
    return baseline


def render_scene(seed: int, width: int, height: int, stereo: bool = False) -> Sample:
    """A random scene seen from a random robot camera; with `stereo`, its rectified right view."""
    _, scene, intr, pose, _, baseline, key = _setup(seed)
    radiance, depth = render_view(scene, pose, intr, width, height)
    rgb, gain = expose(radiance, key)
    right, b = None, None
    if stereo:
        b = _fit_baseline(scene, [pose], baseline)
        right = expose(render_view(scene, pose.shifted(b), intr, width, height)[0], key, gain)[0]
    return Sample(rgb, depth, intr.at(width, height), right, b, f"synthetic-{seed}")


def sequence_poses(seed: int, num_frames: int, fps: float = 10.0) -> Tuple[List[Pose], float]:
    """The camera poses of `render_sequence` (for ground-truth motion) and the driving speed."""
    rng, scene, intr, pose, area, _, _ = _setup(seed)
    speed = float(rng.uniform(*SPEED_RANGE))
    return plan_trajectory(scene, rng, pose, area, num_frames, fps, speed), speed


def render_sequence(seed: int, width: int, height: int, num_frames: int, fps: float = 10.0,
                    stereo: bool = False) -> List[Sample]:
    """One scene, the camera driving through it at 0.3-1.5 m/s; one exposure for all frames."""
    rng, scene, intr, pose, area, baseline, key = _setup(seed)
    speed = float(rng.uniform(*SPEED_RANGE))
    poses = plan_trajectory(scene, rng, pose, area, num_frames, fps, speed)
    b = _fit_baseline(scene, poses, baseline) if stereo else None
    frames, gain = [], None
    for i, p in enumerate(poses):
        radiance, depth = render_view(scene, p, intr, width, height)
        rgb, gain = expose(radiance, key, gain)
        right = expose(render_view(scene, p.shifted(b), intr, width, height)[0], key, gain)[0] if stereo else None
        frames.append(Sample(rgb, depth, intr.at(width, height), right, b, f"synthetic-{seed}-{i:04d}"))
    return frames
