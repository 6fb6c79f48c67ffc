"""Reload of a real ``dcmon run`` process: SIGHUP and ``POST /-/reload``, good and broken files.

The simulated site's agents answer on 127.0.0.1. A device added to the inventory must be
polled (``dcmon_device_up`` 1 in /metrics) within 15 s of the signal, a removed one must leave
/metrics, and a broken file must keep the running inventory polling, log its problems with file
and key, and set ``dcmon_config_last_reload_successful`` to 0. The metrics listener answers
/-/healthy and /-/ready (503 until the first poll round is done) and 404 for anything else.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from tests.support.service_proc import free_port, http, metric, start_run, wait_for
from tests.support.simsite import threaded_site

ADMIN = "admin-token-0123456789abcdef"
READ = "read-token-0123456789abcdef"


def _rack(inv: dict[str, Any], rack: str) -> list[dict[str, Any]]:
    racks = inv["sites"][0]["rooms"][0]["racks"]
    devices: list[dict[str, Any]] = next(r for r in racks if r["id"] == rack)["devices"]
    return devices


def _inventories(ts: Any, metrics_port: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(start, full): start lacks pdu-r02-b and has a ghost UPS that holds the first round
    for 2 s; full has pdu-r02-b and no ghost."""
    full = ts.site.inventory(interval=1.0, listen=f"127.0.0.1:{metrics_port}")
    full["poll"]["timeout"] = 0.3
    full["poll"]["retries"] = 0
    start = copy.deepcopy(full)
    _rack(start, "r02")[:] = [d for d in _rack(start, "r02") if d["id"] != "pdu-r02-b"]
    start["sites"][0]["devices"].append({
        "id": "ghost-ups", "host": "127.0.0.1", "port": free_port(socket.SOCK_DGRAM),
        "credential": "sim", "profile": "ups_mib", "timeout": 2.0})
    return start, full


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    return out


