"""Capacity from the running engine: the latest readings plus history from the store.

History (hourly and daily peaks) changes only when an hour closes, so the calculator reads it
once per hour (and again when new series appear), not on every recompute: a city of 10,000 rack
meters costs 20,000 small indexed queries an hour instead of a minute. What it keeps is summed
per rack: the hourly sums' count, peak and percentiles, and the daily sums, not every meter's
every hour (a month of them was ~70 KB a meter).
"""

from __future__ import annotations

import threading
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from dcmon.config.resolved import Config, DeviceSpec
from dcmon.engine.capacity.compute import compute_capacity
from dcmon.engine.capacity.history import (
    DAY,
    NO_HOURS,
    DeviceHistory,
    Summed,
    device_history,
    summed,
)
from dcmon.engine.capacity.model import CityCapacity
from dcmon.engine.capacity.rack import CapacityInputs
from dcmon.engine.energy import HOUR, Series
from dcmon.engine.ingest import EnergyEngine
from dcmon.model import Reading
from dcmon.pace import pace


class CapacityCalculator:
    """Capacity from an engine's store plus the latest readings, with history cached per hour."""

    def __init__(self, config: Config, engine: EnergyEngine) -> None:
        self.config = config
        self.engine = engine
        self._key: tuple[float, float, int] | None = None
        self._history: dict[str, DeviceHistory] = {}
        self._lock = threading.Lock()

    def window(self, now: float) -> tuple[float, float, float, float]:
        """(start, end) of the hourly window and (start, end) of the daily window."""
        s = self.config.model.capacity
        end = now - now % HOUR
        day_end = now - now % DAY
        return end - s.history_days * DAY, end, day_end - s.forecast_days * DAY, day_end

    def history(self, now: float, series: Sequence[Series] | None = None
                ) -> dict[str, DeviceHistory]:
        """Every rack meter's history; ``series``: the engine's series as taken under the
        engine's lock (the results job computes capacity outside it, while polls are booked
        and may add series), by default read here."""
        start, end, d0, d1 = self.window(now)
        if series is None:
            series = list(self.engine.series.values())
        key = (end, d1, len(series))
        with self._lock:
            if key != self._key:
                # Grouped once: choosing each meter's series must not scan every series.
                by_device: dict[str, list[Series]] = defaultdict(list)
                for s in series:
                    by_device[s.device].append(s)
                p = float(self.config.model.capacity.percentile)
                same: dict[bytes, array[float]] = {}
                self._history = {}
                for rack in self.config.racks():
                    got = {d.id: device_history(by_device.get(d.id, []), self.engine.store,
                                                d.id, start, end, d0, d1) for d in rack}
                    self._history.update(by_rack(rack, got, p, same))
                    pace()  # a rack is a small step of the results job (dcmon.pace)
                self._key = key
            return self._history

    def compute(self, now: float, readings: Mapping[str, Sequence[Reading]],
                site: str | None = None, series: Sequence[Series] | None = None
                ) -> CityCapacity:
        start, end, _, _ = self.window(now)
        stale = self.config.model.capacity.stale_after_intervals
        inp = CapacityInputs(readings=readings, history=self.history(now, series), now=now,
                             span_s=end - start,
                             max_age={d.id: d.interval * stale for d in self.config.devices})
        return compute_capacity(self.config, inp, site)


def by_rack(rack: Sequence[DeviceSpec], got: Mapping[str, DeviceHistory], p: float,
            same: dict[bytes, array[float]] | None = None) -> dict[str, DeviceHistory]:
    """One rack's meters' histories with their hours and days summed once for each group
    capacity sums (the rack's meters, each feed's:
    :class:`~dcmon.engine.capacity.history.Summed`, with the 100th and ``p`` th percentiles)
    and dropped from each meter; ``same``: day arrays shared between racks."""
    with_history = {d.id for d in rack if got[d.id].source != "none"}
    feeds: dict[str, list[str]] = {}
    for d in rack:
        if d.feed and d.id in with_history:
            feeds.setdefault(d.feed, []).append(d.id)
    groups: dict[str, list[Summed]] = {d: [] for d in with_history}
    whole = [d.id for d in rack if d.id in with_history]
    for ids, days in ((whole, True), *((f, False) for f in feeds.values())):
        if ids:  # a feed's days are not read: only the rack's make the forecast
            group = summed({i: got[i] for i in ids}, p, days, same)
            for i in ids:
                groups[i].append(group)
    return {i: h if i not in with_history else
            DeviceHistory(NO_HOURS, NO_HOURS, h.covered_s, h.source, tuple(groups[i]), i)
            for i, h in got.items()}


def latest_readings(readings: Iterable[Reading]) -> dict[str, tuple[Reading, ...]]:
    """A snapshot from recorded readings: each device's readings at its last timestamp."""
    last: dict[str, float] = {}
    keep: dict[str, list[Reading]] = {}
    for r in readings:
        t = last.get(r.device)
        if t is None or r.ts > t:
            last[r.device], keep[r.device] = r.ts, [r]
        elif r.ts == t:
            keep[r.device].append(r)
    return {d: tuple(rs) for d, rs in keep.items()}
