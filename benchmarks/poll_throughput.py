"""Polling throughput: N simulated PDUs with 40 varbinds each, over GET and over GETBULK.

The agents run in a separate process (dcmon's own asyncio agent, one UDP port per PDU), so the
CPU figures are the poller's alone: the dcmon collector (profile applied, Readings built) on
either SNMP client. Prints varbinds per CPU-second of the dcmon process, the wall time of a
sweep (every PDU polled once, at most ``--concurrency`` at a time) and the peak RSS.

    .venv/bin/python benchmarks/poll_throughput.py [--pdus 200] [--sweeps 5] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dcmon.collectors.registry import compile_profile
from dcmon.collectors.snmp.api import SnmpClient, SnmpTarget
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.model import CompiledProfile

BASE = "1.3.6.1.4.1.99999.1"
N_VARBINDS = 40


def _profiles() -> dict[str, CompiledProfile]:
    """Two 40-varbind profiles: 40 scalars (one GET) and one 40-row column (GETBULK walk)."""
    get = compile_profile({
        "profile": "bench_get", "metrics": [
            {"name": "power", "oid": f"{BASE}.1.{i}.0", "unit": "W", "scale": 10,
             "labels": {"outlet": str(i)}} for i in range(1, N_VARBINDS + 1)]}, "<bench>")
    bulk = compile_profile({
        "profile": "bench_bulk", "metrics": [
            {"name": "power", "oid": f"{BASE}.2.1.5", "unit": "W", "scale": 10,
             "index": [{"label": "outlet"}]}]}, "<bench>")
    return {"get": get, "bulk": bulk}


def _serve(n: int, ports: Any, ready: Any, stop: Any) -> None:
    """Agent process: n agents on n ports, each a PDU with 40 scalars and a 40-row column."""
    from dcmon.sim.agent import OidStore, SnmpAgent

    async def main() -> None:
        agents = []
        for d in range(n):
            values: dict[str, tuple[str, Any]] = {}
            for i in range(1, N_VARBINDS + 1):
                values[f"{BASE}.1.{i}.0"] = ("Integer32", 100 + d + i)
                values[f"{BASE}.2.1.5.{i}"] = ("Gauge32", 200 + d + i)
            values[f"{BASE}.3.0"] = ("Integer32", 0)  # ends the walk inside the agent's view
            agent = SnmpAgent({"bench": OidStore(values)})
            ports.append(await agent.start(0))
            agents.append(agent)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for a in agents:
            await a.stop()

    asyncio.run(main())


def _client(name: str) -> SnmpClient:
    if name == "lean":
        from dcmon.collectors.snmp.lean import LeanSnmpClient

        return LeanSnmpClient()
    from dcmon.collectors.snmp.client import PysnmpClient

    return PysnmpClient()


async def _sweeps(client_name: str, mode: str, ports: list[int], sweeps: int,
                  concurrency: int) -> tuple[list[float], list[float], int]:
    client = _client(client_name)
    collector = SnmpCollector(client)
    profile = _profiles()[mode]
    sem = asyncio.Semaphore(concurrency)
    targets = [SnmpTarget("127.0.0.1", p, "2c", "bench", timeout=5, retries=2,
                          max_repetitions=N_VARBINDS) for p in ports]
    readings = 0

    async def one(i: int, t: SnmpTarget) -> int:
        async with sem:
            res = await collector.poll(f"pdu{i}", t, profile)
            if not res.ok:
                raise RuntimeError(f"poll failed: {res.errors}")
            return len(res.readings)

    walls, cpus = [], []
    await asyncio.gather(*(one(i, t) for i, t in enumerate(targets)))  # warm-up sweep
    for _ in range(sweeps):
        c0, w0 = time.process_time(), time.perf_counter()
        counts = await asyncio.gather(*(one(i, t) for i, t in enumerate(targets)))
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        readings = sum(counts)
    await client.close()
    return walls, cpus, readings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdus", type=int, default=200)
    ap.add_argument("--sweeps", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--clients", default="lean,pysnmp")
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    with ctx.Manager() as mgr:
        ports, ready, stop = mgr.list(), ctx.Event(), ctx.Event()
        proc = ctx.Process(target=_serve, args=(args.pdus, ports, ready, stop), daemon=True)
        proc.start()
        if not ready.wait(60):
            sys.exit("agents did not start")
        port_list = list(ports)
        print(f"{args.pdus} PDUs x {N_VARBINDS} varbinds, concurrency {args.concurrency}, "
              f"median of {args.sweeps} sweeps (agents in a separate process)")
        print(f"{'client':8} {'mode':5} {'varbinds/CPU-s':>15} {'us CPU/varbind':>15} "
              f"{'sweep wall s':>13} {'readings':>9}")
        for client_name in args.clients.split(","):
            for mode in ("get", "bulk"):
                walls, cpus, readings = asyncio.run(
                    _sweeps(client_name, mode, port_list, args.sweeps, args.concurrency))
                cpu = statistics.median(cpus)
                vb = args.pdus * N_VARBINDS
                print(f"{client_name:8} {mode:5} {vb / cpu:15,.0f} {cpu / vb * 1e6:15.1f} "
                      f"{statistics.median(walls):13.3f} {readings:9d}")
        stop.set()
        proc.join(10)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the dcmon process: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
