"""One results run of a city, alone: what ``ResultsHub.recompute`` costs, and where it goes.

Builds an inventory of ``--pdus`` PDUs, feeds ``--polls`` synthetic apc_rpdu2 polls of every
device (51 readings each, ``benchmarks/pdu_fleet.py``) through the snapshot and the energy
engine as the poller does, with the listeners ``dcmon run`` gives the hub (the results text of
``/metrics`` and the live readings file), then times ``--runs`` results runs (wall and CPU
seconds; no other thread runs). Two inventories:

* ``city`` (default): the one ``benchmarks/city_scale.py`` polls: 20 sites, two PDUs a rack,
  no energy topology (capacity, per-meter totals and text, the live file; no PUE);
* ``topology``: ``benchmarks/memory.py``'s one site whose ``energy`` topology sums every rack
  PDU as IT (``it: racks``), so PUE's windows and the instantaneous PUE run too.

A last run is paced as ``dcmon run`` paces its results job (``dcmon.pace``): it prints that
run's wall and CPU time, its rests, and the longest stretch of work between two rests (the
longest the job holds the interpreter against the polls' event loop).

``--profile N`` also prints cProfile's top N functions of one more run (slower under the
profiler).

    .venv/bin/python benchmarks/results_run.py [--pdus 10000] [--inventory city|topology]
        [--polls 3] [--runs 3] [--profile 0]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import CollectorRegistry

from benchmarks.city_scale import city_inventory
from benchmarks.pdu_fleet import apc_rpdu2_poll, inventory
from dcmon.app.inventory import parse_config
from dcmon.app.live import live_writer
from dcmon.app.poller import device_info
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.store import Store
from dcmon.exporters.prometheus.capacity import CapacityCollector
from dcmon.exporters.prometheus.engine import EngineCollector
from dcmon.exporters.prometheus.results import ResultsText
from dcmon.pace import REST_S, WORK_S, paced

T0 = 1.8e9


def build(args: argparse.Namespace, tmp: Path) -> ResultsHub:
    doc: dict[str, Any] = (inventory(args.pdus) if args.inventory == "topology" else
                           city_inventory(args.pdus, [161], args.pdus, sites=20, interval=60.0,
                                          state_dir=str(tmp), concurrency=64))
    cfg = parse_config(doc, "<bench>", ProfileRegistry.load())
    snap = Snapshot([device_info(d) for d in cfg.devices])
    hub = ResultsHub(cfg, EnergyEngine(cfg, Store(tmp / "dcmon.sqlite")), snap)
    for k in range(args.polls):
        for d in cfg.devices:
            res = apc_rpdu2_poll(d.id, T0 + k * 60.0, k)
            snap.record(res)
            hub.on_poll(res)
        hub.flush()
    cached = CollectorRegistry(auto_describe=False)  # as dcmon run's results text has it
    cached.register(EngineCollector(hub, meters=False))
    cached.register(CapacityCollector(hub))
    hub.listeners.append(ResultsText(hub, cached).on_results)
    hub.listeners.append(live_writer(tmp / "live.jsonl", snap.readings))
    return hub


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdus", type=int, default=10_000)
    ap.add_argument("--inventory", choices=("city", "topology"), default="city")
    ap.add_argument("--polls", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--profile", type=int, default=0, help="print cProfile's top N functions")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hub = build(args, Path(tmp))
        hub.recompute()  # the first run reads the store's history for the first time
        gc.collect()
        gc.freeze()  # as dcmon run's garbage-collection pacer does (dcmon/app/gcpace.py)
        times = []
        for _ in range(args.runs):
            gc.collect()
            t, c = time.perf_counter(), time.process_time()
            hub.recompute()
            times.append((time.perf_counter() - t, time.process_time() - c))
        print(f"{args.pdus} PDUs, inventory {args.inventory}, {args.polls} polls each: results "
              "run (wall s / CPU s): " + ", ".join(f"{w:.2f}/{c:.2f}" for w, c in times))
        t, c = time.perf_counter(), time.process_time()
        with paced() as pacer:  # as dcmon run's results job runs it
            hub.recompute()
        print(f"paced as dcmon run paces it ({WORK_S * 1e3:g} ms of work, {REST_S * 1e3:g} ms "
              f"of rest): wall {time.perf_counter() - t:.2f} s, CPU "
              f"{time.process_time() - c:.2f} s, {pacer.rests} rests, longest stretch of work "
              f"between two {pacer.longest_s * 1e3:.1f} ms")
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            hub.recompute()
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
