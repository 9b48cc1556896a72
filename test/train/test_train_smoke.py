"""The training recipe end to end on a few frames: CLI, checkpoints, resume, determinism, model card."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from depth_restore_ros import Estimator
from depth_restore_ros.cli import main

CONFIG = Path(__file__).resolve().parents[2] / "config" / "train" / "smoke.yaml"
pytestmark = pytest.mark.slow


def train(out, *extra):
    assert main(["train", "--config", str(CONFIG), "--out", str(out), "--no-progress",
                 "--eval-images", "2", *extra]) == 0


def train_variant(tmp_path, recipe, label, **overrides):
    """Train `recipe` with `overrides` into tmp_path/label; returns (the config dict, the run dir)."""
    cfg = {**yaml.safe_load(recipe.read_text()), **overrides}
    path = tmp_path / f"{label}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["train", "--config", str(path), "--out", str(tmp_path / label), "--no-progress",
                 "--eval-images", "1"]) == 0
    return cfg, tmp_path / label


def training_log(run):
    return [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]


def test_train_writes_a_loadable_model_and_card(tmp_path):
    train(tmp_path / "a")
    card = json.loads((tmp_path / "a" / "model" / "card.json").read_text())
    assert card["training"]["steps"] == 6
    assert {"absrel", "rmse", "d1"} <= set(card["evaluation"]["metrics"])
    assert "depth-restore train --config" in card["training"]["command"]
    est = Estimator.from_pretrained(str(tmp_path / "a" / "model"))
    assert est.name == "smoke"


def test_same_seed_same_weights_and_resume_continues(tmp_path):
    train(tmp_path / "a")
    train(tmp_path / "b", "--steps", "3")       # stops at the step-3 checkpoint ...
    train(tmp_path / "b", "--steps", "6")       # ... and resumes from it to step 6
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)
    assert a["step"] == b["step"] == 6
    for key, value in a["model"].items():
        assert torch.equal(value, b["model"][key]), key


def test_another_seed_trains_other_weights_and_is_recorded(tmp_path):
    train(tmp_path / "a", "--steps", "2")
    train(tmp_path / "b", "--steps", "2", "--seed", "7")
    assert yaml.safe_load((tmp_path / "b" / "config.yaml").read_text())["seed"] == 7
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model"]
    assert any(not torch.equal(a[key], b[key]) for key in a if a[key].is_floating_point())


def test_a_checkpoint_of_another_recipe_is_not_resumed(tmp_path):
    """A run folder trained with another batch size (or past this recipe's last step) would be passed
    off as this recipe's model: refused with what differs; --fresh starts over; a run can be extended."""
    train(tmp_path / "a", "--steps", "3")
    other = {**yaml.safe_load(CONFIG.read_text()), "batch_size": 3}
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other))
    again = ["train", "--config", str(tmp_path / "other.yaml"), "--out", str(tmp_path / "a"), "--no-progress",
             "--eval-images", "1", "--steps", "3"]
    with pytest.raises(ValueError, match="differs in batch_size.*--fresh"):
        main(again)
    with pytest.raises(ValueError, match="at step 3, past this config's 2"):
        train(tmp_path / "a", "--steps", "2")
    assert main(again + ["--fresh"]) == 0
    assert yaml.safe_load((tmp_path / "a" / "config.yaml").read_text())["batch_size"] == 3


def test_frames_held_in_memory_train_the_same_weights(tmp_path):
    """frames_in_memory changes how fast frames arrive (read once), not which, nor what is learned;
    with a loader worker too (it forks after the frames are read and shares them)."""
    train(tmp_path / "a")
    for label, workers in (("memory", 0), ("memory-worker", 1)):
        _, run = train_variant(tmp_path, CONFIG, label, frames_in_memory=True, loader_workers=workers)
        a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model"]
        b = torch.load(run / "last.pt", weights_only=True)["model"]
        assert all(torch.equal(value, b[key]) for key, value in a.items()), label


