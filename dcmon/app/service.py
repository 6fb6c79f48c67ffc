"""``dcmon run``: schedule polls, serve /metrics, reload on SIGHUP, stop cleanly on SIGTERM.

Reads as: capture signals -> start the metrics listener (/metrics, /-/healthy, /-/ready) ->
schedule one job per device -> reload the inventory on each SIGHUP or ``POST /-/reload``
(:mod:`dcmon.app.reload`) -> wait for the stop signal -> stop scheduling, give in-flight polls a
grace period, cancel the rest and say how many were dropped -> close clients -> commit the
energy engine's queued polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from prometheus_client import CollectorRegistry

from dcmon import clock
from dcmon.app.alerting import AlertPipeline
from dcmon.app.gcpace import GcPacer
from dcmon.app.gil import tune_switch_interval
from dcmon.app.jobs import ALERTS_JOB, add_poll_job, first_offsets, job_every
from dcmon.app.live import LIVE_FILE, live_writer
from dcmon.app.malloc import trim_malloc, tune_malloc
from dcmon.app.paths import state_path
from dcmon.app.poller import Poller
from dcmon.app.reload import Reloader, ReloadMetrics, Running
from dcmon.app.shard import Shard, ShardResults
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.config.retrofit import SensorRef
from dcmon.engine.alerts.store import AlertStore, alerts_path
from dcmon.engine.carbon.factors import grid_factor
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.mv.sensor import FILE as TEMPERATURE_FILE
from dcmon.engine.mv.sensor import TemperatureLog, sensor_refs
from dcmon.engine.results import RESULTS_INTERVAL_S, ResultsHub
from dcmon.engine.store import Store
from dcmon.exporters.notify.metrics import NotifyCollector
from dcmon.exporters.prometheus.capacity import CapacityCollector
from dcmon.exporters.prometheus.carbon import CarbonCollector
from dcmon.exporters.prometheus.collector import SnapshotCollector
from dcmon.exporters.prometheus.engine import EngineCollector
from dcmon.exporters.prometheus.exposition import ExpositionCache
from dcmon.exporters.prometheus.http import FastExposition, MetricsServer
from dcmon.exporters.prometheus.results import ResultsText
from dcmon.exporters.prometheus.retrofit import RetrofitCollector
from dcmon.pace import paced

if TYPE_CHECKING:  # the API (FastAPI) and InfluxDB clients are imported when configured
    from fastapi import FastAPI

    from dcmon.exporters.api.ops import Reload, ReloadOut
    from dcmon.exporters.api.server import ApiServer
    from dcmon.exporters.influx.exporter import InfluxWriter

log = logging.getLogger("dcmon.app.service")

SHUTDOWN_GRACE_S = 5.0


@dataclass
class RunningService:
    """Handles of a started service, so tests and the demo can stop it."""

    poller: Poller
    scheduler: AsyncIOScheduler
    registry: CollectorRegistry
    http_port: int
    _server: MetricsServer
    hub: ResultsHub
    store: Store
    alerts: AlertPipeline | None = None
    #: The REST API (docs/api.md); None when disabled or no token is configured.
    api: ApiServer | None = None
    #: The InfluxDB writer (exporters/influx/README.md); None when not configured.
    influx: InfluxWriter | None = None
    #: Re-reads the inventory (SIGHUP, POST /-/reload); None when it is not a file.
    reloader: Reloader | None = None
    #: Keeps full garbage collections short (dcmon/app/gcpace.py); None: not started.
    gc: GcPacer | None = None
    #: Each device's /metrics lines, packed into gzip members by a thread of its own.
    exposition: ExpositionCache | None = None

    def stop_http(self) -> None:
        self._server.stop()


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class Readiness:
    """``/-/ready``: every device polled once (the first round) and the store answering.

    The first round is latched: a device added by a reload does not make a running dcmon
    unready, a store that stops answering does.
    """

    def __init__(self, poller: Poller, store: Store) -> None:
        self.poller = poller
        self.store = store
        self._first_round = False

    def __call__(self) -> tuple[bool, str]:
        if not self._first_round:
            waiting = sum(1 for h in self.poller.snapshot.health().values() if h.polls == 0)
            if waiting:
                return False, f"first poll round: {waiting} devices not polled yet"
            self._first_round = True
        if not self.store.ping():
            return False, "the state store does not answer"
        return True, ""


@dataclass
class _Pipeline:
    """Poller -> engine -> results, and what exposes them."""

    poller: Poller
    store: Store
    hub: ResultsHub
    #: Everything /metrics serves (the OpenMetrics path and tests read it).
    registry: CollectorRegistry
    #: What changes between results runs (alerts delivered, reloads, InfluxDB): per scrape.
    results: CollectorRegistry
    #: Device samples rendered when each poll lands (the text-format /metrics path).
    devices: ExpositionCache
    #: The engine's results rendered once per results run (the text-format /metrics path).
    results_text: ResultsText
    influx: InfluxWriter | None


class _DropCancelled(logging.Filter):
    """A job the scheduler cancels because the service is stopping is not an error: without
    this, apscheduler logs a CancelledError traceback for a results run caught by the stop."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


