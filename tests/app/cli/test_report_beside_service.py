"""``dcmon report capacity`` beside a running ``dcmon run``: the service's live figures.

A real ``dcmon run`` subprocess polls the simulated site on 127.0.0.1; the report, run as
another process, must show every rack's load now (from the live readings the service writes to
state_dir) with no stale input, agree with the service's API, and fetch the same report with
``--url``. Stopped-service files age into "stale", summarised rather than listed.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.support.service_proc import free_port, http, start_run, wait_for
from tests.support.simsite import threaded_site

RACKS = 4


def _report(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dcmon", "report", "capacity", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def _racks(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["rack"]: r for s in doc["sites"] for ro in s["rooms"] for r in ro["racks"]}


def test_report_shows_what_the_running_service_knows(tmp_path: Path) -> None:
    http_port, api_port = free_port(), free_port()
    token = secrets.token_urlsafe(24)
    with threaded_site(racks=RACKS) as ts:
        inv = ts.site.inventory(interval=1.0, listen=f"127.0.0.1:{http_port}")
        inv["state_dir"] = "state"
        inv["api"] = {"listen": f"127.0.0.1:{api_port}",
                      "tokens": [{"name": "ops", "token": token, "scope": "admin"}]}
        cfg = tmp_path / "site.yaml"
        cfg.write_text(yaml.safe_dump(inv))
        proc = start_run(cfg)
        auth = {"Authorization": f"Bearer {token}"}
        api = f"http://127.0.0.1:{api_port}/api/v1"
        try:
            wait_for("every device polled", lambda: http(
                f"http://127.0.0.1:{http_port}/-/ready")[0] == 200, timeout=30)
            # A results run now (the scheduled one comes every minute): it writes the file.
            assert http(f"{api}/admin/recompute", "POST", auth)[0] == 200
            live = tmp_path / "state" / "live-readings.jsonl"
            assert live.is_file()

            out = _report("--config", str(cfg), "--format", "json")
            assert out.returncode == 0, out.stderr
            doc = json.loads(out.stdout)
            racks = _racks(doc)
            assert len(racks) == RACKS
            for rack in racks.values():
                assert rack["now_kw"] is not None and rack["now_kw"] > 0, rack
                assert rack["quality"]["stale"] == [], rack
            assert doc["sites"][0]["quality"]["stale"] == []
            assert "stale inputs" not in out.stderr and "no live readings" not in out.stderr

            # The API computes from the same readings: the loads agree (within a poll's drift).
            status, body = http(f"{api}/reports/capacity?format=json", headers=auth)
            assert status == 200
            served = _racks(json.loads(body))
            for rid, rack in racks.items():
                assert abs(served[rid]["now_kw"] - rack["now_kw"]) < 0.1 * rack["now_kw"]

            # The page: every rack's load now in its row, no stale input; "no data" only where
            # the service's own page says it too (a young service has no daily peaks yet).
            # Any results run (the API's report above may make one) writes the file again, with
            # the loads of that moment: compare the page with a JSON report of the same file.
            for _ in range(5):
                written = live.stat().st_mtime_ns
                same = _racks(json.loads(_report("--config", str(cfg), "--format", "json").stdout))
                html = _report("--config", str(cfg))
                if live.stat().st_mtime_ns == written:
                    break
            assert html.returncode == 0 and "stale inputs" not in html.stdout
            for rid, rack in same.items():
                assert f'<tr data-rack="{rid}"><td class="l">{rid}</td><td>' \
                       f"{rack['now_kw']:,.2f}</td>" in html.stdout
            served_page = http(f"{api}/reports/capacity", headers=auth)[1]
            assert html.stdout.count("no data") <= served_page.count("no data")

            # --url: the running service's own report, the token from the environment.
            got = _report("--url", f"http://127.0.0.1:{api_port}", "--format", "json",
                          env={"DCMON_API_TOKEN": token})
            assert got.returncode == 0, got.stderr
            assert {r: x["now_kw"] is not None for r, x in _racks(json.loads(got.stdout)).items()
                    } == dict.fromkeys(racks, True)
            page = _report("--url", f"http://127.0.0.1:{api_port}/api/v1", "--lang", "zh",
                           env={"DCMON_API_TOKEN": token})
            assert page.returncode == 0 and "<html" in page.stdout and "机架" in page.stdout
            bad = _report("--url", f"http://127.0.0.1:{api_port}", env={"DCMON_API_TOKEN": "x"})
            assert bad.returncode == 1 and "401" in bad.stderr
        finally:
            proc.send_signal(signal.SIGTERM)
            log, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, log

    # An hour later the service's readings are an hour old: flagged stale, and summarised.
    later = _report("--config", str(cfg), "--at", str(live.stat().st_mtime + 3600))
    assert later.returncode == 0, later.stderr
    devices = 2 * RACKS  # the A and B PDUs of every rack
    assert "stale inputs:" in later.stdout and "more" in later.stdout
    assert f"stale inputs: {devices + 2} (" in later.stderr or \
        f"stale inputs: {devices} (" in later.stderr, later.stderr


def test_report_without_token_or_service(tmp_path: Path) -> None:
    """--url names the missing variable, and an unreachable service in one line."""
    env = {"DCMON_API_TOKEN": ""}
    no_token = _report("--url", "http://127.0.0.1:9", env=env)
    assert no_token.returncode == 2 and "DCMON_API_TOKEN" in no_token.stderr
    port = free_port()
    down = _report("--url", f"http://127.0.0.1:{port}", env={"DCMON_API_TOKEN": "t"})
    assert down.returncode == 1 and "cannot reach" in down.stderr
    assert "Traceback" not in down.stderr
    neither = _report()
    assert neither.returncode == 2 and "--config" in neither.stderr
