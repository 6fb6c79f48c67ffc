"""PUE policy classes, commissioning ramp-up, and the ``alerting:`` settings of the inventory.

The PUE ceiling is per site and per policy class, not one global 1.3 (``../shared/DOMAIN.md``
§2). A new build is judged against its ceiling only once it is out of its ramp-up, because low
load inflates PUE (DOMAIN.md §1): fixed losses spread over little IT load. A breach inside the
ramp-up is still reported, as *unconfirmed* with the reason: it is never silently dropped.

This module holds only schema and pure decisions (no I/O), so :mod:`dcmon.config.inventory` can import it
and the alert engine, the rule generator and the docs all read the same defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from dcmon.errors import Problem
from dcmon.config.secrets import SecretValue, read_secret


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ------------------------------------------------------------------------------- policy classes

PolicyClassName = Literal["new_large", "cold_region", "hub_cluster", "legacy", "edge"]


@dataclass(frozen=True, slots=True)
class PolicyClass:
    """Defaults of one policy class, with the source an auditor can check."""

    name: str
    ceiling: float | None  # None: report only (no PUE alert)
    en: str
    zh: str
    source: str


#: The classes and their ceilings, from ``../shared/DOMAIN.md`` §2 (a breach is value > ceiling;
#: the city's plan and the green-DC list write "<= 1.3").
POLICY_CLASSES: dict[str, PolicyClass] = {
    "new_large": PolicyClass(
        "new_large", 1.3, "new large/hyperscale build", "新建大型及以上数据中心",
        "MIIT 新型数据中心发展三年行动计划 (2021-2023): new large and hyperscale DCs PUE < 1.3; "
        "the city's action plan (2023-2025): <= 1.3 (DOMAIN.md §2)"),
    "cold_region": PolicyClass(
        "cold_region", 1.25, "cold-region build", "严寒和寒冷地区数据中心",
        "MIIT 新型数据中心发展三年行动计划 (2021-2023): severe-cold and cold regions < 1.25 "
        "(DOMAIN.md §2)"),
    "hub_cluster": PolicyClass(
        "hub_cluster", 1.25, "national hub cluster", "国家枢纽节点数据中心集群",
        "national hub cluster notices (e.g. Yangtze Delta): PUE <= 1.25 (DOMAIN.md §2)"),
    "legacy": PolicyClass(
        "legacy", 1.5, "legacy site", "存量数据中心",
        "数据中心绿色低碳发展专项行动计划 (2024): national average < 1.5 by end 2025; "
        "GB 40879-2021 grade 3 limit <= 1.50 (DOMAIN.md §2)"),
    "edge": PolicyClass(
        "edge", None, "edge site (report only, pPUE)", "边缘数据中心（仅报告，局部 PUE）",
        "GB 40879-2021 excludes edge DCs of <= 100 standard racks (DOMAIN.md §2): report "
        "pPUE, do not alert on a ceiling"),
}

#: Ramp-up defaults: the issue's example rule ("judge after 6 months or above 40 % of design
#: IT load"). A project choice, not a policy number: DOMAIN.md names the concept (dPUE while a
#: new build ramps up) but gives no figure. Configurable per site.
DEFAULT_RAMP_MONTHS = 6
DEFAULT_RAMP_IT_LOAD = 0.4
#: Below this share of design IT load a PUE is never *confirmed* (still reported, unconfirmed):
#: fixed losses dominate (DOMAIN.md §1). Also a project choice; configurable.
DEFAULT_MIN_IT_LOAD = 0.1


class RampUp(_Strict):
    """When a new build starts being judged: after ``months`` in service or above ``it_load``."""

    months: int = Field(default=DEFAULT_RAMP_MONTHS, ge=0, le=120)
    it_load: float = Field(default=DEFAULT_RAMP_IT_LOAD, ge=0, le=1)
    #: either: judged when one condition holds (the default); both: only when both hold.
    mode: Literal["either", "both"] = "either"


class RackRating(_Strict):
    """Per-rack overrides of the site's rack and feed ratings."""

    rack_kw: float | None = Field(default=None, gt=0)
    feed_kw: float | None = Field(default=None, gt=0)


