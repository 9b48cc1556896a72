"""`depth-restore bench synthetic` runs end to end through the CLI and reports every size asked for."""
import json

from depth_restore_ros.cli import main


def test_bench_synthetic_cli_writes_json(tmp_path, capsys):
    out = tmp_path / "synthetic.json"
    assert main(["bench", "synthetic", "--frames", "2", "--size", "64x48", "--size", "96x64",
                 "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert json.loads(capsys.readouterr().out) == result
    assert set(result["sizes"]) == {"64x48", "96x64"} and result["threads"] == 1
    for size in result["sizes"].values():
        assert size["images_per_s"] > 0 and size["render_vs_cache"] > 0 and size["cache_mb_per_frame"] > 0
