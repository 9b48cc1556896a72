"""evaluate() on a real folder data set with arithmetic predictors, the report, `depth-restore eval`."""
import json

import cv2
import numpy as np
import pytest

from depth_restore_ros.data.datasets import garg_crop, open_dataset
from depth_restore_ros.train.evaluate import evaluate, write_report


@pytest.fixture()
def folder(tmp_path):
    rng = np.random.default_rng(3)
    (tmp_path / "camera.yaml").write_text("fx: 60\nfy: 60\ncx: 39.5\ncy: 31.5\nmax_depth: 20\n")
    for i in range(4):
        rgb = rng.integers(0, 256, (64, 80, 3), dtype=np.uint8)
        mm = rng.integers(1000, 12000, (64, 80)).astype(np.uint16)
        mm[:8] = 0       # no measurement
        mm[8:10] = 30000  # beyond max_depth: not counted
        (tmp_path / "rgb").mkdir(exist_ok=True)
        (tmp_path / "depth").mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / "rgb" / f"{i:03d}.png"), rgb)
        cv2.imwrite(str(tmp_path / "depth" / f"{i:03d}.png"), mm)
    return tmp_path


def test_ten_percent_too_far(folder):
    ds = open_dataset(f"folder:{folder}")
    result = evaluate(lambda s: s.depth * 1.1, ds, progress=False)
    m = result["metrics"]
    assert result["num_images"] == 4 and result["coverage"] == 1.0 and result["align"] == "none"
    assert m["absrel"] == pytest.approx(0.1, rel=1e-5)
    assert m["rmse_log"] == pytest.approx(np.log(1.1), rel=1e-5) and m["d1"] == 1.0
    assert result["protocol"] == {"name": "folder", "min_depth": 1e-3, "max_depth": 20.0, "crop": None}
    assert len(result["per_image"]) == 4
    counted = [band for band in result["by_depth"] if band["fraction"] > 0]
    assert counted and all(band["absrel"] == pytest.approx(0.1, rel=1e-5) for band in counted)
    assert sum(band["fraction"] for band in result["by_depth"]) == pytest.approx(1.0)
    # scale alignment removes a pure scale error
    aligned = evaluate(lambda s: s.depth * 1.1, ds, align="scale", progress=False)
    assert aligned["metrics"]["absrel"] == pytest.approx(0.0, abs=1e-5)


def test_constant_median_baseline_and_coverage(folder):
    ds = open_dataset(f"folder:{folder}")
    gts = [s.depth[ds.protocol.mask(s.depth)] for s in ds]
    median = float(np.median(np.concatenate(gts)))

    def half_nan(s):
        pred = s.depth.copy()
        pred[:, :40] = np.nan
        return pred

    result = evaluate(half_nan, ds, progress=False)
    assert result["coverage"] == pytest.approx(0.5)
    assert result["metrics"]["absrel"] == pytest.approx(0.0, abs=1e-6)
    base = result["baselines"]["constant_median"]
    assert base["value_m"] == pytest.approx(median)
    expected = np.mean([np.mean(np.abs(median - g) / g) for g in gts])  # per image, then over images
    assert base["metrics"]["absrel"] == pytest.approx(expected, rel=1e-5)


def test_a_window_scores_the_same_predictions_inside_it_alone(folder):
    """Wrong only above the Garg crop (where a KITTI LiDAR never looks): the frame sees the error,
    the window does not, and the window's numbers are those of the pixels inside it."""
    ds = open_dataset(f"folder:{folder}")

    def wrong_on_top(s):
        pred = s.depth.copy()
        top = garg_crop(*s.depth.shape)[0]
        pred[:top] *= 2.0
        return pred

    result = evaluate(wrong_on_top, ds, progress=False, windows={"garg": garg_crop, "all": lambda h, w: (0, h, 0, w)})
    assert result["metrics"]["absrel"] > 0.2
    assert result["windows"]["garg"]["absrel"] == pytest.approx(0.0, abs=1e-6)
    assert result["windows"]["garg"]["d1"] == 1.0
    assert result["windows"]["all"] == pytest.approx(result["metrics"])
    assert "windows" not in evaluate(wrong_on_top, ds, progress=False)


