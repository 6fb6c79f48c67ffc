"""``dcmon simulate``: the simulated city on its own, for dcmon instances elsewhere to poll.

``dcmon demo`` runs the simulator and dcmon in one process; this command runs only the devices
(dcmon/sim/city.py: SNMP PDUs, UPSes and InRow units, Modbus incomer and chiller meters),
writes the inventory that monitors them, and waits. The docker-compose stack uses it as its
"simulator" service. Another process cannot share the simulator's clock, so a dcmon polling it
from elsewhere sees accelerated time as faster energy: keep ``--speed 1`` for that (the
default) and use acceleration only with ``dcmon demo``, which shares the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path

import yaml

from dcmon.sim.city import SimulatedCity


async def run_simulator(*, speed: float, host: str, base_port: int | None,
                        address: str, inventory_out: str | None, interval: float,
                        events: bool) -> None:
    site = SimulatedCity(speed=speed, host=host, base_port=base_port, events=events)
    await site.start()
    inv = site.inventory(interval=interval, address=address)
    text = "# Written by `dcmon simulate`: the inventory of the simulated city.\n" + \
        yaml.safe_dump(inv, sort_keys=False)
    if inventory_out:
        Path(inventory_out).write_text(text, encoding="utf-8")
        print(f"dcmon simulate: inventory written to {inventory_out}", flush=True)
    else:
        print(text, flush=True)
    snmp, modbus = site.device_count()
    print(f"dcmon simulate: {len(site.sites)} sites, {snmp} SNMP agents and {modbus} Modbus "
          f"meters on {host} (speed x{speed:g}); Ctrl-C to stop", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    shown = 0
    try:
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            for event in site.log[shown:]:
                print(f"simulator: {event}", flush=True)
            shown = len(site.log)
    finally:
        await site.stop()
