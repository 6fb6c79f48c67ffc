"""One site, one measurement category, on every channel: a site that declares category 2
(``it_level: pdu_output``) with an unmetered rack backs no category, and ``check-config``,
``dcmon pue``, the API, /metrics, the status page and the capacity report all say "none" with
the reason, while the PUE value itself (1.3, case tests/cases/pue/unmetered_rack) is given."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
from click.testing import CliRunner
from prometheus_client import CollectorRegistry, generate_latest

from dcmon.app.cli import main
from dcmon.exporters.prometheus.engine import EngineCollector
from tests.support.capacity_api import READ_TOKEN, running_api
from tests.support.paths import CASES

CASE = CASES / "pue" / "unmetered_rack"
T0 = 1767225600
REASON = "1 of 2 racks have no IT meter in E_IT (hall/b): their IT energy is not measured"
READ = {"Authorization": f"Bearer {READ_TOKEN}"}


def test_check_config_and_pue_cli(tmp_path: Path) -> None:
    cfg = tmp_path / "site.yaml"
    shutil.copy(CASE / "config.yaml", cfg)
    with cfg.open("a") as f:
        f.write("state_dir: state\n")
    (tmp_path / "state").mkdir()
    runner = CliRunner()
    res = runner.invoke(main, ["check-config", str(cfg)])
    assert res.exit_code == 0, res.output
    assert ("  site dc1: PUE category none: pdu_output claims category 2, not backed: "
            f"{REASON}; IT metering in 1/2 racks (50%)") in res.stdout.splitlines()
    res = runner.invoke(main, ["replay", "--config", str(cfg), str(CASE / "readings.jsonl"),
                               "--store", str(tmp_path / "state" / "dcmon.sqlite"),
                               "--window", "1h"])
    assert res.exit_code == 0, res.output
    (replayed,) = json.loads(res.stdout)["results"]
    assert replayed["value"] == 1.3 and replayed["status"] == "ok"
    assert (replayed["category"], replayed["category_claim"]) == (None, 2)
    assert replayed["category_reason"] == REASON
    res = runner.invoke(main, ["pue", "--config", str(cfg), "--window", "year:2026",
                               "--format", "json"])
    assert res.exit_code == 0, res.output
    (year,) = json.loads(res.stdout)
    assert (year["category"], year["category_claim"], year["category_reason"]) == (
        None, 2, REASON)
    res = runner.invoke(main, ["pue", "--config", str(cfg), "--window", "year:2026"])
    assert res.exit_code == 0, res.output
    row = res.stdout.splitlines()[1].split()
    assert row[:2] == ["dc1", "year:2026"] and row[3] == "none"
    assert res.stdout.splitlines()[-1] == (
        f"site dc1: PUE category none: claims category 2, not backed: {REASON}")


def test_api_metrics_status_page_and_report_agree(tmp_path: Path) -> None:
    with running_api(CASE, tmp_path, with_alerts=False) as api:
        api.hub.recompute(T0 + 3600 + 600)  # the 00:00-01:00 hour has settled
        pue = httpx.get(f"{api.url}/api/v1/pue", params={"window": "1h"}, headers=READ,
                        timeout=10).json()
        (item,) = pue["items"]
        assert item["value"] == 1.3 and item["status"] == "ok"
        assert (item["category"], item["category_claim"], item["category_reason"]) == (
            None, 2, REASON)

        reg = CollectorRegistry()
        reg.register(EngineCollector(api.hub))
        metrics = generate_latest(reg).decode()
        assert ('dcmon_site_pue_ratio{category="none",interim="true",site="dc1",window="1h"} '
                '1.3') in metrics.splitlines()
        assert 'category="2"' not in metrics

        page = httpx.get(f"{api.url}/status/site/dc1", headers=READ, timeout=10).text
        assert '<span class="na" data-category="none">none</span>' in page
        assert f"claims category 2, not backed: {REASON}" in page
        page_zh = httpx.get(f"{api.url}/status/site/dc1", params={"lang": "zh"},
                            headers=READ, timeout=10).text
        assert '<span class="na" data-category="none">无</span>' in page_zh

        report = httpx.get(f"{api.url}/api/v1/reports/capacity", headers=READ,
                           timeout=10).text
        assert report.count('data-category="none"') == 7  # 1h 24h 7d 30d 365d month year
        assert "data-category=\"2\"" not in report
        assert f"claims category 2, not backed: {REASON}" in report
