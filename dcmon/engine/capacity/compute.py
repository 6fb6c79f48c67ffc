"""Capacity per rack, room, site and city: power, feeds, cooling, space and standard racks.

Pure computation: inputs are the inventory, the latest readings (the Snapshot) and each meter's
history (:mod:`dcmon.engine.capacity.history`); no I/O, so hand-computed cases check it exactly
(tests/cases/capacity). :mod:`dcmon.engine.capacity.calculator` feeds it from the engine's store.

The rules, in short (docs/capacity.md has the long form and the reasons):

* A rack's load is its meters' rack-power level summed (the PUE meter choice, no double
  counting). ``capacity.basis`` picks which load utilisation and headroom use: the history peak
  (default; also never below the live value), its percentile, or the live value.
* A feed is judged against its breaker derated by ``capacity.derating``: current against
  amps (highest phase), power against kW. Failover: if one feed of an A/B pair fails the other
  carries A + B; that must stay within the weaker feed's derated rating.
* What a rack can carry (``usable_kw``) is its rating, and with feeds no more than one derated
  feed: past that, losing a feed trips the other.
* Headroom is the smallest of power, cooling and space, named; space in kW is the free share
  of U space at the rack's usable density. Capacity cannot move between rooms, so a site's
  headroom is the sum of its rooms' headroom.
* A rack without metering is flagged and left out of measured sums, never counted as 0 kW;
  occupancy (上架率) is racks in use over racks whose state is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dcmon.config.capacity import CapacitySettings, FeedRating
from dcmon.config.resolved import Config, DeviceSpec
from dcmon.config.topology import MeterRef
from dcmon.engine.capacity.history import DAY, DeviceHistory, LoadHistory, combine, fit_line
from dcmon.engine.capacity.model import (
    CityCapacity,
    CitySettings,
    DailyPeak,
    Failover,
    FeedCapacity,
    Forecast,
    Headroom,
    Quality,
    RackCapacity,
    RoomCapacity,
    SiteCapacity,
    Totals,
)
from dcmon.engine.pue import select_readings
from dcmon.model import Reading

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

    def fresh(self, device: str) -> Sequence[Reading] | None:
        """The device's latest readings, or None when missing or stale."""
        rs = self.readings.get(device)
        if not rs:
            return None
        age = self.max_age.get(device)
        if age is not None and self.now - max(r.ts for r in rs) > age:
            return None
        return rs

    def has_power(self, device: str) -> bool:
        """The device has produced rack power, now or in its history."""
        h = self.history.get(device)
        if h is not None and h.source != "none":
            return True
        rs = self.readings.get(device) or ()
        return bool(select_readings(list(rs), MeterRef(device=device)))


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
        return Failover(False, None, reason="not an A/B pair")
    if a.derated_a is None or b.derated_a is None or a.derated_kw is None \
            or b.derated_kw is None:
        return Failover(False, None, reason="no breaker rating for feed "
                        + ("A" if a.derated_a is None else "B"))
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
            return Failover(False, None, reason="no live readings of both feeds")
        return Failover(True, peak_ratio <= 1 + _EPS, "peak_power", a.peak_kw + b.peak_kw
                        if a.peak_kw is not None and b.peak_kw is not None else None,
                        min(a.derated_kw, b.derated_kw), None, _r(peak_ratio),
                        "A" if a.derated_kw <= b.derated_kw else "B",
                        "no live readings of both feeds: checked on history peaks only")
    survivor = min(limits, key=lambda k: limits[k])
    ratio = load / limits[survivor]
    ok = ratio <= 1 + _EPS and (peak_ratio is None or peak_ratio <= 1 + _EPS)
    reason = "" if ok else (
        f"if feed {'B' if survivor == 'A' else 'A'} fails, feed {survivor} carries "
        f"{load:.2f} {'A' if basis == 'current' else 'kW'} against its derated "
        f"{limits[survivor]:.2f} {'A' if basis == 'current' else 'kW'}" if ratio > 1 + _EPS else
        "the history peak of A + B exceeds one feed's derated rating")
    return Failover(True, ok, basis, _r(load), _r(limits[survivor]), _r(ratio), _r(peak_ratio),
                    survivor, reason)


# ----------------------------------------------------------------------------------------- racks


@dataclass(frozen=True)
class _RackOut:
    cap: RackCapacity
    daily: Mapping[float, float]


