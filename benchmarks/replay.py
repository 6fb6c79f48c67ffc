"""Replay throughput: one year of 15-minute readings for 100 meters (3.5 million lines).

Writes the JSON Lines file once (90 IT counters in racks, 10 facility counters), then runs it
through ``dcmon replay``'s engine (parse, account, hourly/daily rollups, SQLite flushes every
50,000 readings, PUE for every window) and prints readings per second and peak RSS.

    .venv/bin/python benchmarks/replay.py [--meters 100] [--days 365] [--store FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dcmon.app.inventory import parse_config
from dcmon.app.replay import replay
from dcmon.collectors.registry import ProfileRegistry

T0 = 1735689600  # 2025-01-01T00:00:00Z


def inventory(meters: int) -> dict[str, object]:
    it = max(1, meters * 9 // 10)
    return {
        "poll": {"interval": 900},
        "credentials": {"c": {"version": "2c", "community": "x"}},
        "sites": [{"id": "city-dc1", "energy": {
            "facility": [f"incomer{i}" for i in range(meters - it)], "it": "racks",
            "design_it_kw": it * 4.0},
            "devices": [{"id": f"incomer{i}", "host": "127.0.0.1", "credential": "c"}
                        for i in range(meters - it)],
            "rooms": [{"id": "hall", "racks": [
                {"id": f"r{i}", "devices": [{"id": f"pdu{i}", "host": "127.0.0.1",
                                              "credential": "c"}]} for i in range(it)]}]}],
    }


def write_lines(path: Path, meters: int, days: int) -> int:
    it = max(1, meters * 9 // 10)
    devices = [f"pdu{i}" for i in range(it)] + [f"incomer{i}" for i in range(meters - it)]
    watts = [3000.0] * it + [3000.0 * it * 1.3 / (meters - it)] * (meters - it)
    totals = [1e9] * meters
    n = 0
    with path.open("w") as f:
        for k in range(days * 96):
            ts = T0 + k * 900
            for d, (dev, w) in enumerate(zip(devices, watts, strict=True)):
                totals[d] += w * 900
                f.write(json.dumps({"ts": ts, "device": dev, "metric": "energy", "unit": "J",
                                    "value": round(totals[d]), "counter_max": 2**64}) + "\n")
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=100)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--store", default=":memory:", help="SQLite file (default in memory)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "readings.jsonl"
        t0 = time.perf_counter()
        n = write_lines(path, args.meters, args.days)
        gen = time.perf_counter() - t0
        cfg = parse_config(inventory(args.meters), "<bench>", ProfileRegistry.load())
        c0, w0 = time.process_time(), time.perf_counter()
        with path.open() as f:
            out = replay(cfg, ProfileRegistry.load(), f, str(path), args.store)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    win = "365d" if args.days >= 365 else "30d" if args.days >= 30 else "24h"
    year = next(r for r in out["results"] if r["window"] == win and r["zone"] is None)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n:,} readings ({args.meters} meters x {args.days} days x 96), file written in "
          f"{gen:.1f} s")
    print(f"replay: {wall:.1f} s wall, {cpu:.1f} s CPU -> {n / wall:,.0f} readings/s")
    print(f"{win} PUE {year['value']} ({year['status']}, coverage {year['coverage']:.3f}, "
          f"interim {year['interim']})")
    print(f"peak RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