class SitePolicy(_Strict):
    """``sites[].policy``: the site's class, commissioning date and ratings."""

    policy_class: PolicyClassName = Field(default="new_large", alias="class")
    #: Override the class ceiling (e.g. a stricter local target).
    ceiling: float | None = Field(default=None, ge=1.0, le=5.0)
    commissioned: date | None = None
    ramp_up: RampUp = Field(default_factory=RampUp)
    min_it_load: float = Field(default=DEFAULT_MIN_IT_LOAD, ge=0, le=1)
    #: Rated power of a rack (kW): rack over-utilisation is measured against it.
    rack_kw: float | None = Field(default=None, gt=0)
    #: What one feed of an A/B pair can carry alone (kW): failover risk is A+B against it.
    feed_kw: float | None = Field(default=None, gt=0)
    racks: dict[str, RackRating] = Field(default_factory=dict)

    @property
    def cls(self) -> PolicyClass:
        return POLICY_CLASSES[self.policy_class]

    @property
    def effective_ceiling(self) -> float | None:
        """The ceiling in force: the override, else the class default (None for edge)."""
        if self.ceiling is not None:
            return self.ceiling
        return self.cls.ceiling

    def rack_rating(self, rack: str) -> tuple[float | None, float | None]:
        """(rack kW, feed kW) of one rack: its override, else the site's."""
        r = self.racks.get(rack, RackRating())
        return (r.rack_kw or self.rack_kw, r.feed_kw or self.feed_kw)


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months (the day clamped to the month's end)."""
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover


def ramp_end_ts(policy: SitePolicy, tz: str = "UTC") -> float:
    """Unix time at which the ramp-up's time condition is met (0 when no date is given: a site
    without a commissioning date is judged, so a missing date can never hide a breach)."""
    if policy.commissioned is None:
        return 0.0
    end = add_months(policy.commissioned, policy.ramp_up.months)
    return datetime(end.year, end.month, end.day, tzinfo=ZoneInfo(tz)).timestamp()


@dataclass(frozen=True, slots=True)
class Gate:
    """Why a breach is not confirmed (empty = confirmed), in English and Chinese."""

    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()

    @property
    def confirmed(self) -> bool:
        return not self.en


def judge(policy: SitePolicy, now: float, coverage: float, min_coverage: float,
          it_load: float | None, tz: str = "UTC") -> Gate:
    """Gate a PUE breach on coverage, minimum IT load and the commissioning ramp-up.

    Unknown IT load (no ``design_it_kw``) does not gate: only what is known can hold a breach
    back.
    """
    en: list[str] = []
    zh: list[str] = []
    if coverage < min_coverage:
        en.append(f"coverage {coverage:.0%} of the window is below {min_coverage:.0%}")
        zh.append(f"数据覆盖率 {coverage:.0%} 低于 {min_coverage:.0%}")
    if it_load is not None and it_load < policy.min_it_load:
        en.append(f"IT load {it_load:.0%} of design is below the minimum "
                  f"{policy.min_it_load:.0%}")
        zh.append(f"IT 负载 {it_load:.0%} 低于最低判定负载 {policy.min_it_load:.0%}")
    end = ramp_end_ts(policy, tz)
    ramp = policy.ramp_up
    by_time = now >= end
    by_load = it_load is not None and it_load >= ramp.it_load
    judged = (by_time and by_load) if ramp.mode == "both" else (by_time or by_load)
    if not judged:
        since = policy.commissioned.isoformat() if policy.commissioned else "?"
        load = f"{it_load:.0%}" if it_load is not None else "unknown"
        en.append(f"in commissioning ramp-up (commissioned {since}, judged after "
                  f"{ramp.months} months or above {ramp.it_load:.0%} of design IT load; "
                  f"IT load now {load})")
        zh.append(f"处于投产爬坡期（{since} 投产，投产满 {ramp.months} 个月或 IT 负载超过设计值 "
                  f"{ramp.it_load:.0%} 后判定；当前 IT 负载 {load}）")
    return Gate(tuple(en), tuple(zh))


# ------------------------------------------------------------------------------------- secrets


# ----------------------------------------------------------------------------------- durations

_DUR = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(v: object) -> float:
    """Seconds from a number or a Prometheus-style duration ("90s", "5m", "6h", "30d")."""
    if isinstance(v, bool):
        raise ValueError("not a duration")
    if isinstance(v, int | float):
        if v < 0:
            raise ValueError("a duration cannot be negative")
        return float(v)
    if isinstance(v, str):
        m = _DUR.match(v.strip())
        if m:
            return float(m.group(1)) * _UNIT_S[m.group(2)]
    raise ValueError(f"{v!r} is not a duration (like 90s, 5m, 6h, 30d)")


def format_duration(s: float) -> str:
    """The Prometheus form of a duration in seconds ("6h", "90s", "0s")."""
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= n and s % n == 0:
            return f"{int(s // n)}{unit}"
    return f"{int(s)}s" if s == int(s) else f"{int(s * 1000)}ms"


#: Seconds, given as a number or a Prometheus-style duration string.
Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]


