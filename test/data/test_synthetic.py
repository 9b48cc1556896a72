"""The synthetic world: determinism, exact optical-z depth, stereo geometry, splits, sequences."""
import hashlib
import math

import numpy as np
import pytest

from depth_restore_ros.data.synthetic import (PROTOCOL, SyntheticDataset, augment_photometric, recolour_sky,
                                              render, render_scene, render_sequence, sequence_poses, split_seeds)
from depth_restore_ros.data.synthetic.camera_path import CLEARANCE, Intrinsics, Pose
from depth_restore_ros.data.synthetic.materials import Material
from depth_restore_ros.data.synthetic.primitives import Box, Ellipsoid, Frustum, Rect, axis_matrix
from depth_restore_ros.data.synthetic.scene import Scene

INDOOR_SEED, OUTDOOR_SEED = 11, 9   # seeds 11/9 draw a furnished room / a street


def _digest(sample):
    h = hashlib.sha256()
    for a in (sample.rgb, sample.depth, sample.right_rgb):
        if a is not None:
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def test_same_seed_same_bytes_and_seeds_differ():
    a, b = render_scene(INDOOR_SEED, 64, 48, stereo=True), render_scene(INDOOR_SEED, 64, 48, stereo=True)
    assert _digest(a) == _digest(b)
    assert _digest(render_scene(OUTDOOR_SEED, 64, 48)) != _digest(render_scene(OUTDOOR_SEED + 1, 64, 48))
    mono = render_scene(INDOOR_SEED, 64, 48)
    assert np.array_equal(mono.rgb, a.rgb)          # stereo only adds the right view
    assert mono.right_rgb is None and mono.baseline_m is None


def test_types_sizes_and_intrinsics_follow_resolution():
    for w, h in ((64, 48), (97, 31)):
        s = render_scene(OUTDOOR_SEED, w, h)
        assert s.rgb.shape == (h, w, 3) and s.rgb.dtype == np.uint8
        assert s.depth.shape == (h, w) and s.depth.dtype == np.float32
        fx, fy, cx, cy = s.camera
        hfov = math.degrees(2 * math.atan(w / 2 / fx))
        assert 45 <= hfov <= 100 and fx == fy
        assert abs(cx - (w - 1) / 2) <= 0.05 * w and abs(cy - (h - 1) / 2) <= 0.05 * h
        assert s.name == f"synthetic-{OUTDOOR_SEED}"
        valid = s.valid
        assert valid.mean() > 0.3 and np.all(s.depth[valid] <= PROTOCOL.max_depth)
    small, big = render_scene(OUTDOOR_SEED, 64, 48), render_scene(OUTDOOR_SEED, 128, 96)
    assert big.camera[0] == pytest.approx(2 * small.camera[0])     # the same view at any resolution


def _plane_scene():
    scene = Scene("indoor", ambient=(0.5, 0.5, 0.5))
    scene.prims.append(Rect((3.7, 0.0, 0.0), 100.0, 100.0, axis_matrix((1, 0, 0)), Material("checker")))
    return scene


def test_depth_is_optical_z_facing_a_plane():
    intr = Intrinsics(90.0, 0.01, -0.02)
    _, depth = render.render_view(_plane_scene(), Pose((0.0, 0.0, 1.0), 0.0), intr, 80, 60)
    assert np.all(np.isfinite(depth))
    np.testing.assert_allclose(depth, 3.7, rtol=1e-4)               # z, not the ray length


def test_depth_matches_analytic_plane_for_a_tilted_camera():
    intr, pose = Intrinsics(70.0), Pose((0.2, 0.1, 1.0), 0.3, 0.1, 0.05)
    _, depth = render.render_view(_plane_scene(), pose, intr, 64, 48)
    fx, fy, cx, cy = intr.at(64, 48)
    u, v = np.meshgrid(np.arange(64), np.arange(48))
    rays = np.stack([(u - cx) / fx, (v - cy) / fy, np.ones(u.shape)], -1) @ pose.rotation().T
    np.testing.assert_allclose(depth, (3.7 - 0.2) / rays[..., 0], rtol=1e-4)


def test_every_primitive_hits_at_its_analytic_distance():
    """A ray from (-5, 0, 0) along +x meets each unit-ish solid centred at the origin at x = -extent."""
    o = (np.float32(-5.0), np.float32(0.0), np.float32(0.0))
    d = (np.ones(1, np.float32), np.zeros(1, np.float32), np.zeros(1, np.float32))
    cases = [(Box((0, 0, 0), (0.5, 1, 1)), 4.5), (Ellipsoid((0, 0, 0), (2, 1, 1)), 3.0),
             (Frustum((0, 0, 0), 1.0, 1.0, 1.0), 4.0), (Frustum((0, 0, 0), 2.0, 0.0, 1.0), 4.0)]
    for prim, t in cases:
        assert prim.hit(o, d, np.float32(0.01))[0] == pytest.approx(t, rel=1e-6)
    inside = (np.float32(0.0),) * 3                                  # from inside: the far wall
    assert Box((0, 0, 0), (0.5, 1, 1)).hit(inside, d, np.float32(0.01))[0] == pytest.approx(0.5)


