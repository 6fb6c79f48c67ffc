"""Every declared retrofit's report, from the engine's store: what the CLI, the API, the
status page and /metrics show.

A weather file that cannot be read makes that retrofit's report a refusal naming the file's
faults (errors as data), not an exception that would hide the other retrofits.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
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



#: After a computation fails, the results job tries again this long (wall seconds) later,
#: not every minute: the fault (a corrupt store, a bug) is logged once, not 1,440 times a day.
RETRY_S = 3600.0


def settled(config: Config, engine: EnergyEngine, now: float) -> float:
    """``now`` less the PUE's settle time: a day enters a report only once every meter has
    reported past its midnight (its last hour is complete), not at midnight itself."""
    return now - PueCalculator(config, engine).settle_s()


def cache_key(config: Config, engine: EnergyEngine, now: float, factor: GridFactor | None
              ) -> tuple[object, ...]:
    """What a report depends on besides the store: the inventory's retrofits, topologies and
    engine settings (by content, so a reload that changes nothing else keeps the reports), the
    grid factor, each retrofit site's last settled day, and each weather file's mtime and
    size (a corrected CSV is read again the same day)."""
    sites = [s for s in config.model.sites if s.retrofits and s.energy is not None]
    at = settled(config, engine, now)
    days = []
    files: list[tuple[str, int, int]] = []
    for s in sites:
        assert s.energy is not None
        tz = s.energy.timezone
        days.append(day_start(dt.datetime.fromtimestamp(at, ZoneInfo(tz)).date(), tz))
        for r in s.retrofits:
            if r.temperature.csv is not None:
                path = config.base / r.temperature.csv
                try:
                    st = path.stat()
                    files.append((str(path), st.st_mtime_ns, st.st_size))
                except OSError:
                    files.append((str(path), -1, -1))
    content = repr((str(config.base), config.model.engine,
                    [(s.id, s.energy, s.retrofits, config.rack_devices(s.id)) for s in sites]))
    return (content, factor, tuple(days), tuple(files))


class RetrofitCache:
    """Reports of the service's results job, recomputed once a day per site.

    A report covers complete days only, so it changes when a site's day turns and has
    settled, a weather file changes, or a reload changes a retrofit (:func:`cache_key`); the
    results job runs every minute and reuses it in between, instead of reading a year of daily
    rows each time. The hub calls it outside its lock: the computation reads the store (which
    has its own lock) for many seconds, and polls must keep being written meanwhile. With
    ``background`` (``dcmon run``) it runs in a thread of its own and the results job goes on
    with the last reports, taking the new ones at its next run.
    """

    def __init__(self, retry_s: float = RETRY_S, background: bool = False) -> None:
        self._key: tuple[object, ...] | None = None
        self._reports: tuple[MvReport, ...] = ()
        self._state = threading.Lock()  # the fields, held briefly
        self._run = threading.Lock()  # one computation at a time
        self.retry_s = retry_s
        self.background = background
        self._thread: threading.Thread | None = None
        #: The key that last failed, and when (time.monotonic()) to try it again.
        self._failed: tuple[tuple[object, ...], float] | None = None

    def _due(self, key: tuple[object, ...]) -> bool:
        failed = self._failed
        backing_off = failed is not None and failed[0] == key and time.monotonic() < failed[1]
        return key != self._key and not backing_off

    def reports(self, config: Config, engine: EnergyEngine, now: float,
                factor: GridFactor | None = None, temps: TemperatureLog | None = None
                ) -> tuple[MvReport, ...]:
        """The reports at ``now``: the cached ones, or computed afresh when due (in the
        background: started, and the cached ones returned meanwhile)."""
        key = cache_key(config, engine, now, factor)
        args = (key, config, engine, now, factor, temps)
        with self._state:
            if not self._due(key):
                return self._reports
            if self.background:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._compute, args=args,
                                                    name="dcmon-retrofits", daemon=True)
                    self._thread.start()
                return self._reports
        self._compute(*args)
        return self._reports

    def _compute(self, key: tuple[object, ...], config: Config, engine: EnergyEngine,
                 now: float, factor: GridFactor | None, temps: TemperatureLog | None) -> None:
        with self._run:
            with self._state:
                if not self._due(key):  # another caller has just done it
                    return
                failed = self._failed
            try:
                reports = tuple(retrofit_reports(config, engine, settled(config, engine, now),
                                                 factor, temps=temps))
            except Exception:  # PUE, capacity and the other channels must not stop with it
                if failed is None or failed[0] != key:  # logged once per inventory and day
                    log.exception("could not verify the retrofits; keeping the last reports "
                                  "and trying again in %.0f s", self.retry_s)
                with self._state:
                    self._failed = (key, time.monotonic() + self.retry_s)
                return
            with self._state:
                self._key, self._reports, self._failed = key, reports, None

    def join(self, timeout: float | None = None) -> None:
        """Wait for a background computation (a clean stop, tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