def _rack(cfg: Config, site: Any, room: Any, rack: Any, devs: list[DeviceSpec],
          inp: CapacityInputs) -> _RackOut:
    s: CapacitySettings = cfg.model.capacity
    flags: list[str] = []
    stale: list[str] = []
    # A rack's power meters: devices that have shown rack power, plus those never heard from
    # (or on a feed): a silent PDU must make the rack's sum stale, not quietly smaller.
    known = [d for d in devs if inp.has_power(d.id)]
    power_devs = [d for d in devs if d in known or d.feed or not inp.readings.get(d.id)]
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


# ------------------------------------------------------------------------------- rooms and sites


def _cooling(room: Any, inp: CapacityInputs) -> tuple[float | None, list[str], list[str]]:
    """(cooling capacity kW, stale devices, flags) of a room."""
    if room.cooling_kw is not None:
        return float(room.cooling_kw), [], []
    if not room.cooling_units:
        return None, [], ["no_cooling_data"]
    total: float | None = None
    stale: list[str] = []
    for u in room.cooling_units:
        if u.rated_kw is not None:
            total = (total or 0.0) + u.rated_kw
            continue
        rs = inp.fresh(u.device)
        got = [r.value for r in rs or () if r.metric == u.metric and r.unit == "W"
               and all(r.labels.get(k) == v for k, v in u.labels.items())]
        if got:
            total = (total or 0.0) + sum(got) / 1000
        else:
            stale.append(u.device)
    return total, stale, (["cooling_unit_no_data"] if stale else [])


def _totals(racks: Sequence[RackCapacity], s: CapacitySettings) -> Totals:
    metered = [r for r in racks if r.load_kw is not None]
    unknown = sum(1 for r in racks if r.in_use is None)
    in_use = sum(1 for r in racks if r.in_use)
    known = len(racks) - unknown
    load = _sum(r.load_kw for r in metered) if metered else (0.0 if not racks else None)
    both = [r for r in metered if r.rated_kw is not None]
    util = _div(_sum(r.load_kw for r in both), _sum(r.rated_kw for r in both)) if both else None
    std_in_use = sum((r.std_racks_provisioned if r.std_racks_provisioned is not None
                      else r.std_racks_measured or 0.0) for r in racks if r.in_use)
    return Totals(
        racks_installed=len(racks), racks_metered=len(metered), racks_in_use=in_use,
        racks_unknown=unknown, occupancy=_r(in_use / known) if known else None,
        now_kw=_r(_sum(r.now_kw for r in racks)), load_kw=_r(load),
        rated_kw=_r(_sum(r.rated_kw for r in racks)),
        utilisation=_r(util),
        u_total=sum(r.u_total or 0 for r in racks), u_used=sum(r.u_used or 0 for r in racks),
        std_racks_measured=_r(_div(load, s.standard_rack_kw)),
        std_racks_provisioned=_r(_div(_sum(r.rated_kw for r in racks), s.standard_rack_kw)),
        std_racks_in_use=_r(std_in_use),
        racks_failover_at_risk=sum(1 for r in racks if r.failover.ok is False),
    )


def _forecast(s: CapacitySettings, daily: Mapping[float, float], now: float,
              power_cap: float | None, cooling_cap: float | None) -> Forecast:
    """Least-squares line through daily peaks (kW over days from now); days until the limit."""
    limit_name, limit = _min_named([("power", power_cap), ("cooling", cooling_cap)])
    points = sorted(((day + DAY / 2 - now) / DAY, w / 1000) for day, w in daily.items())
    peaks = tuple(DailyPeak(day, round(w / 1000, 6)) for day, w in sorted(daily.items()))
    if len(points) < s.forecast_min_points:
        return Forecast("insufficient_data", len(points), limit_kw=_r(limit), limit=limit_name,
                        reason=f"{len(points)} daily peaks; at least {s.forecast_min_points} "
                               "are needed", daily=peaks)
    fit = fit_line(points)
    if fit is None:
        return Forecast("insufficient_data", len(points), reason="no spread in time",
                        daily=peaks)
    base = Forecast("ok", fit.n, _r(fit.slope), _r(fit.intercept), _r(fit.r2), _r(limit),
                    limit_name, daily=peaks)
    if limit is None:
        return _replace(base, status="no_limit", reason="no power or cooling capacity known")
    if fit.intercept >= limit:
        return _replace(base, status="full", days_until_full=0.0,
                        reason=f"the trend is at or above the {limit_name} limit now")
    if fit.slope <= 0:
        return _replace(base, status="not_growing", reason="daily peaks are not rising")
    return _replace(base, days_until_full=_r((limit - fit.intercept) / fit.slope, 3))


