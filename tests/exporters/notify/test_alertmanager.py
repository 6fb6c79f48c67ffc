"""A real Alertmanager (group_wait 1s) forwarding to a webhook on 127.0.0.1.

The alert engine fires a PUE alert and later resolves it; both go through the persisted outbox
to Alertmanager's /api/v2/alerts, and Alertmanager's own webhook must carry both, with dcmon's
labels and bilingual annotations intact.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from dcmon.config.alerting import AlertingSettings
from dcmon.engine.alerts.state import Alerter, Observation, Text
from dcmon.engine.alerts.store import AlertStore
from dcmon.exporters.notify.alertmanager import AlertmanagerReceiver
from dcmon.exporters.notify.outbox import Outbox
from dcmon.exporters.notify.routes import Router
from tests.support.alert_servers import Request, alertmanager, recorder

TEXT = Text("dc1: PUE 1.350 over 24h is above the 1.30 ceiling",
            "dc1：24 小时 PUE 1.350 超过限值 1.30", "Check first: cooling plant",
            "请先检查制冷系统")


def obs(state: str) -> Observation:
    return Observation("DcmonPueAboveCeiling", {"site": "dc1", "window": "24h"},
                       state, TEXT, confirmed=True, value=1.35,  # type: ignore[arg-type]
                       threshold=1.3)


def test_alertmanager_firing_and_resolved(tmp_path: Path) -> None:
    settings = AlertingSettings.model_validate({
        "receivers": [{"type": "alertmanager", "name": "am", "url": "http://127.0.0.1:1"}]})
    with recorder(lambda r: (200, {})) as hook, \
            alertmanager(hook.url + "/am-hook", tmp_path) as am_url:
        cfg = settings.receivers[0].model_copy(update={"url": am_url})
        store = AlertStore(tmp_path / "alerts.sqlite")
        alerter = Alerter(store, settings.repeat_interval_s, Router(settings))
        box = Outbox(store, {"am": AlertmanagerReceiver(cfg, hold_s=3600)}, settings.outbox)
        now = time.time()
        assert [n.status for n in alerter.evaluate(now, [obs("breach")])] == ["firing"]
        assert box.deliver(now).delivered == {"am": 1}

        def statuses(reqs: list[Request]) -> list[str]:
            return [a["status"] for r in reqs for a in r.body["alerts"]]

        got = hook.wait(lambda reqs: "firing" in statuses(reqs))
        alert: dict[str, Any] = got[0].body["alerts"][0]
        assert alert["labels"] == {"alertname": "DcmonPueAboveCeiling", "site": "dc1",
                                   "window": "24h", "severity": "warning", "confirmed": "true"}
        assert alert["annotations"]["summary_zh"] == "dc1：24 小时 PUE 1.350 超过限值 1.30"
        assert alert["annotations"]["value"] == "1.35"

        later = now + 1
        assert [n.status for n in alerter.evaluate(later, [obs("clear")])] == ["resolved"]
        assert box.deliver(later).delivered == {"am": 1}
        got = hook.wait(lambda reqs: "resolved" in statuses(reqs))
        assert statuses(got).count("firing") == 1
        store.close()


def test_alertmanager_under_the_demos_accelerated_clock(tmp_path: Path) -> None:
    """The demo's data clock runs ahead of the wall (x120): an alert that starts at simulated
    time must still reach Alertmanager as a wall-time alert, firing then resolved (it refuses
    an alert that starts after it ends, and a future endsAt would keep it firing)."""
    from dcmon import clock

    settings = AlertingSettings.model_validate({
        "receivers": [{"type": "alertmanager", "name": "am", "url": "http://127.0.0.1:1"}]})
    sim = clock.Clock(start=time.time() + 3 * 86400, speed=120)  # days ahead of the wall
    clock.use(sim)
    try:
        with recorder(lambda r: (200, {})) as hook, \
                alertmanager(hook.url + "/am-hook", tmp_path) as am_url:
            cfg = settings.receivers[0].model_copy(update={"url": am_url})
            store = AlertStore(tmp_path / "alerts.sqlite")
            alerter = Alerter(store, settings.repeat_interval_s, Router(settings))
            am = AlertmanagerReceiver(cfg, hold_s=3600)
            box = Outbox(store, {"am": am}, settings.outbox)
            t0 = clock.now()
            notes = alerter.evaluate(t0, [obs("breach")])
            body = am.payload(notes, time.time())
            assert len(body) == 1 and body[0]["startsAt"] < body[0]["endsAt"]
            assert box.deliver(t0).delivered == {"am": 1}

            def statuses(reqs: list[Request]) -> list[str]:
                return [a["status"] for r in reqs for a in r.body["alerts"]]

            got = hook.wait(lambda reqs: "firing" in statuses(reqs))
            starts = got[0].body["alerts"][0]["startsAt"]
            assert starts[:10] == time.strftime("%Y-%m-%d", time.gmtime())  # wall, not +3 d
            t1 = clock.now() + 60
            alerter.evaluate(t1, [obs("clear")])
            assert box.deliver(t1).delivered == {"am": 1}
            hook.wait(lambda reqs: "resolved" in statuses(reqs))
            store.close()
    finally:
        clock.use(None)
