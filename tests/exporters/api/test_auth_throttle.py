"""Wrong tokens are throttled per client address, over real HTTP on 127.0.0.1 (uvicorn).

Each test runs its own server (a throttle of its own) with ``api.auth_failure_window_s: 3`` so
the window passes quickly: 20 wrong tokens are answered 401, the next ones 429 with
Retry-After; a valid token from the same address still gets 200 at once; another address
(127.0.0.2, also loopback) is not affected; the burst is logged once; after the window a wrong
token gets 401 again. The status page's login form and cookie count the same way.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dcmon.exporters.api.status.routes import COOKIE
from tests.support.capacity_api import (
    ADMIN_TOKEN,
    READ_TOKEN,
    RunningApi,
    case_config,
    running_api,
)

LIMIT, WINDOW = 20, 3.0
WRONG = "wrong-token-0123456789abcdef"
THROTTLE_LOG = "dcmon.exporters.api.throttle"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[RunningApi]:
    cfg = case_config("unmetered_rack", tmp_path, auth_failures=LIMIT,
                      auth_failure_window_s=WINDOW)
    with running_api("unmetered_rack", tmp_path, config=cfg) as a:
        yield a


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def burst(client: httpx.Client, n: int = 50) -> list[httpx.Response]:
    return [client.get("/api/v1/racks", headers=bearer(WRONG)) for _ in range(n)]


def throttle_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == THROTTLE_LOG]


def test_fifty_wrong_tokens_get_429_and_the_valid_token_still_works(
        api: RunningApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="dcmon")
    with httpx.Client(base_url=api.url, timeout=10) as client:
        got = burst(client)
        assert Counter(r.status_code for r in got) == {401: LIMIT, 429: 50 - LIMIT}
        assert all(r.status_code == 401 for r in got[:LIMIT])  # the first 20 are plain 401s
        last = got[-1]
        assert last.json()["detail"].startswith("too many wrong tokens from this address")
        assert 1 <= int(last.headers["retry-after"]) <= WINDOW
        # The valid token is neither refused nor delayed (compare: a 429 answer just now).
        started = time.monotonic()
        ok = client.get("/api/v1/racks", headers=bearer(READ_TOKEN))
        assert ok.status_code == 200 and ok.json()["total"] == 3
        assert time.monotonic() - started < 0.5
        assert client.post("/api/v1/admin/recompute",
                           headers=bearer(ADMIN_TOKEN)).status_code == 200
        # No credential at all is no guess: still the plain 401.
        assert client.get("/api/v1/racks").status_code == 401
        # Another route, same address: the throttle is per address, not per route.
        assert client.get("/api/v1/city", headers=bearer(WRONG)).status_code == 429
    lines = throttle_lines(caplog)
    assert len(lines) == 1, lines  # once per burst, not per request
    assert "127.0.0.1" in lines[0] and WRONG not in caplog.text


def test_another_address_is_not_throttled(api: RunningApi) -> None:
    with httpx.Client(base_url=api.url, timeout=10) as client:
        assert burst(client)[-1].status_code == 429
    other = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(base_url=api.url, timeout=10, transport=other) as client:
        assert client.get("/api/v1/racks", headers=bearer(WRONG)).status_code == 401


def test_after_the_window_a_wrong_token_gets_401_again(
        api: RunningApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="dcmon")
    with httpx.Client(base_url=api.url, timeout=10) as client:
        wait = int(burst(client)[-1].headers["retry-after"])
        time.sleep(wait + 0.1)
        again = client.get("/api/v1/racks", headers=bearer(WRONG))
        assert again.status_code == 401 and again.json()["detail"] == "invalid bearer token"
        # Once a whole window passes without failures, the address starts afresh: a new
        # burst gets its 20 plain 401s, then 429 (and is logged again).
        time.sleep(WINDOW + 0.1)
        assert Counter(r.status_code for r in burst(client, LIMIT + 1)) == {401: LIMIT, 429: 1}
    assert len(throttle_lines(caplog)) == 2


def test_status_login_and_cookie_are_throttled_too(
        api: RunningApi, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="dcmon")
    with httpx.Client(base_url=api.url, timeout=10) as client:
        got = [client.post("/status/login", data={"token": WRONG}) for _ in range(50)]
        assert Counter(r.status_code for r in got) == {401: LIMIT, 429: 50 - LIMIT}
        last = got[-1]
        assert 1 <= int(last.headers["retry-after"]) <= WINDOW
        assert "too many wrong tokens from this address" in last.text
        assert 'name="token"' in last.text and "dc1" not in last.text
        # A stale cookie is a wrong credential too; the bearer API shares the count.
        page = client.get("/status", headers={"Cookie": f"{COOKIE}={WRONG}"})
        assert page.status_code == 429 and 'name="token"' in page.text
        assert client.get("/api/v1/racks", headers=bearer(WRONG)).status_code == 429
        # The valid token logs in at once, and the page opens with it.
        ok = client.post("/status/login", data={"token": READ_TOKEN})
        assert ok.status_code == 303
        assert client.get("/status", headers=bearer(READ_TOKEN)).status_code == 200
    refused = [r for r in caplog.records if "refused a login" in r.getMessage()]
    assert len(refused) == LIMIT  # the throttled ones are not logged one by one
    assert len(throttle_lines(caplog)) == 1 and WRONG not in caplog.text