def _replace(f: Forecast, **kw: Any) -> Forecast:
    return replace(f, **kw)


@dataclass(frozen=True)
class _RoomOut:
    cap: RoomCapacity
    daily: Mapping[float, float]


def _room(cfg: Config, site: Any, room: Any, inp: CapacityInputs,
          by_rack: Mapping[tuple[str, str, str], list[DeviceSpec]]) -> _RoomOut:
    s: CapacitySettings = cfg.model.capacity
    outs = [_rack(cfg, site, room, rk, by_rack.get((site.id, room.id, rk.id), []), inp)
            for rk in room.racks]
    racks = [o.cap for o in outs]
    t = _totals(racks, s)
    cooling, c_stale, flags = _cooling(room, inp)
    usable = _sum(r.usable_kw for r in racks)
    power_cap = float(room.power_kw) if room.power_kw is not None else usable
    rack_power_h = _sum(max(0.0, r.headroom.power_kw) for r in racks
                        if r.headroom.power_kw is not None)
    room_power_h = (float(room.power_kw) - t.load_kw
                    if room.power_kw is not None and t.load_kw is not None else None)
    power_h = _min_known([rack_power_h, room_power_h])
    if not racks and room.power_kw is None:
        power_h = None
    heat = t.load_kw
    cooling_h = cooling - heat if cooling is not None and heat is not None else None
    space_h = (_sum(max(0.0, r.headroom.space_kw) for r in racks
                    if r.headroom.space_kw is not None) if racks else 0.0)
    if not racks:
        flags.append("no_racks")
    if any(not r.metered for r in racks):
        flags.append("unmetered_racks")
    if any(r.rated_kw is None for r in racks):
        flags.append("unrated_racks")
    if racks and all(r.headroom.space_kw is None for r in racks):
        flags.append("no_u_space")
    covs = [r.quality.coverage for r in racks if r.quality.coverage is not None]
    coverage = _r(sum(covs) / len(covs)) if covs else None
    if coverage is not None and coverage < s.min_coverage:
        flags.append("low_coverage")
    stale = tuple(sorted({d for r in racks for d in r.quality.stale} | set(c_stale)))
    t = _with(t, power_capacity_kw=_r(power_cap), cooling_capacity_kw=_r(cooling),
              heat_load_kw=_r(heat), cooling_utilisation=_r(_div(heat, cooling)))
    daily = _add_daily(o.daily for o in outs)
    cap = RoomCapacity(
        site=site.id, room=room.id, name=room.name, totals=t,
        headroom=_headroom(s, power_h, cooling_h, space_h),
        forecast=_forecast(s, daily, inp.now, power_cap, cooling), racks=tuple(racks),
        quality=Quality(coverage, stale, tuple(dict.fromkeys(flags))),
    )
    return _RoomOut(cap, daily)


def _with(t: Totals, **kw: Any) -> Totals:
    return replace(t, **kw)


def _add_daily(parts: Iterable[Mapping[float, float]]) -> dict[float, float]:
    out: dict[float, float] = {}
    for p in parts:
        for day, w in p.items():
            out[day] = out.get(day, 0.0) + w
    return out


def _merge_totals(parts: Sequence[Totals], s: CapacitySettings) -> Totals:
    """Sum rooms (or sites); ratios are recomputed from the sums."""
    installed = sum(t.racks_installed for t in parts)
    unknown = sum(t.racks_unknown for t in parts)
    in_use = sum(t.racks_in_use for t in parts)
    known = installed - unknown
    load = _sum(t.load_kw for t in parts)
    heat = _sum(t.heat_load_kw for t in parts)
    cooling = _sum(t.cooling_capacity_kw for t in parts)
    rated = _sum(t.rated_kw for t in parts)
    return Totals(
        racks_installed=installed, racks_metered=sum(t.racks_metered for t in parts),
        racks_in_use=in_use, racks_unknown=unknown,
        occupancy=_r(in_use / known) if known else None,
        now_kw=_r(_sum(t.now_kw for t in parts)), load_kw=_r(load), rated_kw=_r(rated),
        power_capacity_kw=_r(_sum(t.power_capacity_kw for t in parts)),
        cooling_capacity_kw=_r(cooling), heat_load_kw=_r(heat),
        cooling_utilisation=_r(_div(heat, cooling)),
        utilisation=_r(_weighted_util(parts)),
        u_total=sum(t.u_total for t in parts), u_used=sum(t.u_used for t in parts),
        std_racks_measured=_r(_div(load, s.standard_rack_kw)),
        std_racks_provisioned=_r(_div(rated, s.standard_rack_kw)),
        std_racks_in_use=_r(_sum(t.std_racks_in_use for t in parts)),
        racks_failover_at_risk=sum(t.racks_failover_at_risk for t in parts),
    )


