"""TensorRT engine cache (no TensorRT needed): key, file names, reuse / rebuild rules, atomic writes,
and the shape profiles our models are built for."""
import dataclasses
import json
import os

import numpy as np
import pytest

from depth_restore_ros.inference import engine_cache as ec
from depth_restore_ros.inference.config import ModelConfig
from depth_restore_ros.inference.estimator import Estimator
from depth_restore_ros.inference.registry import resolve_model_dir

# the shipped default's config, at a 320 px network: the shape arithmetic below is written for it
MONO = dataclasses.replace(ModelConfig.load(resolve_model_dir("mono-small") / "config.json"), input_long_side=320)
RESTORE = ModelConfig(name="restore", arch="restore_net", stochastic=True, latent_channels=48, latent_stride=16,
                      default_samples=4, diffusion_steps=4, input_names=("image", "noise", "schedule"),
                      output_names=("depth", "sigma", "spread"))
VGA = (480, 640)   # (height, width)


@pytest.fixture
def onnx(tmp_path):
    path = tmp_path / "model" / "model.onnx"
    path.parent.mkdir()
    path.write_bytes(b"onnx graph v1")
    return path


def make_key(onnx_path, **change):
    fields = dict(tensorrt_version="10.3.0", compute_capability="8.7", precision="fp16",
                  profile=ec.profile_for(MONO, VGA), dla_core=None)
    fields.update(change)
    return ec.EngineKey.create(onnx_path, **fields)


# -- key ---------------------------------------------------------------------------------------------
def test_same_inputs_give_the_same_key(onnx):
    assert make_key(onnx).digest == make_key(onnx).digest
    assert len(make_key(onnx).digest) == 64


@pytest.mark.parametrize("change", [
    dict(tensorrt_version="8.6.2"),
    dict(compute_capability="8.6"),
    dict(precision="fp32"),
    dict(profile=ec.profile_for(MONO, (720, 1280))),
    dict(dla_core=0),
    dict(calibration_cache=__file__),
])
def test_each_field_changes_the_key(onnx, change):
    assert make_key(onnx, **change).digest != make_key(onnx).digest


def test_onnx_content_changes_the_key(onnx):
    before = make_key(onnx).digest
    onnx.write_bytes(b"onnx graph v2")
    assert make_key(onnx).digest != before


@pytest.mark.parametrize("bad", [dict(precision="fp8"), dict(dla_core=-1)])
def test_key_refuses_unknown_values(onnx, bad):
    with pytest.raises(ValueError):
        make_key(onnx, **bad)


def test_engine_file_name_is_deterministic_and_keeps_one_engine_per_profile(onnx, tmp_path):
    path = ec.engine_path(tmp_path / "cache", "mono-small", make_key(onnx), onnx.parent)
    assert path == ec.engine_path(tmp_path / "cache", "mono-small", make_key(onnx), onnx.parent)
    assert path.parent == tmp_path / "cache" and path.name.startswith("mono-small.fp16.sm87-gpu.trt10.3.0.")
    other_camera = make_key(onnx, profile=ec.profile_for(MONO, (720, 1280)))
    assert ec.engine_path(tmp_path / "cache", "mono-small", other_camera, onnx.parent) != path
    onnx.write_bytes(b"re-exported")   # same slot: the old engine turns stale and is rebuilt in place
    assert ec.engine_path(tmp_path / "cache", "mono-small", make_key(onnx), onnx.parent) == path
    assert "dla1" in ec.engine_path(tmp_path, "m", make_key(onnx, dla_core=1), onnx.parent).name


def test_cache_dir_default_env_and_argument(tmp_path, monkeypatch):
    monkeypatch.delenv(ec.CACHE_DIR_ENV, raising=False)
    assert str(ec.cache_dir()).endswith(".cache/depth_restore_ros/engines") and "~" not in str(ec.cache_dir())
    monkeypatch.setenv(ec.CACHE_DIR_ENV, str(tmp_path / "env"))
    assert ec.cache_dir() == tmp_path / "env"
    assert ec.cache_dir(tmp_path / "arg") == tmp_path / "arg"


