"""The ``alerting:`` settings of the inventory: rule thresholds, receivers, routes, outbox.

Only schema: the rules are evaluated by :mod:`dcmon.engine.alerts`, and receivers are built and
delivered to by ``dcmon.exporters.notify``. Secrets of receivers are read when ``dcmon run``
builds its receivers; ``check-config`` and ``dcmon run`` check them first, so a missing variable
is a config problem with its key, not a failed delivery at 3 a.m.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from dcmon.config.durations import Duration
from dcmon.config.secrets import SecretValue, read_secret
from dcmon.config.strict import Strict
from dcmon.errors import Problem

# ------------------------------------------------------------------------------- rule settings

Severity = Literal["critical", "warning", "info"]
PueWindow = Literal["1h", "24h", "7d", "30d", "365d"]


def _default_windows() -> list[PueWindow]:
    return ["24h", "30d"]


class PueRule(Strict):
    """PUE above the ceiling, on rolling windows, with for-duration and hysteresis."""

    enabled: bool = True
    windows: list[PueWindow] = Field(default_factory=_default_windows, min_length=1)
    for_s: Duration = Field(default=6 * 3600.0, alias="for")
    #: Once active, the alert clears only at or below ceiling - hysteresis (no flapping).
    hysteresis: float = Field(default=0.02, ge=0, le=1)
    severity: Severity = "warning"
    #: Severity of a breach that a gate (coverage, load, ramp-up) holds back.
    unconfirmed_severity: Severity = "info"


class MeteringFaultRule(Strict):
    """PUE < 1 over a window (IT energy above facility energy), or IT power above facility."""

    enabled: bool = True
    for_s: Duration = Field(default=0.0, alias="for")
    #: The instantaneous check (facility kW < IT kW) needs longer: meters are read apart.
    instant_for_s: Duration = Field(default=900.0, alias="instant_for")
    severity: Severity = "warning"


class DeviceRule(Strict):
    """A device down (its last poll failed) for ``for``."""

    enabled: bool = True
    for_s: Duration = Field(default=300.0, alias="for")
    severity: Severity = "warning"


class StaleRule(Strict):
    """No successful poll for ``after_intervals`` poll intervals while the device is not
    reported down: a poller that stopped, or a meter never heard from."""

    enabled: bool = True
    after_intervals: float = Field(default=3.0, ge=1, le=1000)
    severity: Severity = "warning"


class UtilisationRule(Strict):
    """Power against a rating: warning above ``warning``, critical above ``critical``."""

    enabled: bool = True
    warning: float = Field(default=0.8, gt=0, le=2)
    critical: float = Field(default=0.95, gt=0, le=2)
    hysteresis: float = Field(default=0.05, ge=0, le=1)
    for_s: Duration = Field(default=300.0, alias="for")


class FeedRule(UtilisationRule):
    """A+B power against what one feed can carry alone: critical = a failover would trip."""

    critical: float = Field(default=1.0, gt=0, le=2)


class CapacityRule(Strict):
    """A site's capacity forecast says it will be full in fewer than ``days`` days."""

    enabled: bool = True
    days: float = Field(default=90.0, gt=0, le=3650)
    #: A trend that explains less of the daily peaks than this is too weak to alert on.
    min_r2: float = Field(default=0.5, ge=0, le=1)
    severity: Severity = "warning"


class Rules(Strict):
    pue: PueRule = Field(default_factory=PueRule)
    capacity: CapacityRule = Field(default_factory=CapacityRule)
    metering_fault: MeteringFaultRule = Field(default_factory=MeteringFaultRule)
    device_down: DeviceRule = Field(default_factory=DeviceRule)
    stale: StaleRule = Field(default_factory=StaleRule)
    rack: UtilisationRule = Field(default_factory=UtilisationRule)
    feed: FeedRule = Field(default_factory=FeedRule)


# ----------------------------------------------------------------------------------- receivers

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Receiver(Strict):
    name: str
    timeout: float = Field(default=10.0, gt=0, le=120)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(f"{v!r} is not a valid name (letters, digits, '_', '.', '-')")
        return v


