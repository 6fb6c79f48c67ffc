"""Wire the inventory to the collectors: targets, profile choice, concurrency and backoff.

One Poller serves every device. It holds the shared SNMP clients (one pysnmp engine for all
targets), a global concurrency cap, and per-device backoff so a dead device costs at most one
timeout per backoff period and never delays the others (each poll is its own task).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

from dcmon import clock
from dcmon.collectors.modbus.client import BusSpec
from dcmon.collectors.modbus.collector import ModbusCollector, ModbusDevice
from dcmon.collectors.modbus.model import CompiledModbusProfile
from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.api import SnmpClient, SnmpError, SnmpTarget
from dcmon.collectors.snmp.client import PysnmpClient
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.detect import detect
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.config.resolved import Config, DeviceSpec, ResolvedCredential
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.model import PollError, PollResult

log = logging.getLogger("dcmon.app.poller")

#: Backoff after consecutive failures: skip polls for interval × 2^(n-1), at most this many.
MAX_BACKOFF_INTERVALS = 8


def make_target(dev: DeviceSpec, cred: ResolvedCredential, default_max_rep: int,
                profile: CompiledProfile | None = None) -> SnmpTarget:
    """Build the SnmpTarget for a device: device setting > profile quirk > global default."""
    max_rep = dev.max_repetitions or (profile.max_repetitions if profile else None) \
        or default_max_rep

    def secret(s: SecretStr | None) -> str | None:
        return s.get_secret_value() if s is not None else None

    return SnmpTarget(
        host=dev.host, port=dev.port, version=cred.version,
        community=secret(cred.community) or "", user=cred.user,
        auth_protocol=cred.auth_protocol, auth_key=secret(cred.auth_key),
        priv_protocol=cred.priv_protocol, priv_key=secret(cred.priv_key),
        context=cred.context, timeout=dev.timeout, retries=dev.retries, max_repetitions=max_rep,
    )


@dataclass
class _Backoff:
    failures: int = 0
    next_attempt: float = 0.0


class Poller:
    """Polls configured devices and records results in the snapshot."""

    def __init__(self, config: Config, registry: ProfileRegistry,
                 snapshot: Snapshot | None = None, client: SnmpClient | None = None,
                 lean_client: SnmpClient | None = None) -> None:
        self.config = config
        self.registry = registry
        self.snapshot = snapshot or Snapshot([device_info(d) for d in config.devices])
        self.client: SnmpClient = client or PysnmpClient()
        self.lean = lean_client
        if self.lean is None and config.poll.snmp_client == "lean":
            from dcmon.collectors.snmp.lean import LeanSnmpClient

            self.lean = LeanSnmpClient()
        self.collector = SnmpCollector(self.client)
        self.modbus = ModbusCollector()
        self.lean_collector = SnmpCollector(self.lean) if self.lean else None
        self._sem = asyncio.Semaphore(config.poll.concurrency)
        self._detected: dict[str, CompiledProfile] = {}
        self._backoff: dict[str, _Backoff] = {}
        #: Called with every poll result after the snapshot (the energy engine hooks in here).
        self.listeners: list[Callable[[PollResult], None]] = []
        #: Polls in flight, so shutdown can wait for them and then cancel the rest.
        self.inflight: set[asyncio.Task[object]] = set()

    def _client_for(self, target: SnmpTarget) -> tuple[SnmpClient, SnmpCollector]:
        if self.lean is not None and self.lean_collector is not None and target.version != "3":
            return self.lean, self.lean_collector
        return self.client, self.collector

    async def poll(self, dev: DeviceSpec) -> PollResult:
        """Poll one device now (no backoff), record and return the result."""
        task = asyncio.current_task()
        if task is not None:
            self.inflight.add(task)
        try:
            async with self._sem:
                result = await self._poll(dev)
        finally:
            if task is not None:
                self.inflight.discard(task)
        self.snapshot.record(result)
        for listener in self.listeners:
            try:
                listener(result)
            except Exception:  # a listener fault must not stop polling; it is logged loudly
                log.exception("processing the poll of %s failed", dev.id)
        return result

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

    async def _poll(self, dev: DeviceSpec) -> PollResult:
        if dev.protocol == "modbus":
            mprof = self.registry.get(dev.profile)
            assert isinstance(mprof, CompiledModbusProfile)  # checked by the config loader
            return await self.modbus.poll(modbus_device(dev), mprof)
        cred = self.config.credentials[dev.credential]
        started = clock.now()
        t0 = time.monotonic()
        profile = self.registry.get(dev.profile) if dev.profile != "auto" else \
            self._detected.get(dev.id)
        target = make_target(dev, cred, self.config.poll.max_repetitions, profile)
        client, collector = self._client_for(target)
        if profile is None:
            try:
                found = await detect(client, target, self.registry.all())
            except SnmpError as exc:
                return PollResult(dev.id, "auto", (), (PollError(exc.reason, exc.message),),
                                  started, time.monotonic() - t0, ok=False)
            if found.profile is None:
                return PollResult(dev.id, "auto", (), (PollError("no_profile", found.reason),),
                                  started, time.monotonic() - t0, ok=False)
            log.info("device %s: %s", dev.id, found.reason)
            profile = found.profile
            self._detected[dev.id] = profile
            target = make_target(dev, cred, self.config.poll.max_repetitions, profile)
        return await collector.poll(dev.id, target, profile, include_outlets=dev.outlets)

    async def close(self) -> None:
        await self.modbus.close()
        await self.client.close()
        if self.lean is not None:
            await self.lean.close()


def modbus_device(d: DeviceSpec) -> ModbusDevice:
    """The Modbus collector's view of an inventory device."""
    opts = dict(d.modbus or {})
    bus = BusSpec(host=d.host, port=d.port, transport=opts.pop("transport", "tcp"),
                  timeout=d.timeout)
    return ModbusDevice(name=d.id, bus=bus, unit=opts.pop("unit", 1), retries=d.retries, **opts)


def device_info(d: DeviceSpec) -> DeviceInfo:
    return DeviceInfo(id=d.id, site=d.site, room=d.room, rack=d.rack, profile=d.profile,
                      host=d.host, port=d.port, feed=d.feed)
