"""Capacity of one rack: its load, its A/B feeds against derated breakers, and failover.

Pure computation over the inventory, the latest readings and each meter's history; the rules are
in :mod:`dcmon.engine.capacity.compute` and docs/capacity.md.
"""


from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from dcmon.config.capacity import CapacitySettings, FeedRating
from dcmon.config.resolved import Config, DeviceSpec
from dcmon.config.topology import MeterRef
from dcmon.engine.capacity.history import DeviceHistory, LoadHistory, combine
from dcmon.engine.capacity.model import (
    Failover,
    FeedCapacity,
    Headroom,
    Quality,
    RackCapacity,
)
from dcmon.engine.packed import METER_LEVELS, Proto, ReadingsView, Rows, meter_rows, view_of
from dcmon.engine.pue import select_readings
from dcmon.model import Reading
from dcmon.pace import pace

_EPS = 1e-9
#: Levels tried for a feed's current, most specific to the breaker first.
_CURRENT_LEVELS = ("phase", "inlet", "total", "device", "unit", "")


@dataclass(frozen=True)
class CapacityInputs:
    """Everything the computation reads, gathered beforehand (no I/O inside)."""

    readings: Mapping[str, Sequence[Reading]]
    history: Mapping[str, DeviceHistory]
    now: float
    #: Length of the history window (s), for coverage.
    span_s: float
    #: Seconds after which a device's latest reading is stale, per device.
    max_age: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Read through a view: only the readings a figure uses are made (a city's 10,000
        # PDUs' 44 readings each, made for a few, were ~1 s of each results run).
        object.__setattr__(self, "readings", view_of(self.readings))

    @property
    def view(self) -> ReadingsView:
        return cast(ReadingsView, self.readings)

    def fresh(self, device: str, rows: Rows | None = None) -> Sequence[Reading] | None:
        """The device's latest readings that ``rows`` chooses (default :func:`pdu_rows`), or
        None when it has none or they are stale."""
        latest = self.view.latest_ts(device)
        if latest is None:
            return None
        age = self.max_age.get(device)
        if age is not None and self.now - latest > age:
            return None
        return self.view.some(device, rows or pdu_rows)

    def has(self, device: str) -> bool:
        """The device has readings now."""
        return self.view.has(device)

    def has_power(self, device: str) -> bool:
        """The device has produced rack power, now or in its history."""
        h = self.history.get(device)
        if h is not None and h.source != "none":
            return True
        rs = self.view.some(device, meter_rows)
        return bool(select_readings(list(rs), MeterRef(device=device)))


def pdu_rows(shape: Sequence[Proto]) -> tuple[int, ...]:
    """The readings a rack's and its feeds' figures read of a device: the powers that
    ``select_readings`` chooses for the whole device (``pue.narrow`` without labels: the rack
    power's level, else the ``total`` and ``device`` levels, else every power, of which it
    keeps the coarsest nested level), the readings
    that make that choice, and the currents at the levels :func:`_current_a` tries."""
    rp_level: str | None = next((p[4] for p in shape if p[5]), None)
    totals = any(p[4] in METER_LEVELS for p in shape)
    rp_levels = {p[4] for p in shape if p[5]}

    def counts(lv: str) -> bool:
        if rp_level is not None:
            return lv == rp_level
        return lv in METER_LEVELS if totals else True

    return tuple(i for i, (m, u, _, _, lv, rp, *_rest) in enumerate(shape)
                 if rp or lv in METER_LEVELS or (m == "power" and u == "W" and counts(lv))
                 or (m == "current" and u == "A" and (lv in _CURRENT_LEVELS or lv in rp_levels)))


def watts_rows(shape: Sequence[Proto]) -> tuple[int, ...]:
    """Every reading in watts (what a cooling unit's output is read from)."""
    return tuple(i for i, p in enumerate(shape) if p[1] == "W")


def _r(v: float | None, nd: int = 6) -> float | None:
    return None if v is None else round(v, nd)


def _div(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b <= 0 else a / b


def _sum(vals: Iterable[float | None]) -> float | None:
    known = [v for v in vals if v is not None]
    return sum(known) if known else None


def _min_named(items: Iterable[tuple[str, float | None]]) -> tuple[str | None, float | None]:
    known = [(n, v) for n, v in items if v is not None]
    if not known:
        return None, None
    name, value = min(known, key=lambda nv: nv[1])
    return name, value


def _headroom(s: CapacitySettings, power: float | None, cooling: float | None,
              space: float | None, require_power: bool = False) -> Headroom:
    binding, kw = _min_named([("power", power), ("cooling", cooling), ("space", space)])
    if require_power and power is None:
        binding, kw = None, None
    return Headroom(_r(power), _r(cooling), _r(space), _r(kw), _r(_div(kw, s.standard_rack_kw)),
                    binding)


# ----------------------------------------------------------------------------------------- feeds


def _power_w(rs: Sequence[Reading], device: str) -> float:
    return sum(r.value for r in select_readings(list(rs), MeterRef(device=device)))


def _current_a(rs: Sequence[Reading]) -> float | None:
    """A device's feed current: the highest phase, else its most specific level's highest."""
    cur = [r for r in rs if r.metric == "current" and r.unit == "A"]
    rp_levels = {r.level for r in rs if r.rack_power}
    for level in (_CURRENT_LEVELS[0], *sorted(rp_levels), *_CURRENT_LEVELS[1:]):
        at = [r.value for r in cur if r.level == level]
        if at:
            return max(at)
    return None


def _derive_current(power_w: float, rating: FeedRating) -> float:
    """Per-phase current from power: P / (V x pf), / sqrt(3) more for three phases."""
    root = 3 ** 0.5 if rating.phases == 3 else 1.0
    return power_w / (rating.voltage * root * rating.power_factor)


def _feed(s: CapacitySettings, name: str, rating: FeedRating | None, devs: list[DeviceSpec],
          inp: CapacityInputs) -> FeedCapacity:
    flags: list[str] = []
    stale: list[str] = []
    current: float | None = 0.0
    power: float | None = 0.0
    derived = False
    for d in devs:
        rs = inp.fresh(d.id)
        if rs is None:
            stale.append(d.id)
            continue
        p_w = _power_w(rs, d.id)
        power = None if power is None else power + p_w / 1000
        i = _current_a(rs)
        if i is None and rating is not None:
            i, derived = _derive_current(p_w, rating), True
        current = None if current is None or i is None else current + i
    if not devs:
        flags.append("no_device")
        current = power = None
    if stale:
        current = power = None
    if derived:
        flags.append("current_derived")
    if rating is None:
        flags.append("no_rating")
    hist = combine([inp.history[d.id] for d in devs if d.id in inp.history], inp.span_s, 100)
    peak = _r(hist.peak_w / 1000) if hist.peak_w is not None else None
    rated = rating.rated_kw if rating else None
    derated_a = rating.breaker_a * s.derating if rating else None
    derated_kw = rated * s.derating if rated is not None else None
    return FeedCapacity(
        feed=name, devices=tuple(d.id for d in devs),
        breaker_a=rating.breaker_a if rating else None,
        voltage=rating.voltage if rating else None, phases=rating.phases if rating else None,
        rated_kw=_r(rated), derated_a=_r(derated_a), derated_kw=_r(derated_kw),
        current_a=_r(current), power_kw=_r(power), peak_kw=peak,
        current_utilisation=_r(_div(current, derated_a)),
        power_utilisation=_r(_div(power, derated_kw)),
        quality=Quality(coverage=hist.coverage if devs else None, stale=tuple(stale),
                        flags=tuple(flags)),
    )


def _failover(feeds: Sequence[FeedCapacity]) -> Failover:
    by = {f.feed: f for f in feeds}
    a, b = by.get("A"), by.get("B")
    if a is None or b is None:
        return Failover(False, None, reason="not an A/B pair", reason_code="not_ab_pair")
    if a.derated_a is None or b.derated_a is None or a.derated_kw is None \
            or b.derated_kw is None:
        missing = "A" if a.derated_a is None else "B"
        return Failover(False, None, reason="no breaker rating for feed " + missing,
                        reason_code="no_breaker_rating", reason_args={"feed": missing})
    peak_ratio = None
    if a.peak_kw is not None and b.peak_kw is not None:
        peak_ratio = (a.peak_kw + b.peak_kw) / min(a.derated_kw, b.derated_kw)
    basis: str | None
    if a.current_a is not None and b.current_a is not None:
        basis, load = "current", a.current_a + b.current_a
        limits = {"A": a.derated_a, "B": b.derated_a}
    elif a.power_kw is not None and b.power_kw is not None:
        basis, load = "power", a.power_kw + b.power_kw
        limits = {"A": a.derated_kw, "B": b.derated_kw}
    else:
        if peak_ratio is None:
            return Failover(False, None, reason="no live readings of both feeds",
                            reason_code="no_live_readings")
        return Failover(True, peak_ratio <= 1 + _EPS, "peak_power", a.peak_kw + b.peak_kw
                        if a.peak_kw is not None and b.peak_kw is not None else None,
                        min(a.derated_kw, b.derated_kw), None, _r(peak_ratio),
                        "A" if a.derated_kw <= b.derated_kw else "B",
                        "no live readings of both feeds: checked on history peaks only",
                        "peak_only")
    survivor = min(limits, key=lambda k: limits[k])
    ratio = load / limits[survivor]
    ok = ratio <= 1 + _EPS and (peak_ratio is None or peak_ratio <= 1 + _EPS)
    unit = "A" if basis == "current" else "kW"
    code, args, reason = "", {}, ""
    if ratio > 1 + _EPS:
        code, args = "survivor_over", {"failed": "B" if survivor == "A" else "A",
                                       "survivor": survivor, "load": load,
                                       "limit": limits[survivor], "unit": unit}
        reason = (f"if feed {args['failed']} fails, feed {survivor} carries {load:.2f} {unit} "
                  f"against its derated {limits[survivor]:.2f} {unit}")
    elif not ok:
        code, reason = "peak_over", "the history peak of A + B exceeds one feed's derated rating"
    return Failover(True, ok, basis, _r(load), _r(limits[survivor]), _r(ratio), _r(peak_ratio),
                    survivor, reason, code, args)


# ----------------------------------------------------------------------------------------- racks


@dataclass(frozen=True)
class _RackOut:
    cap: RackCapacity
    daily: Mapping[float, float]


def _rack(cfg: Config, site: Any, room: Any, rack: Any, devs: list[DeviceSpec],
          inp: CapacityInputs) -> _RackOut:
    pace()  # a rack is a small step of the results job (dcmon.pace)
    s: CapacitySettings = cfg.model.capacity
    flags: list[str] = []
    stale: list[str] = []
    # A rack's power meters: devices that have shown rack power, plus those never heard from
    # (or on a feed): a silent PDU must make the rack's sum stale, not quietly smaller.
    known = [d for d in devs if inp.has_power(d.id)]
    power_devs = [d for d in devs if d in known or d.feed or not inp.has(d.id)]
    if not devs:
        flags.append("unmetered")
    elif not known:
        flags.append("no_power_data")
        stale.extend(d.id for d in power_devs)
        power_devs = []
    metered = bool(power_devs)
    now_w = 0.0
    for d in power_devs:
        rs = inp.fresh(d.id)
        if rs is None:
            stale.append(d.id)
        else:
            now_w += _power_w(rs, d.id)
    now_kw = now_w / 1000 if metered and not stale else None
    hist: LoadHistory = combine([inp.history[d.id] for d in power_devs if d.id in inp.history],
                                inp.span_s, s.percentile)
    flags.extend(hist.flags)
    p95 = hist.p95_w / 1000 if hist.p95_w is not None else None
    peak = hist.peak_w / 1000 if hist.peak_w is not None else None
    coverage = hist.coverage if metered else None
    if coverage is not None and coverage < s.min_coverage:
        flags.append("low_coverage")
    load, basis = _load(s.basis, now_kw, p95, peak)
    if load is not None and basis != s.basis:
        flags.append(f"basis_{basis}")

    rated = rack.rated_kw
    if rated is None and getattr(site, "policy", None) is not None:
        rated = site.policy.rack_rating(rack.id)[0]
    if rated is None:
        flags.append("no_rating")

    names = sorted({d.feed for d in devs if d.feed}
                   | ({n for n, _ in rack.feeds.items()} if rack.feeds else set()))
    feeds = tuple(_feed(s, n, getattr(rack.feeds, n) if rack.feeds else None,
                        [d for d in devs if d.feed == n], inp) for n in names)
    failover = _failover(feeds)
    derated = [f.derated_kw for f in feeds if f.derated_kw is not None]
    usable = _min_known([rated, min(derated) if derated else None])

    u_total, u_used = rack.u_total, rack.u_used
    u_free = u_total - u_used if u_total is not None and u_used is not None else None
    if u_free is None:
        flags.append("no_u_space")
    power_h = usable - load if usable is not None and load is not None else None
    space_h = (u_free / u_total * usable
               if u_free is not None and u_total and usable is not None else None)
    in_use = None if load is None else load > s.in_use_threshold_kw
    cap = RackCapacity(
        site=site.id, room=room.id, rack=rack.id, name=rack.name, metered=metered,
        now_kw=_r(now_kw), p95_kw=_r(p95), peak_kw=_r(peak), load_kw=_r(load),
        basis=basis if load is not None else None, rated_kw=rated, usable_kw=_r(usable),
        utilisation=_r(_div(load, rated)), u_total=u_total, u_used=u_used, u_free=u_free,
        std_racks_measured=_r(_div(load, s.standard_rack_kw)),
        std_racks_provisioned=_r(_div(rated, s.standard_rack_kw)), in_use=in_use,
        feeds=feeds, failover=failover,
        headroom=_headroom(s, power_h, None, space_h, require_power=True),
        quality=Quality(coverage, tuple(stale), tuple(dict.fromkeys(flags))),
    )
    return _RackOut(cap, hist.daily if metered else {})


def _min_known(vals: Iterable[float | None]) -> float | None:
    known = [v for v in vals if v is not None]
    return min(known) if known else None


def _load(basis: str, now: float | None, p95: float | None, peak: float | None
          ) -> tuple[float | None, str]:
    """The load for ``basis``; without history, the live value (flagged by the caller)."""
    if basis == "peak" and peak is not None:
        return (max(peak, now) if now is not None else peak), "peak"
    if basis == "p95" and p95 is not None:
        return p95, "p95"
    return now, "now"
