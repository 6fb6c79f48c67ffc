"""Every declared retrofit's report, from the engine's store: what the CLI, the API, the
status page and /metrics show.

A weather file that cannot be read makes that retrofit's report a refusal naming the file's
faults (errors as data), not an exception that would hide the other retrofits.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from zoneinfo import ZoneInfo

from dcmon.config.resolved import Config
from dcmon.config.retrofit import Period, Retrofit
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.mv.points import Points, Temperatures, collect, day_start, period_bounds
from dcmon.engine.mv.report import GridFactor, MvReport, verify
from dcmon.engine.mv.sensor import FILE as LOG_FILE
from dcmon.engine.mv.sensor import TemperatureLog
from dcmon.engine.mv.weather import load_weather
from dcmon.engine.pue import PueCalculator
from dcmon.errors import ConfigError, Problem

log = logging.getLogger("dcmon.engine.mv")


def reporting_bounds(r: Retrofit, tz: str, now: float) -> tuple[float, float]:
    """[start, end) of the reporting period: as declared, or from the retrofit date; never
    past the last complete day before ``now``."""
    today = day_start(dt.datetime.fromtimestamp(now, ZoneInfo(tz)).date(), tz)
    period = r.reporting or Period(start=r.date, end=r.date)
    start, end = period_bounds(period, tz)
    if r.reporting is None:
        end = today
    return start, max(start, min(end, today))


def temperatures(config: Config, r: Retrofit, temps: TemperatureLog | None) -> Temperatures:
    """The retrofit's temperature record: its weather CSV, or its sensor's log."""
    sensor = r.temperature.sensor
    if sensor is None:
        assert r.temperature.csv is not None  # the schema requires one of them
        return load_weather(config.base / r.temperature.csv)
    if temps is None:
        raise ConfigError([Problem(config.file, "", f"no temperature log ({LOG_FILE} beside "
                                                    "the state store): `dcmon run` keeps it "
                                                    f"for sensor {sensor.key}")])
    return temps.series(sensor)


def retrofit_report(config: Config, engine: EnergyEngine, site: str, r: Retrofit,
                    now: float, factor: GridFactor | None = None,
                    temps: TemperatureLog | None = None) -> MvReport:
    """One retrofit's report at ``now`` (a data time: reporting ends before its day)."""
    topo = next(s.energy for s in config.model.sites if s.id == site)
    assert topo is not None  # the loader refuses retrofits on a site without topology
    b0, b1 = period_bounds(r.baseline, topo.timezone)
    r0, r1 = reporting_bounds(r, topo.timezone, now)
    try:
        weather = temperatures(config, r, temps)
    except ConfigError as exc:
        empty = Points(b0, b1, (), 0, 0)
        report = verify(config, site, r, empty, Points(r0, r1, (), 0, 0), factor)
        return replace(report, reason_code="weather",
                       reason="; ".join(str(p) for p in exc.problems))
    calc = PueCalculator(config, engine)
    base = collect(calc, site, topo, weather, b0, b1, r.granularity)
    rep = collect(calc, site, topo, weather, r0, r1, r.granularity)
    return verify(config, site, r, base, rep, factor)


def retrofit_reports(config: Config, engine: EnergyEngine, now: float,
                     factor: GridFactor | None = None, site: str | None = None,
                     retrofit: str | None = None, temps: TemperatureLog | None = None
                     ) -> list[MvReport]:
    """Reports of every declared retrofit (of one site, or one retrofit)."""
    out: list[MvReport] = []
    for s in config.model.sites:
        if site is not None and s.id != site:
            continue
        out.extend(retrofit_report(config, engine, s.id, r, now, factor, temps)
                   for r in s.retrofits if retrofit is None or r.id == retrofit)
    return out



class RetrofitCache:
    """Reports of the service's results job, recomputed once a day per site.

    A report covers complete days only, so it changes when a site's day turns (or the
    inventory is reloaded); the results job runs every minute and reuses it in between,
    instead of reading a year of daily rows each time.
    """

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._reports: tuple[MvReport, ...] = ()

    def reports(self, config: Config, engine: EnergyEngine, now: float,
                factor: GridFactor | None = None, temps: TemperatureLog | None = None
                ) -> tuple[MvReport, ...]:
        sites = [s for s in config.model.sites if s.retrofits and s.energy is not None]
        key = (id(config), factor, *(day_start(dt.datetime.fromtimestamp(
            now, ZoneInfo(s.energy.timezone)).date(), s.energy.timezone)
            for s in sites if s.energy is not None))
        if key != self._key:
            try:
                self._reports = tuple(retrofit_reports(config, engine, now, factor, temps=temps))
            except Exception:  # PUE, capacity and the other channels must not stop with it
                log.exception("could not verify the retrofits; keeping the last reports")
                return self._reports
            self._key = key
        return self._reports
