"""Alert state and the notification outbox, persisted in ``<state_dir>/alerts.sqlite``.

A separate file from the energy store (``dcmon.sqlite``): alert state churns on its own
schedule, and losing it must never touch energy history. Alert state changes and the outbox rows
they produce are written in one transaction, so after a crash either both exist or neither: a
restart neither re-sends every alert nor forgets one. WAL journal, like the energy store.

The outbox holds one row per (receiver, notification). A row is due at ``next_attempt``; it is
marked delivered on success, or rescheduled with backoff on failure, and given up (``dead``)
only after ``max_age``. :mod:`dcmon.exporters.notify.outbox` drives delivery.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dcmon.config.resolved import Config
from dcmon.engine.alerts.state import Alert, Notification
from dcmon.engine.store import migrate, open_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint TEXT PRIMARY KEY, alertname TEXT NOT NULL, labels TEXT NOT NULL,
    annotations TEXT NOT NULL, state TEXT NOT NULL, active_since REAL NOT NULL,
    fired_at REAL, resolved_at REAL, last_notified REAL, last_eval REAL NOT NULL, value REAL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, receiver TEXT NOT NULL, notification_id TEXT NOT NULL,
    payload TEXT NOT NULL, created REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL, delivered_at REAL, dead_at REAL, last_error TEXT NOT NULL
    DEFAULT '', UNIQUE (receiver, notification_id));
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (receiver, delivered_at, dead_at, id);
"""
MIGRATIONS = [SCHEMA]
SCHEMA_VERSION = len(MIGRATIONS)

_COLS = ("fingerprint, alertname, labels, annotations, state, active_since, fired_at, "
         "resolved_at, last_notified, last_eval, value")


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One queued delivery of one notification to one receiver."""

    id: int
    receiver: str
    notification: Notification
    created: float
    attempts: int
    next_attempt: float
    last_error: str


def _alert(r: tuple[Any, ...]) -> Alert:
    return Alert(fingerprint=r[0], alertname=r[1], labels=json.loads(r[2]),
                 annotations=json.loads(r[3]), state=r[4], active_since=r[5], fired_at=r[6],
                 resolved_at=r[7], last_notified=r[8], last_eval=r[9], value=r[10])


class AlertStore:
    """SQLite persistence of alert state and the outbox. Thread-safe (one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = open_sqlite(self.path)
        self._lock = threading.Lock()
        migrate(self._db, self.path, MIGRATIONS)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -------------------------------------------------------------------------------- alerts

    def active(self) -> dict[str, Alert]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLS} FROM alerts WHERE state != 'resolved'")
            return {a.fingerprint: a for a in map(_alert, rows)}

    def alerts(self, include_resolved: bool = False) -> list[Alert]:
        where = "" if include_resolved else " WHERE state != 'resolved'"
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLS} FROM alerts{where} "
                                    "ORDER BY active_since, fingerprint").fetchall()
        return [_alert(r) for r in rows]

    def commit(self, alerts: Iterable[Alert],
               outbox: Iterable[tuple[str, Notification]]) -> None:
        """Write changed alerts and their outbox rows in one transaction."""
        arows = [(a.fingerprint, a.alertname, json.dumps(a.labels, sort_keys=True),
                  json.dumps(a.annotations, ensure_ascii=False, sort_keys=True), a.state,
                  a.active_since, a.fired_at, a.resolved_at, a.last_notified, a.last_eval,
                  a.value) for a in alerts]
        orows = [(rcv, n.id, json.dumps(n.as_dict(), ensure_ascii=False), n.created,
                  n.created) for rcv, n in outbox]
        if not arows and not orows:
            return
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            try:
                db.executemany(f"INSERT OR REPLACE INTO alerts ({_COLS}) VALUES "
                               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arows)
                db.executemany("INSERT OR IGNORE INTO outbox (receiver, notification_id, "
                               "payload, created, next_attempt) VALUES (?, ?, ?, ?, ?)", orows)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def prune(self, before: float) -> int:
        """Forget resolved alerts and finished outbox rows older than ``before``."""
        with self._lock:
            n = self._db.execute("DELETE FROM alerts WHERE state = 'resolved' AND "
                                 "resolved_at < ?", (before,)).rowcount
            n += self._db.execute("DELETE FROM outbox WHERE (delivered_at IS NOT NULL AND "
                                  "delivered_at < ?) OR (dead_at IS NOT NULL AND dead_at < ?)",
                                  (before, before)).rowcount
        return int(n)

    # -------------------------------------------------------------------------------- outbox

    def due(self, receiver: str, now: float, limit: int = 100) -> list[OutboxRow]:
        """Undelivered rows of one receiver, oldest first, if the oldest is due (order is
        kept per receiver: a later notification never overtakes an earlier one)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, receiver, payload, created, attempts, next_attempt, last_error "
                "FROM outbox WHERE receiver = ? AND delivered_at IS NULL AND dead_at IS NULL "
                "ORDER BY id LIMIT ?", (receiver, limit)).fetchall()
        out = [OutboxRow(r[0], r[1], Notification.from_dict(json.loads(r[2])), r[3], r[4],
                         r[5], r[6]) for r in rows]
        if out and out[0].next_attempt > now:
            return []
        return out

    def receivers_pending(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT receiver FROM outbox WHERE delivered_at "
                                    "IS NULL AND dead_at IS NULL ORDER BY receiver")
            return [str(r[0]) for r in rows]

    def delivered(self, ids: Iterable[int], now: float) -> None:
        with self._lock:
            self._db.executemany("UPDATE outbox SET delivered_at = ?, attempts = attempts + 1 "
                                 "WHERE id = ?", [(now, i) for i in ids])

    def failed(self, ids: Iterable[int], now: float, next_attempt: float, error: str) -> None:
        with self._lock:
            self._db.executemany("UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, "
                                 "last_error = ? WHERE id = ?",
                                 [(next_attempt, error[:500], i) for i in ids])

    def dead(self, ids: Iterable[int], now: float, error: str) -> None:
        with self._lock:
            self._db.executemany("UPDATE outbox SET dead_at = ?, last_error = ? WHERE id = ?",
                                 [(now, error[:500], i) for i in ids])

    def outbox_counts(self) -> dict[str, dict[str, int]]:
        """Per receiver: queued, delivered and dead rows (for logs and `dcmon alerts`)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT receiver, SUM(delivered_at IS NULL AND dead_at IS NULL), "
                "SUM(delivered_at IS NOT NULL), SUM(dead_at IS NOT NULL) FROM outbox "
                "GROUP BY receiver").fetchall()
        return {r[0]: {"queued": int(r[1]), "delivered": int(r[2]), "dead": int(r[3])}
                for r in rows}


def alerts_path(config: Config) -> Path:
    """``<state_dir>/alerts.sqlite`` (state_dir relative to the inventory file)."""
    base = Path(config.file).resolve().parent if Path(config.file).exists() else Path.cwd()
    return base / config.model.state_dir / "alerts.sqlite"
