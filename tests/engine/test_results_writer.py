"""The results hub commits polls from its writer thread: polls never wait for the disk.

``ResultsHub.on_poll`` runs on the poller's event loop. It only queues; the writer thread books
and commits queued polls together. Here another connection holds the SQLite write lock longer
than the store's busy timeout (a stalled disk): polls keep returning at once, the failed batch
is kept, and once the lock is released everything is committed, the same as a poll-by-poll
engine would have written.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.store import Store
from dcmon.model import PollResult, Reading, Source

T0 = 1767225600.0
INVENTORY = {"credentials": {"c": {"version": "2c", "community": "x"}},
             "sites": [{"id": "s", "devices": [{"id": f"m{i}", "host": "127.0.0.1",
                                                "credential": "c"} for i in range(3)]}]}


def _poll(device: str, k: int) -> PollResult:
    ts = T0 + k * 600.0
    return PollResult(device, "p", (
        Reading(device, "energy", 1e6 + k * 7.2e6, "J", {}, ts, Source("t"), "counter"),
        Reading(device, "power", 12000.0 + k, "W", {"outlet": "1"}, ts, Source("t"),
                level="outlet")), (), ts, 0.0)


def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = sqlite3.connect(db)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
                for t in ("counters", "powers", "hourly", "daily", "series")}
    finally:
        con.close()


def test_a_stalled_store_delays_no_poll_and_loses_nothing(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    cfg = parse_config(INVENTORY, "<t>", ProfileRegistry.load())
    polls = [_poll(f"m{i}", k) for k in range(30) for i in range(3)]
    ref_db = tmp_path / "ref.sqlite"
    ref = EnergyEngine(cfg, Store(ref_db))
    for p in polls:  # the reference: one transaction per poll
        ref.ingest(p.readings)
        ref.flush()
    ref.store.close()

    db = tmp_path / "dcmon.sqlite"
    hub = ResultsHub(cfg, EnergyEngine(cfg, Store(db)), Snapshot(), flush_interval_s=0.2)
    hub.start()
    blocker = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN EXCLUSIVE")  # every write waits 5 s (busy timeout), then fails
    released = threading.Timer(5.6, blocker.execute, ["ROLLBACK"])
    released.start()
    slowest = 0.0
    try:
        for p in polls:
            t = time.perf_counter()
            hub.on_poll(p)
            slowest = max(slowest, time.perf_counter() - t)
            time.sleep(0.05)
        assert _rows(db)["counters"] == []  # nothing could be written yet
    finally:
        released.join()
        blocker.close()
    assert slowest < 0.005, f"a poll waited {slowest * 1e3:.1f} ms for the engine"
    deadline = time.monotonic() + 10
    while _rows(db)["counters"] != _rows(ref_db)["counters"] and time.monotonic() < deadline:
        time.sleep(0.1)
    hub.close()
    hub.engine.store.close()
    assert "could not write the energy store" in caplog.text  # the first try timed out
    got, want = _rows(db), _rows(ref_db)
    assert got["counters"] == want["counters"] and got["powers"] == want["powers"]
    assert got["series"] == want["series"]
    for table in ("hourly", "daily"):  # sums of the same joules, grouped differently
        assert [r[:2] for r in got[table]] == [r[:2] for r in want[table]]
        for g, w in zip(got[table], want[table], strict=True):
            assert g[2:] == pytest.approx(w[2:], rel=1e-9)


def test_a_clean_stop_commits_the_queue(tmp_path: Path) -> None:
    cfg = parse_config(INVENTORY, "<t>", ProfileRegistry.load())
    db = tmp_path / "dcmon.sqlite"
    hub = ResultsHub(cfg, EnergyEngine(cfg, Store(db)), Snapshot(), flush_interval_s=3600)
    hub.start()
    for k in range(3):
        hub.on_poll(_poll("m0", k))
    assert _rows(db)["counters"] == []  # queued: the writer's next turn is an hour away
    hub.close()
    (row,) = _rows(db)["counters"]
    assert row[:4] == ("E|m0|energy||", 2 * 7.2e6, 1e6 + 2 * 7.2e6, T0 + 1200.0)
    hub.engine.store.close()
