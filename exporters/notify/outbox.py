"""Delivery from the persisted outbox: in order per receiver, retried with backoff, once each.

Notifications are queued in ``alerts.sqlite`` in the same transaction as the alert state that
produced them (:mod:`dcmon.engine.alerts.store`). Each :meth:`Outbox.deliver` round sends what is
due:
per receiver, oldest first; on a failure that receiver stops for the round and its oldest row
is rescheduled ``backoff * 2^attempts`` later (capped at ``max_backoff``, with a fixed per-row
jitter of up to +10 % so many sites do not retry in lockstep). Other receivers are not held up.
A row is marked delivered as soon as its receiver accepts it, so a receiver outage of an hour
loses nothing and a recovered receiver gets each notification once. Only a row older than
``max_age`` is given up, with an error log line. ``now`` is a parameter, for tests.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from dcmon.config.alerting import Outbox as OutboxSettings
from dcmon.engine.alerts.store import AlertStore, OutboxRow
from dcmon.exporters.notify.base import DeliveryError, Receiver

log = logging.getLogger("dcmon.notify")


def backoff(settings: OutboxSettings, attempts: int, row_id: int) -> float:
    """Seconds to wait after the ``attempts``-th failure (1-based)."""
    base = min(settings.max_backoff_s, settings.backoff_s * 2.0 ** max(0, attempts - 1))
    jitter = int(hashlib.sha256(str(row_id).encode()).hexdigest()[:4], 16) / 0xFFFF * 0.1
    return float(base * (1 + jitter))


@dataclass
class DeliveryReport:
    delivered: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    dead: int = 0


class Outbox:
    """Sends due outbox rows through the configured receivers."""

    def __init__(self, store: AlertStore, receivers: Mapping[str, Receiver],
                 settings: OutboxSettings) -> None:
        self.store = store
        self.receivers = dict(receivers)
        self.settings = settings

    def deliver(self, now: float) -> DeliveryReport:
        report = DeliveryReport()
        for name in self.store.receivers_pending():
            rows = self.store.due(name, now)
            if not rows:
                continue
            rows = self._expire(rows, now, report)
            if not rows:
                continue
            rcv = self.receivers.get(name)
            if rcv is None:
                self.store.dead([r.id for r in rows], now, "receiver no longer configured")
                log.error("outbox: %d notification(s) for receiver %r dropped: it is no longer "
                          "configured", len(rows), name)
                report.dead += len(rows)
                continue
            batches = [rows] if rcv.batch else [[r] for r in rows]
            for batch in batches:
                if not self._send(rcv, batch, now, report):
                    break
        return report

    def _expire(self, rows: list[OutboxRow], now: float, report: DeliveryReport
                ) -> list[OutboxRow]:
        old = [r for r in rows if now - r.created > self.settings.max_age_s]
        if old:
            self.store.dead([r.id for r in old], now, f"undelivered after "
                                                      f"{self.settings.max_age_s:.0f} s")
            log.error("outbox: gave up %d notification(s) to %s after %.0f s: %s", len(old),
                      old[0].receiver, self.settings.max_age_s, old[0].last_error)
            report.dead += len(old)
        return [r for r in rows if r not in old]

    def _send(self, rcv: Receiver, batch: list[OutboxRow], now: float,
              report: DeliveryReport) -> bool:
        try:
            rcv.send([r.notification for r in batch])
        except Exception as exc:  # a receiver bug must not stop the others either
            if not isinstance(exc, DeliveryError):
                log.exception("notify %s: unexpected error", rcv.name)
            first = batch[0]
            wait = backoff(self.settings, first.attempts + 1, first.id)
            self.store.failed([r.id for r in batch], now, now + wait, str(exc))
            report.failed[rcv.name] = str(exc)
            log.warning("notify %s: attempt %d failed, retry in %.0f s: %s", rcv.name,
                        first.attempts + 1, wait, exc)
            return False
        self.store.delivered([r.id for r in batch], now)
        report.delivered[rcv.name] = report.delivered.get(rcv.name, 0) + len(batch)
        return True
