"""The engine's results as line protocol: PUE windows and monotonic lifetime energy.

Raw readings alone make poor long-term history for energy: device counters wrap, get reset by
users and read false zeros, so a year of ``energy`` points cannot simply be differenced. The
engine has already booked them into monotonic accounts and PUE windows; these lines carry that
booking, so InfluxDB holds figures that are correct over any span:

* ``pue``: one point per site, window (and zone), stamped with the window's **end**, so the
  minute-by-minute recomputation of the same window overwrites one point (idempotent), and the
  rolling 1 h window leaves an hourly PUE series behind. Fields: ``value`` (absent while
  withheld), ``status_code`` (0 ok, 1 withheld, 2 metering fault), ``coverage``,
  ``facility_kwh``, ``it_kwh``, ``it_load`` (share of design IT load, when known).
* ``energy_total``: every meter series' lifetime joules (``value``, ``unit=J``) with its
  ``wraps`` and ``resets`` counts, stamped with the computation time.
* ``site_energy_total``: each site's lifetime facility and IT joules (``facility_j``, ``it_j``),
  and where the site lists them its renewable and generator joules and water m3.
* ``site_carbon`` and ``site_water``: CUE (location and market based), REF, CO2, energy by
  source and the grid factor; WUE and water (docs/carbon.md), per site and window, stamped
  with the window's end like ``pue``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

from influxdb_client.client.write.point import Point

from dcmon.engine.results import Results
from dcmon.exporters.influx.lineproto import Place, tag_name, timestamp, wire_precision

#: The dashboards' status numbers (exporters/grafana/kit.py), so both read alike.
STATUS_CODE = {"ok": 0, "withheld": 1, "metering_fault": 2}


def _line(measurement: str, tags: Mapping[str, str], fields: Mapping[str, float | int],
          ts: float, precision: str) -> str | None:
    clean = {k: v for k, v in tags.items() if v}
    ok = {k: v for k, v in fields.items()
          if isinstance(v, int) or math.isfinite(v)}
    if not ok:
        return None
    point = Point.from_dict({"measurement": measurement, "tags": clean, "fields": ok,
                             "time": timestamp(ts, precision)},
                            write_precision=wire_precision(precision))
    line = point.to_line_protocol()
    return str(line) if line else None


def result_lines(res: Results, places: Mapping[str, Place], precision: str = "ms"
                 ) -> Iterator[str]:
    """Lines for one set of results (nothing before the first computation)."""
    if res.computed == 0:
        return
    for r in res.pue:
        fields: dict[str, float | int] = {
            "status_code": STATUS_CODE.get(r.status, 1), "coverage": float(r.coverage),
            "facility_kwh": float(r.facility_kwh), "it_kwh": float(r.it_kwh)}
        if r.value is not None:
            fields["value"] = float(r.value)
        if r.it_load_fraction is not None:
            fields["it_load"] = float(r.it_load_fraction)
        line = _line("pue", {"site": r.site, "window": r.window, "zone": r.zone or "",
                             "kind": r.kind, "category": r.category_label}, fields, r.end,
                     precision)
        if line:
            yield line
    unknown = Place("")
    for m in res.meters:
        place = places.get(m.device, unknown)
        tags = {"site": place.site, "room": place.room, "rack": place.rack,
                "device": m.device, "metric": m.metric, "unit": "J",
                **{tag_name(k): v for k, v in m.labels.items() if k != "metric"}}
        line = _line("energy_total", tags, {"value": float(m.lifetime_j), "wraps": m.wraps,
                                            "resets": m.resets}, res.computed, precision)
        if line:
            yield line
    for e in res.energy:
        extra = {k: float(v) for k, v in (("renewable_j", e.renewable_j),
                                          ("generator_j", e.generator_j),
                                          ("water_m3", e.water_m3)) if v is not None}
        line = _line("site_energy_total", {"site": e.site, "unit": "J"},
                     {"facility_j": float(e.facility_j), "it_j": float(e.it_j), **extra},
                     res.computed, precision)
        if line:
            yield line
    yield from carbon_lines(res, precision)


def carbon_lines(res: Results, precision: str) -> Iterator[str]:
    """``site_carbon`` and ``site_water`` points: one per site and window, at the window's
    end (a recomputation overwrites it); a withheld figure's value fields are absent."""
    for c in res.carbon:
        fields: dict[str, float | int] = {
            "status_code": STATUS_CODE.get(c.status, 1), "coverage": float(c.coverage),
            "it_kwh": c.it_kwh, "facility_kwh": c.facility_kwh, "grid_kwh": c.grid_kwh,
            "renewable_kwh": c.renewable_kwh, "generator_kwh": c.generator_kwh,
            "certificate_kwh": c.certificate_used_kwh, "diesel_litres": c.diesel_litres,
            "co2_kg": c.co2_kg, "co2_market_kg": c.co2_market_kg,
            "grid_factor": c.grid_factor}
        for name, v in (("cue", c.cue), ("cue_market", c.cue_market), ("ref", c.ref)):
            if v is not None:
                fields[name] = float(v)
        line = _line("site_carbon", {"site": c.site, "window": c.window}, fields, c.end,
                     precision)
        if line:
            yield line
    for w in res.water:
        wf: dict[str, float | int] = {"status_code": STATUS_CODE.get(w.status, 1),
                                      "coverage": float(w.coverage), "water_m3": w.water_m3,
                                      "it_kwh": w.it_kwh}
        if w.wue is not None:
            wf["wue"] = float(w.wue)
        line = _line("site_water", {"site": w.site, "window": w.window}, wf, w.end, precision)
        if line:
            yield line
