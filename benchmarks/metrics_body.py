"""/metrics from the per-device cache, with no polling load: what the cache itself costs.

Builds the snapshot of N PDUs (50 outlet currents each), renders every device once (what the
polls do as they land), then fetches /metrics over real HTTP from the service's own listener,
plain and gzipped, and one site's share. Prints render cost per device, body size, and times.

    .venv/bin/python benchmarks/metrics_body.py [--pdus 10000] [--sites 20]
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import CollectorRegistry

from dcmon.engine.results import Results
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.exporters.prometheus.collector import SnapshotCollector
from dcmon.exporters.prometheus.exposition import ExpositionCache
from dcmon.exporters.prometheus.http import FastExposition, MetricsServer
from dcmon.exporters.prometheus.results import ResultsText
from dcmon.model import PollResult, Reading, Source


def snapshot(pdus: int, sites: int) -> Snapshot:
    src = Source("snmp", "1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.1", 10)
    infos = [DeviceInfo(f"pdu-{i}", f"site-{i % sites}", "hall", f"r{i}", "apc_rpdu2")
             for i in range(pdus)]
    snap = Snapshot(infos)
    for d in infos:
        snap.record(PollResult(d.id, "apc_rpdu2", tuple(
            Reading(d.id, "current", 1.0 + j, "A", {"outlet": str(j), "phase": "1"}, 1.0, src,
                    level="outlet") for j in range(50)), (), 1.0, 0.1))
    return snap


def fetch(url: str, headers: dict[str, str]) -> tuple[float, int]:
    t0 = time.perf_counter()
    body = urllib.request.urlopen(urllib.request.Request(url, headers=headers)).read()
    return time.perf_counter() - t0, len(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pdus", type=int, default=10_000)
    ap.add_argument("--sites", type=int, default=20)
    args = ap.parse_args()
    snap = snapshot(args.pdus, args.sites)
    t0 = time.perf_counter()
    cache = ExpositionCache(snap)
    render = time.perf_counter() - t0
    t0 = time.perf_counter()
    cache.pack()  # as the service's packer thread does, every second
    pack = time.perf_counter() - t0
    full = CollectorRegistry(auto_describe=False)
    full.register(SnapshotCollector(snap))
    server = MetricsServer("127.0.0.1", 0, full,
                           fast=FastExposition(cache, ResultsText(SimpleNamespace(latest=Results()),
                                                               CollectorRegistry()),
                                               CollectorRegistry())).start()
    base = f"http://127.0.0.1:{server.port}/metrics"
    try:
        print(f"{args.pdus} PDUs x 54 lines: rendered in {render:.2f} s "
              f"({render / args.pdus * 1e6:.0f} us per device poll); packed as gzip members in "
              f"{pack:.2f} s ({pack / args.pdus * 1e6:.0f} us per device, off the event loop)")
        for name, url, headers in (("full", base, {}),
                                   ("full, gzip", base, {"Accept-Encoding": "gzip"}),
                                   ("one site", base + "?site=site-3", {})):
            took, size = fetch(url, headers)
            print(f"{name:11} {took:6.3f} s  {size / 1e6:6.1f} MB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
