"""SNMP PDUs and a Modbus incomer in one inventory: polled together, PUE from both.

The simulated site's APC PDUs answer SNMP on 127.0.0.1; a pymodbus server plays an Eastron
SDM630 on the facility incomer whose total power is 1.3 x the IT load. ``dcmon run``'s poller
polls both; the instantaneous PUE must be 1.3, and the facility meter's energy counter must book
what its registers advanced.
"""

from __future__ import annotations

import asyncio

import pytest

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.model import PollResult
from dcmon.sim.site import SimulatedSite
from tests.support.simsite import hub_for


async def _run() -> tuple[float | None, float, float, bool, float]:
    # 3600x: a simulated hour per second, so the incomer's kWh register moves between polls.
    site = SimulatedSite(racks=2, speed=3600.0)
    await site.start()
    try:
        cfg, poller, hub = hub_for(site)
        incomer = next(d for d in cfg.devices if d.protocol == "modbus")
        first = await asyncio.gather(*(poller.poll(dev) for dev in cfg.devices))
        instant = hub.recompute().instant[0].value

        def import_j(result: PollResult) -> float:
            return next(r.value for r in result.readings if r.metric == "energy"
                        and r.labels.get("direction") == "import" and r.level == "total")

        e0 = import_j(next(r for r in first if r.device == incomer.id))
        await asyncio.sleep(0.5)
        modbus = await poller.poll(incomer)
        e1 = import_j(modbus)
        res = hub.recompute()
        await poller.close()
        it_w = sum(r.value for d, rs in poller.snapshot.readings().items() for r in rs
                   if r.rack_power)
        return instant, res.energy[0].facility_j, e1 - e0, modbus.ok, it_w
    finally:
        await site.stop()


def test_snmp_and_modbus_make_a_pue() -> None:
    value, facility_j, sim_j, ok, it_w = asyncio.run(_run())
    assert ok and it_w > 0
    # PDU power is rounded to 10 W by the MIB, and the curve moves between polls (3600x).
    assert value == pytest.approx(1.32, rel=0.02)
    # The facility energy is exactly what the incomer's counter advanced between the polls.
    assert facility_j > 0 and facility_j == pytest.approx(sim_j, rel=1e-9)


def test_modbus_device_settings_are_checked() -> None:
    inv = {"sites": [{"id": "s", "devices": [
        {"id": "m", "host": "127.0.0.1", "protocol": "modbus", "profile": "apc_rpdu2",
         "max_repetitions": 10},
        {"id": "p", "host": "127.0.0.1", "profile": "eastron_sdm630", "credential": "x",
         "unit": 3}]}], "credentials": {"x": {"version": "2c", "community": "c"}}}
    from dcmon.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_config(inv, "inv.yaml", ProfileRegistry.load())
    lines = [str(p) for p in err.value.problems]
    assert "inv.yaml: sites.0.devices.0.max_repetitions: not a setting of modbus devices" in lines
    assert ("inv.yaml: sites.0.devices.0.profile: profile 'apc_rpdu2' is a snmp profile; set "
            "protocol: snmp") in lines
    assert "inv.yaml: sites.0.devices.1.unit: not a setting of snmp devices" in lines
    assert ("inv.yaml: sites.0.devices.1.profile: profile 'eastron_sdm630' is a modbus "
            "profile; set protocol: modbus") in lines
