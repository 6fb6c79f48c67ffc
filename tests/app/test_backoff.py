"""A failing device backs off (polled every 2, 4, then at most 8 intervals), and recovers."""

from __future__ import annotations

import asyncio
import itertools
import time

from dcmon.app.inventory import parse_config
from dcmon.app.poller import Poller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.sim.agent import OidStore, SnmpAgent


async def _scenario() -> tuple[list[int], bool]:
    agent = SnmpAgent({"c": OidStore({"1.3.6.1.2.1.33.1.1.2.0": ("OctetString", b"UPS")})})
    port = await agent.start(0)
    agent.down = True
    cfg = parse_config({
        "poll": {"interval": 0.2, "timeout": 0.05, "retries": 0},
        "credentials": {"c": {"version": "2c", "community": "c"}},
        "sites": [{"id": "s", "devices": [{"id": "u", "host": "127.0.0.1", "port": port,
                                             "credential": "c", "profile": "ups_mib"}]}],
    }, "<t>", ProfileRegistry.load())
    poller = Poller(cfg, ProfileRegistry.load())
    dev = cfg.devices[0]
    attempts = []
    # The scheduler would call scheduled_poll every 0.2 s; count the requests that go out.
    for _ in range(20):
        before = agent.received
        await poller.scheduled_poll(dev)
        attempts.append(agent.received - before)
        await asyncio.sleep(0.2)
    agent.down = False
    t0 = time.monotonic()
    while time.monotonic() - t0 < 5:
        await poller.scheduled_poll(dev)
        if poller.snapshot.health()["u"].up:
            break
        await asyncio.sleep(0.2)
    up = poller.snapshot.health()["u"].up
    await poller.close()
    await agent.stop()
    return attempts, up


def test_backoff_then_recovery() -> None:
    attempts, up = asyncio.run(_scenario())
    polled = [i for i, n in enumerate(attempts) if n]
    # First two polls back to back, then gaps that grow: far fewer than 20 attempts.
    assert polled[:2] == [0, 1]
    gaps = [b - a for a, b in itertools.pairwise(polled)]
    assert gaps == sorted(gaps) and max(gaps) >= 4, polled
    assert len(polled) <= 8
    assert up
