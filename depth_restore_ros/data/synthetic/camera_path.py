"""Cameras: intrinsics over realistic fields of view, robot-like poses in free space, trajectories.

Intrinsics are drawn as a field of view and a principal-point offset (fractions of the image), not
as pixels, so the same seed gives the same view at any resolution. Poses are those of a robot's
camera: 0.2-2.0 m above the ground, pitch -20..+10 deg, roll within a few degrees, never inside an
object, and not staring into a wall at arm's length (a low-resolution probe cast rejects such
views). Trajectories drive at a constant speed with smoothly varying turn rate and steer around
obstacles by checking the arc ahead against the scene's footprints.
Camera frame: optical (x right, y down, z forward); world: z up.
"""
import math
from dataclasses import dataclass, replace
from typing import List, Tuple

import numpy as np

from .raycast import cast_camera

HFOV_RANGE = (45.0, 100.0)      # degrees, horizontal
HEIGHT_RANGE = (0.2, 2.0)       # metres above the ground the camera stands on
PITCH_RANGE = (-20.0, 10.0)     # degrees, + looks up
CLEARANCE = 0.35                # metres from any obstacle footprint or wall


@dataclass(frozen=True)
class Intrinsics:
    hfov_deg: float
    pp_dx: float = 0.0          # principal point offset, fraction of the width
    pp_dy: float = 0.0          # ... of the height

    def at(self, width: int, height: int) -> Tuple[float, float, float, float]:
        """(fx, fy, cx, cy) in pixels for this resolution; square pixels, pixel centres at integers."""
        fx = (width / 2.0) / math.tan(math.radians(self.hfov_deg) / 2.0)
        return fx, fx, (width - 1) / 2.0 + self.pp_dx * width, (height - 1) / 2.0 + self.pp_dy * height


def sample_intrinsics(rng) -> Intrinsics:
    dx, dy = np.clip(rng.normal(0.0, 0.015, 2), -0.04, 0.04)
    return Intrinsics(float(rng.uniform(*HFOV_RANGE)), float(dx), float(dy))


@dataclass(frozen=True)
class Pose:
    position: Tuple[float, float, float]
    yaw: float                  # radians, heading in the ground plane (0 = world +x)
    pitch: float = 0.0          # radians
    roll: float = 0.0
    speed: float = 0.0          # m/s of the step that arrived here (0 for the first / turning in place)

    def rotation(self) -> np.ndarray:
        """World-from-camera rotation (columns: camera x right, y down, z forward in world)."""
        cy, sy = math.cos(self.yaw), math.sin(self.yaw)
        base = np.array([[sy, 0.0, cy], [-cy, 0.0, sy], [0.0, -1.0, 0.0]])
        cp, sp = math.cos(self.pitch), math.sin(self.pitch)
        pitch = np.array([[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]])
        cr, sr = math.cos(self.roll), math.sin(self.roll)
        roll = np.array([[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]])
        return base @ pitch @ roll

    def shifted(self, right_m: float) -> "Pose":
        """The same camera moved along its own +x axis (a rectified stereo partner)."""
        p = np.asarray(self.position) + self.rotation()[:, 0] * right_m
        return replace(self, position=tuple(float(v) for v in p))


def ray_grid(intr: Intrinsics, width: int, height: int):
    """Per-column (u - cx) / fx and per-row (v - cy) / fy, float64 (the caster casts to float32)."""
    fx, fy, cx, cy = intr.at(width, height)
    return (np.arange(width) - cx) / fx, (np.arange(height) - cy) / fy


def _view_score(scene, pose, intr):
    """How informative a view is, from a 16x12 probe cast: depth, few too-near rays, many things."""
    xs, ys = ray_grid(intr, 16, 12)
    t, ids = cast_camera(scene.prims, np.asarray(pose.position), pose.rotation(), xs, ys, scene.corners())
    t = np.where(np.isfinite(t), t, 1e3)
    close = float(np.mean(t < 0.6))
    return float(np.median(np.minimum(t, 30.0))) * (1.0 - close) ** 2 * (1.0 + 0.1 * len(np.unique(ids)))


