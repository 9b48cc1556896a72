"""Ablation machinery on the smoke recipes: rows train once, resume instead of retraining, tabulate."""
import json
from dataclasses import replace

import pytest

from depth_restore_ros.data.datasets import garg_crop
from depth_restore_ros.inference.registry import shipped_models
from depth_restore_ros.train.ablation import (Variant, config_for, evaluate_rows, execution_settings, markdown,
                                              shipped_model_for, training_steps)
from depth_restore_ros.train.config import TrainConfig

pytestmark = pytest.mark.slow


def test_rows_train_evaluate_and_reuse(tmp_path):
    variants = [Variant("base", "config/train/smoke.yaml", slug="t-base"),
                Variant("restore plain", "config/train/smoke-restore.yaml",
                        {"arch_args": {"invertible": False}}, slug="t-plain"),
                Variant("base sparse", "config/train/smoke.yaml", {"gt_density": "lidar"}, slug="t-sparse"),
                Variant("base, seed 1", "config/train/smoke.yaml", {"seed": 1}, slug="t-seed1", repeats="base")]
    cfg = config_for(variants[1], steps=2)
    assert cfg.arch_args["invertible"] is False and cfg.arch_args["latent"] == 16 and cfg.name == "t-plain"
    rows = evaluate_rows(variants, tmp_path, "synthetic:test", 2, 2, progress=False, windows={"garg": garg_crop})
    assert [r["label"] for r in rows] == ["base", "restore plain", "base sparse", "base, seed 1"]
    assert rows[3]["repeats"] == "base" and rows[3]["metrics"] != rows[0]["metrics"]
    assert all(set(r["windows"]["garg"]) == set(r["metrics"]) for r in rows)
    assert rows[2]["gt_density"] == "lidar" and all(r["steps"] == 2 for r in rows)
    stamp = (tmp_path / "t-base" / "model" / "model.onnx").stat().st_mtime_ns
    again = evaluate_rows(variants[:1], tmp_path, "synthetic:test", 2, 2, progress=False)
    assert (tmp_path / "t-base" / "model" / "model.onnx").stat().st_mtime_ns == stamp   # not retrained
    assert again[0]["metrics"] == rows[0]["metrics"]
    table = markdown("t", "depth-restore ablate t", "synthetic:test", rows, windows={"garg": "where LiDAR looks"})
    main, bands = table.split("RMSE (m) by ground-truth depth band")
    main, window = main.split("The same predictions inside the `garg` window: where LiDAR looks")
    main, seeds = main.split("Recipes trained with more than one seed")
    assert main.count("\n| ") == 5 and "+0.00% | - |" in main and "| 100.0% |" in main
    assert all(len(r["per_image_rmse"]) == 2 for r in rows) and main.count("% to ") == 3
    rmse = [rows[i]["metrics"]["rmse"] for i in (0, 3)]
    mean = (rmse[0] + rmse[1]) / 2
    assert seeds.count("\n| ") == 2 and f"| base | {rmse[0]:.3f} (seed 0), {rmse[1]:.3f} (seed 1) | " \
        f"{mean:.3f} | {100 * abs(rmse[0] - rmse[1]) / mean:.1f}% | +0.00% |" in seeds
    assert window.count("\n| ") == 5 and f"| {rows[2]['windows']['garg']['rmse']:.3f} |" in window
    assert bands.count("\n| ") == 1 + 2 + 4 and "| > 32 m |" in bands  # header, shares, one line per row


def test_stereo_rows_give_the_network_the_pair_and_sgbm_its_density(tmp_path):
    variants = [Variant("stereo", "config/train/smoke-stereo.yaml", slug="t-stereo"),
                Variant("sgbm", classical="sgbm"), Variant("sgbm filled", classical="sgbm-filled")]
    rows = evaluate_rows(variants, tmp_path, "synthetic:test?stereo=true", 2, 2, progress=False)
    assert rows[0]["coverage"] > 0.99 and rows[2]["coverage"] == 1.0
    assert 0.2 < rows[1]["coverage"] < 1.0 and rows[1]["steps"] == 0


@pytest.mark.parametrize("name", shipped_models())
def test_a_shipped_model_is_reused_for_its_own_recipe(name):
    """Its card's config is the recipe that made it, stage 2 (else an ablation would retrain the
    shipped model); stage 1 alone, or a variant, is another model."""
    recipe = f"config/train/{name}-sky-head.yaml"
    cfg = config_for(Variant(name, recipe), steps=None)
    assert shipped_model_for(cfg) is not None
    assert shipped_model_for(config_for(Variant(name, f"config/train/{name}.yaml"), steps=None)) is None
    assert shipped_model_for(config_for(Variant(name, recipe, {"seed": 1}, slug="x"), steps=None)) is None
    how_fast = dict(threads=1, loader_workers=1, frames_in_memory=True)
    what_it_logs = dict(val_data="synthetic:val?stereo=true", eval_every=100, eval_images=10)
    assert shipped_model_for(replace(cfg, **how_fast, **what_it_logs)) is not None
    network = json.loads((shipped_model_for(cfg) / "card.json").read_text())["training"]["started_from"]
    assert training_steps(cfg, shipped_model_for(cfg)) == f"{network['steps']} + {cfg.steps} (beyond. only)"
    stage_one = config_for(Variant(name, f"config/train/{name}.yaml"), steps=None)   # what made its network
    if "config" in network:
        assert replace(TrainConfig.from_dict(network["config"]), **execution_settings(stage_one)) == stage_one
    else:   # cards shipped before started_from carried the config
        assert network["steps"] == stage_one.steps


