"""A city of PDUs polled by the real service: CPU, memory, /metrics scrape time, poll lateness.

net-snmp ``snmpd`` agents on 127.0.0.1 serve the PDUs (``tests/support/snmpd.py``): an APC
rPDU2-like PDU with 8 metered outlets, 44 samples through the ``apc_rpdu2`` profile with outlets
on. Each agent serves ``--per-agent`` PDUs (default 250), one community per PDU (``pdu00001``
...) in one com2sec group; every community sees the same values. Not one agent per PDU: 10,000
snmpd processes would not fit beside dcmon on a small machine. Not one agent for all: snmpd
looks a community up by a linear scan of its com2sec lines, ~0.6 ms of its CPU per request per
1,000 communities, so one agent with 10,000 communities needs ~18 ms per poll, 3 cores' worth
at 167 polls/s, and drops requests. The agents' CPU is reported apart from dcmon's.

dcmon runs in this process as ``dcmon run`` runs it (:func:`dcmon.app.service.start_service`:
scheduler, poller, energy engine, results, /metrics), polling every PDU each ``--interval`` for
``--seconds``. Printed:

* CPU of this process as a fraction of one core (dcmon; the scrapes are made by ``curl``);
* peak RSS (``ru_maxrss``), the resident memory sampled every 0.1 s and what ran at its highest
  sample (each scrape and results run is listed with its start; the run's start time, epoch
  seconds, goes to stderr as ``t0``, for samplers outside the process);
* /metrics scrape time over real HTTP: full, gzip, and one ``?site=``, from the second round on;
* the results runs: wall and CPU seconds of each (the job's own thread);
* poll lateness: how long after its scheduled time each poll started (APScheduler's scheduled
  run time against ``PollResult.started``), with polls missed or skipped. A poll is **late**
  when it starts more than ``--late`` seconds (default 1 s) after its scheduled time; the
  count of late polls is printed for the first round and for the later ones.

    .venv/bin/python benchmarks/city_scale.py [--pdus 2000] [--interval 60] [--seconds 180]
        [--switch-interval S]

``--switch-interval`` replaces the interpreter's switch interval that ``dcmon run`` sets
(dcmon/app/gil.py), e.g. 0.005 for CPython's default, to measure what it does.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from array import array
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
    JobSubmissionEvent,
)

from dcmon.app.inventory import parse_config
from dcmon.app.service import start_service, stop_service
from dcmon.collectors.registry import ProfileRegistry
from dcmon.model import PollResult
from tests.support.snmpd import Snmpd, rpdu2_objects

PDUS_PER_RACK = 2  # feeds A and B


def community(i: int) -> str:
    return f"pdu{i:05d}"


def city_inventory(n: int, ports: list[int], per_agent: int, *, sites: int, interval: float,
                   state_dir: str, concurrency: int) -> dict[str, Any]:
    """``n`` PDUs, two per rack (feeds A and B), spread over ``sites`` sites of one room each;
    PDU i is served by agent (i - 1) // per_agent."""
    site_devices: list[list[dict[str, Any]]] = [[] for _ in range(sites)]
    for i in range(1, n + 1):
        site_devices[(i - 1) * sites // n].append(
            {"id": community(i), "host": "127.0.0.1", "port": ports[(i - 1) // per_agent],
             "profile": "apc_rpdu2", "credential": community(i), "feed": "AB"[i % 2]})
    out_sites = []
    for s, devices in enumerate(site_devices, start=1):
        racks = [{"id": f"rack{r + 1:04d}", "devices": devices[r:r + PDUS_PER_RACK]}
                 for r in range(0, len(devices), PDUS_PER_RACK)]
        out_sites.append({"id": f"site{s:02d}", "rooms": [{"id": "hall1", "racks": racks}]})
    return {
        "poll": {"interval": interval, "timeout": 2, "retries": 1, "outlets": True,
                 "concurrency": concurrency},
        "credentials": {community(i): {"version": "2c", "community": community(i)}
                        for i in range(1, n + 1)},
        "sites": out_sites,
        "exporters": {"prometheus": {"listen": "127.0.0.1:0"}},
        "api": {"enabled": False},
        "alerting": {"enabled": False},
        "state_dir": state_dir,
    }


@dataclass
class Watch:
    """What the run saw: scheduled times, poll starts, scrapes."""

    t0: float
    #: device -> scheduled run time (epoch s) of its job now running.
    scheduled: dict[str, float] = field(default_factory=dict)
    #: device -> when the scheduler handed its job to the event loop (epoch s).
    submitted: dict[str, float] = field(default_factory=dict)
    #: Per poll, five floats (an array, not tuples: 30,000 polls of tuples were ~8 MB of this
    #: process's peak that are not dcmon's): seconds after start, lateness s, ok (1/0),
    #: scheduler delay s, wait for a slot and the loop s; lateness = scheduled -> submitted
    #: (APScheduler) + submitted -> started (dcmon).
    rows: array[float] = field(default_factory=lambda: array("d"))
    missed: int = 0
    skipped: int = 0
    samples: int = 0
    #: (kind, seconds, bytes) per scrape.
    scrapes: list[tuple[str, float, int]] = field(default_factory=list)
    #: (seconds after start, s) of every event-loop stall over 50 ms: what makes polls late.
    stalls: list[tuple[float, float]] = field(default_factory=list)
    #: Seconds after start of each round of scrapes.
    rounds: list[float] = field(default_factory=list)
    #: (seconds after start, generation, s) of every garbage collection over 50 ms.
    collections: list[tuple[float, int, float]] = field(default_factory=list)
    #: (seconds after start, resident MiB), once a second: when the peak came.
    rss: list[tuple[float, float]] = field(default_factory=list)
    #: (wall s, CPU s of its thread) of each results run.
    results_runs: list[tuple[float, float]] = field(default_factory=list)
    #: (start, end) in seconds after start of each results run and each scrape: what ran when
    #: the resident memory peaked.
    busy: list[tuple[str, float, float]] = field(default_factory=list)
    _gc_start: float = 0.0

    def time_results(self, recompute: Any) -> Any:
        """``recompute`` timed: the results job calls the hub's method in its own thread."""
        def timed(*args: Any, **kwargs: Any) -> Any:
            t, c, at = time.perf_counter(), time.thread_time(), time.time() - self.t0
            try:
                return recompute(*args, **kwargs)
            finally:
                self.results_runs.append((time.perf_counter() - t, time.thread_time() - c))
                self.busy.append(("results", at, time.time() - self.t0))
        return timed

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        """Time Python's cyclic garbage collections: a full one walks every live object."""
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        took = time.perf_counter() - self._gc_start
        if took > 0.05:
            self.collections.append((time.time() - self.t0, info["generation"], took))

    async def sample_rss(self) -> None:
        """Note the resident memory every 0.1 s, to place the peak in the run."""
        page = os.sysconf("SC_PAGE_SIZE") / 2**20
        while True:
            with open("/proc/self/statm") as f:
                self.rss.append((time.time() - self.t0, int(f.read().split()[1]) * page))
            await asyncio.sleep(0.1)

    async def loop_lag(self) -> None:
        """Note how much later than asked a 20 ms sleep wakes up (the loop was busy)."""
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.02)
            lag = time.perf_counter() - t - 0.02
            if lag > 0.05:
                self.stalls.append((time.time() - self.t0, lag))

    def on_job(self, event: JobEvent) -> None:
        if not event.job_id.startswith("poll:"):
            return
        if event.code == EVENT_JOB_SUBMITTED and isinstance(event, JobSubmissionEvent):
            self.scheduled[event.job_id[5:]] = max(event.scheduled_run_times).timestamp()
            self.submitted[event.job_id[5:]] = time.time()
        elif event.code == EVENT_JOB_MISSED:
            self.missed += 1
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            self.skipped += 1

    def on_poll(self, result: PollResult) -> None:
        due = self.scheduled.get(result.device)
        if due is not None:
            sub = self.submitted.get(result.device, due)
            self.rows.extend((time.time() - self.t0, result.started - due, float(result.ok),
                              sub - due, result.started - sub))
        self.samples += len(result.readings)

    @property
    def polls(self) -> list[tuple[float, float, bool]]:
        """(seconds after start, lateness s, ok) per poll."""
        rows = self.rows
        return [(rows[i], rows[i + 1], rows[i + 2] > 0) for i in range(0, len(rows), 5)]

    @property
    def parts(self) -> list[tuple[float, float, float]]:
        """(seconds after start, scheduler delay s, slot and loop wait s) per poll."""
        rows = self.rows
        return [(rows[i], rows[i + 3], rows[i + 4]) for i in range(0, len(rows), 5)]


