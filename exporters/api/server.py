"""Running the API inside ``dcmon run`` and ``dcmon demo``: uvicorn on a thread of its own.

A thread, not a task on the service's loop: uvicorn installs its own SIGTERM/SIGINT handlers
when it serves on the main thread, which would take the signals from ``dcmon run``'s clean
shutdown; on another thread it installs none. The socket is bound here, before the thread
starts, so "address in use" is an error the caller sees (not a log line in a dying thread), and
port 0 works for tests. Handlers only read immutable results and the thread-safe Snapshot.

uvicorn serves a small forwarding app, so a reloaded inventory (new tokens, sites, status page
settings) swaps the FastAPI application in place without closing the socket.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from typing import Any

import uvicorn
from fastapi import FastAPI

from dcmon.config.api import resolve_tokens
from dcmon.config.resolved import Config
from dcmon.engine.results import ResultsHub
from dcmon.engine.tenants.statement import GridFactor
from dcmon.exporters.api.app import AlertSource, create_app
from dcmon.exporters.api.ops import Reload

log = logging.getLogger("dcmon.exporters.api")


def bind(listen: str) -> socket.socket:
    """A listening TCP socket on HOST:PORT (IPv6 when the host is one)."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, int(port)))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"API cannot listen on {listen}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _Forward:
    """The ASGI app uvicorn holds: forwards to the current application."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class ApiServer:
    """One uvicorn server on a daemon thread; ``stop()`` ends it and joins the thread."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        self.sock = sock
        self._forward = _Forward(app)
        # log_config=None: uvicorn's records go through dcmon's handler (and --log-format).
        cfg = uvicorn.Config(self._forward, log_level="warning", access_log=False,
                             lifespan="off", timeout_graceful_shutdown=3, interface="asgi3",
                             log_config=None)
        self.server = uvicorn.Server(cfg)
        self.thread = threading.Thread(target=self._run, name="dcmon-api", daemon=True)

    def _run(self) -> None:
        self.server.run(sockets=[self.sock])

    @property
    def host(self) -> str:
        return str(self.sock.getsockname()[0])

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def swap(self, app: Any) -> None:
        """Serve ``app`` from the next request on (requests in flight finish on the old)."""
        self._forward.app = app

    def start(self, timeout: float = 10.0) -> ApiServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.sock.close()


def build_app(config: Config, hub: ResultsHub, *, alerts: AlertSource | None = None,
              reload: Reload | None = None, grid_factor: GridFactor | None = None
              ) -> tuple[FastAPI | None, bool]:
    """The application for ``config`` and whether it has tokens; None when the API is off
    (disabled, or no token and no public status page)."""
    settings = config.model.api
    if not settings.enabled:
        return None, False
    tokens = resolve_tokens(settings, config.base)  # env and file tokens are read now
    if not tokens and settings.status_page != "public":
        return None, False
    return create_app(config, hub, tokens, alerts=alerts, reload=reload,
                      grid_factor=grid_factor), bool(tokens)


def start_api(config: Config, hub: ResultsHub, *, listen: str | None = None,
              alerts: AlertSource | None = None, reload: Reload | None = None,
              grid_factor: GridFactor | None = None) -> ApiServer | None:
    """Start the API when enabled with at least one readable token (or a public status page);
    None otherwise (logged). ``grid_factor``: the tenant statements' CO2 (docs/tenants.md)."""
    settings = config.model.api
    app, tokens = build_app(config, hub, alerts=alerts, reload=reload, grid_factor=grid_factor)
    if app is None:
        if settings.enabled:
            log.info("API off: no tokens in the inventory's api.tokens (docs/api.md)")
        return None
    public = settings.status_page == "public"
    server = ApiServer(app, bind(listen or settings.listen)).start()
    if tokens:
        log.info("API on %s/api/v1 (OpenAPI: %s/api/v1/openapi.json)", server.url, server.url)
    else:
        log.info("API routes refuse every request: no tokens in api.tokens (docs/api.md)")
    if settings.status_page != "off":
        log.info("status page on %s/status (%s)", server.url, settings.status_page)
    if public:
        log.warning("the status page is public (api.status_page: public): anyone who can "
                    "reach %s sees site and rack names and power", server.url)
    return server
