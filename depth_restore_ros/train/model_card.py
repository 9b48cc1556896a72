"""Model cards: what a shipped model is, how it was made, what it scores, how to reproduce both."""
import json
import platform
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict

from ..inference.registry import WEIGHTS_DIR


def outputs_text(cfg) -> str:
    from ..models import ARCHITECTURES, RestoreNet
    if not issubclass(ARCHITECTURES[cfg.arch], RestoreNet):   # restore_net and the networks built on it
        return "depth: metres (NaN invalid); uncertainty: 1-sigma metres from a Laplace NLL head"
    text = (f"depth: metres (NaN invalid), the mean of K restoration samples (K = {cfg.default_samples} unless "
            "num_samples says otherwise); uncertainty: 1-sigma metres of the samples' mixture, sqrt(mean "
            "aleatoric variance + the samples' variance) (K = 1: the aleatoric Laplace head alone)")
    if cfg.stereo:
        text += "; inputs: the left image, and the rectified right image with the baseline (without them: monocular)"
    return text


def write_card(model_dir: Path, cfg, train_seconds: float, steps: int, evaluation: Dict,
               train_command: str) -> Path:
    card = {
        "name": cfg.name,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "architecture": {"arch": cfg.arch, "arch_args": cfg.arch_args},
        "training": {
            "config": cfg.to_dict(),
            "data": f"{cfg.data} ({cfg.num_scenes} pre-rendered frames, photometric augmentation, "
                    f"random zoom {cfg.zoom}, flips)",
            "steps": steps,
            "batch_size": cfg.batch_size,
            "wall_time_s": round(train_seconds, 1),
            "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, torch CPU",
            "command": train_command,
        },
        "evaluation": {
            "data": evaluation.get("data"),
            "align": evaluation.get("align"),
            "num_images": evaluation.get("num_images"),
            "metrics": evaluation.get("metrics"),
            # the fraction of ground-truth pixels the model published (a sky head leaves some out):
            # metrics compare only at comparable coverage
            "coverage": evaluation.get("coverage"),
            "beyond_range": evaluation.get("beyond_range"),
            "baselines": evaluation.get("baselines"),
            "command": f"depth-restore eval --model {cfg.name} --data {evaluation.get('data')} "
                       f"--align {evaluation.get('align')} --json eval.json",
        },
        "outputs": outputs_text(cfg),
        "limitations": "trained on the package's procedural synthetic world only",
    }
    if cfg.init_from:
        card["training"]["started_from"] = started_from(cfg.init_from)
    path = Path(model_dir) / "card.json"
    path.write_text(json.dumps(card, indent=2) + "\n")
    return path


def started_from(init_from: str) -> Dict:
    """What trained the weights a run started from (their card's training summary and config, when they
    have one): a model fine-tuned or given a head on a frozen network names all of its training."""
    from .trainer import weights_file
    card_path = weights_file(init_from).parent / "card.json"
    if not card_path.is_file():
        return {"init_from": init_from}
    card = json.loads(card_path.read_text())
    summary = {key: card["training"].get(key) for key in ("steps", "wall_time_s", "command", "started_from", "config")}
    return {"init_from": init_from, "name": card.get("name"), **{k: v for k, v in summary.items() if v is not None}}


def ship(model_dir: Path, name: str) -> Path:
    """Copy a finished model folder into the package's weights/ so it loads by name."""
    target = WEIGHTS_DIR / name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(model_dir, target)
    return target