async def curl(url: str, gzip: bool) -> tuple[float, int]:
    """Wall seconds and bytes of one scrape, by curl (its CPU is not this process's)."""
    args = ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total} %{size_download}", url]
    if gzip:
        args[1:1] = ["-H", "Accept-Encoding: gzip"]
    proc = await asyncio.create_subprocess_exec(*args, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    seconds, size = out.decode().split()
    return float(seconds), int(size)


async def scrape_all(port: int, watch: Watch) -> None:
    base = f"http://127.0.0.1:{port}/metrics"
    watch.rounds.append(time.time() - watch.t0)
    for kind, url, gz in (("full", base, False), ("gzip", base, True),
                          ("site", f"{base}?site=site01", False)):
        at = time.time() - watch.t0
        seconds, size = await curl(url, gz)
        watch.scrapes.append((kind, seconds, size))
        watch.busy.append((kind, at, time.time() - watch.t0))


async def run(args: argparse.Namespace, agents: list[Snmpd]) -> dict[str, Any]:
    reg = ProfileRegistry.load()
    t_parse = time.perf_counter()
    inv = city_inventory(args.pdus, [a.port for a in agents], args.per_agent, sites=args.sites,
                         interval=args.interval, state_dir=tempfile.mkdtemp(prefix="dcmon-city-"),
                         concurrency=args.concurrency)
    cfg = parse_config(inv, "<city>", reg)
    del inv  # dcmon run keeps the parsed inventory, not the document it was read from
    parse_s = time.perf_counter() - t_parse
    c0, a0, w0 = time.process_time(), agent_cpu(agents), time.perf_counter()
    watch = Watch(time.time())
    print(f"t0 {watch.t0:.3f}", file=sys.stderr)
    svc = start_service(cfg, reg)
    if args.switch_interval is not None:
        sys.setswitchinterval(args.switch_interval)
    svc.hub.recompute = watch.time_results(svc.hub.recompute)  # type: ignore[method-assign]
    svc.scheduler.add_listener(watch.on_job, EVENT_JOB_SUBMITTED | EVENT_JOB_MISSED
                               | EVENT_JOB_MAX_INSTANCES)
    svc.poller.listeners.append(watch.on_poll)
    lag = asyncio.create_task(watch.loop_lag())
    sampler = asyncio.create_task(watch.sample_rss())
    gc.callbacks.append(watch.on_gc)
    try:
        await asyncio.sleep(min(args.interval + 5, args.seconds))
        while args.scrape_every > 0 and time.perf_counter() - w0 < args.seconds:
            await scrape_all(svc.http_port, watch)
            await asyncio.sleep(min(args.scrape_every, max(0.0, args.seconds -
                                                           (time.perf_counter() - w0))))
        await asyncio.sleep(max(0.0, args.seconds - (time.perf_counter() - w0)))
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        agent = agent_cpu(agents) - a0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the report
        rss_end = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf(
            "SC_PAGE_SIZE") / 2**20
        heap = pymalloc_summary()
        if args.trace:
            print_traced(args.trace)
    finally:
        gc.callbacks.remove(watch.on_gc)
        lag.cancel()
        sampler.cancel()
        await stop_service(svc)
    return {"watch": watch, "cpu": cpu, "wall": wall, "agent": agent, "parse": parse_s,
            "rss_end": rss_end, "peak": peak, "heap": heap}


def pymalloc_summary() -> str:
    """Python's small-object allocator at the end of the run: its arenas (what is resident of
    Python's objects up to 512 bytes) against the bytes its live blocks use; the rest is
    slack (free blocks and pools in arenas that one live object keeps)."""
    with tempfile.TemporaryFile() as f:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(f.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        f.seek(0)
        text = f.read().decode(errors="replace")
    got: dict[str, int] = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name.startswith("# ") and value.strip().replace(",", "").isdigit():
            got[" ".join(name[2:].split()[:4])] = int(value.strip().replace(",", ""))
    arenas = got.get("arenas allocated current", 0)
    used = got.get("bytes in allocated blocks", 0)
    return (f"Python's small-object arenas at the end: {arenas} MiB (1 MiB each), of which live "
            f"objects {used / 2**20:.0f} MiB")


def print_traced(top: int) -> None:
    """The source lines holding the most memory now (``--trace``: slow, for small cities)."""
    snap = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)])
    traced = sum(s.size for s in snap.statistics("filename"))
    print(f"tracemalloc: {traced / 2**20:.1f} MiB traced; top lines, then files:")
    for stat in snap.statistics("lineno")[:top]:
        print(f"  {stat.size / 2**20:7.1f} MiB {stat.count:9d} blocks  {stat.traceback[0]}")
    for stat in snap.statistics("filename")[:top]:
        print(f"  {stat.size / 2**20:7.1f} MiB  {stat.traceback[0].filename}")


