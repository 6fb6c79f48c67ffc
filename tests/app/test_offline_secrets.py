"""The offline commands read none of the service's secrets: ``dcmon pue``, ``alerts``, ``rules``
and ``report`` work where DCMON_API_TOKEN (and the other env secrets) are unset, while
``check-config`` still reports each missing one and ``dcmon run`` refuses to start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.app.inventory import load_config
from dcmon.engine.alerts.store import AlertStore, alerts_path
from tests.support.paths import CASES

CASE = CASES / "energy" / "wrap"
#: Every kind of secret the service reads, each from a variable the test leaves unset.
UNSET = ("DCMON_API_TOKEN", "DCMON_TEST_UNSET_COMMUNITY", "DCMON_TEST_UNSET_INFLUX",
         "DCMON_TEST_UNSET_WEBHOOK")
SECRETS = """\
api:
  tokens: [{name: scheduler, token: {env: DCMON_API_TOKEN}}]
exporters:
  influx: {url: "http://127.0.0.1:8086", org: o, bucket: b,
           token: {env: DCMON_TEST_UNSET_INFLUX}}
alerting:
  receivers:
    - {type: webhook, name: hook, url: "http://127.0.0.1:9/hook",
       bearer_token: {env: DCMON_TEST_UNSET_WEBHOOK}}
state_dir: state
"""


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    cfg = tmp_path / "site.yaml"
    text = (CASE / "config.yaml").read_text().replace(
        'community: x}', 'community: {env: DCMON_TEST_UNSET_COMMUNITY}}')
    cfg.write_text(text + SECRETS)
    (tmp_path / "state").mkdir()
    return cfg


def test_offline_commands_need_no_secrets(inventory: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    store = tmp_path / "state" / "dcmon.sqlite"
    res = runner.invoke(main, ["replay", "--config", str(inventory),
                               str(CASE / "readings.jsonl"), "--store", str(store)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["pue", "--config", str(inventory), "--window", "year:2026",
                               "--format", "json"])
    assert res.exit_code == 0, res.output
    site = next(r for r in json.loads(res.stdout) if r["zone"] is None)
    assert site["it_kwh"] == 2.0 and abs(site["facility_kwh"] - 2.6) < 1e-9
    AlertStore(alerts_path(load_config(inventory))).close()
    res = runner.invoke(main, ["alerts", "--config", str(inventory), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"alerts": [], "outbox": {}}
    res = runner.invoke(main, ["rules", "--config", str(inventory), "--out",
                               str(tmp_path / "rules")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "rules" / "rules.yml").is_file()
    res = runner.invoke(main, ["report", "capacity", "--config", str(inventory), "--readings",
                               str(CASE / "readings.jsonl"), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert [s["site"] for s in json.loads(res.stdout)["sites"]] == ["dc1"]


def test_check_config_reports_every_missing_secret(inventory: Path) -> None:
    res = CliRunner().invoke(main, ["check-config", str(inventory)])
    assert res.exit_code == 1
    assert res.stdout.splitlines() == [
        f"{inventory}: credentials.ro.community: environment variable "
        "DCMON_TEST_UNSET_COMMUNITY is not set",
        f"{inventory}: alerting.receivers.0.bearer_token: environment variable "
        "DCMON_TEST_UNSET_WEBHOOK is not set",
        f"{inventory}: api.tokens.0.token: environment variable DCMON_API_TOKEN is not set",
        f"{inventory}: dcmon.exporters.influx.token: environment variable "
        "DCMON_TEST_UNSET_INFLUX is not set",
    ]


def test_run_refuses_to_start_without_its_secrets(inventory: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    proc = subprocess.run([sys.executable, "-m", "dcmon", "run", "--config", str(inventory),
                           "--listen", "127.0.0.1:0"], capture_output=True, text=True,
                          timeout=60, env=env, check=False)
    assert proc.returncode == 1
    assert (f"{inventory}: api.tokens.0.token: environment variable DCMON_API_TOKEN is not set"
            in proc.stderr.splitlines())
    assert len(proc.stderr.splitlines()) == 4 and proc.stdout == ""
