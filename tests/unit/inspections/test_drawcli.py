"""`honestmeter draw verify`, driven on the click group itself (no Flask app)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from honestmeter.inspections.draws.cli import draw_group

GOLDEN = Path(__file__).with_name("golden_draw_bundle.json")


def test_verify_accepts_the_golden_bundle() -> None:
    outcome = CliRunner().invoke(draw_group, ["verify", str(GOLDEN)])
    assert outcome.exit_code == 0, outcome.output
    assert "VALID 验证通过" in outcome.stdout
    assert "2026-杭州-计量-01" in outcome.stdout
    assert "stratum 层 B: 12 in pool 名录, k = 5 drawn 抽取" in outcome.stdout
    assert "selected 抽中: 13, assigned 已派员: 8, unassigned 未能派员: 5" in outcome.stdout


def test_verify_rejects_a_tampered_result(tmp_path: Path) -> None:
    bundle = json.loads(GOLDEN.read_text(encoding="utf-8"))
    bundle["result"]["selected"][0]["inspectors"][0] = "ZJ3301-0002"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    outcome = CliRunner().invoke(draw_group, ["verify", str(path)])
    assert outcome.exit_code == 1
    assert "INVALID 验证未通过" in outcome.stderr
    assert "result selected differs from the recomputed draw at entry 0" in outcome.stderr


def test_verify_rejects_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(b"%PDF-1.7")
    outcome = CliRunner().invoke(draw_group, ["verify", str(path)])
    assert outcome.exit_code == 1
    assert "not a JSON file" in outcome.stderr
