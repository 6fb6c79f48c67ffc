"""The alert pipeline ``dcmon run`` schedules: evaluate, persist, deliver.

Evaluation and alert state are the engine's (:mod:`dcmon.engine.alerts`); delivery is the
exporters' (:mod:`dcmon.exporters.notify`). This is the one place that joins them: read the
latest engine results and device health, evaluate the rules, commit state and outbox rows in one
transaction, then deliver.
"""

from __future__ import annotations

import logging

from dcmon import clock
from dcmon.config.resolved import Config
from dcmon.engine.alerts.rules import AlertInputs, observe
from dcmon.engine.alerts.state import Alerter, Notification
from dcmon.engine.alerts.store import AlertStore
from dcmon.engine.results import ResultsHub
from dcmon.exporters.notify import build_receivers
from dcmon.exporters.notify.base import Receiver
from dcmon.exporters.notify.outbox import DeliveryReport, Outbox
from dcmon.exporters.notify.routes import Router

log = logging.getLogger("dcmon.notify")

#: Resolved alerts and finished outbox rows are kept this long (for `dcmon alerts --all`).
KEEP_S = 7 * 86400.0


class AlertPipeline:
    """Evaluate -> persist -> deliver, once per ``alerting.interval`` in ``dcmon run``."""

    def __init__(self, config: Config, store: AlertStore,
                 receivers: dict[str, Receiver] | None = None, started: float | None = None
                 ) -> None:
        self.config = config
        self.store = store
        settings = config.model.alerting
        self.alerter = Alerter(store, settings.repeat_interval_s, Router(settings))
        rcv = build_receivers(config) if receivers is None else receivers
        self.outbox = Outbox(store, rcv, settings.outbox)
        self.started = clock.now() if started is None else started
        if settings.receivers and not rcv:
            log.warning("alerting: no receivers could be built")

    def evaluate(self, now: float, inputs: AlertInputs) -> list[Notification]:
        obs = observe(self.config, now, inputs, self.alerter.alerts)
        return self.alerter.evaluate(now, obs)

    def tick_hub(self, hub: ResultsHub, now: float | None = None) -> DeliveryReport | None:
        """The scheduled job: skip until the first results exist, then evaluate and deliver."""
        now = clock.now() if now is None else now
        res = hub.latest
        if res.computed == 0:
            return None
        snap = hub.snapshot
        self.evaluate(now, AlertInputs(res.pue, res.instant, snap.health(), snap.readings(),
                                       self.started, res.capacity.sites if res.capacity else ()))
        report = self.outbox.deliver(now)
        self.store.prune(now - KEEP_S)
        return report
