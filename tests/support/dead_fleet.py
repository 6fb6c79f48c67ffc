"""A fleet of dead devices beside a few live ones, polled by the real ``dcmon run`` service.

Dead devices are UDP sockets bound on 127.0.0.1 that never read: the kernel accepts the
requests (no ICMP "port unreachable", so the client cannot fail fast) and nobody answers, which
is what an unplugged PDU behind a router looks like. Live devices are dcmon's own SNMP agent
serving the simulated APC PDU MIB, on their own event loop in a thread so a busy service loop
does not slow their answers. The service is :func:`dcmon.app.service.start_service`, as
``dcmon run`` starts it; a poll listener notes when each live device's poll succeeded.

Used by ``tests/app/test_dead_devices.py`` and ``benchmarks/dead_devices.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from dcmon.app.inventory import parse_config
from dcmon.app.service import start_service, stop_service
from dcmon.collectors.registry import ProfileRegistry
from dcmon.model import PollResult
from dcmon.sim.agent import OidStore, SnmpAgent
from dcmon.sim.devices import Meter, apc_rpdu2
from dcmon.sim.physics import LoadCurve, SimClock


@contextmanager
def silent_ports(n: int) -> Iterator[list[int]]:
    """``n`` UDP ports on 127.0.0.1 that accept datagrams and never answer."""
    with ExitStack() as stack:
        ports = []
        for _ in range(n):
            s = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            s.bind(("127.0.0.1", 0))
            ports.append(int(s.getsockname()[1]))
        yield ports


class LiveAgents:
    """``n`` simulated APC PDUs answering on 127.0.0.1, on their own loop in a thread."""

    def __init__(self, n: int) -> None:
        self._loop = asyncio.new_event_loop()
        self._agents: list[SnmpAgent] = []
        self.ports: list[int] = []
        self._n = n

    def __enter__(self) -> LiveAgents:
        self._runner = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner.start()
        clock = SimClock(time.time())
        for i in range(self._n):
            meter = Meter(LoadCurve(1500.0), clock, joules_per_count=360_000)
            agent = SnmpAgent({"live": OidStore(apc_rpdu2(meter, name=f"live-{i}"))})
            port = asyncio.run_coroutine_threadsafe(agent.start(0), self._loop).result(10)
            self._agents.append(agent)
            self.ports.append(port)
        return self

    def __exit__(self, *exc: object) -> None:
        for agent in self._agents:
            asyncio.run_coroutine_threadsafe(agent.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._runner.join(timeout=10)


@dataclass
class FleetRun:
    """What one run saw: per live device, the seconds from start to each successful poll."""

    interval: float
    live: dict[str, list[float]] = field(default_factory=dict)
    dead_polls: int = 0
    #: Wall seconds :func:`dcmon.app.service.stop_service` took.
    stop_s: float = 0.0

    def first(self) -> dict[str, float]:
        """Seconds from the service's start to each live device's first successful poll."""
        return {d: (ts[0] if ts else float("inf")) for d, ts in self.live.items()}

    def gaps(self) -> dict[str, list[float]]:
        """Seconds between consecutive successful polls of each live device."""
        return {d: [b - a for a, b in itertools.pairwise(ts)] for d, ts in self.live.items()}

    def worst_gap(self) -> float:
        return max((g for gs in self.gaps().values() for g in gs), default=float("inf"))


def fleet_inventory(live_ports: list[int], dead_ports: list[int], *, interval: float,
                    timeout: float, retries: int, poll: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    """An inventory of live PDUs (``live-N``) and dead ones (``dead-N``), API and alerts off."""
    devices = [{"id": f"live-{i}", "host": "127.0.0.1", "port": p, "profile": "apc_rpdu2",
                "credential": "live"} for i, p in enumerate(live_ports)]
    devices += [{"id": f"dead-{i}", "host": "127.0.0.1", "port": p, "profile": "apc_rpdu2",
                 "credential": "live"} for i, p in enumerate(dead_ports)]
    return {
        "poll": {"interval": interval, "timeout": timeout, "retries": retries, **(poll or {})},
        "credentials": {"live": {"version": "2c", "community": "live"}},
        "sites": [{"id": "s", "devices": devices}],
        "exporters": {"prometheus": {"listen": "127.0.0.1:0"}},
        "api": {"enabled": False},
        "alerting": {"enabled": False},
        "state_dir": tempfile.mkdtemp(prefix="dcmon-dead-fleet-"),
    }


async def _watch(inv: dict[str, Any], duration: float) -> FleetRun:
    reg = ProfileRegistry.load()
    cfg = parse_config(inv, "<dead-fleet>", reg)
    run = FleetRun(interval=float(inv["poll"]["interval"]))
    run.live = {d.id: [] for d in cfg.devices if d.id.startswith("live-")}
    t0 = time.monotonic()

    def on_poll(result: PollResult) -> None:
        if result.device in run.live:
            if result.ok:
                run.live[result.device].append(time.monotonic() - t0)
        else:
            run.dead_polls += 1

    svc = start_service(cfg, reg)
    svc.poller.listeners.append(on_poll)
    try:
        await asyncio.sleep(duration)
    finally:
        stopping = time.monotonic()
        await stop_service(svc)
        run.stop_s = time.monotonic() - stopping
    return run


def run_fleet(*, dead: int, live: int, interval: float, timeout: float, retries: int = 0,
              duration: float, poll: dict[str, Any] | None = None) -> FleetRun:
    """Run the service over ``dead`` silent ports and ``live`` agents for ``duration`` s."""
    with silent_ports(dead) as dead_ports, LiveAgents(live) as agents:
        inv = fleet_inventory(agents.ports, dead_ports, interval=interval, timeout=timeout,
                              retries=retries, poll=poll)
        return asyncio.run(_watch(inv, duration))
