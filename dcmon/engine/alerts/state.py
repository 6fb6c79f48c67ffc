"""Alert state: observations -> pending -> firing -> resolved, deduplicated by fingerprint.

Rules (:mod:`dcmon.engine.alerts.rules`) say, per candidate, whether a condition is breached, held
inside its hysteresis band, or clear. This module turns those observations into alert state and
notifications, the way Prometheus and Alertmanager do, so operators meet familiar semantics:

* a breach starts an alert *pending*; it *fires* once it has lasted ``for`` (no crying wolf on
  a single bad hour);
* an active alert stays active inside the hysteresis band (``hold``) and resolves only when the
  rule says ``clear`` or stops observing it (a removed rack, a disabled rule);
* a firing alert is notified once, repeated every ``repeat_interval``, and its resolution is
  notified too; a change of severity or confirmation (an unconfirmed PUE breach that becomes
  confirmed) is notified as the old label set resolved plus the new one firing, so label-keyed
  receivers such as Alertmanager never keep a stale copy.

The fingerprint covers the alert name and the identity labels (site, room, rack, device,
window), not severity, so an escalation is the same alert. State and the notifications it
produces are committed in one SQLite transaction (:mod:`dcmon.engine.alerts.store`): a restart
neither
re-sends every alert nor forgets one. Evaluation takes ``now`` as a parameter, so replayed
scenarios run at simulated times without sleeping.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

log = logging.getLogger("dcmon.engine.alerts.state")

IDENTITY = ("site", "room", "rack", "device", "window")


@dataclass(frozen=True, slots=True)
class Text:
    """What to tell a human, in English and Chinese: value, threshold, window, what to check."""

    summary: str
    summary_zh: str
    description: str
    description_zh: str


@dataclass(frozen=True)
class Observation:
    """One rule's verdict on one candidate at one evaluation."""

    alertname: str
    labels: Mapping[str, str]
    state: Literal["breach", "hold", "clear"]
    text: Text | None = None
    severity: str = "warning"
    #: PUE only: False when a gate (coverage, load, ramp-up) holds the breach back.
    confirmed: bool | None = None
    for_s: float = 0.0
    value: float | None = None
    threshold: float | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.alertname, self.labels)

    def full_labels(self) -> dict[str, str]:
        out = {"alertname": self.alertname, **{k: v for k, v in self.labels.items() if v}}
        out["severity"] = self.severity
        if self.confirmed is not None:
            out["confirmed"] = "true" if self.confirmed else "false"
        return out

    def annotations(self) -> dict[str, str]:
        if self.text is None:
            return {}
        out = asdict(self.text)
        if self.value is not None:
            out["value"] = f"{self.value:.4g}"
        if self.threshold is not None:
            out["threshold"] = f"{self.threshold:.4g}"
        return out


def fingerprint(alertname: str, labels: Mapping[str, str]) -> str:
    """A stable id of an alert: its name and identity labels (not severity)."""
    ident = {k: labels[k] for k in IDENTITY if labels.get(k)}
    raw = json.dumps([alertname, sorted(ident.items())], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


AlertStateName = Literal["pending", "firing", "resolved"]


@dataclass
class Alert:
    """The persisted state of one alert."""

    fingerprint: str
    alertname: str
    labels: dict[str, str]
    annotations: dict[str, str]
    state: AlertStateName
    active_since: float
    fired_at: float | None = None
    resolved_at: float | None = None
    last_notified: float | None = None
    last_eval: float = 0.0
    value: float | None = None

    @property
    def active(self) -> bool:
        return self.state in ("pending", "firing")


@dataclass(frozen=True)
class Notification:
    """One message to send: a firing (new, repeated or escalated) or resolved alert."""

    id: str
    fingerprint: str
    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: float
    ends_at: float | None
    created: float
    kind: Literal["new", "repeat", "escalated", "resolved"] = "new"

    @property
    def severity(self) -> str:
        return self.labels.get("severity", "")

    @property
    def site(self) -> str:
        return self.labels.get("site", "")

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["starts_at_iso"] = iso(self.starts_at)
        d["ends_at_iso"] = iso(self.ends_at) if self.ends_at is not None else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Notification:
        keys = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in keys})


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _notify(a: Alert, status: Literal["firing", "resolved"], now: float,
            kind: Literal["new", "repeat", "escalated", "resolved"],
            labels: dict[str, str] | None = None) -> Notification:
    return Notification(
        id=uuid.uuid4().hex, fingerprint=a.fingerprint, status=status,
        labels=dict(labels if labels is not None else a.labels), annotations=dict(a.annotations),
        starts_at=a.active_since, ends_at=now if status == "resolved" else None, created=now,
        kind=kind)


