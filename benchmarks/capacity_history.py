"""Capacity's history of a city that has run for weeks: what reading it costs, and what it keeps.

The city benchmark runs minutes, so capacity there has no complete hour of history. A city that
has run for ``--days`` days has, for each rack PDU's rack-power series, an hourly rollup row
per hour of the history window (``capacity.history_days``, 30 by default) and a daily one per
day of the forecast window. This builds the city benchmark's inventory (``--pdus`` apc_rpdu2
PDUs, two a rack, 20 sites), lets one synthetic poll of every PDU create the engine's series,
writes ``--days`` days of hourly and daily rows for the series capacity reads into the store,
then prints:

* the time to read the history (``CapacityCalculator.history``: what a results run does once
  an hour) and what it keeps (tracemalloc, after a collection), as ``dcmon run`` keeps it
  (summed per rack and feed) and, for comparison, meter by meter (``--meter-by-meter``: each
  meter's hours and days as dicts, as capacity kept them before);
* the time of one capacity computation from it (every results run);
* what a day of the status page's history points keeps of the racks' power (12 points made,
  times 24), as kept and as dicts.

    .venv/bin/python benchmarks/capacity_history.py [--pdus 10000] [--days 30]
        [--meter-by-meter]
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.city_scale import city_inventory
from benchmarks.pdu_fleet import apc_rpdu2_poll
from dcmon.app.inventory import parse_config
from dcmon.app.poller import device_info
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.topology import MeterRef
from dcmon.engine.capacity import calculator
from dcmon.engine.capacity.calculator import CapacityCalculator
from dcmon.engine.capacity.history import DAY, DeviceHistory
from dcmon.engine.energy import HOUR
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.pue import narrow
from dcmon.engine.results import HISTORY_POINTS, Results, history_point
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.store import Store

T0 = 1.8e9 - 1.8e9 % DAY


def fill(store_path: Path, keys: list[str], days: int) -> int:
    """``days`` of hourly and daily rows for ``keys``, ending at T0; returns the rows."""
    db = sqlite3.connect(store_path)
    hours = [T0 - (i + 1) * HOUR for i in range(days * 24)]
    n = 0
    with db:
        for k, key in enumerate(keys):
            base = 1500.0 + k % 97
            db.executemany("INSERT OR REPLACE INTO hourly VALUES (?, ?, ?, ?, ?)",
                           [(key, h, base * HOUR, base + (h / HOUR) % 24 * 10.0, HOUR)
                            for h in hours])
            db.executemany("INSERT OR REPLACE INTO daily VALUES (?, ?, ?, ?, ?)",
                           [(key, T0 - (d + 1) * DAY, base * DAY, base + 230.0, DAY)
                            for d in range(days)])
            n += len(hours) + days
    db.close()
    return n


def kept_bytes(make: Any) -> tuple[Any, int, float]:
    """What ``make()`` returns, the bytes it holds, and the seconds it took: timed on its own,
    then made again under tracemalloc (which slows allocation) to count the bytes."""
    gc.collect()
    t = time.perf_counter()
    make()
    took = time.perf_counter() - t
    gc.collect()
    tracemalloc.start()
    got = make()
    gc.collect()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return got, size, took


def status_points(res: Results) -> None:
    """What a day of the status page's history points (one per 5 minutes) keeps of the
    racks' power: as ``dcmon run`` keeps them, and as dicts of (site, rack) -> kW."""
    first = history_point(res)
    _, size, _ = kept_bytes(lambda: [history_point(res, first).racks for _ in range(12)])
    racks = dict(first.racks)
    _, dicts, _ = kept_bytes(lambda: [{(s, r): None if v is None else v * 1.0
                                       for (s, r), v in racks.items()}
                                      for _ in range(12)])
    n = HISTORY_POINTS / 12
    print(f"status page, {len(racks)} racks, a day of points ({HISTORY_POINTS}): "
          f"{size * n / 2**20:.1f} MiB as kept, {dicts * n / 2**20:.1f} MiB as dicts")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdus", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--meter-by-meter", action="store_true",
                    help="also keep each meter's hours and days, as capacity did before")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        doc = city_inventory(args.pdus, [161], args.pdus, sites=20, interval=60.0,
                             state_dir=tmp, concurrency=64)
        cfg = parse_config(doc, "<bench>", ProfileRegistry.load())
        store = Store(Path(tmp) / "dcmon.sqlite")
        engine = EnergyEngine(cfg, store)
        snap = Snapshot([device_info(d) for d in cfg.devices])
        for d in cfg.devices:
            res = apc_rpdu2_poll(d.id, T0 - 60.0, 0)
            snap.record(res)
            engine.ingest(res.readings)
        engine.flush()
        by_device: dict[str, list[Any]] = {}
        for s in engine.series.values():
            by_device.setdefault(s.device, []).append(s)
        keys = [s.key for d in cfg.devices if d.rack
                for s in narrow(by_device.get(d.id, []), MeterRef(device=d.id))
                if s.key.startswith("P|")]
        t = time.perf_counter()
        rows = fill(Path(tmp) / "dcmon.sqlite", keys, args.days)
        print(f"{args.pdus} PDUs, {len(keys)} rack-power series, {args.days} days: {rows} rollup "
              f"rows written in {time.perf_counter() - t:.0f} s")
        now = T0 + 30.0
        calc = CapacityCalculator(cfg, engine)
        hist, size, took = kept_bytes(lambda: CapacityCalculator(cfg, engine).history(now))
        calc.history(now)
        hours = sum(g.hours for h in hist.values() for g in h.groups[:1])
        print(f"history as dcmon run keeps it (summed per rack and feed): read in {took:.1f} s, "
              f"keeps {size / 2**20:.1f} MiB ({size / max(len(hist), 1) / 1024:.2f} KiB a "
              f"meter); {hours} rack-hours")
        t = time.perf_counter()
        cap = calc.compute(now, snap.readings())
        print(f"one capacity computation from it: {time.perf_counter() - t:.2f} s")
        status_points(Results(computed=now, capacity=cap))
        if args.meter_by_meter:
            plain = calculator.by_rack
            calculator.by_rack = lambda rack, got, p, same: dict(got)  # type: ignore[assignment]
            try:
                raw, size, took = kept_bytes(
                    lambda: CapacityCalculator(cfg, engine).history(now))
                calc = CapacityCalculator(cfg, engine)
                calc.history(now)
                t = time.perf_counter()
                calc.compute(now, snap.readings())
                took_compute = time.perf_counter() - t
            finally:
                calculator.by_rack = plain
            assert all(isinstance(h, DeviceHistory) for h in raw.values())
            print(f"meter by meter (each meter's hours and days as dicts): read in {took:.1f} s, "
                  f"keeps {size / 2**20:.1f} MiB ({size / max(len(raw), 1) / 1024:.2f} KiB a "
                  f"meter); one capacity computation {took_compute:.2f} s")
        store.close()


if __name__ == "__main__":
    main()
