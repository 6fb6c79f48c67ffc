"""The results job's retrofit reports (RetrofitCache through ResultsHub), on the chiller case's
real store: computed outside the hub's lock, recomputed when a day has settled, a weather file
changed or a reload changed a retrofit, and a failing computation retried after a back-off."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from dcmon.app.inventory import load_with_profiles
from dcmon.config.resolved import Config
from dcmon.config.retrofit import SensorRef
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.mv.run import RetrofitCache
from dcmon.engine.mv.weather import load_weather
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.store import Store
from tests.support.paths import CASES
from tests.support.retrofit_data import LATER, run_case

TZ = ZoneInfo("Asia/Shanghai")
SETTLE = 7200.0  # two of the case's hourly polls


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Config, Store]]:
    """The chiller case's history; the inventory's reporting period left open (to today)."""
    tmp = tmp_path_factory.mktemp("retrofit-cache")
    run_case(CASES / "retrofit" / "chiller_saving", tmp)
    doc = yaml.safe_load((tmp / "config.yaml").read_text(encoding="utf-8"))
    doc["sites"][0]["retrofits"][0].pop("reporting")
    (tmp / "config.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    cfg, _ = load_with_profiles(tmp / "config.yaml")
    store = Store(tmp / "dcmon-state" / "dcmon.sqlite")
    yield tmp, cfg, store
    store.close()


def _midnight(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=TZ).timestamp()


def test_yesterday_enters_once_it_has_settled(case: tuple[Path, Config, Store]) -> None:
    _, cfg, store = case
    cache, engine = RetrofitCache(), EnergyEngine(cfg, store)
    midnight = _midnight(dt.date(2026, 9, 10))
    [early] = cache.reports(cfg, engine, midnight + 60)
    assert early.reporting_end == _midnight(dt.date(2026, 9, 9))  # 9 Sep not settled yet
    [same] = cache.reports(cfg, engine, midnight + SETTLE - 1)
    assert same is early
    [settled] = cache.reports(cfg, engine, midnight + SETTLE)
    assert settled.reporting_end == midnight
    assert settled.reporting_points == early.reporting_points + 1


def test_weather_file_change_and_reload(case: tuple[Path, Config, Store], tmp_path: Path
                                        ) -> None:
    """A corrected weather CSV is read again the same day; a reload that changes nothing
    the reports depend on keeps them."""
    work, cfg, store = case
    folder = tmp_path / "inv"
    shutil.copytree(work, folder, ignore=shutil.ignore_patterns("dcmon-state"))
    cfg, _ = load_with_profiles(folder / "config.yaml")
    cache, engine = RetrofitCache(), EnergyEngine(cfg, store)
    [first] = cache.reports(cfg, engine, LATER)
    assert first.status == "ok"
    reloaded, _ = load_with_profiles(folder / "config.yaml")
    assert reloaded is not cfg
    [again] = cache.reports(reloaded, engine, LATER + 60)
    assert again is first
    weather = folder / "weather.csv"
    st = weather.stat()
    weather.write_text(weather.read_text(encoding="utf-8") + "1767225600000,3\n",
                       encoding="utf-8")
    os.utime(weather, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    [broken] = cache.reports(reloaded, engine, LATER + 120)
    assert (broken.status, broken.reason_code) == ("refused", "weather")
    assert "milliseconds?" in broken.reason



def _with_sensor(work: Path, tmp_path: Path) -> tuple[Path, Config]:
    """The case's inventory copied, its retrofit reading an outdoor sensor instead of the CSV."""
    folder = tmp_path / "inv"
    shutil.copytree(work, folder, ignore=shutil.ignore_patterns("dcmon-state"))
    doc = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    doc["sites"][0]["retrofits"][0]["temperature"] = {
        "sensor": {"device": "meter1", "metric": "outdoor_temperature"}}
    (folder / "config.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    cfg, _ = load_with_profiles(folder / "config.yaml")
    return folder, cfg

class _Blocking:
    """A temperature record that, while the retrofit computation reads it, has another thread
    flush the hub (the writer thread's work): it must not wait for the computation."""

    def __init__(self, hub: ResultsHub, weather: Path) -> None:
        self.hub, self.weather = hub, load_weather(weather)
        self.flushed: list[bool] = []

    def series(self, ref: SensorRef) -> _Blocking:
        return self

    def mean(self, start: float, end: float) -> float | None:
        if not self.flushed:
            writer = threading.Thread(target=self.hub.flush)
            writer.start()
            writer.join(5.0)
            self.flushed.append(not writer.is_alive())
        return self.weather.mean(start, end)


def test_computed_outside_the_hub_lock(case: tuple[Path, Config, Store], tmp_path: Path
                                       ) -> None:
    work, _, store = case
    folder, cfg = _with_sensor(work, tmp_path)
    hub = ResultsHub(cfg, EnergyEngine(cfg, store), Snapshot([]))
    temps = _Blocking(hub, folder / "weather.csv")
    hub.temperatures = temps  # type: ignore[assignment]
    [report] = hub.recompute(LATER).retrofits
    assert temps.flushed == [True]
    assert report.status == "ok" and report.avoided_kwh is not None


class _Failing:
    def __init__(self) -> None:
        self.calls = 0

    def series(self, ref: SensorRef) -> _Failing:
        self.calls += 1
        raise RuntimeError("the temperature log is corrupt")


def test_failure_backs_off_and_is_logged_once(case: tuple[Path, Config, Store],
                                              tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    work, _, store = case
    _, cfg = _with_sensor(work, tmp_path)
    engine, failing = EnergyEngine(cfg, store), _Failing()
    cache = RetrofitCache(retry_s=3600.0)
    with caplog.at_level(logging.ERROR, logger="dcmon.engine.mv"):
        for minute in range(5):  # five results runs: one attempt, one log line
            assert cache.reports(cfg, engine, LATER + 60 * minute,
                                 temps=failing) == ()  # type: ignore[arg-type]
    assert failing.calls == 1
    assert [r.getMessage() for r in caplog.records] == [
        "could not verify the retrofits; keeping the last reports and trying again in 3600 s"]
    caplog.clear()
    again = RetrofitCache(retry_s=0.0)  # a back-off that has run out: tried again, logged once
    with caplog.at_level(logging.ERROR, logger="dcmon.engine.mv"):
        for _ in range(2):
            assert again.reports(cfg, engine, LATER, temps=failing) == ()  # type: ignore[arg-type]
    assert failing.calls == 3 and len(caplog.records) == 1


class _Gated:
    """A temperature record that holds the computation until the test opens the gate."""

    def __init__(self, weather: Path) -> None:
        self.weather, self.gate = load_weather(weather), threading.Event()

    def series(self, ref: SensorRef) -> _Gated:
        return self

    def mean(self, start: float, end: float) -> float | None:
        assert self.gate.wait(10.0)
        return self.weather.mean(start, end)


def test_background_verification_does_not_hold_the_results(
        case: tuple[Path, Config, Store], tmp_path: Path) -> None:
    """``dcmon run``'s hub: the results job publishes PUE while the retrofits are verified,
    and takes the reports at its next run."""
    work, _, store = case
    folder, cfg = _with_sensor(work, tmp_path)
    hub = ResultsHub(cfg, EnergyEngine(cfg, store), Snapshot([]), retrofits_in_background=True)
    temps = _Gated(folder / "weather.csv")
    hub.temperatures = temps  # type: ignore[assignment]
    first = hub.recompute(LATER)  # returns with the gate shut: nothing verified yet
    assert first.retrofits == () and first.pue
    temps.gate.set()
    hub._retrofits.join(10.0)
    [report] = hub.recompute(LATER + 60).retrofits
    assert report.status == "ok" and report.avoided_kwh is not None
