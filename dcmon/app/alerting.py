"""The alert pipeline ``dcmon run`` schedules: evaluate, persist, deliver.

Evaluation and alert state are the engine's (:mod:`dcmon.engine.alerts`); delivery is the
exporters' (:mod:`dcmon.exporters.notify`). This is the one place that joins them: read the
latest engine results and device health, evaluate the rules, commit state and outbox rows in one
transaction, then deliver.
"""

from __future__ import annotations

import logging
import threading

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
        self.store = store
        self.started = clock.now() if started is None else started
        #: Held by a tick and by a reload, so a tick never sees half of each inventory.
        self._lock = threading.Lock()
        self.config, self.alerter, self.outbox = self._build(config, receivers)

    def _build(self, config: Config, receivers: dict[str, Receiver] | None
               ) -> tuple[Config, Alerter, Outbox]:
        settings = config.model.alerting
        alerter = Alerter(self.store, settings.repeat_interval_s, Router(settings))
        rcv = build_receivers(config) if receivers is None else receivers
        if settings.receivers and not rcv:
            log.warning("alerting: no receivers could be built")
        return config, alerter, Outbox(self.store, rcv, settings.outbox)

    def reconfigure(self, config: Config) -> None:
        """Take a reloaded inventory: rules, routes and receivers are rebuilt; alert state and
        the outbox stay in the store, so nothing pending is lost or sent twice."""
        built = self._build(config, None)
        with self._lock:
            self.config, self.alerter, self.outbox = built

    def evaluate(self, now: float, inputs: AlertInputs) -> list[Notification]:
        obs = observe(self.config, now, inputs, self.alerter.alerts)
        return self.alerter.evaluate(now, obs)

    def tick_hub(self, hub: ResultsHub, now: float | None = None) -> DeliveryReport | None:
        """The scheduled job: skip until the first results exist, then evaluate and deliver."""
        now = clock.now() if now is None else now
        res = hub.latest
        if res.computed == 0:
            return None
        with self._lock:
            return self._tick(hub, now)

    def _tick(self, hub: ResultsHub, now: float) -> DeliveryReport:
        res = hub.latest
        snap = hub.snapshot
        self.evaluate(now, AlertInputs(res.pue, res.instant, snap.health(), snap.readings(),
                                       self.started, res.capacity.sites if res.capacity else ()))
        report = self.outbox.deliver(now)
        self.store.prune(now - KEEP_S)
        return report
