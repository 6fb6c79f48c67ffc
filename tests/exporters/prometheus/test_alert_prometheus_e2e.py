"""End to end through a real Prometheus: dcmon's exporter -> Prometheus evaluating the rules
``dcmon rules`` generated -> a real Alertmanager -> a webhook on 127.0.0.1.

The exporter is dcmon's own (EngineCollector and SnapshotCollector) over a snapshot with a dead
PDU and engine results with a judged 24 h PUE of 1.35 at a 1.3 site. The inventory sets every
``for`` to 0s so the test takes seconds. Prometheus must deliver the confirmed PUE breach and
the device-down alert, and its recorded site power must equal the engine's.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.pue import PueResult, instantaneous
from dcmon.engine.results import Results
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.exporters.prometheus.collector import SnapshotCollector
from dcmon.exporters.prometheus.engine import EngineCollector
from dcmon.exporters.rules.cli import write_rules
from dcmon.model import PollError, PollResult, Reading, Source
from tests.support.alert_servers import alertmanager, free_port, recorder, wait_ready
from tests.support.snmpsim import unavailable

DOC: dict[str, Any] = {
    "credentials": {"ro": {"version": "2c", "community": "x"}},
    "sites": [{
        "id": "dc1", "policy": {"class": "new_large", "commissioned": "2025-01-01"},
        "energy": {"facility": ["meter1"], "design_it_kw": 10},
        "devices": [{"id": "meter1", "host": "127.0.0.1", "credential": "ro"}],
        "rooms": [{"id": "h1", "racks": [{"id": "a01", "devices": [
            {"id": "pdu1", "host": "127.0.0.1", "credential": "ro"},
            {"id": "pdu2", "host": "127.0.0.1", "credential": "ro"}]}]}]}],
    "alerting": {"rules": {"pue": {"for": "0s", "windows": ["24h"]},
                           "device_down": {"for": "0s"}}},
}


class Hub:
    """The slice of ResultsHub the exporter reads."""

    def __init__(self, latest: Results) -> None:
        self.latest = latest


def _reading(dev: str, watts: float, rack: bool) -> Reading:
    return Reading(dev, "power", watts, "W", {}, time.time(), Source("test"), rack_power=rack,
                   level="total" if rack else "")


def _query(prom: str, expr: str) -> list[dict[str, Any]]:
    url = f"{prom}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as r:
        result: list[dict[str, Any]] = json.load(r)["data"]["result"]
    return result


def test_prometheus_rules_to_alertmanager(tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        unavailable("prometheus not installed: run scripts/install-test-deps.sh")
    cfg = parse_config(DOC, str(tmp_path / "site.yaml"), ProfileRegistry.load(), tmp_path)
    snap = Snapshot([DeviceInfo(d.id, d.site, d.room, d.rack, "auto") for d in cfg.devices])
    now = time.time()
    snap.record(PollResult("meter1", "auto", (_reading("meter1", 7800.0, False),), (), now, 0.1))
    snap.record(PollResult("pdu1", "auto", (_reading("pdu1", 6000.0, True),), (), now, 0.1))
    snap.record(PollResult("pdu2", "auto", (), (PollError("timeout", "no answer"),), now, 1.0,
                           ok=False))
    pue = PueResult(site="dc1", window="24h", start=now - 86400, end=now, category=2,
                    value=1.35, status="ok", reason="", coverage=1.0, facility_kwh=135.0,
                    it_kwh=100.0, it_load_fraction=0.6, interim=True)
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(snap))
    inst = tuple(instantaneous(cfg, snap.readings()))
    reg.register(EngineCollector(Hub(Results(now, (pue,), inst))))  # type: ignore[arg-type]
    server, _ = start_http_server(0, addr="127.0.0.1", registry=reg)
    exporter = f"127.0.0.1:{server.server_address[1]}"
    write_rules(cfg, tmp_path)
    with recorder(lambda r: (200, {})) as hook, \
            alertmanager(hook.url + "/hook", tmp_path) as am:
        port = free_port()
        (tmp_path / "prometheus.yml").write_text(json.dumps({
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(tmp_path / "rules.yml")],
            "alerting": {"alertmanagers": [{"static_configs": [
                {"targets": [am.removeprefix("http://")]}]}]},
            "scrape_configs": [{"job_name": "dcmon", "static_configs": [
                {"targets": [exporter]}]}]}))
        log = (tmp_path / "prometheus.log").open("w")
        proc = subprocess.Popen(
            [binary, f"--config.file={tmp_path / 'prometheus.yml'}",
             f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
        prom = f"http://127.0.0.1:{port}"
        try:
            wait_ready(f"{prom}/-/ready", proc, tmp_path / "prometheus.log")

            def names(reqs: list[Any]) -> set[str]:
                # The gate's recording rules may lag the first evaluation by one round, so an
                # unconfirmed breach can arrive first: wait for the confirmed one.
                return {a["labels"]["alertname"] for r in reqs for a in r.body["alerts"]
                        if a["labels"].get("confirmed", "true") == "true"}
            got = hook.wait(lambda reqs: {"DcmonPueAboveCeiling",
                                          "DcmonDeviceDown"} <= names(reqs), timeout=40)
            alerts = {a["labels"]["alertname"]: a for r in got for a in r.body["alerts"]
                      if a["labels"].get("confirmed", "true") == "true"}
            pue_alert = alerts["DcmonPueAboveCeiling"]
            assert pue_alert["labels"]["confirmed"] == "true"
            assert pue_alert["labels"]["severity"] == "warning"
            assert pue_alert["annotations"]["summary"] == \
                "dc1: PUE 1.350 over 24h is above the 1.30 ceiling"
            assert "超过限值 1.30" in pue_alert["annotations"]["summary_zh"]
            assert alerts["DcmonDeviceDown"]["labels"]["device"] == "pdu2"
            # Recording rules give the engine's numbers; a silent PDU gives no partial IT sum.
            rec = {r["metric"]["__name__"]: float(r["value"][1]) for r in _query(
                prom, '{__name__=~"dcmon:site_(it|facility)_power_watts|'
                      'dcmon_site_(it|facility)_power_watts",site="dc1"}')}
            assert rec["dcmon:site_facility_power_watts"] == \
                rec["dcmon_site_facility_power_watts"] == 7800.0
            assert "dcmon:site_it_power_watts" not in rec and inst[0].missing == ("pdu2",)
        finally:
            proc.terminate()
            proc.wait(10)
            log.close()
            server.shutdown()
