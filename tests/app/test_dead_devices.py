"""Dead devices never delay live ones: 200 silent devices beside 4 live PDUs, ``dcmon run``.

The dead devices are real UDP sockets on 127.0.0.1 that accept requests and never answer; the
live ones are dcmon's SNMP agent. The service is the real one (scheduler, poller, engine). With
a 2 s interval and a 1 s timeout the dead devices' first polls alone need ~100 slots at once,
more than ``poll.concurrency`` (64): before the budgets were split, live devices queued
behind them and went up to 3.4 s between polls. Now each live device must be polled within 1.2
intervals of the start and then every interval (within 1.2 intervals), while the dead ones are
held to ``poll.down_concurrency`` and logged once each.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from dcmon.app.inventory import parse_config
from dcmon.app.poller import Poller, down_budget
from dcmon.app.service import SHUTDOWN_GRACE_S
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import DeviceSpec
from tests.support.dead_fleet import LiveAgents, fleet_inventory, run_fleet, silent_ports

DEAD = 200
LIVE = 4
INTERVAL = 2.0
TIMEOUT = 1.0
DURATION = 14.0
DOWN_BUDGET = 16  # the default: a quarter of poll.concurrency (64)


def test_dead_devices_never_delay_live_ones(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dcmon.health")
    run = run_fleet(dead=DEAD, live=LIVE, interval=INTERVAL, timeout=TIMEOUT, retries=0,
                    duration=DURATION)
    limit = 1.2 * INTERVAL
    for dev, first in run.first().items():
        assert first <= limit, f"{dev}: first successful poll {first:.2f} s after start"
    for dev, gaps in run.gaps().items():
        # Every interval, from the first poll to the end of the run: nothing skipped.
        assert len(gaps) >= (DURATION - limit) / INTERVAL - 1, (dev, gaps)
        assert max(gaps) <= limit, f"{dev}: polls {max(gaps):.2f} s apart ({gaps})"
    # The dead: every first poll goes out (spread over the first interval), after that at most
    # DOWN_BUDGET at a time, each holding its slot for one timeout.
    assert DEAD <= run.dead_polls <= DEAD + DOWN_BUDGET * (DURATION - INTERVAL) / TIMEOUT
    # Logged once each on the change of state, not once per poll.
    down = [r.getMessage() for r in caplog.records if " is down: " in r.getMessage()]
    assert len(down) == DEAD and len(set(down)) == DEAD
    # Polls still queued for a down slot are cancelled at once, not waited for.
    assert run.stop_s < SHUTDOWN_GRACE_S


async def _budget_scenario(live_port: int, dead_ports: list[int]) -> tuple[list[float], float]:
    inv = fleet_inventory([live_port], dead_ports, interval=10, timeout=0.5, retries=0,
                          poll={"concurrency": 4, "down_concurrency": 2})
    reg = ProfileRegistry.load()
    cfg = parse_config(inv, "<budgets>", reg)
    poller = Poller(cfg, reg)
    try:
        # One round to learn who is down (first polls: all at once, live budget).
        await asyncio.gather(*(poller.poll(d) for d in cfg.devices))
        dead = [d for d in cfg.devices if d.id.startswith("dead-")]
        live = cfg.device("live-0")
        assert live is not None
        t0 = time.monotonic()

        async def timed(dev: DeviceSpec) -> float:
            await poller.poll(dev)
            return time.monotonic() - t0

        dead_tasks = [asyncio.create_task(timed(d)) for d in dead]
        await asyncio.sleep(0.05)  # the dead polls hold every down slot and queue for more
        live_took = await timed(live) - 0.05
        return list(await asyncio.gather(*dead_tasks)), live_took
    finally:
        await poller.close()


def test_down_budget_holds_dead_polls_apart() -> None:
    """8 dead devices in a down budget of 2 poll in 4 waves of one timeout; a live device's poll
    meanwhile goes straight through its own budget."""
    with silent_ports(8) as dead_ports, LiveAgents(1) as agents:
        dead_done, live_took = asyncio.run(_budget_scenario(agents.ports[0], dead_ports))
    done = sorted(dead_done)
    # Two at a time: two end after one timeout, the third only after two, the last after four.
    assert done[1] < 0.9 and done[2] >= 0.95 and done[-1] >= 1.95, done
    assert live_took < 0.3, f"the live poll waited {live_took:.2f} s"


def test_down_budget_defaults_to_a_quarter() -> None:
    reg = ProfileRegistry.load()
    inv = fleet_inventory([1], [], interval=10, timeout=1, retries=0)
    assert down_budget(parse_config(inv, "<t>", reg)) == 16
    inv["poll"]["concurrency"] = 3
    assert down_budget(parse_config(inv, "<t>", reg)) == 1
    inv["poll"]["down_concurrency"] = 5
    assert down_budget(parse_config(inv, "<t>", reg)) == 5
