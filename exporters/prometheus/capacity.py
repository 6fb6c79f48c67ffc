"""Prometheus exposition of capacity: racks, feeds, rooms, sites and the city's standard racks.

Reads the ResultsHub's latest capacity (computed on its schedule), never the store or a
device, so a scrape is cheap and tells the numbers the API and the report tell. Base units
(watts, ratio, seconds) and the ``dcmon_`` prefix, as ``promtool check metrics`` expects. A
figure that could not be measured is absent, never 0 (an unmetered rack must not look empty);
``dcmon_rack_metered`` and ``dcmon_rack_stale_inputs`` say why.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.engine.capacity.model import CityCapacity, Forecast, Headroom, Quality, Totals
from dcmon.engine.results import ResultsHub
from dcmon.pace import pace

DAY_S = 86400.0


def _kw(v: float | None) -> float | None:
    return None if v is None else v * 1000.0


class _Families:
    """Metric families created on first use, yielded in creation order."""

    def __init__(self) -> None:
        self._f: dict[str, GaugeMetricFamily] = {}

    def add(self, name: str, doc: str, labels: list[str], values: list[str],
            value: float | None) -> None:
        if value is None:
            return
        fam = self._f.get(name)
        if fam is None:
            fam = self._f[name] = GaugeMetricFamily(name, doc, labels=labels)
        fam.add_metric(values, float(value))

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._f.values())


class CapacityCollector(Collector):
    """Capacity figures from ``hub.latest.capacity``; nothing before the first computation."""

    def __init__(self, hub: ResultsHub) -> None:
        self.hub = hub

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        cap = self.hub.latest.capacity
        if cap is None:
            return iter(())
        f = _Families()
        _racks(f, cap)
        for site in cap.sites:
            for room in site.rooms:
                _area(f, "room", ["site", "room"], [site.site, room.room], room.totals,
                      room.headroom, room.forecast, room.quality)
            _area(f, "site", ["site"], [site.site], site.totals, site.headroom, site.forecast,
                  site.quality)
        _city(f, cap)
        return iter(f)


def _racks(f: _Families, cap: CityCapacity) -> None:
    lab = ["site", "room", "rack"]
    for site in cap.sites:
        for room in site.rooms:
            for r in room.racks:
                pace()  # a rack is a small step of the results job (dcmon.pace)
                v = [r.site, r.room, r.rack]
                f.add("dcmon_rack_metered", "1 if the rack has power metering (0: flagged, "
                      "left out of sums, not counted as empty)", lab, v, float(r.metered))
                for stat, kw in (("now", r.now_kw), ("p95", r.p95_kw), ("peak", r.peak_kw),
                                 ("load", r.load_kw)):
                    f.add("dcmon_rack_power_watts", "Rack power: now, history percentile and "
                          "peak, and the load capacity uses (stat=load)", [*lab, "stat"],
                          [*v, stat], _kw(kw))
                f.add("dcmon_rack_rated_power_watts", "Provisioned (rated) rack power", lab, v,
                      _kw(r.rated_kw))
                f.add("dcmon_rack_usable_power_watts", "What the rack can carry: its rating, "
                      "and no more than one derated feed", lab, v, _kw(r.usable_kw))
                f.add("dcmon_rack_utilisation_ratio", "Rack load / rated power", lab, v,
                      r.utilisation)
                f.add("dcmon_rack_space_units", "Rack U space", [*lab, "state"],
                      [*v, "total"], r.u_total)
                f.add("dcmon_rack_space_units", "Rack U space", [*lab, "state"], [*v, "used"],
                      r.u_used)
                for kind, n in (("measured", r.std_racks_measured),
                                ("provisioned", r.std_racks_provisioned)):
                    f.add("dcmon_rack_standard_racks", "Standard racks (kW / standard_rack_kw)",
                          [*lab, "kind"], [*v, kind], n)
                f.add("dcmon_rack_in_use", "1 if the rack's load is above the in-use "
                      "threshold", lab, v, None if r.in_use is None else float(r.in_use))
                _headroom(f, "rack", lab, v, r.headroom)
                _quality(f, "rack", lab, v, r.quality)
                if r.failover.checked:
                    f.add("dcmon_rack_failover_ratio", "(A + B) / the surviving feed's derated "
                          "rating: above 1 a feed failure trips the other", [*lab, "basis"],
                          [*v, r.failover.basis or ""], r.failover.ratio)
                    f.add("dcmon_rack_failover_ok", "1 if either feed can carry the rack "
                          "alone within its derated rating", lab, v,
                          None if r.failover.ok is None else float(r.failover.ok))
                for fd in r.feeds:
                    fl, fv = [*lab, "feed"], [*v, fd.feed]
                    f.add("dcmon_feed_current_amperes", "Feed current now (highest phase)",
                          fl, fv, fd.current_a)
                    f.add("dcmon_feed_power_watts", "Feed power now", fl, fv, _kw(fd.power_kw))
                    f.add("dcmon_feed_derated_current_amperes", "Breaker rating x derating",
                          fl, fv, fd.derated_a)
                    f.add("dcmon_feed_derated_power_watts", "Rated feed power x derating", fl,
                          fv, _kw(fd.derated_kw))
                    for basis, u in (("current", fd.current_utilisation),
                                     ("power", fd.power_utilisation)):
                        f.add("dcmon_feed_utilisation_ratio", "Feed load / its derated rating",
                              [*fl, "basis"], [*fv, basis], u)


def _headroom(f: _Families, kind: str, lab: list[str], v: list[str], h: Headroom) -> None:
    for limit, kw in (("power", h.power_kw), ("cooling", h.cooling_kw), ("space", h.space_kw),
                      ("overall", h.kw)):
        f.add(f"dcmon_{kind}_headroom_watts", "Power that can still be added, per limit; "
              "overall is the smallest", [*lab, "limit"], [*v, limit], _kw(kw))
    f.add(f"dcmon_{kind}_headroom_standard_racks", "Overall headroom in standard racks", lab, v,
          h.std_racks)
    if h.binding is not None:
        f.add(f"dcmon_{kind}_headroom_binding", "1 for the limit that binds the headroom",
              [*lab, "limit"], [*v, h.binding], 1.0)


def _quality(f: _Families, kind: str, lab: list[str], v: list[str], q: Quality) -> None:
    f.add(f"dcmon_{kind}_history_coverage_ratio", "Share of the history window's meter-hours "
          "present", lab, v, q.coverage)
    f.add(f"dcmon_{kind}_stale_inputs", "Devices whose latest reading is missing or stale", lab,
          v, float(len(q.stale)))


def _area(f: _Families, kind: str, lab: list[str], v: list[str], t: Totals, h: Headroom,
          fc: Forecast, q: Quality) -> None:
    """Rooms and sites share their figures; only the prefix differs."""
    for state, count in (("installed", t.racks_installed), ("metered", t.racks_metered),
                         ("in_use", t.racks_in_use), ("unknown", t.racks_unknown)):
        f.add(f"dcmon_{kind}_racks", "Racks by state (unknown: unmetered)", [*lab, "state"],
              [*v, state], float(count))
    f.add(f"dcmon_{kind}_occupancy_ratio", "Racks in use / racks whose state is known (上架率)",
          lab, v, t.occupancy)
    for stat, kw in (("now", t.now_kw), ("load", t.load_kw)):
        f.add(f"dcmon_{kind}_power_watts", "IT power of metered racks: now, and the load "
              "capacity uses", [*lab, "stat"], [*v, stat], _kw(kw))
    f.add(f"dcmon_{kind}_power_capacity_watts", "Power capacity", lab, v,
          _kw(t.power_capacity_kw))
    f.add(f"dcmon_{kind}_cooling_capacity_watts", "Cooling capacity", lab, v,
          _kw(t.cooling_capacity_kw))
    f.add(f"dcmon_{kind}_heat_load_watts", "Heat load (IT power)", lab, v, _kw(t.heat_load_kw))
    for skind, n in (("in_use", t.std_racks_in_use), ("measured", t.std_racks_measured),
                     ("provisioned", t.std_racks_provisioned)):
        f.add(f"dcmon_{kind}_standard_racks", "Standard racks", [*lab, "kind"], [*v, skind], n)
    f.add(f"dcmon_{kind}_failover_risk_racks", "Racks whose surviving feed would exceed its "
          "derated rating", lab, v, float(t.racks_failover_at_risk))
    _headroom(f, kind, lab, v, h)
    _quality(f, kind, lab, v, q)
    if fc.days_until_full is not None:
        f.add(f"dcmon_{kind}_time_until_full_seconds", "Forecast time until the load trend "
              "reaches the power (or cooling) limit", lab, v, fc.days_until_full * DAY_S)
    f.add(f"dcmon_{kind}_forecast_fit_r2", "R² of the daily-peak trend line", lab, v, fc.r2)


def _city(f: _Families, cap: CityCapacity) -> None:
    for kind, n in (("in_use", cap.std_racks_in_use), ("measured", cap.std_racks_measured),
                    ("provisioned", cap.std_racks_provisioned)):
        f.add("dcmon_city_standard_racks", "Standard racks across all sites", ["kind"], [kind],
              n)
    f.add("dcmon_city_standard_racks_goal", "The city's goal of standard racks in use", [], [],
          float(cap.goal_racks))
    f.add("dcmon_city_standard_racks_goal_ratio", "Standard racks in use / the goal", [], [],
          cap.goal_ratio)
