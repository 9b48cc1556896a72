"""The package's procedural synthetic world: metric-depth training, test and demo data.

Scenes of real-size primitives (rooms and streets), ray-cast exactly in numpy (see raycast.py for
why), with rectified stereo partners and driven camera sequences. Public API:

    render_scene(seed, width, height, stereo=False) -> Sample
    render_sequence(seed, width, height, num_frames, fps=10.0, stereo=False) -> [Sample]
    augment_photometric(rgb, rng) -> rgb
    recolour_sky(rgb, sky_mask, rng) -> rgb: a sky of another time of day (training only)
    SyntheticDataset(split, size=(256, 320), length=None, stereo=False, augment=None, cache_dir=None)
    PROTOCOL: the evaluation protocol of synthetic data (depth range 1e-3 .. 80 m, no crop)
"""
from .augment import augment_photometric, recolour_sky
from .dataset import PROTOCOL, SyntheticDataset, split_seeds
from .render import MAX_DEPTH, render_scene, render_sequence, sequence_poses

__all__ = ["render_scene", "render_sequence", "sequence_poses", "augment_photometric", "recolour_sky",
           "SyntheticDataset", "PROTOCOL", "MAX_DEPTH", "split_seeds"]