logging.getLogger("apscheduler.executors.default").addFilter(_DropCancelled())


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


class _SensorRefs:
    """The sensors the hub's current inventory names, worked out again only after a reload
    (every poll asks)."""

    def __init__(self, hub: ResultsHub) -> None:
        self.hub = hub
        self._cached: tuple[Config | None, list[SensorRef]] = (None, [])

    def get(self) -> list[SensorRef]:
        config = self.hub.config
        cached = self._cached  # one read: a reload on another thread swaps the whole pair
        if config is not cached[0]:
            cached = self._cached = (config, sensor_refs(config))
        return cached[1]


def _pipeline(config: Config, profiles: ProfileRegistry, store: Store,
              shard: Shard | None = None) -> _Pipeline:
    """Poller -> engine -> results, their collectors, and the InfluxDB writer if configured.

    A shard publishes no site-level result (PUE, site power, capacity): with part of the
    devices they would be wrong, not partial-looking (:mod:`dcmon.app.shard`)."""
    poller = Poller(config, profiles, sources=False)  # `dcmon poll` shows sources, not /metrics
    hub = ResultsHub(config, EnergyEngine(config, store), poller.snapshot,
                     retrofits_in_background=True)
    poller.listeners.append(hub.on_poll)
    # Outdoor sensors that retrofits read, logged hourly: always, so that a retrofit a reload
    # adds is logged from then on (a poll only compares its device with the sensors named).
    temps = TemperatureLog(state_path(config).parent / TEMPERATURE_FILE, _SensorRefs(hub).get)
    poller.listeners.append(temps.on_poll)
    hub.listeners.append(lambda _: temps.flush())
    hub.temperatures = temps
    # The latest readings for `dcmon report capacity` beside the service (dcmon/app/live.py).
    hub.listeners.append(live_writer(state_path(config).parent / LIVE_FILE,
                                     poller.snapshot.readings))
    devices = ExpositionCache(poller.snapshot)
    poller.listeners.append(devices.on_poll)
    results = CollectorRegistry()
    engine, cached = CollectorRegistry(), CollectorRegistry()  # the latter without meters
    if shard is None:
        engine.register(EngineCollector(hub))
        engine.register(CapacityCollector(hub))
        cached.register(EngineCollector(hub, meters=False))
        cached.register(CapacityCollector(hub))
        for extra in (CarbonCollector(hub), RetrofitCollector(hub)):
            engine.register(extra)
            cached.register(extra)
    else:
        engine.register(ShardResults(EngineCollector(hub), shard))
        cached.register(ShardResults(EngineCollector(hub, meters=False), shard))
    results_text = ResultsText(hub, cached)
    hub.listeners.append(results_text.on_results)  # rendered per results run, not per scrape
    # Rendered now, before the listener starts: a scrape takes the last rendered results and
    # waits only for a first rendering, which would otherwise be the first results run's
    # (seconds for a city, past the first scrapes' deadline).
    results_text.members()
    influx = None
    if config.model.exporters.influx is not None:  # exporters/influx/README.md
        from dcmon.exporters.influx.exporter import InfluxWriter
        from dcmon.exporters.influx.metrics import InfluxCollector
        influx = InfluxWriter.from_config(config, state_path(config).parent)
        poller.listeners.append(influx.on_poll)
        if shard is None:
            hub.listeners.append(influx.on_results)  # PUE windows and lifetime energy too
        results.register(InfluxCollector(influx))
        influx.start()  # its thread batches, flushes every flush_interval, replays the spool
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(poller.snapshot))
    registry.register(engine)
    registry.register(results)
    return _Pipeline(poller, store, hub, registry, results, devices, results_text, influx)


def _recompute(hub: ResultsHub) -> None:
    """The results job (a worker thread): recompute, paced so the polls' event loop keeps the
    interpreter (:mod:`dcmon.pace`), then return the burst's freed memory."""
    with paced():
        hub.recompute()
    trim_malloc()


