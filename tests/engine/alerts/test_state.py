"""The alert state machine: pending -> firing -> resolved, for-duration, hysteresis hold, repeat,
escalation, fingerprints, and persistence across a restart (no re-send, nothing forgotten)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dcmon.engine.alerts.state import Alerter, Observation, Text, fingerprint, selector, step
from dcmon.engine.alerts.store import AlertStore

T0 = 1_767_225_600.0
TEXT = Text("s", "s-zh", "d", "d-zh")


def ob(state: str, severity: str = "warning", for_s: float = 600.0,
       confirmed: bool | None = None, value: float = 1.35) -> Observation:
    return Observation("DcmonPueAboveCeiling", {"site": "dc1", "window": "24h"},
                       state, TEXT, severity=severity, confirmed=confirmed,  # type: ignore[arg-type]
                       for_s=for_s, value=value, threshold=1.3)


def test_for_duration_then_fire_repeat_and_resolve() -> None:
    a, out = step(None, ob("breach"), T0, repeat_s=3600)
    assert a is not None and a.state == "pending" and out == []
    a, out = step(a, ob("breach"), T0 + 599, 3600)
    assert a is not None and a.state == "pending" and out == []
    a, out = step(a, ob("breach"), T0 + 600, 3600)
    assert a is not None and a.state == "firing" and [n.kind for n in out] == ["new"]
    assert out[0].labels == {"alertname": "DcmonPueAboveCeiling", "site": "dc1",
                             "window": "24h", "severity": "warning"}
    assert out[0].annotations["value"] == "1.35" and out[0].annotations["threshold"] == "1.3"
    a, out = step(a, ob("hold", value=1.29), T0 + 1200, 3600)  # inside the band: still firing
    assert a is not None and a.state == "firing" and out == [] and a.value == 1.29
    a, out = step(a, ob("breach"), T0 + 600 + 3600, 3600)
    assert [n.kind for n in out] == ["repeat"]
    a, out = step(a, ob("clear"), T0 + 9000, 3600)
    assert a is not None and a.state == "resolved"
    assert [(n.status, n.ends_at) for n in out] == [("resolved", T0 + 9000)]
    assert out[0].starts_at == T0


def test_pending_that_clears_is_silent_and_hold_starts_nothing() -> None:
    a, _ = step(None, ob("breach"), T0, 3600)
    a, out = step(a, ob("clear"), T0 + 60, 3600)
    assert a is not None and a.state == "resolved" and out == []
    assert step(None, ob("hold"), T0, 3600) == (None, [])
    assert step(None, None, T0, 3600) == (None, [])


def test_escalation_retires_old_labels() -> None:
    a, out = step(None, ob("breach", "info", for_s=0, confirmed=False), T0, 3600)
    assert [n.labels["confirmed"] for n in out] == ["false"]
    a, out = step(a, ob("breach", "warning", for_s=0, confirmed=True), T0 + 60, 3600)
    assert [(n.status, n.kind, n.labels["confirmed"], n.severity) for n in out] == [
        ("resolved", "resolved", "false", "info"), ("firing", "escalated", "true", "warning")]
    assert a is not None and a.active_since == T0  # the same alert, not a new one


def test_fingerprint_ignores_severity_and_empty_labels() -> None:
    assert ob("breach", "info").fingerprint == ob("breach", "critical").fingerprint
    assert fingerprint("X", {"site": "a", "rack": ""}) == fingerprint("X", {"site": "a"})
    assert fingerprint("X", {"site": "a"}) != fingerprint("Y", {"site": "a"})


def test_restart_neither_resends_nor_forgets(tmp_path: Path) -> None:
    db = tmp_path / "alerts.sqlite"
    store = AlertStore(db)
    alerter = Alerter(store, 3600, lambda n: ["hook"])
    assert alerter.evaluate(T0, [ob("breach", for_s=0)])[0].kind == "new"
    assert store.outbox_counts() == {"hook": {"queued": 1, "delivered": 0, "dead": 0}}
    store.close()

    store = AlertStore(db)  # restart
    alerter = Alerter(store, 3600, lambda n: ["hook"])
    assert list(alerter.alerts) == [ob("breach").fingerprint]
    assert alerter.evaluate(T0 + 60, [ob("breach", for_s=0)]) == []  # no re-send
    notes = alerter.evaluate(T0 + 120, [])  # the rule no longer sees it: resolved
    assert [n.status for n in notes] == ["resolved"]
    assert store.outbox_counts()["hook"]["queued"] == 2
    assert store.alerts() == [] and store.alerts(include_resolved=True)[0].state == "resolved"
    assert store.prune(T0 + 3600) == 1
    store.close()


def test_routes_fan_out_in_one_commit(tmp_path: Path) -> None:
    store = AlertStore(tmp_path / "alerts.sqlite")
    alerter = Alerter(store, 3600, lambda n: ["am", "mail"] if n.severity == "warning" else [])
    alerter.evaluate(T0, [ob("breach", for_s=0)])
    assert sorted(store.outbox_counts()) == ["am", "mail"]
    row = store.due("mail", T0)[0]
    assert row.notification.labels["site"] == "dc1" and row.attempts == 0
    store.close()


def test_firing_and_resolved_log_lines_read_as_selectors(caplog: pytest.LogCaptureFixture
                                                         ) -> None:
    with caplog.at_level(logging.INFO, logger="dcmon.engine.alerts"):
        a, _ = step(None, ob("breach", for_s=0), T0, 3600)
        step(a, ob("clear"), T0 + 60, 3600)
    assert [r.getMessage() for r in caplog.records] == [
        'alert firing: DcmonPueAboveCeiling{severity="warning", site="dc1", window="24h"}',
        'alert resolved: DcmonPueAboveCeiling{severity="warning", site="dc1", window="24h"}']
    assert selector("X", {}) == "X{}"
