"""PUE results: energy-based, per site and window, with category, period and coverage stated.

PUE = E_DC / E_IT, both energy over the same period (ISO/IEC 30134-2, EN 50600-4-2). Windows are
whole hours (end = the start of the current hour), so each value covers a stated, complete
period and splitting a window at an hour boundary and adding the parts gives the whole.

The category is the one the site's metering backs (:meth:`Config.metering`), not merely the
one ``it_level`` declares: a declared category the metering cannot back is reported as
``category`` None with ``category_claim`` and ``category_reason``.

A value is *withheld* (``value`` None, ``status`` "withheld", ``reason`` given) when coverage is
below the configured minimum or E_IT is zero. A value under 1.0 is a *metering fault*, never a
good PUE. A period under 12 months is flagged *interim*. The GB 40879 electricity ratio RM2
(E_total / E_IT over a full year) is given only for periods of a year or more.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from dcmon.config.resolved import Config
from dcmon.config.topology import EnergyTopology, MeterRef, category_label, expand
from dcmon.engine.energy import HOUR, Series
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.packed import meter_rows, view_of
from dcmon.model import Reading


class _Meterish(Protocol):
    """What Series and Reading share, for choosing a meter's series (read-only)."""

    @property
    def device(self) -> str: ...
    @property
    def metric(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def rack_power(self) -> bool: ...
    @property
    def labels(self) -> Mapping[str, str]: ...


_T = TypeVar("_T", bound=_Meterish)

WINDOWS: dict[str, float] = {"1h": HOUR, "24h": 24 * HOUR, "7d": 7 * 24 * HOUR,
                             "30d": 30 * 24 * HOUR, "365d": 365 * 24 * HOUR}
YEAR_S = 365 * 24 * HOUR


@dataclass(frozen=True)
class PueResult:
    """One PUE figure with everything an auditor needs next to it."""

    site: str
    window: str
    start: float
    end: float
    #: The ISO/IEC 30134-2 category the metering backs; None when it backs none.
    category: int | None
    value: float | None
    status: str  # "ok" | "withheld" | "metering_fault"
    reason: str
    coverage: float
    facility_kwh: float
    it_kwh: float
    it_load_fraction: float | None
    interim: bool
    dcie: float | None = None
    gb40879_rm2: float | None = None
    zone: str | None = None
    kind: str = "energy"  # "energy" | "partial" (pPUE of a zone)
    meters: dict[str, int] = field(default_factory=dict)
    #: The category the site declares (``it_level``), and why the metering does not back it
    #: ("" when it does).
    category_claim: int | None = None
    category_reason: str = ""
    #: ``reason`` as a stable code and its parameters, so a page can say it in any language
    #: (``reason`` stays the English text): no_meters, low_coverage (coverage, minimum),
    #: it_energy_zero, pue_below_one (value); "" when there is no reason.
    reason_code: str = ""
    reason_args: dict[str, float | int | str] = field(default_factory=dict)
    #: ``category_reason`` as a code and parameters (see :class:`~dcmon.config.resolved.Metering`).
    category_reason_code: str = ""
    category_reason_args: dict[str, float | int | str] = field(default_factory=dict)

    @property
    def category_label(self) -> str:
        """``2``, or ``none``: the metric label, Influx tag and table cell."""
        return category_label(self.category)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start_iso"] = datetime.fromtimestamp(self.start).astimezone().isoformat()
        d["end_iso"] = datetime.fromtimestamp(self.end).astimezone().isoformat()
        return d


def narrow(items: list[_T], ref: MeterRef) -> list[_T]:
    """The readings or series that make one meter, without double counting.

    With label selectors: everything carrying those labels. Without: a PDU's rack-power level
    (not total + phases + banks + outlets), else a meter's ``total`` level, else the coarsest of
    the nested levels it is read at (circuits, not circuits + outlets); of a UPS's input, bypass
    and output readings the output ones; and of several energy counters the import one.
    """
    if ref.labels:
        return [s for s in items if s.device == ref.device
                and all(s.labels.get(k) == v for k, v in ref.labels.items())]
    cands = [s for s in items if s.device == ref.device]
    rp = [s for s in cands if s.rack_power]
    if rp:
        return [s for s in cands if s.level == rp[0].level]
    totals = [s for s in cands if s.level in ("total", "device")]
    cands = totals if totals else _coarsest(cands)
    cands = _output_point(cands)
    imports = [s for s in cands if s.labels.get("direction") == "import"]
    if imports:
        cands = [s for s in cands if s.metric != "energy" or s in imports]
    return cands


#: Levels that nest, coarse (0) to fine: the finer ones are parts of the coarser ones' load.
_NESTED = {lv: i for i, lv in enumerate(
    ("inlet", "cord", "phase", "line", "bank", "branch", "breaker", "outlet"))}


def _coarsest(cands: list[_T]) -> list[_T]:
    """Per metric, of readings at several nested levels only the coarsest level's: a device
    with no total and no rack-power level (a UPS read per output circuit and per outlet) would
    otherwise count each outlet's load twice. Readings at other levels stay as they are."""
    coarsest: dict[str, int] = {}
    for s in cands:
        r = _NESTED.get(s.level)
        if r is not None:
            coarsest[s.metric] = min(r, coarsest.get(s.metric, r))
    if not coarsest:
        return cands
    return [s for s in cands
            if s.level not in _NESTED or _NESTED[s.level] == coarsest[s.metric]]


def _output_point(cands: list[_T]) -> list[_T]:
    """Of readings at several points of a UPS (input, bypass, output), the output ones: what it
    delivers to its load (ISO/IEC 30134-2 category 1 IT energy). Summing input and output
    would count the same load twice, and the bypass is a third path to it. Chosen per metric:
    a power read without a point stays, whatever point the device's voltages name."""
    points: dict[str, set[str | None]] = {}
    for s in cands:
        points.setdefault(s.metric, set()).add(s.labels.get("point"))
    narrowed = {m for m, ps in points.items() if "output" in ps and len(ps) > 1}
    if not narrowed:
        return cands
    return [s for s in cands if s.metric not in narrowed or s.labels.get("point") == "output"]


def by_device(series: Iterable[Series]) -> dict[str, list[Series]]:
    """Series grouped by device: choosing a meter's series must not scan every series (at
    2,000 PDUs in one site's topology that scan made a results run take a minute)."""
    out: dict[str, list[Series]] = defaultdict(list)
    for s in series:
        out[s.device].append(s)
    return out


def select_series(all_series: list[Series], ref: MeterRef) -> list[Series]:
    """The series that make one meter: its energy counters, else its power readings."""
    cands = narrow(all_series, ref)
    energy = [s for s in cands if s.key.startswith("E|")]
    return energy or [s for s in cands if s.key.startswith("P|")]


class PueCalculator:
    """Computes PueResults from the engine's store for the sites that declare a topology."""

    def __init__(self, config: Config, engine: EnergyEngine) -> None:
        self.config = config
        self.engine = engine
        #: For the engine's series count they were made at: the series by device, and each
        #: meter's chosen series keys (both made again when series were added).
        self._seen = -1
        self._groups: dict[str, list[Series]] = {}
        self._chosen: dict[tuple[object, ...], list[str]] = {}

    def _current(self) -> None:
        n = len(self.engine.series)
        if self._seen != n:
            self._groups, self._chosen = by_device(list(self.engine.series.values())), {}
            self._seen = n

    def series_of(self, device: str) -> list[Series]:
        """The engine's series of one device."""
        self._current()
        return self._groups.get(device, [])

    def _chosen_keys(self, ref: MeterRef) -> list[str]:
        """The keys of :func:`select_series` for a meter: a results run sums every meter of
        a city in 9 windows (90,000 choices)."""
        self._current()
        ident = (ref.device, tuple(sorted(ref.labels.items())))
        keys = self._chosen.get(ident)
        if keys is None:
            keys = self._chosen[ident] = [
                s.key for s in select_series(self.series_of(ref.device), ref)]
        return keys

    def sites(self) -> list[tuple[str, EnergyTopology]]:
        return [(s.id, s.energy) for s in self.config.model.sites if s.energy is not None]

    def _meters(self, site: str, topo: EnergyTopology) -> dict[str, list[MeterRef]]:
        """The site's meters: expanded once per inventory for its own topology."""
        if any(sid == site and t is topo for sid, t in self.sites()):
            return self.config.meters(site)
        return expand(topo, self.config.rack_devices(site))

    def _energy(self, refs: list[MeterRef], start: float, end: float
                ) -> tuple[float, float, int, float]:
        """(joules, covered meter-seconds, meters, mean power W) of a sum of meters."""
        joules = covered = 0.0
        chosen = [self._chosen_keys(ref) for ref in refs]
        buckets = self.engine.store.window(sorted({k for keys in chosen for k in keys}), start, end)
        for keys in chosen:
            got = [b for k in sorted(set(keys)) if (b := buckets.get(k)) is not None]
            joules += sum(b.energy_j for b in got)
            if keys:
                covered += min(end - start, sum(b.covered_s for b in got) / len(keys))
        span = end - start
        return joules, covered, len(refs), joules / span if span else 0.0

    def meter_energy(self, refs: list[MeterRef], start: float, end: float
                     ) -> tuple[float, float, int, float]:
        """(joules, covered meter-seconds, meters, mean power W) of a sum of meters, chosen
        as PUE chooses them (for the carbon figures' renewable and generator meters)."""
        return self._energy(refs, start, end)

    def compute(self, site: str, topo: EnergyTopology, window: str, start: float, end: float,
                zone: str | None = None) -> PueResult:
        meters = self._meters(site, topo)
        min_cov = self.config.model.engine.min_coverage
        if zone is not None:
            z = next(z for z in topo.zones if z.id == zone)
            it_refs = ([MeterRef(device=d) for d in self.config.rack_devices(site)]
                       if z.it == "racks" else list(z.it))
            e_it, cov_it, n_it, p_it = self._energy(it_refs, start, end)
            e_inf, cov_inf, n_inf, _ = self._energy(list(z.infra), start, end)
            e_dc, cov_dc, n_dc = e_it + e_inf, cov_inf, n_inf
        else:
            e_it, cov_it, n_it, p_it = self._energy(meters["it"], start, end)
            if meters["facility"]:
                e_dc, cov_dc, n_dc, _ = self._energy(meters["facility"], start, end)
            else:
                e_c, cov_dc, n_dc, _ = self._energy(meters["facility_components"], start, end)
                e_dc = e_it + e_c
        span = end - start
        n = n_it + n_dc
        coverage = (cov_it + cov_dc) / (n * span) if n and span > 0 else 0.0
        fraction = (p_it / 1000 / topo.design_it_kw) if topo.design_it_kw else None
        value: float | None = None
        status, reason, code = "ok", "", ""
        args: dict[str, float | int | str] = {}
        if n_it == 0 or (zone is None and n_dc == 0 and not meters["facility_components"]):
            status, reason, code = "withheld", "no meters declared for E_IT or E_DC", "no_meters"
        elif coverage < min_cov:
            status, reason = "withheld", (f"coverage {coverage:.1%} of expected meter-hours is "
                                          f"below the minimum {min_cov:.0%}")
            code, args = "low_coverage", {"coverage": coverage, "minimum": min_cov}
        elif e_it <= 0:
            status, reason, code = "withheld", "IT energy is zero", "it_energy_zero"
        else:
            value = e_dc / e_it
            if value < 1.0:
                status, reason = "metering_fault", (f"PUE {value:.3f} < 1: IT energy exceeds "
                                                    "facility energy; check meter roles and "
                                                    "scaling")
                code, args = "pue_below_one", {"value": value}
        ok = status == "ok" and value is not None
        metering = self.config.metering(site)
        return PueResult(
            site=site, window=window, start=start, end=end, category=metering.category,
            value=value if status != "withheld" else None, status=status, reason=reason,
            coverage=round(coverage, 6), facility_kwh=e_dc / 3.6e6, it_kwh=e_it / 3.6e6,
            it_load_fraction=fraction, interim=span < YEAR_S,
            dcie=(1 / value if ok and value else None),
            gb40879_rm2=(value if ok and span >= YEAR_S else None), zone=zone,
            kind="partial" if zone else "energy", meters={"it": n_it, "facility": n_dc},
            category_claim=metering.claim, category_reason=metering.reason,
            reason_code=code, reason_args=args, category_reason_code=metering.reason_code,
            category_reason_args=dict(metering.reason_args),
        )

    def settle_s(self) -> float:
        """How long after an hour ends before every meter has reported past it.

        A meter's energy up to the hour boundary is known only once it has been read *after*
        the boundary, up to one poll interval (plus a retry) later. Closing a window sooner
        would leave its last minutes unbooked for the meters read last, and since facility
        and IT meters are read at different moments, that skews the ratio (measured: +3 % on
        a 1-hour window one poll after the hour). So windows end at the last hour boundary at
        least two of the longest poll intervals old.
        """
        return 2 * max((d.interval for d in self.config.devices), default=0.0)

    def reported_until(self, site: str) -> float | None:
        """The time every meter of ``site`` that has reported at all has reported up to: the
        earliest of their latest readings (None: none has reported).

        A meter's energy up to an hour boundary is known once it has been read at or after
        that boundary. The live service can only wait (:meth:`settle_s`); a replay, which has
        all its data, knows when each meter was last read and ends its windows at the last
        hour boundary before this time.
        """
        topo = next((t for sid, t in self.sites() if sid == site), None)
        if topo is None:
            return None
        meters = self._meters(site, topo)
        refs = [*meters["facility"], *meters["facility_components"], *meters["it"]]
        for z in topo.zones:
            refs += ([MeterRef(device=d) for d in self.config.rack_devices(site)]
                     if z.it == "racks" else list(z.it)) + list(z.infra)
        lasts = [ts for ref in refs for s in select_series(self.series_of(ref.device), ref)
                 if (ts := self._last_ts(s.key)) is not None]
        return min(lasts, default=None)

    def _last_ts(self, key: str) -> float | None:
        acc = self.engine.counters.get(key) or self.engine.powers.get(key)
        return acc.last_ts if acc is not None else None

    def results(self, now: float, windows: list[str] | None = None,
                site: str | None = None, settle: float = 0.0) -> list[PueResult]:
        """Rolling windows (and current calendar month/year) for every site with a topology,
        ending at the last hour boundary at least ``settle`` seconds before ``now``. Live
        callers pass :meth:`settle_s`; a replay or a test that has all its data passes 0."""
        settled = now - settle
        end = settled - settled % HOUR
        out: list[PueResult] = []
        for sid, topo in self.sites():
            if site is not None and sid != site:
                continue
            for w in windows or [*WINDOWS, "month", "year"]:
                start, stop = self.period(w, end, topo.timezone)
                out.append(self.compute(sid, topo, w, start, stop))
                if w in WINDOWS:
                    out.extend(self.compute(sid, topo, w, start, stop, zone=z.id)
                               for z in topo.zones)
        return out

    @staticmethod
    def period(window: str, end: float, tz: str = "UTC") -> tuple[float, float]:
        """[start, end) of a rolling window ending at ``end``, or of the calendar month/year
        (in the site's time zone) containing ``end`` up to ``end``; ``month:2026-10`` and
        ``year:2025`` name complete past periods."""
        if window in WINDOWS:
            return end - WINDOWS[window], end
        zone = ZoneInfo(tz)
        kind, _, which = window.partition(":")
        local = datetime.fromtimestamp(end, zone)
        if kind == "month":
            if which:
                y, m = (int(x) for x in which.split("-"))
                first = datetime(y, m, 1, tzinfo=zone)
                nxt = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=zone)
                return first.timestamp(), min(end, nxt.timestamp())
            return datetime(local.year, local.month, 1, tzinfo=zone).timestamp(), end
        if kind == "year":
            y = int(which) if which else local.year
            return (datetime(y, 1, 1, tzinfo=zone).timestamp(),
                    min(end, datetime(y + 1, 1, 1, tzinfo=zone).timestamp()))
        raise ValueError(f"unknown window {window!r} (known: {', '.join(WINDOWS)}, month, "
                         "month:YYYY-MM, year, year:YYYY)")