def _schedule(scheduler: AsyncIOScheduler, config: Config, poller: Poller, hub: ResultsHub,
              alerts: AlertPipeline | None) -> None:
    """Add the poll, results and alert jobs (none for a shard: Prometheus alerts), start."""
    now = datetime.now().astimezone()
    # On an accelerated (simulated) clock every device starts at once, so all meters' data
    # begin together and the first PUE window is not skewed by staggered starts.
    spread = clock.speed() == 1
    offsets = first_offsets(config.devices) if spread else {d.id: 0.0 for d in config.devices}
    for dev in config.devices:
        add_poll_job(scheduler, poller, dev, now, offsets.get(dev.id), spread=spread)
    scheduler.add_job(_recompute, IntervalTrigger(seconds=job_every(RESULTS_INTERVAL_S)),
                      args=(hub,), id="results",
                      name="PUE and energy results", max_instances=1, coalesce=True,
                      next_run_time=now + timedelta(seconds=3.0))
    if alerts is None:
        scheduler.start()
        return
    scheduler.add_job(alerts.tick_hub,
                      IntervalTrigger(seconds=job_every(config.model.alerting.interval_s)),
                      args=[hub], id=ALERTS_JOB, name="alert evaluation and delivery",
                      max_instances=1, coalesce=True,
                      next_run_time=now + timedelta(seconds=min(15.0, job_every(
                          RESULTS_INTERVAL_S) + 5)))
    scheduler.start()


def start_service(config: Config, profiles: ProfileRegistry, *,
                  listen: str | None = None, api_listen: str | None = None,
                  shard: Shard | None = None) -> RunningService:
    """Start exposition and scheduling on the running loop; returns handles.

    The stores are opened and both listeners (/metrics, the API) bound before any job starts,
    so a busy address or an unusable ``state_dir`` raises :class:`StartError` (one line for the
    operator) with nothing left running. With ``shard`` only its devices are polled (and a
    reload keeps to them); the API and the engine's alerts are off, as they would tell
    partial site figures.
    """
    tune_malloc()  # before the service's threads start allocating (dcmon/app/malloc.py)
    tune_switch_interval()  # the loop gets the interpreter back sooner (dcmon/app/gil.py)
    if shard is not None:
        config = shard.select(config)
    store, alert_store = _open_stores(config)
    pipe = _pipeline(config, profiles, store, shard)
    address = listen or config.model.exporters.prometheus.listen
    host, port = split_listen(address)
    try:
        server = MetricsServer(host, port, pipe.registry, Readiness(pipe.poller, store),
                               FastExposition(pipe.devices, pipe.results_text, pipe.results)
                               ).start()
    except OSError as exc:
        _abandon(pipe, alert_store)
        raise listen_error(address, exc) from None
    alerts = AlertPipeline(config, alert_store)  # docs/alerts.md
    pipe.results.register(NotifyCollector(alert_store))
    metrics = ReloadMetrics(pipe.results)
    active = lambda: list(alerts.store.active().values())  # noqa: E731
    parts = Running(pipe.poller, pipe.hub, AsyncIOScheduler(), alerts, pipe.influx,
                    listen_flags={"listen": listen, "api_listen": api_listen})
    if shard is not None:
        parts.select = shard.select
    reloader = Reloader(parts, metrics) if Path(config.file).is_file() else None
    reload = _api_reload(reloader, asyncio.get_running_loop()) if reloader else None
    if shard is None:
        parts.make_api = lambda cfg: _build_api(cfg, pipe.hub, active, reload)
    try:
        parts.api = _start_api(config, pipe.hub, api_listen, active, reload) \
            if shard is None else None
    except OSError as exc:
        server.stop()
        _abandon(pipe, alert_store)
        raise listen_error(api_listen or config.model.api.listen, exc) from None
    pipe.hub.start()  # the engine's writer thread: polls are committed together, off the loop
    _schedule(parts.scheduler, config, pipe.poller, pipe.hub, alerts if shard is None else None)
    log.info("polling %d devices%s; metrics on http://%s:%d/metrics", len(config.devices),
             "" if shard is None else f" (shard {shard}; API and alerts off: site figures "
             "come from the sharded Prometheus rules)", host, server.port)
    pipe.devices.start()  # packs what polls rendered into gzip members, every second
    pacer = GcPacer(asyncio.get_running_loop())
    pacer.start()  # after the start built the inventory, profiles and jobs: frozen
    parts.on_applied.append(pacer.unfreeze_now)  # a reload's garbage is collectable at once
    return RunningService(pipe.poller, parts.scheduler, pipe.registry, server.port, server,
                          pipe.hub, store, alerts, parts.api, influx=pipe.influx,
                          reloader=reloader, gc=pacer, exposition=pipe.devices)


