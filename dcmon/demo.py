"""``dcmon demo``: the README's first command. A simulated site, monitored live.

Starts the simulated site's agents on 127.0.0.1, builds the inventory that points at them, runs
the same service ``dcmon run`` runs, and prints a short live summary so a new user sees numbers
within seconds, without hardware or any external server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import defaultdict

from dcmon.config import parse_config
from dcmon.profiles import ProfileRegistry
from dcmon.service import RunningService, start_service, stop_service
from dcmon.sim.site import SimulatedSite

log = logging.getLogger("dcmon.demo")


def summary(svc: RunningService) -> list[str]:
    """One line per rack and device health, from the same snapshot /metrics serves."""
    health = svc.poller.snapshot.health()
    readings = svc.poller.snapshot.readings()
    rack_w: dict[str, float] = defaultdict(float)
    lines = []
    for dev, rs in sorted(readings.items()):
        h = health[dev]
        for r in rs:
            if r.rack_power and h.info.rack:
                rack_w[h.info.rack] += r.value
    up = sum(1 for h in health.values() if h.up)
    lines.append(f"devices up: {up}/{len(health)}")
    for rack, w in sorted(rack_w.items()):
        lines.append(f"  rack {rack}: {w / 1000:6.2f} kW (A+B feeds)")
    for dev, rs in sorted(readings.items()):
        for r in rs:
            if r.metric == "power" and not health[dev].info.rack:
                lines.append(f"  {dev} {r.labels.get('line', '')}: {r.value / 1000:6.2f} kW")
    return lines


async def run_demo(*, listen: str = "127.0.0.1:9630", duration: float | None = None,
                   interval: float = 5.0) -> None:
    site = SimulatedSite()
    await site.start()
    cfg = parse_config(site.inventory(interval=interval, listen=listen), "<demo>",
                       ProfileRegistry.load())
    svc = start_service(cfg, ProfileRegistry.load())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    host = listen.rpartition(":")[0]
    print(f"dcmon demo: {len(site.devices)} simulated devices on 127.0.0.1; "
          f"metrics at http://{host}:{svc.http_port}/metrics (Ctrl-C to stop)", flush=True)
    try:
        t0 = loop.time()
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            print("\n".join(summary(svc)), flush=True)
            if duration is not None and loop.time() - t0 >= duration:
                break
    finally:
        await stop_service(svc)
        await site.stop()
