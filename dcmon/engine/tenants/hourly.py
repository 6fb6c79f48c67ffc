"""The hourly energy a statement is built from: the site's IT and facility energy, each
tenant's racks' IT energy, and the unassigned rest, hour by hour from the store.

The meters are the ones PUE uses (:func:`dcmon.engine.pue.select_series` over the site's
topology), so a statement's site total is the PUE window's facility energy. A rack's IT
energy is that of its devices that are IT meters of the site (with ``it: racks``, all of
them): a tenant's energy is then always part of the site's IT energy, and the unassigned line
is the rest of it (racks without a tenant, and IT meters outside any rack).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from dcmon.config.inventory import Site
from dcmon.config.resolved import Config
from dcmon.config.tenants import UNASSIGNED
from dcmon.config.topology import MeterRef
from dcmon.engine.energy import Series
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.pue import by_device, select_series

#: Joules per kWh.
KWH_J = 3.6e6


@dataclass
class SiteHours:
    """Energy (J) per hour start: the site's facility and IT, and IT per line (tenant id or
    ``unassigned``), plus the racks of each line and the tenants whose racks have no IT
    meter."""

    facility: dict[float, float] = field(default_factory=dict)
    it: dict[float, float] = field(default_factory=dict)
    lines: dict[str, dict[float, float]] = field(default_factory=dict)
    racks: dict[str, list[str]] = field(default_factory=dict)
    unmetered: list[str] = field(default_factory=list)

    def hours(self) -> list[float]:
        return sorted(set(self.facility) | set(self.it))


def _sum_hours(engine: EnergyEngine, series: dict[str, list[Series]], refs: list[MeterRef],
               start: float, end: float) -> dict[float, float]:
    out: dict[float, float] = defaultdict(float)
    for ref in refs:
        for s in select_series(series.get(ref.device, []), ref):
            for hour, bucket in engine.store.hourly(s.key, start, end):
                out[hour] += bucket.energy_j
    return dict(out)


def _merge(parts: list[dict[float, float]]) -> dict[float, float]:
    out: dict[float, float] = defaultdict(float)
    for part in parts:
        for hour, joules in part.items():
            out[hour] += joules
    return dict(out)


def site_hours(config: Config, engine: EnergyEngine, site: Site, start: float, end: float
               ) -> SiteHours:
    """The hourly energy of ``site`` in [start, end) (its topology must be set)."""
    assert site.energy is not None
    meters = config.meters(site.id)
    # Each IT meter read once: the site's IT sum and the tenants' are made of the same hours.
    series = by_device(list(engine.series.values()))
    it_refs = [_sum_hours(engine, series, [ref], start, end) for ref in meters["it"]]
    out = SiteHours(it=_merge(it_refs))
    if meters["facility"]:
        out.facility = _sum_hours(engine, series, meters["facility"], start, end)
    else:
        extra = _sum_hours(engine, series, meters["facility_components"], start,
                           end)
        out.facility = {h: out.it.get(h, 0.0) + extra.get(h, 0.0)
                        for h in set(out.it) | set(extra)}
    refs: dict[str, list[dict[float, float]]] = {t.id: [] for t in config.model.tenants}
    out.racks = {t.id: [] for t in config.model.tenants}
    out.racks[UNASSIGNED] = []
    tenant_of: dict[tuple[str, str], str] = {}
    for room in site.rooms:
        for rack in room.racks:
            out.racks[rack.tenant or UNASSIGNED].append(f"{room.id}/{rack.id}")
            if rack.tenant is not None:
                tenant_of[(room.id, rack.id)] = rack.tenant
    # IT meters of the site that sit in a tenant's rack (all its devices with it: racks).
    place = {d.id: (d.room, d.rack) for d in config.devices if d.site == site.id and d.rack}
    for ref, hours in zip(meters["it"], it_refs, strict=True):
        tenant = tenant_of.get(place.get(ref.device, ("", "")))
        if tenant is not None:
            refs[tenant].append(hours)
    for tenant, own in refs.items():
        if out.racks[tenant] and not own:
            out.unmetered.append(tenant)
        out.lines[tenant] = _merge(own)
    rest: dict[float, float] = {}
    for hour, joules in out.it.items():
        rest[hour] = joules - sum(line.get(hour, 0.0) for line in out.lines.values())
    out.lines[UNASSIGNED] = rest
    return out
