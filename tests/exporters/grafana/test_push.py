"""``dcmon dashboards push`` through grafana-client against a local stand-in for Grafana's API.

No Grafana server can be installed here, so a small HTTP server on 127.0.0.1 plays the two
endpoints the push uses (``/api/folders`` and ``/api/dashboards/db``), answers as Grafana 11
does, and records every request: the test checks what reaches the wire (the dashboard uid,
title and panels, ``overwrite``, the folder, the Authorization header), not our own objects.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.alert_servers import free_port
from tests.support.snmpsim import unavailable

try:
    from dcmon.exporters.grafana.build import build_all
    from dcmon.exporters.grafana.push import PushError, folder_uid, public_url, push
except ImportError:  # pragma: no cover - the dev extra installs both
    unavailable("grafana-foundation-sdk / grafana-client not installed: pip install -e '.[dev]'")

TOKEN = "glsa_test-token-0123456789"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGrafana:
    """Folders and dashboards kept in memory, guarded by one expected Authorization value."""

    auth: str
    requests: list[Seen] = field(default_factory=list)
    folders: dict[str, str] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    url: str = ""

    def answer(self, seen: Seen) -> tuple[int, Any]:
        self.requests.append(seen)
        if seen.headers.get("authorization") != self.auth:
            return 401, {"message": "Unauthorized"}
        if seen.method == "GET" and seen.path.startswith("/api/folders/"):
            uid = seen.path.rsplit("/", 1)[1]
            if uid not in self.folders:
                return 404, {"message": "folder not found", "status": "not-found"}
            return 200, {"uid": uid, "title": self.folders[uid]}
        if seen.method == "POST" and seen.path == "/api/folders":
            self.folders[seen.body["uid"]] = seen.body["title"]
            return 200, {"uid": seen.body["uid"], "title": seen.body["title"], "id": 7}
        if seen.method == "POST" and seen.path == "/api/dashboards/db":
            uid = seen.body["dashboard"]["uid"]
            self.versions[uid] = self.versions.get(uid, 0) + 1
            return 200, {"id": 1, "uid": uid, "status": "success",
                         "url": f"/d/{uid}/{uid}", "version": self.versions[uid]}
        return 404, {"message": "not found"}


@contextmanager
def fake_grafana(auth: str = f"Bearer {TOKEN}") -> Iterator[FakeGrafana]:
    fake = FakeGrafana(auth)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                        json.loads(raw) if raw else None)
            code, body = fake.answer(seen)
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_push_sends_every_dashboard_with_overwrite_and_token() -> None:
    models = build_all()
    with fake_grafana() as g:
        pushed = push(g.url, models, token=TOKEN, folder="dcmon")
        first = list(g.requests)
        push(g.url, models, token=TOKEN, folder="dcmon")  # again: the folder now exists
        second = g.requests[len(first):]
    assert [(r.method, r.path) for r in first[:2]] == [
        ("GET", "/api/folders/dcmon"), ("POST", "/api/folders")]
    assert first[1].body == {"title": "dcmon", "uid": "dcmon"}
    posts = [r for r in first if r.path == "/api/dashboards/db"]
    assert [p.body["dashboard"]["uid"] for p in posts] == [m["uid"] for m in models.values()]
    for post, model in zip(posts, models.values(), strict=True):
        assert post.method == "POST"
        assert post.headers["authorization"] == f"Bearer {TOKEN}"
        assert post.headers["content-type"].startswith("application/json")
        body = post.body
        assert body["overwrite"] is True and body["folderUid"] == "dcmon"
        assert body["message"].startswith("dcmon ")
        dash = body["dashboard"]
        assert dash["id"] is None  # Grafana matches by uid, not by a stale numeric id
        assert dash["title"] == model["title"] and dash["title"].startswith("dcmon / ")
        assert dash["panels"] == model["panels"] and len(dash["panels"]) >= 6
        assert dash["schemaVersion"] == model["schemaVersion"]
    assert [(p.uid, p.version) for p in pushed] == [(m["uid"], 1) for m in models.values()]
    assert pushed[0].url == f"/d/{pushed[0].uid}/{pushed[0].uid}"
    assert ("POST", "/api/folders") not in [(r.method, r.path) for r in second]
    assert [r.body["dashboard"]["uid"] for r in second if r.body] == list(
        m["uid"] for m in models.values())


def test_push_to_the_general_folder_sends_no_folder() -> None:
    with fake_grafana() as g:
        push(g.url, build_all(), token=TOKEN, folder=None)
    assert all(r.path == "/api/dashboards/db" for r in g.requests)
    assert all("folderUid" not in r.body for r in g.requests)


def test_cli_push_reads_the_token_from_the_environment() -> None:
    with fake_grafana() as g:
        res = CliRunner().invoke(main, ["dashboards", "push", "--url", g.url,
                                        "--folder", "Energy & PUE"],
                                 env={"DCMON_GRAFANA_TOKEN": TOKEN})
    assert res.exit_code == 0, res.output
    assert "6 dashboard(s) pushed to folder 'Energy & PUE'" in res.output
    assert f"dcmon-pue  dcmon / Site PUE compliance v1  {g.url}/d/dcmon-pue/dcmon-pue" \
        in res.output
    assert g.folders == {"energy-pue": "Energy & PUE"}
    assert TOKEN not in res.output


def test_cli_push_basic_auth_from_the_url_never_prints_the_password() -> None:
    basic = "Basic " + base64.b64encode(b"admin:s3cret-pw").decode()
    with fake_grafana(auth=basic) as g:
        url = g.url.replace("http://", "http://admin:s3cret-pw@")
        res = CliRunner().invoke(main, ["dashboards", "push", "--url", url], env={
            "DCMON_GRAFANA_TOKEN": ""})
    assert res.exit_code == 0, res.output
    assert "s3cret-pw" not in res.output and g.url in res.output
    assert {r.headers["authorization"] for r in g.requests} == {basic}


def test_wrong_token_is_a_clear_error() -> None:
    with fake_grafana() as g:
        res = CliRunner().invoke(main, ["dashboards", "push", "--url", g.url,
                                        "--token", "wrong"])
        with pytest.raises(PushError, match="answered 401"):
            push(g.url, build_all(), token="wrong")
    assert res.exit_code == 1
    assert "answered 401" in res.output and "DCMON_GRAFANA_TOKEN" in res.output
    assert "Traceback" not in res.output


def test_unreachable_grafana_is_a_clear_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    res = CliRunner().invoke(main, ["dashboards", "push", "--url", url, "--token", TOKEN])
    assert res.exit_code == 1
    assert f"cannot reach Grafana at {url}" in res.output and TOKEN not in res.output


def test_folder_uid_and_public_url() -> None:
    assert folder_uid("dcmon") == "dcmon"
    assert folder_uid("Energy & PUE") == "energy-pue"
    assert folder_uid("能耗") == "dcmon"
    assert public_url("http://admin:pw@grafana:3000/sub") == "http://grafana:3000/sub"
    assert public_url("https://grafana.example.org") == "https://grafana.example.org"
