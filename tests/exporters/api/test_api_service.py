"""The API inside ``dcmon run`` and ``dcmon demo``, as real processes.

``dcmon run`` reads its token from the environment (``{env: ...}``), serves capacity figures of
the live simulated site over HTTP next to /metrics (whose capacity series pass ``promtool check
metrics``), and stops cleanly on SIGTERM with the API thread ended. ``dcmon demo`` prints its
API URL and a token that works.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest
import yaml

from dcmon.sim.capacity import add_capacity
from tests.support.simsite import threaded_site

TOKEN = "service-token-0123456789abcdef"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_run_serves_the_api_and_stops_on_sigterm(tmp_path: Path) -> None:
    http_port, api_port = _free_port(), _free_port()
    with threaded_site(racks=2) as ts:
        inv = add_capacity(ts.site.inventory(interval=1.0, listen=f"127.0.0.1:{http_port}"))
        inv["api"] = {"listen": f"127.0.0.1:{api_port}",
                      "tokens": [{"name": "platform", "token": {"env": "DCMON_TEST_API_TOKEN"},
                                  "scope": "admin"}]}
        cfg = tmp_path / "site.yaml"
        cfg.write_text(yaml.safe_dump(inv))
        env = {**os.environ, "DCMON_TEST_API_TOKEN": TOKEN}
        proc = subprocess.Popen([sys.executable, "-m", "dcmon", "run", "--config", str(cfg)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=env)
        base = f"http://127.0.0.1:{api_port}/api/v1"
        auth = {"Authorization": f"Bearer {TOKEN}"}
        try:
            racks: list[dict[str, object]] = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                time.sleep(0.5)
                try:
                    httpx.post(f"{base}/admin/recompute", headers=auth, timeout=5)
                    r = httpx.get(f"{base}/racks", headers=auth, timeout=5)
                except httpx.HTTPError:
                    continue
                if r.status_code == 200:
                    racks = r.json()["items"]
                    if racks and all(x["now_kw"] is not None for x in racks):
                        break
            else:
                pytest.fail(f"the API never answered with live racks: {racks}")
            assert httpx.get(f"{base}/health", timeout=5).json()["devices_up"] >= 4
            assert httpx.get(f"{base}/racks", timeout=5).status_code == 401
            sim_kw = sum(ts.site.devices[f"pdu-r01-{f}"].meter.power() for f in "ab") / 1000
            r01 = next(x for x in racks if x["rack"] == "r01")
            assert abs(float(r01["now_kw"]) - sim_kw) < 0.05 * sim_kw  # type: ignore[arg-type]
            assert r01["failover"]["checked"] is True  # type: ignore[index]
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics",
                                        timeout=5) as m:
                text = m.read().decode()
            assert re.search(r'dcmon_rack_power_watts\{.*rack="r01".*stat="now"', text)
            assert "dcmon_city_standard_racks_goal 5000.0" in text
            promtool = shutil.which("promtool")
            if promtool:
                cap = "\n".join(line for line in text.splitlines()
                                if re.match(r"(# (HELP|TYPE) )?dcmon_(rack|feed|room|site_(racks"
                                            r"|occupancy|headroom|standard|power|cooling|heat|"
                                            r"failover|history|stale|forecast|time)|city)", line))
                chk = subprocess.run([promtool, "check", "metrics"], input=cap.encode() + b"\n",
                                     capture_output=True, timeout=30)
                assert chk.returncode == 0 and not chk.stdout + chk.stderr, \
                    chk.stdout + chk.stderr
            elif os.environ.get("CI"):
                pytest.fail("promtool missing in CI")
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert "stopped" in out and "Traceback" not in out, out
        assert TOKEN not in out  # the secret never reaches the log
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{base}/health", timeout=2)


def test_demo_prints_a_working_api_url_and_token() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "dcmon", "demo", "--duration", "20",
                             "--listen", "127.0.0.1:0",
                             "--api-listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        url = token = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and token is None:
            line = proc.stdout.readline()
            m = re.search(r"REST API\s+(http://\S+/api/v1) .*demo token: (\S+)", line)
            if m:
                url, token = m.group(1), m.group(2)
        assert url and token, "the demo printed no API URL and token"
        r = httpx.get(f"{url}/sites", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 200 and r.json()["items"][0]["site"] == "muni-new"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
