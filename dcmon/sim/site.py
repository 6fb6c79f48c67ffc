"""A small simulated site on 127.0.0.1: rack PDUs on A/B feeds and a UPS, one agent each.

Each device is its own UDP agent on its own port, as on a real network, so one can die
(``kill``) while the others answer. ``inventory()`` returns the dcmon config that monitors it.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from typing import Any

from dcmon.sim.agent import OidStore, SnmpAgent
from dcmon.sim.devices import Meter, apc_inrow_rc, apc_rpdu2, ups_mib
from dcmon.sim.modbus_server import Registers, SimModbusServer, sdm630, water_meter
from dcmon.sim.physics import DAY_S, Integrated, LoadCurve, Plant, PowerCurve, SimClock, Weather

COMMUNITY = "dcmon-sim"
#: The simulated city's solar day is China Standard Time's.
PV_UTC_OFFSET_S = 8 * 3600
#: The scripted events' devices (need at least 3 racks; fewer racks skip the missing ones).
WRAPPING_PDU = "pdu-r02-a"
RESET_PDU = "pdu-r03-b"
DYING_PDU = "pdu-r01-b"


@dataclass
class SimDevice:
    id: str
    profile: str
    rack: str
    feed: str | None
    meter: Meter
    agent: SnmpAgent
    port: int = 0


@dataclass
class SimulatedSite:
    """The demo site: ``racks`` racks with A/B PDUs, and one UPS feeding them."""

    racks: int = 4
    rack_kw: float = 4.0
    speed: float = 1.0
    #: Facility power / IT power of the simulated incomer (when ``plant`` is not given).
    pue: float = 1.32
    #: Site id and name in the inventory; ``prefix`` goes before every device id so several
    #: sites can share one inventory (a city).
    site_id: str = "demo-dc"
    name: str = "Demo municipal data centre"
    prefix: str = ""
    #: Facility model: losses, fixed loads and cooling that follows load and outdoor
    #: temperature. None: the incomer draws ``pue`` × IT (a constant ratio).
    plant: Plant | None = None
    weather: Weather = field(default_factory=Weather)
    #: APC InRow RC units sharing the room's heat (SNMP), and a Modbus meter on the chiller.
    inrow: int = 0
    chiller_meter: bool = False
    ups: bool = True
    #: The site's design IT load (kW) in the inventory; None: racks × rack_kw.
    design_it_kw: float | None = None
    #: On-site PV (kW peak) behind the incomer, on its own meter (Modbus unit 3), and the
    #: cooling tower's make-up water (litres per kWh of heat rejected) on a water meter
    #: (unit 4, a litre register): the carbon section's renewable and water meters
    #: (docs/carbon.md). 0: none.
    pv_kw: float = 0.0
    tower_l_per_kwh: float = 0.0
    #: Extra inventory keys for the site (policy, ...).
    site_extra: dict[str, Any] = field(default_factory=dict)
    #: A shared clock (a city's sites run on one); None: a new clock at ``speed``.
    shared_clock: SimClock | None = None
    #: Scripted events (simulated seconds after start): one PDU's counter wraps, a user resets
    #: another's, one PDU dies and comes back. Off by default (exact-value tests); the demo
    #: and ``dcmon simulate`` turn them on.
    events: bool = False
    reset_at_s: float = 20 * 60
    die_at_s: float = 30 * 60
    down_for_s: float = 10 * 60
    #: Address the agents bind (127.0.0.1; 0.0.0.0 inside a container) and, when set, the
    #: first of consecutive ports (SNMP agents in order, then the Modbus server).
    host: str = "127.0.0.1"
    base_port: int | None = None
    clock: SimClock = field(init=False)
    devices: dict[str, SimDevice] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.clock = self.shared_clock or SimClock(time.time(), self.speed)
        self._events_task: asyncio.Task[None] | None = None
        self.it_curve = LoadCurve(self.it_base_w())
        self.facility_curve: PowerCurve = self.it_curve
        self.chiller: Meter | None = None

    def rack_w(self, i: int) -> float:
        """Mean power of rack ``i`` (1-based): racks further down the row carry more."""
        return self.rack_kw * 1000 * (0.6 + 0.1 * i)

    def it_base_w(self) -> float:
        return sum(self.rack_w(i) for i in range(1, self.racks + 1))

    def outdoor_c(self) -> float:
        return self.weather.temperature(self.clock.now())

    def expected_pue(self, t0: float, t1: float) -> float:
        """The site's true energy PUE between two simulated times, from its own model:
        facility energy over IT energy (IT = the rack PDUs' outputs, category 2)."""
        return self.facility_curve.energy(t0, t1) / self.it_curve.energy(t0, t1)

    async def start(self) -> None:
        for i in range(1, self.racks + 1):
            rack = f"r{i:02d}"
            rack_w = self.rack_w(i)
            for feed in ("A", "B"):
                # The feeds share the rack load; A carries a little more (as in real racks).
                share = 0.52 if feed == "A" else 0.48
                dev_id = f"{self.prefix}pdu-{rack}-{feed.lower()}"
                meter = Meter(LoadCurve(rack_w * share), self.clock, joules_per_count=360_000,
                              initial_counts=1_000 * i)
                if self.events and dev_id == self.prefix + WRAPPING_PDU:
                    # rPDU2DeviceStatusEnergy is an INTEGER: this counter is 3 counts (0.3 kWh)
                    # below the top and restarts from 0 within minutes (simulated).
                    meter.modulus = 2**31 - 1
                    meter.initial_counts = meter.modulus - 3
                store = apc_rpdu2(meter, name=dev_id)
                await self._add(SimDevice(dev_id, "apc_rpdu2", rack, feed, meter,
                                          SnmpAgent({COMMUNITY: OidStore(store)}, host=self.host)))
        total_w = self.it_base_w()
        if self.ups:
            ups_meter = Meter(LoadCurve(total_w), self.clock, joules_per_count=1.0)
            await self._add(SimDevice(f"{self.prefix}ups-1", "ups_mib", "", None, ups_meter,
                                      SnmpAgent({COMMUNITY: OidStore(ups_mib(
                                          ups_meter, model="SimUPS 20k"))}, host=self.host)))
        # Without a plant, the incomer draws ``pue`` × IT: losses of pue - 1, no cooling model.
        plant = self.plant or Plant(loss_fraction=self.pue - 1)
        it, weather = self.it_curve, self.weather
        self.facility_curve = Integrated(
            lambda t: plant.facility_w(it.power(t), weather.temperature(t)), self.clock.start)
        if self.chiller_meter:
            cooling = Integrated(
                lambda t: plant.cooling_w(it.power(t), weather.temperature(t)), self.clock.start)
            self.chiller = Meter(cooling, self.clock, joules_per_count=3.6e6,
                                 initial_counts=40_000)
        heat, loss = self.it_curve, plant.loss_fraction
        for n in range(1, self.inrow + 1):
            def heat_w(n: int = n) -> float:
                return heat.power(self.clock.now()) * (1 + loss) / self.inrow
            dev_id = f"{self.prefix}inrow-{n}"
            await self._add(SimDevice(dev_id, "apc_cooling", "", None,
                                      Meter(heat, self.clock, joules_per_count=1.0),
                                      SnmpAgent({COMMUNITY: OidStore(apc_inrow_rc(
                                          heat_w, self.outdoor_c, name=dev_id))},
                                          host=self.host)))
        # The utility incomer: IT plus cooling and losses, less what the PV makes, on a Modbus
        # meter (unit 1); the chiller's own meter is unit 2 behind the same gateway.
        units = self._extra_meters()
        self.incomer = Meter(self.grid_curve, self.clock, joules_per_count=3.6e6,
                             initial_counts=120_000)
        units[1] = sdm630(self.incomer.power, lambda: self.incomer.energy_j() / 3.6e6)
        if self.chiller is not None:
            chiller = self.chiller
            units[2] = sdm630(chiller.power, lambda: chiller.energy_j() / 3.6e6)
        self.modbus = SimModbusServer(units, host=self.host)
        self.modbus_port = await self.modbus.start(self._next_port())
        if self.events:
            self._events_task = asyncio.create_task(self._run_events())

    def pv_w(self, t: float) -> float:
        """PV output: a half sine from 06:00 to 18:00 China Standard Time (UTC+8, the city's
        sun), ``pv_kw`` at noon."""
        h = ((t + PV_UTC_OFFSET_S) % DAY_S) / 3600.0
        return self.pv_kw * 1000 * max(0.0, math.sin(math.pi * (h - 6.0) / 12.0))

    def _extra_meters(self) -> dict[int, Registers]:
        """PV (unit 3) and cooling-tower water (unit 4) meters, when the site has them; sets
        ``grid_curve``, what the incomer draws (facility power less PV)."""
        facility = self.facility_curve
        self.grid_curve: PowerCurve = facility
        units: dict[int, Registers] = {}
        if self.pv_kw:
            self.pv = Meter(Integrated(self.pv_w, self.clock.start), self.clock,
                            joules_per_count=3.6e6, initial_counts=2_000)
            self.grid_curve = Integrated(lambda t: max(0.0, facility.power(t) - self.pv_w(t)),
                                         self.clock.start)
            units[3] = sdm630(self.pv.power, lambda: self.pv.energy_j() / 3.6e6)
        if self.tower_l_per_kwh:
            it, loss, per_j = self.it_curve, (self.plant or Plant()).loss_fraction, \
                self.tower_l_per_kwh / 3.6e6
            # Heat rejected = IT and losses; the counter counts litres and wraps at 2^32.
            self.tower = Meter(Integrated(lambda t: it.power(t) * (1 + loss) * per_j,
                                          self.clock.start), self.clock, joules_per_count=1.0,
                               initial_counts=5_000_000)
            units[4] = water_meter(self.tower.counts)
        return units

    async def _run_events(self) -> None:
        """Apply the scripted events when simulated time reaches them."""
        done: set[str] = set()
        reset_pdu, dying_pdu = self.prefix + RESET_PDU, self.prefix + DYING_PDU
        while True:
            t = self.clock.now() - self.clock.start
            if t >= self.reset_at_s and "reset" not in done and reset_pdu in self.devices:
                self.devices[reset_pdu].meter.reset()
                done.add("reset")
                self.log.append(f"{reset_pdu}: energy counter reset by a user")
            if dying_pdu not in self.devices:
                done |= {"die", "revive"}
            if reset_pdu not in self.devices:
                done.add("reset")
            if t >= self.die_at_s and "die" not in done:
                self.kill(dying_pdu)
                done.add("die")
                self.log.append(f"{dying_pdu}: stopped answering")
            if t >= self.die_at_s + self.down_for_s and "revive" not in done:
                self.revive(dying_pdu)
                done.add("revive")
                self.log.append(f"{dying_pdu}: answering again")
            if len(done) == 3:
                return
            await asyncio.sleep(0.2)

    def _next_port(self) -> int:
        if self.base_port is None:
            return 0
        return self.base_port + len(self.devices)  # SNMP agents in order, then Modbus

    async def _add(self, dev: SimDevice) -> None:
        dev.port = await dev.agent.start(self._next_port())
        self.devices[dev.id] = dev

    async def stop(self) -> None:
        if self._events_task is not None:
            self._events_task.cancel()
        for dev in self.devices.values():
            await dev.agent.stop()
        await self.modbus.stop()

    def kill(self, device: str) -> None:
        """Make a device stop answering (as if unplugged)."""
        self.devices[device].agent.down = True

    def revive(self, device: str) -> None:
        self.devices[device].agent.down = False

    def inventory(self, *, interval: float = 5.0, listen: str = "127.0.0.1:9630",
                  profile: str | None = None, address: str = "127.0.0.1") -> dict[str, Any]:
        """The dcmon config (as a YAML-able dict) that monitors this site."""
        return {
            "poll": {"interval": interval, "timeout": 1.0, "retries": 1},
            "credentials": {"sim": {"version": "2c", "community": COMMUNITY}},
            "sites": [self.site_inventory(profile=profile, address=address)],
            "exporters": {"prometheus": {"listen": listen}},
        }

    def site_inventory(self, *, profile: str | None = None, address: str = "127.0.0.1"
                       ) -> dict[str, Any]:
        """This site's entry of ``sites:``."""
        rack_devices: dict[str, list[dict[str, Any]]] = {}
        site_devices: list[dict[str, Any]] = []
        for dev in self.devices.values():
            entry: dict[str, Any] = {"id": dev.id, "host": address, "port": dev.port,
                                     "credential": "sim", "profile": profile or dev.profile}
            if dev.feed:
                entry["feed"] = dev.feed
            if dev.rack:
                rack_devices.setdefault(dev.rack, []).append(entry)
            else:
                site_devices.append(entry)
        incomer = f"{self.prefix}incomer-1"
        site_devices.append({"id": incomer, "host": address, "port": self.modbus_port,
                             "protocol": "modbus", "unit": 1, "profile": "eastron_sdm630"})
        energy: dict[str, Any] = {"facility": [incomer], "it": "racks",
                                  "it_level": "pdu_output",
                                  "design_it_kw": self.design_it_kw or self.racks * self.rack_kw}
        carbon = self._carbon_inventory(site_devices, address)
        if "renewable" in carbon:  # E_DC is what the incomer draws plus what the PV makes
            energy["facility"] = [incomer, *carbon["renewable"]]
        if self.chiller is not None:
            chiller = f"{self.prefix}chiller-1"
            site_devices.append({"id": chiller, "host": address, "port": self.modbus_port,
                                 "protocol": "modbus", "unit": 2, "profile": "eastron_sdm630"})
            energy["cooling"] = [chiller]
        return {
            "id": self.site_id, "name": self.name,
            "devices": site_devices,
            "energy": energy,
            "rooms": [{"id": "hall-1", "racks": [
                {"id": rack, "devices": devs} for rack, devs in sorted(rack_devices.items())
            ]}],
            **({"carbon": carbon} if carbon else {}),
            **self.site_extra,
        }

    def _carbon_inventory(self, site_devices: list[dict[str, Any]], address: str
                          ) -> dict[str, Any]:
        """The PV and water meters as devices, and the site's ``carbon:`` section."""
        carbon: dict[str, Any] = {}
        for unit, name, profile, role, on in (
                (3, "pv-1", "eastron_sdm630", "renewable", self.pv_kw),
                (4, "tower-water-1", "generic_water_meter", "water", self.tower_l_per_kwh)):
            if on:
                site_devices.append({"id": self.prefix + name, "host": address,
                                     "port": self.modbus_port, "protocol": "modbus",
                                     "unit": unit, "profile": profile})
                carbon[role] = [self.prefix + name]
        return carbon
