"""The benchmarks' PDU (net-snmp ``snmpd`` with ``override`` objects) read through apc_rpdu2.

``benchmarks/vs_snmp_exporter.py`` and ``benchmarks/city_scale.py`` count on this agent giving
44 samples per poll with outlets on, to both clients alike, under every community of its one
com2sec group; and on the table plan settling into a fixed number of requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.api import SnmpClient, SnmpTarget
from dcmon.collectors.snmp.client import PysnmpClient
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.lean import LeanSnmpClient
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.model import PollResult
from tests.support.snmpd import Snmpd, rpdu2_objects
from tests.support.snmpsim import unavailable


@pytest.fixture(scope="module")
def pdu_agent() -> Iterator[Snmpd]:
    if not Snmpd.available():
        unavailable("snmpd not installed: run scripts/install-test-deps.sh")
    with Snmpd(rpdu2_objects(outlets=8), communities=["pdu00001", "pdu00002"]) as agent:
        yield agent


async def _polls(client: SnmpClient, port: int, community: str, n: int,
                 timeout: float = 2.0) -> list[PollResult]:
    profile = ProfileRegistry.load().get("apc_rpdu2")
    assert isinstance(profile, CompiledProfile)
    collector = SnmpCollector(client, include_outlets=True)
    target = SnmpTarget("127.0.0.1", port, "2c", community, timeout=timeout, retries=1)
    try:
        return [await collector.poll("pdu", target, profile) for _ in range(n)]
    finally:
        await client.close()


def _values(result: PollResult) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Readings by metric and labels (the level in the labels: rated_current is both)."""
    return {(r.metric, tuple(sorted({**r.labels, "level": r.level or ""}.items()))): r.value
            for r in result.readings}


@pytest.mark.parametrize("client_type", [LeanSnmpClient, PysnmpClient])
def test_pdu_reads_44_samples(pdu_agent: Snmpd, client_type: type) -> None:
    first, second, third = asyncio.run(_polls(client_type(), pdu_agent.port, "pdu00002", 3))
    assert first.ok and not first.errors
    values = _values(first)
    assert len(first.readings) == len(values) == 44
    assert values[("power", (("level", "total"), ("pdu", "1")))] == pytest.approx(3120.0)
    assert values[("energy", (("level", "outlet"), ("outlet", "8"), ("outlet_name", "outlet-8"),
                              ("pdu", "1")))] == pytest.approx(15_008 * 360_000)
    assert values[("current", (("bank", "2"), ("level", "bank"), ("source", "rPDU")))] \
        == pytest.approx(6.8)
    assert values[("temperature", (("level", "sensor"), ("pdu", "1"), ("sensor", "1"),
                                   ("sensor_name", "rack-inlet")))] == pytest.approx(23.5)
    assert values[("rated_current", (("level", "phase"), ("pdu", "1")))] == 32.0
    assert _values(second) == _values(third) == values
    # The plan learnt the row counts: later polls cost the same fixed number of requests.
    assert second.stats == third.stats
    assert third.stats is not None and 0 < third.stats.requests <= 6


def test_unknown_community_gets_no_answer(pdu_agent: Snmpd) -> None:
    (result,) = asyncio.run(_polls(LeanSnmpClient(), pdu_agent.port, "pdu99999", 1, 0.3))
    assert not result.ok
    assert [e.reason for e in result.errors] == ["timeout"]
