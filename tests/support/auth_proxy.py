"""An HTTP proxy on 127.0.0.1 that adds a bearer token to every GET it forwards.

For a browser test of pages that need a token: headless Chromium cannot send a header, so it
talks to this proxy (as a user behind an authenticating gateway would), and the proxy talks to
dcmon with ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_BY_HOP = {"connection", "transfer-encoding", "content-encoding", "content-length"}


@contextmanager
def auth_proxy(upstream: str, token: str) -> Iterator[str]:
    """Yield the proxy's base URL; every GET goes to ``upstream`` with the token added."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            r = httpx.get(upstream + self.path, headers={"Authorization": f"Bearer {token}"},
                          timeout=10)
            self.send_response(r.status_code)
            for k, v in r.headers.items():
                if k.lower() not in HOP_BY_HOP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
