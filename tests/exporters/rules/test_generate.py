"""``dcmon rules``: generated Prometheus rules pass ``promtool check rules`` cleanly (lint
included) and their generated ``promtool test rules`` unit tests pass; sharded rules check too."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.paths import CASES
from tests.support.snmpsim import require_tool

INVENTORY = CASES / "alerts" / "rules" / "config.yaml"


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("promtool"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_rules_check_and_unit_tests(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["rules", "--config", str(INVENTORY), "--out",
                                    str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert res.output.split() == [str(tmp_path / "rules.yml"), str(tmp_path / "rules_test.yml")]
    check = _promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "SUCCESS" in check.stdout and "lint" not in (check.stdout + check.stderr).lower()
    test = _promtool("test", "rules", "rules_test.yml", cwd=tmp_path)
    assert test.returncode == 0, test.stdout + test.stderr
    doc = yaml.safe_load((tmp_path / "rules_test.yml").read_text())
    names = [t["name"] for t in doc["tests"]]
    # dc-new: judged and unconfirmed; hub-1 has no load floor and no date: judged only;
    # edge-1 is report only (no PUE alert at all).
    assert [n.split(":")[0] for n in names if "judged" in n or "unconfirmed" in n] == [
        "dc-new", "dc-new", "hub-1"]
    assert any("DcmonFeedFailoverRisk" in n for n in names)
    assert any("DcmonRackOverUtilised" in n for n in names)
    rules = yaml.safe_load((tmp_path / "rules.yml").read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    sites = {r["labels"].get("site") for r in alerts if r["alert"] == "DcmonPueAboveCeiling"}
    assert sites == {"dc-new", "hub-1"}
    assert "&id" not in (tmp_path / "rules.yml").read_text()


def test_sharded_rules_check(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["rules", "--config", str(INVENTORY), "--out",
                                    str(tmp_path), "--sharded"])
    assert res.exit_code == 0, res.output
    check = _promtool("check", "rules", "rules.yml", cwd=tmp_path)
    assert check.returncode == 0 and "SUCCESS" in check.stdout, check.stdout + check.stderr
    text = (tmp_path / "rules.yml").read_text()
    assert "dcmon_site_pue_ratio" not in text  # shards alert on the recorded energy ratio
    test = _promtool("test", "rules", "rules_test.yml", cwd=tmp_path)
    assert test.returncode == 0, test.stdout + test.stderr
    doc = yaml.safe_load((tmp_path / "rules_test.yml").read_text())
    assert not any("judged" in t["name"] for t in doc["tests"])  # no engine PUE inputs


def test_capacity_recording_tests_match_the_engine(tmp_path: Path) -> None:
    """The generated capacity checks carry the engine's figures for hall-2 of dc-new: b01 on its
    own 5 kW rating, usable 2.944 kW (16 A x 230 V x 0.8), drawing 1.472 kW; b02 on the
    policy's 6 kW drawing 3.1 kW; the room's 6 kW limit binds its headroom (6 - 4.572 kW)."""
    res = CliRunner().invoke(main, ["rules", "--config", str(INVENTORY), "--out",
                                    str(tmp_path), "--sharded"])
    assert res.exit_code == 0, res.output
    doc = yaml.safe_load((tmp_path / "rules_test.yml").read_text())
    test = next(t for t in doc["tests"] if "capacity as the engine" in t["name"])
    got = {c["expr"]: c["exp_samples"][0]["value"] for c in test["promql_expr_test"]}
    assert got['round(dcmon:rack_utilisation_ratio{rack="b01"} * 1e+06)'] == 294400
    assert got['round(dcmon:rack_headroom_watts{rack="b01"})'] == 1472
    assert got['round(dcmon:rack_utilisation_ratio{rack="b02"} * 1e+06)'] == 516667
    assert got['round(dcmon:room_headroom_watts{room="hall-2"})'] == 1428
    # hall-1: a01 3 kW of 6, a02 4.1 kW of 8; 2.5 kW standard racks.
    assert got['round(dcmon:site_standard_racks{site="dc-new",kind="measured"} * 1e+06)'] == \
        round((3000 + 4100 + 1472 + 3100) / 2500 * 1e6)
    # in use: every rack above 0.5 kW counts at its rating (6 + 8 + 5 + 6 kW) / 2.5
    assert got['round(dcmon:site_standard_racks{site="dc-new",kind="in_use"} * 1e+06)'] == \
        10_000_000
    rules = yaml.safe_load((tmp_path / "rules.yml").read_text())
    rated = {r["labels"]["rack"]: r["expr"] for g in rules["groups"] for r in g["rules"]
             if r.get("record") == "dcmon:rack_rated_power_watts"}
    assert rated["b01"] == "vector(5000)"  # the rack's own rating wins, as in the engine
