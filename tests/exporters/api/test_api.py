"""The REST API over real HTTP on 127.0.0.1: auth, resources, filters, pagination and CSV.

The server is uvicorn on a free port (as ``dcmon run`` runs it), over a hub fed with the
``failover_ab`` and ``unmetered_rack`` capacity cases, so responses carry the hand-computed
numbers of tests/cases/capacity.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dcmon.model import PollError, PollResult
from tests.support.capacity_api import ADMIN_TOKEN, READ_TOKEN, RunningApi, running_api

READ = {"Authorization": f"Bearer {READ_TOKEN}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api("unmetered_rack", tmp_path_factory.mktemp("api")) as a:
        yield a


@pytest.fixture(scope="module")
def api_ab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api("failover_ab", tmp_path_factory.mktemp("api-ab")) as a:
        yield a


def get(api: RunningApi, path: str, headers: dict[str, str] | None = None,
        **params: object) -> httpx.Response:
    return httpx.get(f"{api.url}/api/v1{path}", headers=headers if headers is not None
                     else READ, params=params, timeout=10)


def test_health_needs_no_token(api: RunningApi) -> None:
    r = get(api, "/health", headers={})
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["devices"] == 2 and body["devices_up"] == 2
    assert body["devices_down"] == [] and body["problems"] == [] and body["store_ok"] is True
    assert 0 <= body["results_age_s"] < 60


def test_health_is_degraded_with_a_device_down_and_failing_without_a_store(
        tmp_path: Path) -> None:
    with running_api("unmetered_rack", tmp_path) as a:
        dev = next(iter(a.hub.snapshot.health()))
        a.hub.snapshot.record(PollResult(dev, "replay", (), (PollError(
            "timeout", "no response after 1.0 s"),), 1.0, 1.0, ok=False))
        body = get(a, "/health", headers={}).json()
        assert body["status"] == "degraded" and body["devices_up"] == 1
        assert body["devices_down"] == [dev]
        assert body["problems"] == [f"1 of 2 devices down: {dev}"]
        a.hub.engine.store.close()
        r = get(a, "/health", headers={})
        assert r.status_code == 503 and r.json()["status"] == "failing"
        assert r.json()["store_ok"] is False


@pytest.mark.parametrize("path", ["/sites", "/sites/dc1", "/rooms", "/racks", "/pue",
                                  "/alerts", "/city", "/reports/capacity",
                                  "/racks?format=csv"])
def test_nothing_readable_without_a_token(api: RunningApi, path: str) -> None:
    r = httpx.get(f"{api.url}/api/v1{path}", timeout=10)
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "missing bearer token" in r.json()["detail"]
    assert "3.0" not in r.text  # no capacity figures leak


@pytest.mark.parametrize("auth", ["Bearer wrong-token-0123456789abcdef", f"Bearer {READ_TOKEN}x",
                                  f"Bearer {READ_TOKEN[:-1]}", f"Basic {READ_TOKEN}",
                                  READ_TOKEN, "Bearer"])
def test_wrong_tokens_are_refused(api: RunningApi, auth: str) -> None:
    r = get(api, "/racks", headers={"Authorization": auth})
    assert r.status_code == 401, r.text
    detail = r.json()["detail"]
    assert detail == "invalid bearer token" or detail.startswith("missing bearer token")


def test_read_scope_cannot_use_admin_routes(api: RunningApi) -> None:
    r = httpx.post(f"{api.url}/api/v1/admin/recompute", headers=READ, timeout=10)
    assert r.status_code == 403
    assert r.json()["detail"] == "token 'platform' has scope 'read'; this needs 'admin'"


def test_sites_rooms_racks_carry_numbers_and_quality(api: RunningApi) -> None:
    sites = get(api, "/sites").json()
    assert sites["total"] == 1 and sites["items"][0]["site"] == "dc1"
    site = get(api, "/sites/dc1").json()
    room = site["rooms"][0]
    assert room["totals"]["occupancy"] == 1.0 and room["totals"]["racks_unknown"] == 1
    assert room["headroom"] == {"power_kw": 5.0, "cooling_kw": 10.0, "space_kw": 9.04762,
                                "kw": 5.0, "std_racks": 2.0, "binding": "power"}
    racks = {r["rack"]: r for r in get(api, "/racks").json()["items"]}
    assert racks["u1"]["metered"] is False and racks["u1"]["load_kw"] is None
    assert racks["u1"]["quality"]["flags"] == ["unmetered"]
    assert racks["s1"]["quality"]["stale"] == ["pdu-s1"]
    assert racks["m1"]["quality"] == {"coverage": 1.0, "stale": [], "flags": []}
    rooms = get(api, "/rooms", site="dc1").json()
    assert rooms["items"][0]["quality"]["flags"] == ["unmetered_racks"]
    assert "racks" not in rooms["items"][0]
    city = get(api, "/city").json()
    assert city["std_racks_in_use"] == 4.0 and city["goal_racks"] == 5000


def test_unknown_site_is_404_with_the_known_ones(api: RunningApi) -> None:
    r = get(api, "/sites/nowhere")
    assert r.status_code == 404
    assert r.json()["detail"] == "unknown site 'nowhere' (known: dc1)"


def test_rack_filters_and_pagination(api_ab: RunningApi) -> None:
    all_racks = get(api_ab, "/racks").json()
    assert all_racks["total"] == 2
    hot = get(api_ab, "/racks", min_utilisation=0.6).json()
    assert [r["rack"] for r in hot["items"]] == ["r1"] and hot["total"] == 1
    page = get(api_ab, "/racks", limit=1, offset=1).json()
    assert [r["rack"] for r in page["items"]] == ["r2"]
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    assert get(api_ab, "/racks", room="nope").json()["total"] == 0
    assert get(api_ab, "/racks", limit=0).status_code == 422
    r1 = all_racks["items"][0]
    assert r1["failover"]["ok"] is False and r1["failover"]["ratio"] == 1.125


def _csv(resp: httpx.Response) -> list[dict[str, str]]:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.content.startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read UTF-8
    return list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))


def test_csv_by_query_and_by_accept_header(api_ab: RunningApi) -> None:
    rows = _csv(get(api_ab, "/racks", format="csv"))
    assert [r["rack"] for r in rows] == ["r1", "r2"]
    r1 = rows[0]
    assert float(r1["load_kw"]) == pytest.approx(3.312)
    assert r1["feeds.A.current_a"] == "7.2" and r1["feeds.B.derated_a"] == "12.8"
    assert r1["failover.ok"] == "false" and float(r1["failover.ratio"]) == 1.125
    assert r1["quality.flags"] == "" and r1["quality.coverage"] == "1.0"
    by_accept = httpx.get(f"{api_ab.url}/api/v1/racks",
                          headers={**READ, "Accept": "text/csv"}, timeout=10)
    assert _csv(by_accept) == rows
    rooms = _csv(get(api_ab, "/rooms", format="csv"))
    assert rooms[0]["headroom.binding"] == "power"
    assert not [k for k in rooms[0] if k.startswith("forecast.daily")]


def test_csv_keeps_chinese_text(tmp_path: Path) -> None:
    from dcmon.app.inventory import load_config
    from tests.support.capacity_api import CASES

    text = (CASES / "failover_ab" / "config.yaml").read_text().replace(
        "- id: hall\n", "- id: hall\n        name: 一号机房\n")
    (tmp_path / "config.yaml").write_text(text)
    cfg = load_config(tmp_path / "config.yaml")
    from dcmon.exporters.api.app import create_app
    from dcmon.exporters.api.server import ApiServer, bind
    from tests.support.capacity_api import TOKENS, hub_from_case

    hub = hub_from_case("failover_ab", tmp_path, cfg)
    server = ApiServer(create_app(cfg, hub, TOKENS), bind("127.0.0.1:0")).start()
    try:
        r = httpx.get(f"{server.url}/api/v1/rooms?format=csv", headers=READ, timeout=10)
        rows = _csv(r)
        assert rows[0]["name"] == "一号机房"
    finally:
        server.stop()
        hub.engine.store.close()


def test_pue_and_alerts(api: RunningApi) -> None:
    pue = get(api, "/pue").json()
    assert pue["total"] == 0 and pue["items"] == []  # the case declares no energy topology
    alerts = get(api, "/alerts").json()
    assert alerts["total"] == 1 and alerts["note"] == ""
    a = alerts["items"][0]
    assert a["alertname"] == "DcmonFeedFailoverRisk" and a["labels"]["rack"] == "r1"
    assert get(api, "/alerts", site="elsewhere").json()["total"] == 0
    rows = _csv(get(api, "/alerts", format="csv"))
    assert rows[0]["annotations.summary_zh"] == "A+B 路超过单路容量"


def test_alerts_without_alerting_say_so(tmp_path: Path) -> None:
    with running_api("empty_room", tmp_path, with_alerts=False) as a:
        body = get(a, "/alerts").json()
        assert body["items"] == [] and "alerting is not running" in body["note"]


def test_admin_recompute(api_ab: RunningApi) -> None:
    r = httpx.post(f"{api_ab.url}/api/v1/admin/recompute", headers=ADMIN, timeout=30)
    assert r.status_code == 200 and r.json()["computed"] > 0


def test_report_html_is_served(api_ab: RunningApi) -> None:
    r = get(api_ab, "/reports/capacity", lang="zh")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "容量报告" in r.text and 'data-chart="heatmap"' in r.text
    assert get(api_ab, "/reports/capacity", site="nope").status_code == 404


def test_openapi_is_published(api: RunningApi) -> None:
    doc = httpx.get(f"{api.url}/api/v1/openapi.json", headers=READ, timeout=10).json()
    paths = doc["paths"]
    for p in ("/api/v1/health", "/api/v1/sites", "/api/v1/sites/{site_id}", "/api/v1/rooms",
              "/api/v1/racks", "/api/v1/pue", "/api/v1/alerts", "/api/v1/city"):
        assert p in paths, p
    assert "security" not in paths["/api/v1/health"]["get"]
    assert paths["/api/v1/racks"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "text/csv" in paths["/api/v1/racks"]["get"]["responses"]["200"]["content"]
