"""The docker-compose stack, started natively: the same services and the same config files.

There is no Docker engine here, so each compose service runs as a local process on 127.0.0.1
with the repo's own files, changed only where compose's service names and container paths must
become local addresses (what a user does to point the stack elsewhere):

* ``simulator``: ``dcmon simulate --base-port 16101`` (the ports config/compose-site.yaml polls);
* ``dcmon``: ``dcmon run`` on config/compose-site.yaml, hosts ``simulator`` -> 127.0.0.1, the
  InfluxDB URL -> a VictoriaMetrics (it accepts InfluxDB 2's /api/v2/write), polling every 5 s
  instead of 60 s so the test is short;
* ``prometheus``: config/prometheus.yml with config/rules/, targets -> local ports, 1 s scrapes;
* ``alertmanager``: config/alertmanager.yml as it is.

Checks: Prometheus scrapes all 40 devices up and evaluates the generated rules for all four
sites, and sends to Alertmanager; dcmon writes points to the "InfluxDB"; the status page needs
the compose token.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.alert_servers import free_port, wait_ready
from tests.support.paths import ROOT
from tests.support.snmpsim import require_tool
from tests.support.victoria import Victoria

ENV = {"DCMON_SNMP_COMMUNITY": "dcmon-sim", "DCMON_INFLUX_TOKEN": "test-influx-token",
       "DCMON_API_TOKEN": "test-api-token-0123456789abcdef"}
SITES = {"muni-new", "muni-old", "edge-hospital", "edge-school"}


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _until(what: str, fn: Callable[[], Any], timeout: float = 60.0) -> Any:
    end = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < end:
        last = fn()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


class Stack:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.procs: list[subprocess.Popen[bytes]] = []
        self.prom = self.api = ""
        self.vm: Victoria | None = None

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None
              ) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp,
                                env=env)
        log.close()
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")[-3000:]

    def close(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        if self.vm is not None:
            self.vm.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    prometheus = require_tool("prometheus")
    alertmanager = shutil.which("alertmanager") or require_tool("prometheus-alertmanager")
    tmp = tmp_path_factory.mktemp("compose-native")
    s = Stack(tmp)
    try:
        s.vm = Victoria(tmp / "vm-data", free_port())
        s.vm.start()
        # simulator
        s.spawn("simulator", [sys.executable, "-m", "dcmon", "simulate", "--host",
                              "127.0.0.1", "--base-port", "16101", "--inventory-out",
                              str(tmp / "simulated.yaml")])
        _until("the simulator", lambda: (tmp / "simulated.yaml").exists(), 30)
        # dcmon
        inv = yaml.safe_load((ROOT / "config/compose-site.yaml").read_text())
        inv["poll"]["interval"] = 5
        for site in inv["sites"]:
            devs = list(site["devices"]) + [d for room in site["rooms"]
                                            for rack in room["racks"] for d in rack["devices"]]
            for d in devs:
                assert d["host"] == "simulator"
                d["host"] = "127.0.0.1"
        metrics_port, api_port = free_port(), free_port()
        inv["exporters"]["prometheus"]["listen"] = f"127.0.0.1:{metrics_port}"
        inv["exporters"]["influx"]["url"] = s.vm.url
        inv["exporters"]["influx"]["flush_interval"] = 1
        inv["api"]["listen"] = f"127.0.0.1:{api_port}"
        inv["state_dir"] = str(tmp / "state")
        (tmp / "site.yaml").write_text(yaml.safe_dump(inv, sort_keys=False))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("DCMON_")}, **ENV}
        dcmon = s.spawn("dcmon", [sys.executable, "-m", "dcmon", "run", "--config",
                                  str(tmp / "site.yaml")], env)
        s.api = f"http://127.0.0.1:{api_port}"
        wait_ready(f"http://127.0.0.1:{metrics_port}/metrics", dcmon, tmp / "dcmon.log", 30)
        # alertmanager
        am_port = free_port()
        am = s.spawn("alertmanager", [
            alertmanager, f"--config.file={ROOT / 'config/alertmanager.yml'}",
            f"--storage.path={tmp / 'am-data'}", f"--web.listen-address=127.0.0.1:{am_port}",
            "--cluster.listen-address=", "--log.level=warn"])
        wait_ready(f"http://127.0.0.1:{am_port}/-/ready", am, tmp / "alertmanager.log")
        # prometheus: the repo's file, compose service names -> local ports, 1 s intervals
        prom_cfg = yaml.safe_load((ROOT / "config/prometheus.yml").read_text())
        prom_cfg["global"].update(scrape_interval="1s", evaluation_interval="1s")
        assert prom_cfg["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == \
            ["alertmanager:9093"]
        prom_cfg["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = \
            [f"127.0.0.1:{am_port}"]
        job = next(j for j in prom_cfg["scrape_configs"] if j["job_name"] == "dcmon")
        assert job["static_configs"][0]["targets"] == ["dcmon:9630"]
        job["static_configs"][0]["targets"] = [f"127.0.0.1:{metrics_port}"]
        shutil.copytree(ROOT / "config/rules", tmp / "rules")
        (tmp / "prometheus.yml").write_text(yaml.safe_dump(prom_cfg))
        prom_port = free_port()
        prom = s.spawn("prometheus", [
            prometheus, f"--config.file={tmp / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}"])
        s.prom = f"http://127.0.0.1:{prom_port}"
        wait_ready(f"{s.prom}/-/ready", prom, tmp / "prometheus.log")
        yield s
    finally:
        s.close()


def _query(prom: str, q: str) -> list[dict[str, Any]]:
    code, body = _get(f"{prom}/api/v1/query?{urllib.parse.urlencode({'query': q})}")
    assert code == 200, body
    result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
    return result


def test_prometheus_scrapes_every_simulated_device(stack: Stack) -> None:
    up = _until("40 devices up in Prometheus",
                lambda: (lambda rs: rs if len(rs) == 40 else None)(
                    _query(stack.prom, "dcmon_device_up == 1")), 90)
    assert {r["metric"]["site"] for r in up} == SITES, stack.log("dcmon")


def test_generated_rules_record_every_site(stack: Stack) -> None:
    def recorded() -> dict[str, float] | None:
        got = {r["metric"]["site"]: float(r["value"][1])
               for r in _query(stack.prom, "dcmon:site_pue_instant_ratio")}
        return got if got.keys() == SITES else None

    pue = _until("the generated recording rules", recorded, 90)
    # The simulated city (docs/demo.md): the new build above 1.3, the legacy site under 1.5.
    assert 1.3 < pue["muni-new"] < 1.4 and 1.35 < pue["muni-old"] < 1.5, pue
    _, body = _get(f"{stack.prom}/api/v1/rules")
    groups = json.loads(body)["data"]["groups"]
    assert groups and all(r.get("health") in ("ok", "unknown") for g in groups
                          for r in g["rules"]), body[:2000]


def test_prometheus_sends_to_alertmanager(stack: Stack) -> None:
    am = _until("an active Alertmanager",
                lambda: json.loads(_get(f"{stack.prom}/api/v1/alertmanagers")[1])["data"]
                ["activeAlertmanagers"], 30)
    assert am[0]["url"].startswith("http://127.0.0.1:")


def test_dcmon_writes_to_the_influx_api(stack: Stack) -> None:
    assert stack.vm is not None
    vm = stack.vm
    want = {"new-incomer-1", "new-chiller-1", "school-pdu-r01-a"}

    def devices() -> set[str]:
        got = {s["metric"].get("device") for s in vm.export('{__name__=~"power_value"}')}
        return got if want <= got else set()

    # Devices write their first points as their first polls land, not all at once.
    _until(f"points of {sorted(want)} in the InfluxDB stand-in", devices, 90)


def test_status_page_needs_the_compose_token(stack: Stack) -> None:
    code, body = _get(f"{stack.api}/status")
    assert code == 401 and "muni-new" not in body
    code, body = _get(f"{stack.api}/status",
                      {"Authorization": f"Bearer {ENV['DCMON_API_TOKEN']}"})
    assert code == 200 and 'data-site="muni-new"' in body