def test_max_images_spreads_and_shape_is_checked(folder):
    ds = open_dataset(f"folder:{folder}")
    seen = []
    evaluate(lambda s: s.depth, ds, max_images=2, progress=False, on_image=lambda s, p, m: seen.append(s.name))
    assert seen == ["000", "003"]
    with pytest.raises(ValueError, match="differ in size"):
        evaluate(lambda s: s.depth[:10], ds, progress=False)


def test_report_picture(folder, tmp_path):
    ds = open_dataset(f"folder:{folder}")
    kept = []
    result = evaluate(lambda s: s.depth * 1.2, ds, progress=False, on_image=lambda s, p, m: kept.append((s, p)))
    out = write_report(result, kept, tmp_path / "out" / "report.png")
    picture = cv2.imread(str(out))
    assert picture is not None and picture.shape[0] > 3 * 200  # three image rows and the table
    assert picture.std() > 10


def test_eval_command_end_to_end(folder, tmp_path):
    pytest.importorskip("onnxruntime")
    from depth_restore_ros.cli import main
    out = tmp_path / "eval.json"
    assert main(["eval", "--model", "mono-small", "--data", f"folder:{folder}", "--max-images", "2",
                 "--json", str(out), "--png", str(tmp_path / "eval.png"), "--no-progress"]) == 0
    report = json.loads(out.read_text())
    assert set(report["metrics"]) == {"absrel", "sqrel", "rmse", "rmse_log", "log10", "silog", "d1", "d2", "d3"}
    assert report["num_images"] == 2 and report["model"] == "mono-small" and report["align"] == "none"
    assert "constant_median" in report["baselines"] and report["seconds"] >= 0
    assert (tmp_path / "eval.png").is_file()


def test_predictor_with_uncertainty_gets_it_scored(folder):
    ds = open_dataset(f"folder:{folder}")
    rng = np.random.default_rng(0)

    def predict(sample):   # error proportional to depth; uncertainty says so
        noise = rng.standard_normal(sample.depth.shape).astype(np.float32)
        return sample.depth * (1 + 0.1 * noise), 0.1 * np.nan_to_num(sample.depth)

    result = evaluate(predict, ds, progress=False)
    u = result["uncertainty"]
    assert u["num_images"] == 4 and u["spearman"] > 0.3 and u["rmse"]["ause"] < u["rmse"]["ause_random"]
    assert "uncertainty" not in evaluate(lambda s: s.depth, ds, progress=False)


def test_sky_published_as_a_surface_is_counted():
    """The synthetic world's NaN ground truth is sky / beyond range: a predictor that paints it at 5 m
    is caught (no depth metric sees those pixels), one that leaves it NaN is not."""
    ds = open_dataset("synthetic:test")
    paints_sky = evaluate(lambda s: np.where(np.isfinite(s.depth), s.depth, 5.0), ds, max_images=6, progress=False)
    beyond = paints_sky["beyond_range"]
    assert beyond["images"] >= 1 and beyond["pixels"] > 0
    assert beyond["published_fraction"] == 1.0 and beyond["published_quartiles_m"] == [5.0, 5.0, 5.0]
    leaves_nan = evaluate(lambda s: s.depth, ds, max_images=6, progress=False)
    assert leaves_nan["beyond_range"]["published_fraction"] == 0.0
    assert leaves_nan["beyond_range"]["pixels"] == beyond["pixels"]
    assert paints_sky["metrics"] == leaves_nan["metrics"]            # invisible to every depth metric
    assert "beyond_range" not in evaluate(lambda s: s.depth, open_dataset("middlebury:skimage"),
                                          progress=False)             # NaN there means "not measured"
