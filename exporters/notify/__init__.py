"""Notification receivers and the alert pipeline ``dcmon run`` schedules.

The registry :data:`BUILDERS` maps a receiver ``type`` to the function that builds it, so a new
channel touches this folder only. :class:`AlertPipeline` is the one job: read the latest engine
results and device health, evaluate the rules, commit state and outbox rows, deliver.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dcmon import clock
from dcmon.engine.alerts.rules import AlertInputs, observe
from dcmon.engine.alerts.store import AlertStore
from dcmon.engine.alerts.state import Alerter, Notification
from dcmon.config.inventory import Config
from dcmon.errors import ConfigError, Problem
from dcmon.config.policy import AlertingSettings, ReceiverConfig
from dcmon.engine.results import ResultsHub
from dcmon.config.secrets import SecretValue, read_secret
from dcmon.exporters.notify.alertmanager import AlertmanagerReceiver
from dcmon.exporters.notify.base import Receiver
from dcmon.exporters.notify.dingtalk import DingTalkReceiver
from dcmon.exporters.notify.email import EmailReceiver
from dcmon.exporters.notify.outbox import DeliveryReport, Outbox
from dcmon.exporters.notify.routes import Router
from dcmon.exporters.notify.webhook import WebhookReceiver
from dcmon.exporters.notify.wecom import WeComReceiver

log = logging.getLogger("dcmon.notify")

#: Resolved alerts and finished outbox rows are kept this long (for `dcmon alerts --all`).
KEEP_S = 7 * 86400.0

Secret = Callable[[SecretValue | None], str | None]


def _am(c: Any, s: Secret, a: AlertingSettings) -> Receiver:
    # Firing alerts expire in Alertmanager if not refreshed: two repeats plus one evaluation.
    return AlertmanagerReceiver(c, 2 * a.repeat_interval_s + a.interval_s, s(c.bearer_token))


BUILDERS: dict[str, Callable[[Any, Secret, AlertingSettings], Receiver]] = {
    "alertmanager": _am,
    "webhook": lambda c, s, a: WebhookReceiver(c, s(c.bearer_token)),
    "email": lambda c, s, a: EmailReceiver(c, s(c.password)),
    "dingtalk": lambda c, s, a: DingTalkReceiver(c, s(c.access_token) or "", s(c.secret)),
    "wecom": lambda c, s, a: WeComReceiver(c, s(c.key) or ""),
}


def build_receivers(config: Config) -> dict[str, Receiver]:
    """Receivers by name, secrets read; raises ConfigError naming the key, never the value."""
    base = Path(config.file).resolve().parent
    settings = config.model.alerting
    problems: list[Problem] = []
    out: dict[str, Receiver] = {}
    for i, rc in enumerate(settings.receivers):
        def secret(v: SecretValue | None, i: int = i) -> str | None:
            if v is None:
                return None
            try:
                return read_secret(v, base).get_secret_value()
            except ValueError as exc:
                problems.append(Problem(config.file, f"alerting.receivers.{i}", str(exc)))
                return None
        rcfg: ReceiverConfig = rc
        out[rc.name] = BUILDERS[rcfg.type](rcfg, secret, settings)
    if problems:
        raise ConfigError(problems)
    return out


def alerts_path(config: Config) -> Path:
    """``<state_dir>/alerts.sqlite`` (state_dir relative to the inventory file)."""
    base = Path(config.file).resolve().parent if Path(config.file).exists() else Path.cwd()
    return base / config.model.state_dir / "alerts.sqlite"


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
