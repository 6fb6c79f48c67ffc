"""``dcmon demo``: the README's first command. A simulated site, monitored live.

Starts the simulated site's agents on 127.0.0.1, builds the inventory that points at them, runs
the same service ``dcmon run`` runs, and prints a short live summary so a new user sees numbers
within seconds, without hardware or any external server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import tempfile
import time
from collections import defaultdict

from dcmon.config import parse_config
from dcmon.profiles import ProfileRegistry
from dcmon.pue import instantaneous
from dcmon.service import RunningService, start_service, stop_service
from dcmon.sim.capacity import add_capacity
from dcmon.sim.site import SimulatedSite

log = logging.getLogger("dcmon.demo")


def summary(svc: RunningService) -> list[str]:
    """Rack power (A+B feeds) and UPS output, from the same snapshot /metrics serves."""
    health = svc.poller.snapshot.health()
    readings = svc.poller.snapshot.readings()
    rack_w: dict[str, float] = defaultdict(float)
    ups_w: dict[str, float] = defaultdict(float)
    for dev, rs in readings.items():
        for r in rs:
            if r.rack_power and health[dev].info.rack:
                rack_w[health[dev].info.rack] += r.value
            elif r.metric == "power" and r.labels.get("point") == "output":
                ups_w[dev] += r.value
    up = sum(1 for h in health.values() if h.up)
    down = ", ".join(f"{d} ({h.last_reason})" for d, h in sorted(health.items()) if not h.up)
    lines = [time.strftime("%H:%M:%S") + f"  devices up {up}/{len(health)}"
             + (f"; down: {down}" if down else "")]
    lines.append("  " + "  ".join(f"{rack} {w / 1000:5.2f} kW" for rack, w in
                                  sorted(rack_w.items())))
    lines.extend(f"  {dev} output {w / 1000:5.2f} kW; IT racks total "
                 f"{sum(rack_w.values()) / 1000:5.2f} kW" for dev, w in sorted(ups_w.items()))
    # Only the live ratio: a full recompute (every PUE window, capacity) runs on its own job.
    for inst in instantaneous(svc.hub.config, readings):
        if inst.value is not None and inst.facility_w is not None and inst.it_w is not None:
            lines.append(f"  site {inst.site}: PUE now {inst.value:.3f} (facility "
                         f"{inst.facility_w / 1000:.2f} kW / IT {inst.it_w / 1000:.2f} kW)")
    return lines


async def run_demo(*, listen: str = "127.0.0.1:9630", duration: float | None = None,
                   interval: float = 5.0, speed: float = 1.0,
                   api_listen: str = "127.0.0.1:9640") -> None:
    site = SimulatedSite(events=True, speed=speed)
    await site.start()
    state = tempfile.mkdtemp(prefix="dcmon-demo-")
    inv = site.inventory(interval=interval, listen=listen)
    inv["state_dir"] = state
    # Capacity ratings and a fresh admin token for the REST API (docs/api.md).
    add_capacity(inv)
    token = secrets.token_urlsafe(24)
    inv["api"] = {"listen": api_listen,
                  "tokens": [{"name": "demo", "token": token, "scope": "admin"}]}
    cfg = parse_config(inv, "<demo>", ProfileRegistry.load())
    svc = start_service(cfg, ProfileRegistry.load())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    host = listen.rpartition(":")[0]
    print(f"dcmon demo: {len(cfg.devices)} simulated devices on 127.0.0.1; "
          f"metrics at http://{host}:{svc.http_port}/metrics (Ctrl-C to stop)", flush=True)
    if svc.api is not None:
        print(f"dcmon demo: API at {svc.api.url}/api/v1 (docs {svc.api.url}/api/v1/docs), "
              f"report {svc.api.url}/api/v1/reports/capacity; demo token: {token}\n"
              f"  curl -H 'Authorization: Bearer {token}' {svc.api.url}/api/v1/racks",
              flush=True)
    try:
        t0 = loop.time()
        shown = 0
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            for event in site.log[shown:]:
                print(f"simulator: {event}", flush=True)
            shown = len(site.log)
            print("\n".join(summary(svc)), flush=True)
            if duration is not None and loop.time() - t0 >= duration:
                break
    finally:
        await stop_service(svc)
        await site.stop()
