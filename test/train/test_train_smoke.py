"""The training recipe end to end on a few frames: CLI, checkpoints, resume, determinism, model card."""
import json
from pathlib import Path

import pytest
import torch

from depth_restore_ros import Estimator
from depth_restore_ros.cli import main

CONFIG = Path(__file__).resolve().parents[2] / "config" / "train" / "smoke.yaml"
pytestmark = pytest.mark.slow


def train(out, *extra):
    assert main(["train", "--config", str(CONFIG), "--out", str(out), "--no-progress",
                 "--eval-images", "2", *extra]) == 0


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
