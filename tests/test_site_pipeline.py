"""SNMP PDUs and a Modbus incomer in one inventory: polled together, PUE from both.

The simulated site's APC PDUs answer SNMP on 127.0.0.1; a pymodbus server plays an Eastron
SDM630 on the facility incomer whose total power is 1.3 x the IT load. ``dcmon run``'s poller
polls both; the instantaneous PUE must be 1.3, and the facility meter's energy counter must book
what its registers advanced.
"""

from __future__ import annotations

import asyncio

import pytest

from collectors.modbus.codec import encode
from dcmon.config import parse_config
from dcmon.engine import EnergyEngine
from dcmon.poller import Poller
from dcmon.profiles import ProfileRegistry
from dcmon.results import ResultsHub
from dcmon.sim.site import SimulatedSite
from dcmon.store import Store
from tests.test_modbus_server import FakeGateway, FakeUnit


def _set_meter(unit: FakeUnit, watts: float, kwh: float) -> None:
    unit.put("input", 0x34, encode("FLOAT32", watts))
    unit.put("input", 0x48, encode("FLOAT32", kwh))


async def _run() -> tuple[float | None, float, float, bool]:
    site = SimulatedSite(racks=2)
    await site.start()
    unit = FakeUnit(fill_gaps=True)
    gw = FakeGateway({7: unit})
    port = await gw.start()
    try:
        inv = site.inventory(interval=5)
        inv["sites"][0]["devices"].append(
            {"id": "incomer-1", "host": "127.0.0.1", "port": port, "protocol": "modbus",
             "unit": 7, "profile": "eastron_sdm630"})
        inv["sites"][0]["energy"] = {"facility": ["incomer-1"], "it": "racks",
                                     "design_it_kw": 20}
        reg = ProfileRegistry.load()
        cfg = parse_config(inv, "<test>", reg)
        poller = Poller(cfg, reg)
        hub = ResultsHub(cfg, EnergyEngine(cfg, Store(":memory:")), poller.snapshot)
        poller.listeners.append(hub.on_poll)
        it_w = sum(d.meter.power() for d in site.devices.values() if d.rack)
        _set_meter(unit, 1.3 * it_w, 1000.0)
        for dev in cfg.devices:
            await poller.poll(dev)
        _set_meter(unit, 1.3 * it_w, 1002.5)
        modbus = await poller.poll(next(d for d in cfg.devices if d.id == "incomer-1"))
        res = hub.recompute()
        await poller.close()
        inst = res.instant[0]
        fac_e = res.energy[0].facility_j
        return inst.value, fac_e, it_w, modbus.ok
    finally:
        await gw.stop()
        await site.stop()


def test_snmp_and_modbus_make_a_pue() -> None:
    value, facility_j, it_w, ok = asyncio.run(_run())
    assert ok
    assert value == pytest.approx(1.3, rel=2e-3)  # PDU power is rounded to 10 W by the MIB
    assert facility_j == pytest.approx(2.5 * 3.6e6)  # 1000 -> 1002.5 kWh on the incomer
    assert it_w > 0


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
