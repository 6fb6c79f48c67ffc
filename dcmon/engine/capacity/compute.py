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
from dataclasses import dataclass, replace
from typing import Any

from dcmon.config.capacity import CapacitySettings
from dcmon.config.resolved import Config, DeviceSpec
from dcmon.engine.capacity.history import DAY, fit_line
from dcmon.engine.capacity.model import (
    CityCapacity,
    CitySettings,
    DailyPeak,
    Forecast,
    Headroom,
    Quality,
    RackCapacity,
    RoomCapacity,
    SiteCapacity,
    Totals,
)
from dcmon.engine.capacity.rack import (
    CapacityInputs,
    _div,
    _headroom,
    _min_known,
    _min_named,
    _r,
    _rack,
    _sum,
    watts_rows,
)

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
        rs = inp.fresh(u.device, watts_rows)
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
                               "are needed", daily=peaks, reason_code="few_points",
                        reason_args={"points": len(points), "needed": s.forecast_min_points})
    fit = fit_line(points)
    if fit is None:
        return Forecast("insufficient_data", len(points), reason="no spread in time",
                        daily=peaks, reason_code="no_spread")
    base = Forecast("ok", fit.n, _r(fit.slope), _r(fit.intercept), _r(fit.r2), _r(limit),
                    limit_name, daily=peaks)
    if limit is None:
        return _replace(base, status="no_limit", reason="no power or cooling capacity known",
                        reason_code="no_limit")
    if fit.intercept >= limit:
        return _replace(base, status="full", days_until_full=0.0,
                        reason=f"the trend is at or above the {limit_name} limit now",
                        reason_code="trend_at_limit", reason_args={"limit": limit_name or ""})
    if fit.slope <= 0:
        return _replace(base, status="not_growing", reason="daily peaks are not rising",
                        reason_code="not_growing")
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
