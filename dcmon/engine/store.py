"""The embedded store: energy accounts and hourly/daily rollups in SQLite (WAL).

This is dcmon's default history: PUE windows and capacity reports need no external database.
One transaction per flush (in ``dcmon run`` at most one a second, from the results hub's writer
thread), WAL journal and ``synchronous=NORMAL`` mean a ``kill -9`` loses at most the polls of
the last second; the counters' next deltas book them.

The schema is versioned (``meta.schema_version``) and migrates itself forward at open: each entry
of :data:`MIGRATIONS` runs once, in order, in its own transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from sys import intern

from dcmon.engine.energy import HOUR, CounterTable, HourBucket, PowerTable, Series

DAY = 86400.0

MIGRATIONS: list[str] = [
    # 1: accounts and hourly rollups
    """
    CREATE TABLE counters (
        key TEXT PRIMARY KEY, total_j REAL NOT NULL, last_value REAL, last_ts REAL,
        last_marker TEXT, wraps INTEGER NOT NULL, resets INTEGER NOT NULL,
        false_zeros INTEGER NOT NULL, held_zero INTEGER NOT NULL);
    CREATE TABLE powers (
        key TEXT PRIMARY KEY, total_j REAL NOT NULL, last_w REAL, last_ts REAL,
        gaps INTEGER NOT NULL);
    CREATE TABLE hourly (
        key TEXT NOT NULL, hour REAL NOT NULL, energy_j REAL NOT NULL, peak_w REAL NOT NULL,
        covered_s REAL NOT NULL, PRIMARY KEY (key, hour)) WITHOUT ROWID;
    CREATE TABLE series (
        key TEXT PRIMARY KEY, device TEXT NOT NULL, metric TEXT NOT NULL, level TEXT NOT NULL,
        labels TEXT NOT NULL, rack_power INTEGER NOT NULL);
    """,
    # 2: daily rollups (derived from the hourly rows already stored)
    """
    CREATE TABLE daily (
        key TEXT NOT NULL, day REAL NOT NULL, energy_j REAL NOT NULL, peak_w REAL NOT NULL,
        covered_s REAL NOT NULL, PRIMARY KEY (key, day)) WITHOUT ROWID;
    INSERT INTO daily SELECT key, hour - (hour % 86400), SUM(energy_j), MAX(peak_w),
        SUM(covered_s) FROM hourly GROUP BY key, hour - (hour % 86400);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)

_UPSERT = """INSERT INTO {t} (key, {c}, energy_j, peak_w, covered_s) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT(key, {c}) DO UPDATE SET energy_j = energy_j + excluded.energy_j,
    peak_w = MAX(peak_w, excluded.peak_w), covered_s = covered_s + excluded.covered_s"""