# -- rules -------------------------------------------------------------------------------------------
def test_missing_then_reusable_after_store(onnx, tmp_path):
    key, engine = make_key(onnx), tmp_path / "e.engine"
    assert ec.check(engine, key).startswith("missing")
    engine.write_bytes(b"plan")
    assert ec.check(engine, key).startswith("missing")   # an engine without its sidecar is not trusted
    ec.store(engine, key, b"serialized plan", "mono-small")
    assert ec.check(engine, key) is None
    assert ec.decide(engine, key, allow_build=False) is None
    meta = json.loads(ec.sidecar_path(engine).read_text())
    assert meta["key"] == key.fields() and meta["key_sha256"] == key.digest and meta["engine_bytes"] == 15


@pytest.mark.parametrize("field, change", [
    ("tensorrt_version", dict(tensorrt_version="10.4.0")),
    ("compute_capability", dict(compute_capability="8.9")),
    ("precision", dict(precision="fp32")),
    ("profile", dict(profile=ec.profile_for(MONO, (720, 1280)))),
    ("dla_core", dict(dla_core=1)),
])
def test_stale_when_any_field_differs(onnx, tmp_path, field, change):
    engine = tmp_path / "e.engine"
    ec.store(engine, make_key(onnx), b"plan")
    problem = ec.check(engine, make_key(onnx, **change))
    assert problem.startswith("stale") and field in problem and "onnx_sha256" not in problem


def test_stale_when_the_onnx_was_re_exported(onnx, tmp_path):
    engine = tmp_path / "e.engine"
    ec.store(engine, make_key(onnx), b"plan")
    onnx.write_bytes(b"onnx graph v2")
    assert ec.check(engine, make_key(onnx)).startswith("stale: onnx_sha256")


@pytest.mark.parametrize("sidecar", ["{not json", json.dumps({"format": 1}), json.dumps([1, 2])])
def test_corrupt_sidecar(onnx, tmp_path, sidecar):
    engine = tmp_path / "e.engine"
    ec.store(engine, make_key(onnx), b"plan")
    ec.sidecar_path(engine).write_text(sidecar)
    assert ec.check(engine, make_key(onnx)).startswith("corrupt: sidecar")


@pytest.mark.parametrize("damage", [b"", b"pla", b"PLAN"])   # empty, truncated, same size but altered
def test_corrupt_engine_file(onnx, tmp_path, damage):
    engine = tmp_path / "e.engine"
    ec.store(engine, make_key(onnx), b"plan")
    engine.write_bytes(damage)
    assert ec.check(engine, make_key(onnx)).startswith("corrupt")


def test_force_rebuild_ignores_a_good_engine(onnx, tmp_path):
    engine = tmp_path / "e.engine"
    ec.store(engine, make_key(onnx), b"plan")
    assert ec.decide(engine, make_key(onnx), force_rebuild=True) == "force_rebuild"


def test_refusal_says_what_differs_and_how_to_build(onnx, tmp_path):
    engine = tmp_path / "e.engine"
    ec.store(engine, make_key(onnx), b"plan")
    command = "depth-restore build-engine --model mono-small --precision fp32 --resolution 640x480"
    with pytest.raises(ec.EngineCacheError) as err:
        ec.decide(engine, make_key(onnx, precision="fp32"), allow_build=False, build_command=command)
    message = str(err.value)
    assert "stale: precision 'fp16' -> 'fp32'" in message and command in message and "allow_build=False" in message
    with pytest.raises(ec.EngineCacheError, match="missing"):
        ec.decide(tmp_path / "none.engine", make_key(onnx), allow_build=False)
    with pytest.raises(ec.EngineCacheError, match="corrupt: TensorRT could not deserialise"):
        ec.require_build(ec.corrupt_reason("bad magic"), False, command)
    ec.require_build("missing", True, command)   # allowed: no error


