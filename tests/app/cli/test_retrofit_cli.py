"""``dcmon retrofit`` on the state a run left: the chiller case's saving, and a refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.paths import CASES
from tests.support.retrofit_data import run_case


def test_text_and_json(tmp_path: Path) -> None:
    report, truth, _, _ = run_case(CASES / "retrofit" / "chiller_saving", tmp_path)
    cfg = str(tmp_path / "config.yaml")
    out = CliRunner().invoke(main, ["retrofit", "--config", cfg, "--grid-factor", "0.5"])
    assert out.exit_code == 0, out.output
    assert f"avoided   {report.avoided_kwh:,.0f} kWh ± {report.uncertainty_kwh:,.0f} (90% " \
           "confidence)" in out.output
    assert "t CO2 ±" in out.output and "0.5 kg CO2/kWh (--grid-factor)" in out.output
    assert "at baseline conditions: not stated" in out.output
    js = CliRunner().invoke(main, ["retrofit", "--config", cfg, "--format", "json"])
    [doc] = json.loads(js.output)
    assert doc["avoided_kwh"] == report.avoided_kwh
    # No --grid-factor: the inventory's factors (here the national average, 2023's carried
    # forward to 2026), applied to each reporting day's avoided energy.
    assert doc["avoided_co2_kg"] == pytest.approx(report.avoided_kwh * 0.5306, rel=1e-9)
    assert doc["co2_factor_source"].startswith("MEE/NBS 2023 national grid average")
    assert abs(doc["avoided_kwh"] - truth.saving_kwh) <= doc["uncertainty_kwh"]


def test_refusal_exits_1(tmp_path: Path) -> None:
    run_case(CASES / "retrofit" / "short_baseline", tmp_path)
    out = CliRunner().invoke(main, ["retrofit", "--config", str(tmp_path / "config.yaml")])
    assert out.exit_code == 1
    assert "REFUSED: the baseline has 14 valid days; at least 56 are needed" in out.output


def test_unknown_id_and_no_state(tmp_path: Path) -> None:
    run_case(CASES / "retrofit" / "short_baseline", tmp_path)
    out = CliRunner().invoke(main, ["retrofit", "--config", str(tmp_path / "config.yaml"),
                                    "--id", "nope"])
    assert out.exit_code == 1 and "matching --id nope" in out.output
    (tmp_path / "dcmon-state" / "dcmon.sqlite").rename(tmp_path / "moved.sqlite")
    out = CliRunner().invoke(main, ["retrofit", "--config", str(tmp_path / "config.yaml")])
    assert out.exit_code == 1 and "no state store" in out.output
