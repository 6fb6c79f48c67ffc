"""Resident memory per device of what ``dcmon run`` keeps for each device, and what dominates.

For each ``--devices`` count, a fresh process builds the inventory (one site, two PDUs a rack)
and the per-device state the service keeps: the Snapshot (last readings and health), the
ExpositionCache (rendered /metrics samples, packed as gzip members) and the energy engine
behind the ResultsHub (accounts, series, key cache; store in a file), then feeds ``--polls``
synthetic apc_rpdu2 polls of every device (51 readings each, ``benchmarks/pdu_fleet.py``)
through them as the poller does and commits. It prints resident memory (RSS) before and
after, per device, and then, in another fresh process under tracemalloc, the source lines
holding the most memory (first count only).

    .venv/bin/python benchmarks/memory.py [--devices 2000 10000] [--polls 3] [--top 12]
        [--sources] [--restart]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pdu_fleet import apc_rpdu2_poll, inventory
from dcmon.app.inventory import parse_config
from dcmon.app.poller import device_info
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine import results
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.store import Store
from dcmon.exporters.prometheus.exposition import ExpositionCache

T0 = 1767225600.0
MB = 1024 * 1024


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def build(devices: int, polls: int, db: Path, sources: bool = False, restart: bool = False
          ) -> tuple[dict[str, float], tuple[Any, ...]]:
    """Build and feed the per-device state; return RSS figures and the objects (kept alive).

    ``restart``: another process first feeds the polls into the store, and this one starts
    from that store (as ``dcmon run`` does after a restart) and feeds one more poll."""
    if restart:
        subprocess.run([sys.executable, __file__, "--one", str(devices), "--polls", str(polls),
                        "--top", "0", "--db", str(db)], check=True, capture_output=True)
    reg = ProfileRegistry.load()
    gc.collect()
    r0 = rss()
    cfg = parse_config(inventory(devices), "<bench>", reg)
    gc.collect()
    r1 = rss()
    snap = Snapshot([device_info(d) for d in cfg.devices])
    cache = ExpositionCache(snap)
    hub = ResultsHub(cfg, EnergyEngine(cfg, Store(db)), snap)
    # The writer thread commits at least every FLUSH_POLLS polls (sooner: every second).
    flush = getattr(hub, "flush", lambda: None)  # (before it: on_poll committed each poll)
    every = getattr(results, "FLUSH_POLLS", 1)
    # The service's packer thread turns rendered lines into gzip members every second.
    pack = getattr(cache, "pack", lambda: 0)
    for k in range(polls, polls + 1) if restart else range(polls):
        for i, d in enumerate(cfg.devices, 1):
            res = apc_rpdu2_poll(d.id, T0 + k * 30.0, k, sources=sources)
            snap.record(res)
            cache.on_poll(res)
            hub.on_poll(res)
            if i % every == 0:
                flush()
                pack()
        flush()
        pack()
    gc.collect()
    r2 = rss()
    figures = {"inventory_mb": (r1 - r0) / MB, "state_mb": (r2 - r1) / MB,
               "rss_mb": r2 / MB}
    return figures, (cfg, snap, cache, hub)


def one(devices: int, polls: int, top: int, sources: bool = False, restart: bool = False,
        db: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        if top:
            tracemalloc.start()
        t = time.perf_counter()
        built, keep = build(devices, polls, Path(db or Path(tmp) / "dcmon.sqlite"), sources,
                            restart)
        figures: dict[str, Any] = dict(built)
        figures["build_s"] = time.perf_counter() - t
        if top:
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)])
            total = sum(s.size for s in snap.statistics("filename"))
            figures["traced_mb"] = total / MB
            figures["top"] = [(str(s.traceback[0]), s.size / MB, s.count)
                              for s in snap.statistics("lineno")[:top]]
            figures["files"] = [(s.traceback[0].filename, s.size / MB)
                                for s in snap.statistics("filename")[:top]]
        keep[3].engine.store.close()
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, nargs="+", default=[2000, 10000])
    ap.add_argument("--polls", type=int, default=3)
    ap.add_argument("--top", type=int, default=12,
                    help="tracemalloc entries, for the first count only (0: none)")
    ap.add_argument("--sources", action="store_true",
                    help="readings with a Source and a labels dict each (dcmon before the "
                         "run path dropped them)")
    ap.add_argument("--restart", action="store_true",
                    help="start from a store another process filled with the polls (as after "
                         "a restart of dcmon run) and feed one more poll")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        print(json.dumps(one(args.one, args.polls, args.top if args.trace else 0,
                             args.sources, args.restart, args.db)))
        return
    n_readings = len(apc_rpdu2_poll("pdu0", T0, 0).readings)
    for i, n in enumerate(args.devices):
        run = [sys.executable, __file__, "--one", str(n), "--polls", str(args.polls),
               "--top", str(args.top), *(["--sources"] if args.sources else []),
               *(["--restart"] if args.restart else [])]
        plain = json.loads(subprocess.run(run, check=True, capture_output=True,
                                          text=True).stdout)
        print(f"{n:,} PDUs ({n_readings} readings a poll, {args.polls} polls each): "
              f"state {plain['state_mb']:.1f} MB = {plain['state_mb'] * 1024 / n:.1f} KiB per "
              f"device; inventory {plain['inventory_mb']:.1f} MB "
              f"({plain['inventory_mb'] * 1024 / n:.1f} KiB per device); process RSS "
              f"{plain['rss_mb']:.0f} MB")
        if args.top and i == 0:  # tracemalloc is slow; the shares are the same at every count
            traced = json.loads(subprocess.run([*run, "--trace"], check=True,
                                               capture_output=True, text=True).stdout)
            print(f"  tracemalloc: {traced['traced_mb']:.1f} MB traced; top lines:")
            for where, mb, count in traced["top"]:
                print(f"    {mb * 1024 / n:7.2f} KiB/device {count / n:7.1f} blocks/device  "
                      f"{where}")
            print("  by file:")
            for where, mb in traced["files"]:
                print(f"    {mb * 1024 / n:7.2f} KiB/device  {where}")


if __name__ == "__main__":
    main()
