"""``dcmon demo``: the README's first command. A simulated city, monitored live.

Starts the simulated city (dcmon/sim/city.py) on 127.0.0.1, builds the inventory that points at
it, runs the same service ``dcmon run`` runs (poller, engine, /metrics, REST API, status page,
alerting), and prints a short live summary, without hardware or any external server.

Time runs ``speed`` times faster than the wall (default 120: a simulated hour in 30 s), and the
simulator's clock is installed as dcmon's data clock (dcmon/clock.py), so a 1-hour PUE window
really holds one simulated hour. The demo's alerting judges the 1 h and 24 h windows with no
``for`` delay (production defaults: 24 h and 30 d, for 6 h), so the new build's PUE breach
fires within a minute. Notifications go to a small webhook receiver the demo runs on 127.0.0.1
and prints, plus any receivers given with ``--receivers FILE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import shutil
import signal
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dcmon import clock
from dcmon.app.backfill import SITE as HISTORY_SITE
from dcmon.app.backfill import seed_history
from dcmon.app.inventory import parse_config
from dcmon.app.service import RunningService, start_service, stop_service
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.yamlfile import load_yaml
from dcmon.engine.carbon.factors import grid_factor
from dcmon.engine.pue import instantaneous
from dcmon.engine.tenants.statement import statement
from dcmon.exporters.reports.statement import render_markdown
from dcmon.sim.city import SimulatedCity
from dcmon.sim.tenants import assign_tenants

log = logging.getLogger("dcmon.app.demo")

DEFAULT_SPEED = 120.0
#: Poll interval in simulated seconds (1 wall second at the default speed).
DEFAULT_INTERVAL = 120.0


class Sink:
    """The demo's own alert receiver: a webhook endpoint on 127.0.0.1 that prints what it gets,
    so a new user sees the whole delivery path (evaluate -> outbox -> HTTP) without a server."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.lines: list[str] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with contextlib.suppress(ValueError):
                    doc = json.loads(body)
                    sink.received.append(doc)
                    labels = doc.get("labels", {})
                    where = " ".join(f"{k}={labels[k]}" for k in ("site", "rack", "device")
                                     if labels.get(k))
                    sink.lines.append(f"{doc.get('status', '?').upper()} "
                                      f"{labels.get('alertname')} {where}: "
                                      f"{doc.get('annotations', {}).get('summary', '')}")
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def demo_inventory(city: SimulatedCity, *, listen: str, api_listen: str, interval: float,
                   token: str, sink_url: str | None, receivers: dict[str, Any] | None,
                   state_dir: str) -> dict[str, Any]:
    """The demo's config: the city, the API and status page, and fast-judging alerting."""
    inv = assign_tenants(city.inventory(interval=interval, listen=listen))
    inv["state_dir"] = state_dir
    # The status page is public here: the demo binds 127.0.0.1 only (docs/api.md).
    inv["api"] = {"listen": api_listen, "status_page": "public",
                  "tokens": [{"name": "demo", "token": token, "scope": "admin"}]}
    rcv: list[dict[str, Any]] = list((receivers or {}).get("receivers", []))
    if sink_url is not None:
        rcv.insert(0, {"name": "demo-console", "type": "webhook", "url": sink_url,
                       "timeout": 2})
    inv["alerting"] = {
        # Seconds of simulated time, like every duration here (dcmon/clock.py).
        "interval": "1m",
        "rules": {"pue": {"windows": ["1h", "24h"], "for": "0s"}},
        "receivers": rcv,
        "routes": list((receivers or {}).get("routes", [])),
        "outbox": {"backoff": "1m", "max_backoff": "10m"},
    }
    return inv


