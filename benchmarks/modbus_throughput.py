"""Modbus polling throughput: 200 meters behind 20 gateways, polled with the dcmon collector.

The gateways run in a separate process (pymodbus servers on 127.0.0.1, one port per gateway,
ten unit ids each, every unit an Eastron SDM630 register map), so the CPU figures are the
poller's alone: pymodbus client, request planning, decoding and Readings. Each sweep polls every
meter once, all at the same time; the per-gateway lock serialises the ten units of a gateway,
the gateways run in parallel. Prints registers per CPU-second of the dcmon process and the wall
time of a sweep. ``--bus-latency-ms`` makes every request take that long at the gateway, as an
RS-485 bus would (at 9600 baud a 74-register answer alone takes about 160 ms).

    .venv/bin/python benchmarks/modbus_throughput.py [--gateways 20] [--units 10] [--sweeps 5]
                                                     [--bus-latency-ms 0]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import statistics
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dcmon.collectors.modbus.client import BusSpec
from dcmon.collectors.modbus.codec import encode
from dcmon.collectors.modbus.collector import ModbusCollector, ModbusDevice
from dcmon.collectors.modbus.model import CompiledModbusProfile
from dcmon.collectors.registry import load_profile_file

PROFILE = Path(__file__).resolve().parents[1] / "collectors" / "profiles" / "eastron_sdm630.yaml"


def _profile() -> CompiledModbusProfile:
    p = load_profile_file(PROFILE)
    assert isinstance(p, CompiledModbusProfile)
    return p


def _serve(gateways: int, units: int, latency: float, conn: Connection) -> None:
    """Gateway process: ``gateways`` servers, each with ``units`` SDM630s; reports the ports."""
    from tests.test_modbus_server import FakeGateway, FakeUnit

    profile = _profile()

    async def main() -> None:
        servers = []
        for g in range(gateways):
            meters = {}
            for u in range(1, units + 1):
                unit = FakeUnit(fill_gaps=True, delay=latency)
                for i, f in enumerate(profile.fields):
                    unit.put(f.table, f.address, encode(f.type, 100.0 + g + u + i, f.byte_order))
                meters[u] = unit
            gw = FakeGateway(meters)
            await gw.start()
            servers.append(gw)
        conn.send([gw.port for gw in servers])
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # wait for "stop"
        for gw in servers:
            await gw.stop()

    asyncio.run(main())


async def _sweeps(ports: list[int], units: int, sweeps: int) -> dict[str, float]:
    profile = _profile()
    devices = [ModbusDevice(f"meter-{g}-{u}", BusSpec("127.0.0.1", port, timeout=5.0), unit=u)
               for g, port in enumerate(ports) for u in range(1, units + 1)]
    collector = ModbusCollector()
    results = await asyncio.gather(*(collector.poll(d, profile) for d in devices))  # warm-up
    assert all(r.ok and not r.errors for r in results), [r.errors for r in results][:3]
    walls, cpus, registers, requests, readings = [], [], 0, 0, 0
    for _ in range(sweeps):
        regs0, req0 = collector.registers, collector.requests
        c0, t0 = time.process_time(), time.perf_counter()
        results = await asyncio.gather(*(collector.poll(d, profile) for d in devices))
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        registers += collector.registers - regs0
        requests += collector.requests - req0
        readings += sum(len(r.readings) for r in results)
        assert all(r.ok for r in results)
    await collector.close()
    return {"wall": statistics.median(walls), "wall_max": max(walls), "cpu": sum(cpus),
            "registers": registers, "requests": requests, "readings": readings,
            "meters": len(devices)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gateways", type=int, default=20)
    ap.add_argument("--units", type=int, default=10, help="meters per gateway")
    ap.add_argument("--sweeps", type=int, default=5)
    ap.add_argument("--bus-latency-ms", type=float, default=0.0)
    args = ap.parse_args()

    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(
        target=_serve, args=(args.gateways, args.units, args.bus_latency_ms / 1000, child),
        daemon=True)
    server.start()
    ports: list[int] = parent.recv()
    try:
        r = asyncio.run(_sweeps(ports, args.units, args.sweeps))
    finally:
        parent.send("stop")
        server.join(10)
    per_sweep = r["registers"] / args.sweeps
    print(f"{r['meters']:.0f} meters behind {args.gateways} gateways "
          f"({args.units} units each), Eastron SDM630 profile, "
          f"bus latency {args.bus_latency_ms:g} ms per request, {args.sweeps} sweeps")
    print(f"  per sweep: {r['requests'] / args.sweeps:.0f} requests, {per_sweep:.0f} registers, "
          f"{r['readings'] / args.sweeps:.0f} readings")
    print(f"  registers per CPU-second (poller): {r['registers'] / r['cpu']:,.0f}"
          f"  ({r['cpu'] / r['registers'] * 1e6:.2f} µs CPU per register)")
    print(f"  wall time per sweep: {r['wall'] * 1000:.0f} ms median, "
          f"{r['wall_max'] * 1000:.0f} ms max")
    print(f"  peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