def _weighted_util(parts: Sequence[Totals]) -> float | None:
    """Load over rating of the parts that have both, weighted by rating."""
    known = [t for t in parts if t.utilisation is not None and t.rated_kw]
    if not known:
        return None
    num = sum((t.utilisation or 0.0) * (t.rated_kw or 0.0) for t in known)
    return num / sum(t.rated_kw or 0.0 for t in known)


def _sum_headroom(parts: Sequence[Headroom], s: CapacitySettings) -> Headroom:
    """Headroom of a site: the sum of its rooms' (capacity cannot move between rooms); the
    binding limit is the one with the smallest sum."""
    power = _sum(h.power_kw for h in parts)
    cooling = _sum(h.cooling_kw for h in parts)
    space = _sum(h.space_kw for h in parts)
    kw = _sum(h.kw for h in parts)
    binding, _ = _min_named([("power", power), ("cooling", cooling), ("space", space)])
    return Headroom(_r(power), _r(cooling), _r(space), _r(kw),
                    _r(_div(kw, s.standard_rack_kw)), binding)


def _site(cfg: Config, site: Any, inp: CapacityInputs,
          by_rack: Mapping[tuple[str, str, str], list[DeviceSpec]]) -> SiteCapacity:
    s = cfg.model.capacity
    outs = [_room(cfg, site, room, inp, by_rack) for room in site.rooms]
    rooms = [o.cap for o in outs]
    t = _merge_totals([r.totals for r in rooms], s)
    flags = sorted({f for r in rooms for f in r.quality.flags if f != "no_racks"})
    covs = [r.quality.coverage for r in rooms if r.quality.coverage is not None]
    return SiteCapacity(
        site=site.id, name=site.name, totals=t,
        headroom=_sum_headroom([r.headroom for r in rooms], s),
        forecast=_forecast(s, _add_daily(o.daily for o in outs), inp.now,
                           t.power_capacity_kw, t.cooling_capacity_kw),
        rooms=tuple(rooms),
        quality=Quality(_r(sum(covs) / len(covs)) if covs else None,
                        tuple(sorted({d for r in rooms for d in r.quality.stale})),
                        tuple(flags)),
    )


def compute_capacity(cfg: Config, inp: CapacityInputs, site: str | None = None
                     ) -> CityCapacity:
    """Capacity of every site (or one), and the city's standard racks against its goal."""
    s = cfg.model.capacity
    by_rack: dict[tuple[str, str, str], list[DeviceSpec]] = {}
    for d in cfg.devices:  # indexed once: a city has thousands of racks
        if d.rack:
            by_rack.setdefault((d.site, d.room, d.rack), []).append(d)
    sites = tuple(_site(cfg, st, inp, by_rack) for st in cfg.model.sites
                  if site in (None, st.id))
    t = _merge_totals([x.totals for x in sites], s)
    in_use = t.std_racks_in_use or 0.0
    return CityCapacity(
        computed=inp.now,
        settings=CitySettings(s.standard_rack_kw, s.derating, s.in_use_threshold_kw, s.basis,
                              s.history_days, s.percentile, s.city_goal_racks),
        std_racks_in_use=round(in_use, 6), std_racks_measured=t.std_racks_measured or 0.0,
        std_racks_provisioned=t.std_racks_provisioned or 0.0, goal_racks=s.city_goal_racks,
        goal_ratio=round(in_use / s.city_goal_racks, 6), totals=t, sites=sites,
        quality=Quality(None, tuple(sorted({d for x in sites for d in x.quality.stale})),
                        tuple(sorted({f for x in sites for f in x.quality.flags}))),
    )
