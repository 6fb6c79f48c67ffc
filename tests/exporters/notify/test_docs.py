"""Alerting docs that cannot drift: every YAML example in docs/alerts.md and the notify README
validates against the schema, and the self-metrics pass ``promtool check metrics``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest

from dcmon.config.alerting import AlertingSettings
from dcmon.config.policy import SitePolicy
from dcmon.config.secrets import read_secret
from dcmon.engine.alerts.state import Alerter, Observation
from dcmon.engine.alerts.store import AlertStore
from dcmon.exporters.notify.metrics import NotifyCollector
from tests.support.paths import ROOT
from tests.support.snmpsim import require_tool

BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


@pytest.mark.parametrize("doc", ["docs/alerts.md", "exporters/notify/README.md"])
def test_yaml_examples_validate(doc: str, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [yaml.safe_load(b) for b in BLOCK.findall((ROOT / doc).read_text())]
    assert blocks
    checked = 0
    for b in blocks:
        for site in b.get("sites", []):
            assert SitePolicy.model_validate(site["policy"]).effective_ceiling == 1.3
            checked += 1
        if "alerting" in b:
            settings = AlertingSettings.model_validate(b["alerting"])
            checked += 1
            for rc in settings.receivers:
                for name in ("password", "access_token", "secret", "key", "bearer_token"):
                    ref = getattr(rc, name, None)
                    if ref is not None and getattr(ref, "env", None):
                        monkeypatch.setenv(ref.env, "x")
                        assert read_secret(ref, ROOT).get_secret_value() == "x"
    assert checked >= 1


def test_notify_metrics_pass_promtool(tmp_path: Path) -> None:
    store = AlertStore(tmp_path / "alerts.sqlite")
    Alerter(store, 3600, lambda n: ["am"]).evaluate(1.0, [Observation(
        "DcmonDeviceDown", {"site": "s", "device": "d"}, "breach")])
    reg = CollectorRegistry()
    reg.register(NotifyCollector(store))
    text = generate_latest(reg).decode()
    assert 'dcmon_alerts{alertname="DcmonDeviceDown",severity="warning",state="firing"} 1.0' \
        in text
    assert 'dcmon_notify_queued{receiver="am"} 1.0' in text
    res = subprocess.run([require_tool("promtool"), "check", "metrics"], input=text,
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0 and not res.stdout.strip(), res.stdout + res.stderr
    store.close()
