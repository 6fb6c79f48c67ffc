"""Run the simulated site's SNMP agents in a background thread, for tests that run dcmon as a
separate process (``dcmon run``) against them."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any, TypeVar

from dcmon.app.inventory import parse_config
from dcmon.app.poller import Poller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import ResultsHub
from dcmon.engine.store import Store
from dcmon.sim.site import SimulatedSite

T = TypeVar("T")


class ThreadedSite:
    """A SimulatedSite living on its own event loop in a daemon thread."""

    def __init__(self, **kw: object) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.site = SimulatedSite(**kw)  # type: ignore[arg-type]
        self.call(self.site.start)

    def call(self, fn: Callable[[], object]) -> object:
        """Run a coroutine function (or plain function) on the site's loop and wait."""
        async def run() -> object:
            out = fn()
            if asyncio.iscoroutine(out):
                return await out
            return out

        fut: Future[object] = asyncio.run_coroutine_threadsafe(run(), self.loop)
        return fut.result(timeout=30)

    def close(self) -> None:
        self.call(self.site.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@contextmanager
def threaded_site(**kw: object) -> Iterator[ThreadedSite]:
    ts = ThreadedSite(**kw)
    try:
        yield ts
    finally:
        ts.close()


def hub_for(site: SimulatedSite, interval: float = 5, doc: dict[str, Any] | None = None
            ) -> tuple[Config, Poller, ResultsHub]:
    """A poller feeding a results hub (in-memory store) over a started SimulatedSite: the
    pipeline of ``dcmon run`` without its scheduler, for tests that poll by hand. ``doc``: the
    inventory to use instead of the site's own."""
    reg = ProfileRegistry.load()
    cfg = parse_config(doc or site.inventory(interval=interval), "<test>", reg)
    poller = Poller(cfg, reg)
    hub = ResultsHub(cfg, EnergyEngine(cfg, Store(":memory:")), poller.snapshot)
    poller.listeners.append(hub.on_poll)
    return cfg, poller, hub
