"""The metrics listener: ``/metrics``, ``/-/healthy`` and ``/-/ready``, and 404 for the rest.

prometheus_client's ``start_http_server`` answers every path with the metrics, so a typo'd
probe (``/healthz``) looks healthy and a load balancer cannot tell a starting dcmon from a
ready one. This small server answers only what it knows, like Prometheus and snmp_exporter:

- ``/metrics``: the exposition (gzip when accepted). With a :class:`FastExposition`, device
  samples come from the per-device cache (:mod:`.exposition`) and ``?site=NAME`` narrows them
  to one site, ``?part=results`` serves only the engine's results (site PUE, capacity, alerts),
  so a city can be split over scrape jobs; a scraper that accepts only OpenMetrics gets it from
  the collectors (slower at city scale);
- ``/-/healthy``: 200 while the process serves;
- ``/-/ready``: 200 once the service says so (first poll round done, state store answering),
  503 with the reason before;
- anything else: 404; any method but GET and HEAD: 405.

It serves from threads of its own (one per request), so a slow scrape never blocks polling;
collectors only read immutable snapshots. Those threads share the interpreter with the event
loop that polls, so a scrape does little in Python: it takes the cached pieces (each device's
lines, the results rendered at their last run), joins them into blocks of about 1 MB, and
gzips and writes block by block (zlib and the socket let go of the interpreter while they
work). A city's body is never copied whole: a 97 MB scrape used to hold three copies. While a
scrape is served the results job rests (:func:`dcmon.pace.urgent`), so a scrape that meets a
results run is not slowed by it.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import chain
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST, choose_encoder

from dcmon.exporters.prometheus.exposition import ExpositionCache
from dcmon.exporters.prometheus.gzipped import (
    blocks,
    gunzip_member,
    gzip_blocks,
    gzip_member,
    text_size,
)
from dcmon.exporters.prometheus.results import ResultsText
from dcmon.pace import urgent

log = logging.getLogger("dcmon.exporters.prometheus")

#: Returns (ready, why not); the service decides what ready means.
Readiness = Callable[[], tuple[bool, str]]


def _always_ready() -> tuple[bool, str]:
    return True, ""


@dataclass(frozen=True)
class FastExposition:
    """Cached device samples, the cached results families, and the small registry of what
    changes between results runs (alerts delivered, reloads, InfluxDB), in the text format."""

    devices: ExpositionCache
    results: ResultsText
    live: CollectorRegistry

    def plain(self, site: str | None, part: str | None) -> Body:
        """The text body's length and its text in blocks, made as they are written: devices
        (all, or one site's), then the results."""
        parts: list[Body] = [] if part == "results" else [self.devices.plain(site)]
        if site is None or part == "results":
            members = self.results.members()
            live = generate_latest(self.live)
            parts += [(sum(map(text_size, members)), map(gunzip_member, members)),
                      (len(live), [live])]
        return _joined(parts)

    def gzipped(self, site: str | None, part: str | None) -> Body:
        """The same body as gzip members: the results are kept compressed already."""
        parts: list[Body] = [] if part == "results" else [self.devices.gzipped(site)]
        if site is None or part == "results":
            members = self.results.members()
            live = gzip_blocks([generate_latest(self.live)])
            parts += [(sum(map(len, members)), members), (sum(map(len, live)), live)]
        return _joined(parts)

    def body(self, site: str | None, part: str | None) -> bytes:
        return b"".join(self.plain(site, part)[1])


#: A body's length and its bytes in pieces, written as they come.
Body = tuple[int, Iterable[bytes]]


def _joined(parts: list[Body]) -> Body:
    return sum(n for n, _ in parts), chain.from_iterable(it for _, it in parts)


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _takes_text(accept: str) -> bool:
    """The Prometheus text format is acceptable (Prometheus always lists it)."""
    return not accept or "text/plain" in accept or "*/*" in accept


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _refuse(self) -> None:
        self._send(405, b"method not allowed: use GET\n", "text/plain; charset=utf-8",
                   head=False, extra={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

    def _answer(self, head: bool) -> None:
        path = urlsplit(self.path).path
        text = "text/plain; charset=utf-8"
        if path == "/metrics":
            with urgent():  # the results job makes way (dcmon.pace)
                self._metrics(head, parse_qs(urlsplit(self.path).query))
        elif path == "/-/healthy":
            self._send(200, b"dcmon is Healthy.\n", text, head)
        elif path == "/-/ready":
            ready, why = self.server.readiness()
            if ready:
                self._send(200, b"dcmon is Ready.\n", text, head)
            else:
                self._send(503, f"dcmon is not ready: {why}\n".encode(), text, head)
        else:
            self._send(404, b"not found: dcmon serves /metrics, /-/healthy and /-/ready\n",
                       text, head)

    def _metrics(self, head: bool, query: dict[str, list[str]]) -> None:
        accept = self.headers.get("Accept", "")
        fast = self.server.fast
        gz = "gzip" in self.headers.get("Accept-Encoding", "")
        extra: dict[str, str] = {"Content-Encoding": "gzip"} if gz else {}
        try:
            if fast is not None and _takes_text(accept):
                content_type = CONTENT_TYPE_LATEST
                site, part = _first(query, "site"), _first(query, "part")
                body = fast.gzipped(site, part) if gz else fast.plain(site, part)
                if gz and not body[0]:  # an empty body is not gzip: Go's reader fails on it
                    empty = gzip_member(b"")
                    body = (len(empty), [empty])
            else:
                encoder, content_type = choose_encoder(accept)
                text = encoder(self.server.registry)
                pieces = gzip_blocks([text]) if gz else [text]
                body = (sum(map(len, pieces)), pieces)
        except Exception:  # a collector's fault: say so, keep serving
            log.exception("a metrics collector failed")
            self._send(500, b"collecting metrics failed; see dcmon's log\n",
                       "text/plain; charset=utf-8", head)
            return
        self._send(200, body, content_type, head, extra)

    def _send(self, code: int, body: bytes | Body, content_type: str, head: bool,
              extra: dict[str, str] | None = None) -> None:
        """Answer with ``body``: its pieces are written in blocks as they are made, never
        joined whole."""
        size, pieces = (len(body), [body]) if isinstance(body, bytes) else body
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(size))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            for block in blocks(pieces):
                self.wfile.write(block)

    def log_message(self, format: str, *args: object) -> None:
        """No access log: a scrape every 15 s is not news."""


class MetricsServer(ThreadingHTTPServer):
    """The listener on ``exporters.prometheus.listen``, on a daemon thread."""

    daemon_threads = True

    def __init__(self, host: str, port: int, registry: CollectorRegistry,
                 readiness: Readiness = _always_ready, fast: FastExposition | None = None
                 ) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)
        self.registry = registry
        self.readiness = readiness
        self.fast = fast
        self.thread = threading.Thread(target=self.serve_forever, name="dcmon-metrics",
                                       daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start(self) -> MetricsServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)
