"""The metrics listener over real HTTP on 127.0.0.1: only /metrics, /-/healthy and /-/ready.

prometheus_client's own server answered every path with the metrics; this one must answer
404 for anything else, 503 on /-/ready until the service says it is ready, and keep what
scrapers rely on (OpenMetrics on request, gzip when accepted, HEAD).
"""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dcmon.exporters.prometheus.http import MetricsServer


class Switch:
    def __init__(self) -> None:
        self.ready = False

    def __call__(self) -> tuple[bool, str]:
        return self.ready, "" if self.ready else "first poll round: 3 devices not polled yet"


@pytest.fixture()
def served() -> Iterator[tuple[MetricsServer, Switch]]:
    reg = CollectorRegistry()
    Gauge("dcmon_test_value", "A test gauge", registry=reg).set(42)
    switch = Switch()
    server = MetricsServer("127.0.0.1", 0, reg, switch).start()
    try:
        yield server, switch
    finally:
        server.stop()


def fetch(server: MetricsServer, path: str, method: str = "GET",
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_metrics_are_served_in_the_text_format(served: tuple[MetricsServer, Switch]) -> None:
    status, headers, body = fetch(served[0], "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "dcmon_test_value 42.0" in body.decode()


def test_openmetrics_and_gzip_when_asked(served: tuple[MetricsServer, Switch]) -> None:
    status, headers, body = fetch(served[0], "/metrics", headers={
        "Accept": "application/openmetrics-text; version=1.0.0",
        "Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Content-Type"].startswith("application/openmetrics-text")
    text = gzip.decompress(body).decode()
    assert "dcmon_test_value 42.0" in text and text.endswith("# EOF\n")


def test_ready_is_503_until_the_service_is_ready(served: tuple[MetricsServer, Switch]) -> None:
    server, switch = served
    status, _, body = fetch(server, "/-/ready")
    assert (status, body) == (503, b"dcmon is not ready: first poll round: 3 devices not "
                                   b"polled yet\n")
    switch.ready = True
    assert fetch(server, "/-/ready")[::2] == (200, b"dcmon is Ready.\n")
    assert fetch(server, "/-/healthy")[::2] == (200, b"dcmon is Healthy.\n")


@pytest.mark.parametrize("path", ["/", "/nope", "/metricsx", "/metrics/", "/-/reload",
                                  "/-/healthy/x", "/favicon.ico"])
def test_every_other_path_is_404(served: tuple[MetricsServer, Switch], path: str) -> None:
    status, _, body = fetch(served[0], path)
    assert status == 404 and b"dcmon_test_value" not in body


def test_query_strings_are_ignored_and_head_has_no_body(
        served: tuple[MetricsServer, Switch]) -> None:
    assert fetch(served[0], "/metrics?x=1")[0] == 200
    status, headers, body = fetch(served[0], "/metrics", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_other_methods_are_refused(served: tuple[MetricsServer, Switch]) -> None:
    status, headers, _ = fetch(served[0], "/metrics", method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"


class Broken(Collector):
    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("dcmon_fine", "fine", value=1)
        raise RuntimeError("boom")


def test_a_failing_collector_is_a_500_and_the_server_keeps_serving() -> None:
    reg = CollectorRegistry()
    reg.register(Broken())
    server = MetricsServer("127.0.0.1", 0, reg).start()
    try:
        assert fetch(server, "/metrics")[0] == 500
        assert fetch(server, "/-/healthy")[0] == 200
    finally:
        server.stop()