def test_rows_of_an_earlier_run_are_kept_only_while_their_key_matches(tmp_path):
    variants = [Variant("base", "config/train/smoke.yaml", slug="t-base"), Variant("sgbm", classical="sgbm")]
    data = "synthetic:test?stereo=true"
    first = evaluate_rows(variants, tmp_path / "a", data, 2, 2, progress=False)
    first = json.loads(json.dumps(first))   # as the command stores and reads them
    kept = evaluate_rows(variants, tmp_path / "b", data, 2, 2, progress=False, kept=first)
    assert all(row["kept"] for row in kept) and not (tmp_path / "b").exists()   # nothing trained again
    assert [row["metrics"] for row in kept] == [row["metrics"] for row in first]
    assert "Rows kept from an earlier run" in markdown("t", "c", data, kept)
    without_images = [{k: v for k, v in row.items() if k != "per_image_rmse"} for row in first]
    again = evaluate_rows(variants[1:], tmp_path / "b", data, 2, 2, progress=False, kept=without_images)
    assert "kept" not in again[0] and again[0]["per_image_rmse"] == first[1]["per_image_rmse"]
    other_steps = evaluate_rows(variants[:1], tmp_path / "c", data, 3, 2, progress=False, kept=first)
    assert "kept" not in other_steps[0] and other_steps[0]["steps"] == 3
    other_frames = evaluate_rows(variants[1:], tmp_path / "c", data, 2, 1, progress=False, kept=first)
    assert "kept" not in other_frames[0] and other_frames[0]["num_images"] == 1
    windowed = evaluate_rows(variants[1:], tmp_path / "c", data, 2, 2, progress=False, kept=first,
                             windows={"garg": garg_crop})   # a row scored without the window has not got it
    assert "kept" not in windowed[0] and "garg" in windowed[0]["windows"]


def test_a_stage_two_row_is_not_kept_once_its_network_was_trained_again(tmp_path):
    """A head trained on a frozen network (init_from) has the same recipe whatever that network is, so
    its key names the network's training too: retraining stage 1 makes the old row stale."""
    import shutil
    data = "synthetic:test"
    base = Variant("base", "config/train/smoke.yaml", slug="t-base")
    head = Variant("head", "config/train/smoke.yaml", {
        "init_from": str(tmp_path / "t-base" / "model"), "train_only": ["beyond."], "sky_as_far": True,
        "beyond_loss": "mask", "arch_args": {"beyond_head": True}}, slug="t-head")
    first = json.loads(json.dumps(evaluate_rows([base, head], tmp_path, data, 2, 1, progress=False)))
    assert first[1]["key"]["started_from"]["seed"] == 0 and first[1]["key"]["started_from"]["steps"] == 2
    assert evaluate_rows([head], tmp_path, data, 2, 1, progress=False, kept=first)[0]["kept"]
    for run in ("t-base", "t-head"):
        shutil.rmtree(tmp_path / run)
    evaluate_rows([Variant("base", "config/train/smoke.yaml", {"seed": 1}, slug="t-base")], tmp_path, data, 2, 1,
                  progress=False)   # stage 1 again, another seed, where the head's recipe points
    again = evaluate_rows([head], tmp_path, data, 2, 1, progress=False, kept=first)
    assert "kept" not in again[0] and again[0]["key"]["started_from"]["seed"] == 1


def test_without_training_a_row_that_needs_it_is_named_not_trained(tmp_path):
    variants = [Variant("sgbm", classical="sgbm"), Variant("base", "config/train/smoke.yaml", slug="t-base")]
    data = "synthetic:test?stereo=true"
    rows = evaluate_rows(variants, tmp_path, data, 2, 1, progress=False, train=False)
    assert rows[1] == {"label": "base", "missing": True, "key": rows[1]["key"]} and "metrics" in rows[0]
    assert not (tmp_path / "t-base").exists()
    table = markdown("t", "c", data, rows)
    assert "Not trained yet (run the command without --no-train): base." in table
    assert table.split("Not trained yet")[0].count("\n| ") == 2   # the header and the one row it has
    trained = evaluate_rows(variants[1:], tmp_path, data, 2, 1, progress=False, kept=rows)
    assert "metrics" in trained[0] and "kept" not in trained[0]   # a placeholder is never kept


def test_the_seed_rows_are_the_first_rows_networks_with_only_another_seed():
    """The restore study's seed rows measure chance in training: each must be the network of the row
    it repeats (stage 1 of that row's recipe) with nothing but the seed (and the run's name) changed."""
    from depth_restore_ros.commands.ablate import STUDIES
    rows = {variant.label: variant for variant in STUDIES["restore"]}
    for label, repeated in (("mono-small, seed 1", "mono-small"),
                            ("+ restoration, seed 1", "+ restoration (mono-restore)")):
        seeded = config_for(rows[label], steps=None)
        network = config_for(Variant(repeated, rows[repeated].recipe.replace("-sky-head", "")), steps=None)
        assert seeded.seed != network.seed and not network.train_only
        assert replace(seeded, seed=network.seed, name=network.name) == network
