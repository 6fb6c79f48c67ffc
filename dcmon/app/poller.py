"""Poll the inventory's devices: two concurrency budgets, backoff and the snapshot.

One Poller serves every device. It hands each device to its protocol's poller
(:data:`dcmon.collectors.pollers.POLLERS`: shared clients, detection). A device that is not
answering would hold a concurrency slot for a whole timeout (times its retries) doing nothing,
so slots are split by what the device did last (docs/configuration.md, "Dead devices"):

* devices whose last poll succeeded share ``poll.concurrency``;
* devices whose last poll failed (down, or never answered) share the smaller
  ``poll.down_concurrency`` and back off; the backoff is checked before they queue, so a
  skipped poll costs nothing;
* a device's first scheduled poll waits for no slot: until a device has answered once, a live
  one cannot be told from a dead one, so the scheduler spreads first polls over the interval
  (that bounds their rate) instead of queueing live devices behind hundreds of timeouts.

``dcmon poll`` and ``dcmon profiles detect`` go through it too, so a device answers the
command line as it answers ``dcmon run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from dcmon import clock
from dcmon.collectors.pollers import POLLERS, DevicePoller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.detect import Detection
from dcmon.config.resolved import Config, DeviceSpec
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.model import PollResult

log = logging.getLogger("dcmon.app.poller")

#: Backoff after consecutive failures: skip polls for interval × 2^(n-1), at most this many.
MAX_BACKOFF_INTERVALS = 8


@dataclass
class _Track:
    """What the poller remembers of a device: it picks the budget and the backoff."""

    polls: int = 0
    failures: int = 0  # consecutive
    next_attempt: float = 0.0  # time.monotonic(); 0: poll at the next tick


def down_budget(config: Config) -> int:
    """``poll.down_concurrency``, by default a quarter of ``poll.concurrency`` (at least 1)."""
    return config.poll.down_concurrency or max(1, config.poll.concurrency // 4)


class Poller:
    """Polls configured devices and records results in the snapshot."""

    def __init__(self, config: Config, registry: ProfileRegistry,
                 snapshot: Snapshot | None = None, *, sources: bool = True) -> None:
        self.config = config
        self.registry = registry
        self.snapshot = snapshot or Snapshot([device_info(d) for d in config.devices])
        #: Readings carry their Source (``dcmon poll`` prints it); ``dcmon run`` passes False:
        #: the snapshot of a city would spend ~100 MB on OID strings nobody reads.
        self.sources = sources
        self.protocols: dict[str, DevicePoller] = {
            name: make(config, registry, sources) for name, make in POLLERS.items()}
        self._healthy = asyncio.Semaphore(config.poll.concurrency)
        self._down = asyncio.Semaphore(down_budget(config))
        self._tracks: dict[str, _Track] = {}
        #: Called with every poll result after the snapshot (the energy engine hooks in here).
        self.listeners: list[Callable[[PollResult], None]] = []
        #: Polls talking to their device, so shutdown can wait for them and then cancel the rest.
        self.inflight: set[asyncio.Task[object]] = set()
        #: Polls waiting for a slot: they have sent nothing, so shutdown cancels them at once.
        self.waiting: set[asyncio.Task[object]] = set()

    def _budget(self, dev: DeviceSpec) -> asyncio.Semaphore:
        track = self._tracks.get(dev.id)
        return self._down if track is not None and track.failures else self._healthy

    def reconfigure(self, config: Config, registry: ProfileRegistry) -> list[DevicePoller]:
        """Take a reloaded inventory and profiles: new protocol pollers (credentials, client
        choice, profiles), the new concurrency budgets, the snapshot's device list. Backoff is kept
        for unchanged devices. Returns the old protocol pollers, for the caller to close once
        the polls still running on them are done."""
        old_devices = {d.id: d for d in self.config.devices}
        old = list(self.protocols.values())
        self.config = config
        self.registry = registry
        self.protocols = {name: make(config, registry, self.sources)
                          for name, make in POLLERS.items()}
        self._healthy = asyncio.Semaphore(config.poll.concurrency)
        self._down = asyncio.Semaphore(down_budget(config))
        new_devices = {d.id: d for d in config.devices}
        self._tracks = {k: t for k, t in self._tracks.items()
                        if k in new_devices and new_devices[k] == old_devices.get(k)}
        self.snapshot.set_devices([device_info(d) for d in config.devices])
        return old

    async def poll(self, dev: DeviceSpec) -> PollResult:
        """Poll one device now (no backoff) in its budget; record and return the result."""
        return await self._poll(dev, self._budget(dev))

    async def _poll(self, dev: DeviceSpec, budget: asyncio.Semaphore | None) -> PollResult:
        config = self.config
        async with self._slot(budget):
            profile = self.registry.get(dev.profile) if dev.profile != "auto" else None
            result = await self.protocols[dev.protocol].poll(dev, profile)
        if self.config is not config and self.config.device(dev.id) != dev:
            return result  # removed or changed by a reload while in flight: not its data now
        track = self._tracks.setdefault(dev.id, _Track())
        track.polls += 1
        track.failures = 0 if result.ok else track.failures + 1
        self.snapshot.record(result)
        for listener in self.listeners:
            try:
                listener(result)
            except Exception:  # a listener fault must not stop polling; it is logged loudly
                log.exception("processing the poll of %s failed", dev.id)
        return result

    @contextlib.asynccontextmanager
    async def _slot(self, budget: asyncio.Semaphore | None) -> AsyncIterator[None]:
        """Hold a slot of ``budget`` (None: no slot) and keep the task in the shutdown sets."""
        task = asyncio.current_task()
        tasks = {task} if task is not None else set()
        self.waiting |= tasks
        try:
            if budget is not None:
                await budget.acquire()
        finally:
            self.waiting -= tasks
        self.inflight |= tasks
        try:
            yield
        finally:
            self.inflight -= tasks
            if budget is not None:
                budget.release()

    async def detect(self, dev: DeviceSpec) -> Detection | str:
        """Which profile the device gets and why (or why its protocol cannot tell)."""
        return await self.protocols[dev.protocol].detect(dev)

    async def scheduled_poll(self, dev: DeviceSpec, spread: bool = False) -> None:
        """The scheduler's job: skip while backing off, otherwise poll in the device's budget.

        ``spread``: the scheduler spread the first polls over the interval, so a device's first
        poll takes no slot (its start time already paces it).
        """
        track = self._tracks.setdefault(dev.id, _Track())
        now = time.monotonic()
        if now < track.next_attempt:  # before queueing: a skipped poll holds no place
            return
        budget = None if spread and track.polls == 0 else self._budget(dev)
        try:
            await self._poll(dev, budget)
        except asyncio.CancelledError:
            log.debug("poll of %s cancelled at shutdown", dev.id)
            return
        track.next_attempt = 0.0
        if track.failures > 1:
            n = min(2 ** (track.failures - 2), MAX_BACKOFF_INTERVALS)
            every = clock.wall(dev.interval)  # backoff runs on the wall clock
            track.next_attempt = now + every * n - every * 0.5

    async def close(self) -> None:
        for protocol in self.protocols.values():
            await protocol.close()


def device_info(d: DeviceSpec) -> DeviceInfo:
    return DeviceInfo(id=d.id, site=d.site, room=d.room, rack=d.rack, profile=d.profile,
                      host=d.host, port=d.port, feed=d.feed)