RESTORE = CONFIG.parent / "smoke-restore.yaml"


@pytest.mark.parametrize("recipe, ema_decay", [(CONFIG, 0.0), (RESTORE, 0.9)], ids=["mono", "restore-ema"])
def test_validation_logs_held_out_scores_and_leaves_the_weights_alone(tmp_path, recipe, ema_decay):
    """eval_every: the log gets val_data scores at those steps, of the weights the run would ship
    (the network itself, or its moving average); the run trains the same weights as without it."""
    runs = {}
    for every in (0, 3):
        _, runs[every] = train_variant(tmp_path, recipe, f"every-{every}", steps=6, checkpoint_every=3,
                                       ema_decay=ema_decay, eval_every=every, eval_images=2,
                                       val_data="synthetic:val")
    assert not [entry for entry in training_log(runs[0]) if "val" in entry]
    scored = [entry for entry in training_log(runs[3]) if "val" in entry]
    assert [entry["step"] for entry in scored] == [3, 6]
    for entry in scored:
        assert 0 < entry["val"]["absrel"] < 10 and 0 < entry["val"]["rmse"] and 0 <= entry["val"]["d1"] <= 1
    assert scored[0]["val"] != scored[1]["val"]        # three more steps moved the average
    a, b = (torch.load(run / "last.pt", weights_only=True) for run in (runs[0], runs[3]))
    for part in ("model", "ema") if ema_decay else ("model",):
        assert all(torch.equal(value, b[part][key]) for key, value in a[part].items()), part


def test_restoration_recipe_trains_exports_and_samples_on_both_backends(tmp_path):
    assert main(["train", "--config", str(RESTORE), "--out", str(tmp_path / "r"), "--no-progress",
                 "--eval-images", "2"]) == 0
    model_dir = str(tmp_path / "r" / "model")
    card = json.loads((tmp_path / "r" / "model" / "card.json").read_text())
    assert card["training"]["config"]["crps_weight"] == 1.0
    assert "mean of K restoration samples" in card["outputs"]
    rgb = np.random.default_rng(0).integers(0, 256, (72, 100, 3), dtype=np.uint8)
    camera = (90.0, 90.0, 49.5, 35.5)
    by_backend = {}
    for backend in ("onnxruntime", "torch"):
        est = Estimator.from_pretrained(model_dir, backend=backend)
        assert est.config.stochastic and est.config.default_samples == 3
        pred = est.predict(rgb, camera=camera)
        assert pred.num_samples == 3 and pred.depth.shape == pred.spread.shape == (72, 100)
        one = est.predict(rgb, camera=camera, num_samples=1, diffusion_steps=1)
        assert one.num_samples == 1 and np.nanmax(one.spread) < 1e-3
        by_backend[backend] = Estimator.from_pretrained(model_dir, backend=backend).predict(rgb, camera=camera)
    a, b = by_backend["onnxruntime"], by_backend["torch"]   # same seed, same noise
    assert np.allclose(a.depth, b.depth, rtol=1e-3) and np.allclose(a.uncertainty, b.uncertainty, rtol=1e-3,
                                                                   atol=1e-4)


def test_sparse_lidar_ground_truth_trains(tmp_path):
    assert main(["train", "--config", str(CONFIG), "--out", str(tmp_path / "s"), "--no-progress",
                 "--eval-images", "1", "--steps", "2", "--gt-density", "lidar"]) == 0
    assert yaml.safe_load((tmp_path / "s" / "config.yaml").read_text())["gt_density"] == "lidar"


