"""Hostile SNMP agents cannot exhaust a poller's memory or time.

A real UDP agent on 127.0.0.1 (tests/support/hostile_agent.py) answers with an endless table,
a loop, slow replies or random bytes. Every poll must end within its deadline, mark the device
down with a stable reason, keep what arrived complete, and leave memory bounded; both SNMP
clients must behave the same, and ``dcmon poll`` must return with a clear error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from dcmon.app.inventory import parse_config
from dcmon.app.poller import Poller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.model import PollResult
from tests.support.hostile_agent import POWER, inventory, running_agent, vm_rss_kib
from tests.support.paths import CASES, ROOT

PROFILES = CASES / "snmp" / "hostile"
REGISTRY = ProfileRegistry.load([PROFILES])
CLIENTS = ["lean", "pysnmp"]
#: What a poll may overrun its deadline by: the reply in flight is abandoned at once, so this
#: only covers the event loop getting round to it on a busy machine.
LATE_S = 0.5
#: RSS growth allowed for a whole run of hostile polls (the bug was 2 GB in 3 minutes).
RSS_GROWTH_MAX_KIB = 300 * 1024


def poll_once(inv: dict[str, Any], rounds: int = 1) -> tuple[list[PollResult], Poller]:
    """Poll the inventory's one device ``rounds`` times through the real Poller."""
    cfg = parse_config(inv, "hostile.yaml", REGISTRY)

    async def run() -> tuple[list[PollResult], Poller]:
        poller = Poller(cfg, REGISTRY)
        try:
            return [await poller.poll(cfg.devices[0]) for _ in range(rounds)], poller
        finally:
            await poller.close()

    return asyncio.run(run())


def kept_power(result: PollResult) -> list[float]:
    """The scalar reading read before the walks failed (kept: it arrived complete)."""
    return [r.value for r in result.readings if r.source.oid == POWER]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("mode", ["endless", "endless_rows"])
def test_endless_table_marks_device_down_within_deadline(client: str, mode: str) -> None:
    deadline = 3.0
    rss_before = vm_rss_kib()
    with running_agent(mode) as agent:
        results, poller = poll_once(inventory(agent.port, client, poll_deadline=deadline), 2)
    growth = vm_rss_kib() - rss_before
    for result in results:
        assert not result.ok
        assert result.errors[0].reason in ("walk_limit", "deadline")
        assert result.duration < deadline + LATE_S
        assert kept_power(result) == [1234.0]
        # The table never completed, so no phase reading may pretend to be the whole table.
        assert [r.metric for r in result.readings] == ["power"]
    health = poller.snapshot.health().get("hostile")
    assert health is not None and not health.up
    assert health.last_reason in ("walk_limit", "deadline")
    assert health.consecutive_failures == 2
    assert growth < RSS_GROWTH_MAX_KIB, f"RSS grew {growth} KiB"


@pytest.mark.parametrize("client", CLIENTS)
def test_endless_oid_growth_stops_at_the_snmp_oid_length(client: str) -> None:
    """X -> X.1 -> X.1.1 ...: stopped at 128 sub-identifiers, long before any other limit."""
    with running_agent("endless") as agent:
        (result,), _ = poll_once(inventory(agent.port, client))
    assert result.errors[0].reason == "walk_limit"
    assert "129 sub-identifiers (SNMP allows 128)" in result.errors[0].message


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize(("limit", "value", "says"), [
    ("max_walk_rows", 500, "more than 500 rows under 1.3.6.1.4.1.99999.42.2.1.3"),
    ("max_poll_varbinds", 300, "more than 300 varbinds in one poll"),
    ("max_poll_bytes", 4096, "more than 4096 bytes of OIDs and values in one poll"),
])
def test_walk_limits_are_configurable(client: str, limit: str, value: int, says: str) -> None:
    with running_agent("endless_rows") as agent:
        (result,), _ = poll_once(inventory(agent.port, client, {limit: value}))
    assert (result.ok, result.errors[0].reason) == (False, "walk_limit")
    assert says in result.errors[0].message


@pytest.mark.parametrize("client", CLIENTS)
def test_walk_that_stops_increasing_fails_not_increasing(client: str) -> None:
    with running_agent("non_increasing") as agent:
        (result,), poller = poll_once(inventory(agent.port, client))
    assert not result.ok
    assert result.errors[0].reason == "not_increasing"
    assert "returned OID 1.3.6.1.4.1.99999.42.2.1.3.1 after 1.3.6.1.4.1.99999.42.2.1.3.1" in (
        result.errors[0].message)
    assert kept_power(result) == [1234.0]
    health = poller.snapshot.health().get("hostile")
    assert health is not None and (health.up, health.last_reason) == (False, "not_increasing")