def selector(alertname: str, labels: Mapping[str, str]) -> str:
    """``Name{k="v", ...}`` as PromQL writes it: log lines read the same as Alertmanager's
    and carry no Python dict repr."""
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "alertname")
    return f"{alertname}{{{inner}}}"


def step(alert: Alert | None, obs: Observation | None, now: float, repeat_s: float
         ) -> tuple[Alert | None, list[Notification]]:
    """Advance one alert by one evaluation; returns the new state and what to notify."""
    active = alert is not None and alert.active
    if obs is None or obs.state == "clear":
        if alert is None or not active:
            return alert, []
        was_firing = alert.state == "firing"
        done = replace(alert, state="resolved", resolved_at=now, last_eval=now)
        if obs is not None:
            done.annotations = obs.annotations() or done.annotations
            done.value = obs.value
        if was_firing:
            log.info("alert resolved: %s", selector(alert.alertname, alert.labels))
            return done, [_notify(done, "resolved", now, "resolved")]
        return done, []
    if obs.state == "hold" and not active:
        return alert, []
    labels = obs.full_labels()
    annotations = obs.annotations()
    if alert is None or not active:
        alert = Alert(obs.fingerprint, obs.alertname, labels, annotations, "pending",
                      active_since=now, last_eval=now, value=obs.value)
    old_labels = alert.labels
    alert = replace(alert, labels=labels, annotations=annotations or alert.annotations,
                    last_eval=now, value=obs.value)
    out: list[Notification] = []
    if alert.state == "pending":
        if now - alert.active_since >= obs.for_s:
            alert.state, alert.fired_at, alert.last_notified = "firing", now, now
            log.warning("alert firing: %s", selector(alert.alertname, labels))
            out.append(_notify(alert, "firing", now, "new"))
    elif old_labels != labels:
        # Escalation (or an unconfirmed breach confirmed): retire the old label set.
        out.append(_notify(alert, "resolved", now, "resolved", old_labels))
        out.append(_notify(alert, "firing", now, "escalated"))
        alert.last_notified = now
    elif alert.last_notified is None or now - alert.last_notified >= repeat_s:
        out.append(_notify(alert, "firing", now, "repeat"))
        alert.last_notified = now
    return alert, out


Router = Callable[[Notification], list[str]]


class AlertStoreLike(Protocol):
    """What :class:`Alerter` needs from a store (see
    :class:`dcmon.engine.alerts.store.AlertStore`)."""

    def active(self) -> dict[str, Alert]: ...

    def commit(self, alerts: Iterable[Alert],
               outbox: Iterable[tuple[str, Notification]]) -> None: ...


@dataclass
class Alerter:
    """Evaluates observations against persisted state and queues notifications atomically."""

    store: AlertStoreLike
    repeat_s: float
    route: Router = field(default=lambda n: [])
    _active: dict[str, Alert] | None = None

    @property
    def alerts(self) -> dict[str, Alert]:
        """Active alerts (pending or firing) by fingerprint, loaded from the store once."""
        if self._active is None:
            self._active = self.store.active()
        return self._active

    def evaluate(self, now: float, observations: Iterable[Observation]) -> list[Notification]:
        """Apply one evaluation's observations; return the notifications queued."""
        obs_by_fp: dict[str, Observation] = {}
        for o in observations:
            obs_by_fp.setdefault(o.fingerprint, o)
        changed: list[Alert] = []
        notes: list[Notification] = []
        for fp in sorted(set(obs_by_fp) | set(self.alerts)):
            old = self.alerts.get(fp)
            new, out = step(old, obs_by_fp.get(fp), now, self.repeat_s)
            if new is None or (old is None and not new.active):
                continue
            changed.append(new)
            notes.extend(out)
        rows = [(rcv, n) for n in notes for rcv in self.route(n)]
        self.store.commit(changed, rows)  # first: memory follows only what is durable
        for a in changed:
            if a.active:
                self.alerts[a.fingerprint] = a
            else:
                self.alerts.pop(a.fingerprint, None)
        return notes
