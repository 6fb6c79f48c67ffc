"""``/api/v1/retrofits`` over real HTTP, and the retrofit families on /metrics, from a hub
over the chiller retrofit case (tests/cases/retrofit/chiller_saving)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry

from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.store import Store
from dcmon.exporters.api.app import create_app
from dcmon.exporters.api.server import ApiServer, bind
from dcmon.exporters.prometheus.retrofit import RetrofitCollector
from tests.support.capacity_api import READ_TOKEN, TOKENS
from tests.support.paths import CASES
from tests.support.retrofit_data import FACTOR, LATER, run_case


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, ResultsHub]]:
    tmp = tmp_path_factory.mktemp("retrofit-api")
    _, _, cfg, _ = run_case(CASES / "retrofit" / "chiller_saving", tmp)
    hub = ResultsHub(cfg, EnergyEngine(cfg, Store(tmp / "dcmon-state" / "dcmon.sqlite")),
                     Snapshot([]))
    hub.grid_factor = lambda c, s, t: (FACTOR, "test factor")
    hub.recompute(LATER)
    server = ApiServer(create_app(cfg, hub, TOKENS), bind("127.0.0.1:0")).start()
    try:
        yield server.url, hub
    finally:
        server.stop()
        hub.engine.store.close()


def test_needs_a_token(served: tuple[str, ResultsHub]) -> None:
    url, _ = served
    assert httpx.get(f"{url}/api/v1/retrofits", timeout=10).status_code == 401


def test_json_and_csv(served: tuple[str, ResultsHub]) -> None:
    url, hub = served
    [report] = hub.latest.retrofits
    auth = {"Authorization": f"Bearer {READ_TOKEN}"}
    body = httpx.get(f"{url}/api/v1/retrofits", headers=auth, timeout=10).json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["status"] == "ok" and item["retrofit"] == "chiller-2026"
    assert item["avoided_kwh"] == pytest.approx(report.avoided_kwh)
    assert item["uncertainty_kwh"] == pytest.approx(report.uncertainty_kwh)
    assert item["avoided_co2_kg"] == pytest.approx(report.avoided_kwh * FACTOR)
    assert item["significant"] is True
    assert item["normalised_reporting"]["conditions"] == "reporting"
    none = httpx.get(f"{url}/api/v1/retrofits", headers=auth, params={"site": "other"},
                     timeout=10).json()
    assert none["total"] == 0
    text = httpx.get(f"{url}/api/v1/retrofits", headers=auth, params={"format": "csv"},
                     timeout=10).text
    [row] = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert float(row["avoided_kwh"]) == pytest.approx(report.avoided_kwh)
    assert row["normalised_reporting.conditions"] == "reporting"


def test_metrics(served: tuple[str, ResultsHub]) -> None:
    _, hub = served
    [report] = hub.latest.retrofits
    reg = CollectorRegistry()
    reg.register(RetrofitCollector(hub))
    labels = {"site": "dc1", "retrofit": "chiller-2026"}
    assert reg.get_sample_value("dcmon_retrofit_avoided_energy_joules", labels) == \
        pytest.approx(report.avoided_kwh * 3.6e6)
    assert reg.get_sample_value("dcmon_retrofit_avoided_energy_uncertainty_joules",
                                {**labels, "confidence": "0.9"}) == \
        pytest.approx(report.uncertainty_kwh * 3.6e6)
    assert reg.get_sample_value("dcmon_retrofit_status", {**labels, "status": "ok"}) == 1.0
    assert reg.get_sample_value("dcmon_retrofit_status", {**labels, "status": "refused"}) == 0


def test_cached_for_the_day(served: tuple[str, ResultsHub]) -> None:
    """The results job runs every minute; the report is computed once per site day."""
    _, hub = served
    first = hub.latest.retrofits
    assert hub.recompute(LATER + 60).retrofits is first
    assert hub.recompute(LATER + 86400).retrofits is not first


@pytest.mark.parametrize(("lang", "words"), [("en", "Retrofits (verified savings)"),
                                             ("zh", "节能改造（经核证的节能量）")])
def test_status_page_section(served: tuple[str, ResultsHub], lang: str, words: str) -> None:
    url, hub = served
    [report] = hub.latest.retrofits
    page = httpx.get(f"{url}/status/site/dc1", params={"lang": lang}, timeout=10,
                     headers={"Authorization": f"Bearer {READ_TOKEN}"})
    assert page.status_code == 200
    assert words in page.text
    assert f'data-avoided-kwh="{report.avoided_kwh:.1f}"' in page.text
    assert 'data-retrofit="chiller-2026" data-status="ok"' in page.text
