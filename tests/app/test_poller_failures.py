"""Faulty devices among good ones: none stalls the others, every reason reaches the health data.

Real UDP agents on 127.0.0.1 (dcmon's own agent, serving the simulated APC PDU MIB): one live,
one that stopped answering, one that answers garbage, one that answers with the wrong community
(silence), and one that lacks the profile's OIDs (noSuchObject). Run with both SNMP clients.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from dcmon.app.inventory import parse_config
from dcmon.app.poller import Poller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.sim.agent import OidStore, SnmpAgent
from dcmon.sim.devices import Meter, apc_rpdu2
from dcmon.sim.physics import LoadCurve, SimClock


async def _scenario(client: str) -> dict[str, tuple[bool, str, float, int]]:
    clock = SimClock(time.time())
    agents: dict[str, SnmpAgent] = {}
    for name in ("live", "dead", "garbage", "wrongcomm"):
        meter = Meter(LoadCurve(1500.0), clock, joules_per_count=360_000)
        agents[name] = SnmpAgent({"good": OidStore(apc_rpdu2(meter, name=name))})
    agents["empty"] = SnmpAgent({"good": OidStore({"1.3.6.1.2.1.1.2.0": (
        "ObjectIdentifier", "1.3.6.1.4.1.318.1.3.4.6")})})
    ports = {name: await a.start(0) for name, a in agents.items()}
    agents["dead"].down = True
    agents["garbage"].garbage = True
    inv = {
        "poll": {"timeout": 0.5, "retries": 1, "snmp_client": client},
        "credentials": {"good": {"version": "2c", "community": "good"},
                        "bad": {"version": "2c", "community": "not-this-one"}},
        "sites": [{"id": "s", "devices": [
            {"id": name, "host": "127.0.0.1", "port": port, "profile": "apc_rpdu2",
             "credential": "bad" if name == "wrongcomm" else "good"}
            for name, port in ports.items()]}],
    }
    cfg = parse_config(inv, "<test>", ProfileRegistry.load())
    poller = Poller(cfg, ProfileRegistry.load())
    done: dict[str, float] = {}
    t0 = time.monotonic()

    async def one(dev_id: str) -> None:
        dev = cfg.device(dev_id)
        assert dev is not None
        await poller.poll(dev)
        done[dev_id] = time.monotonic() - t0

    try:
        await asyncio.gather(*(one(d) for d in ports))
    finally:
        await poller.close()
        for a in agents.values():
            await a.stop()
    health = poller.snapshot.health()
    readings = poller.snapshot.readings()
    return {d: (h.up, h.last_reason, done[d], len(readings.get(d, ())))
            for d, h in health.items()}


@pytest.mark.parametrize("client", ["pysnmp", "lean"])
def test_faulty_devices_do_not_stall_the_live_one(client: str) -> None:
    out = asyncio.run(_scenario(client))
    up, reason, took, n = out["live"]
    assert up and reason == "" and n >= 5
    # The dead devices need 2 tries x 0.5 s; the live one must not wait for them (pysnmp's
    # first request also builds its engine, so compare with the dead ones, not a constant).
    dead_took = out["dead"][2]
    assert dead_took >= 0.9
    assert took < dead_took - 0.4, f"live device waited for the dead ones ({took:.2f} s)"
    assert out["dead"][:2] == (False, "timeout")
    assert out["wrongcomm"][:2] == (False, "timeout")
    assert out["garbage"][:2] == (False, "decode") or out["garbage"][:2] == (False, "timeout")
    # A device that lacks every profile OID is reachable (up) but reads nothing.
    assert out["empty"][0] is True and out["empty"][3] == 0