def select_readings(readings: list[Reading], ref: MeterRef) -> list[Reading]:
    """The live power readings of one meter, chosen like :func:`select_series`."""
    return [r for r in narrow(readings, ref) if r.metric == "power" and r.unit == "W"]


@dataclass(frozen=True)
class InstantPue:
    """Facility and IT power now, and their ratio (for live views, not for compliance)."""

    site: str
    facility_w: float | None
    it_w: float | None
    value: float | None
    missing: tuple[str, ...]


def instantaneous(config: Config, readings: Mapping[str, tuple[Reading, ...]]
                  ) -> list[InstantPue]:
    out = []
    # Only the readings that choosing a meter's power looks at are made (a city: 10,000
    # devices' 44 readings each, made for a few, were ~1 s of each run).
    view = view_of(readings)
    for s in config.model.sites:
        if s.energy is None:
            continue
        meters = config.meters(s.id)
        sums: dict[str, float | None] = {}
        missing: list[str] = []
        for role in ("facility", "facility_components", "it"):
            total = 0.0
            for ref in meters[role]:
                got = select_readings(list(view.some(ref.device, meter_rows)), ref)
                if not got:
                    missing.append(ref.device)
                total += sum(r.value for r in got)
            sums[role] = total if meters[role] else None
        it = sums["it"]
        fac = sums["facility"] if meters["facility"] else (
            (it or 0.0) + (sums["facility_components"] or 0.0))
        value = fac / it if fac is not None and it and not missing else None
        out.append(InstantPue(s.id, fac, it, value, tuple(missing)))
    return out
