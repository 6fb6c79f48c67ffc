"""The InfluxDB writer: polls hand readings over, a background thread batches and writes them.

Why a thread and a queue: ``on_poll`` runs on the poller's event loop, and an InfluxDB server that
is slow or gone must never delay a poll. ``on_poll`` only appends the poll's readings to an
in-memory queue (O(1), bounded: beyond ``max_queue_points`` points are dropped and counted); the
thread turns them into line protocol, writes full batches at once and partial ones every
``flush_interval``.

Why a spool: while the server is down, batches go to a bounded disk spool (:mod:`.spool`) in
arrival order. While the spool holds anything, new batches are appended behind it rather than
written, so the server receives points in the order they were read. The oldest segment is retried
with exponential backoff; it is deleted only after the server acknowledged it, so a crash or a
restart replays it (points carry the reading's timestamp, so a replay of an acknowledged segment
overwrites, it does not add). A batch the server refuses as malformed (HTTP 400/422) can never
succeed: it is dropped and counted rather than blocking the spool forever.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException
from pydantic import SecretStr

from dcmon.config.influx import MB, InfluxExporter, read_token
from dcmon.config.resolved import Config
from dcmon.engine.results import Results
from dcmon.exporters.influx.lineproto import Place, to_line, wire_precision
from dcmon.exporters.influx.results import result_lines
from dcmon.exporters.influx.spool import Spool
from dcmon.model import PollResult, Reading

log = logging.getLogger("dcmon.influx")

#: Reasons a point is dropped, always exported (zero included) so alerts need no absent().
DROP_REASONS = ("spool_full", "queue_full", "rejected", "invalid", "closed")
#: HTTP statuses that mean "this batch will never be accepted": drop it, do not retry.
REJECTED_STATUSES = frozenset({400, 422})
#: At most one drop summary per reason in this many seconds (a long outage would flood the log).
DROP_LOG_INTERVAL_S = 60.0


class Outcome(Enum):
    """What became of one write request."""

    SENT = "sent"
    RETRY = "retry"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class InfluxStats:
    """The writer's backlog and counters at one moment (what the Prometheus collector shows)."""

    queue_points: int
    spool_points: int
    spool_bytes: int
    written_points: int
    write_errors: int
    dropped: Mapping[str, int]
    up: bool


@dataclass
class _DropLog:
    last: float = 0.0
    unlogged: int = 0
    total: int = 0


@dataclass
class _State:
    #: Poll readings, or lines already rendered (the engine's results, :meth:`on_results`).
    queue: deque[tuple[Reading, ...] | tuple[str, ...]] = field(default_factory=deque)
    queued: int = 0
    pending: int = 0
    busy: bool = False
    stop: bool = False
    flush_requested: bool = False
    written: int = 0
    errors: int = 0
    up: bool = True
    failures: int = 0
    dropped: dict[str, _DropLog] = field(
        default_factory=lambda: {r: _DropLog() for r in DROP_REASONS})