class AlertmanagerReceiver(_Receiver):
    """Prometheus Alertmanager, API v2 (the preferred route: grouping, silences, inhibition)."""

    type: Literal["alertmanager"]
    url: str = Field(pattern=r"^https?://")
    bearer_token: SecretValue | None = None


class WebhookReceiver(_Receiver):
    """Any HTTP endpoint taking one JSON document per notification."""

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    bearer_token: SecretValue | None = None


class EmailReceiver(_Receiver):
    """E-mail over SMTP: STARTTLS (default), implicit TLS, or none (local relays only)."""

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretValue | None = None
    #: CA bundle to verify the server with (default: the system's).
    ca_file: str | None = None
    from_addr: str = Field(alias="from", min_length=3)
    to: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _auth(self) -> EmailReceiver:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        return self


class DingTalkReceiver(_Receiver):
    """A DingTalk group robot (自定义机器人), with the signed-request ("加签") secret."""

    type: Literal["dingtalk"]
    url: str = Field(default="https://oapi.dingtalk.com/robot/send", pattern=r"^https?://")
    access_token: SecretValue
    secret: SecretValue | None = None


class WeComReceiver(_Receiver):
    """A WeCom (企业微信) group robot, addressed by its webhook key."""

    type: Literal["wecom"]
    url: str = Field(default="https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
                     pattern=r"^https?://")
    key: SecretValue


ReceiverConfig = Annotated[
    AlertmanagerReceiver | WebhookReceiver | EmailReceiver | DingTalkReceiver | WeComReceiver,
    Field(discriminator="type")]


class Route(Strict):
    """Send matching notifications to one receiver. Empty filters match everything."""

    receiver: str
    severity: list[Severity] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    alertnames: list[str] = Field(default_factory=list)


class Outbox(Strict):
    """Delivery retries: exponential backoff from ``backoff`` to ``max_backoff``; a
    notification still undelivered after ``max_age`` is dropped with an error log."""

    backoff_s: Duration = Field(default=10.0, alias="backoff")
    max_backoff_s: Duration = Field(default=300.0, alias="max_backoff")
    max_age_s: Duration = Field(default=2 * 86400.0, alias="max_age")


class AlertingSettings(Strict):
    """``alerting:``: rule thresholds, state timing, receivers and routes."""

    enabled: bool = True
    #: Seconds between evaluations in ``dcmon run``.
    interval_s: Duration = Field(default=60.0, alias="interval", gt=0)
    #: A firing alert is notified again after this long.
    repeat_interval_s: Duration = Field(default=4 * 3600.0, alias="repeat_interval", gt=0)
    rules: Rules = Field(default_factory=Rules)
    receivers: list[ReceiverConfig] = Field(default_factory=list)
    #: Every matching route receives the notification; no routes = every receiver gets all.
    routes: list[Route] = Field(default_factory=list)
    outbox: Outbox = Field(default_factory=Outbox)

    @model_validator(mode="after")
    def _refs(self) -> AlertingSettings:
        names = [r.name for r in self.receivers]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate receiver name(s): {', '.join(dup)}")
        for i, route in enumerate(self.routes):
            if route.receiver not in names:
                raise ValueError(f"routes.{i}: unknown receiver {route.receiver!r} (defined: "
                                 f"{', '.join(names) or 'none'})")
        return self


_SECRET_FIELDS = ("bearer_token", "password", "access_token", "secret", "key")


def alerting_problems(settings: AlertingSettings, file: str, base: Path, read: bool = True
                      ) -> list[Problem]:
    """Receiver secrets that cannot be read (a missing variable or file), as config problems
    (``read`` False: none; inline secrets have no further shape to check)."""
    out: list[Problem] = []
    if not read:
        return out
    for i, rc in enumerate(settings.receivers):
        for name in _SECRET_FIELDS:
            value = getattr(rc, name, None)
            if value is None:
                continue
            try:
                read_secret(value, base)
            except ValueError as exc:
                out.append(Problem(file, f"alerting.receivers.{i}.{name}", str(exc)))
    return out

