"""``dcmon statement``: from replayed readings and from the store ``dcmon run`` keeps (here
written by ``dcmon replay --store``), in English and Chinese, CSV and JSON; the figures are
the hand-computed ones of tests/cases/tenants/tou_unassigned."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.paths import CASES

CASE = CASES / "tenants" / "tou_unassigned"
READINGS = str(CASE / "readings.jsonl")
TOTAL_EN = "| **Site total** | - | - | 13.00 | 5.00 | **18.00** | 10.27 | **18.60** |"


def _run(*args: str) -> str:
    res = CliRunner().invoke(main, ["statement", "--config", str(CASE / "config.yaml"),
                                    *args])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_markdown_en_from_readings() -> None:
    out = _run("--readings", READINGS, "--grid-factor", "0.5703", "--grid-factor-source",
               "national grid average (test)")
    assert out.startswith("# Energy statement 2026-01: City data centre\n")
    assert "| City Health Commission | CC-0301 | hall/a01 | 6.00 | 2.45 | 8.45 | 4.82 | 8.64 |" \
        in out
    assert "| Unassigned racks | - | hall/a03 | 3.00 | 1.15 | 4.15 | 2.37 | 4.23 |" in out
    assert TOTAL_EN in out
    assert "Grid emission factor: national grid average (test)" in out
    assert "month in progress" in out


def test_zh_csv_json() -> None:
    zh = _run("--readings", READINGS, "--lang", "zh")
    # No --grid-factor: the inventory's factors, here the shipped national average (2023's,
    # carried forward to 2026): 8.45 kWh x 0.5306 = 4.48 kg; the lines add up to 18 x 0.5306.
    assert "| 市卫健委 | CC-0301 | hall/a01 | 6.00 | 2.45 | 8.45 | 4.48 | 8.64 |" in zh
    assert "| **站点合计** | - | - | 13.00 | 5.00 | **18.00** | 9.55 | **18.60** |" in zh
    assert "| 市卫健委 | 5.45 | 6.54 | 3.00 | 2.10 | 0.00 | 0.00 |" in zh  # 峰 平 谷
    assert "电网排放因子：MEE/NBS 2023 national grid average" in zh
    assert "the latest listed (2023), applied to 2026" in zh
    assert "- 本月站点 PUE 不予给出：应有计量小时数的覆盖率为 0.9%，低于最低要求 90%" in zh
    rows = _run("--readings", READINGS, "--format", "csv").lstrip("\ufeff").splitlines()
    assert rows[0].startswith("site,month,tenant,")
    assert rows[-1].startswith("dc1,2026-01,total,站点合计,Site total,,,13.0,5.0,18.0,9.55,18.6,")
    doc = json.loads(_run("--readings", READINGS, "--format", "json", "--month", "2026-01"))
    assert doc[0]["total"]["cost"] == 18.6


def test_from_the_service_store(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    shutil.copy(CASE / "config.yaml", cfg)
    with cfg.open("a") as f:
        f.write("state_dir: state\n")
    runner = CliRunner()
    res = runner.invoke(main, ["statement", "--config", str(cfg)])
    assert res.exit_code == 1 and "no state store" in res.output
    (tmp_path / "state").mkdir()
    res = runner.invoke(main, ["replay", "--config", str(cfg), READINGS, "--store",
                               str(tmp_path / "state" / "dcmon.sqlite")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["statement", "--config", str(cfg), "--month", "2026-01",
                               "--at", "1768442400", "--grid-factor", "0.5703"])
    assert res.exit_code == 0, res.output
    assert TOTAL_EN in res.stdout
    res = runner.invoke(main, ["statement", "--config", str(cfg), "--month", "2026-02",
                               "--at", "1768442400"])
    assert res.exit_code == 1 and "month 2026-02 has no whole hour" in res.output
    res = runner.invoke(main, ["statement", "--config", str(cfg), "--site", "nope"])
    assert res.exit_code == 1 and "unknown site 'nope'" in res.output
