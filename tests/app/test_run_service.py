"""``dcmon run`` as a real process: scheduling, /metrics, a dead device, SIGTERM.

The simulated site's agents answer on 127.0.0.1; one device points at a port where nothing
listens. The live devices must keep being polled, the dead one must show up=0 with reason
``timeout``, ``promtool check metrics`` must accept the real exposition, and SIGTERM must end
the process cleanly (exit 0, "stopped" logged).
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

import pytest
import yaml

from tests.support.simsite import threaded_site


def _free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return str(r.read().decode())


def _value(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_run_polls_serves_and_stops(tmp_path: Path) -> None:
    http_port = _free_port()
    dead_port = _free_port(socket.SOCK_DGRAM)
    with threaded_site(racks=2) as ts:
        inv = ts.site.inventory(interval=1.0, listen=f"127.0.0.1:{http_port}")
        inv["poll"]["timeout"] = 0.3
        inv["poll"]["retries"] = 0
        inv["sites"][0]["devices"].append({"id": "ghost-ups", "host": "127.0.0.1",
                                           "port": dead_port, "credential": "sim",
                                           "profile": "ups_mib", "timeout": 3.0})
        cfg = tmp_path / "site.yaml"
        cfg.write_text(yaml.safe_dump(inv))
        proc = subprocess.Popen([sys.executable, "-m", "dcmon", "run", "--config", str(cfg)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            text = ""
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                time.sleep(0.5)
                try:
                    text = _scrape(http_port)
                except OSError:
                    continue
                polls = [_value(text, "dcmon_device_up", device=d) for d in
                         ("pdu-r01-a", "pdu-r02-b", "ups-1", "ghost-ups")]
                if polls[:3] == [1.0, 1.0, 1.0] and _value(
                        text, "dcmon_device_poll_errors_total", device="ghost-ups",
                        reason="timeout") and _value(text, "dcmon_site_pue_instant_ratio",
                                                     site="demo-dc"):
                    break
            else:
                pytest.fail("devices never all polled:\n" + text[-3000:])
            # The live PDU reads the simulated power (within the load curve's range).
            sim_w = ts.site.devices["pdu-r01-a"].meter.power()
            got = _value(text, "dcmon_power_watts", device="pdu-r01-a", rack_power="true")
            assert got is not None and abs(got - sim_w) < 0.05 * sim_w
            assert _value(text, "dcmon_device_up", device="ghost-ups") == 0.0
            # The engine's figures: the simulated incomer draws 1.32 x the IT load.
            inst = _value(text, "dcmon_site_pue_instant_ratio", site="demo-dc")
            assert inst is not None and abs(inst - 1.32) < 0.03
            assert _value(text, "dcmon_site_pue_status", site="demo-dc", window="1h",
                          status="withheld") == 1.0  # one hour of data does not exist yet
            assert "dcmon_site_facility_energy_joules_total{" in text
            assert "dcmon_meter_energy_joules_total{" in text
            assert _value(text, "dcmon_device_up", device="pdu-r01-a", rack="r01",
                          site="demo-dc", room="hall-1") == 1.0
            # A dead device does not delay the others: their polls stay short.
            dur = _value(text, "dcmon_device_poll_duration_seconds", device="pdu-r02-a")
            assert dur is not None and dur < 1.0
            promtool = shutil.which("promtool")
            if promtool:
                chk = subprocess.run([promtool, "check", "metrics"], input=text.encode(),
                                     capture_output=True, timeout=30)
                assert chk.returncode == 0 and not chk.stdout + chk.stderr, chk.stdout + chk.stderr
            elif os.environ.get("CI"):
                pytest.fail("promtool missing in CI")
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=20)
        assert proc.returncode == 0, out
        assert "stopped" in out
        # Logged once on failure, not on every poll.
        assert len(re.findall(r"device ghost-ups is down", out)) == 1, out
        assert "Traceback" not in out, out
