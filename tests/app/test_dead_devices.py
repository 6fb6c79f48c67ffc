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

import logging

import pytest

from dcmon.app.service import SHUTDOWN_GRACE_S
from tests.support.dead_fleet import run_fleet

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