def sample_pose(scene, rng, intr: Intrinsics, tries: int = 40, probes: int = 5):
    """A free, well-framed robot camera pose, and the walk area it stands in: the best of `probes`
    free candidates. Indoors the camera looks towards a piece of furniture or across the room;
    outdoors mostly along the street."""
    weights = np.array([(a.x1 - a.x0) * (a.y1 - a.y0) for a in scene.areas])
    targets = scene.obstacles()[:, :2]
    best = None
    for _ in range(tries):
        area = scene.areas[int(rng.choice(len(weights), p=weights / weights.sum()))]
        x, y = rng.uniform(area.x0, area.x1), rng.uniform(area.y0, area.y1)
        h = rng.uniform(*HEIGHT_RANGE)
        if scene.street_axis is not None and rng.random() < 0.8:
            yaw = scene.street_axis + math.pi * int(rng.integers(2)) + rng.normal(0.0, 0.35)
        elif scene.street_axis is None and len(targets) and rng.random() < 0.7:
            tx, ty = targets[int(rng.integers(len(targets)))]
            yaw = math.atan2(ty - y, tx - x) + rng.normal(0.0, 0.3)
        else:
            yaw = rng.uniform(0.0, 2 * math.pi)
        pitch = math.radians(rng.uniform(*PITCH_RANGE))
        roll = math.radians(float(np.clip(rng.normal(0.0, 1.0), -3.0, 3.0)))
        if not scene.is_free([(x, y)], CLEARANCE, area)[0]:
            continue
        pose = Pose((float(x), float(y), float(area.ground + h)), float(yaw), pitch, roll)
        score = _view_score(scene, pose, intr)
        if best is None or score > best[0]:
            best = (score, pose, area)
        probes -= 1
        if probes == 0:
            break
    if best is None:  # no free spot found: the area's centre (scenes always leave some room)
        a = scene.areas[0]
        return Pose(((a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2, a.ground + 1.0), 0.0), a
    return best[1], best[2]


TURN_RATES = (0.0, 0.3, -0.3, 0.6, -0.6, 1.0, -1.0, 1.5, -1.5)   # rad/s the planner may choose


def plan_trajectory(scene, rng, start: Pose, area, num_frames: int, fps: float, speed: float) -> List[Pose]:
    """Poses at 1/fps spacing: a robot driving at `speed` m/s, turning smoothly, never entering an
    obstacle footprint (clearance CLEARANCE). Each moving step covers exactly speed / fps metres;
    when every arc ahead is blocked it turns in place for that step (its pose has speed 0)."""
    dt = 1.0 / fps
    x, y, z = start.position
    yaw, omega = start.yaw, 0.0
    horizon = max(1.0, 0.8 / max(speed, 1e-3))          # seconds of arc that must be free
    steps = np.arange(1, int(math.ceil(horizon / dt)) + 1) * dt
    bump = rng.uniform(0.0, 2 * math.pi, 2)
    poses = [start]
    for i in range(1, num_frames):
        wish = float(np.clip(0.85 * omega + rng.normal(0.0, 0.15), -0.6, 0.6))
        chosen = None
        for w in sorted(set((wish,) + TURN_RATES), key=lambda r: abs(r - wish)):
            if abs(w) < 1e-9:
                ahead = np.stack([x + speed * steps * math.cos(yaw), y + speed * steps * math.sin(yaw)], 1)
            else:
                ang = yaw + w * steps
                ahead = np.stack([x + speed / w * (np.sin(ang) - math.sin(yaw)),
                                  y - speed / w * (np.cos(ang) - math.cos(yaw))], 1)
            if scene.is_free(ahead, CLEARANCE, area).all():
                chosen = w
                break
        if chosen is None:                                # boxed in: turn on the spot
            omega = 1.5 if omega >= 0 else -1.5
            yaw += omega * dt
            v = 0.0
        else:
            omega = chosen
            mid = yaw + 0.5 * omega * dt                  # chord of the arc: length exactly speed*dt
            x, y = x + speed * dt * math.cos(mid), y + speed * dt * math.sin(mid)
            yaw += omega * dt
            v = speed
        t = i * dt                                        # small bumps: pitch/roll of a rolling robot
        poses.append(Pose((x, y, z), yaw, start.pitch + 0.006 * math.sin(2.1 * t + bump[0]),
                          start.roll + 0.004 * math.sin(3.3 * t + bump[1]), v))
    return poses