def open_sqlite(path: str) -> sqlite3.Connection:
    """An SQLite connection in WAL mode with ``synchronous=NORMAL``: a committed transaction
    survives a crash of the process, and readers never block the writer."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def migrate(db: sqlite3.Connection, path: str, migrations: list[str]) -> int:
    """Run the migrations newer than ``meta.schema_version``, each in its own transaction.

    Returns the version found before. A database from a newer dcmon is refused rather than
    guessed at.
    """
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    found = int(row[0]) if row else 0
    if found > len(migrations):
        raise RuntimeError(f"{path}: schema version {found} is newer than this dcmon "
                           f"({len(migrations)}); upgrade dcmon")
    for version in range(found + 1, len(migrations) + 1):
        db.execute("BEGIN")
        try:
            for stmt in migrations[version - 1].split(";"):
                if stmt.strip():
                    db.execute(stmt)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                       (str(version),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return found


CounterRow = tuple[str, float, float | None, float | None, str | None, int, int, int, int]
PowerRow = tuple[str, float, float | None, float | None, int]
SeriesRow = tuple[str, str, str, str, str, int]


@dataclass(frozen=True)
class Batch:
    """What one transaction writes: account rows (copied, so the engine may go on updating
    its accounts while a writer thread holds the batch), hour buckets and new series."""

    counters: dict[str, CounterRow] = field(default_factory=dict)
    powers: dict[str, PowerRow] = field(default_factory=dict)
    hours: dict[tuple[str, float], HourBucket] = field(default_factory=dict)
    series: dict[str, SeriesRow] = field(default_factory=dict)

    @classmethod
    def of(cls, counters: Iterable[CounterRow], powers: Iterable[PowerRow],
           hours: dict[tuple[str, float], HourBucket], series: Iterable[Series]) -> Batch:
        """A batch of account rows (``CounterTable.record``), hour buckets and new series."""
        return cls({r[0]: r for r in counters}, {r[0]: r for r in powers},
                   hours,
                   {s.key: (s.key, s.device, s.metric, s.level, json.dumps(dict(s.labels)),
                            int(s.rack_power)) for s in series})

    def merge(self, newer: Batch) -> Batch:
        """This batch (not written) followed by a newer one: the newer account rows win, hour
        buckets add up as the store would have added them."""
        hours = {k: HourBucket(b.energy_j, b.peak_w, b.covered_s) for k, b in self.hours.items()}
        for k, b in newer.hours.items():
            old = hours.get(k)
            if old is None:
                hours[k] = b
            else:
                old.energy_j += b.energy_j
                old.peak_w = max(old.peak_w, b.peak_w)
                old.covered_s += b.covered_s
        return Batch(self.counters | newer.counters, self.powers | newer.powers, hours,
                     self.series | newer.series)


#: Keys per query of :meth:`Store.window` (SQLite allows 999 variables in old builds).
WINDOW_KEYS = 900


class Store:
    """SQLite-backed persistence of accounts and rollups. Thread-safe (one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = open_sqlite(self.path)
        self._lock = threading.Lock()
        self.migrate()

    def migrate(self) -> int:
        """Bring the schema to SCHEMA_VERSION; returns the version found before."""
        with self._lock:
            return migrate(self._db, self.path, MIGRATIONS)

    def schema_version(self) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    # ---------------------------------------------------------------------------- accounts

    def load_counters(self, same: Callable[[str], str] = str) -> CounterTable:
        """The counter accounts; ``same`` maps each key to the string to keep (the engine's
        series key, so a restart keeps one copy of each key, not one per table)."""
        with self._lock:
            rows = self._db.execute("SELECT key, total_j, last_value, last_ts, last_marker, "
                                    "wraps, resets, false_zeros, held_zero FROM counters")
            table = CounterTable()
            for r in rows:
                table.add(same(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]))
            return table

    def load_powers(self, max_gap_s: float, same: Callable[[str], str] = str
                    ) -> PowerTable:
        """The power accounts (``same`` as for :meth:`load_counters`)."""
        with self._lock:
            rows = self._db.execute("SELECT key, total_j, last_w, last_ts, gaps FROM powers")
            table = PowerTable()
            for r in rows:
                table.add(same(r[0]), max_gap_s, r[1], r[2], r[3], r[4])
            return table

    def load_series(self, labels: Callable[[dict[str, str]], Mapping[str, str]] = dict
                    ) -> dict[str, Series]:
        """Every series by key, row by row (no list of all rows at once: a city has ~270,000),
        with one copy of each device, metric and level string and the labels through
        ``labels`` (the engine shares one dict per distinct label set)."""
        with self._lock:
            rows = self._db.execute("SELECT key, device, metric, level, labels, rack_power "
                                    "FROM series")
            return {r[0]: Series(r[0], intern(r[1]), intern(r[2]), intern(r[3]),
                                 labels(json.loads(r[4])), bool(r[5])) for r in rows}

    def write(self, batch: Batch) -> None:
        """Write a batch's accounts and add its hour buckets, atomically."""
        days: dict[tuple[str, float], HourBucket] = {}
        for (key, hour), b in batch.hours.items():
            d = days.setdefault((key, hour - hour % DAY), HourBucket())
            d.energy_j += b.energy_j
            d.peak_w = max(d.peak_w, b.peak_w)
            d.covered_s += b.covered_s
        with self._lock:
            db = self._db
            db.execute("BEGIN")
            try:
                db.executemany(
                    "INSERT OR REPLACE INTO counters VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    list(batch.counters.values()))
                db.executemany("INSERT OR REPLACE INTO powers VALUES (?, ?, ?, ?, ?)",
                               list(batch.powers.values()))
                db.executemany("INSERT OR IGNORE INTO series VALUES (?, ?, ?, ?, ?, ?)",
                               list(batch.series.values()))
                db.executemany(_UPSERT.format(t="hourly", c="hour"),
                               [(k, h, b.energy_j, b.peak_w, b.covered_s)
                                for (k, h), b in batch.hours.items()])
                db.executemany(_UPSERT.format(t="daily", c="day"),
                               [(k, d, b.energy_j, b.peak_w, b.covered_s)
                                for (k, d), b in days.items()])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # ----------------------------------------------------------------------------- queries

    def window(self, keys: list[str], start: float, end: float) -> dict[str, HourBucket]:
        """Sum of hourly buckets per key for hours starting in [start, end); ``WINDOW_KEYS``
        keys a query (a city's PUE asks for 10,000 meters' at once)."""
        rows: list[tuple[str, float | None, float | None, float | None]] = []
        with self._lock:
            for i in range(0, len(keys), WINDOW_KEYS):
                some = keys[i:i + WINDOW_KEYS]
                rows += self._db.execute(
                    f"SELECT key, SUM(energy_j), MAX(peak_w), SUM(covered_s) FROM hourly "
                    f"WHERE key IN ({','.join('?' * len(some))}) AND hour >= ? AND hour < ? "
                    f"GROUP BY key", [*some, start, end]).fetchall()
        return {r[0]: HourBucket(r[1] or 0.0, r[2] or 0.0, r[3] or 0.0) for r in rows}

    def hourly(self, key: str, start: float, end: float) -> list[tuple[float, HourBucket]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT hour, energy_j, peak_w, covered_s FROM hourly WHERE key = ? AND "
                "hour >= ? AND hour < ? ORDER BY hour", (key, start, end)).fetchall()
        return [(r[0], HourBucket(r[1], r[2], r[3])) for r in rows]

    def daily(self, key: str, start: float, end: float) -> list[tuple[float, HourBucket]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT day, energy_j, peak_w, covered_s FROM daily WHERE key = ? AND "
                "day >= ? AND day < ? ORDER BY day", (key, start, end)).fetchall()
        return [(r[0], HourBucket(r[1], r[2], r[3])) for r in rows]

    def keys(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT DISTINCT key FROM hourly")]

    def ping(self) -> bool:
        """Whether the database answers a query (readiness and /api/v1/health ask)."""
        try:
            with self._lock:
                self._db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    def close(self) -> None:
        with self._lock:
            self._db.close()


def hour_floor(ts: float) -> float:
    return ts - ts % HOUR
