"""Alertmanager receiver: POST /api/v2/alerts, the preferred route.

Alertmanager then groups, silences, inhibits and fans out, with its own repeat interval. It keys
alerts by their labels, so a firing alert is sent with ``endsAt`` in the future (it expires on
its own if dcmon dies) and every repeat extends it; a resolution is sent with ``endsAt`` = the
time it resolved. ``endsAt`` of a firing alert is computed at delivery, so a notification that
waited out an outage in the outbox does not arrive already expired.
"""

from __future__ import annotations

import time

from dcmon import clock
from dcmon.config.alerting import AlertmanagerReceiver as Config
from dcmon.engine.alerts.state import Notification, iso
from dcmon.exporters.notify.base import post_json


class AlertmanagerReceiver:
    batch = True

    def __init__(self, cfg: Config, hold_s: float, token: str | None = None) -> None:
        self.name = cfg.name
        self.url = cfg.url.rstrip("/") + "/api/v2/alerts"
        self.timeout = cfg.timeout
        self.hold_s = hold_s
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def payload(self, notes: list[Notification], now: float) -> list[dict[str, object]]:
        # Alertmanager keys alerts by labels: the newest state of each label set wins.
        latest: dict[tuple[tuple[str, str], ...], Notification] = {}
        for n in notes:
            latest[tuple(sorted(n.labels.items()))] = n
        # Alertmanager keeps wall time: under the demo's accelerated clock an alert's data
        # times run ahead of it (dcmon/clock.py), so they are mapped back to the wall. A
        # resolution never ends in the future: Alertmanager would keep the alert firing (a
        # future endsAt does not override the firing one's later endsAt).
        return [{
            "labels": n.labels,
            "annotations": n.annotations,
            "startsAt": iso(clock.to_wall(n.starts_at)),
            "endsAt": iso(min(clock.to_wall(n.ends_at), now) if n.ends_at is not None
                          else now + self.hold_s),
        } for n in latest.values()]

    def send(self, notes: list[Notification]) -> None:
        post_json(self.url, self.payload(notes, time.time()), self.timeout, self._headers)