def _abandon(pipe: _Pipeline, alert_store: AlertStore) -> None:
    """Undo a start that could not bind: stop the writer thread, close the stores."""
    if pipe.influx is not None:
        pipe.influx.close(timeout=1.0)
    pipe.store.close()
    alert_store.close()


def _build_api(config: Config, hub: ResultsHub, alerts: Callable[[], list[Any]],
               reload: Reload | None) -> FastAPI | None:
    """The API app for a reloaded inventory (None when off); FastAPI is imported only when
    an inventory turns the API on (~12 MB resident, with its models)."""
    if not config.model.api.enabled:
        return None
    from dcmon.exporters.api.server import build_app
    return build_app(config, hub, alerts=alerts, reload=reload, grid_factor=grid_factor)[0]


def _start_api(config: Config, hub: ResultsHub, listen: str | None,
               alerts: Callable[[], list[Any]], reload: Reload | None) -> ApiServer | None:
    """``start_api`` when the inventory turns the API on; None, importing nothing, when off."""
    if not config.model.api.enabled:
        return None
    from dcmon.exporters.api.server import start_api
    return start_api(config, hub, listen=listen, alerts=alerts, reload=reload,
                     grid_factor=grid_factor)


def _api_reload(reloader: Reloader, loop: asyncio.AbstractEventLoop) -> Reload:
    """``POST /-/reload``: run the reload on the service's loop, wait for its outcome."""
    def reload() -> ReloadOut:
        from dcmon.exporters.api.ops import ReloadOut  # the API is on: FastAPI is loaded
        fut = asyncio.run_coroutine_threadsafe(reloader.reload("POST /-/reload"), loop)
        o = fut.result(timeout=120)
        return ReloadOut(status="success" if o.ok else "error", file=o.file, devices=o.devices,
                         added=list(o.added), removed=list(o.removed), changed=list(o.changed),
                         problems=list(o.problems), restart_needed=list(o.restart_needed))
    return reload


async def stop_service(svc: RunningService) -> None:
    """Stop scheduling, wait a grace period for polls in flight, then cancel and close."""
    svc.scheduler.shutdown(wait=False)
    if svc.gc is not None:
        svc.gc.stop()
    for t in list(svc.poller.waiting):  # queued for a slot: nothing sent yet, nothing to wait for
        t.cancel()
    pending = [t for t in svc.poller.inflight if not t.done()]
    if pending:
        _, still = await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_S)
        for t in still:
            t.cancel()
        if still:
            log.warning("shutdown: cancelled %d polls still in flight", len(still))
    await svc.poller.close()
    await asyncio.to_thread(svc.hub.close)  # after the last poll: commit what is queued
    if svc.influx is not None:  # after the last poll: write the rest, or keep it in the spool
        await asyncio.to_thread(svc.influx.close)
    if svc.api is not None:
        svc.api.stop()
    svc.stop_http()
    if svc.exposition is not None:
        svc.exposition.stop()
    svc.store.close()
    if svc.alerts is not None:
        svc.alerts.store.close()


async def run_until_signal(config: Config, profiles: ProfileRegistry, *,
                           listen: str | None = None, api_listen: str | None = None,
                           shard: Shard | None = None,
                           on_started: Callable[[RunningService], Awaitable[None]] | None = None
                           ) -> None:
    """Run the service until SIGTERM or SIGINT; SIGHUP reloads the inventory."""
    stop, hup = asyncio.Event(), asyncio.Event()
    loop = asyncio.get_running_loop()
    # Handlers first: a SIGHUP during start-up queues a reload instead of killing the process.
    for sig, event in ((signal.SIGTERM, stop), (signal.SIGINT, stop), (signal.SIGHUP, hup)):
        with contextlib.suppress(NotImplementedError, AttributeError):
            loop.add_signal_handler(sig, event.set)
    svc = start_service(config, profiles, listen=listen, api_listen=api_listen, shard=shard)
    reloads = asyncio.create_task(_reload_on(hup, svc))
    try:
        if on_started is not None:
            await on_started(svc)
        await stop.wait()
        log.info("stopping: signal received")
    finally:
        reloads.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reloads
        await stop_service(svc)
    log.info("stopped")


async def _reload_on(hup: asyncio.Event, svc: RunningService) -> None:
    """Reload once per SIGHUP (signals that arrive during a reload make one more)."""
    while True:
        await hup.wait()
        hup.clear()
        if svc.reloader is None:
            log.warning("SIGHUP: this inventory is not a file; nothing to reload")
            continue
        await svc.reloader.reload("SIGHUP")
