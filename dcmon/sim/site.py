"""A small simulated site on 127.0.0.1: rack PDUs on A/B feeds and a UPS, one agent each.

Each device is its own UDP agent on its own port, as on a real network, so one can die
(``kill``) while the others answer. ``inventory()`` returns the dcmon config that monitors it.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from collectors.snmp.agent import OidStore, SnmpAgent
from dcmon.sim.devices import Meter, apc_rpdu2, ups_mib
from dcmon.sim.modbus_server import SimModbusServer, sdm630
from dcmon.sim.physics import LoadCurve, SimClock

COMMUNITY = "dcmon-sim"
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
    #: Facility power / IT power of the simulated incomer.
    pue: float = 1.32
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
        self.clock = SimClock(time.time(), self.speed)
        self._events_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        total_w = 0.0
        for i in range(1, self.racks + 1):
            rack = f"r{i:02d}"
            rack_w = self.rack_kw * 1000 * (0.6 + 0.1 * i)
            total_w += rack_w
            for feed in ("A", "B"):
                # The feeds share the rack load; A carries a little more (as in real racks).
                share = 0.52 if feed == "A" else 0.48
                dev_id = f"pdu-{rack}-{feed.lower()}"
                meter = Meter(LoadCurve(rack_w * share), self.clock, joules_per_count=360_000,
                              initial_counts=1_000 * i)
                if self.events and dev_id == WRAPPING_PDU:
                    # rPDU2DeviceStatusEnergy is an INTEGER: this counter is 3 counts (0.3 kWh)
                    # below the top and restarts from 0 within minutes (simulated).
                    meter.modulus = 2**31 - 1
                    meter.initial_counts = meter.modulus - 3
                store = apc_rpdu2(meter, name=dev_id)
                await self._add(SimDevice(dev_id, "apc_rpdu2", rack, feed, meter,
                                          SnmpAgent({COMMUNITY: OidStore(store)}, host=self.host)))
        ups_meter = Meter(LoadCurve(total_w), self.clock, joules_per_count=1.0)
        await self._add(SimDevice("ups-1", "ups_mib", "", None, ups_meter,
                                  SnmpAgent({COMMUNITY: OidStore(ups_mib(
                                      ups_meter, model="SimUPS 20k"))}, host=self.host)))
        # The utility incomer: IT plus cooling and losses (PUE ~1.32), on a Modbus meter.
        self.incomer = Meter(LoadCurve(total_w * self.pue), self.clock,
                             joules_per_count=3.6e6, initial_counts=120_000)
        self.modbus = SimModbusServer({1: sdm630(self.incomer.power,
                                                 lambda: self.incomer.energy_j() / 3.6e6)},
                                      host=self.host)
        self.modbus_port = await self.modbus.start(self._next_port())
        if self.events:
            self._events_task = asyncio.create_task(self._run_events())

    async def _run_events(self) -> None:
        """Apply the scripted events when simulated time reaches them."""
        done: set[str] = set()
        while True:
            t = self.clock.now() - self.clock.start
            if t >= self.reset_at_s and "reset" not in done and RESET_PDU in self.devices:
                self.devices[RESET_PDU].meter.reset()
                done.add("reset")
                self.log.append(f"{RESET_PDU}: energy counter reset by a user")
            if DYING_PDU not in self.devices:
                done |= {"die", "revive"}
            if RESET_PDU not in self.devices:
                done.add("reset")
            if t >= self.die_at_s and "die" not in done:
                self.kill(DYING_PDU)
                done.add("die")
                self.log.append(f"{DYING_PDU}: stopped answering")
            if t >= self.die_at_s + self.down_for_s and "revive" not in done:
                self.revive(DYING_PDU)
                done.add("revive")
                self.log.append(f"{DYING_PDU}: answering again")
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
        site_devices.append({"id": "incomer-1", "host": address, "port": self.modbus_port,
                             "protocol": "modbus", "unit": 1, "profile": "eastron_sdm630"})
        return {
            "poll": {"interval": interval, "timeout": 1.0, "retries": 1},
            "credentials": {"sim": {"version": "2c", "community": COMMUNITY}},
            "sites": [{
                "id": "demo-dc", "name": "Demo municipal data centre",
                "devices": site_devices,
                "energy": {"facility": ["incomer-1"], "it": "racks", "it_level": "pdu_output",
                           "design_it_kw": self.racks * self.rack_kw},
                "rooms": [{"id": "hall-1", "racks": [
                    {"id": rack, "devices": devs} for rack, devs in sorted(rack_devices.items())
                ]}],
            }],
            "exporters": {"prometheus": {"listen": listen}},
        }