def summary(svc: RunningService, names: dict[str, str]) -> list[str]:
    """Live PUE and IT power per site, devices down, and active alerts."""
    health = svc.poller.snapshot.health()
    up = sum(1 for h in health.values() if h.up)
    down = ", ".join(d for d, h in sorted(health.items()) if not h.up)
    sim = clock.now()
    lines = [f"{_stamp(sim)} (simulated)  devices up {up}/{len(health)}"
             + (f"; down: {down}" if down else "")]
    ceilings = {c.site: c.value for c in svc.hub.latest.ceilings}
    pue_1h = {r.site: r.value for r in svc.hub.latest.pue
              if r.window == "1h" and r.zone is None and r.value is not None}
    for inst in instantaneous(svc.hub.config, svc.poller.snapshot.readings()):
        ceiling = ceilings.get(inst.site)
        now = f"{inst.value:.3f}" if inst.value is not None else "  -  "
        hour = f"{pue_1h[inst.site]:.3f}" if inst.site in pue_1h else "  -  "
        it = f"{inst.it_w / 1000:6.1f}" if inst.it_w is not None else "   -  "
        limit = f"ceiling {ceiling:.2f}" if ceiling is not None else "edge, report only"
        lines.append(f"  {names.get(inst.site, inst.site):42.42s} PUE now {now}  last hour "
                     f"{hour}  IT {it} kW  ({limit})")
        lines += carbon_line(svc, inst.site)
    for r in svc.hub.latest.retrofits:
        if r.avoided_kwh is not None and r.uncertainty_kwh is not None:
            lines.append(f"  retrofit {r.retrofit} at {r.site}: {r.avoided_kwh:,.0f} kWh avoided "
                         f"± {r.uncertainty_kwh:,.0f} ({r.confidence:.0%} confidence, "
                         f"ASHRAE Guideline 14), verified against a {r.baseline_points}-day "
                         "baseline")
        else:
            lines.append(f"  retrofit {r.retrofit} at {r.site}: {r.status}: {r.reason}")
    if svc.alerts is not None:
        for a in sorted(svc.alerts.store.active().values(), key=lambda a: a.alertname):
            lines.append(f"  alert {a.state}: {a.alertname} "
                         + " ".join(f"{k}={v}" for k, v in sorted(a.labels.items())
                                    if k in ("site", "rack", "device", "window")))
    return lines


def carbon_line(svc: RunningService, site: str) -> list[str]:
    """The site's last-hour CUE, REF and WUE (docs/carbon.md), once the hour has them."""
    res = svc.hub.latest
    c = next((c for c in res.carbon if c.site == site and c.window == "1h"), None)
    w = next((w for w in res.water if w.site == site and w.window == "1h"), None)
    parts = []
    if c is not None and c.cue is not None:
        parts.append(f"CUE {c.cue:.3f} kg CO2/kWh")
    if c is not None and c.ref:
        parts.append(f"REF {c.ref:.1%}")
    if w is not None and w.wue is not None:
        parts.append(f"WUE {w.wue:.2f} L/kWh")
    return [f"  {'':42.42s} last hour: " + "  ".join(parts)] if parts else []


def _stamp(t: float) -> str:
    return time.strftime("%a %H:%M", time.gmtime(t))


def load_receivers(path: str | None) -> dict[str, Any] | None:
    """``--receivers FILE``: YAML with ``receivers:`` (and optional ``routes:``), the same
    shape as the ``alerting:`` block of an inventory (docs/alerts.md)."""
    if path is None:
        return None
    doc = load_yaml(Path(path)) or {}  # the inventory's reader: same limits, file:line errors
    if not isinstance(doc, dict) or not isinstance(doc.get("receivers", []), list):
        raise ValueError(f"{path}: expected a mapping with a 'receivers:' list")
    return doc


