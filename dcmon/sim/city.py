"""The simulated city: a new municipal data centre, an older one, and two edge rooms.

What a new user sees in ``dcmon demo`` and what the docker-compose stack polls:

* ``muni-new``: the new government-cloud build, judged against the city's PUE <= 1.3. Its
  chiller plant is sized for full build-out and runs inefficiently at today's load, so its
  energy PUE sits around 1.33-1.37: it breaches its ceiling, and the demo's alert fires.
  It also carries the scripted faults: a PDU counter that wraps, one a user resets, one PDU that
  dies for ten simulated minutes.
* ``muni-old``: a 2012 data centre in the legacy class (ceiling 1.5), running ~1.42-1.46.
* ``edge-hospital`` and ``edge-school``: small rooms with split air-conditioning, in the edge
  class (report-only pPUE, no ceiling; GB 40879 leaves out DCs of <= 100 standard racks).

For carbon and water (docs/carbon.md): the school has 1.5 kWp of PV on its roof, behind the
incomer and on its own meter (a renewable source, so REF > 0 in daylight), and the new build's
cooling tower has a make-up water meter (WUE).

All sites share one clock and one weather (cooling follows load and outdoor temperature), each
site's devices are separate agents on consecutive ports, and :meth:`SimulatedCity.expected_pue`
gives each site's true PUE from the simulator's own model, so tests can hold dcmon to it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from dcmon.sim.capacity import rate_site
from dcmon.sim.physics import Plant, SimClock, Weather
from dcmon.sim.site import COMMUNITY, SimulatedSite

#: Ports reserved per site when the city binds fixed ports (``--base-port``).
PORTS_PER_SITE = 20



@dataclass(frozen=True)
class SiteSpec:
    """One simulated site: its size, its plant, and how dcmon should judge it."""

    id: str
    name: str
    prefix: str
    racks: int
    rack_kw: float
    plant: Plant
    policy: dict[str, Any]
    inrow: int = 0
    chiller_meter: bool = False
    ups: bool = True
    events: bool = False
    #: Design IT load (kW); None: racks × rack_kw.
    design_it_kw: float | None = None
    #: Capacity ratings (docs/capacity.md): rack rating, feed breaker, room cooling.
    rated_kw: float = 8.0
    breaker_a: float = 32.0
    cooling_kw: float = 50.0
    #: On-site PV (kW peak) and cooling-tower make-up water (L/kWh of heat): docs/carbon.md.
    pv_kw: float = 0.0
    tower_l_per_kwh: float = 0.0


def city_sites(start: float) -> tuple[SiteSpec, ...]:
    """The four sites. ``start`` (simulated) dates the new build's commissioning."""
    commissioned = (datetime.fromtimestamp(start, UTC) - timedelta(days=240)).date().isoformat()
    return (
        # Built for 60 kW of IT, half of it in use eight months after commissioning.
        SiteSpec("muni-new", "Municipal government cloud (new build)", "new-", racks=6,
                 rack_kw=5.0, inrow=2, chiller_meter=True, events=True, design_it_kw=60.0,
                 tower_l_per_kwh=1.8,
                 plant=Plant(loss_fraction=0.08, fixed_w=2000, cop_ref=5.5, cop_per_c=0.12),
                 policy={"class": "new_large", "commissioned": commissioned}),
        SiteSpec("muni-old", "City data centre (2012)", "old-", racks=4, rack_kw=5.0, inrow=1,
                 chiller_meter=True, cooling_kw=30.0,
                 plant=Plant(loss_fraction=0.10, fixed_w=1500, cop_ref=4.5, cop_per_c=0.10),
                 policy={"class": "legacy", "commissioned": "2012-06-01"}),
        SiteSpec("edge-hospital", "People's Hospital edge room", "hosp-", racks=2, rack_kw=3.0,
                 rated_kw=5.0, breaker_a=20.0, cooling_kw=10.0,
                 plant=Plant(loss_fraction=0.10, fixed_w=500, cop_ref=3.0, cop_per_c=0.08),
                 policy={"class": "edge"}),
        SiteSpec("edge-school", "No. 1 Middle School edge room", "school-", racks=1,
                 rack_kw=2.5, ups=False, rated_kw=4.0, breaker_a=16.0, cooling_kw=5.0,
                 pv_kw=1.5,
                 plant=Plant(loss_fraction=0.10, fixed_w=300, cop_ref=2.8, cop_per_c=0.08),
                 policy={"class": "edge"}),
    )


