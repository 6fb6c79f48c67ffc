"""The HTML status page of ``dcmon run``, over real HTTP on 127.0.0.1.

Each service is the real one (:func:`dcmon.app.service.start_service`: poller, ResultsHub, alert
pipeline and the API thread) polling the simulated site (two racks on A/B PDUs, a UPS and a
Modbus incomer at PUE ~1.32). Three run side by side against one simulated site:

* ``strict``: ``status_page: token``, ceiling 1.2 (a breach), a feed rating that makes the
  feed-failover alerts fire and a rack rating that makes one over-utilisation alert pending;
* ``calm``: ``status_page: public`` with no tokens at all, class ``legacy`` (ceiling 1.5);
* ``off``: ``status_page: off``.

Figures on the pages are compared with the hub's results the page was rendered from (the
page's ``data-computed`` must equal ``hub.latest.computed``, else it is fetched again).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from dcmon.app.inventory import parse_config
from dcmon.app.service import RunningService, start_service, stop_service
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.api import ApiSettings
from dcmon.engine.results import Results
from dcmon.errors import ConfigError
from dcmon.exporters.api.status import i18n as status_i18n
from dcmon.exporters.api.status.html import Frame
from dcmon.exporters.api.status.routes import COOKIE, status_router
from dcmon.exporters.reports import svg
from dcmon.exporters.reports.capacity import chromium, chromium_args
from dcmon.sim.capacity import add_capacity
from dcmon.sim.physics import SimClock
from tests.support.paths import ROOT
from tests.support.simsite import ThreadedSite, threaded_site
from tests.support.snmpsim import unavailable

TOKEN = "status-read-token-0123456789abcdef"
SITE = "demo-dc"
SITE_NAME = "Demo municipal data centre"


@pytest.fixture(scope="module")
def sim() -> Iterator[ThreadedSite]:
    # The site's load follows a daily curve (+-15 %, peak at 14:00): start its clock at 14:00 so
    # the loads the tests expect (and the alerts they cause) hold at any hour the suite runs.
    day = time.time() // 86400 * 86400
    with threaded_site(racks=2, shared_clock=SimClock(day + 14 * 3600, 1.0)) as ts:
        yield ts


def _inventory(ts: ThreadedSite, state: Path, api: dict[str, Any],
               policy: dict[str, Any]) -> dict[str, Any]:
    inv = add_capacity(ts.site.inventory(interval=0.5, listen="127.0.0.1:0"))
    inv["state_dir"] = str(state)
    inv["api"] = {"listen": "127.0.0.1:0", **api}
    inv["sites"][0]["policy"] = policy
    return inv


def _start(ts: ThreadedSite, inv: dict[str, Any], file: Path) -> RunningService:
    profiles = ProfileRegistry.load()
    cfg = parse_config(inv, str(file), profiles)
    svc: RunningService = ts.call(lambda: start_service(cfg, profiles))  # type: ignore[assignment]
    health = svc.poller.snapshot.health
    deadline = time.monotonic() + 15
    while any(h.polls == 0 or not h.up for h in health().values()):
        assert time.monotonic() < deadline, f"devices never answered: {health()}"
        time.sleep(0.1)
    res = svc.hub.recompute()
    assert res.instant[0].value is not None and res.capacity is not None
    assert all(r.now_kw is not None for ro in res.capacity.sites[0].rooms for r in ro.racks)
    return svc


@pytest.fixture(scope="module")
def strict(sim: ThreadedSite, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[RunningService]:
    tmp = tmp_path_factory.mktemp("strict")
    inv = _inventory(sim, tmp / "state", {
        "status_page": "token", "status_refresh_s": 7,
        "tokens": [{"name": "viewer", "token": TOKEN, "scope": "read"}]},
        # r01 draws ~3.1 kW, r02 ~3.5 kW: both above 80 % of a 3.3 kW feed (r02 above 100 %),
        # firing at once; r02 above 80 % of its 4 kW rating, pending for 5 minutes.
        {"class": "new_large", "ceiling": 1.2, "feed_kw": 3.3})
    inv["sites"][0]["rooms"][0]["racks"][1]["rated_kw"] = 4.0
    inv["alerting"] = {"rules": {"feed": {"for": 0}}}
    svc = _start(sim, inv, tmp / "site.yaml")
    assert svc.alerts is not None
    svc.alerts.tick_hub(svc.hub)  # the scheduled job's first run, now rather than in 15 s
    try:
        yield svc
    finally:
        sim.call(lambda: stop_service(svc))


@pytest.fixture(scope="module")
def calm(sim: ThreadedSite, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[RunningService]:
    tmp = tmp_path_factory.mktemp("calm")
    inv = _inventory(sim, tmp / "state", {"status_page": "public"}, {"class": "legacy"})
    svc = _start(sim, inv, tmp / "site.yaml")
    try:
        yield svc
    finally:
        sim.call(lambda: stop_service(svc))


@pytest.fixture(scope="module")
def off(sim: ThreadedSite, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[RunningService]:
    tmp = tmp_path_factory.mktemp("off")
    inv = _inventory(sim, tmp / "state", {
        "status_page": "off", "tokens": [{"name": "viewer", "token": TOKEN}]}, {})
    svc = _start(sim, inv, tmp / "site.yaml")
    try:
        yield svc
    finally:
        sim.call(lambda: stop_service(svc))


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def url(svc: RunningService, path: str) -> str:
    assert svc.api is not None
    return svc.api.url + path


def page(svc: RunningService, path: str, headers: dict[str, str] | None = None
         ) -> tuple[httpx.Response, Results]:
    """GET a page and the results it was rendered from (retried across a recomputation)."""
    for _ in range(5):
        r = httpx.get(url(svc, path), headers=AUTH if headers is None else headers, timeout=10)
        res = svc.hub.latest
        m = re.search(r'<body data-computed="([^"]*)"', r.text)
        assert m, r.text[:500]
        if m.group(1) and float(m.group(1)) == res.computed:
            return r, res
    pytest.fail("the results changed under every request")


def element(html: str, selector: str, **attrs: str) -> str:
    """The first ``<tag ...>...</tag>`` (``tag`` or ``tag.class``) whose opening tag carries
    these data- attributes."""
    tag, _, cls = selector.partition(".")
    want = "".join(rf'(?=[^>]*\bdata-{k.replace("_", "-")}="{re.escape(v)}")'
                   for k, v in attrs.items())
    if cls:
        want += rf'(?=[^>]*\bclass="{re.escape(cls)}[ "])'
    m = re.search(rf"<{tag}\b{want}[^>]*>.*?</{tag}>", html, re.S)
    assert m, f"no <{tag} {attrs}> in the page"
    return m.group(0)


def find(pattern: str, html: str, group: int = 0) -> str:
    m = re.search(pattern, html, re.S)
    assert m, f"{pattern!r} not in the page"
    return m.group(group)


def number(name: str, fragment: str) -> float:
    """The float in the first ``data-NAME`` attribute of a fragment."""
    return float(find(rf'data-{name}="([^"]+)"', fragment, 1))


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


# ---------------------------------------------------------------------------- the views


def test_city_view_lists_the_site_with_its_live_pue(strict: RunningService) -> None:
    r, res = page(strict, "/status")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    row = element(r.text, "tr.site", site=SITE)
    live = res.instant[0]
    assert live.site == SITE and live.value is not None
    cell = element(row, "td", value=repr(live.value))
    assert text(cell) == f"{live.value:.3f}"  # as rendered, e.g. 1.322
    assert SITE_NAME in row and ">new_large<" in row
    assert text(element(row, "td", window="1h")).startswith("withheld")
    assert res.capacity is not None
    site_cap = res.capacity.sites[0]
    assert site_cap.totals.std_racks_in_use is not None
    assert text(find(r'<td class="std-racks">.*?</td>', row)) == \
        f"{site_cap.totals.std_racks_in_use:,.1f}"
    assert it_kw(row) == pytest.approx(live.it_w / 1000, abs=0.006)  # type: ignore[operator]
    # The city against its goal, the withheld windows' reason, the sparkline with its ceiling.
    kpi = element(r.text, "div", kpi="std_racks_in_use")
    assert number("value", kpi) == res.capacity.std_racks_in_use
    assert text(element(r.text, "div", kpi="goal")) == "City goal 5,000"
    assert "withheld: coverage 0.0% of expected meter-hours is below the minimum 90%" in r.text
    assert 'class="limit"' in find(r'<svg class="chart" data-chart="sparkline".*?</svg>', row)
    assert '<meta http-equiv="refresh" content="7">' in r.text
    assert r.headers["cache-control"] == "no-store"
    assert "script-src" not in r.headers["content-security-policy"]  # none allowed at all


def it_kw(row: str) -> float:
    return float(find(r'<td class="it-kw">([\d.,]+)</td>', row, 1).replace(",", ""))


def test_breach_badge_marks_the_site_above_its_ceiling(strict: RunningService) -> None:
    r, res = page(strict, "/status")
    assert [(c.site, c.policy_class, c.value) for c in res.ceilings] == [(SITE, "new_large", 1.2)]
    row = element(r.text, "tr.site", site=SITE, breach="true")
    # Every window is still withheld (minutes of data), so the live PUE is judged.
    badge = element(row, "span", site=SITE, window="live")
    assert 'class="badge breach"' in badge
    assert text(badge) == f"BREACH live {res.instant[0].value:.3f}"
    assert text(element(row, "td", window="24h")).startswith("withheld")
    site, _ = page(strict, f"/status/site/{SITE}")
    h1 = find(r"<h1.*?</h1>", site.text)
    assert 'class="badge breach" data-site="demo-dc" data-window="live"' in h1


def test_site_under_its_ceiling_has_no_breach_badge(calm: RunningService) -> None:
    r, res = page(calm, "/status", headers={})  # public: no token
    assert r.status_code == 200
    assert [(c.site, c.policy_class, c.value) for c in res.ceilings] == [(SITE, "legacy", 1.5)]
    row = element(r.text, "tr.site", site=SITE, breach="false")
    assert "badge breach" not in r.text
    assert text(element(row, "span", site=SITE)) == "within 1.50"
    assert text(element(row, "td", value=repr(res.instant[0].value))) == \
        f"{res.instant[0].value:.3f}"
    site, _ = page(calm, f"/status/site/{SITE}", headers={})
    assert site.status_code == 200 and "badge breach" not in site.text


def test_site_view_has_the_window_table_and_rack_rows(strict: RunningService) -> None:
    r, res = page(strict, f"/status/site/{SITE}")
    assert r.status_code == 200
    table = find(r'<table class="pue-windows">.*?</table>', r.text)
    windows = re.findall(r'<tr class="pue-window[^"]*" data-window="([^"]+)"', table)
    assert windows == [p.window for p in res.pue if p.site == SITE and p.zone is None]
    assert windows[:4] == ["1h", "24h", "7d", "30d"]
    one_h = text(element(table, "tr", window="1h"))
    assert one_h.startswith("1h ") and "withheld" in one_h and "1.20" in one_h
    assert "below the minimum 90%" in one_h and "0.0 %" in one_h
    assert res.capacity is not None
    room = res.capacity.sites[0].rooms[0]
    assert len(room.racks) == 2
    for rack in room.racks:
        row = element(r.text, "tr.rack", rack=rack.rack)
        assert f'href="/status/rack/{SITE}/{rack.rack}"' in row
        assert number("now-kw", row) == rack.now_kw
        cells = text(row)
        assert f"{rack.now_kw:,.2f}" in cells and f"{rack.rated_kw:,.2f}" in cells
        assert f"{rack.utilisation * 100:.1f}\u00a0%" in row  # type: ignore[operator]
        fa = next(f for f in rack.feeds if f.feed == "A")
        assert f"{fa.power_kw:,.2f}" in text(element(row, "td", feed="A"))
        assert 'data-failover="ok"' in row or 'data-failover="at_risk"' in row
    room_row = text(element(r.text, "tr", room=room.room))
    assert room_row.startswith(f"{room.room} 2 / 2 / 0")
    assert room.headroom.binding is not None and room.headroom.binding in room_row
    assert r.text.count('data-chart="line"') == 2  # live PUE vs ceiling, IT/facility kW
    assert 'data-chart="headroom"' in r.text


def test_rack_view_shows_feeds_a_and_b(strict: RunningService) -> None:
    r, res = page(strict, f"/status/rack/{SITE}/r02")
    assert r.status_code == 200
    assert res.capacity is not None
    rack = next(x for x in res.capacity.sites[0].rooms[0].racks if x.rack == "r02")
    for feed in rack.feeds:
        row = element(r.text, "tr", feed=feed.feed)
        assert number("power-kw", row) == feed.power_kw
        assert number("derated-kw", row) == 3.68
        assert f"pdu-r02-{feed.feed.lower()}" in row
    assert sorted(f.feed for f in rack.feeds) == ["A", "B"]
    verdict = "ok" if rack.failover.ok else "at_risk"
    assert f'<p class="failover" data-failover="{verdict}">' in r.text
    assert f"{rack.now_kw:,.2f}" in text(element(r.text, "table", now_kw=repr(rack.now_kw)))
    assert 'data-chart="line"' in r.text and "usable 3.68 kW" in r.text


def test_active_alerts_are_listed_firing_first(strict: RunningService) -> None:
    r, _ = page(strict, "/status")
    rows = re.findall(r'<tr class="alert (\w+)" data-alertname="(\w+)" data-state="\w+" '
                      r'data-severity="(\w+)" data-site="([^"]*)" data-rack="([^"]*)"', r.text)
    active = sorted((a.state, a.alertname, a.labels.get("rack", ""))
                    for a in strict.alerts.store.active().values())  # type: ignore[union-attr]
    assert sorted((s, n, rk) for s, n, _, _, rk in rows) == active
    assert ("firing", "DcmonFeedFailoverRisk", "r02") in active
    assert ("pending", "DcmonRackOverUtilised", "r02") in active
    states = [s for s, *_ in rows]
    assert states == sorted(states, key=lambda s: s != "firing")  # firing ones first
    assert rows[0][2] == "critical"  # r02's feeds: above 100 % of one feed
    count = element(element(r.text, "tr.site", site=SITE), "td", count=str(len(active)))
    assert text(count).startswith(str(len(active)))
    rack, _ = page(strict, f"/status/rack/{SITE}/r01")
    assert re.findall(r'data-alertname="(\w+)"', rack.text) == ["DcmonFeedFailoverRisk"]


def test_unknown_site_and_rack_are_404(strict: RunningService) -> None:
    r = httpx.get(url(strict, "/status/site/nowhere"), headers=AUTH, timeout=10)
    assert r.status_code == 404
    assert "unknown site &#x27;nowhere&#x27;" in r.text and f'href="/status/site/{SITE}"' in r.text
    r = httpx.get(url(strict, f"/status/rack/{SITE}/r99"), headers=AUTH, timeout=10)
    assert r.status_code == 404 and "unknown rack &#x27;r99&#x27;" in r.text
    assert f'href="/status/rack/{SITE}/r01"' in r.text
    r = httpx.get(url(strict, "/status/site/%3Cb%3Ex"), headers=AUTH, timeout=10)
    assert r.status_code == 404 and "<b>x" not in r.text and "&lt;b&gt;x" in r.text


def test_pages_are_self_contained(strict: RunningService) -> None:
    for path in ("/status", f"/status/site/{SITE}", f"/status/rack/{SITE}/r01"):
        r, _ = page(strict, path)
        assert "<script" not in r.text.lower()
        assert not re.search(r'(src|href)="(https?:)?//', r.text), path  # no external asset
    r = httpx.get(url(strict, "/"), timeout=10)
    assert r.status_code == 307 and r.headers["location"] == "/status"


# -------------------------------------------------------------------------------- auth


@pytest.mark.parametrize("path", ["/status", f"/status/site/{SITE}",
                                  f"/status/rack/{SITE}/r01"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789ab"},
                                     {"Authorization": f"Basic {TOKEN}"},
                                     {"Cookie": f"{COOKIE}=wrong-token-0123456789ab"}])
def test_token_mode_without_credentials_shows_the_login_form(
        strict: RunningService, path: str, headers: dict[str, str]) -> None:
    r = httpx.get(url(strict, path), headers=headers, timeout=10)
    assert r.status_code == 401
    assert '<form class="login" method="post" action="/status/login">' in r.text
    assert f'name="next" value="{path}"' in r.text
    body = r.text.replace(f'value="{path}"', "")  # the requested path is the caller's own
    for secret in ("r01", "r02", SITE, SITE_NAME, "kW", "pdu-"):
        assert secret not in body
    assert "set-cookie" not in r.headers


def login(svc: RunningService, token: str, next_path: str = "/status") -> httpx.Response:
    return httpx.post(url(svc, "/status/login"), data={"token": token, "next": next_path},
                      timeout=10)


def test_login_sets_the_cookie_and_the_page_then_renders(
        strict: RunningService, caplog: pytest.LogCaptureFixture) -> None:
    for name in ("dcmon", "uvicorn", "fastapi"):  # the server's loggers (not the client's)
        caplog.set_level(logging.DEBUG, logger=name)
    r = login(strict, TOKEN, f"/status/site/{SITE}")
    assert r.status_code == 303 and r.headers["location"] == f"/status/site/{SITE}"
    paths = set()
    for cookie in r.headers.get_list("set-cookie"):  # for /status, and /api/v1 (the docs)
        assert cookie.startswith(f"{COOKIE}={TOKEN};")
        attrs = {a.strip().lower() for a in cookie.split(";")[1:]}
        assert {"httponly", "samesite=strict"} <= attrs
        assert "secure" not in attrs  # plain http on 127.0.0.1: a Secure cookie would be dropped
        paths |= {a for a in attrs if a.startswith("path=")}
    assert paths == {"path=/status", "path=/api/v1"}
    with httpx.Client(base_url=url(strict, ""), timeout=10) as client:
        first = client.post("/status/login", data={"token": TOKEN}, follow_redirects=True)
        assert first.status_code == 200 and first.url.path == "/status"
        assert element(first.text, "tr.site", site=SITE)
        assert 'action="/status/logout"' in first.text
        rack = client.get(f"/status/rack/{SITE}/r01")
        assert rack.status_code == 200 and element(rack.text, "tr", feed="B")
        out = client.post("/status/logout", follow_redirects=True)
        assert out.status_code == 401 and 'name="token"' in out.text
    assert TOKEN not in caplog.text  # never logged


def test_wrong_token_is_refused(strict: RunningService,
                                caplog: pytest.LogCaptureFixture) -> None:
    for name in ("dcmon", "uvicorn", "fastapi"):
        caplog.set_level(logging.DEBUG, logger=name)
    for wrong in ("wrong-token-0123456789abcdef", TOKEN + "x", TOKEN[:-1], ""):
        r = login(strict, wrong)
        assert r.status_code == 401, wrong
        assert 'role="alert">unknown token<' in r.text and "set-cookie" not in r.headers
        assert SITE not in r.text
        if wrong:
            assert wrong not in r.text and wrong not in caplog.text
    assert "refused a login" in caplog.text


def test_login_redirects_only_within_the_status_page(strict: RunningService) -> None:
    for target in ("https://evil.example/", "//evil.example/status", "/api/v1/racks",
                   "/status//evil.example"):
        r = login(strict, TOKEN, target)
        assert r.status_code == 303 and r.headers["location"] == "/status", target


def test_public_mode_needs_no_token(calm: RunningService) -> None:
    assert calm.hub.config.model.api.tokens == []
    r, _ = page(calm, f"/status/rack/{SITE}/r01", headers={})
    assert r.status_code == 200 and element(r.text, "tr", feed="A")
    assert 'action="/status/logout"' not in r.text
    # No token configured at all: the API itself still refuses every request.
    assert httpx.get(url(calm, "/api/v1/racks"), timeout=10).status_code == 401
    assert httpx.post(url(calm, "/status/login"), data={"token": "x"},
                      timeout=10).status_code in (404, 405)


def test_off_mode_is_not_mounted(off: RunningService) -> None:
    for path in ("/status", f"/status/site/{SITE}", "/"):
        r = httpx.get(url(off, path), headers=AUTH, timeout=10)
        assert r.status_code == 404 and SITE not in r.text, path
    assert httpx.get(url(off, "/api/v1/sites"), headers=AUTH,
                     timeout=10).json()["items"][0]["site"] == SITE


# ------------------------------------------------------------------------ config, charts


def test_a_bad_status_page_value_is_a_clear_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config({"api": {"status_page": "private"}}, str(tmp_path / "site.yaml"))
    assert [(p.key, p.message) for p in err.value.problems] == [
        ("api.status_page", "Input should be 'token', 'public' or 'off'")]


@pytest.mark.parametrize("chart", [
    lambda pts: svg.line([svg.Series("x", pts)], "t", limit=1.3, from_zero=False),
    lambda pts: svg.sparkline(pts, "t", limit=1.3)])
def test_lines_break_at_missing_points(chart: Callable[[list[tuple[float, float | None]]], str]
                                       ) -> None:
    pts: list[tuple[float, float | None]] = [(0, 1.2), (300, 1.25), (600, None), (900, 1.4)]
    out = chart(pts)
    assert out.count("<polyline") == 2 and out.count('class="limit"') == 1
    assert "<polyline" not in chart([(0, None)])


# ---------------------------------------------------------------------------- languages


ZH = {**AUTH, "Accept-Language": "zh-CN,zh;q=0.9"}


def internal_links(html: str) -> list[str]:
    """The href/action of every internal link and form but the language switch."""
    html = re.sub(r'<a class="lang-switch"[^>]*>', "", html)
    return re.findall(r'(?:href|action)="(/status[^"]*)"', html)


def markers(html: str) -> list[str]:
    """The DOM markers scrapers and tests rely on: every data- attribute (a chart series' is its
    stable key, not its translated legend) and every tag with the class breach (title aside)."""
    data = re.findall(r'\bdata-[a-z-]+(?:="[^"]*")?', html)
    breach = [re.sub(r' title="[^"]*"', "", tag)
              for tag in re.findall(r'<[^>]*class="[^"]*\bbreach\b[^"]*"[^>]*>', html)]
    return data + breach


def test_chinese_views_on_request(strict: RunningService) -> None:
    r, res = page(strict, "/status?lang=zh")
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.text
    assert r.headers["content-language"] == "zh-CN"
    head = find(r'<table class="sites"><tr>.*?</tr>', r.text)
    assert ">PUE 限值<" in head and ">实时 PUE<" in head and ">余量<" in head
    assert text(element(r.text, "div", kpi="goal")) == "全市目标 5,000"
    assert "在用标准机架" in r.text and "活动告警" in r.text and "全市" in r.text
    row = element(r.text, "tr.site", site=SITE, breach="true")
    assert text(element(row, "span", site=SITE, window="live")) == \
        f"超标 实时 {res.instant[0].value:.3f}"
    assert text(element(row, "td", window="1h")).startswith("暂不发布")
    assert "暂不发布：应有计量小时数的覆盖率为 0.0%，低于最低要求 90%" in r.text
    assert "结果计算于" in r.text and "English</a>" in r.text and "中文</a>" not in r.text
    # The alerts in Chinese (summary_zh), their names as they are, states translated.
    active = strict.alerts.store.active().values()  # type: ignore[union-attr]
    feed = next(a for a in active if a.alertname == "DcmonFeedFailoverRisk")
    assert feed.annotations["summary_zh"] and feed.annotations["summary"]
    table = find(r'<table class="alerts">.*?</table>', r.text)
    assert escape(feed.annotations["summary_zh"]) in table
    assert escape(feed.annotations["summary"]) not in table
    assert ">DcmonFeedFailoverRisk<" in table and ">告警中<" in table and ">状态<" in table
    site, _ = page(strict, f"/status/site/{SITE}?lang=zh")
    assert '<html lang="zh-CN">' in site.text
    assert "政策类别" in site.text and "PUE 限值" in site.text and "制约因素" in site.text
    assert "余量（标准机架）" in site.text and "机架已安装 / 在用 / 未计量" in site.text
    one_h = text(element(find(r'<table class="pue-windows">.*?</table>', site.text), "tr",
                         window="1h"))
    assert "暂不发布" in one_h and "时间窗" in site.text
    assert escape(feed.annotations["summary_zh"]) in site.text
    rack, _ = page(strict, f"/status/rack/{SITE}/r02?lang=zh")
    h1 = text(find(r"<h1.*?</h1>", rack.text))
    assert h1.startswith("机架 r02") and "位于" in h1
    assert "供电路" in rack.text and "单路故障" in rack.text and "可用 3.68 kW" in rack.text
    assert "已用 U / 总 U" in rack.text and "标准机架（实测 / 规划）" in rack.text
    assert ">DcmonFeedFailoverRisk<" in rack.text


def test_accept_language_chooses_the_language(strict: RunningService) -> None:
    r, _ = page(strict, "/status", headers=ZH)
    assert '<html lang="zh-CN">' in r.text and ">PUE 限值<" in r.text
    assert r.headers["vary"] == "Accept-Language"
    # Chosen by the header, not asked for: the links stay plain.
    assert internal_links(r.text) and not any("lang=" in u for u in internal_links(r.text))
    en, _ = page(strict, "/status", headers={**AUTH,
                                             "Accept-Language": "en-US,en;q=0.9,zh;q=0.8"})
    assert '<html lang="en">' in en.text and ">Ceiling<" in en.text
    zh_first, _ = page(strict, "/status", headers={**AUTH, "Accept-Language": "fr, zh;q=0.5"})
    assert '<html lang="zh-CN">' in zh_first.text


def test_english_is_the_default(strict: RunningService) -> None:
    r, _ = page(strict, "/status")
    assert '<html lang="en">' in r.text and r.headers["content-language"] == "en"
    assert ">Ceiling<" in r.text and "Standard racks in use" in r.text
    assert '<a class="lang-switch" href="?lang=zh"' in r.text and "中文</a>" in r.text
    assert not any("lang=" in u for u in internal_links(r.text))
    for word in ("超标", "暂不发布", "标准机架"):
        assert word not in r.text


def test_status_lang_setting_makes_chinese_the_default(calm: RunningService) -> None:
    settings = ApiSettings(status_page="public", status_lang="zh")
    assert ApiSettings().status_lang == "en"
    app = FastAPI()  # the calm service's hub, behind a router with status_lang: zh
    app.include_router(status_router(calm.hub.config, calm.hub, {}, None, settings))

    async def get(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://status.test") as client:
            return await client.get(path, headers=headers)

    r = asyncio.run(get(f"/status/site/{SITE}"))
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.text
    assert "PUE 限值" in r.text and "本进程未运行告警" in r.text
    assert not any("lang=" in u for u in internal_links(r.text))
    assert '<html lang="en">' in asyncio.run(get("/status?lang=en")).text
    assert '<html lang="en">' in asyncio.run(get("/status", {"Accept-Language": "en-GB"})).text
    with pytest.raises(ConfigError) as err:
        parse_config({"api": {"status_lang": "fr"}}, "site.yaml")
    assert [p.key for p in err.value.problems] == ["api.status_lang"]


def test_links_keep_an_explicit_language(strict: RunningService) -> None:
    for path in ("/status", f"/status/site/{SITE}", f"/status/rack/{SITE}/r01"):
        r, _ = page(strict, f"{path}?lang=zh")
        links = internal_links(r.text)
        assert links, path
        assert all(u.endswith("?lang=zh") for u in links), (path, links)
        assert '<a class="lang-switch" href="?lang=en"' in r.text
    city, _ = page(strict, "/status?lang=zh")
    assert f'href="/status/site/{SITE}?lang=zh"' in city.text
    assert f'href="/status/rack/{SITE}/r02?lang=zh"' in city.text  # from the alert table
    site, _ = page(strict, f"/status/site/{SITE}?lang=zh")
    assert f'href="/status/rack/{SITE}/r01?lang=zh"' in site.text
    missing = httpx.get(url(strict, "/status/site/nowhere?lang=zh"), headers=AUTH, timeout=10)
    assert missing.status_code == 404 and '<html lang="zh-CN">' in missing.text
    assert "没有数据中心 &#x27;nowhere&#x27;" in missing.text
    assert f'href="/status/site/{SITE}?lang=zh"' in missing.text
    assert 'href="/status?lang=zh">返回全市总览' in missing.text


def test_breach_markers_are_the_same_in_both_languages(strict: RunningService) -> None:
    for path in ("/status", f"/status/site/{SITE}", f"/status/rack/{SITE}/r02"):
        for _ in range(5):
            en, res_en = page(strict, path)
            zh, res_zh = page(strict, f"{path}?lang=zh")
            if res_en.computed == res_zh.computed:
                break
        else:
            pytest.fail("the results changed under every pair of requests")
        assert markers(en.text) == markers(zh.text), path
        assert "<script" not in zh.text.lower()


def test_city_breach_row_and_badge_in_chinese(strict: RunningService) -> None:
    r, _ = page(strict, "/status?lang=zh")
    tags = re.findall(r'<[^>]*class="[^"]*\bbreach\b[^"]*"[^>]*>', r.text)
    assert tags and all(f'data-site="{SITE}"' in tag for tag in tags)
    assert f'<tr class="site breach" data-site="{SITE}" data-breach="true"' in r.text
    assert f'class="badge breach" data-site="{SITE}" data-window="live"' in r.text


def test_login_form_in_the_chosen_language(strict: RunningService) -> None:
    r = httpx.get(url(strict, f"/status/site/{SITE}?lang=zh"), timeout=10)
    assert r.status_code == 401 and '<html lang="zh-CN">' in r.text
    assert "<h1>登录</h1>" in r.text and "令牌" in r.text
    assert '<form class="login" method="post" action="/status/login?lang=zh">' in r.text
    assert f'name="next" value="/status/site/{SITE}"' in r.text
    body = r.text.replace(f'value="/status/site/{SITE}"', "")
    for secret in ("r01", "r02", SITE, SITE_NAME, "kW", "pdu-"):
        assert secret not in body
    by_header = httpx.get(url(strict, "/status"), headers={"Accept-Language": "zh"}, timeout=10)
    assert by_header.status_code == 401 and "<h1>登录</h1>" in by_header.text
    assert 'action="/status/login"' in by_header.text
    wrong = httpx.post(url(strict, "/status/login?lang=zh"),
                       data={"token": "wrong-token-0123456789abcdef"}, timeout=10)
    assert wrong.status_code == 401 and 'role="alert">令牌无效<' in wrong.text
    ok = httpx.post(url(strict, "/status/login?lang=zh"),
                    data={"token": TOKEN, "next": f"/status/site/{SITE}"}, timeout=10)
    assert ok.status_code == 303 and ok.headers["location"] == f"/status/site/{SITE}?lang=zh"
    out = httpx.post(url(strict, "/status/logout?lang=zh"), timeout=10)
    assert out.status_code == 303 and out.headers["location"] == "/status?lang=zh"
    with httpx.Client(base_url=url(strict, ""), timeout=10) as client:
        client.post("/status/login?lang=zh", data={"token": TOKEN})
        page_zh = client.get("/status?lang=zh")
        assert 'action="/status/logout?lang=zh"><button type="submit">退出登录' in page_zh.text


@pytest.mark.parametrize("query", ["?lang=fr", "?lang=", "?lang=zh-TW%3Cx%3E"])
def test_an_unknown_lang_falls_back(strict: RunningService, query: str) -> None:
    r, _ = page(strict, f"/status{query}")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert not any("lang=" in u for u in internal_links(r.text))
    assert "<x>" not in r.text and "zh-TW" not in r.text
    zh, _ = page(strict, f"/status{query}", headers=ZH)
    assert zh.status_code == 200 and '<html lang="zh-CN">' in zh.text


@pytest.mark.parametrize(("header", "lang"), [
    ("zh-CN,zh;q=0.9", "zh"), ("zh-Hans", "zh"), ("ZH-tw", "zh"), ("en-US,en;q=0.9", "en"),
    ("en;q=0.5, zh;q=0.8", "zh"), ("de-DE, fr", None), ("zh;q=0", None), ("zhx", None),
    ("", None), ("*", None), ("en;q=abc, zh", "zh")])
def test_accept_language_parsing(header: str, lang: str | None) -> None:
    assert status_i18n.from_accept(header) == lang
    assert status_i18n.choose("zh", header, "en") == ("zh", True)
    assert status_i18n.choose("xx", header, "zh") == (lang or "zh", False)


# ------------------------------------------------ Chinese throughout, basis, phone, time zone

#: Words of the engine's reasons, flags and policy classes: none may remain in a Chinese page.
REASON_WORDS = frozenset([
    "coverage", "withheld", "meters", "declared", "energy", "below", "minimum", "exceeds",
    "facility", "fails", "carries", "against", "derated", "history", "peak", "peaks", "rating",
    "breaker", "readings", "daily", "needed", "spread", "trend", "growing", "rising",
    "unmetered", "stale", "inputs", "flags", "occupancy", "checked", "pair", "low_coverage",
    "new_large", "legacy", "hub_cluster", "cold_region", "metering_fault", "not_checked",
    "no_rating", "no_u_space", "peak_from_energy", "current_derived", "no_power_data",
    "unmetered_racks", "unrated_racks", "basis_now", "basis_peak", "basis_p95",
    "cooling_unit_no_data", "scaling", "measured"])


def visible_words(html: str) -> set[str]:
    """ASCII words of 4+ letters a reader sees: text and titles, not styles or data- attributes."""
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    titles = " ".join(re.findall(r'\btitle="([^"]*)"', body))
    shown = re.sub(r"<[^>]+>", " ", body) + " " + titles
    return {w.lower() for w in re.findall(r"[A-Za-z_]{4,}", shown)}


def test_chinese_pages_and_report_leave_no_reason_in_english(strict: RunningService) -> None:
    views = ["/status", f"/status/site/{SITE}", f"/status/rack/{SITE}/r01",
             f"/status/rack/{SITE}/r02"]
    for view in views:
        r, _ = page(strict, view + "?lang=zh")
        left = visible_words(r.text) & REASON_WORDS
        assert not left, (view, sorted(left))
        en, _ = page(strict, view + "?lang=en")
        assert "Occupancy (上架率)" not in en.text
    # the English page keeps the engine's own reasons: the same words are there in English
    en, _ = page(strict, "/status?lang=en")
    assert visible_words(en.text) & {"coverage", "below", "minimum"}
    report = httpx.get(url(strict, f"/api/v1/reports/capacity?lang=zh&site={SITE}"),
                       headers=AUTH, timeout=30)
    assert report.status_code == 200 and "上架率" in report.text
    left = visible_words(report.text) & REASON_WORDS
    assert not left, sorted(left)
    report_en = httpx.get(url(strict, "/api/v1/reports/capacity?lang=en"), headers=AUTH,
                          timeout=30)
    assert "上架率" not in report_en.text and ">Occupancy<" in report_en.text.replace(
        "<b>", "<").replace('<div class="kpi">', ">")


def test_policy_class_and_flags_in_chinese(strict: RunningService) -> None:
    r, _ = page(strict, "/status?lang=zh")
    cell = find(r'<td class="l" data-class="new_large"[^>]*>([^<]*)</td>', r.text, 1)
    assert cell == "新建大型及以上数据中心"
    en, _ = page(strict, "/status?lang=en")
    assert find(r'<td class="l" data-class="new_large"[^>]*>([^<]*)</td>', en.text, 1) == \
        "new_large"
    site, _ = page(strict, f"/status/site/{SITE}?lang=zh")
    flags = re.findall(r'<span class="flags" data-flags="([^"]*)">([^<]*)</span>', site.text)
    for codes, shown in flags:
        assert shown.split("：")[-1] and not set(codes.split()) & set(shown.split())


def test_rack_colours_follow_the_rack_alert(strict: RunningService) -> None:
    """The live utilisation is coloured by the rack alert's thresholds: a rack is amber or red
    now exactly when the rack alert is active (pending or firing) for it, and every figure
    names its basis."""
    r, res = page(strict, f"/status/site/{SITE}?lang=en")
    active = set(re.findall(r'data-alertname="DcmonRackOverUtilised"[^>]*data-rack="([^"]*)"',
                            r.text))
    assert res.capacity is not None
    racks = {rk.rack: rk for ro in res.capacity.sites[0].rooms for rk in ro.racks}
    for rack, rk in racks.items():
        row = element(r.text, "tr.rack", rack=rack)
        now_level = find(r'data-level-now="([a-z]+)"', row, 1)
        assert rk.now_kw is not None and rk.rated_kw is not None
        ratio = rk.now_kw / rk.rated_kw
        expected = "critical" if ratio > 0.95 else "warning" if ratio > 0.8 else "ok"
        assert now_level == expected, (rack, ratio, now_level)
        # the alert evaluates its own live reading; away from the threshold both agree
        if abs(ratio - 0.8) > 0.03:
            assert (now_level != "ok") == (rack in active), (rack, ratio, active)
        assert '<span class="basis">now</span>' in row
        basis = re.findall(r'<td class="util">.*?<span class="basis">([^<]*)</span>', row)
        assert basis == (["now"] if rk.basis == "now" else [f"{rk.basis} 30 d"]), (basis, row)
    assert "Colours follow the alert rules" in r.text
    zh, _ = page(strict, f"/status/site/{SITE}?lang=zh")
    assert '<span class="basis">当前</span>' in zh.text and "颜色与告警规则一致" in zh.text


def test_tables_scroll_on_a_phone(calm: RunningService, tmp_path: Path) -> None:
    """At 420 px every table sits in a sideways-scrolling box and the page is fluid (no
    script is allowed, so the rules are asserted and a screenshot kept as an artifact)."""
    r = httpx.get(url(calm, f"/status/site/{SITE}?lang=zh"), timeout=10)
    assert r.status_code == 200
    assert ".scroll{overflow-x:auto;max-width:100%" in r.text
    assert "@media (max-width:600px)" in r.text and "svg.chart{max-width:100%" in r.text
    tables = r.text.count("<table")
    assert tables >= 3 and r.text.count('<div class="scroll"><table') == tables
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in r.text
    browser = chromium()
    if browser is None:
        unavailable("chromium not installed: run scripts/install-test-deps.sh")
    d = Path(os.environ.get("DCMON_ARTIFACT_DIR", ROOT / "test-artifacts"))
    d.mkdir(parents=True, exist_ok=True)
    shot = d / "status-page-420px.png"
    shot.unlink(missing_ok=True)
    args = [*chromium_args(browser), f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*args, "--window-size=420,1600", f"--screenshot={shot}",
                    url(calm, f"/status/site/{SITE}?lang=zh")],
                   capture_output=True, timeout=120, check=False)
    assert shot.exists() and shot.stat().st_size > 10_000, "no (or a blank) screenshot"
    width = int.from_bytes(shot.read_bytes()[16:20], "big")  # the PNG header's width
    assert width == 420


def test_display_time_zone(tmp_path: Path) -> None:
    assert str(ApiSettings(display_tz="Asia/Shanghai").zone()) == "Asia/Shanghai"
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Base'"):
        ApiSettings(display_tz="Mars/Base")
    frame = Frame(lang="zh", tz=ZoneInfo("Asia/Shanghai"))
    assert frame.when(0.0) == "1970-01-01 08:00:00 Asia/Shanghai"
    assert frame.short(0.0) == "1970-01-01 08:00"
