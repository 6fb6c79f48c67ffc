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
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import ItemsView, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from dcmon.config.topology import MeterRef
from dcmon.engine.energy import HOUR, HourBucket, Series
from dcmon.engine.pue import narrow

DAY = 86400.0


class RollupSource(Protocol):
    """What history needs from :class:`dcmon.engine.store.Store` (read-only)."""

    def hourly(self, key: str, start: float, end: float) -> list[tuple[float, HourBucket]]: ...
    def daily(self, key: str, start: float, end: float) -> list[tuple[float, HourBucket]]: ...


@dataclass(frozen=True, slots=True)
class DeviceHistory:
    """One meter's hourly and daily peak power (W) and how much of the window it covers.

    In ``dcmon run`` the hours and days are summed once an hour for the groups capacity sums
    (a rack's meters, each feed's: :func:`summed`) and the meter keeps only ``groups``: a
    month of hourly peaks as dicts was ~70 KB a meter, 700 MB for a city's 10,000 PDUs.
    """

    hourly: Mapping[float, float]
    daily: Mapping[float, float]
    covered_s: float
    source: str  # "power" | "energy" | "none"
    #: The groups of meters with history it belongs to, summed (then ``hourly`` and
    #: ``daily`` are empty), and its device id, by which a group knows its members.
    groups: tuple[Summed, ...] = ()
    device: str = ""


class Daily(Mapping[float, float]):
    """Day -> peak (W), as two arrays: a rack's 90 days as a dict were ~9 KB. Racks that have
    the same days share one array of them (``same``: the arrays made so far, by content)."""

    __slots__ = ("_days", "_w")

    def __init__(self, items: Iterable[tuple[float, float]],
                 same: dict[bytes, array[float]] | None = None) -> None:
        days, self._w = array("d"), array("d")
        for day, w in items:
            days.append(day)
            self._w.append(w)
        self._days = days if same is None else same.setdefault(days.tobytes(), days)

    def __getitem__(self, day: float) -> float:
        i = bisect_left(self._days, day)
        if i == len(self._days) or self._days[i] != day:
            raise KeyError(day)
        return self._w[i]

    def __iter__(self) -> Iterator[float]:
        return iter(self._days)

    def __len__(self) -> int:
        return len(self._days)

    def items(self) -> ItemsView[float, float]:
        return ItemsView(self)


@dataclass(frozen=True, slots=True)
class Summed:
    """A group of meters with history (source power or energy; a rack's, a feed's), summed
    hour by hour and day by day, reduced to what :func:`combine` returns: the hourly sums'
    count, peak and the percentiles asked for when it was made (percentile, value); the
    daily sums (none for a group whose days nobody reads)."""

    members: tuple[str, ...]  # device ids, sorted
    hours: int
    peak_w: float | None  # the 100th percentile
    p: float  # the other percentile asked for, and its value
    p_w: float | None
    covered_s: float
    daily: Daily
    flags: tuple[str, ...]

    def percentile(self, p: float) -> float | None:
        """The hourly sums' ``p`` th percentile, if it was asked for (None: it was not)."""
        return self.peak_w if p == 100 else self.p_w if p == self.p else None


#: What a meter whose hours are summed keeps of them, and a group's days nobody reads.
NO_HOURS: Mapping[float, float] = MappingProxyType({})
NO_DAYS = Daily(())


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


def _sums(devices: Sequence[DeviceHistory]
          ) -> tuple[dict[float, float], dict[float, float], tuple[str, ...]]:
    """The meters' hourly and daily peaks summed, in their order, and the flags they bring."""
    hourly: dict[float, float] = defaultdict(float)
    daily: dict[float, float] = defaultdict(float)
    for d in devices:
        for h, w in d.hourly.items():
            hourly[h] += w
        for day, w in d.daily.items():
            daily[day] += w
    flags = tuple(sorted({"peak_from_energy" for d in devices if d.source == "energy"}))
    return dict(hourly), dict(daily), flags


def summed(devices: Mapping[str, DeviceHistory], p: float, days: bool = True,
           same: dict[bytes, array[float]] | None = None) -> Summed:
    """These meters (device id -> history, all with history), summed once (see
    :class:`Summed`), in the order :func:`combine` sums them (so the sums are the same
    floats), with their 100th and ``p`` th percentile; ``days``: keep the daily sums (their
    days shared through ``same``, see :class:`Daily`)."""
    members = tuple(sorted(devices))
    hists = list(devices.values())
    hourly, daily, flags = _sums(hists)
    values = sorted(hourly.values())
    return Summed(members, len(values), max(values) if values else None, p,
                  percentile(values, p) if values else None, sum(d.covered_s for d in hists),
                  Daily(sorted(daily.items()), same) if days else NO_DAYS, flags)


def _from_summed(devices: Sequence[DeviceHistory], span_s: float, percentile_p: float
                 ) -> LoadHistory | None:
    """:func:`combine` from a group's sums, when ``devices`` hold exactly the group's meters
    with history (the others add no hour, and only count for coverage)."""
    with_history = [d for d in devices if d.source != "none"]
    if not with_history or not with_history[0].groups:
        return None
    ids = tuple(sorted(d.device for d in with_history))
    group = next((g for g in with_history[0].groups if g.members == ids), None)
    value = group.percentile(percentile_p) if group is not None else None
    if group is None or (group.hours and value is None):
        raise ValueError("capacity history is summed per group of meters (a rack, a feed): "
                         "combine() needs one group's meters and a percentile asked for")
    coverage = group.covered_s / (len(devices) * span_s) if span_s else 0.0
    if not group.hours:
        return LoadHistory(0, None, None, round(coverage, 6), group.daily, group.flags)
    return LoadHistory(group.hours, group.peak_w, value, round(coverage, 6), group.daily,
                       group.flags)


def combine(devices: Sequence[DeviceHistory], span_s: float, percentile_p: float
            ) -> LoadHistory:
    """Sum meters hour by hour and day by day; percentile and peak of the hourly sums."""
    if not devices:
        return LoadHistory()
    fast = _from_summed(devices, span_s, percentile_p)
    if fast is not None:
        return fast
    hourly, daily, flags = _sums(devices)
    coverage = (sum(d.covered_s for d in devices) / (len(devices) * span_s)) if span_s else 0.0
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