async def run_demo(*, listen: str = "127.0.0.1:9630", duration: float | None = None,
                   interval: float = DEFAULT_INTERVAL, speed: float = DEFAULT_SPEED,
                   api_listen: str = "127.0.0.1:9640",
                   receivers: dict[str, Any] | None = None,
                   console_receiver: bool = True, quiet: bool = False,
                   on_started: Any = None) -> None:
    extra = receivers
    city = SimulatedCity(events=True, speed=speed)
    await city.start()
    clock.use(city.clock)
    sink = Sink() if console_receiver else None
    token = secrets.token_urlsafe(24)
    # The demo's stores live in a temp folder, removed on exit (also after a failed start).
    state_dir = tempfile.mkdtemp(prefix="dcmon-demo-")
    log.info("demo state in %s (removed on exit)", state_dir)
    try:
        await _run_demo(city, sink, state_dir, token, extra, listen=listen, duration=duration,
                        interval=interval, speed=speed, api_listen=api_listen, quiet=quiet,
                        on_started=on_started)
    finally:
        if sink is not None:
            sink.close()
        clock.use(None)
        shutil.rmtree(state_dir, ignore_errors=True)


async def _run_demo(city: SimulatedCity, sink: Sink | None, state_dir: str, token: str,
                    extra: dict[str, Any] | None, *, listen: str, duration: float | None,
                    interval: float, speed: float, api_listen: str, quiet: bool,
                    on_started: Any) -> None:
    inv = demo_inventory(city, listen=listen, api_listen=api_listen, interval=interval,
                         token=token, sink_url=sink.url if sink else None, receivers=extra,
                         state_dir=state_dir)
    reg = ProfileRegistry.load()
    cfg = parse_config(inv, "<demo>", reg, secrets=True)  # --receivers may name env secrets
    # Months of the 2012 site's history with its chiller retrofit (dcmon/app/backfill.py).
    retrofit = await seed_history(city, cfg, reg, Path(state_dir))
    next(s for s in inv["sites"] if s["id"] == HISTORY_SITE)["retrofits"] = [retrofit]
    cfg = parse_config(inv, "<demo>", reg, secrets=True)
    svc = start_service(cfg, reg)
    names = {s.id: s.name for s in cfg.model.sites}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    host = listen.rpartition(":")[0]
    snmp, modbus = city.device_count()
    print(f"dcmon demo: a simulated city of {len(cfg.model.sites)} sites ({snmp} SNMP agents, "
          f"{modbus} Modbus meters) on 127.0.0.1, time x{speed:g} "
          f"(a simulated hour every {3600 / speed:g} s); Ctrl-C to stop", flush=True)
    print(f"  metrics     http://{host}:{svc.http_port}/metrics", flush=True)
    if svc.api is not None:
        print(f"  status page {svc.api.url}/status\n"
              f"  REST API    {svc.api.url}/api/v1 (OpenAPI: /api/v1/openapi.json, with "
              f"the token too); demo token: {token}\n"
              f"    curl -H 'Authorization: Bearer {token}' {svc.api.url}/api/v1/sites\n"
              f"  statements curl -H 'Authorization: Bearer {token}' '{svc.api.url}/api/v1/"
              "tenants/statement?format=md&lang=zh' (printed for the new build on exit)",
              flush=True)
    if on_started is not None:
        on_started(svc, city)
    try:
        t0 = loop.time()
        shown = heard = 0
        every = max(2.0, 3600 / speed / 6) if speed > 1 else 10.0
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)
            if not quiet:
                for event in city.log[shown:]:
                    print(f"simulator: {event}", flush=True)
                for line in (sink.lines[heard:] if sink else []):
                    print(f"receiver demo-console got: {line}", flush=True)
                print("\n".join(summary(svc, names)), flush=True)
            shown = len(city.log)
            heard = len(sink.lines) if sink else 0
            if duration is not None and loop.time() - t0 >= duration:
                break
    finally:
        try:
            if not quiet:
                print(tenant_statement(svc, "muni-new"), flush=True)
        finally:
            await stop_service(svc)
            await city.stop()


def tenant_statement(svc: RunningService, site: str) -> str:
    """The tenants' statement of ``site`` for the simulated month so far (docs/tenants.md)."""
    hub = svc.hub
    try:
        st = statement(hub.config, hub.engine, site, None, clock.now(), grid_factor,
                       hub.calc.settle_s())
    except ValueError as exc:
        return f"no tenant statement yet: {exc}"
    return render_markdown(st)
