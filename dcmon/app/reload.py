"""Reload the inventory in a running ``dcmon run``: on SIGHUP and on ``POST /-/reload``.

As Prometheus and snmp_exporter do it: re-read the inventory file and its profiles; a broken
file changes nothing (the running inventory keeps polling) and its problems are logged, each
with file and key; a good one is applied without a restart. Devices are compared one by one:
new ones get a poll job, removed ones lose theirs (and leave /metrics), changed ones get a
fresh job. Energy accounts, alert state and the outbox stay where they are (the same store
files), so a reload neither loses energy nor re-sends an alert.

Listeners, the state directory and the InfluxDB writer are bound at start; a change to them is
reported as needing a restart, and the rest of the reload still applies.

``dcmon_config_last_reload_successful`` and ``dcmon_config_last_reload_success_timestamp_seconds``
tell Prometheus (and its alert rules) whether the file on disk is the one running.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry, Gauge

from dcmon.app.alerting import AlertPipeline
from dcmon.app.inventory import load_with_profiles
from dcmon.app.jobs import ALERTS_JOB, add_poll_job, job_every, poll_job_id
from dcmon.app.poller import Poller
from dcmon.collectors.pollers import DevicePoller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.results import ResultsHub
from dcmon.errors import ConfigError, Problem

if TYPE_CHECKING:  # imported by the service only when configured (dcmon/app/service.py)
    from fastapi import FastAPI

    from dcmon.exporters.api.server import ApiServer
    from dcmon.exporters.influx.exporter import InfluxWriter

log = logging.getLogger("dcmon.reload")

#: A reloaded device's first poll comes within this many seconds (not a whole interval).
RELOAD_SPREAD_S = 5.0
#: Old protocol clients are closed once the polls running on them end, or after this long.
CLOSE_AFTER_S = 60.0


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did, or why it kept the running inventory."""

    ok: bool
    file: str
    devices: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    restart_needed: tuple[str, ...] = ()


@dataclass
class Running:
    """The parts of a running service that a reload reconfigures."""

    poller: Poller
    hub: ResultsHub
    scheduler: AsyncIOScheduler
    alerts: AlertPipeline
    influx: InfluxWriter | None = None
    api: ApiServer | None = None
    #: Builds the API application for an inventory (None: the API would be off).
    make_api: Callable[[Config], FastAPI | None] = lambda _c: None
    #: Listen addresses given on the command line (they win over the inventory's).
    listen_flags: dict[str, str | None] = field(default_factory=dict)
    #: What of a reloaded inventory this process runs (a shard's devices, see shard.py).
    select: Callable[[Config], Config] = lambda c: c
    #: Called after a reload is applied (the GC pacer unfreezes, so the old parts are freed).
    on_applied: list[Callable[[], None]] = field(default_factory=list)


