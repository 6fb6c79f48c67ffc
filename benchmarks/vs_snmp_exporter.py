"""CPU per sample: dcmon against Prometheus snmp_exporter, polling the same PDU over loopback.

One net-snmp ``snmpd`` on 127.0.0.1 serves an APC rPDU2-like PDU (``tests/support/snmpd.py``:
one phase, two banks, 8 metered outlets, a probe; 44 samples through the ``apc_rpdu2`` profile
with outlets on). In one run:

* snmp_exporter (``/usr/bin/prometheus-snmp-exporter``, Debian package
  ``prometheus-snmp-exporter``) is given a hand-written ``snmp.yml`` that walks the columns and
  GETs the scalars the ``apc_rpdu2`` profile reads, and is scraped ``--polls`` times
  (``/snmp?target=...&module=apc_rpdu2``); its cost is the CPU of the exporter process
  (utime + stime from /proc/PID/stat) over the samples it delivered.
* dcmon polls the same PDU ``--polls`` times with the lean client and ``SnmpCollector``
  (outlets on); its cost is the CPU of this process (``time.process_time``) over the readings.
  A second dcmon figure adds what a poll costs on the way to ``/metrics`` (snapshot, the
  device's rendered samples, the text body), since the exporter's figure includes rendering.

Prints µs of CPU per sample for both, their ratio (snmp_exporter ÷ dcmon: >= 1.0 means dcmon
is at least as cheap), dcmon's requests and varbinds per poll (``PollResult.stats``), and the
agent's (snmpd's) CPU per poll under each. Exits 2 if snmpd or the exporter is missing.

    .venv/bin/python benchmarks/vs_snmp_exporter.py [--polls 1000] [--outlets 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.api import SnmpTarget
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.lean import LeanSnmpClient
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.exporters.prometheus.exposition import ExpositionCache
from dcmon.model import PollStats
from tests.support.snmpd import RPDU, RPDU2, Snmpd, rpdu2_objects

EXPORTER = "/usr/bin/prometheus-snmp-exporter"
MODULE = "apc_rpdu2"
COMMUNITY = "public"

# The exporter's metrics, by hand: (index label, lookups, metrics) per table, every column one
# the apc_rpdu2 profile reads (the walk list itself is taken from dcmon's plan for the profile).
# A lookup is (label, column, type); a metric is (name, column).
_D, _P = f"{RPDU2}.4.3.1", f"{RPDU2}.4.2.1"
_TABLES: list[tuple[str, list[tuple[str, str, str]], list[tuple[str, str]]]] = [
    ("rPDU2DeviceStatusIndex",
     [("rPDU2DeviceStatusModule", f"{_D}.2", "gauge"),
      ("rPDU2DeviceStatusEnergyStartTime", f"{_D}.10", "DisplayString")],
     [("rPDU2DeviceStatusPower", f"{_D}.5"), ("rPDU2DeviceStatusEnergy", f"{_D}.9"),
      ("rPDU2DeviceStatusApparentPower", f"{_D}.16"),
      ("rPDU2DeviceStatusPowerFactor", f"{_D}.17")]),
    ("rPDU2DevicePropertiesIndex", [("rPDU2DevicePropertiesModule", f"{_P}.2", "gauge")],
     [("rPDU2DevicePropertiesMaxCurrentRating", f"{_P}.9"),
      ("rPDU2DevicePropertiesMaxPhaseCurrentRating", f"{_P}.12"),
      ("rPDU2DevicePropertiesDevicePowerRating", f"{_P}.13")]),
    ("rPDU2PhaseStatusIndex",
     [("rPDU2PhaseStatusModule", f"{RPDU2}.6.3.1.2", "gauge"),
      ("rPDU2PhaseStatusNumber", f"{RPDU2}.6.3.1.3", "gauge")],
     [(f"rPDU2PhaseStatus{n}", f"{RPDU2}.6.3.1.{c}") for n, c in
      (("Current", 5), ("Voltage", 6), ("Power", 7), ("ApparentPower", 8), ("PowerFactor", 9))]),
    ("rPDU2PhaseToPhaseStatusIndex",
     [("rPDU2PhaseToPhaseStatusModule", f"{RPDU2}.13.1.1.2", "gauge")],
     [(f"rPDU2PhaseToPhaseStatusVoltage{n}", f"{RPDU2}.13.1.1.{c}") for n, c in
      (("1to2", 3), ("2to3", 4), ("3to1", 5))]),
    ("rPDU2BankStatusIndex",
     [("rPDU2BankStatusModule", f"{RPDU2}.8.3.1.2", "gauge"),
      ("rPDU2BankStatusNumber", f"{RPDU2}.8.3.1.3", "gauge")],
     [("rPDU2BankStatusCurrent", f"{RPDU2}.8.3.1.5")]),
    ("rPDU2OutletMeteredStatusIndex",
     [("rPDU2OutletMeteredStatusModule", f"{RPDU2}.9.4.3.1.2", "gauge"),
      ("rPDU2OutletMeteredStatusName", f"{RPDU2}.9.4.3.1.3", "DisplayString"),
      ("rPDU2OutletMeteredStatusNumber", f"{RPDU2}.9.4.3.1.4", "gauge")],
     [(f"rPDU2OutletMeteredStatus{n}", f"{RPDU2}.9.4.3.1.{c}") for n, c in
      (("Current", 6), ("Power", 7), ("Energy", 11))]),
    ("rPDU2SensorTempHumidityStatusIndex",
     [("rPDU2SensorTempHumidityStatusModule", f"{RPDU2}.10.2.2.1.2", "gauge"),
      ("rPDU2SensorTempHumidityStatusName", f"{RPDU2}.10.2.2.1.3", "DisplayString"),
      ("rPDU2SensorTempHumidityStatusNumber", f"{RPDU2}.10.2.2.1.4", "gauge")],
     [("rPDU2SensorTempHumidityStatusTempC", f"{RPDU2}.10.2.2.1.8"),
      ("rPDU2SensorTempHumidityStatusRelativeHumidity", f"{RPDU2}.10.2.2.1.10")]),
    ("rPDULoadStatusIndex",
     [("rPDULoadStatusPhaseNumber", f"{RPDU}.2.3.1.1.4", "gauge"),
      ("rPDULoadStatusBankNumber", f"{RPDU}.2.3.1.1.5", "gauge")],
     [("rPDULoadStatusLoad", f"{RPDU}.2.3.1.1.2")]),
]
_SCALARS = [("rPDUIdentDevicePowerWatts", f"{RPDU}.1.16")]


def exporter_module(scalars: list[str], columns: list[str], max_repetitions: int) -> dict[str, Any]:
    """The snmp.yml module (snmp_exporter 0.21 format): walk ``columns``, GET ``scalars``."""
    metrics: list[dict[str, Any]] = [
        {"name": name, "oid": oid, "type": "gauge", "help": name} for name, oid in _SCALARS]
    for index, lookups, values in _TABLES:
        for name, oid in values:
            metric: dict[str, Any] = {
                "name": name, "oid": oid, "type": "gauge", "help": name,
                "indexes": [{"labelname": index, "type": "gauge"}],
                "lookups": [{"labels": [index], "labelname": label, "oid": col, "type": kind}
                            for label, col, kind in lookups
                            if not label.endswith("EnergyStartTime") or name.endswith("Energy")],
            }
            metrics.append(metric)
    read = {m["oid"] for m in metrics} | {lk["oid"] for m in metrics for lk in m.get("lookups", [])}
    unread = read - set(columns) - {oid for _, oid in _SCALARS}
    if unread:  # the hand-written table drifted from the profile
        raise SystemExit(f"snmp.yml reads OIDs the apc_rpdu2 profile does not: {sorted(unread)}")
    return {"walk": columns, "get": scalars, "metrics": metrics, "version": 2,
            "max_repetitions": max_repetitions, "retries": 1, "timeout": "2s",
            "auth": {"community": COMMUNITY}}


def snmp_profile() -> CompiledProfile:
    profile = ProfileRegistry.load().get(MODULE)
    assert isinstance(profile, CompiledProfile)
    return profile


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat (clock ticks, usually 10 ms)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cost:
    polls: int
    samples: int
    cpu_s: float
    agent_cpu_s: float
    wall_s: float
    stats: PollStats | None = None
    #: snmp_exporter's own count of requests per scrape (snmp_scrape_packets_sent).
    packets: int = 0

    def us_per_sample(self) -> float:
        return self.cpu_s / (self.polls * self.samples) * 1e6


def samples_in(body: str) -> int:
    """Device samples in an exporter scrape (not its own snmp_scrape_* lines)."""
    return sum(1 for line in body.splitlines()
               if line and not line.startswith(("#", "snmp_scrape_")))


def run_exporter(config: Path, agent: Snmpd, polls: int) -> Cost:
    port = free_tcp_port()
    proc = subprocess.Popen([EXPORTER, f"--config.file={config}",
                             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = (f"http://127.0.0.1:{port}/snmp?target=127.0.0.1:{agent.port}&module={MODULE}")
    try:
        body = _first_scrape(proc, url)
        samples = samples_in(body)
        if "snmp_scrape_pdus_returned" not in body or samples == 0:
            raise SystemExit(f"snmp_exporter returned no samples:\n{body[:2000]}")
        for _ in range(20):  # warm-up
            _scrape(url)
        c0, a0, w0 = cpu_seconds(proc.pid), cpu_seconds(agent.pid), time.perf_counter()
        for _ in range(polls):
            if samples_in(_scrape(url)) != samples:
                raise SystemExit("snmp_exporter delivered a different number of samples")
        wall = time.perf_counter() - w0
        packets = int(float(_value(body, "snmp_scrape_packets_sent")))
        return Cost(polls, samples, cpu_seconds(proc.pid) - c0, cpu_seconds(agent.pid) - a0,
                    wall, packets=packets)
    finally:
        proc.terminate()
        proc.wait(10)


def _value(body: str, name: str) -> str:
    return next(line.split()[1] for line in body.splitlines() if line.startswith(name + " "))


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as resp:
        return str(resp.read().decode())


def _first_scrape(proc: subprocess.Popen[bytes], url: str) -> str:
    ends = time.monotonic() + 30
    while True:
        try:
            return _scrape(url)
        except OSError:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"snmp_exporter exited: {err[-2000:]}") from None
            if time.monotonic() > ends:
                raise SystemExit("snmp_exporter did not answer within 30 s") from None
            time.sleep(0.1)


async def run_dcmon(agent: Snmpd, polls: int, outlets: bool, render: bool) -> Cost:
    """Poll the agent ``polls`` times one after another; with ``render`` also record each
    result in a snapshot and render the device's /metrics samples and body."""
    profile = snmp_profile()
    client = LeanSnmpClient()
    collector = SnmpCollector(client, include_outlets=outlets)
    target = SnmpTarget("127.0.0.1", agent.port, "2c", COMMUNITY, timeout=2, retries=1)
    snapshot = Snapshot([DeviceInfo("pdu", "site", "room", "rack", MODULE)])
    cache = ExpositionCache(snapshot)
    for _ in range(20):  # warm-up: caches, and the table plan learns the row counts
        result = await collector.poll("pdu", target, profile)
    samples = len(result.readings)
    c0, a0, w0 = time.process_time(), cpu_seconds(agent.pid), time.perf_counter()
    for _ in range(polls):
        result = await collector.poll("pdu", target, profile)
        if not result.ok or len(result.readings) != samples:
            raise SystemExit(f"dcmon poll failed: {result.errors}")
        if render:
            snapshot.record(result)
            cache.on_poll(result)
            cache.body()
    cost = Cost(polls, samples, time.process_time() - c0, cpu_seconds(agent.pid) - a0,
                time.perf_counter() - w0, result.stats)
    await client.close()
    return cost


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--polls", type=int, default=1000, help="scrapes and polls of each side")
    ap.add_argument("--outlets", type=int, default=8, help="metered outlets of the PDU")
    ap.add_argument("--max-repetitions", type=int, default=25, help="both sides' GETBULK cap")
    args = ap.parse_args()
    missing = [p for p in ("/usr/sbin/snmpd", EXPORTER) if not os.access(p, os.X_OK)]
    if missing:
        print(f"missing: {', '.join(missing)} (Debian packages snmpd, prometheus-snmp-exporter;"
              " scripts/install-test-deps.sh installs both)", file=sys.stderr)
        sys.exit(2)
    profile = snmp_profile()
    scalars, columns = SnmpCollector(LeanSnmpClient()).plan(profile, True)
    with Snmpd(rpdu2_objects(outlets=args.outlets)) as agent, \
            tempfile.TemporaryDirectory(prefix="dcmon-snmp-exporter-") as tmp:
        config = Path(tmp) / "snmp.yml"
        config.write_text(yaml.safe_dump(
            {MODULE: exporter_module(scalars, columns, args.max_repetitions)}, sort_keys=False))
        exp = run_exporter(config, agent, args.polls)
        dc = asyncio.run(run_dcmon(agent, args.polls, True, render=False))
        dcr = asyncio.run(run_dcmon(agent, args.polls, True, render=True))
    report(args, exp, dc, dcr, len(scalars), len(columns))


