"""Rack power history for capacity: hourly peaks, their percentile, daily peaks and the trend.

Read from the store's rollups (``peak_w`` per hour and per day of each power series), so
capacity needs no external database, and over whole hours and whole days only, so a figure
covers a stated, complete period and changes only when a period closes: the caller caches it
per hour.

Conservative by construction: the peak of a rack in an hour is the sum of its meters' peaks in
that hour (A and B may peak at different moments; the sum can only overstate), and the site's
daily peak is the sum of its racks' daily peaks. For meters that keep only an energy counter, the
hourly mean power (energy / 3600 s) stands in for the peak, flagged ``peak_from_energy``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dcmon.config.topology import MeterRef
from dcmon.engine.energy import HOUR, HourBucket, Series
from dcmon.engine.pue import narrow

DAY = 86400.0


class RollupSource(Protocol):
    """What history needs from :class:`dcmon.engine.store.Store` (read-only)."""

    def hourly(self, key: str, start: float, end: float) -> list[tuple[float, HourBucket]]: ...
    def daily(self, key: str, start: float, end: float) -> list[tuple[float, HourBucket]]: ...


@dataclass(frozen=True)
class DeviceHistory:
    """One meter's hourly and daily peak power (W) and how much of the window it covers."""

    hourly: Mapping[float, float]
    daily: Mapping[float, float]
    covered_s: float
    source: str  # "power" | "energy" | "none"


@dataclass(frozen=True)
class LoadHistory:
    """Peak power of a group of meters (a rack, a feed) over the history window."""

    hours: int = 0
    peak_w: float | None = None
    p95_w: float | None = None
    coverage: float = 0.0
    daily: Mapping[float, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p % of values at or below it.

    Always an observed hourly peak (never an interpolated one), and easy to check by hand:
    sorted(values)[ceil(p/100 * n) - 1].
    """
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered) - 1e-9))
    return ordered[rank - 1]


def device_history(series: Iterable[Series], store: RollupSource, device: str,
                   start: float, end: float, day_start: float, day_end: float
                   ) -> DeviceHistory:
    """Hourly peaks in [start, end) and daily peaks in [day_start, day_end) of one meter.

    The meter's series are chosen like PUE's (:func:`dcmon.engine.pue.narrow`: its rack-power level,
    no double counting); power series give true peaks, else energy counters give hourly means.
    """
    chosen = narrow(list(series), MeterRef(device=device))
    power = [s for s in chosen if s.key.startswith("P|")]
    energy = [s for s in chosen if s.key.startswith("E|")]
    use, source = (power, "power") if power else ((energy, "energy") if energy else ([], "none"))
    hourly: dict[float, float] = defaultdict(float)
    daily: dict[float, float] = defaultdict(float)
    covered = 0.0
    for s in use:
        got = store.hourly(s.key, start, end)
        for hour, b in got:
            hourly[hour] += b.peak_w if source == "power" else b.energy_j / HOUR
        covered += sum(b.covered_s for _, b in got)
        for day, b in store.daily(s.key, day_start, day_end):
            daily[day] += b.peak_w if source == "power" else _day_mean_peak(b)
    if use:
        covered = min(end - start, covered / len(use))
    return DeviceHistory(dict(hourly), dict(daily), covered, source)


def _day_mean_peak(b: HourBucket) -> float:
    """A day's mean power from its energy (only when no power series exists)."""
    return b.energy_j / b.covered_s if b.covered_s > 0 else 0.0


def combine(devices: Sequence[DeviceHistory], span_s: float, percentile_p: float
            ) -> LoadHistory:
    """Sum meters hour by hour and day by day; percentile and peak of the hourly sums."""
    if not devices:
        return LoadHistory()
    hourly: dict[float, float] = defaultdict(float)
    daily: dict[float, float] = defaultdict(float)
    for d in devices:
        for h, w in d.hourly.items():
            hourly[h] += w
        for day, w in d.daily.items():
            daily[day] += w
    coverage = (sum(d.covered_s for d in devices) / (len(devices) * span_s)) if span_s else 0.0
    flags = tuple(sorted({"peak_from_energy" for d in devices if d.source == "energy"}))
    values = list(hourly.values())
    if not values:
        return LoadHistory(0, None, None, round(coverage, 6), dict(daily), flags)
    return LoadHistory(len(values), max(values), percentile(values, percentile_p),
                       round(coverage, 6), dict(daily), flags)


@dataclass(frozen=True)
class LineFit:
    """Least-squares line y = intercept + slope * x with its coefficient of determination."""

    slope: float
    intercept: float
    r2: float | None
    n: int


def fit_line(points: Sequence[tuple[float, float]]) -> LineFit | None:
    """Ordinary least squares through (x, y) points; None for fewer than two distinct x.

    R² = 1 - SS_res / SS_tot; None when all y are equal (a flat line explains nothing and
    leaves nothing unexplained).
    """
    n = len(points)
    if n < 2:
        return None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    sxy = sum((x - mx) * (y - my) for x, y in points)
    slope = sxy / sxx
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for _, y in points)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in points)
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else None
    return LineFit(slope, intercept, r2, n)
