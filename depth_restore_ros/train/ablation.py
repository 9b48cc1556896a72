"""Ablations as code: each row is a training recipe plus overrides, trained (or reused) and evaluated
in one command, so a table in docs/ is reproduced by running that command again.

A row whose recipe has no overrides and whose shipped model was trained from exactly that recipe
reuses the shipped model (its card names the command); every other row trains into
`<runs>/<slug>/` (resumable: an interrupted ablation continues where it stopped). Each row records
what its numbers depend on (`key`: recipe after overrides, data, frames), so a table whose rows take
longer to train than one sitting can keep rows of an earlier run that still match (`kept`).
"""
import json
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import yaml

from ..inference.registry import WEIGHTS_DIR
from .config import EXECUTION_SETTINGS, TrainConfig
from .metrics import paired_bootstrap_change


@dataclass
class Variant:
    label: str
    recipe: str = ""                              # config/train/<name>.yaml ("" for a classical row)
    overrides: Dict = field(default_factory=dict)  # TrainConfig fields; "arch_args" entries merge
    slug: str = ""
    classical: str = ""                           # "sgbm" or "sgbm-filled": no network, no training
    repeats: str = ""                             # label of the row whose recipe this one trains with another seed


def config_for(variant: Variant, steps: Optional[int]) -> TrainConfig:
    from ..graph import share_file  # the checkout's config/, or the installed copy
    cfg = TrainConfig.from_yaml(share_file(variant.recipe))
    over = dict(variant.overrides)
    if "arch_args" in over:
        over["arch_args"] = {**cfg.arch_args, **over["arch_args"]}
    if steps:
        over["steps"] = steps
    if over:
        over["name"] = variant.slug
    return replace(cfg, **over)


EXECUTION_DEFAULTS = {name: getattr(TrainConfig(), name) for name in EXECUTION_SETTINGS}


def shipped_model_for(cfg: TrainConfig) -> Optional[Path]:
    """The shipped model trained from exactly this config, if any."""
    card = WEIGHTS_DIR / cfg.name / "card.json"
    if not card.is_file():
        return None
    # read back as a TrainConfig: fields added since the card was written take their defaults, and
    # the lists JSON stored become the tuples the recipe has
    trained = TrainConfig.from_dict(json.loads(card.read_text())["training"]["config"])
    return card.parent if replace(trained, **execution_settings(cfg)) == cfg else None


def execution_settings(cfg: TrainConfig) -> Dict:
    """Fields that change how fast a run goes or what it logs, not what it learns (a run trained with 1
    thread next to another, or validated more often, still is its recipe's model)."""
    return {name: getattr(cfg, name) for name in EXECUTION_SETTINGS}


def model_for(cfg: TrainConfig, runs: Path, progress: bool, train: bool = True) -> Optional[Path]:
    """The shipped model of this recipe, a finished run of it, or (train) a run trained to the end;
    None when it would need training and `train` is false."""
    shipped = shipped_model_for(cfg)
    if shipped is not None:
        return shipped
    from .trainer import Trainer
    if not train and not (runs / cfg.name / "last.pt").is_file():
        return None
    trainer = Trainer(cfg, runs / cfg.name)
    trainer.resume()
    model_dir = runs / cfg.name / "model"
    if trainer.step >= cfg.steps and (model_dir / "model.onnx").is_file():
        return model_dir
    return trainer.fit(progress=progress) if train else None


def training_steps(cfg: TrainConfig, model_dir: Path):
    """A row's steps; for a head trained on a frozen network (stage 2), the network's steps too."""
    card = model_dir / "card.json"
    if cfg.train_only and card.is_file():
        started = json.loads(card.read_text())["training"].get("started_from") or {}
        if "steps" in started:
            return f"{started['steps']} + {cfg.steps} ({', '.join(cfg.train_only)} only)"
    return cfg.steps


def network_config(cfg: TrainConfig, runs: Path) -> Optional[Dict]:
    """For a recipe that trains on top of another model (init_from), the config that trained that
    model: from the card of the model this row uses (shipped, or a finished run), else from the card
    of the model it starts from or the config.yaml of the run that trained it; None when none says."""
    for model_dir in (shipped_model_for(cfg), runs / cfg.name / "model"):
        card = None if model_dir is None else model_dir / "card.json"
        if card is not None and card.is_file():
            return (json.loads(card.read_text())["training"].get("started_from") or {}).get("config")
    from .trainer import weights_file
    try:
        start = weights_file(cfg.init_from).parent
    except FileNotFoundError:   # not trained yet
        return None
    card, run_config = start / "card.json", start.parent / "config.yaml"   # a run's model/ sits beside it
    if card.is_file():
        return json.loads(card.read_text())["training"].get("config")
    return yaml.safe_load(run_config.read_text()) if start.name == "model" and run_config.is_file() else None


