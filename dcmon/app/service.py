"""``dcmon run``: schedule polls, serve /metrics, shut down cleanly on SIGTERM.

Reads as: capture signals -> start the exposition server -> schedule one job per device ->
wait for the stop signal -> stop scheduling, give in-flight polls a grace period, cancel the rest
and say how many were dropped -> close clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import random
import signal
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry, start_http_server

from dcmon import clock
from dcmon.app.alerting import AlertPipeline
from dcmon.app.poller import Poller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.alerts.store import AlertStore, alerts_path
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import RESULTS_INTERVAL_S, ResultsHub
from dcmon.engine.store import Store
from dcmon.exporters.api.server import ApiServer, start_api
from dcmon.exporters.influx.exporter import InfluxWriter
from dcmon.exporters.influx.metrics import InfluxCollector
from dcmon.exporters.notify.metrics import NotifyCollector
from dcmon.exporters.prometheus.capacity import CapacityCollector
from dcmon.exporters.prometheus.collector import SnapshotCollector
from dcmon.exporters.prometheus.engine import EngineCollector

log = logging.getLogger("dcmon.app.service")

SHUTDOWN_GRACE_S = 5.0


@dataclass
class RunningService:
    """Handles of a started service, so tests and the demo can stop it."""

    poller: Poller
    scheduler: AsyncIOScheduler
    registry: CollectorRegistry
    http_port: int
    _server: object
    _thread: object
    hub: ResultsHub
    store: Store
    alerts: AlertPipeline | None = None
    #: The REST API (docs/api.md); None when disabled or no token is configured.
    api: ApiServer | None = None
    #: The InfluxDB writer (exporters/influx/README.md); None when not configured.
    influx: InfluxWriter | None = None

    def stop_http(self) -> None:
        shutdown = getattr(self._server, "shutdown", None)
        if shutdown:
            shutdown()


def state_path(config: Config) -> Path:
    """The SQLite store: ``state_dir`` (relative to the inventory file) / dcmon.sqlite."""
    base = Path(config.file).resolve().parent if Path(config.file).exists() else Path.cwd()
    return base / config.model.state_dir / "dcmon.sqlite"


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


#: Recompute and alert jobs never run more often than this (wall seconds), however fast the
#: data clock runs: at 120x a 60 s interval would otherwise recompute twice a second.
MIN_JOB_WALL_S = 1.0


def _job_every(data_seconds: float) -> float:
    return max(MIN_JOB_WALL_S, clock.wall(data_seconds)) if clock.speed() != 1 else data_seconds


class StartError(Exception):
    """``dcmon run`` cannot start: one line for the operator, no traceback."""


class ListenError(StartError):
    """A listener could not bind its address."""


def _open_stores(config: Config) -> tuple[Store, AlertStore]:
    """The energy and alert stores under ``state_dir``; StartError when it cannot be used."""
    try:
        store = Store(state_path(config))
    except (OSError, sqlite3.Error) as exc:
        raise StartError(f"{config.file}: state_dir: cannot keep state in "
                         f"{state_path(config).parent}: {_why(exc)}") from None
    try:
        return store, AlertStore(alerts_path(config))
    except (OSError, sqlite3.Error) as exc:
        store.close()
        raise StartError(f"{config.file}: state_dir: cannot keep alert state in "
                         f"{alerts_path(config)}: {_why(exc)}") from None


def _why(exc: Exception) -> str:
    return (exc.strerror or str(exc)) if isinstance(exc, OSError) else str(exc)


#: What a bind failure means, in the words an operator searches for.
_BIND_REASONS = {errno.EADDRINUSE: "address in use", errno.EACCES: "permission denied",
                 errno.EADDRNOTAVAIL: "address not available on this host"}


def listen_error(listen: str, exc: OSError) -> ListenError:
    """``cannot listen on 127.0.0.1:9630: address in use``."""
    if isinstance(exc, socket.gaierror):  # a host name that does not resolve
        reason = str(exc.strerror)
    elif exc.errno in _BIND_REASONS:
        reason = _BIND_REASONS[exc.errno]
    else:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return ListenError(f"cannot listen on {listen}: {reason}")


def _schedule_polls(scheduler: AsyncIOScheduler, poller: Poller, config: Config,
                    now: datetime) -> None:
    for dev in config.devices:
        # A random start offset spreads 1,000 devices over the interval instead of a burst.
        every = clock.wall(dev.interval)  # data seconds -> wall (dcmon/clock.py)
        # On an accelerated (simulated) clock every device starts at once, so all meters' data
        # begin together and the first PUE window is not skewed by staggered starts.
        offset = random.uniform(0, every) if clock.speed() == 1 else 0.0
        scheduler.add_job(
            poller.scheduled_poll, IntervalTrigger(seconds=every), args=[dev],
            id=f"poll:{dev.id}", name=f"poll {dev.id}", max_instances=1, coalesce=True,
            misfire_grace_time=max(1, int(every)),
            next_run_time=now + timedelta(seconds=offset),
        )


def start_service(config: Config, profiles: ProfileRegistry, *,
                  listen: str | None = None) -> RunningService:
    """Start exposition and scheduling on the running loop; returns handles.

    Both listeners (/metrics, the API) are bound before any thread or job starts, so a busy
    address raises :class:`ListenError` with nothing left running.
    """
    store, alert_store = _open_stores(config)
    poller = Poller(config, profiles)
    hub = ResultsHub(config, EnergyEngine(config, store), poller.snapshot)
    poller.listeners.append(hub.on_poll)
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(poller.snapshot))
    registry.register(EngineCollector(hub))
    registry.register(CapacityCollector(hub))
    address = listen or config.model.exporters.prometheus.listen
    host, port = split_listen(address)
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        store.close()
        alert_store.close()
        raise listen_error(address, exc) from None
    alerts = AlertPipeline(config, alert_store)  # docs/alerts.md
    registry.register(NotifyCollector(alerts.store))
    try:
        api = start_api(config, hub, alerts=lambda: list(alerts.store.active().values()))
    except OSError as exc:
        server.shutdown()
        server.server_close()
        store.close()
        alerts.store.close()
        raise listen_error(config.model.api.listen, exc) from None
    bound = server.server_address[1]
    influx = None
    if config.model.exporters.influx is not None:  # exporters/influx/README.md
        influx = InfluxWriter.from_config(config, state_path(config).parent)
        poller.listeners.append(influx.on_poll)
        hub.listeners.append(influx.on_results)  # PUE windows and lifetime energy too
        registry.register(InfluxCollector(influx))
        influx.start()  # its thread batches, flushes every flush_interval, replays the spool
    scheduler = AsyncIOScheduler()
    now = datetime.now().astimezone()
    _schedule_polls(scheduler, poller, config, now)
    scheduler.add_job(hub.recompute, IntervalTrigger(seconds=_job_every(RESULTS_INTERVAL_S)),
                      id="results",
                      name="PUE and energy results", max_instances=1, coalesce=True,
                      next_run_time=now + timedelta(seconds=3.0))
    scheduler.add_job(alerts.tick_hub,
                      IntervalTrigger(seconds=_job_every(config.model.alerting.interval_s)),
                      args=[hub], id="alerts", name="alert evaluation and delivery",
                      max_instances=1, coalesce=True,
                      next_run_time=now + timedelta(seconds=min(15.0, _job_every(
                          RESULTS_INTERVAL_S) + 5)))
    scheduler.start()
    log.info("polling %d devices; metrics on http://%s:%d/metrics", len(config.devices), host,
             bound)
    return RunningService(poller, scheduler, registry, bound, server, thread, hub, store, alerts,
                          api, influx=influx)


async def stop_service(svc: RunningService) -> None:
    """Stop scheduling, wait a grace period for polls in flight, then cancel and close."""
    svc.scheduler.shutdown(wait=False)
    pending = [t for t in svc.poller.inflight if not t.done()]
    if pending:
        _, still = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_S)
        for t in still:
            t.cancel()
        if still:
            log.warning("shutdown: cancelled %d polls still in flight", len(still))
    await svc.poller.close()
    if svc.influx is not None:  # after the last poll: write the rest, or keep it in the spool
        await asyncio.to_thread(svc.influx.close)
    if svc.api is not None:
        svc.api.stop()
    svc.stop_http()
    svc.store.close()
    if svc.alerts is not None:
        svc.alerts.store.close()


async def run_until_signal(config: Config, profiles: ProfileRegistry, *,
                           listen: str | None = None,
                           on_started: Callable[[RunningService], Awaitable[None]] | None = None
                           ) -> None:
    """Run the service until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    svc = start_service(config, profiles, listen=listen)
    try:
        if on_started is not None:
            await on_started(svc)
        await stop.wait()
        log.info("stopping: signal received")
    finally:
        await stop_service(svc)
    log.info("stopped")
