"""Columns walked together read every recorded real device exactly as one walk per column does.

Each of the 57 LibreNMS recordings is polled through snmpsim three ways: one walk per column
(the reference), then the table plan twice (a first poll that knows nothing, and one that sizes
its requests from the rows seen). Readings and errors must be identical, with both clients; and
the plan must cost fewer requests and decode fewer varbinds.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.api import SnmpClient, SnmpTarget
from dcmon.collectors.snmp.client import PysnmpClient
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.detect import detect
from dcmon.collectors.snmp.lean import LeanSnmpClient
from dcmon.model import PollResult
from tests.support import librenms
from tests.support.snmpsim import SnmpSim


def _key(res: PollResult) -> Any:
    readings = sorted((r.source.oid or "", r.metric, repr(r.value), r.unit,
                       tuple(sorted(r.labels.items()))) for r in res.readings)
    return readings, sorted((e.reason, e.oid or "") for e in res.errors), res.ok


async def _three_polls(sim: SnmpSim, client: SnmpClient, recs: list[str]
                       ) -> dict[str, tuple[PollResult, PollResult, PollResult]]:
    reg = ProfileRegistry.load()
    one_by_one = SnmpCollector(client, table_walks=False)
    tables = SnmpCollector(client)
    sem = asyncio.Semaphore(8)

    async def polls(rec: str) -> tuple[str, Any]:
        target = SnmpTarget(sim.host, sim.port, "2c", rec, timeout=5, retries=1)
        async with sem:
            found = await detect(client, target, reg.snmp())
            assert found.profile is not None, rec
            ref = await one_by_one.poll(rec, target, found.profile)
            first = await tables.poll(rec, target, found.profile)
            second = await tables.poll(rec, target, found.profile)
        return rec, (ref, first, second)

    try:
        return dict(await asyncio.gather(*(polls(r) for r in recs)))
    finally:
        await client.close()


@pytest.mark.parametrize("client_type", [LeanSnmpClient, PysnmpClient])
def test_table_plan_reads_what_column_walks_read(snmpsim_librenms: SnmpSim,
                                                 client_type: type) -> None:
    recs = librenms.recordings()
    got = asyncio.run(_three_polls(snmpsim_librenms, client_type(), recs))
    differ = [r for r in recs
              if not (_key(got[r][0]) == _key(got[r][1]) == _key(got[r][2]))]
    assert differ == []
    cost = {i: [got[r][i].stats for r in recs] for i in range(3)}
    requests = {i: sum(s.requests for s in cost[i] if s) for i in range(3)}
    varbinds = {i: sum(s.varbinds for s in cost[i] if s) for i in range(3)}
    readings = sum(len(got[r][0].readings) for r in recs)
    assert readings > 1000
    # Measured: 1,579 -> 233 requests and 39,218 -> 9,656 varbinds for 2,347 readings.
    assert requests[2] < requests[0] / 5, requests
    assert varbinds[2] < varbinds[0] / 3, varbinds
    assert requests[2] <= requests[1] and varbinds[2] <= varbinds[1]  # sized from last time