def row_key(variant: Variant, cfg: Optional[TrainConfig], data: str, max_images: Optional[int],
            windows: Sequence[str] = (), runs: Optional[Path] = None) -> Dict:
    """Everything a row's numbers depend on, as JSON stores it (how fast it trained is not part of it):
    for a stage-2 row, stage 1's training too, so a retrained network is not kept from an old table."""
    training = None if cfg is None else replace(cfg, **EXECUTION_DEFAULTS).to_dict()
    key = {"label": variant.label, "classical": variant.classical, "training": training, "data": data,
           "max_images": max_images, **({"windows": sorted(windows)} if windows else {})}
    if cfg is not None and cfg.init_from:
        network = network_config(cfg, runs or Path("runs/ablation"))
        key["started_from"] = network and replace(TrainConfig.from_dict(network), **EXECUTION_DEFAULTS).to_dict()
    return json.loads(json.dumps(key))


def evaluate_rows(variants: List[Variant], runs: Path, data: str, steps: Optional[int],
                  max_images: Optional[int], progress: bool, kept: Sequence[Dict] = (),
                  train: bool = True, windows: Optional[Dict] = None) -> List[Dict]:
    """One row per variant: trained (or reused) and evaluated, or taken from `kept` (rows of an earlier
    run) when one there has the same key and the per-image RMSE the table's intervals need (rows stored
    before the table had them are evaluated again). train=False: a row that would need training is a
    placeholder (`missing`), named under the table. `windows` (name -> crop): each row is also scored
    inside these windows of the frame (evaluate's `windows`)."""
    from ..data.datasets import open_dataset
    from ..inference import Estimator
    from .evaluate import estimator_predictor, evaluate

    rows = []
    for variant in variants:
        repeats = {"repeats": variant.repeats} if variant.repeats else {}
        cfg = None if variant.classical else config_for(variant, steps)
        key = row_key(variant, cfg, data, max_images, list(windows or {}), runs)
        earlier = [row for row in kept if row.get("key") == key and "per_image_rmse" in row]
        if earlier:
            rows.append({**earlier[0], **repeats, "kept": True})
            continue
        if variant.classical:
            from .classical_stereo import sgbm_depth
            predict = lambda s, filled=variant.classical.endswith("filled"): sgbm_depth(s, filled)  # noqa: E731
            row = {"model": variant.classical, "steps": 0, "gt_density": "-"}
        else:
            model_dir = model_for(cfg, runs, progress, train)
            if model_dir is None:
                rows.append({"label": variant.label, "missing": True, "key": key})
                continue
            # the depth networks compared on every pixel: a sky head's mask is a decision of its own
            predict = estimator_predictor(Estimator.from_pretrained(str(model_dir), backend="onnxruntime"),
                                          mask_beyond=False)
            row = {"model": str(model_dir), "steps": training_steps(cfg, model_dir), "gt_density": cfg.gt_density}
        t0 = time.perf_counter()
        result = evaluate(predict, open_dataset(data), max_images=max_images, progress=progress, windows=windows)
        rows.append({"label": variant.label, **row, **repeats, "metrics": result["metrics"],
                     "coverage": result["coverage"], **({"windows": result["windows"]} if windows else {}),
                     "by_depth": result["by_depth"], "num_images": result["num_images"],
                     "per_image_rmse": [round(image["rmse"], 4) if "rmse" in image else None
                                        for image in result["per_image"]],
                     "eval_s": round(time.perf_counter() - t0, 1), "key": key,
                     "evaluated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")})
    return rows


