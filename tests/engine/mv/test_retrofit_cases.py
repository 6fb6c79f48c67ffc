"""Retrofit case folders (tests/cases/retrofit/*): seeded history with a known saving, run
through the real engine and store, then verified as ``dcmon retrofit`` does."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from dcmon.app.inventory import load_with_profiles
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.mv.run import retrofit_reports
from dcmon.engine.mv.sensor import FILE, TemperatureLog, sensor_refs
from dcmon.engine.store import Store
from dcmon.model import PollResult, Reading, Source
from tests.support.paths import CASES
from tests.support.retrofit_data import FACTOR, run_case

CASE_DIRS = sorted(p for p in (CASES / "retrofit").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_retrofit_case(case: Path, tmp_path: Path) -> None:
    report, truth, _, spec = run_case(case, tmp_path)
    expect = spec["expect"]
    assert report.status == expect["status"], report.reason
    assert report.reason_code == expect.get("reason_code", "")
    if report.status != "ok":
        assert report.reason and report.avoided_kwh is None
        return
    assert report.avoided_kwh is not None and report.uncertainty_kwh is not None
    # The reported saving is within its stated uncertainty of the saving built in ...
    assert abs(report.avoided_kwh - truth.saving_kwh) <= report.uncertainty_kwh
    assert report.significant
    # ... and the naive before/after PUE comparison is not: weather and load moved.
    assert report.pue_before is not None and report.pue_after is not None
    naive = (report.pue_before - report.pue_after) * (report.actual_kwh or 0) / report.pue_after
    assert abs(naive - truth.saving_kwh) > 3 * report.uncertainty_kwh
    # Normalised PUE at this summer's conditions: the retrofit is a lower PUE, by the avoided
    # energy; at the baseline's (winter and spring) it is not extrapolated from a summer.
    now = report.normalised_reporting
    assert now is not None and now.before is not None and now.after is not None
    it_rep = (report.actual_kwh or 0) / report.pue_after
    assert now.before - now.after == pytest.approx(report.avoided_kwh / it_rep)
    assert now.after == pytest.approx(report.pue_after)
    normal = report.normalised_baseline
    assert normal is not None and normal.after is None and "not extrapolated" in normal.reason
    assert report.avoided_co2_kg == pytest.approx(report.avoided_kwh * FACTOR)
    assert report.co2_factor_source == "test factor"


def test_no_retrofit_no_saving(tmp_path: Path) -> None:
    """The same history without the measure: the saving found is within its uncertainty of
    zero (the method does not invent savings from weather and load)."""
    case = tmp_path / "case"
    shutil.copytree(CASES / "retrofit" / "chiller_saving", case)
    spec = yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))
    spec["generate"]["cooling_saving"] = 0.0
    (case / "case.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    report, truth, _, _ = run_case(case, work)
    assert truth.saving_kwh == 0.0
    assert report.status == "ok" and report.avoided_kwh is not None
    assert report.uncertainty_kwh is not None
    assert abs(report.avoided_kwh) <= report.uncertainty_kwh
    assert not report.significant


def _variant(tmp_path: Path, **changes: object) -> Path:
    """The chiller case with these retrofit keys changed."""
    case = tmp_path / "case"
    shutil.copytree(CASES / "retrofit" / "chiller_saving", case)
    doc = yaml.safe_load((case / "config.yaml").read_text(encoding="utf-8"))
    doc["sites"][0]["retrofits"][0].update(changes)
    (case / "config.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    (tmp_path / "work").mkdir()
    return case


def test_hourly_model(tmp_path: Path) -> None:
    """Hourly points: the same saving, found within its (hourly) uncertainty."""
    report, truth, _, _ = run_case(_variant(tmp_path, granularity="hourly",
                                            min_baseline_days=56), tmp_path / "work")
    assert report.status == "ok", report.reason
    assert report.baseline_points == 137 * 24
    assert report.avoided_kwh is not None and report.uncertainty_kwh is not None
    assert abs(report.avoided_kwh - truth.saving_kwh) <= report.uncertainty_kwh


def test_unreadable_weather_is_a_refusal(tmp_path: Path) -> None:
    work = tmp_path / "work"
    _, _, cfg, _ = run_case(_variant(tmp_path), work)
    (work / "weather.csv").write_text("timestamp,outdoor_c\nyesterday,3\n", encoding="utf-8")
    store = Store(work / "dcmon-state" / "dcmon.sqlite")
    [report] = retrofit_reports(cfg, EnergyEngine(cfg, store), 1.9e9)
    store.close()
    assert (report.status, report.reason_code) == ("refused", "weather")
    assert report.reason.endswith("weather.csv: line 2: Invalid isoformat string: 'yesterday'")


def test_outdoor_sensor_log_gives_the_csv_figures(tmp_path: Path) -> None:
    """The same weather, polled from a sensor and logged hourly by ``dcmon run``'s temperature
    log, gives the same report as the CSV (one observation an hour either way)."""
    work = tmp_path / "work"
    csv_report, _, cfg, _ = run_case(_variant(tmp_path), work)
    sensor = {"sensor": {"device": "meter1", "metric": "outdoor_temperature"}}
    doc = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    doc["sites"][0]["retrofits"][0]["temperature"] = sensor
    (work / "config.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    cfg, _ = load_with_profiles(work / "config.yaml")
    temps = TemperatureLog(work / "dcmon-state" / FILE, lambda: sensor_refs(cfg))
    lines = (work / "weather.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        stamp, value = line.split(",")
        ts = dt.datetime.fromisoformat(stamp).timestamp()
        reading = Reading("meter1", "outdoor_temperature", float(value), "Cel", {}, ts,
                          Source("test"))
        ignored = Reading("meter1", "temperature", 99.0, "Cel", {}, ts, Source("test"))
        temps.on_poll(PollResult("meter1", "x", (reading, ignored), (), ts, 0.01))
    temps.flush()
    store = Store(work / "dcmon-state" / "dcmon.sqlite")
    engine = EnergyEngine(cfg, store)
    [report] = retrofit_reports(cfg, engine, 1.9e9, temps=temps)
    assert report.status == "ok"
    assert report.avoided_kwh == pytest.approx(csv_report.avoided_kwh, rel=1e-9)
    assert report.uncertainty_kwh == pytest.approx(csv_report.uncertainty_kwh, rel=1e-9)
    # Without the log (e.g. `dcmon retrofit` before any `dcmon run`): refused, and why.
    [missing] = retrofit_reports(cfg, engine, 1.9e9)
    assert (missing.status, missing.reason_code) == ("refused", "weather")
    assert "no temperature log (temperature.sqlite" in missing.reason
    store.close()
    temps.close()