@pytest.mark.parametrize("client", CLIENTS)
def test_slow_agent_poll_ends_at_its_deadline(client: str) -> None:
    """Every reply 0.4 s late, inside the 0.5 s timeout: without a deadline the poll would take
    one delay per row; with it, the poll ends at 1.5 s."""
    with running_agent("slow", delay=0.4) as agent:
        t0 = time.monotonic()
        (result,), _ = poll_once(inventory(agent.port, client, poll_deadline=1.5))
        elapsed = time.monotonic() - t0
    assert (result.ok, result.errors[0].reason) == (False, "deadline")
    assert "passed its deadline of 1.5s" in result.errors[0].message
    assert 1.5 <= result.duration < 1.5 + LATE_S
    assert elapsed < 1.5 + LATE_S + 1.0  # building and closing the clients included
    assert kept_power(result) == [1234.0]


@pytest.mark.parametrize("client", CLIENTS)
def test_slow_agent_within_deadline_is_read_completely(client: str) -> None:
    with running_agent("slow", delay=0.05) as agent:
        (result,), _ = poll_once(inventory(agent.port, client, poll_deadline=10))
    assert result.ok and result.errors == ()
    values = sorted((r.metric, dict(r.labels)["phase"], r.value) for r in result.readings
                    if r.metric != "power")
    assert values == [("current", "1", pytest.approx(10.1)), ("current", "2", pytest.approx(10.2)),
                      ("current", "3", pytest.approx(10.3)), ("voltage", "1", 230.0),
                      ("voltage", "2", 230.0), ("voltage", "3", 230.0)]


@pytest.mark.parametrize("client", CLIENTS)
def test_garbage_reply_is_decode(client: str) -> None:
    with running_agent("garbage") as agent:
        (result,), poller = poll_once(inventory(agent.port, client, poll_deadline=5))
    assert (result.ok, result.errors[0].reason) == (False, "decode")
    assert "undecodable reply from" in result.errors[0].message
    assert result.readings == ()
    health = poller.snapshot.health().get("hostile")
    assert health is not None and (health.up, health.last_reason) == (False, "decode")


# --- dcmon poll, as an operator runs it ----------------------------------------------------

DEADLINE_S = 2.0
#: Margin on top of the deadline and the interpreter's start-up (measured alongside).
MARGIN_S = 2.0
#: Each mode and the reasons its poll may end with.
MODES = {
    "endless": {"walk_limit", "deadline"},
    "non_increasing": {"not_increasing"},
    "slow": {"deadline"},
    "garbage": {"decode"},
}


def dcmon_poll(port: int, *extra: str) -> tuple[float, int, dict[str, Any]]:
    """``python -m dcmon poll`` against 127.0.0.1:port; (seconds, exit code, JSON output)."""
    cmd = [sys.executable, "-m", "dcmon", "poll", "127.0.0.1", "--port", str(port),
           "--profile-dir", str(PROFILES), "--profile", "hostile_pdu", "--format", "json",
           *extra]
    t0 = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    return time.monotonic() - t0, done.returncode, json.loads(done.stdout)


def test_dcmon_poll_returns_within_deadline_against_each_mode() -> None:
    """One ``dcmon poll`` per mode, all at once, beside one against a silent port with a 0.2 s
    timeout: that one is the start-up cost under the same load."""
    with contextlib.ExitStack() as stack:
        agents = {mode: stack.enter_context(running_agent(mode, delay=0.4)) for mode in MODES}
        silent = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        silent.bind(("127.0.0.1", 0))
        args = ("--timeout", "0.5", "--retries", "1", "--deadline", str(DEADLINE_S))
        with ThreadPoolExecutor(len(MODES) + 1) as pool:
            base = pool.submit(dcmon_poll, silent.getsockname()[1], "--timeout", "0.2",
                               "--retries", "0")
            runs = {mode: pool.submit(dcmon_poll, a.port, *args) for mode, a in agents.items()}
            startup_s, code, out = base.result()
            assert (code, out["errors"][0]["reason"]) == (1, "timeout")
            for mode, run in runs.items():
                seconds, code, out = run.result()
                assert code == 1, mode
                assert out["errors"][0]["reason"] in MODES[mode], (mode, out["errors"])
                assert out["errors"][0]["message"], mode
                assert seconds < startup_s + DEADLINE_S + MARGIN_S, (mode, seconds, startup_s)
