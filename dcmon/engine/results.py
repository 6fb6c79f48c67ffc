"""The engine's latest results, computed on a schedule and shared with every channel.

PUE over long windows reads many hourly rows, so it is computed by a job (every
``RESULTS_INTERVAL_S``) rather than on each scrape; exporters, the API and the demo read the same
immutable copy.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import overload

from dcmon import clock
from dcmon.config.policy import SitePolicy
from dcmon.config.resolved import Config
from dcmon.engine.capacity.calculator import CapacityCalculator
from dcmon.engine.capacity.model import CityCapacity
from dcmon.engine.carbon.calculator import CarbonCalculator
from dcmon.engine.carbon.factors import grid_factor
from dcmon.engine.carbon.model import CarbonResult, WaterResult
from dcmon.engine.energy import Series
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.mv.report import GridFactor, MvReport
from dcmon.engine.mv.run import RetrofitCache
from dcmon.engine.mv.sensor import TemperatureLog
from dcmon.engine.pue import (
    InstantPue,
    PueCalculator,
    PueResult,
    instantaneous,
    narrow,
    select_series,
)
from dcmon.engine.snapshot import Snapshot
from dcmon.model import PollResult, Reading
from dcmon.pace import pace

log = logging.getLogger("dcmon.engine.results")

RESULTS_INTERVAL_S = 60.0
#: The writer thread commits queued polls at most this often (wall seconds) ...
FLUSH_INTERVAL_S = 1.0
#: ... or as soon as this many polls wait.
FLUSH_POLLS = 1000


@dataclass(frozen=True)
class SiteEnergy:
    """Lifetime facility and IT energy of a site (sums of its meters' monotonic accounts)."""

    site: str
    facility_j: float
    it_j: float
    #: Lifetime renewable and generator energy and water (m3) of the site's carbon meters
    #: (docs/carbon.md); None where the site lists no such meter.
    renewable_j: float | None = None
    generator_j: float | None = None
    water_m3: float | None = None


@dataclass(frozen=True, slots=True)
class MeterTotal:
    """One energy meter's monotonic lifetime total, with the wraps and resets it came through."""

    device: str
    metric: str
    #: The series' own (shared, never mutated) label set: not copied, 130,000 meters a city.
    labels: Mapping[str, str]
    lifetime_j: float
    wraps: int
    resets: int


class MeterTotals(Sequence[MeterTotal]):
    """Every energy meter's :class:`MeterTotal`, kept as columns and made one at a time.

    A city has 130,000 energy counters. As objects their totals were ~11 MB per results run,
    and twice that while a run replaced the last one's: the series (shared with the engine)
    and three arrays hold the same at ~3 MB.
    """

    __slots__ = ("_resets", "_series", "_total", "_wraps")

    def __init__(self, rows: Iterable[tuple[Series, float, int, int]] = ()) -> None:
        self._series: list[Series] = []
        self._total, self._wraps, self._resets = array("d"), array("q"), array("q")
        for i, (s, total, wraps, resets) in enumerate(rows):
            if not i & 1023:
                pace()  # 1,024 meters are a small step of the results job (dcmon.pace)
            self._series.append(s)
            self._total.append(total)
            self._wraps.append(wraps)
            self._resets.append(resets)

    def _make(self, i: int) -> MeterTotal:
        s = self._series[i]
        return MeterTotal(s.device, s.metric, s.labels, self._total[i], self._wraps[i],
                          self._resets[i])

    @overload
    def __getitem__(self, i: int) -> MeterTotal: ...

    @overload
    def __getitem__(self, i: slice) -> list[MeterTotal]: ...

    def __getitem__(self, i: int | slice) -> MeterTotal | list[MeterTotal]:
        if isinstance(i, slice):
            return [self._make(j) for j in range(*i.indices(len(self._series)))]
        return self._make(range(len(self._series))[i])

    def __len__(self) -> int:
        return len(self._series)

    def __iter__(self) -> Iterator[MeterTotal]:
        return map(self._make, range(len(self._series)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Ceiling:
    """The PUE ceiling in force at a site with a topology (edge sites have none)."""

    site: str
    policy_class: str
    value: float


@dataclass(frozen=True)
class Results:
    computed: float = 0.0
    pue: tuple[PueResult, ...] = ()
    instant: tuple[InstantPue, ...] = ()
    energy: tuple[SiteEnergy, ...] = ()
    meters: Sequence[MeterTotal] = ()
    #: Capacity per rack, room, site and city (docs/capacity.md); None before the first run.
    capacity: CityCapacity | None = None
    #: Sites with a topology and a ceiling (not edge).
    ceilings: tuple[Ceiling, ...] = ()
    #: Verified savings of the declared retrofits (docs/retrofit.md).
    retrofits: tuple[MvReport, ...] = ()
    #: CUE and REF per site and window, and WUE of the sites with water meters (docs/carbon.md).
    carbon: tuple[CarbonResult, ...] = ()
    water: tuple[WaterResult, ...] = ()


#: The status page's small charts: one point per HISTORY_STEP_S of data time, a day of them.
HISTORY_STEP_S = 300.0
HISTORY_POINTS = 288


@dataclass(frozen=True, slots=True)
class SitePoint:
    """A site's live PUE and power at one history point; None where a meter is silent."""

    pue: float | None = None
    it_kw: float | None = None
    facility_kw: float | None = None


class RackPowers(Mapping[tuple[str, str], float | None]):
    """Rack power now (kW) per (site, rack) at one history point, kept small: a day of points
    for a city's 5,000 racks as dicts of tuples and floats was 150 MiB, as this 5.7 MiB
    (``benchmarks/capacity_history.py``).

    The keys (and their index) are shared by every point of the same set of racks, and the
    values are one 32-bit float each (NaN: unmetered or stale): 20 KB a point. A chart reads
    them; 32 bits keep about 7 significant digits (a watt of a 10 kW rack).
    """

    __slots__ = ("_index", "_kw")

    def __init__(self, index: Mapping[tuple[str, str], int], kw: array[float]) -> None:
        self._index, self._kw = index, kw

    @classmethod
    def of(cls, racks: Mapping[tuple[str, str], float | None],
           like: RackPowers | None = None) -> RackPowers:
        """These racks' powers, sharing ``like``'s keys when they are the same racks."""
        keys = list(racks)
        index = like._index if like is not None and list(like._index) == keys else {
            k: i for i, k in enumerate(keys)}
        return cls(index, array("f", (math.nan if v is None else v for v in racks.values())))

    def __getitem__(self, key: tuple[str, str]) -> float | None:
        v = self._kw[self._index[key]]
        return None if math.isnan(v) else v

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


@dataclass(frozen=True)
class HistoryPoint:
    """What the status page plots: live PUE and power per site, power per rack, at ``ts``.

    Kept in memory (a day at 5-minute steps): long-term history belongs to Prometheus or
    InfluxDB; this only lets an edge site without Grafana see the last day at a glance.
    """

    ts: float
    sites: dict[str, SitePoint]
    #: (site, rack) -> rack power now (kW, A+B), None when unmetered or stale.
    racks: RackPowers


def history_point(res: Results, like: HistoryPoint | None = None) -> HistoryPoint:
    """The point of these results; its racks share ``like``'s keys when they are the same."""
    sites = {i.site: SitePoint(i.value, None if i.it_w is None else i.it_w / 1000,
                               None if i.facility_w is None else i.facility_w / 1000)
             for i in res.instant}
    racks: dict[tuple[str, str], float | None] = {}
    if res.capacity is not None:
        for site in res.capacity.sites:
            for room in site.rooms:
                for rack in room.racks:
                    racks[(site.site, rack.rack)] = rack.now_kw
    return HistoryPoint(res.computed, sites,
                        RackPowers.of(racks, like.racks if like is not None else None))


def ceilings(config: Config) -> tuple[Ceiling, ...]:
    out = []
    for site in config.model.sites:
        pol = site.policy if site.policy is not None else SitePolicy()
        if site.energy is not None and pol.effective_ceiling is not None:
            out.append(Ceiling(site.id, str(pol.policy_class), pol.effective_ceiling))
    return tuple(out)


class ResultsHub:
    """Owns the engine in ``dcmon run``: ingests polls, recomputes results, serves copies."""

    def __init__(self, config: Config, engine: EnergyEngine, snapshot: Snapshot, *,
                 flush_interval_s: float = FLUSH_INTERVAL_S,
                 retrofits_in_background: bool = False) -> None:
        self.config = config
        self.engine = engine
        self.snapshot = snapshot
        self.calc = PueCalculator(config, engine)
        self.capacity_calc = CapacityCalculator(config, engine)
        self.carbon_calc = CarbonCalculator(config, engine)
        self._lock = threading.Lock()
        self._results = Results()
        self._recomputed_at: float | None = None  # time.monotonic() of the last computation
        self._history: deque[HistoryPoint] = deque(maxlen=HISTORY_POINTS)
        #: Called with every new Results (the InfluxDB writer); a fault is logged, not raised.
        self.listeners: list[Callable[[Results], None]] = []
        #: Polls' readings waiting for the writer thread (appended on the event loop).
        self._queue: deque[tuple[Reading, ...]] = deque()
        self._flush_lock = threading.Lock()  # one take-and-write at a time, in order
        self._wake, self._stop = threading.Event(), threading.Event()
        self._writer: threading.Thread | None = None
        self.flush_interval_s = flush_interval_s
        #: kg CO2/kWh of grid electricity for avoided CO2: the inventory's grid factors
        #: (docs/carbon.md); None: retrofits report energy only.
        self.grid_factor: GridFactor | None = grid_factor
        #: Outdoor sensors' hourly log for retrofits that name one (``dcmon run`` sets it).
        self.temperatures: TemperatureLog | None = None
        #: ``dcmon run`` verifies retrofits in a thread of their own (RetrofitCache).
        self._retrofits = RetrofitCache(background=retrofits_in_background)

    def reconfigure(self, config: Config) -> None:
        """Take a reloaded inventory between two computations: the engine keeps its accounts
        (and the store), the PUE and capacity calculators start over on the new topology."""
        with self._lock:
            self.config = config
            self.engine.reconfigure(config)
            self.calc = PueCalculator(config, self.engine)
            self.capacity_calc = CapacityCalculator(config, self.engine)
            self.carbon_calc = CarbonCalculator(config, self.engine)

    def on_poll(self, result: PollResult) -> None:
        """Queue a poll's readings for the writer thread (:meth:`start`).

        This runs on the poller's event loop, so it takes no lock and touches no disk: the
        engine books queued polls and commits them together at most every
        ``flush_interval_s`` (sooner after ``FLUSH_POLLS`` polls), and neither a slow disk nor a
        long :meth:`recompute` can delay a poll. A ``kill -9`` loses the polls not yet
        committed; the counters' next deltas book their energy after the restart.
        """
        if result.ok and result.readings:
            self._queue.append(result.readings)
            if len(self._queue) >= FLUSH_POLLS:
                self._wake.set()

    def flush(self) -> int:
        """Book every queued poll and commit it in one transaction; returns the polls booked.

        The writer thread calls this on its schedule, :meth:`recompute` before it reads the
        store, :meth:`close` at a clean stop. The engine lock is held only while booking in
        memory, not during the write."""
        with self._flush_lock:
            n = 0
            with self._lock:
                while self._queue:
                    self.engine.ingest(self._queue.popleft())
                    n += 1
                batch = self.engine.take()
            if batch is not None:
                self.engine.write(batch)
            return n

    def start(self) -> None:
        """Start the writer thread (``dcmon run``); without it polls wait for :meth:`flush`."""
        if self._writer is None:
            self._stop.clear()
            self._writer = threading.Thread(target=self._write_loop, name="dcmon-engine-writer",
                                            daemon=True)
            self._writer.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the writer thread and commit what is queued (a clean stop loses nothing)."""
        writer, self._writer = self._writer, None
        if writer is not None:
            self._stop.set()
            self._wake.set()
            writer.join(timeout)
        self._retrofits.join(timeout)  # it reads the store the caller is about to close
        self.flush()

    def _write_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # a full or failing disk: keep the batch, try again next time
                log.exception("could not write the energy store; retrying in %.0f s",
                              self.flush_interval_s)
                self._stop.wait(self.flush_interval_s)

    def recompute(self, now: float | None = None) -> Results:
        now = clock.now() if now is None else now
        try:  # the results read the store: book every poll received so far
            self.flush()
        except Exception:  # a failing disk: compute from what the store holds
            log.exception("could not write the energy store before computing results")
        with self._lock:
            config = self.config  # one inventory for the whole computation, reload or not
            pue = tuple(self.calc.results(now, settle=self.calc.settle_s()))
            energy = tuple(self._lifetime(sid) for sid, _ in self.calc.sites())
            meters = MeterTotals(self.engine.lifetime_rows())
            carbon, water = self.carbon_calc.results(now, settle=self.calc.settle_s(), pue=pue)
            capacity_calc, series = self.capacity_calc, list(self.engine.series.values())
        # Outside the lock: capacity reads the readings, the series taken above and the store
        # (seconds for a city, paced), a day's first retrofit run reads a year of buckets, and
        # the writer thread (booking polls) and reloads must not wait for them (the store has
        # a lock of its own).
        capacity = capacity_calc.compute(now, self.snapshot.readings(), series=series)
        retrofits = self._retrofits.reports(config, self.engine, now, self.grid_factor,
                                            self.temperatures)
        inst = tuple(instantaneous(config, self.snapshot.readings()))
        res = Results(now, pue, inst, energy, meters, capacity, ceilings(config), retrofits,
                      carbon=tuple(carbon), water=tuple(water))
        self._results = res
        self._recomputed_at = time.monotonic()
        if not self._history or now - self._history[-1].ts >= HISTORY_STEP_S:
            self._history.append(history_point(res, self._history[-1] if self._history
                                                else None))
        for listener in self.listeners:
            try:
                listener(res)
            except Exception:  # an exporter's fault must not stop the results job
                log.exception("a results listener failed")
        return res

    def _lifetime(self, site: str) -> SiteEnergy:
        meters = self.config.meters(site)

        def total(role: str) -> float:
            j = 0.0
            for ref in meters[role]:
                for s in select_series(self.calc.series_of(ref.device), ref):
                    acc = self.engine.counters.get(s.key) or self.engine.powers.get(s.key)
                    j += acc.total_j if acc is not None else 0.0
            return j

        it = total("it")
        fac = total("facility") if meters["facility"] else it + total("facility_components")
        carbon = next(s.carbon for s in self.config.model.sites if s.id == site)
        if carbon is None:
            return SiteEnergy(site, fac, it)
        meters["renewable"], meters["generators"] = list(carbon.renewable), list(carbon.generators)
        water = [acc.total_j for ref in carbon.water
                 for s in narrow(self.calc.series_of(ref.device), ref)
                 if s.key.startswith("W|") and (acc := self.engine.counters.get(s.key))]
        return SiteEnergy(site, fac, it, total("renewable") if carbon.renewable else None,
                          total("generators") if carbon.generators else None,
                          sum(water) if carbon.water else None)

    def age_s(self) -> float | None:
        """Wall seconds since the results were last computed (None: not yet). Wall time, not
        data time: a replayed or simulated ``computed`` says nothing about a stuck job."""
        at = self._recomputed_at
        return None if at is None else time.monotonic() - at

    @property
    def latest(self) -> Results:
        return self._results

    def current(self) -> Results:
        """The latest results, computed now if the first scheduled run has not come yet (a
        request in the service's first seconds still gets figures)."""
        res = self._results
        return res if res.capacity is not None else self.recompute()

    @property
    def history(self) -> tuple[HistoryPoint, ...]:
        """The status page's chart points, oldest first (a copy)."""
        return tuple(self._history)