def agent_cpu(agents: list[Snmpd]) -> float:
    """CPU seconds the agents have used (utime + stime from /proc)."""
    total = 0
    for agent in agents:
        fields = Path(f"/proc/{agent.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(args: argparse.Namespace, r: dict[str, Any], load_before: tuple[float, ...]) -> None:
    w: Watch = r["watch"]
    load = os.getloadavg()
    agents = -(-args.pdus // args.per_agent)
    print(f"{args.pdus} PDUs (apc_rpdu2, outlets on, 44 samples each) on {agents} snmpd, "
          f"{args.sites} sites, interval {args.interval:g} s, concurrency {args.concurrency}, "
          f"{r['wall']:.0f} s; {os.cpu_count()} CPUs, load average before {load_before[0]:.2f}, "
          f"after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"inventory parsed in {r['parse']:.1f} s")
    polls = w.polls
    ok = sum(1 for _, _, good in polls if good)
    print(f"polls: {len(polls)} ({ok} ok; {len(polls) / r['wall']:.1f}/s, asked "
          f"{args.pdus / args.interval:.1f}/s), {w.missed} missed, {w.skipped} skipped "
          f"(previous poll still running); {w.samples} samples")
    print(f"CPU of dcmon: {r['cpu']:.1f} s in {r['wall']:.1f} s = {r['cpu'] / r['wall']:.2f} "
          f"of one core; snmpd: {r['agent'] / r['wall']:.2f} of one core")
    print(f"peak RSS of dcmon: {r['peak']:.0f} MiB (ru_maxrss of this process; the agents and curl "
          f"are other processes); at the end of the run {r['rss_end']:.0f} MiB")
    print(r["heap"])
    if w.rss:
        at, top = max(w.rss, key=lambda x: x[1])
        marks = ", ".join(f"{mib:.0f} at {t:.0f} s" for t, mib in w.rss[::300])
        during = ", ".join(f"{what} {a:.1f}-{b:.1f} s" for what, a, b in w.busy
                           if a - 0.2 <= at <= b + 0.2) or "no results run or scrape"
        print(f"resident memory sampled each 0.1 s: highest {top:.0f} MiB at {at:.1f} s "
              f"(during: {during}); {marks}")
    for name, rows in (("first round", [p for p in polls if p[0] < args.interval]),
                       ("later rounds", [p for p in polls if p[0] >= args.interval])):
        late = [lateness for _, lateness, _ in rows]
        if late:
            n_late = sum(1 for x in late if x > args.late)
            print(f"poll start lateness, {name} ({len(late)} polls): median "
                  f"{statistics.median(late) * 1e3:.0f} ms, p95 {pct(late, 0.95) * 1e3:.0f} ms, "
                  f"p99 {pct(late, 0.99) * 1e3:.0f} ms, max {max(late) * 1e3:.0f} ms; "
                  f"late (started > {args.late:g} s after scheduled): {n_late}")
    later = [(a, b) for at, a, b in w.parts if at >= args.interval]
    if later:
        slow = [(a, b) for a, b in later if a + b > args.late]
        print(f"later rounds, what lateness is made of: scheduler delay (scheduled -> "
              f"submitted) p95 {pct([a for a, _ in later], 0.95) * 1e3:.0f} ms, max "
              f"{max(a for a, _ in later) * 1e3:.0f} ms; submitted -> started (a slot, the "
              f"loop) p95 {pct([b for _, b in later], 0.95) * 1e3:.0f} ms, max "
              f"{max(b for _, b in later) * 1e3:.0f} ms; of the {len(slow)} late polls, "
              f"{sum(1 for a, b in slow if b >= a)} waited mostly after submission")
    if w.stalls:
        worst = sorted(w.stalls, key=lambda st: -st[1])[:4]
        print(f"event loop stalls over 50 ms: {len(w.stalls)}, {sum(s for _, s in w.stalls):.1f} s "
              f"in all; worst " + ", ".join(f"{lag * 1e3:.0f} ms at {at:.0f} s"
                                             for at, lag in worst))
        rounds = ", ".join(f"{at:.0f}" for at in w.rounds) or "(no scrapes)"
        print(f"scrape rounds started at {rounds} s")
    else:
        print("event loop stalls over 50 ms: none")
    if w.collections:
        print(f"garbage collections over 50 ms: {len(w.collections)}, "
              f"{sum(s for _, _, s in w.collections):.1f} s in all; " + ", ".join(
                  f"gen {g} {s * 1e3:.0f} ms at {at:.0f} s" for at, g, s in w.collections[:8]))
    else:
        print("garbage collections over 50 ms: none")
    if w.results_runs:
        print(f"switch interval {sys.getswitchinterval() * 1e3:g} ms; results runs (wall s, "
              "CPU s): " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in w.results_runs))
    if w.busy:
        print("each scrape and results run (start s: what, seconds): " + ", ".join(
            f"{a:.0f}: {what} {b - a:.2f}" for what, a, b in sorted(w.busy, key=lambda x: x[1])))
    for kind in ("full", "gzip", "site"):
        got = [(s, b) for k, s, b in w.scrapes if k == kind]
        if got:
            times = [s for s, _ in got]
            print(f"/metrics {kind:4}: {len(got)} scrapes, median "
                  f"{statistics.median(times):.2f} s, max {max(times):.2f} s, "
                  f"{got[-1][1] / 1e6:.1f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdus", type=int, default=2000)
    ap.add_argument("--interval", type=float, default=60.0)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--per-agent", type=int, default=250, help="PDUs (communities) per snmpd")
    ap.add_argument("--late", type=float, default=1.0,
                    help="a poll is late when it starts more than this many seconds after "
                         "its scheduled time")
    ap.add_argument("--scrape-every", type=float, default=30.0,
                    help="seconds between rounds of scrapes (full, gzip, ?site=); 0: none")
    ap.add_argument("--switch-interval", type=float, default=None,
                    help="the interpreter's switch interval (s) instead of dcmon run's")
    ap.add_argument("--trace", type=int, default=0,
                    help="trace allocations and print this many top lines at the end (slow)")
    args = ap.parse_args()
    if args.trace:
        tracemalloc.start()
    if not Snmpd.available():
        print("missing: /usr/sbin/snmpd (Debian package snmpd)", file=sys.stderr)
        sys.exit(2)
    # Devices down and skipped polls are counted and printed; one line each would drown them.
    logging.basicConfig(level=logging.ERROR)
    load_before = os.getloadavg()
    with ExitStack() as stack:
        agents = [stack.enter_context(Snmpd(rpdu2_objects(outlets=8), communities=[
            community(i) for i in range(first, min(args.pdus, first + args.per_agent - 1) + 1)]))
            for first in range(1, args.pdus + 1, args.per_agent)]
        result = asyncio.run(run(args, agents))
    report(args, result, load_before)


if __name__ == "__main__":
    main()