# -- atomic writes -----------------------------------------------------------------------------------
def test_atomic_write_replaces_whole_files_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "f.bin"
    ec.atomic_write(target, b"old")
    ec.atomic_write(target, b"new content")
    assert target.read_bytes() == b"new content" and os.listdir(target.parent) == ["f.bin"]


def test_atomic_write_failure_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    ec.atomic_write(target, b"old")

    def no_rename(*_):
        raise OSError("disk full")

    monkeypatch.setattr(ec.os, "replace", no_rename)
    with pytest.raises(OSError, match="disk full"):
        ec.atomic_write(target, b"new")
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]


def test_crash_between_engine_and_sidecar_never_reads_as_valid(onnx, tmp_path, monkeypatch):
    engine, key = tmp_path / "e.engine", make_key(onnx)
    ec.store(engine, key, b"plan one")
    real = ec.atomic_write

    def dies_on_sidecar(path, data):
        if str(path).endswith(".json"):
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(ec, "atomic_write", dies_on_sidecar)
    with pytest.raises(KeyboardInterrupt):
        ec.store(engine, key, b"plan two!")
    assert ec.check(engine, key).startswith("corrupt")


# -- shape profiles ----------------------------------------------------------------------------------
def test_profile_for_mono_small():
    profile = ec.profile_for(MONO, VGA)
    assert profile.names() == ("image",)
    assert list(profile) == [("image", (1, 3, 240, 320), (1, 3, 240, 320), (1, 3, 240, 320))]
    assert profile.text() == "image=1x3x240x320/1x3x240x320/1x3x240x320"
    assert profile.violation("image", (1, 3, 240, 320)) is None
    assert "accepts" in profile.violation("image", (1, 3, 176, 320))   # a 1280x720 camera
    assert "not an input" in profile.violation("noise", (1, 48, 15, 20))
    assert ec.profile_for(MONO, (240, 320)) == profile   # same network size: one engine serves both cameras


def test_profile_for_a_restoration_model():
    profile = ec.profile_for(RESTORE, VGA, max_samples=8, max_steps=6)
    shapes = {name: (lo, opt, hi) for name, lo, opt, hi in profile}
    assert shapes["noise"] == ((1, 48, 15, 20), (4, 48, 15, 20), (8, 48, 15, 20))
    assert shapes["schedule"] == ((1, 3), (4, 3), (6, 3))
    assert "8, 48, 15, 20" in profile.violation("noise", (9, 48, 15, 20))
    assert ec.profile_for(RESTORE, VGA, max_samples=2).shapes[1][2][0] == 2   # opt K clipped to the max
    stereo = dataclasses.replace(RESTORE, stereo=True, input_names=RESTORE.input_names + ("aux_image", "baseline"))
    shapes = {name: (lo, hi) for name, lo, _, hi in ec.profile_for(stereo, VGA)}
    assert shapes["aux_image"] == ((1, 3, 240, 320), (1, 3, 240, 320)) and shapes["baseline"] == ((1,), (1,))


def test_profile_covers_what_the_estimator_feeds():
    est = Estimator(RESTORE, backend=None, model_dir=None)
    image = np.zeros((1, 3, 240, 320), np.float32)
    profile = ec.profile_for(RESTORE, VGA)
    for k, steps in [(1, 1), (4, 4), (8, 8)]:
        inputs = {"image": image, **est._diffusion_inputs(image.shape[2:], k, steps)}
        assert all(profile.violation(n, v.shape) is None for n, v in inputs.items()), (k, steps)


def test_profile_refuses_unknown_inputs_and_bad_sizes():
    with pytest.raises(ValueError, match="depth_hint"):
        ec.profile_for(dataclasses.replace(MONO, input_names=("image", "depth_hint")), VGA)
    with pytest.raises(ValueError, match="resolution"):
        ec.profile_for(MONO, (4, 640))
