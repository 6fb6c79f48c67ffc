"""Carbon, renewable and water cases kept as folders: tests/cases/carbon/<name>/{config.yaml,
readings.jsonl, expected.json}. Inputs come from make_readings.py; the expected figures are
computed by hand in each config.yaml's comment. Run through ``dcmon replay``, as a user would,
and held to the hand computation within 0.1 %."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import dcmon.app.cli
from tests.support.paths import CASES

CASES = CASES / "carbon"


def _replay(folder: Path, window: str) -> dict[str, Any]:
    res = CliRunner().invoke(dcmon.app.cli.main, [
        "replay", "--config", str(folder / "config.yaml"), str(folder / "readings.jsonl"),
        "--window", window])
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out


def _close(got: dict[str, Any], want: dict[str, Any]) -> None:
    for key, value in want.items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            assert got[key] == pytest.approx(value, rel=1e-3, abs=1e-9), key
        else:
            assert got[key] == value, key


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_carbon_case(case: str) -> None:
    folder = CASES / case
    exp = json.loads((folder / "expected.json").read_text())
    out = _replay(folder, exp["window"])
    (carbon,) = [r for r in out["carbon"] if r["window"] == exp["window"]]
    _close(carbon, exp["carbon"])
    assert carbon["grid_factor_source"] == exp["grid_factor_source"]
    assert carbon["end"] - carbon["start"] == 24 * 3600
    if exp["water"] is None:
        assert out["water"] == []
    else:
        (water,) = out["water"]
        _close(water, exp["water"])
    for device, want in exp.get("water_accounts", {}).items():
        (acc,) = [a for a in out["water_accounts"].values() if a["device"] == device]
        _close(acc, want)


def test_metering_fault_publishes_status_and_reason_but_no_figure(tmp_path: Path) -> None:
    """PV read ten times too high (1,200 kWh of a 720 kWh E_DC): the metering is wrong, so CUE
    and REF computed from it would be wrong too; only the verdict and its reason are shown."""
    folder = tmp_path / "case"
    shutil.copytree(CASES / "cue_grid_pv_diesel", folder)
    lines = []
    for line in (folder / "readings.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["device"] == "pv1":
            row["value"] *= 10
        lines.append(json.dumps(row))
    (folder / "readings.jsonl").write_text("\n".join(lines) + "\n")
    out = _replay(folder, "24h")
    (carbon,) = [r for r in out["carbon"] if r["window"] == "24h"]
    assert carbon["status"] == "metering_fault"
    assert carbon["reason_code"] == "sources_exceed_facility"
    assert "exceeds facility energy (720.000 kWh)" in carbon["reason"]
    assert carbon["renewable_kwh"] == pytest.approx(1200.0, rel=1e-3)
    assert (carbon["cue"], carbon["cue_market"], carbon["ref"]) == (None, None, None)