class InfluxWriter:
    """Batches readings into InfluxDB v2 writes, spooling them to disk while the server is down."""

    def __init__(self, cfg: InfluxExporter, token: SecretStr, spool_dir: Path,
                 places: Mapping[str, Place]) -> None:
        self.cfg = cfg
        self.places = dict(places)
        self.spool = Spool(spool_dir, int(cfg.spool_max_mb * MB))
        self._precision = wire_precision(cfg.precision)
        self._client = InfluxDBClient(url=cfg.url, token=token.get_secret_value(), org=cfg.org,
                                      timeout=int(cfg.timeout * 1000))
        self._api = self._client.write_api(write_options=SYNCHRONOUS)
        self._cond = threading.Condition()
        self._s = _State()
        self._thread: threading.Thread | None = None
        self._base_backoff = min(1.0, cfg.flush_interval)
        self._backoff = 0.0
        self._next_retry = 0.0

    @classmethod
    def from_config(cls, config: Config, state_dir: Path) -> InfluxWriter:
        """The writer ``dcmon run`` uses: spool under ``state_dir``, tags from the inventory."""
        cfg = config.model.exporters.influx
        if cfg is None:
            raise ValueError("dcmon.exporters.influx is not configured")
        places = {d.id: Place(d.site, d.room, d.rack) for d in config.devices}
        return cls(cfg, read_token(cfg.token, config.base), state_dir / "influx-spool", places)

    # ------------------------------------------------------------------ poller side
    def on_poll(self, result: PollResult) -> None:
        """Queue one poll's readings; never blocks on I/O (a Poller listener)."""
        self._enqueue(result.readings)

    def on_results(self, res: Results) -> None:
        """Queue the engine's PUE windows and lifetime energy (a ResultsHub listener;
        exporters/influx/results.py says what is written and why)."""
        self._enqueue(tuple(result_lines(res, self.places, self.cfg.precision)))

    def _enqueue(self, item: tuple[Reading, ...] | tuple[str, ...]) -> None:
        n = len(item)
        if n == 0:
            return
        with self._cond:
            if self._s.stop:
                self._drop("closed", n)
                return
            if self._s.queued + self._s.pending + n > self.cfg.max_queue_points:
                self._drop("queue_full", n)
                return
            self._s.queue.append(item)
            self._s.queued += n
            if self._s.queued >= self.cfg.batch_size:
                self._cond.notify_all()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the writer thread (a daemon: a hung server cannot keep the process alive)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dcmon-influx", daemon=True)
            self._thread.start()

    def flush(self, timeout: float) -> bool:
        """Write everything held now; True once nothing is left (all acknowledged or dropped).

        False after ``timeout`` while the server is down: the points are then in the spool.
        """
        with self._cond:
            self._s.flush_requested = True
            self._next_retry = 0.0
            self._cond.notify_all()
            return self._cond.wait_for(self._idle, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Stop the thread: a partial batch is written, or spooled if that fails; the spool
        is kept for the next start. Waits at most ``timeout`` (default: one write timeout + 5 s).
        """
        with self._cond:
            self._s.stop = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(self.cfg.timeout + 5.0 if timeout is None else timeout)
            if self._thread.is_alive():
                log.warning("influx writer still busy at shutdown; its batch in flight may be "
                            "lost (the spool is kept)")
            self._thread = None
        else:
            self._drain_queue_on_close()
        self._client.close()  # type: ignore[no-untyped-call]

    def stats(self) -> InfluxStats:
        """Backlog and counters, consistent with each other."""
        with self._cond:
            return InfluxStats(
                queue_points=self._s.queued + self._s.pending,
                spool_points=self.spool.points, spool_bytes=self.spool.size,
                written_points=self._s.written, write_errors=self._s.errors,
                dropped={r: d.total for r, d in self._s.dropped.items()}, up=self._s.up)

    # ------------------------------------------------------------------ writer thread
    def _idle(self) -> bool:
        return (not self._s.busy and self._s.queued == 0 and self._s.pending == 0
                and not self._s.flush_requested and len(self.spool) == 0)

    def _take(self, pending: list[str]) -> None:
        """Move the queue into ``pending``: out under the lock, converted outside it.

        The points stay counted against ``max_queue_points`` while they wait in ``pending``.
        """
        with self._cond:
            items = list(self._s.queue)
            self._s.queue.clear()
            self._s.pending += self._s.queued
            self._s.queued = 0
        invalid = 0
        for item in items:
            for r in item:
                if isinstance(r, str):  # rendered already
                    pending.append(r)
                    continue
                line = to_line(r, self.places.get(r.device, Place("")), self.cfg.precision)
                if line is None:
                    invalid += 1
                else:
                    pending.append(line)
        with self._cond:
            self._s.pending = len(pending)
            if invalid:
                self._drop("invalid", invalid)

    def _run(self) -> None:
        """The thread: the loop, restarted after an unexpected error so exporting never stops
        for good (such an error is a bug; it is logged with its traceback)."""
        pending: list[str] = []
        while True:
            try:
                self._loop(pending)
                return
            except Exception:
                log.exception("influx writer failed; restarting it in 1 s")
                with self._cond:
                    self._s.busy = False
                    self._s.flush_requested = False
                time.sleep(1.0)

    def _loop(self, pending: list[str]) -> None:
        next_flush = time.monotonic() + self.cfg.flush_interval
        while True:
            with self._cond:
                while True:
                    s = self._s
                    if s.stop or s.flush_requested or s.queued + len(pending) >= \
                            self.cfg.batch_size:
                        break
                    deadline = next_flush
                    if len(self.spool):
                        deadline = min(deadline, self._next_retry)
                    now = time.monotonic()
                    if now >= deadline:
                        break
                    self._s.pending = len(pending)
                    self._cond.notify_all()  # flush() waiters check _idle()
                    self._cond.wait(deadline - now)
                stopping, forced = self._s.stop, self._s.flush_requested
                self._s.busy = True
            self._take(pending)
            now = time.monotonic()
            flush_all = stopping or forced or now >= next_flush
            while len(pending) >= self.cfg.batch_size or (flush_all and pending):
                batch = pending[:self.cfg.batch_size]
                del pending[:self.cfg.batch_size]
                self._set_pending(len(pending))
                self._submit(batch)
            if flush_all:
                next_flush = now + self.cfg.flush_interval
            if not stopping:
                self._drain(pending)
            with self._cond:
                self._s.pending = len(pending)
                self._s.busy = False
                if forced:
                    self._s.flush_requested = False
                self._cond.notify_all()
                if stopping:
                    return

    def _set_pending(self, n: int) -> None:
        with self._cond:
            self._s.pending = n

    def _submit(self, batch: list[str]) -> None:
        """Write a batch now if nothing older waits in the spool, else spool it behind."""
        if len(self.spool) == 0:
            outcome = self._write(batch)
            if outcome is not Outcome.RETRY:
                return
        self._spool(batch)

    def _spool(self, batch: list[str]) -> None:
        try:
            dropped = self.spool.append(batch)
        except OSError as exc:
            log.error("influx spool %s: cannot write (%s)", self.spool.path, exc)
            dropped = len(batch)
        if dropped:
            with self._cond:
                self._drop("spool_full", dropped)

    def _drain(self, pending: list[str]) -> None:
        """Replay spool segments oldest first, until one fails or the spool is empty.

        Between segments, full batches that arrived meanwhile are spooled behind, so memory stays
        bounded during a long replay and order is kept.
        """
        while len(self.spool) and time.monotonic() >= self._next_retry:
            seg = self.spool.oldest()
            assert seg is not None
            lines = self.spool.read(seg)
            outcome = self._write(lines) if lines else Outcome.REJECTED
            if outcome is Outcome.RETRY:
                return
            self.spool.remove(seg)
            if not lines:
                with self._cond:
                    self._drop("rejected", seg.points)
            with self._cond:
                if self._s.stop:
                    return
            self._take(pending)
            while len(pending) >= self.cfg.batch_size:
                self._submit(pending[:self.cfg.batch_size])
                del pending[:self.cfg.batch_size]
            self._set_pending(len(pending))

    def _write(self, lines: Sequence[str]) -> Outcome:
        """One write request; a too-large request (413) is split in halves."""
        try:
            self._api.write(bucket=self.cfg.bucket, org=self.cfg.org, record=list(lines),
                            write_precision=self._precision)
        except ApiException as exc:
            status = int(exc.status or 0)
            if status == 413 and len(lines) > 1:
                mid = len(lines) // 2
                first = self._write(lines[:mid])
                if first is Outcome.RETRY:
                    return first
                return self._write(lines[mid:])
            body = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) \
                else str(exc.body or "")
            if status in REJECTED_STATUSES:
                with self._cond:
                    self._s.errors += 1
                    self._drop("rejected", len(lines))
                log.error("influx server refused a batch of %d points (HTTP %d): %s",
                          len(lines), status, body[:300])
                return Outcome.REJECTED
            return self._failed(f"HTTP {status} {exc.reason or ''} {body[:200]}".strip())
        except Exception as exc:  # connection refused, timeout, TLS, DNS: all retryable
            return self._failed(f"{type(exc).__name__}: {exc}")
        with self._cond:
            self._s.written += len(lines)
            was_up, failures = self._s.up, self._s.failures
            self._s.up, self._s.failures = True, 0
        self._backoff = 0.0
        if not was_up:
            log.info("influx %s is back after %d failed writes; spool %d points to replay",
                     self.cfg.url, failures, self.spool.points)
        return Outcome.SENT

    def _failed(self, why: str) -> Outcome:
        with self._cond:
            self._s.errors += 1
            self._s.failures += 1
            was_up = self._s.up
            self._s.up = False
        self._backoff = min(max(self._backoff * 2, self._base_backoff),
                            self.cfg.max_retry_interval)
        self._next_retry = time.monotonic() + self._backoff
        if was_up:
            log.warning("influx %s write failed, spooling to %s: %s", self.cfg.url,
                        self.spool.path, why)
        return Outcome.RETRY

    def _drop(self, reason: str, n: int) -> None:
        """Count dropped points and log them, at most once a minute per reason (lock held)."""
        d = self._s.dropped[reason]
        d.total += n
        d.unlogged += n
        now = time.monotonic()
        if d.last == 0.0 or now - d.last >= DROP_LOG_INTERVAL_S:
            log.warning("influx: dropped %d points (%s); %d dropped for this reason since start",
                        d.unlogged, reason.replace("_", " "), d.total)
            d.last, d.unlogged = now, 0

    def _drain_queue_on_close(self) -> None:
        """Closed without a thread (never started): keep queued points in the spool."""
        lines: list[str] = []
        self._take(lines)
        for i in range(0, len(lines), self.cfg.batch_size):
            self._spool(lines[i:i + self.cfg.batch_size])