class ReloadMetrics:
    """The two gauges Prometheus also exports about itself, under dcmon's name."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.successful = Gauge("dcmon_config_last_reload_successful",
                                "1 if the last inventory reload succeeded (the start counts)",
                                registry=registry)
        self.timestamp = Gauge("dcmon_config_last_reload_success_timestamp_seconds",
                               "When the inventory was last loaded successfully (Unix s)",
                               registry=registry)
        self.record(True)

    def record(self, ok: bool) -> None:
        self.successful.set(1 if ok else 0)
        if ok:
            self.timestamp.set(time.time())


class Reloader:
    """Re-reads the inventory file of a running service; one reload at a time."""

    def __init__(self, parts: Running, metrics: ReloadMetrics) -> None:
        self.parts = parts
        self.metrics = metrics
        self._lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()

    @property
    def config(self) -> Config:
        return self.parts.poller.config

    async def reload(self, why: str) -> ReloadOutcome:
        """Load, check, apply; log what changed or why nothing did."""
        async with self._lock:
            file = self.config.file
            log.info("reloading %s (%s)", file, why)
            try:
                config, registry = await asyncio.to_thread(load_with_profiles, file)
            except ConfigError as exc:
                return self._failed(file, exc.problems)
            except Exception as exc:  # anything else must not take the running service down
                log.exception("reload of %s failed unexpectedly", file)
                return self._failed(file, [Problem(file, "", f"{type(exc).__name__}: {exc}")])
            outcome = await self._apply(self.parts.select(config), registry)
            self.metrics.record(True)
            log.info("reloaded %s: %d devices (added %d%s, removed %d%s, changed %d%s)", file,
                     outcome.devices, len(outcome.added), _names(outcome.added),
                     len(outcome.removed), _names(outcome.removed), len(outcome.changed),
                     _names(outcome.changed))
            for item in outcome.restart_needed:
                log.warning("reload: %s changed; it takes effect at the next restart", item)
            return outcome

    def _failed(self, file: str, problems: Iterable[Problem]) -> ReloadOutcome:
        lines = tuple(str(p) for p in problems)
        self.metrics.record(False)
        log.error("reload of %s failed, the running inventory stays (%d problem%s)", file,
                  len(lines), "" if len(lines) == 1 else "s")
        for line in lines:
            log.error("reload: %s", line)
        return ReloadOutcome(False, file, len(self.config.devices), problems=lines)

    async def _apply(self, config: Config, registry: ProfileRegistry) -> ReloadOutcome:
        p = self.parts
        old = {d.id: d for d in self.config.devices}
        new = {d.id: d for d in config.devices}
        added = tuple(sorted(set(new) - set(old)))
        removed = tuple(sorted(set(old) - set(new)))
        changed = tuple(sorted(k for k in set(old) & set(new) if old[k] != new[k]
                               or _credential(self.config, old[k].credential)
                               != _credential(config, new[k].credential)))
        restart = restart_needed(self.config, config, p.listen_flags)
        inflight = set(p.poller.inflight)
        old_protocols = p.poller.reconfigure(config, registry)
        await asyncio.to_thread(p.hub.reconfigure, config)
        await asyncio.to_thread(p.alerts.reconfigure, config)
        self._reschedule(config, removed, added + changed)
        if p.influx is not None:
            from dcmon.exporters.influx.lineproto import Place
            p.influx.places = {d.id: Place(d.site, d.room, d.rack) for d in config.devices}
        restart += self._swap_api(config)
        task = asyncio.create_task(_close_when_done(old_protocols, inflight))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        for hook in p.on_applied:
            hook()
        return ReloadOutcome(True, config.file, len(config.devices), added, removed, changed,
                             restart_needed=tuple(dict.fromkeys(restart)))

    def _swap_api(self, config: Config) -> list[str]:
        """Serve the new inventory's API (tokens, sites, status page) on the same socket."""
        app = self.parts.make_api(config)
        if self.parts.api is None:
            return [] if app is None else ["api (it is off in this process)"]
        if app is None:
            return ["api.tokens (the API stays on with the old tokens until a restart)"]
        self.parts.api.swap(app)
        return []

    def _reschedule(self, config: Config, removed: Iterable[str], fresh: Iterable[str]) -> None:
        p = self.parts
        for dev_id in removed:
            if p.scheduler.get_job(poll_job_id(dev_id)) is not None:
                p.scheduler.remove_job(poll_job_id(dev_id))
        now = datetime.now().astimezone()
        for dev_id in fresh:
            dev = config.device(dev_id)
            assert dev is not None
            add_poll_job(p.scheduler, p.poller, dev, now, spread_s=RELOAD_SPREAD_S)
        job = p.scheduler.get_job(ALERTS_JOB)
        every = job_every(config.model.alerting.interval_s)
        if job is not None and getattr(job.trigger, "interval", None) is not None \
                and job.trigger.interval.total_seconds() != every:
            p.scheduler.reschedule_job(ALERTS_JOB, trigger=IntervalTrigger(seconds=every))


def restart_needed(old: Config, new: Config, flags: dict[str, str | None]) -> list[str]:
    """Settings bound at start that differ between the two inventories."""
    out = []
    if old.model.state_dir != new.model.state_dir:
        out.append("state_dir")
    if not flags.get("listen") and (old.model.exporters.prometheus.listen
                                    != new.model.exporters.prometheus.listen):
        out.append("exporters.prometheus.listen")
    if old.model.exporters.influx != new.model.exporters.influx:
        out.append("exporters.influx")
    if old.model.api.enabled != new.model.api.enabled or (
            not flags.get("api_listen") and old.model.api.listen != new.model.api.listen):
        out.append("api.enabled/api.listen")
    return out


def _credential(config: Config, name: str) -> object:
    return config.credentials.get(name)  # as written: secrets are read at the poll


def _names(ids: tuple[str, ...], most: int = 10) -> str:
    if not ids:
        return ""
    more = f" and {len(ids) - most} more" if len(ids) > most else ""
    return ": " + ", ".join(ids[:most]) + more


async def _close_when_done(protocols: list[DevicePoller],
                           inflight: set[asyncio.Task[object]]) -> None:
    """Close the old protocol clients after the polls that started on them have ended."""
    pending = [t for t in inflight if not t.done()]
    if pending:
        await asyncio.wait(pending, timeout=CLOSE_AFTER_S)
    for protocol in protocols:
        try:
            await protocol.close()
        except Exception:  # closing an old socket must not fail the reload
            log.debug("closing an old protocol client failed", exc_info=True)
