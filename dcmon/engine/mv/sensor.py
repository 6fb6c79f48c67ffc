"""The outdoor temperature of sensors dcmon polls, logged hourly for retrofit baselines.

The energy store keeps energy only; a baseline model also needs the outdoor temperature of every
day it covers, months back. So ``dcmon run`` logs the sensors that retrofits name
(``temperature.sensor``) as hourly sums and counts in their own SQLite file beside the store
(``temperature.sqlite``). Polls only add to an in-memory buffer (they run on the event loop,
which must not wait for a disk); the results job writes the buffer (:meth:`flush`). A day's
temperature is then the mean of every reading in it, as for a weather CSV.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from dcmon.config.resolved import Config
from dcmon.config.retrofit import SensorRef
from dcmon.engine.energy import HOUR
from dcmon.engine.store import migrate, open_sqlite
from dcmon.model import PollResult

FILE = "temperature.sqlite"
MIGRATIONS = ["""
    CREATE TABLE temps (key TEXT NOT NULL, hour REAL NOT NULL, sum_c REAL NOT NULL,
        n INTEGER NOT NULL, PRIMARY KEY (key, hour)) WITHOUT ROWID;
"""]
_UPSERT = """INSERT INTO temps VALUES (?, ?, ?, ?) ON CONFLICT(key, hour) DO UPDATE SET
    sum_c = sum_c + excluded.sum_c, n = n + excluded.n"""


def sensor_refs(config: Config) -> list[SensorRef]:
    """The sensors the inventory's retrofits read."""
    return [r.temperature.sensor for s in config.model.sites for r in s.retrofits
            if r.temperature.sensor is not None]


class SensorSeries:
    """One sensor's log, read as a :class:`~dcmon.engine.mv.weather.Weather` is."""

    def __init__(self, log: TemperatureLog, key: str) -> None:
        self.log, self.key = log, key

    def mean(self, start: float, end: float) -> float | None:
        return self.log.mean(self.key, start, end)


class TemperatureLog:
    """Hourly sums and counts of the sensors ``refs()`` names, in ``path``."""

    def __init__(self, path: str | Path, refs: Callable[[], Iterable[SensorRef]]) -> None:
        self.path = str(path)
        self._db = open_sqlite(self.path)
        migrate(self._db, self.path, MIGRATIONS)
        self._refs = refs
        self._lock = threading.Lock()
        self._buffer: dict[tuple[str, float], tuple[float, int]] = {}

    def on_poll(self, result: PollResult) -> None:
        """Buffer the poll's readings of a logged sensor (plausible °C only)."""
        refs = [r for r in self._refs() if r.device == result.device]
        if not refs or not result.ok:
            return
        for reading in result.readings:
            if reading.unit != "Cel" or not -60 <= reading.value <= 60:
                continue
            for ref in refs:
                if reading.metric == ref.metric and all(
                        reading.labels.get(k) == v for k, v in ref.labels.items()):
                    slot = (ref.key, reading.ts - reading.ts % HOUR)
                    with self._lock:
                        s, n = self._buffer.get(slot, (0.0, 0))
                        self._buffer[slot] = (s + reading.value, n + 1)

    def flush(self) -> None:
        """Write the buffered hours (one transaction)."""
        with self._lock:
            rows, self._buffer = self._buffer, {}
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(_UPSERT, [(k, h, s, n) for (k, h), (s, n) in rows.items()])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                for slot, (s, n) in rows.items():  # keep them for the next flush
                    s0, n0 = self._buffer.get(slot, (0.0, 0))
                    self._buffer[slot] = (s0 + s, n0 + n)
                raise

    def mean(self, key: str, start: float, end: float) -> float | None:
        """Mean of the readings logged in [start, end) (whole hours); None without any."""
        with self._lock:
            s, n = self._db.execute("SELECT SUM(sum_c), SUM(n) FROM temps WHERE key = ? AND "
                                    "hour >= ? AND hour < ?", (key, start, end)).fetchone()
        return s / n if n else None

    def series(self, ref: SensorRef) -> SensorSeries:
        return SensorSeries(self, ref.key)

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()