# ------------------------------------------------------------------------------- rule settings

Severity = Literal["critical", "warning", "info"]
PueWindow = Literal["1h", "24h", "7d", "30d", "365d"]


def _default_windows() -> list[PueWindow]:
    return ["24h", "30d"]


class PueRule(_Strict):
    """PUE above the ceiling, on rolling windows, with for-duration and hysteresis."""

    enabled: bool = True
    windows: list[PueWindow] = Field(default_factory=_default_windows, min_length=1)
    for_s: Duration = Field(default=6 * 3600.0, alias="for")
    #: Once active, the alert clears only at or below ceiling - hysteresis (no flapping).
    hysteresis: float = Field(default=0.02, ge=0, le=1)
    severity: Severity = "warning"
    #: Severity of a breach that a gate (coverage, load, ramp-up) holds back.
    unconfirmed_severity: Severity = "info"


class MeteringFaultRule(_Strict):
    """PUE < 1 over a window (IT energy above facility energy), or IT power above facility."""

    enabled: bool = True
    for_s: Duration = Field(default=0.0, alias="for")
    #: The instantaneous check (facility kW < IT kW) needs longer: meters are read apart.
    instant_for_s: Duration = Field(default=900.0, alias="instant_for")
    severity: Severity = "warning"


class DeviceRule(_Strict):
    """A device down (its last poll failed) for ``for``."""

    enabled: bool = True
    for_s: Duration = Field(default=300.0, alias="for")
    severity: Severity = "warning"


class StaleRule(_Strict):
    """No successful poll for ``after_intervals`` poll intervals while the device is not
    reported down: a poller that stopped, or a meter never heard from."""

    enabled: bool = True
    after_intervals: float = Field(default=3.0, ge=1, le=1000)
    severity: Severity = "warning"


class UtilisationRule(_Strict):
    """Power against a rating: warning above ``warning``, critical above ``critical``."""

    enabled: bool = True
    warning: float = Field(default=0.8, gt=0, le=2)
    critical: float = Field(default=0.95, gt=0, le=2)
    hysteresis: float = Field(default=0.05, ge=0, le=1)
    for_s: Duration = Field(default=300.0, alias="for")


class FeedRule(UtilisationRule):
    """A+B power against what one feed can carry alone: critical = a failover would trip."""

    critical: float = Field(default=1.0, gt=0, le=2)


class CapacityRule(_Strict):
    """A site's capacity forecast says it will be full in fewer than ``days`` days."""

    enabled: bool = True
    days: float = Field(default=90.0, gt=0, le=3650)
    #: A trend that explains less of the daily peaks than this is too weak to alert on.
    min_r2: float = Field(default=0.5, ge=0, le=1)
    severity: Severity = "warning"


class Rules(_Strict):
    pue: PueRule = Field(default_factory=PueRule)
    capacity: CapacityRule = Field(default_factory=CapacityRule)
    metering_fault: MeteringFaultRule = Field(default_factory=MeteringFaultRule)
    device_down: DeviceRule = Field(default_factory=DeviceRule)
    stale: StaleRule = Field(default_factory=StaleRule)
    rack: UtilisationRule = Field(default_factory=UtilisationRule)
    feed: FeedRule = Field(default_factory=FeedRule)


# ----------------------------------------------------------------------------------- receivers

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Receiver(_Strict):
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


class Route(_Strict):
    """Send matching notifications to one receiver. Empty filters match everything."""

    receiver: str
    severity: list[Severity] = Field(default_factory=list)
    sites: list[str] = Field(default_factory=list)
    alertnames: list[str] = Field(default_factory=list)


class Outbox(_Strict):
    """Delivery retries: exponential backoff from ``backoff`` to ``max_backoff``; a
    notification still undelivered after ``max_age`` is dropped with an error log."""

    backoff_s: Duration = Field(default=10.0, alias="backoff")
    max_backoff_s: Duration = Field(default=300.0, alias="max_backoff")
    max_age_s: Duration = Field(default=2 * 86400.0, alias="max_age")


class AlertingSettings(_Strict):
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


def alerting_problems(settings: AlertingSettings, file: str, base: Path) -> list[Problem]:
    """Receiver secrets that cannot be read (a missing variable or file), as config problems."""
    out: list[Problem] = []
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
