"""The lean SNMP client reads every recorded real device exactly as pysnmp does.

Both clients detect the profile and poll each of the 57 LibreNMS recordings through snmpsim;
profile, readings (OID, metric, value) and errors must be identical. This is what lets the lean
client be the default for v1/v2c.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.api import SnmpClient, SnmpError, SnmpTarget
from dcmon.collectors.snmp.client import PysnmpClient
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.detect import detect
from dcmon.collectors.snmp.lean import LeanSnmpClient
from tests.support import librenms
from tests.support.snmpsim import SnmpSim


async def _poll_all(sim: SnmpSim, client: SnmpClient, recs: list[str]) -> dict[str, Any]:
    reg = ProfileRegistry.load()
    collector = SnmpCollector(client)
    sem = asyncio.Semaphore(8)

    async def one(rec: str) -> tuple[str, Any]:
        target = SnmpTarget(sim.host, sim.port, "2c", rec, timeout=5, retries=1)
        async with sem:
            try:
                found = await detect(client, target, reg.all())
            except SnmpError as exc:
                return rec, ("error", exc.reason)
            if found.profile is None:
                return rec, ("no profile", found.sys_object_id)
            res = await collector.poll(rec, target, found.profile)
        readings = sorted((r.source.oid or "", r.metric, repr(r.value), r.unit)
                          for r in res.readings)
        errors = sorted((e.reason, e.oid or "") for e in res.errors)
        return rec, (found.profile.name, readings, errors)

    try:
        return dict(await asyncio.gather(*(one(r) for r in recs)))
    finally:
        await client.close()


def test_lean_equals_pysnmp_on_every_recording(snmpsim_librenms: SnmpSim) -> None:
    recs = librenms.recordings()
    ref = asyncio.run(_poll_all(snmpsim_librenms, PysnmpClient(), recs))
    lean = asyncio.run(_poll_all(snmpsim_librenms, LeanSnmpClient(), recs))
    differ = [r for r in recs if ref[r] != lean[r]]
    assert not differ, differ
    assert sum(len(v[1]) for v in ref.values() if len(v) == 3) > 1000
