"""Receivers against real servers on 127.0.0.1: webhook, DingTalk (signed), WeCom, SMTP with
STARTTLS and AUTH; and an hour-long receiver outage through the persisted outbox."""

from __future__ import annotations

import email
import email.policy
import logging
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from dcmon.config.alerting import Outbox as OutboxSettings
from dcmon.config.alerting import ReceiverConfig
from dcmon.engine.alerts.state import Notification
from dcmon.engine.alerts.store import AlertStore
from dcmon.exporters.notify.base import DeliveryError
from dcmon.exporters.notify.dingtalk import DingTalkReceiver
from dcmon.exporters.notify.email import EmailReceiver
from dcmon.exporters.notify.outbox import Outbox
from dcmon.exporters.notify.webhook import WebhookReceiver
from dcmon.exporters.notify.wecom import WeComReceiver, clip
from tests.support.alert_servers import (
    Request,
    dingtalk_responder,
    recorder,
    smtp_server,
    wecom_responder,
)

T0 = 1_767_225_600.0
_RC: TypeAdapter[Any] = TypeAdapter(ReceiverConfig)


def rc(**kw: Any) -> Any:
    return _RC.validate_python(kw)


def note(i: int = 0, status: str = "firing", site: str = "dc1") -> Notification:
    return Notification(
        id=f"n{i:04d}", fingerprint="fp", status=status,  # type: ignore[arg-type]
        labels={"alertname": "DcmonPueAboveCeiling", "site": site, "window": "24h",
                "severity": "warning", "confirmed": "true"},
        annotations={"summary": f"{site}: PUE 1.350 over 24h is above the 1.30 ceiling",
                     "summary_zh": f"{site}：24 小时 PUE 1.350 超过限值 1.30",
                     "description": "Check first: cooling plant",
                     "description_zh": "请先检查制冷系统"},
        starts_at=T0, ends_at=T0 + 60 if status == "resolved" else None, created=T0 + i)


def test_webhook_document_and_token() -> None:
    with recorder() as rec:
        r = WebhookReceiver(rc(type="webhook", name="hook", url=rec.url + "/hook"), "tok-123")
        r.send([note(1), note(2, "resolved")])
        got = rec.requests
    assert [q.body["id"] for q in got] == ["n0001", "n0002"]
    assert got[0].headers["Authorization"] == "Bearer tok-123"
    assert got[0].headers["Idempotency-Key"] == "n0001"
    assert got[1].body["status"] == "resolved" and got[1].body["endsAt"].endswith("Z")
    assert got[0].body["labels"]["site"] == "dc1"
    assert got[0].body["annotations"]["summary_zh"].startswith("dc1：")


def test_dingtalk_signed_request() -> None:
    with recorder(dingtalk_responder("tok", "SEC-abc")) as rec:
        good = DingTalkReceiver(rc(type="dingtalk", name="ding", url=rec.url + "/robot/send",
                                   access_token={"env": "X"}), "tok", "SEC-abc")
        good.send([note(1)])
        body = rec.requests[0].body
        assert body["markdown"]["title"].startswith("[告警 FIRING] dc1：")
        assert "请先检查制冷系统" in body["markdown"]["text"]
        assert "Check first" in body["markdown"]["text"]
        bad = DingTalkReceiver(rc(type="dingtalk", name="ding", url=rec.url + "/robot/send",
                                  access_token={"env": "X"}), "tok", "wrong-secret")
        with pytest.raises(DeliveryError, match="errcode 310000") as err:
            bad.send([note(2)])
        # The token lives in the query string: it must not leak into errors.
        assert "tok" not in str(err.value).replace("robot", "")
        assert len(rec.requests) == 1


def test_wecom_markdown_and_key() -> None:
    with recorder(wecom_responder("KEY-1")) as rec:
        r = WeComReceiver(rc(type="wecom", name="wx", url=rec.url + "/cgi-bin/webhook/send",
                             key={"env": "X"}), "KEY-1")
        r.send([note(1, "resolved")])
        content = rec.requests[0].body["markdown"]["content"]
        assert content.startswith("### [恢复 RESOLVED]")
        with pytest.raises(DeliveryError, match="errcode 93000"):
            WeComReceiver(rc(type="wecom", name="wx", url=rec.url + "/x", key={"env": "X"}),
                          "other").send([note(2)])
    long = "告" * 3000
    assert len(clip(long).encode()) <= 4096 and clip(long).endswith("(truncated)")


def test_email_starttls_auth(tmp_path: Path) -> None:
    with smtp_server(tmp_path, "dcmon", "s3cret-pass") as smtp:
        cfg = rc(type="email", name="mail", host="127.0.0.1", port=smtp.port,
                 security="starttls", username="dcmon", password={"env": "X"},
                 ca_file=str(smtp.ca_file), **{"from": "dcmon@example.org"},
                 to=["ops@example.org", "noc@example.org"])
        EmailReceiver(cfg, "s3cret-pass").send([note(1), note(2, "resolved")])
        assert len(smtp.messages) == 2
        env = smtp.messages[0]
        assert sorted(env.rcpt_tos) == ["noc@example.org", "ops@example.org"]
        msg = email.message_from_bytes(env.original_content, policy=email.policy.default)
        assert "[dcmon FIRING warning]" in str(msg["Subject"])
        assert "超过限值" in str(msg["Subject"])
        body = msg.get_body().get_content()  # type: ignore[union-attr]
        assert "Check first: cooling plant" in body and "请先检查制冷系统" in body
        assert msg["Message-ID"] == "<n0001@dcmon>"
        with pytest.raises(DeliveryError, match="authentication failed"):
            EmailReceiver(cfg, "wrong").send([note(3)])
        assert len(smtp.messages) == 2


def test_outage_then_recovery_delivers_each_once(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    """A webhook down for an hour while 30 notifications queue up (and dcmon restarts in the
    middle): after recovery each arrives exactly once, in order."""
    state = {"down": True}

    def respond(r: Request) -> tuple[int, Any]:
        return (503, {"error": "down"}) if state["down"] else (200, {})

    settings = OutboxSettings()
    db = tmp_path / "alerts.sqlite"
    sent: list[str] = []
    with recorder(respond) as rec:
        hook = WebhookReceiver(rc(type="webhook", name="hook", url=rec.url))
        store = AlertStore(db)
        box = Outbox(store, {"hook": hook}, settings)
        caplog.set_level(logging.WARNING, "dcmon.notify")
        now = T0
        for minute in range(60):  # one notification every 2 minutes, a delivery round a minute
            now = T0 + minute * 60
            if minute % 2 == 0:
                n = note(minute // 2)
                sent.append(n.id)
                store.commit([], [("hook", n)])
            if minute == 30:  # restart: a new store and outbox on the same file
                store.close()
                store = AlertStore(db)
                box = Outbox(store, {"hook": hook}, settings)
            rep = box.deliver(now)
            assert not rep.delivered
        assert rec.requests == []
        state["down"] = False
        for minute in range(60, 70):
            box.deliver(T0 + minute * 60)
        got = [r.body["id"] for r in rec.requests]
        assert got == sent  # each once, in order
        assert store.outbox_counts() == {"hook": {"queued": 0, "delivered": 30, "dead": 0}}
        # Backoff: during the hour the webhook saw few attempts, not one per round per row.
        assert sum("attempt" in r.message for r in caplog.records) < 20
        for minute in range(70, 80):
            box.deliver(T0 + minute * 60)
        assert [r.body["id"] for r in rec.requests] == sent
        store.close()