def _metrics(port: int) -> str:
    status, text = http(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    return text


def test_sighup_reloads_and_a_broken_file_keeps_the_running_inventory(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with threaded_site(racks=2) as ts:
        start, full = _inventories(ts, port)
        cfg = tmp_path / "site.yaml"
        cfg.write_text(yaml.safe_dump(start))
        proc = start_run(cfg, log_format="json")
        try:
            # /-/ready: 503 while the ghost's first poll times out, then 200.
            seen: list[int] = []

            def ready() -> bool:
                seen.append(http(f"{base}/-/ready")[0])
                return seen[-1] == 200

            wait_for("/-/ready 200", ready, timeout=30, every=0.1)
            assert 503 in seen and seen.index(503) < seen.index(200), seen
            assert http(f"{base}/-/healthy") == (200, "dcmon is Healthy.\n")
            for path in ("/nope", "/", "/metrics/x", "/-/reload"):
                assert http(base + path)[0] == 404, path
            assert http(f"{base}/-/healthy", method="POST")[0] == 405
            text = _metrics(port)
            assert metric(text, "dcmon_config_last_reload_successful") == 1.0
            started = metric(text, "dcmon_config_last_reload_success_timestamp_seconds")
            assert started is not None and abs(started - time.time()) < 60
            assert metric(text, "dcmon_device_up", device="pdu-r02-b") is None
            assert metric(text, "dcmon_device_up", device="ghost-ups") == 0.0

            # A good file: pdu-r02-b added, ghost-ups removed, without a restart.
            cfg.write_text(yaml.safe_dump(full))
            t0 = time.monotonic()
            proc.send_signal(signal.SIGHUP)
            wait_for("pdu-r02-b up in /metrics", lambda: metric(
                _metrics(port), "dcmon_device_up", device="pdu-r02-b") == 1.0, timeout=15)
            added_after = time.monotonic() - t0
            text = _metrics(port)
            assert metric(text, "dcmon_device_up", device="ghost-ups") is None
            assert metric(text, "dcmon_device_up", device="pdu-r01-a") == 1.0
            assert metric(text, "dcmon_config_last_reload_successful") == 1.0
            assert proc.poll() is None  # SIGHUP no longer ends the process

            # A broken file: an unknown profile. The running inventory keeps polling.
            broken = copy.deepcopy(full)
            _rack(broken, "r01")[0]["profile"] = "no_such_profile"
            cfg.write_text(yaml.safe_dump(broken))
            proc.send_signal(signal.SIGHUP)
            wait_for("the reload to fail", lambda: metric(
                _metrics(port), "dcmon_config_last_reload_successful") == 0.0, timeout=15)
            before = metric(_metrics(port), "dcmon_device_last_success_timestamp_seconds",
                            device="pdu-r02-b")
            assert before is not None
            wait_for("pdu-r02-b polled again", lambda: (metric(
                _metrics(port), "dcmon_device_last_success_timestamp_seconds",
                device="pdu-r02-b") or 0) > before, timeout=10)
            assert metric(_metrics(port), "dcmon_device_up", device="pdu-r01-a") == 1.0
        finally:
            out = _stop(proc)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]  # json, each line
    assert all({"ts", "level", "logger", "msg"} <= set(r) for r in lines)
    msgs = [r["msg"] for r in lines]
    assert any(m.startswith("reloaded ") and "added 1: pdu-r02-b" in m
               and "removed 1: ghost-ups" in m for m in msgs), msgs
    key = "sites.0.rooms.0.racks.0.devices.0.profile: unknown profile 'no_such_profile'"
    errors = [r for r in lines if r["level"] == "error" and key in r["msg"]]
    assert errors and str(cfg) in errors[0]["msg"], msgs
    assert any("the running inventory stays" in m for m in msgs)
    assert not any("Traceback" in json.dumps(r) for r in lines)
    assert not any("Server listening" in m or "Repeating" in m for m in msgs)
    print(f"device added {added_after:.1f} s after SIGHUP")


def test_post_reload_needs_an_admin_token_and_health_says_what_it_measured(
        tmp_path: Path) -> None:
    port, api_port = free_port(), free_port()
    with threaded_site(racks=2) as ts:
        start, full = _inventories(ts, port)
        tokens = [{"name": "ops", "token": {"env": "DCMON_T_ADMIN"}, "scope": "admin"},
                  {"name": "platform", "token": {"env": "DCMON_T_READ"}, "scope": "read"}]
        for inv in (start, full):  # api.listen is overridden by --api-listen
            inv["api"] = {"listen": f"127.0.0.1:{free_port()}", "tokens": tokens}
        cfg = tmp_path / "site.yaml"
        cfg.write_text(yaml.safe_dump(start))
        env = {**os.environ, "DCMON_T_ADMIN": ADMIN, "DCMON_T_READ": READ}
        proc = start_run(cfg, "--api-listen", f"127.0.0.1:{api_port}", env=env)
        api = f"http://127.0.0.1:{api_port}"
        try:
            # Every device polled, results computed: the dead ghost makes it "degraded".
            health = wait_for("health to settle", lambda: _settled(api), timeout=30)
            assert health["status"] == "degraded", health
            assert health["devices_down"] == ["ghost-ups"]
            assert health["devices_up"] == health["devices"] - 1
            assert health["store_ok"] is True and health["results_age_s"] < 180
            assert any("1 of" in p and "ghost-ups" in p for p in health["problems"])

            cfg.write_text(yaml.safe_dump(full))
            assert http(f"{api}/-/reload", "POST")[0] == 401
            assert http(f"{api}/-/reload", "POST", _bearer(READ))[0] == 403
            status, body = http(f"{api}/-/reload", "POST", _bearer(ADMIN))
            assert status == 200, body
            out = json.loads(body)
            assert out["status"] == "success" and out["added"] == ["pdu-r02-b"]
            assert out["removed"] == ["ghost-ups"] and out["problems"] == []
            health = wait_for("health ok", lambda: (h := _settled(api)) and
                              h["status"] == "ok" and h, timeout=15)
            assert health["devices_down"] == [] and health["devices_up"] == health["devices"]

            broken = copy.deepcopy(full)
            broken["sites"][0]["devices"][0]["port"] = "not-a-port"
            cfg.write_text(yaml.safe_dump(broken))
            status, body = http(f"{api}/-/reload", "POST", _bearer(ADMIN))
            assert status == 500
            err = json.loads(body)
            assert err["status"] == "error" and err["devices"] == health["devices"]
            assert any(p.startswith(f"{cfg}: sites.0.devices.0.port") for p in err["problems"])
            text = _metrics(port)
            assert metric(text, "dcmon_config_last_reload_successful") == 0.0
        finally:
            out_text = _stop(proc)
    assert ADMIN not in out_text and READ not in out_text


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _settled(api: str) -> dict[str, Any] | None:
    status, body = http(f"{api}/api/v1/health")
    if status != 200:
        return None
    h: dict[str, Any] = json.loads(body)
    return h if h["status"] != "starting" else None
