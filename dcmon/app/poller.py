"""Poll the inventory's devices: the concurrency cap, backoff and the snapshot.

One Poller serves every device. It hands each device to its protocol's poller
(:data:`dcmon.collectors.pollers.POLLERS`: shared clients, detection), holds a global
concurrency cap, and per-device backoff so a dead device costs at most one timeout per backoff
period and never delays the others (each poll is its own task). ``dcmon poll`` and ``dcmon
profiles detect`` go through it too, so a device answers the command line as it answers
``dcmon run``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from dcmon import clock
from dcmon.collectors.pollers import POLLERS, DevicePoller, detect_device
from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.detect import Detection
from dcmon.config.resolved import Config, DeviceSpec
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.model import PollResult

log = logging.getLogger("dcmon.app.poller")

#: Backoff after consecutive failures: skip polls for interval × 2^(n-1), at most this many.
MAX_BACKOFF_INTERVALS = 8


@dataclass
class _Backoff:
    failures: int = 0
    next_attempt: float = 0.0


class Poller:
    """Polls configured devices and records results in the snapshot."""

    def __init__(self, config: Config, registry: ProfileRegistry,
                 snapshot: Snapshot | None = None) -> None:
        self.config = config
        self.registry = registry
        self.snapshot = snapshot or Snapshot([device_info(d) for d in config.devices])
        self.protocols: dict[str, DevicePoller] = {
            name: make(config, registry) for name, make in POLLERS.items()}
        self._sem = asyncio.Semaphore(config.poll.concurrency)
        self._backoff: dict[str, _Backoff] = {}
        #: Called with every poll result after the snapshot (the energy engine hooks in here).
        self.listeners: list[Callable[[PollResult], None]] = []
        #: Polls in flight, so shutdown can wait for them and then cancel the rest.
        self.inflight: set[asyncio.Task[object]] = set()

    def reconfigure(self, config: Config, registry: ProfileRegistry) -> list[DevicePoller]:
        """Take a reloaded inventory and profiles: new protocol pollers (credentials, client
        choice, profiles), the new concurrency cap, the snapshot's device list. Backoff is kept
        for unchanged devices. Returns the old protocol pollers, for the caller to close once
        the polls still running on them are done."""
        old_devices = {d.id: d for d in self.config.devices}
        old = list(self.protocols.values())
        self.config = config
        self.registry = registry
        self.protocols = {name: make(config, registry) for name, make in POLLERS.items()}
        self._sem = asyncio.Semaphore(config.poll.concurrency)
        new_devices = {d.id: d for d in config.devices}
        self._backoff = {k: b for k, b in self._backoff.items()
                         if k in new_devices and new_devices[k] == old_devices.get(k)}
        self.snapshot.set_devices([device_info(d) for d in config.devices])
        return old

    async def poll(self, dev: DeviceSpec) -> PollResult:
        """Poll one device now (no backoff), record and return the result."""
        task = asyncio.current_task()
        if task is not None:
            self.inflight.add(task)
        config = self.config
        try:
            async with self._sem:
                profile = self.registry.get(dev.profile) if dev.profile != "auto" else None
                result = await self.protocols[dev.protocol].poll(dev, profile)
        finally:
            if task is not None:
                self.inflight.discard(task)
        if self.config is not config and self.config.device(dev.id) != dev:
            return result  # removed or changed by a reload while in flight: not its data now
        self.snapshot.record(result)
        for listener in self.listeners:
            try:
                listener(result)
            except Exception:  # a listener fault must not stop polling; it is logged loudly
                log.exception("processing the poll of %s failed", dev.id)
        return result

    async def detect(self, dev: DeviceSpec) -> Detection | str:
        """Which profile the device gets and why (or why its protocol cannot tell)."""
        return await detect_device(self.protocols[dev.protocol], dev)

    async def scheduled_poll(self, dev: DeviceSpec) -> None:
        """The scheduler's job: skip while backing off, otherwise poll."""
        b = self._backoff.setdefault(dev.id, _Backoff())
        now = time.monotonic()
        if now < b.next_attempt:
            return
        try:
            result = await self.poll(dev)
        except asyncio.CancelledError:
            log.debug("poll of %s cancelled at shutdown", dev.id)
            return
        if result.ok:
            b.failures = 0
            b.next_attempt = 0.0
        else:
            b.failures += 1
            if b.failures > 1:
                n = min(2 ** (b.failures - 2), MAX_BACKOFF_INTERVALS)
                every = clock.wall(dev.interval)  # backoff runs on the wall clock
                b.next_attempt = now + every * n - every * 0.5

    async def close(self) -> None:
        for protocol in self.protocols.values():
            await protocol.close()


def device_info(d: DeviceSpec) -> DeviceInfo:
    return DeviceInfo(id=d.id, site=d.site, room=d.room, rack=d.rack, profile=d.profile,
                      host=d.host, port=d.port, feed=d.feed)
