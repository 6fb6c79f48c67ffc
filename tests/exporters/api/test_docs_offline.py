"""/api/v1/docs works in an air-gapped data centre: Swagger UI comes from dcmon, not a CDN.

Over real HTTP on 127.0.0.1: the page references no other host, every asset it names is served
by dcmon, and headless Chromium, with every other host unreachable, runs Swagger UI.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from dcmon.exporters.reports.capacity import chromium, chromium_args
from tests.support.auth_proxy import auth_proxy
from tests.support.capacity_api import READ_TOKEN, RunningApi, running_api
from tests.support.snmpsim import unavailable

AUTH = {"Authorization": f"Bearer {READ_TOKEN}"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api("unmetered_rack", tmp_path_factory.mktemp("api-docs")) as a:
        yield a


def _page(api: RunningApi) -> str:
    r = httpx.get(f"{api.url}/api/v1/docs", headers=AUTH, timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    return r.text


def test_docs_page_references_no_external_host(api: RunningApi) -> None:
    html = _page(api)
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+", html, re.I) == []
    refs = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
    assert sorted(refs) == ["/api/v1/docs/static/favicon.png",
                            "/api/v1/docs/static/swagger-ui-bundle.js",
                            "/api/v1/docs/static/swagger-ui.css", "/api/v1/openapi.json"]
    assert '"validatorUrl": null' in html  # no call to the online validator either


def test_every_asset_is_served_by_dcmon(api: RunningApi) -> None:
    html = _page(api)
    for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
        url = urljoin(f"{api.url}/api/v1/docs", ref)
        assert urlsplit(url).netloc == urlsplit(api.url).netloc
        r = httpx.get(url, timeout=10)
        assert r.status_code == 200, ref
        assert len(r.content) > 1000, ref
    js = httpx.get(f"{api.url}/api/v1/docs/static/swagger-ui-bundle.js", timeout=10)
    assert "SwaggerUIBundle" in js.text and "javascript" in js.headers["content-type"]
    assert httpx.get(f"{api.url}/api/v1/docs/static/swagger-ui.css",
                     timeout=10).headers["content-type"].startswith("text/css")
    spec = httpx.get(f"{api.url}/api/v1/openapi.json", headers=AUTH, timeout=10).json()
    assert spec["info"]["title"] == "dcmon API"
    assert "/api/v1/docs" not in spec["paths"]  # the page is not an API operation


def test_docs_render_with_the_outside_world_unreachable(api: RunningApi, tmp_path: Path) -> None:
    browser = chromium()
    if browser is None:
        unavailable("chromium not installed: run scripts/install-test-deps.sh")
    # Every host but loopback goes through a proxy that does not exist: a CDN fetch would fail.
    with auth_proxy(api.url, READ_TOKEN) as gateway:  # the browser's token, as a gateway adds it
        args = [*chromium_args(browser), f"--user-data-dir={tmp_path / 'profile'}",
                "--proxy-server=http://127.0.0.1:9", "--virtual-time-budget=10000",
                "--dump-dom", f"{gateway}/api/v1/docs"]
        dom = subprocess.run(args, capture_output=True, text=True, timeout=120,
                             check=False).stdout
    assert 'class="swagger-ui"' in dom, dom[:2000]
    assert re.search(r'<h[12] class="title">dcmon API', dom), dom[:3000]  # from openapi.json
    assert all(f"/api/v1/{p}" in dom for p in ("city", "sites", "racks", "pue", "alerts"))
