"""The OpenAPI document and the docs page need a token, over real HTTP on 127.0.0.1.

Like every route but ``/api/v1/health``: a bearer token (read scope is enough), or, for a
browser, the status page's login cookie, which the login sets for /status and /api/v1.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from dcmon.exporters.api.status.routes import COOKIE
from tests.support.capacity_api import ADMIN_TOKEN, READ_TOKEN, RunningApi, running_api

DOCS = ("/api/v1/openapi.json", "/api/v1/docs")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    with running_api("unmetered_rack", tmp_path_factory.mktemp("docs")) as a:
        yield a


@pytest.mark.parametrize("path", DOCS)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-0123456789ab"},
                                     {"Authorization": f"Basic {READ_TOKEN}"},
                                     {"Cookie": f"{COOKIE}=wrong-token-0123456789ab"}])
def test_no_document_without_a_token(api: RunningApi, path: str,
                                     headers: dict[str, str]) -> None:
    r = httpx.get(api.url + path, headers=headers, timeout=10)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert "/api/v1/racks" not in r.text and "swagger" not in r.text.lower()


@pytest.mark.parametrize("token", [READ_TOKEN, ADMIN_TOKEN])
def test_a_bearer_token_opens_both(api: RunningApi, token: str) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    doc = httpx.get(f"{api.url}/api/v1/openapi.json", headers=auth, timeout=10)
    assert doc.status_code == 200 and doc.headers["cache-control"] == "no-store"
    paths = doc.json()["paths"]
    assert "/api/v1/racks" in paths
    assert not set(DOCS) & set(paths)  # the document does not list itself
    assert "429" in paths["/api/v1/racks"]["get"]["responses"]  # the throttle is documented
    page = httpx.get(f"{api.url}/api/v1/docs", headers=auth, timeout=10)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "/api/v1/openapi.json" in page.text and "swagger-ui" in page.text


def test_the_status_login_cookie_opens_them_in_a_browser(api: RunningApi) -> None:
    with httpx.Client(base_url=api.url, timeout=10) as browser:
        login = browser.post("/status/login", data={"token": READ_TOKEN})
        assert login.status_code == 303
        paths = {c.path for c in browser.cookies.jar if c.name == COOKIE}
        assert paths == {"/status", "/api/v1"}
        for path in DOCS:
            assert browser.get(path).status_code == 200, path
        assert browser.get("/api/v1/openapi.json").json()["info"]["title"] == "dcmon API"
        # The cookie opens the docs, not the data: the API's routes want the bearer header.
        assert browser.get("/api/v1/racks").status_code == 401
        browser.post("/status/logout")
        assert not list(browser.cookies.jar)
        assert browser.get("/api/v1/openapi.json").status_code == 401


def test_health_stays_open(api: RunningApi) -> None:
    assert httpx.get(f"{api.url}/api/v1/health", timeout=10).status_code == 200
