"""Notification receivers: the registry of receiver types and the function that builds them.

:data:`BUILDERS` maps a receiver ``type`` to the function that builds it, so a new channel
touches this folder only. ``dcmon run`` wires evaluation (``dcmon.engine.alerts``) to delivery
(the :class:`~dcmon.exporters.notify.outbox.Outbox` here) in ``dcmon.app.alerting``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dcmon.config.alerting import AlertingSettings, ReceiverConfig
from dcmon.config.resolved import Config
from dcmon.config.secrets import SecretValue, read_secret
from dcmon.errors import ConfigError, Problem
from dcmon.exporters.notify.alertmanager import AlertmanagerReceiver
from dcmon.exporters.notify.base import Receiver
from dcmon.exporters.notify.dingtalk import DingTalkReceiver
from dcmon.exporters.notify.email import EmailReceiver
from dcmon.exporters.notify.webhook import WebhookReceiver
from dcmon.exporters.notify.wecom import WeComReceiver

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
    base = config.base
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
