"""The energy engine: Readings -> energy accounts -> rollups -> PUE results.

One engine serves every channel (Prometheus, ``dcmon pue``, ``dcmon replay``, the API), so they
all tell the same numbers. Ingestion classifies each energy counter step (wrap, reset, false
zero; :mod:`dcmon.engine.energy`), integrates power where no counter exists, spreads the joules over
hourly buckets and flushes them with the accounts to the SQLite store in one transaction.

Each series is identified by a key ``E|device|metric|level|labels`` (counters),
``P|device|...`` (power) or ``W|device|...`` (water volume counters, m3), recorded once in the
store with its metadata, so meters in the topology can be resolved to series after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping

from dcmon import clock
from dcmon.config.resolved import Config
from dcmon.engine.energy import Rollup, Series, series_key
from dcmon.engine.store import Batch, Store
from dcmon.model import Reading

log = logging.getLogger("dcmon.engine.ingest")

#: Bounds of the series key cache before it starts over (labels in another order, or devices
#: removed by reloads, only add entries): shared identities, devices, series per device.
_KEY_CACHE_MAX = 200_000
_KEY_CACHE_DEVICES = 200_000
_KEY_CACHE_PER_DEVICE = 10_000


class EnergyEngine:
    """Turns readings into durable energy accounts and hourly/daily rollups."""

    def __init__(self, config: Config, store: Store, *, default_interval: float = 30.0) -> None:
        self.config = config
        self.store = store
        self.max_gap_intervals = config.model.engine.max_gap_intervals
        self._interval = {d.id: d.interval for d in config.devices}
        self._default_interval = default_interval
        self._gaps: dict[float, float] = {}
        self._labels: dict[tuple[tuple[str, str], ...], Mapping[str, str]] = {}
        self.series: dict[str, Series] = store.load_series(self._shared)
        self.counters = store.load_counters(self._same_key)
        self.powers = store.load_powers(default_interval * self.max_gap_intervals,
                                        self._same_key)
        self._gap_limits()
        self._rollup = Rollup()
        #: series key -> row of the accounts changed since the last take
        self._dirty_c: dict[str, int] = {}
        self._dirty_p: dict[str, int] = {}
        self._new_series: dict[str, Series] = {}
        self._unwritten: Batch | None = None
        #: device -> (kind, metric, level, *labels) -> series key; kind is "E", "P" or "W".
        self._keys: dict[str, dict[tuple[object, ...], str]] = {}
        self._idents: dict[tuple[object, ...], tuple[object, ...]] = {}

    def reconfigure(self, config: Config) -> None:
        """Take a reloaded inventory: accounts and series carry over, gap limits follow the
        devices' new intervals."""
        self.config = config
        self.max_gap_intervals = config.model.engine.max_gap_intervals
        self._interval = {d.id: d.interval for d in config.devices}
        self._gap_limits()

    def _gap_limits(self) -> None:
        """Each power account's gap limit from its device's interval."""
        gaps = self.powers.max_gap_s
        for row, key in enumerate(self.powers.keys_):
            gaps[row] = self._max_gap(key.split("|")[1])

    def _same_key(self, key: str) -> str:
        """The series' own key string for a key loaded from the store or built again: each
        store row brings its own copy of the key, and after a restart the series, the accounts
        and the key cache each held one (~3 KiB per PDU more; benchmarks/memory.py
        --restart)."""
        s = self.series.get(key)
        return key if s is None else s.key

    def _max_gap(self, device: str) -> float:
        """One float object per distinct limit, shared by the power accounts (~14 a PDU)."""
        gap = self._interval.get(device, self._default_interval) * self.max_gap_intervals
        return self._gaps.setdefault(gap, gap)

    def _series(self, key: str, r: Reading) -> None:
        if key not in self.series:
            s = Series(key, r.device, r.metric, r.level, self._shared(r.labels), r.rack_power)
            self.series[key] = s
            self._new_series[key] = s

    def _shared(self, labels: Mapping[str, str]) -> Mapping[str, str]:
        """One shared copy of each distinct label set (in its order), never mutated: a city's
        PDUs repeat the same outlet, bank and phase labels, and a dict per series was the
        engine's largest cost per device (benchmarks/memory.py)."""
        try:
            ident = tuple(labels.items())
            return self._labels.setdefault(ident, dict(ident))
        except TypeError:  # unhashable label values (replayed JSON)
            return dict(labels)

    def _key(self, kind: str, r: Reading) -> str:
        """``series_key`` through a cache: building the key (sorting and joining the labels)
        cost more than the accounting itself, and a series is read again on every poll.

        The cache is one small dict per device, keyed by (kind, metric, level, *labels): that
        identity is the same on every device of a profile, so one interned tuple serves them
        all, where a tuple per series was ~2 KiB per PDU (benchmarks/memory.py)."""
        try:
            ident: tuple[object, ...] = (kind, r.metric, r.level, *r.labels.items())
            per = self._keys.get(r.device)
            key = per.get(ident) if per is not None else None
        except TypeError:  # a label value that cannot be hashed (replayed JSON): no cache
            return series_key(kind, r)
        if key is None:
            if per is None:
                if len(self._keys) >= _KEY_CACHE_DEVICES:
                    self._keys.clear()
                per = self._keys[r.device] = {}
            elif len(per) >= _KEY_CACHE_PER_DEVICE:
                per.clear()
            idents = self._idents
            if len(idents) >= _KEY_CACHE_MAX:
                idents.clear()
            ident = idents.setdefault(ident, ident)  # one copy for every device
            key = per[ident] = self._same_key(series_key(kind, r))
        return key

    def ingest(self, readings: Iterable[Reading]) -> None:
        """Apply readings (any order of devices; time order within a series)."""
        counters, powers, add = self.counters, self.powers, self._rollup.add
        dirty_c, dirty_p = self._dirty_c, self._dirty_p
        for r in readings:
            if r.kind == "counter" and (r.unit == "J" or r.unit == "m3"):
                # A water meter is a counter like an energy meter (wraps, resets, false
                # zeros), kept under W| keys so no energy sum can take it: its account holds
                # m3 where an energy account holds joules.
                key = self._key("E" if r.unit == "J" else "W", r)
                row = counters.row(key)
                if row is None:
                    row = counters.add(key)
                    self._series(key, r)
                step = counters.update(row, r.value, r.ts, r.counter_max, r.counter_capped,
                                       r.reset_marker)
                add(key, step)
                dirty_c[key] = row
            elif r.metric == "power" and r.unit == "W":
                key = self._key("P", r)
                row = powers.row(key)
                if row is None:
                    row = powers.add(key, self._max_gap(r.device))
                    self._series(key, r)
                step = powers.update(row, r.value, r.ts)
                add(key, step, watts=r.value)
                dirty_p[key] = row

    def flush(self) -> None:
        """Persist dirty accounts, new series and rollups in one transaction."""
        batch = self.take()
        if batch is not None:
            self.write(batch)

    def take(self) -> Batch | None:
        """What has changed since the last take, as rows the engine no longer touches; None if
        nothing. A batch whose write failed comes back first, merged with the new one."""
        unwritten, self._unwritten = self._unwritten, None
        if not (self._dirty_c or self._dirty_p or self._rollup.hours):
            return unwritten
        batch = Batch.of(map(self.counters.record, self._dirty_c.values()),
                         map(self.powers.record, self._dirty_p.values()), self._rollup.hours,
                         self._new_series.values())
        self._dirty_c, self._dirty_p, self._rollup = {}, {}, Rollup()
        self._new_series = {}
        return batch if unwritten is None else unwritten.merge(batch)

    def write(self, batch: Batch) -> None:
        """Write a taken batch in one transaction. If it fails, the next take returns it
        again (the caller serialises take and write: one writer at a time)."""
        try:
            self.store.write(batch)
        except BaseException:
            self._unwritten = batch
            raise

    def lifetime(self) -> dict[str, tuple[Series, float, int, int]]:
        """Lifetime joules per energy counter series with its wraps and resets (for export)."""
        return self._lifetime("E")

    def water_lifetime(self) -> dict[str, tuple[Series, float, int, int]]:
        """Lifetime m3 per water counter series with its wraps and resets."""
        return self._lifetime("W")

    def _lifetime(self, kind: str) -> dict[str, tuple[Series, float, int, int]]:
        return {s.key: (s, total, wraps, resets)
                for s, total, wraps, resets in self.lifetime_rows(kind)}

    def lifetime_rows(self, kind: str = "E") -> Iterator[tuple[Series, float, int, int]]:
        """:meth:`lifetime`'s rows one at a time (the results run keeps them as columns)."""
        c, series = self.counters, self.series
        for i, k in enumerate(c.keys_):
            if k[0] == kind and (s := series.get(k)) is not None:
                yield s, c.total_j[i], c.wraps[i], c.resets[i]

    def now(self) -> float:
        return clock.now()
