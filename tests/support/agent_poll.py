"""Poll one profile from dcmon's own SNMP agent on 127.0.0.1 through the real collector and
lean client: the shortest honest path from a few OID values to the Readings a profile makes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from dcmon.collectors.snmp.api import SnmpTarget
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.detect import Detection, detect
from dcmon.collectors.snmp.lean import LeanSnmpClient
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.model import PollResult
from dcmon.sim.agent import OidStore, SnmpAgent


def poll_agent(values: Mapping[str, tuple[str, Any]], profile: CompiledProfile) -> PollResult:
    """Serve ``values`` (OID -> (type, value)) under community "c" and poll ``profile`` once."""
    async def go() -> PollResult:
        agent = SnmpAgent({"c": OidStore(dict(values))})
        port = await agent.start(0)
        client = LeanSnmpClient()
        try:
            return await SnmpCollector(client).poll(
                "d", SnmpTarget("127.0.0.1", port, community="c", timeout=1), profile)
        finally:
            await client.close()
            await agent.stop()
    return asyncio.run(go())


def detect_agent(values: Mapping[str, tuple[str, Any]], profiles: Sequence[object]
                 ) -> Detection:
    """Serve ``values`` under community "c" and run auto-detection over ``profiles`` once."""
    async def go() -> Detection:
        agent = SnmpAgent({"c": OidStore(dict(values))})
        port = await agent.start(0)
        client = LeanSnmpClient()
        try:
            return await detect(client, SnmpTarget("127.0.0.1", port, community="c",
                                                    timeout=1), profiles)
        finally:
            await client.close()
            await agent.stop()
    return asyncio.run(go())
