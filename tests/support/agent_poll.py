"""Poll one profile from dcmon's own SNMP agent on 127.0.0.1 through the real collector and
lean client: the shortest honest path from a few OID values to the Readings a profile makes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from dcmon.collectors.snmp.api import SnmpTarget
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.detect import Detection, detect
from dcmon.collectors.snmp.lean import LeanSnmpClient
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.model import PollResult
from dcmon.sim.agent import OidStore, SnmpAgent


@asynccontextmanager
async def serving(stores: Mapping[str | bytes, OidStore]) -> AsyncIterator[int]:
    """dcmon's own SNMP agent on 127.0.0.1 serving ``stores`` (by community); yields its port."""
    agent = SnmpAgent(dict(stores))
    port = await agent.start(0)
    try:
        yield port
    finally:
        await agent.stop()


@asynccontextmanager
async def lean_client(values: Mapping[str, tuple[str, Any]]
                      ) -> AsyncIterator[tuple[LeanSnmpClient, SnmpTarget]]:
    """``values`` served under community "c", and a lean client with the target to reach it."""
    async with serving({"c": OidStore(dict(values))}) as port:
        client = LeanSnmpClient()
        try:
            yield client, SnmpTarget("127.0.0.1", port, community="c", timeout=1)
        finally:
            await client.close()


def poll_agent(values: Mapping[str, tuple[str, Any]], profile: CompiledProfile) -> PollResult:
    """Serve ``values`` (OID -> (type, value)) under community "c" and poll ``profile`` once."""
    async def go() -> PollResult:
        async with lean_client(values) as (client, target):
            return await SnmpCollector(client).poll("d", target, profile)
    return asyncio.run(go())


def detect_agent(values: Mapping[str, tuple[str, Any]], profiles: Sequence[object]
                 ) -> Detection:
    """Serve ``values`` under community "c" and run auto-detection over ``profiles`` once."""
    async def go() -> Detection:
        async with lean_client(values) as (client, target):
            return await detect(client, target, profiles)
    return asyncio.run(go())