def aligned_start(wall: float, speed: float) -> float:
    """Where simulated time starts: now at real-time speed; when accelerated, at the start of
    the current hour, so the first complete hour (a 1-hour PUE window) closes 3600 / speed wall
    seconds after start and holds data from its first minute (no partial hour before it, whose
    thin coverage would only produce an unconfirmed, biased ratio)."""
    if speed == 1:
        return wall
    return math.floor(wall / 3600) * 3600


@dataclass
class SimulatedCity:
    """The city's sites on one clock; ``inventory()`` is the dcmon config that monitors it."""

    speed: float = 1.0
    events: bool = False
    host: str = "127.0.0.1"
    base_port: int | None = None
    weather: Weather = field(default_factory=Weather)
    start_at: float | None = None
    clock: SimClock = field(init=False)
    sites: dict[str, SimulatedSite] = field(default_factory=dict)
    specs: tuple[SiteSpec, ...] = field(init=False)

    def __post_init__(self) -> None:
        start = self.start_at if self.start_at is not None else aligned_start(time.time(),
                                                                               self.speed)
        self.clock = SimClock(start, self.speed)
        self.specs = city_sites(start)

    async def start(self) -> None:
        for k, spec in enumerate(self.specs):
            site = SimulatedSite(
                racks=spec.racks, rack_kw=spec.rack_kw, speed=self.speed, site_id=spec.id,
                name=spec.name, prefix=spec.prefix, plant=spec.plant, weather=self.weather,
                inrow=spec.inrow, chiller_meter=spec.chiller_meter, ups=spec.ups,
                events=self.events and spec.events, host=self.host,
                base_port=None if self.base_port is None else self.base_port
                + k * PORTS_PER_SITE,
                site_extra={"policy": spec.policy}, shared_clock=self.clock,
                design_it_kw=spec.design_it_kw, pv_kw=spec.pv_kw,
                tower_l_per_kwh=spec.tower_l_per_kwh)
            await site.start()
            self.sites[spec.id] = site

    async def stop(self) -> None:
        for site in self.sites.values():
            await site.stop()

    @property
    def log(self) -> list[str]:
        return [e for site in self.sites.values() for e in site.log]

    def device_count(self) -> tuple[int, int]:
        """(SNMP agents, Modbus units)."""
        snmp = sum(len(s.devices) for s in self.sites.values())
        modbus = sum(len(s.modbus.context.units) for s in self.sites.values())
        return snmp, modbus

    def expected_pue(self, site: str, t0: float, t1: float) -> float:
        return self.sites[site].expected_pue(t0, t1)

    def inventory(self, *, interval: float = 60.0, listen: str = "127.0.0.1:9630",
                  address: str = "127.0.0.1") -> dict[str, Any]:
        """Every site in one inventory, with capacity ratings (docs/capacity.md)."""
        sites = [rate_site(self.sites[spec.id].site_inventory(address=address),
                           rated_kw=spec.rated_kw, breaker_a=spec.breaker_a,
                           cooling_kw=spec.cooling_kw) for spec in self.specs]
        return {
            "poll": {"interval": interval, "timeout": 1.0, "retries": 1},
            "credentials": {"sim": {"version": "2c", "community": COMMUNITY}},
            "sites": sites,
            "exporters": {"prometheus": {"listen": listen}},
        }
