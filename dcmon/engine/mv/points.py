"""The data a baseline model is fitted on: facility energy, IT energy and outdoor temperature
per day (or hour) of a period, from the engine's store and a weather record.

Energy comes from the PUE calculator over each bucket, so a retrofit is judged on exactly the
figures ``dcmon pue`` reports: the same meters, the same coverage rule. A bucket whose PUE would
be withheld (coverage below ``engine.min_coverage``, no IT energy) or that the metering calls
faulty is left out, as is one without a temperature observation; the report counts both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from dcmon.config.retrofit import Period
from dcmon.config.topology import EnergyTopology
from dcmon.engine.energy import HOUR
from dcmon.engine.pue import PueCalculator


class Temperatures(Protocol):
    """A temperature record: a weather CSV or a sensor's log."""

    def mean(self, start: float, end: float) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Point:
    """One day or hour: [start, end), facility and IT energy (kWh), mean outdoor °C."""

    start: float
    end: float
    facility_kwh: float
    it_kwh: float
    temp_c: float

    @property
    def x(self) -> tuple[float, float, float]:
        """The model's regressors: IT energy, temperature, and their product (cooling is heat
        over COP, and heat follows IT energy; docs/retrofit.md, "The model")."""
        return (self.it_kwh, self.temp_c, self.it_kwh * self.temp_c)


@dataclass(frozen=True, slots=True)
class Points:
    """A period's usable points and how many buckets were left out, by reason."""

    start: float
    end: float
    points: tuple[Point, ...]
    no_energy: int
    no_weather: int


def day_start(day: dt.date, tz: str) -> float:
    """Midnight at the start of ``day`` in ``tz``, as Unix seconds."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).timestamp()


def period_bounds(period: Period, tz: str) -> tuple[float, float]:
    """[start, end) of a period of whole days (both named days included)."""
    return day_start(period.start, tz), day_start(period.end + dt.timedelta(days=1), tz)


def buckets(start: float, end: float, granularity: str, tz: str) -> Iterator[tuple[float, float]]:
    """Days (local midnights, so a DST day is 23 or 25 h) or hours in [start, end)."""
    if granularity == "hourly":
        t = start - start % HOUR
        while t + HOUR <= end:
            if t >= start:
                yield t, t + HOUR
            t += HOUR
        return
    day = dt.datetime.fromtimestamp(start, ZoneInfo(tz)).date()
    while True:
        a, b = day_start(day, tz), day_start(day + dt.timedelta(days=1), tz)
        if b > end:
            return
        if a >= start:
            yield a, b
        day += dt.timedelta(days=1)


def collect(calc: PueCalculator, site: str, topo: EnergyTopology, weather: Temperatures,
            start: float, end: float, granularity: str) -> Points:
    """Every usable bucket of [start, end) with its energy and temperature."""
    out: list[Point] = []
    no_energy = no_weather = 0
    for a, b in buckets(start, end, granularity, topo.timezone):
        r = calc.compute(site, topo, granularity, a, b)
        if r.status != "ok":
            no_energy += 1
            continue
        temp = weather.mean(a, b)
        if temp is None:
            no_weather += 1
            continue
        out.append(Point(a, b, r.facility_kwh, r.it_kwh, temp))
    return Points(start, end, tuple(out), no_energy, no_weather)
