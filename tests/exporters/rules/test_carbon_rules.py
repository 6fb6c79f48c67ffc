"""The carbon recording rules: ``promtool check rules`` clean, and their generated unit tests
(steady counters -> CUE, REF, WUE) pass, for a site with PV and a generator and one with water."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.paths import CASES
from tests.support.snmpsim import require_tool


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([require_tool("promtool"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60)


def test_carbon_rules_check_and_unit_tests(tmp_path: Path) -> None:
    for case, records in (("cue_grid_pv_diesel", {"dcmon:site_ref_ratio"}),
                          ("wue_wrap", {"dcmon:site_wue_l_per_kwh"})):
        out = tmp_path / case
        res = CliRunner().invoke(main, ["rules", "--config",
                                        str(CASES / "carbon" / case / "config.yaml"),
                                        "--out", str(out)])
        assert res.exit_code == 0, res.output
        check = _promtool("check", "rules", "rules.yml", cwd=out)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "lint" not in (check.stdout + check.stderr).lower()
        test = _promtool("test", "rules", "rules_test.yml", cwd=out)
        assert test.returncode == 0, test.stdout + test.stderr
        rules = yaml.safe_load((out / "rules.yml").read_text())
        (group,) = [g for g in rules["groups"] if g["name"] == "dcmon-carbon"]
        recorded = {r["record"] for r in group["rules"]}
        assert {"dcmon:site_cue_kg_per_kwh", "dcmon:site_grid_energy_joules"} | records \
            <= recorded
        tests = yaml.safe_load((out / "rules_test.yml").read_text())["tests"]
        (carbon,) = [t for t in tests if "CUE" in t["name"]]
        assert len(carbon["promql_expr_test"]) == 2
    # The PV site's CUE: (30 - 5 - 2) kW x 0.5 / 20 kW = 0.575 kg/kWh, in millionths.
    doc = yaml.safe_load((tmp_path / "cue_grid_pv_diesel" / "rules_test.yml").read_text())
    (carbon,) = [t for t in doc["tests"] if "CUE" in t["name"]]
    assert carbon["promql_expr_test"][0]["exp_samples"][0]["value"] == 575000