def test_stereo_disparity_is_fx_b_over_z():
    s = render_scene(INDOOR_SEED, 160, 120, stereo=True)
    assert 0.05 <= s.baseline_m <= 0.5
    _, scene, intr, pose, _, _, _ = render._setup(INDOOR_SEED)
    _, right_depth = render.render_view(scene, pose.shifted(s.baseline_m), intr, 160, 120)
    vv, uu = np.nonzero(s.valid)
    z = s.depth[vv, uu]

    def agreement(scale):
        """Share of left pixels whose predicted right pixel sees the same depth and colour."""
        ur = np.round(uu - scale * s.camera[0] * s.baseline_m / z).astype(int)
        keep = (ur >= 0) & (ur < 160)
        same_z = np.abs(right_depth[vv[keep], ur[keep]] - z[keep]) < 0.02 * z[keep]
        colour = np.abs(s.right_rgb[vv[keep], ur[keep]].astype(int) - s.rgb[vv[keep], uu[keep]]).mean(-1)
        return same_z.mean(), (colour < 10).mean()

    depth_ok, colour_ok = agreement(1.0)
    assert depth_ok > 0.9 and colour_ok > 0.8
    for wrong in (-1.0, 2.0):                                        # the check can fail
        assert agreement(wrong)[0] < depth_ok - 0.2


def test_row_chunks_do_not_change_the_image(monkeypatch):
    whole = render_scene(OUTDOOR_SEED, 64, 48)
    monkeypatch.setattr(render, "CHUNK_PIXELS", 64 * 5)
    assert _digest(render_scene(OUTDOOR_SEED, 64, 48)) == _digest(whole)


def test_cameras_stand_in_free_space():
    for seed in range(6):
        _, scene, _, pose, area, _, _ = render._setup(seed)
        assert scene.is_free([pose.position[:2]], CLEARANCE * 0.99, area)[0]
        assert 0.2 <= pose.position[2] - area.ground <= 2.0
        assert -20.0 <= math.degrees(pose.pitch) <= 10.0 and abs(math.degrees(pose.roll)) <= 3.0


def test_sequence_moves_by_speed_over_fps():
    fps = 10.0
    poses, speed = sequence_poses(INDOOR_SEED, 30, fps)
    assert 0.3 <= speed <= 1.5
    _, scene, _, _, area, _, _ = render._setup(INDOOR_SEED)
    moving = 0
    for a, b in zip(poses, poses[1:]):
        step = math.dist(a.position, b.position)
        assert step == pytest.approx(b.speed / fps, abs=1e-9)
        assert b.position[2] == a.position[2]
        moving += b.speed > 0
    assert moving >= 20
    assert scene.is_free([p.position[:2] for p in poses], CLEARANCE * 0.99, area).all()
    frames = render_sequence(INDOOR_SEED, 40, 30, 3, fps=fps)
    assert [f.name for f in frames] == [f"synthetic-{INDOOR_SEED}-{i:04d}" for i in range(3)]
    assert not np.array_equal(frames[0].depth, frames[2].depth, equal_nan=True)


def test_splits_are_disjoint_and_test_is_fixed():
    test = split_seeds("test")
    assert len(test) == 200 == len(set(test))
    assert not set(test) & set(range(8_000_000))                     # train and val ranges
    assert list(split_seeds("val", 5)) == list(range(8_000_000, 8_000_005))
    ds = SyntheticDataset("test", size=(24, 32), length=2)
    assert len(ds) == 2 and ds[1].name == f"synthetic-{test[1]}" and not ds.augment
    assert ds.protocol.min_depth == 1e-3 and ds.protocol.max_depth == 80.0
    with pytest.raises(ValueError):
        SyntheticDataset("test", length=201)
    with pytest.raises(IndexError):
        ds[2]


def test_dataset_is_deterministic_augmented_and_cached(tmp_path):
    train = SyntheticDataset("train", size=(24, 32), length=3, cache_dir=str(tmp_path))
    assert train.augment
    first = train[1]
    assert len(list(tmp_path.rglob("*.npz"))) == 1
    again = train[1]                                                 # read back from the cache
    assert _digest(first) == _digest(again)
    clean = SyntheticDataset("train", size=(24, 32), length=3, augment=False)[1]
    assert np.array_equal(clean.depth, first.depth, equal_nan=True)
    assert not np.array_equal(clean.rgb, first.rgb)


def test_augment_photometric_is_seeded_and_keeps_shape():
    rgb = render_scene(OUTDOOR_SEED, 64, 48).rgb
    a = augment_photometric(rgb, np.random.default_rng(5))
    b = augment_photometric(rgb, np.random.default_rng(5))
    assert a.shape == rgb.shape and a.dtype == np.uint8 and np.array_equal(a, b)
    assert not np.array_equal(a, augment_photometric(rgb, np.random.default_rng(6)))


def test_recolour_sky_paints_only_the_sky_and_is_seeded():
    rgb = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    sky = np.zeros((48, 64), bool)
    sky[:20, 10:] = True
    a = recolour_sky(rgb, sky, np.random.default_rng(5))
    assert np.array_equal(a[~sky], rgb[~sky]) and not np.array_equal(a[sky], rgb[sky])
    assert np.array_equal(a, recolour_sky(rgb, sky, np.random.default_rng(5)))
    others = [recolour_sky(rgb, sky, np.random.default_rng(k))[sky].mean(axis=0) for k in range(12)]
    assert np.ptp(np.array(others), axis=0).min() > 60             # skies of different times of day
    assert np.array_equal(recolour_sky(rgb, np.zeros_like(sky), np.random.default_rng(5)), rgb)