def test_lidar_pattern_keeps_five_percent_on_scan_lines_below_the_horizon():
    from depth_restore_ros.train.frames import lidar_mask
    for h, w in [(240, 320), (480, 640)]:
        mask = lidar_mask(h, w, np.random.default_rng(1))
        assert 0.04 < mask.mean() < 0.06
        assert not mask[: h // 4].any()                        # nothing above the top beam
        rows, cols = np.nonzero(mask.T)                          # per column, hits in row order
        gaps = np.diff(cols)[np.diff(rows) == 0]
        assert np.median(gaps) >= 3                              # lines, not a uniform sprinkle


def test_bench_samples_times_k_against_a_baseline(tmp_path, capsys):
    for config, out in ((CONFIG, "m"), (RESTORE, "r")):
        assert main(["train", "--config", str(config), "--out", str(tmp_path / out), "--no-progress",
                     "--steps", "1", "--eval-images", "1"]) == 0
    assert main(["bench", "samples", "--model", str(tmp_path / "r" / "model"), "--baseline",
                 str(tmp_path / "m" / "model"), "--samples", "1,3", "--iterations", "2", "--width", "96",
                 "--height", "72", "--json", str(tmp_path / "b.json")]) == 0
    result = json.loads((tmp_path / "b.json").read_text())
    assert set(result["samples"]) == {"1", "3"} and result["ratios"]["K3_over_K1"] > 0
    assert result["ratios"]["K1_over_baseline"] > 0 and result["diffusion_steps"] == 2


@pytest.mark.parametrize("recipe", [CONFIG, RESTORE])
def test_half_resolution_stage_then_full_resolution(tmp_path, recipe):
    cfg, run = train_variant(tmp_path, recipe, "lowres", lowres_fraction=0.5, steps=4)
    assert [entry["step"] for entry in training_log(run)] == [1, 2, 3, 4]
    from depth_restore_ros.train.config import TrainConfig
    from depth_restore_ros.train.trainer import Trainer
    trainer = Trainer(TrainConfig.from_dict(cfg), tmp_path / "probe")
    from depth_restore_ros.data.datasets import open_dataset
    frames = trainer.training_frames(open_dataset("synthetic:train", length=2, size=tuple(cfg["crop"])), None, 0.5)
    image, log_gt, valid = frames[0]
    assert image.shape[1:] == tuple(c // 2 for c in cfg["crop"]) == log_gt.shape[1:]


def test_stereo_recipe_trains_on_pairs_and_the_estimator_uses_the_right_view(tmp_path):
    recipe = CONFIG.parent / "smoke-stereo.yaml"
    assert main(["train", "--config", str(recipe), "--out", str(tmp_path / "s"), "--no-progress",
                 "--eval-images", "2"]) == 0
    est = Estimator.from_pretrained(str(tmp_path / "s" / "model"))
    assert est.config.stereo and est.config.input_names[-2:] == ("aux_image", "baseline")
    from depth_restore_ros.data.synthetic import render_scene
    pair = render_scene(9_000_123, 128, 96, stereo=True)
    with_right = est.predict(pair.rgb, camera=pair.camera, aux_rgb=pair.right_rgb, baseline_m=pair.baseline_m)
    alone = est.predict(pair.rgb, camera=pair.camera)
    assert with_right.depth.shape == alone.depth.shape == (96, 128)
    from depth_restore_ros.core.errors import InputError
    with pytest.raises(InputError, match="baseline"):
        est.predict(pair.rgb, camera=pair.camera, aux_rgb=pair.right_rgb, baseline_m=0.0)
    with pytest.raises(InputError, match="auxiliary view"):
        est.predict(pair.rgb, camera=pair.camera, aux_rgb=pair.right_rgb[:-2], baseline_m=0.1)


@pytest.mark.parametrize("recipe", [CONFIG, RESTORE])
def test_bfloat16_steps_train_float32_weights_close_to_the_float32_run(tmp_path, recipe):
    """bf16 autocast changes the arithmetic of the convolutions, not what is learned or stored."""
    runs = {p: training_log(train_variant(tmp_path, recipe, p, steps=3, checkpoint_every=3, precision=p)[1])
            for p in ("fp32", "bf16")}
    weights = torch.load(tmp_path / "bf16" / "last.pt", weights_only=True)["model"]
    assert all(v.dtype in (torch.float32, torch.int64) for v in weights.values())
    for a, b in zip(runs["fp32"], runs["bf16"]):  # same batches: the losses differ by rounding only
        assert np.isfinite(b["loss"]) and abs(a["silog"] - b["silog"]) < 0.05 * abs(a["silog"])


def test_unknown_precision_is_refused():
    from depth_restore_ros.train.config import TrainConfig
    with pytest.raises(ValueError, match="precision"):
        TrainConfig.from_dict({"precision": "fp8"})


def test_network_smaller_than_the_frames_trains_on_resized_full_views(tmp_path):
    """input_long_side below the rendered crop: the views shrink with the field of view kept (not
    a smaller window), and the shipped model config carries the network's own long side."""
    cfg, run = train_variant(tmp_path, CONFIG, "half", input_long_side=64, steps=2, zoom=[1.0, 1.0])
    assert Estimator.from_pretrained(str(run / "model")).config.input_long_side == 64
    from depth_restore_ros.data.datasets import open_dataset
    from depth_restore_ros.train.config import TrainConfig
    from depth_restore_ros.train.trainer import Trainer
    trainer = Trainer(TrainConfig.from_dict(cfg), tmp_path / "probe")
    frame = open_dataset("synthetic:train", length=1, size=tuple(cfg["crop"]))[0]
    image, log_gt, valid = trainer.training_frames([frame], None, 1.0)[0]
    assert image.shape[1:] == (48, 64) == log_gt.shape[1:]
    # the whole frame, shrunk: the view's mean colour matches the frame's (a window's would not)
    mean = np.asarray(trainer.model_config.mean, np.float32)
    std = np.asarray(trainer.model_config.std, np.float32)
    view_rgb = image.numpy().transpose(1, 2, 0) * std + mean
    assert np.allclose(view_rgb.mean((0, 1)), frame.rgb.mean((0, 1)) / 255.0, atol=0.03)


def test_network_larger_than_the_frames_is_refused():
    from depth_restore_ros.train.config import TrainConfig
    with pytest.raises(ValueError, match="input_long_side"):
        TrainConfig.from_dict({"crop": [96, 128], "input_long_side": 160})


def test_relative_l1_term_trains_and_is_logged(tmp_path):
    _, run = train_variant(tmp_path, CONFIG, "absrel", steps=2, absrel_weight=1.0)
    log = training_log(run)
    assert all(np.isfinite(entry["absrel"]) and entry["absrel"] > 0 for entry in log)


def test_bench_train_step_times_both_precisions(tmp_path):
    out = tmp_path / "step.json"
    assert main(["bench", "train-step", "--config", str(CONFIG), "--steps", "2", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["network_size"] == [96, 128] and result["batch_size"] == 4
    assert result["precisions"]["fp32"]["mean"] > 0 and result["precisions"]["bf16"]["mean"] > 0
    assert result["fp32_over_bf16"] > 0
    reads = result["batch_reads"]
    assert reads["from_cache"]["mean"] > 0 and reads["from_memory"]["mean"] > 0 and result["cache_over_memory"] > 0


def test_init_from_starts_the_stereo_model_from_the_monocular_one(tmp_path):
    from depth_restore_ros.models.checkpoint import load_matching_weights
    from depth_restore_ros.train.config import TrainConfig
    from depth_restore_ros.train.trainer import Trainer
    _, mono = train_variant(tmp_path, RESTORE, "mono", steps=2, checkpoint_every=2)
    recipe = yaml.safe_load((CONFIG.parent / "smoke-stereo.yaml").read_text())
    trainer = Trainer(TrainConfig.from_dict({**recipe, "init_from": str(mono / "model")}), tmp_path / "stereo")
    source = torch.load(mono / "model" / "model.pt", weights_only=True)
    own = trainer.model.state_dict()
    shared = [k for k in own if k in source]
    assert len(shared) > 0.8 * len(source)
    assert all(torch.equal(own[k].float(), source[k].float()) for k in shared)
    assert {k.split(".")[0] for k in own if k not in source} == {"aux"}   # only AV-LFE starts fresh
    torch.save({"unrelated.weight": torch.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(RuntimeError, match="init_from"):
        load_matching_weights(trainer.model, tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="no model named"):
        Trainer(TrainConfig.from_dict({**recipe, "init_from": "no-such-model"}), tmp_path / "x")
    other = shutil.copytree(mono / "model", tmp_path / "other-arch")   # the same tensors, said to be another net
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "arch": "restore_residual"}))
    with pytest.raises(ValueError, match="restore_residual model and this recipe builds a restore_net"):
        Trainer(TrainConfig.from_dict({**recipe, "init_from": str(other)}), tmp_path / "y")


def test_mean_loss_scores_the_published_mean_and_the_crps_the_samples(tmp_path):
    from depth_restore_ros.train.config import TrainConfig
    from depth_restore_ros.train.trainer import Trainer
    recipe = {**yaml.safe_load(RESTORE.read_text()), "mean_loss": True}
    recipe["arch_args"] = {**recipe["arch_args"], "train_samples": 3}
    trainer = Trainer(TrainConfig.from_dict(recipe), tmp_path / "m")
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # trained-like weights: the zero-initialised head would make the samples equal
        for p in trainer.model.parameters():
            p.add_(torch.randn(p.shape, generator=gen) * 0.05)
    image = torch.randn(2, 3, 64, 96, generator=gen)
    log_gt = torch.rand(2, 1, 64, 96, generator=gen) * 2
    valid = torch.rand(2, 1, 64, 96, generator=gen) > 0.3
    _, parts = trainer.loss(image, log_gt, valid.float())
    per_sample_l1 = parts["crps"] + 0.5 * parts["spread"]
    assert parts["spread"] > 0 and parts["l1"] <= per_sample_l1 + 1e-6   # |mean - y| <= mean |x - y|
    cfg, run = train_variant(tmp_path, RESTORE, "r", steps=2, checkpoint_every=2, mean_loss=True)
    assert {"l1", "silog", "nll", "spread", "crps"} <= set(training_log(run)[-1])


def test_beyond_range_hinge_costs_only_when_nearer_than_its_bound_and_leaves_the_rest(tmp_path):
    from depth_restore_ros.train.config import TrainConfig
    from depth_restore_ros.train.trainer import Trainer
    trainer = Trainer(TrainConfig.from_dict({**yaml.safe_load(CONFIG.read_text()), "sky_as_far": True,
                                             "beyond_loss": "hinge"}), tmp_path / "h")
    trainer.model.eval()   # batch statistics of the same input: the three calls predict the same
    gen = torch.Generator().manual_seed(0)
    image = torch.randn(2, 3, 64, 96, generator=gen)
    surfaces = torch.zeros(2, 1, 64, 96)
    surfaces[:, :, 16:] = 1
    sky = 1 - surfaces
    log_gt = torch.rand(2, 1, 64, 96, generator=gen) * 2
    _, alone = trainer.loss(image, log_gt, surfaces)
    _, passed = trainer.loss(image, torch.where(sky > 0, -10.0, log_gt), torch.cat([surfaces, sky], 1))
    _, short = trainer.loss(image, torch.where(sky > 0, 10.0, log_gt), torch.cat([surfaces, sky], 1))
    assert passed["beyond"] == 0.0 and short["beyond"] > 0
    for part in ("silog", "l1", "nll"):          # the sky's bound touches no surface term
        assert alone[part] == pytest.approx(passed[part]) and alone[part] == pytest.approx(short[part])
    _, run = train_variant(tmp_path, CONFIG, "sky", steps=2, checkpoint_every=2, sky_as_far=True,
                           beyond_loss="hinge")
    assert "beyond" in training_log(run)[-1]
    with pytest.raises(ValueError, match="beyond_loss"):
        TrainConfig.from_dict({**yaml.safe_load(CONFIG.read_text()), "beyond_loss": "clamp"})
    with pytest.raises(ValueError, match="sky_recolour"):
        TrainConfig.from_dict({**yaml.safe_load(CONFIG.read_text()), "sky_recolour": 1.5})


def test_beyond_range_mask_is_a_class_of_its_own_that_the_depth_never_sees(tmp_path):
    from depth_restore_ros.train.config import TrainConfig
    from depth_restore_ros.train.trainer import Trainer
    recipe = {**yaml.safe_load(CONFIG.read_text()), "sky_as_far": True, "beyond_loss": "mask", "steps": 1000,
              "lr": 0.01}
    with pytest.raises(ValueError, match="beyond_head"):   # the head is what learns it
        TrainConfig.from_dict(recipe)
    recipe["arch_args"] = {**recipe["arch_args"], "beyond_head": True}
    with pytest.raises(ValueError, match="beyond_head"):   # and a head needs the loss
        TrainConfig.from_dict({**recipe, "beyond_loss": "hinge"})
    trainer = Trainer(TrainConfig.from_dict(recipe), tmp_path / "m")
    gen = torch.Generator().manual_seed(0)
    image = torch.randn(2, 3, 64, 96, generator=gen)
    surfaces = torch.zeros(2, 1, 64, 96)
    surfaces[:, :, 16:] = 1
    both = torch.cat([surfaces, 1 - surfaces], 1)
    log_gt = torch.rand(2, 1, 64, 96, generator=gen) * 2
    trainer.model.eval()
    _, alone = trainer.loss(image, log_gt, surfaces)
    _, near = trainer.loss(image, torch.where(surfaces > 0, log_gt, -10.0), both)
    _, far = trainer.loss(image, torch.where(surfaces > 0, log_gt, 10.0), both)
    assert near == far and near["beyond"] > 0      # the sky's "depth" plays no part
    for part in ("silog", "l1", "nll"):
        assert alone[part] == pytest.approx(near[part])
    trainer.model.train()
    bce = [trainer.train_step((image, log_gt, both))[1]["beyond"] for _ in range(30)]
    assert bce[-1] < 0.2 * bce[0]                  # and the head learns it


def test_ema_ships_the_moving_average_and_resumes_it(tmp_path):
    _, run = train_variant(tmp_path, CONFIG, "ema", steps=6, checkpoint_every=3, ema_decay=0.5)
    blob = torch.load(run / "last.pt", weights_only=True)
    shipped = torch.load(run / "model" / "model.pt", weights_only=True)
    averaged = {k.removeprefix("module."): v for k, v in blob["ema"].items() if k.startswith("module.")}
    moved = [k for k, v in blob["model"].items() if v.is_floating_point() and not torch.equal(v, averaged[k])]
    assert moved, "the average must differ from the last step's weights"
    stored = lambda t: t.half().float() if t.is_floating_point() else t  # noqa: E731 (model.pt keeps float16)
    assert all(torch.equal(shipped[k].float(), stored(averaged[k]).float()) for k in shipped)
    _, half = train_variant(tmp_path, CONFIG, "half", steps=3, checkpoint_every=3, ema_decay=0.5)
    cfg_path = tmp_path / "half.yaml"
    cfg = yaml.safe_load(cfg_path.read_text())
    cfg_path.write_text(yaml.safe_dump({**cfg, "steps": 6}))
    assert main(["train", "--config", str(cfg_path), "--out", str(half), "--no-progress", "--eval-images", "1"]) == 0
    resumed = torch.load(half / "last.pt", weights_only=True)["ema"]
    assert all(torch.equal(v, blob["ema"][k]) for k, v in resumed.items()), "resume continues the same average"


def test_averaging_switched_on_for_a_resumed_run_starts_at_its_weights(tmp_path):
    cfg, run = train_variant(tmp_path, CONFIG, "late", steps=3, checkpoint_every=3)
    before = torch.load(run / "last.pt", weights_only=True)
    assert "ema" not in before
    (tmp_path / "late.yaml").write_text(yaml.safe_dump({**cfg, "steps": 4, "ema_decay": 0.5}))
    assert main(["train", "--config", str(tmp_path / "late.yaml"), "--out", str(run), "--no-progress",
                 "--eval-images", "1"]) == 0
    after = torch.load(run / "last.pt", weights_only=True)
    assert after["step"] == 4
    averaged = {k.removeprefix("module."): v for k, v in after["ema"].items() if k.startswith("module.")}
    for key, old in before["model"].items():
        if old.is_floating_point() and not torch.equal(old, after["model"][key]):
            # step 3's weights copied in, then one update at decay 0.5: halfway to step 4's weights
            assert torch.allclose(averaged[key], (old + after["model"][key]) / 2, atol=1e-6), key


def test_full_resolution_matching_stereo_recipe_trains_and_serves(tmp_path):
    recipe = CONFIG.parent / "smoke-stereo.yaml"
    arch_args = {**yaml.safe_load(recipe.read_text())["arch_args"], "input_scale": 2}
    _, run = train_variant(tmp_path, recipe, "full", steps=2, checkpoint_every=2, arch_args=arch_args)
    est = Estimator.from_pretrained(str(run / "model"))
    assert est.config.size_multiple == 32                 # the encoder's input is half the network's
    from depth_restore_ros.data.synthetic import render_scene
    pair = render_scene(9_000_123, 128, 96, stereo=True)
    with_right = est.predict(pair.rgb, camera=pair.camera, aux_rgb=pair.right_rgb, baseline_m=pair.baseline_m)
    alone = est.predict(pair.rgb, camera=pair.camera)
    assert with_right.depth.shape == alone.depth.shape == (96, 128)
    assert np.isfinite(with_right.depth).any()


def test_a_head_trained_on_a_frozen_network_leaves_every_other_tensor_as_it_was(tmp_path):
    """train_only: the sky head learns on a trained network whose depth (every other tensor, the
    BatchNorm statistics included) stays bit for bit what it was; the card names both trainings."""
    from depth_restore_ros.train.config import TrainConfig
    from depth_restore_ros.train.trainer import Trainer
    _, base = train_variant(tmp_path, CONFIG, "base", steps=2, checkpoint_every=2)
    recipe = yaml.safe_load(CONFIG.read_text())
    head_args = dict(steps=3, checkpoint_every=3, init_from=str(base / "model"), train_only=["beyond."],
                     sky_as_far=True, beyond_loss="mask", arch_args={**recipe["arch_args"], "beyond_head": True})
    _, head = train_variant(tmp_path, CONFIG, "head", **head_args)
    before = torch.load(base / "model" / "model.pt", weights_only=True)
    after = torch.load(head / "model" / "model.pt", weights_only=True)
    for name, tensor in before.items():
        assert torch.equal(after[name], tensor), name
    new = {name for name in after if name not in before}
    assert new and all(name.startswith("beyond.") for name in new)
    assert float(after["beyond.out.1.bias"]) != -4.0                      # the head did train
    config = json.loads((head / "model" / "config.json").read_text())
    assert config["output_names"] == ["depth", "sigma", "beyond"]         # its decision: an output of its own
    card = json.loads((head / "model" / "card.json").read_text())
    assert card["training"]["started_from"]["steps"] == 2
    assert 0 < card["evaluation"]["coverage"] <= 1 and "published_fraction" in card["evaluation"]["beyond_range"]
    assert "base.yaml" in card["training"]["started_from"]["command"]
    with pytest.raises(ValueError, match="init_from"):
        TrainConfig.from_dict({**recipe, **head_args, "init_from": ""})
    with pytest.raises(ValueError, match="names no parameter"):
        Trainer(TrainConfig.from_dict({**recipe, **head_args, "train_only": ["head_of_sky."]}), tmp_path / "x")
