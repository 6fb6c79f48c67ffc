"""A real ``kill -9`` of ``dcmon run`` mid-poll, then a restart: energy totals continue.

The simulated site runs 3600x faster than real time so the PDUs' 0.1 kWh counters move several
counts per second. After the kill, the SQLite store holds what was committed (total T1 at
counter value L1); after the restart and more polls (T2, L2) the booked energy must be exactly
the counter's advance: T2 - T1 == L2 - L1. Nothing is lost or booked twice across the kill.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tests.support.simsite import threaded_site


def _counters(db: Path) -> dict[str, tuple[float, float]]:
    if not db.exists():
        return {}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        rows = con.execute("SELECT key, total_j, last_value FROM counters").fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        con.close()
    return {k: (t, v) for k, t, v in rows}


def _start(cfg: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "dcmon", "run", "--config", str(cfg),
                             "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait(db: Path, pred: object, timeout: float = 30.0) -> dict[str, tuple[float, float]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = _counters(db)
        if got and pred(got):  # type: ignore[operator]
            return got
        time.sleep(0.2)
    raise AssertionError(f"store never reached the expected state: {_counters(db)}")


def test_kill_9_then_restart_keeps_totals(tmp_path: Path) -> None:
    with threaded_site(racks=2, speed=3600.0) as ts:
        inv = ts.site.inventory(interval=0.5)
        inv["state_dir"] = "state"
        cfg = tmp_path / "site.yaml"
        cfg.write_text(yaml.safe_dump(inv))
        db = tmp_path / "state" / "dcmon.sqlite"
        proc = _start(cfg)
        try:
            _wait(db, lambda c: len(c) >= 4 and all(t > 0 for t, _ in c.values()))
            time.sleep(1.3)  # polls keep running: the kill lands during or between polls
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        before = _counters(db)
        time.sleep(1.0)  # the meters keep counting while dcmon is down
        proc = _start(cfg)
        try:
            after = _wait(db, lambda c: all(c[k][1] > before[k][1] + 3 * 360_000
                                            for k in before))
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    for key, (t1, l1) in before.items():
        t2, l2 = after[key]
        assert t2 - t1 == l2 - l1, f"{key}: booked {t2 - t1} J, counter advanced {l2 - l1} J"
        assert t2 > t1
