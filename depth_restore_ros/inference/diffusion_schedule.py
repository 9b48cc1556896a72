"""DDIM schedules for the restoration diffusion, in numpy (the CPU runtime path has no torch).

The restoration starts from the encoder's own latent, noised to a level `strength` of the way
(SDEdit-style: the features are degraded, not absent), and walks back to t = 0 in `steps` DDIM
steps with trailing spacing (the last step lands on t = 0, as few-step samplers want). A row of the
schedule is (t / T, alpha_bar(t), alpha_bar(t_next)): everything one step needs, so the exported
graph takes the schedule as an input and one network serves any number of steps.
"""
import math

import numpy as np

TRAIN_TIMESTEPS = 1000
COSINE_OFFSET = 0.008  # Nichol & Dhariwal's cosine schedule


def alpha_bar(t: np.ndarray) -> np.ndarray:
    """Cosine schedule: signal fraction at timestep t in [0, TRAIN_TIMESTEPS]."""
    s = COSINE_OFFSET
    f = np.cos((np.asarray(t, np.float64) / TRAIN_TIMESTEPS + s) / (1 + s) * math.pi / 2) ** 2
    return f / (math.cos(s / (1 + s) * math.pi / 2) ** 2)


def ddim_schedule(steps: int, strength: float) -> np.ndarray:
    """(steps, 3) float32 rows (t / T, alpha_bar(t), alpha_bar(t_next)), t from strength * T down."""
    if int(steps) < 1:
        raise ValueError(f"diffusion steps must be >= 1, not {steps}")
    if not 0.0 < float(strength) <= 1.0:
        raise ValueError(f"diffusion strength must be in (0, 1], not {strength}")
    start = float(strength) * TRAIN_TIMESTEPS
    t = start * (np.arange(int(steps), 0, -1) / int(steps))          # trailing: start ... start/steps
    t_next = np.append(t[1:], 0.0)
    return np.stack([t / TRAIN_TIMESTEPS, alpha_bar(t), alpha_bar(t_next)], axis=1).astype(np.float32)
