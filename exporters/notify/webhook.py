"""Generic webhook: one JSON document per notification, with an idempotency key.

The document carries the notification id (also as the ``Idempotency-Key`` header): the outbox
delivers each notification once, and a receiver that must be exact across a dcmon crash
between its answer and our bookkeeping can drop a repeated id.
"""

from __future__ import annotations

from typing import Any

from dcmon.config.alerting import WebhookReceiver as Config
from dcmon.engine.alerts.state import Notification, iso
from dcmon.exporters.notify.base import post_json


def document(receiver: str, n: Notification) -> dict[str, Any]:
    """The webhook body (format version 1; see exporters/notify/README.md)."""
    return {
        "version": "1", "receiver": receiver, "id": n.id, "status": n.status, "kind": n.kind,
        "fingerprint": n.fingerprint, "labels": n.labels, "annotations": n.annotations,
        "startsAt": iso(n.starts_at),
        "endsAt": iso(n.ends_at) if n.ends_at is not None else None,
    }


class WebhookReceiver:
    batch = False

    def __init__(self, cfg: Config, token: str | None = None) -> None:
        self.name = cfg.name
        self.url = cfg.url
        self.timeout = cfg.timeout
        self._token = token

    def send(self, notes: list[Notification]) -> None:
        for n in notes:
            headers = {"Idempotency-Key": n.id}
            if self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            post_json(self.url, document(self.name, n), self.timeout, headers)
