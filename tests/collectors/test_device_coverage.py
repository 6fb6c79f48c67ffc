"""Device coverage bar (issue: device coverage): on the 57 LibreNMS recordings, at least 95 % of
scorable sensors read with LibreNMS's value, and none read with a wrong value.

Polls every recording through snmpsim with ``profile: auto`` (the same path as ``dcmon poll
--profile auto``), in-process and concurrently to keep the suite fast. The table with per-device
figures comes from ``benchmarks/device_coverage.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.api import SnmpError, SnmpTarget
from dcmon.collectors.snmp.client import PysnmpClient
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.detect import detect
from tests.support import librenms
from tests.support.coverage import Score, score
from tests.support.snmpsim import SnmpSim

BAR = 0.95


async def _poll_all(sim: SnmpSim, recordings: list[str]) -> dict[str, list[dict[str, Any]]]:
    reg = ProfileRegistry.load()
    client = PysnmpClient()
    collector = SnmpCollector(client)
    sem = asyncio.Semaphore(8)

    async def one(rec: str) -> tuple[str, list[dict[str, Any]]]:
        target = SnmpTarget(sim.host, sim.port, "2c", rec, timeout=5, retries=1)
        async with sem:
            try:
                found = await detect(client, target, reg.all())
            except SnmpError:
                return rec, []
            if found.profile is None:
                return rec, []
            res = await collector.poll(rec, target, found.profile)
        return rec, [r.as_dict() for r in res.readings]

    try:
        return dict(await asyncio.gather(*(one(r) for r in recordings)))
    finally:
        await client.close()


def test_coverage_bar(snmpsim_librenms: SnmpSim) -> None:
    recordings = librenms.recordings()
    assert len(recordings) == 57
    polled = asyncio.run(_poll_all(snmpsim_librenms, recordings))
    total = Score()
    for rec in recordings:
        total.add(score(rec, polled[rec]))
    wrong = [d for d in total.details if "WRONG" in d]
    assert not wrong, "\n".join(wrong)
    assert total.coverage >= BAR, (
        f"coverage {total.n_right}/{total.scorable} = {100 * total.coverage:.1f} % < "
        f"{100 * BAR:.0f} %; missed:\n" + "\n".join(total.details[:60]))