def markdown(title: str, command: str, data: str, all_rows: List[Dict], reference: int = 0,
             windows: Optional[Dict[str, str]] = None) -> str:
    """The table of `all_rows`; `windows` (name -> what it shows) adds a table per window."""
    rows = [row for row in all_rows if not row.get("missing")]
    base = rows[reference]["metrics"]["rmse"]
    lines = [f"# {title}", "", f"Written by `{command}` on "
             f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; data `{data}` "
             f"({rows[0]['num_images']} images), metric depth, no alignment.", "",
             "| Model | Training GT | Steps | Density | RMSE (m) | AbsRel | delta1 | RMSE vs first row | "
             "95% interval |", "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        m = row["metrics"]
        change = 100.0 * (m["rmse"] - base) / base
        lines.append(f"| {row['label']} | {row['gt_density']} | {row['steps']} | {100 * row['coverage']:.1f}% | "
                     f"{m['rmse']:.3f} | {m['absrel']:.4f} | {m['d1']:.4f} | {change:+.2f}% | "
                     f"{change_interval(rows[reference], row)} |")
    lines += ["", "95% interval: of the RMSE change against the first row, from resampling the test images "
              "(10 000 paired draws; `metrics.paired_bootstrap_change`): how far the change could move by which "
              "images the test set holds. Not by chance in training: another seed of one recipe moves it too."]
    kept = [f"{row['label']} ({row['evaluated']})" for row in rows if row.get("kept")]
    missing = [row["label"] for row in all_rows if row.get("missing")]
    if missing:
        lines += ["", "Not trained yet (run the command without --no-train): " + "; ".join(missing) + "."]
    if kept:
        lines += ["", "Rows kept from an earlier run of the command (same recipe, data and frames; their "
                  "evaluation time): " + "; ".join(kept) + "."]
    lines += seed_table(rows, reference)
    for name, why in (windows or {}).items():
        lines += [""] + window_table(rows, name, why, reference)
    if all(row.get("by_depth") for row in rows):
        lines += [""] + depth_band_table(rows, reference)
    return "\n".join(lines) + "\n"


def change_interval(reference: Dict, row: Dict) -> str:
    """The paired-bootstrap interval of `row`'s RMSE change against `reference`, as table text."""
    if row is reference:
        return "-"
    per_image = [[np.nan if v is None else v for v in r["per_image_rmse"]] for r in (reference, row)]
    _, low, high = paired_bootstrap_change(*per_image)
    return f"{100 * low:+.1f}% to {100 * high:+.1f}%"


def seed_table(rows: List[Dict], reference: int = 0) -> List[str]:
    """The recipes trained with several seeds (rows that `repeat` another): each seed's RMSE, their mean
    and range, and the change of the mean against the first row's mean. A gain smaller than a recipe's
    range is one training by chance could give."""
    repeated = dict.fromkeys(row["repeats"] for row in rows if row.get("repeats"))   # in order, once each
    groups = {label: [r for r in rows if label in (r["label"], r.get("repeats"))] for label in repeated}
    if not groups:
        return []
    means = {label: float(np.mean([r["metrics"]["rmse"] for r in group])) for label, group in groups.items()}
    first = rows[reference]["label"]
    base = means.get(first, rows[reference]["metrics"]["rmse"])
    lines = ["", "Recipes trained with more than one seed (the seed draws the initial weights, the frame order "
             "and the augmentation; nothing else differs):", "",
             "| Model | RMSE (m) by seed | Mean | Range | Mean vs first row's mean |", "|---|---|---|---|---|"]
    for label, group in groups.items():
        rmse = [r["metrics"]["rmse"] for r in group]
        seeds = ", ".join(f"{value:.3f} (seed {network_seed(r)})" for value, r in zip(rmse, group))
        spread = 100 * (max(rmse) - min(rmse)) / means[label]
        lines.append(f"| {label} | {seeds} | {means[label]:.3f} | {spread:.1f}% | "
                     f"{100 * (means[label] - base) / base:+.2f}% |")
    return lines


def network_seed(row: Dict) -> int:
    """The seed of the depth network a row scores (a stage-2 row's network is its stage 1)."""
    return (row["key"].get("started_from") or row["key"]["training"])["seed"]


def window_table(rows: List[Dict], name: str, why: str, reference: int = 0) -> List[str]:
    """The rows scored inside one window of the frame (evaluate's `windows`); `why` says what it shows."""
    base = rows[reference].get("windows", {}).get(name, {}).get("rmse")
    lines = [f"The same predictions inside the `{name}` window: {why}", "",
             "| Model | Training GT | RMSE (m) | AbsRel | delta1 | RMSE vs first row |", "|---|---|---|---|---|---|"]
    for row in rows:
        m = row.get("windows", {}).get(name)
        if m is None:
            lines.append(f"| {row['label']} | {row['gt_density']} | - | - | - | - |")
            continue
        change = f"{100.0 * (m['rmse'] - base) / base:+.2f}%" if base else "-"
        lines.append(f"| {row['label']} | {row['gt_density']} | {m['rmse']:.3f} | {m['absrel']:.4f} | "
                     f"{m['d1']:.4f} | {change} |")
    return lines


def depth_band_table(rows: List[Dict], reference: int = 0) -> List[str]:
    """RMSE per ground-truth depth band: the RMSE is the far pixels' metric, and this shows by how much."""
    bands = rows[reference]["by_depth"]
    names = [f"> {b['from_m']:g} m" if b["to_m"] is None else f"{b['from_m']:g}-{b['to_m']:g} m" for b in bands]
    lines = ["RMSE (m) by ground-truth depth band (pixels pooled over the images; a row counts only the "
             "pixels it predicts), with each band's share of the pixels and of the first row's squared error:", "",
             "| Model | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|",
             "| share of pixels | " + " | ".join(f"{100 * b['fraction']:.1f}%" for b in bands) + " |",
             "| share of first row's squared error | "
             + " | ".join(f"{100 * b['sq_error_share']:.1f}%" for b in bands) + " |"]
    for row in rows:   # every row has the same bands (metrics.DEPTH_BANDS); an empty band has no RMSE
        cells = ["-" if b["rmse"] is None else f"{b['rmse']:.3f}" for b in row["by_depth"]]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    return lines
