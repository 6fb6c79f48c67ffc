"""The InfluxDB exporter without a database: line protocol, config, spool, HTTP failure modes.

The HTTP cases use a tiny server on 127.0.0.1 that answers each write with a status we choose
(VictoriaMetrics accepts everything, so it cannot show a 400, a 413 or a hanging server).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import SecretStr, ValidationError

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.influx import InfluxExporter
from dcmon.errors import ConfigError
from dcmon.exporters.influx.exporter import InfluxWriter
from dcmon.exporters.influx.lineproto import Place, to_line
from dcmon.exporters.influx.metrics import InfluxCollector
from dcmon.exporters.influx.spool import Spool
from dcmon.model import PollResult, Reading, Source
from tests.support.paths import ROOT
from tests.support.snmpsim import unavailable

SRC = Source("snmp")


def _r(value: float = 1.5, ts: float = 1_700_000_000.123, **kw: Any) -> Reading:
    base: dict[str, Any] = dict(device="pdu-1", metric="power", value=value, unit="W",
                                labels={}, ts=ts, source=SRC)
    base.update(kw)
    return Reading(**base)


# ------------------------------------------------------------------ line protocol
def test_line_protocol_tags_fields_and_timestamp() -> None:
    r = _r(230.25, labels={"phase": "L1", "outlet name": "db,1=x"}, level="phase",
           rack_power=True)
    line = to_line(r, Place("dc1", "hall-1", "r01"))
    assert line == ("power,device=pdu-1,level=phase,outlet\\ name=db\\,1\\=x,phase=L1,rack=r01,"
                    "rack_power=true,room=hall-1,site=dc1,unit=W value=230.25 1700000000123")


def test_line_protocol_edge_cases() -> None:
    assert to_line(_r(labels={"device": "x", "unit": "y"}), Place("s")) == \
        "power,device=pdu-1,m_device=x,m_unit=y,site=s,unit=W value=1.5 1700000000123"
    assert to_line(_r(ts=1_700_000_000.6), Place("s"), "s") == \
        "power,device=pdu-1,site=s,unit=W value=1.5 1700000001"
    assert to_line(_r(float("nan")), Place("s")) is None
    assert to_line(_r(float("inf")), Place("s")) is None
    # An integral value is still a float field (no "i" suffix): the field type never changes.
    assert " value=7 " in (to_line(_r(7.0), Place("s")) or "")


# ------------------------------------------------------------------ config
def _inventory(influx: dict[str, Any]) -> dict[str, Any]:
    return {"exporters": {"influx": influx}}


def test_config_token_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = ProfileRegistry.load()
    base = {"url": "http://127.0.0.1:8086/", "org": "o", "bucket": "b"}
    cfg = parse_config(_inventory({**base, "token": "inline"}), "site.yaml", reg, tmp_path)
    influx = cfg.model.exporters.influx
    assert influx is not None and influx.url == "http://127.0.0.1:8086"
    assert "inline" not in repr(influx)  # a SecretStr prints as stars
    (tmp_path / "tok").write_text("from-file\n")
    parse_config(_inventory({**base, "token": {"file": "tok"}}), "site.yaml", reg, tmp_path)
    monkeypatch.delenv("DCMON_NO_SUCH_TOKEN", raising=False)
    with pytest.raises(ConfigError) as err:
        parse_config(_inventory({**base, "token": {"env": "DCMON_NO_SUCH_TOKEN"}}),
                     "site.yaml", reg, tmp_path, secrets=True)
    assert str(err.value) == ("site.yaml: dcmon.exporters.influx.token: environment variable "
                              "DCMON_NO_SUCH_TOKEN is not set")


@pytest.mark.parametrize("bad", [
    {"url": "127.0.0.1:8086"}, {"batch_size": 0}, {"spool_max_mb": 0}, {"bukcet": "typo"},
    {"token": {"env": "A", "file": "b"}}, {"precision": "ns"},
])
def test_config_refuses(bad: dict[str, Any]) -> None:
    doc = {"url": "http://h:8086", "org": "o", "bucket": "b", "token": "t", **bad}
    with pytest.raises(ValidationError):
        InfluxExporter.model_validate(doc)


def test_readme_configuration_parses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The README's configuration block is a valid inventory (docs that cannot drift)."""
    text = (ROOT / "exporters/influx/README.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("DCMON_INFLUX_TOKEN", "example-token")
    cfg = parse_config(yaml.safe_load(block), "README.md", ProfileRegistry.load(), tmp_path)
    influx = cfg.model.exporters.influx
    assert influx is not None and influx.bucket == "dcmon"


# ------------------------------------------------------------------ spool
def test_spool_keeps_order_across_restarts(tmp_path: Path) -> None:
    sp = Spool(tmp_path, 10_000)
    assert sp.append(["a 1", "b 2"]) == 0
    assert sp.append(["c 3"]) == 0
    (tmp_path / "000000000099.tmp").write_text("half a batch")  # an interrupted write
    again = Spool(tmp_path, 10_000)
    assert not list(tmp_path.glob("*.tmp"))
    assert (again.points, again.size, len(again)) == (3, 12, 2)
    seg = again.oldest()
    assert seg is not None and again.read(seg) == ["a 1", "b 2"]
    again.remove(seg)
    again.append(["d 4"])  # numbered after the segments found on disk
    order = []
    while (s := again.oldest()) is not None:
        order += again.read(s)
        again.remove(s)
    assert order == ["c 3", "d 4"] and again.points == 0 and not list(tmp_path.iterdir())


def test_spool_drops_oldest_first(tmp_path: Path) -> None:
    sp = Spool(tmp_path, 20)  # bytes
    assert sp.append(["aaaa", "bbbb"]) == 0  # 10 bytes
    assert sp.append(["cccc"]) == 0  # 15
    assert sp.append(["dddd", "eeee"]) == 2  # the oldest segment (2 points) goes
    assert sp.append(["1111", "2222", "3333", "4444", "5555"]) == 2 + 1 + 1  # all, then own
    seg = sp.oldest()
    assert seg is not None and sp.read(seg) == ["2222", "3333", "4444", "5555"]
    assert sp.size == 20 and sp.points == 4


# ------------------------------------------------------------------ HTTP failure modes
class FakeInflux:
    """Answers ``/api/v2/write`` with the next status from ``statuses`` (then 204)."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.bodies: list[bytes] = []
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(fake.delay)
                status = fake.statuses.pop(0) if fake.statuses else 204
                if status == 204:
                    fake.bodies.append(body)
                self.send_response(status)
                msg = b'{"code":"invalid","message":"unable to parse"}' if status != 204 else b""
                self.send_header("Content-Length", str(len(msg)))
                self.end_headers()
                self.wfile.write(msg)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def lines(self) -> list[str]:
        return [ln for b in self.bodies for ln in b.decode().split("\n") if ln]


@pytest.fixture
def fake() -> Iterator[FakeInflux]:
    f = FakeInflux()
    yield f
    f.server.shutdown()
    f.server.server_close()


def _writer(url: str, spool: Path, **kw: Any) -> InfluxWriter:
    cfg = InfluxExporter.model_validate(
        {"url": url, "org": "o", "bucket": "b", "token": "t", "batch_size": 2,
         "flush_interval": 0.05, "max_retry_interval": 0.1, "timeout": 2.0, **kw})
    return InfluxWriter(cfg, SecretStr("t"), spool, {"pdu-1": Place("dc1")})


def _polls(n: int) -> list[PollResult]:
    return [PollResult("pdu-1", "p", (_r(float(i), ts=1_700_000_000 + i),), (), 0.0, 0.0)
            for i in range(n)]


def test_rejected_batch_is_dropped_not_retried(fake: FakeInflux, tmp_path: Path) -> None:
    fake.statuses = [400]
    w = _writer(fake.url, tmp_path)
    w.start()
    for p in _polls(4):
        w.on_poll(p)
    assert w.flush(5)
    w.close()
    s = w.stats()
    assert (s.written_points, s.dropped["rejected"], s.write_errors) == (2, 2, 1)
    assert [ln.split()[1] for ln in fake.lines()] == ["value=2", "value=3"]


def test_server_error_spools_and_retries_in_order(fake: FakeInflux, tmp_path: Path) -> None:
    fake.statuses = [503, 401, 500]
    w = _writer(fake.url, tmp_path)
    w.start()
    for p in _polls(6):
        w.on_poll(p)
    deadline = time.monotonic() + 5
    while w.stats().written_points < 6:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    w.close()
    assert [ln.split()[1] for ln in fake.lines()] == [f"value={i}" for i in range(6)]
    assert w.stats().write_errors == 3 and not list(tmp_path.glob("*.lp"))


def test_too_large_request_is_split(fake: FakeInflux, tmp_path: Path) -> None:
    fake.statuses = [413]
    w = _writer(fake.url, tmp_path, batch_size=4)
    w.start()
    for p in _polls(4):
        w.on_poll(p)
    assert w.flush(5)
    w.close()
    assert len(fake.bodies) == 2 and len(fake.lines()) == 4 and w.stats().written_points == 4


def test_polls_never_wait_for_a_slow_server(fake: FakeInflux, tmp_path: Path) -> None:
    fake.delay = 1.0
    w = _writer(fake.url, tmp_path, max_queue_points=500)
    w.start()
    polls = _polls(1000)
    t0 = time.perf_counter()
    for p in polls:
        w.on_poll(p)
    elapsed = time.perf_counter() - t0
    s = w.stats()
    w.close(timeout=0.1)
    assert elapsed < 0.5  # 1,000 polls while a write hangs for a second
    assert s.dropped["queue_full"] >= 500 - 2  # the memory bound held, and was counted


def test_close_without_thread_keeps_points(tmp_path: Path) -> None:
    w = _writer("http://127.0.0.1:9", tmp_path)
    for p in _polls(3):
        w.on_poll(p)
    w.close()
    assert Spool(tmp_path, 10**6).points == 3


def test_metrics_pass_promtool(tmp_path: Path) -> None:
    w = _writer("http://127.0.0.1:9", tmp_path)
    reg = CollectorRegistry()
    reg.register(InfluxCollector(w))
    text = generate_latest(reg)
    w.close()
    for name in ("dcmon_influx_spool_points", "dcmon_influx_spool_bytes",
                 "dcmon_influx_written_points_total", "dcmon_influx_write_errors_total"):
        assert reg.get_sample_value(name) == 0, name
    assert reg.get_sample_value("dcmon_influx_dropped_points_total",
                                {"reason": "spool_full"}) == 0
    promtool = shutil.which("promtool")
    if promtool is None:
        unavailable("promtool not installed: run scripts/install-test-deps.sh")
    out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                         timeout=30)
    assert out.returncode == 0 and not out.stdout and not out.stderr, out
