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
