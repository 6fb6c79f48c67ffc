"""Event-loop cost of booking polls: ``ResultsHub.on_poll`` for a fleet of PDUs.

In ``dcmon run`` every finished poll calls ``ResultsHub.on_poll`` on the event loop. This feeds
synthetic apc_rpdu2 polls (51 readings, 13 energy counters and 14 power series each;
``benchmarks/pdu_fleet.py``) for ``--devices`` PDUs, ``--sweeps`` times, spread over ``--wall``
seconds per sweep as the scheduler spreads them, with the store in a file (WAL), and prints the
CPU the loop thread spent in ``on_poll``, the longest call, and what the whole process spent.

    .venv/bin/python benchmarks/engine_loop.py [--devices 2000] [--sweeps 5] [--wall 3]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pdu_fleet import apc_rpdu2_poll, inventory
from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.store import Store

T0 = 1767225600.0
INTERVAL = 30.0


async def sweeps(hub: ResultsHub, devices: int, n: int, wall: float) -> list[tuple[float, float]]:
    """(loop CPU s, wall s) of every on_poll call."""
    calls: list[tuple[float, float]] = []
    chunk = max(1, devices // 100)
    for k in range(n):
        polls = [apc_rpdu2_poll(f"pdu{i}", T0 + k * INTERVAL + i * INTERVAL / devices, k)
                 for i in range(devices)]
        for i, p in enumerate(polls):
            c0, w0 = time.thread_time(), time.perf_counter()
            hub.on_poll(p)
            calls.append((time.thread_time() - c0, time.perf_counter() - w0))
            if i % chunk == chunk - 1:
                await asyncio.sleep(wall / 100)  # the rest of the loop's work: other polls
    return calls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=2000)
    ap.add_argument("--sweeps", type=int, default=5)
    ap.add_argument("--wall", type=float, default=3.0, help="wall seconds per sweep")
    args = ap.parse_args()
    reg = ProfileRegistry.load()
    cfg = parse_config(inventory(args.devices), "<bench>", reg)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "dcmon.sqlite"
        store = Store(db)
        hub = ResultsHub(cfg, EnergyEngine(cfg, store), Snapshot())
        start, close = getattr(hub, "start", None), getattr(hub, "close", None)
        if start is not None:
            start()
        c0, w0 = time.process_time(), time.perf_counter()
        calls = asyncio.run(sweeps(hub, args.devices, args.sweeps, args.wall))
        s0 = time.perf_counter()
        if close is not None:
            close()  # the clean stop: write what is still queued
        stop = time.perf_counter() - s0
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        store.close()
        con = sqlite3.connect(db)
        booked = con.execute("SELECT SUM(total_j), COUNT(*) FROM counters").fetchone()
        con.close()
    n = len(calls)
    loop_cpu = sum(c for c, _ in calls)
    walls = sorted(w for _, w in calls)
    readings = n * len(apc_rpdu2_poll("pdu0", T0, 0).readings)
    print(f"{args.devices} PDUs x {args.sweeps} sweeps = {n:,} polls, {readings:,} readings")
    print(f"event loop in on_poll: {loop_cpu:.2f} s CPU ({loop_cpu / n * 1e6:.0f} µs per poll); "
          f"call wall p50 {statistics.median(walls) * 1e3:.3f} ms, "
          f"p99 {walls[int(n * 0.99)] * 1e3:.2f} ms, max {walls[-1] * 1e3:.1f} ms")
    print(f"process: {cpu:.2f} s CPU in {wall:.1f} s wall (stop: {stop * 1e3:.0f} ms); "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"store: {booked[1]} counters, {booked[0]:.6e} J booked")


if __name__ == "__main__":
    main()