def report(args: argparse.Namespace, exp: Cost, dc: Cost, dcr: Cost, n_scalars: int,
           n_columns: int) -> None:
    load = os.getloadavg()
    print(f"PDU: apc_rpdu2-like, {args.outlets} outlets, served by net-snmp snmpd on 127.0.0.1; "
          f"{args.polls} polls each, one at a time; {os.cpu_count()} CPUs, load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"profile apc_rpdu2 with outlets: {n_scalars} scalars, {n_columns} columns; "
          f"max_repetitions {args.max_repetitions}")
    print(f"{'':34} {'samples':>7} {'CPU s':>7} {'µs/sample':>10} {'wall ms/poll':>13} "
          f"{'snmpd CPU ms/poll':>18}")
    for name, c in (("snmp_exporter (exporter process)", exp),
                    ("dcmon poll (lean + SnmpCollector)", dc),
                    ("dcmon poll + /metrics rendering", dcr)):
        print(f"{name:34} {c.samples:7d} {c.cpu_s:7.2f} {c.us_per_sample():10.2f} "
              f"{c.wall_s / c.polls * 1e3:13.2f} {c.agent_cpu_s / c.polls * 1e3:18.3f}")
    assert dc.stats is not None
    print(f"dcmon per poll: {dc.stats.requests} requests, {dc.stats.varbinds} varbinds, "
          f"{dc.stats.bytes} bytes; snmp_exporter per scrape: {exp.packets} requests")
    print(f"ratio snmp_exporter µs/sample ÷ dcmon µs/sample: "
          f"{exp.us_per_sample() / dc.us_per_sample():.2f} (poll), "
          f"{exp.us_per_sample() / dcr.us_per_sample():.2f} (poll + rendering); "
          ">= 1.0: dcmon is at least as cheap")


if __name__ == "__main__":
    main()
