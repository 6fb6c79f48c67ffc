"""The InfluxDB exporter against a real server: Debian's VictoriaMetrics on 127.0.0.1.

VictoriaMetrics accepts the influxdb-client's writes on ``/api/v2/write`` and gives them back
exactly on ``/api/v1/export`` (after ``/internal/force_flush``), as ``<measurement>_value`` with
the tags as labels. It keeps duplicate samples unless deduplication is on, so without it these
tests also prove that nothing was written twice.

Cases: points read back exactly; an outage (server stopped, spool grows, backlog metrics, server
restarted on the same port and data, spool drains, every point once and in order); the spool
limit drops the oldest and counts them; a restarted exporter replays its spool; a replayed
segment that the server had already acknowledged is idempotent with deduplication on; and
``dcmon run``'s service wires the exporter to real polls of the simulated site.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from dcmon.config.influx import InfluxExporter
from dcmon.exporters.influx.exporter import InfluxWriter, Outcome
from dcmon.exporters.influx.lineproto import Place, to_line
from dcmon.exporters.influx.metrics import InfluxCollector
from dcmon.model import PollResult, Reading, Source
from tests.support.victoria import Victoria
from tests.support.victoria import free_port as _free_port

PLACES = {
    "pdu-r01-a": Place("dc1", "hall-1", "r01"),
    "ups-1": Place("dc1"),  # a site-level device: no room or rack tag
}


@pytest.fixture
def vm(tmp_path: Path) -> Iterator[Victoria]:
    v = Victoria(tmp_path / "vm-data", _free_port())
    v.start()
    try:
        yield v
    finally:
        v.stop()


def _cfg(url: str, **kw: Any) -> InfluxExporter:
    base: dict[str, Any] = dict(url=url, org="dcmon", bucket="dcmon", token="test-token",
                                batch_size=10, flush_interval=0.05, max_retry_interval=0.2,
                                timeout=2.0)
    base.update(kw)
    return InfluxExporter.model_validate(base)


def _writer(url: str, spool: Path, **kw: Any) -> InfluxWriter:
    return InfluxWriter(_cfg(url, **kw), SecretStr("test-token"), spool, PLACES)


def _spy(w: InfluxWriter, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record, in order, every line the server acknowledged."""
    sent: list[str] = []
    real = w._write

    def write(lines: Sequence[str]) -> Outcome:
        out = real(lines)
        if out is Outcome.SENT:
            sent.extend(lines)
        return out

    monkeypatch.setattr(w, "_write", write)
    return sent


T0 = float(int(time.time()) - 3600)


def _poll(i: int, device: str = "pdu-r01-a") -> PollResult:
    """Poll number ``i``: two readings at a distinct millisecond timestamp."""
    ts = T0 + i * 0.013
    src = Source("snmp", "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1", 1234)
    return PollResult(device, "apc_rpdu2", (
        Reading(device, "power", 1000.0 + i + 0.25, "W", {"pdu": "1"}, ts, src,
                level="total", rack_power=True),
        Reading(device, "energy", 3.6e6 * i + 0.5, "J", {"pdu": "1"}, ts, src, kind="counter"),
    ), (), ts, 0.01)


def _wait(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def _series(vm: Victoria) -> dict[tuple[str, str], list[tuple[int, float]]]:
    """(metric name, device) -> [(timestamp ms, value)] in stored order."""
    out: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for s in vm.export():
        key = (s["metric"]["__name__"], s["metric"]["device"])
        out.setdefault(key, []).extend(zip(s["timestamps"], s["values"], strict=True))
    return out


def _expected(polls: range) -> dict[tuple[str, str], list[tuple[int, float]]]:
    exp: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for i in polls:
        for r in _poll(i).readings:
            exp.setdefault((f"{r.metric}_value", r.device), []).append(
                (round(r.ts * 1000), r.value))
    return exp


def _sample(w: InfluxWriter, name: str, **labels: str) -> float:
    reg = CollectorRegistry()
    reg.register(InfluxCollector(w))
    value = reg.get_sample_value(name, labels)
    assert value is not None, name
    return value


def test_points_read_back_exactly(vm: Victoria, tmp_path: Path) -> None:
    w = _writer(vm.url, tmp_path / "spool")
    w.start()
    ts = T0 + 0.123
    src = Source("snmp")
    odd = {"point": "inlet 1, north=side", "site": "label named like a tag"}
    readings = (
        Reading("pdu-r01-a", "temperature", 23.456789012345, "Cel", odd, ts, src),
        Reading("pdu-r01-a", "humidity", 41.5, "%", {}, ts, src),
        Reading("pdu-r01-a", "current", float("nan"), "A", {"phase": "L1"}, ts, src),
        Reading("ups-1", "power", -0.0001, "W", {"point": "output"}, ts + 0.001, src),
        Reading("ups-1", "runtime", 5400.0, "s", {}, ts + 0.001, src),
    )
    w.on_poll(PollResult("x", "p", readings, (), ts, 0.0))
    assert w.flush(10)
    w.close()
    got = {(s["metric"]["__name__"], s["metric"]["device"]): s for s in vm.export()}
    assert set(got) == {("temperature_value", "pdu-r01-a"), ("humidity_value", "pdu-r01-a"),
                        ("power_value", "ups-1"), ("runtime_value", "ups-1")}
    temp = got[("temperature_value", "pdu-r01-a")]
    assert temp["metric"] == {"__name__": "temperature_value", "site": "dc1", "room": "hall-1",
                              "rack": "r01", "device": "pdu-r01-a", "unit": "Cel",
                              "point": "inlet 1, north=side",
                              "m_site": "label named like a tag"}
    assert temp["values"] == [23.456789012345]
    assert temp["timestamps"] == [round(ts * 1000)]
    assert got[("humidity_value", "pdu-r01-a")]["values"] == [41.5]  # the reading's unit (%)
    ups = got[("power_value", "ups-1")]
    assert ups["metric"] == {"__name__": "power_value", "site": "dc1", "device": "ups-1",
                             "unit": "W", "point": "output"}
    assert ups["values"] == [-0.0001] and ups["timestamps"] == [round(ts * 1000) + 1]
    assert w.stats().written_points == 4
    assert w.stats().dropped["invalid"] == 1  # NaN cannot be written as a float field


def test_outage_spools_then_replays_everything_once_in_order(
        vm: Victoria, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = _writer(vm.url, tmp_path / "spool")
    sent = _spy(w, monkeypatch)
    w.start()
    for i in range(0, 10):
        w.on_poll(_poll(i))
    assert w.flush(10)
    vm.stop()
    for i in range(10, 40):  # 30 polls, 60 points while the server is down
        w.on_poll(_poll(i))
    _wait(lambda: w.stats().spool_points == 60)
    assert _sample(w, "dcmon_influx_spool_points") == 60
    assert _sample(w, "dcmon_influx_spool_bytes") > 0
    assert _sample(w, "dcmon_influx_up") == 0
    assert _sample(w, "dcmon_influx_write_errors_total") >= 1
    files = list((tmp_path / "spool").glob("*.lp"))   # batches of at most 10 points (a
    assert len(files) >= 6                            # timed flush on a busy machine may
    assert sum(len(f.read_text().splitlines()) for f in files) == 60   # cut one short)
    vm.start()  # same port, same data
    for i in range(40, 45):  # polls during recovery queue up behind the spool
        w.on_poll(_poll(i))
    _wait(lambda: w.stats().spool_points == 0 and w.stats().up)
    assert w.flush(10)
    w.close()
    assert _series(vm) == _expected(range(45))  # every point, exactly once
    order = [line for i in range(45) for r in _poll(i).readings
             if (line := to_line(r, PLACES[r.device])) is not None]
    assert sent == order  # the server received them in reading order
    assert _sample(w, "dcmon_influx_written_points_total") == 90
    assert _sample(w, "dcmon_influx_dropped_points_total", reason="spool_full") == 0
    assert not list((tmp_path / "spool").glob("*.lp"))


def test_spool_limit_drops_oldest_and_counts(
        vm: Victoria, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    vm.stop()
    line_bytes = len(to_line(_poll(0).readings[0], PLACES["pdu-r01-a"]) or "") + 1
    limit_mb = 30 * line_bytes / (1024 * 1024)  # room for about 30 points
    w = _writer(vm.url, tmp_path / "spool", spool_max_mb=limit_mb, batch_size=4)
    w.start()
    with caplog.at_level(logging.WARNING, logger="dcmon.influx"):
        for i in range(50):  # 100 points
            w.on_poll(_poll(i))
        _wait(lambda: (s := w.stats()).queue_points == 0
              and s.spool_points + s.dropped["spool_full"] == 100)
    s = w.stats()
    assert 0 < s.spool_bytes <= limit_mb * 1024 * 1024
    assert s.dropped["spool_full"] > 0
    assert _sample(w, "dcmon_influx_dropped_points_total",
                   reason="spool_full") == s.dropped["spool_full"]
    assert any("dropped" in r.getMessage() and "spool full" in r.getMessage()
               for r in caplog.records)
    kept = s.spool_points
    vm.start()
    _wait(lambda: w.stats().spool_points == 0)
    w.close()
    # What survived is the newest data: the last `kept` points, in full polls of 2 points.
    assert kept % 2 == 0
    assert _series(vm) == _expected(range(50 - kept // 2, 50))


def test_restarted_exporter_replays_its_spool(
        vm: Victoria, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spool = tmp_path / "spool"
    vm.stop()
    first = _writer(vm.url, spool)
    first.start()
    for i in range(25):
        first.on_poll(_poll(i))
    _wait(lambda: first.stats().spool_points == 50)
    first.on_poll(_poll(25))  # still in memory at shutdown: close() spools it
    first.close()
    assert sum(len(f.read_text().splitlines()) for f in spool.glob("*.lp")) == 52
    vm.start()
    second = _writer(vm.url, spool)
    assert second.stats().spool_points == 52  # found on disk before anything runs
    sent = _spy(second, monkeypatch)
    second.on_poll(_poll(26))  # new data waits behind the replay
    second.start()
    assert second.flush(10)
    second.close()
    assert _series(vm) == _expected(range(27))
    assert [line.rsplit(" ", 1)[1] for line in sent] == \
        [str(round(_poll(i).started * 1000)) for i in range(27) for _ in range(2)]


def test_replaying_an_acknowledged_segment_is_idempotent(tmp_path: Path) -> None:
    """A crash between the server's acknowledgement and the segment's deletion replays it.

    Points carry the reading's own timestamp, so the replay lands on the same series and time:
    InfluxDB overwrites, VictoriaMetrics with ``-dedup.minScrapeInterval`` keeps one sample.
    """
    vm = Victoria(tmp_path / "vm-dedup", _free_port(), "-dedup.minScrapeInterval=1ms")
    vm.start()
    try:
        spool = tmp_path / "spool"
        w = _writer(vm.url, spool)
        w.start()
        for i in range(5):
            w.on_poll(_poll(i))
        assert w.flush(10)
        w.close()
        # The same batches again, as segments a crash left behind.
        lines = [ln for i in range(5) for r in _poll(i).readings
                 if (ln := to_line(r, PLACES[r.device]))]
        (spool / "000000000001.lp").write_text("\n".join(lines) + "\n")
        again = _writer(vm.url, spool)
        again.start()
        assert again.flush(10)
        again.close()
        assert again.stats().written_points == 10
        assert _series(vm) == _expected(range(5))
    finally:
        vm.stop()


def test_service_exports_real_polls(vm: Victoria, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``dcmon run``'s service: poll listener, /metrics collector, flush thread, close."""
    from dcmon.app.inventory import parse_config
    from dcmon.app.service import start_service, stop_service
    from dcmon.collectors.registry import ProfileRegistry
    from dcmon.sim.site import SimulatedSite

    monkeypatch.setenv("DCMON_TEST_INFLUX_TOKEN", "test-token")

    async def go() -> tuple[float, float]:
        site = SimulatedSite(racks=1)
        await site.start()
        try:
            inv = site.inventory(interval=0.5, listen=f"127.0.0.1:{_free_port()}")
            inv["state_dir"] = str(tmp_path / "state")
            inv["exporters"]["influx"] = {
                "url": vm.url, "org": "dcmon", "bucket": "dcmon",
                "token": {"env": "DCMON_TEST_INFLUX_TOKEN"}, "flush_interval": 0.2}
            cfg = parse_config(inv, str(tmp_path / "site.yaml"), ProfileRegistry.load())
            svc = start_service(cfg, ProfileRegistry.load())
            try:
                assert svc.influx is not None
                assert svc.influx.on_poll in svc.poller.listeners
                deadline = time.monotonic() + 10
                health = svc.poller.snapshot.health
                while svc.influx.stats().written_points == 0 or \
                        any(h.polls == 0 for h in health().values()):
                    assert time.monotonic() < deadline, "no points written"
                    await asyncio.sleep(0.1)
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{svc.http_port}/metrics", timeout=5) as r:
                    text = r.read().decode()
                written = next(float(ln.split()[-1]) for ln in text.splitlines()
                               if ln.startswith("dcmon_influx_written_points_total "))
            finally:
                await stop_service(svc)
            return written, float(svc.influx.stats().written_points)
        finally:
            await site.stop()

    scraped, total = asyncio.run(go())
    assert scraped > 0 and total >= scraped
    assert not list((tmp_path / "state" / "influx-spool").glob("*.lp"))
    # VictoriaMetrics makes accepted writes searchable asynchronously: wait for all of them.
    deadline = time.monotonic() + 10
    while sum(len(s["values"]) for s in vm.export()) < total and time.monotonic() < deadline:
        time.sleep(0.2)
    series = vm.export('{__name__="power_value"}')
    devices = {s["metric"]["device"] for s in series}
    assert {"pdu-r01-a", "pdu-r01-b", "ups-1"} <= devices
    pdu = next(s for s in series if s["metric"]["device"] == "pdu-r01-a"
               and s["metric"].get("rack_power") == "true")
    assert pdu["metric"]["site"] == "demo-dc" and pdu["metric"]["rack"] == "r01"
    assert pdu["metric"]["unit"] == "W" and all(v > 0 for v in pdu["values"])
    assert sum(len(s["values"]) for s in vm.export()) == total  # nothing lost or doubled


def test_engine_results_reach_influx(vm: Victoria, tmp_path: Path) -> None:
    """PUE windows and the monotonic lifetime energy go to InfluxDB too: raw counters wrap and
    reset, so long-term energy history needs the engine's booking (exporters/influx/results.py).
    """
    from dcmon.exporters.influx.results import result_lines
    from dcmon.sim.site import SimulatedSite
    from tests.support.simsite import hub_for

    async def go() -> Any:
        site = SimulatedSite(racks=1, speed=3600.0)
        await site.start()
        try:
            cfg, poller, hub = hub_for(site)
            for _ in range(3):
                await asyncio.gather(*(poller.poll(d) for d in cfg.devices))
                await asyncio.sleep(0.3)
            await poller.close()
            return cfg, hub.recompute()
        finally:
            await site.stop()

    cfg, res = asyncio.run(go())
    places = {d.id: Place(d.site, d.room, d.rack) for d in cfg.devices}
    lines = list(result_lines(res, places))
    assert lines == list(result_lines(res, places))  # same results, same points (idempotent)
    w = InfluxWriter(_cfg(vm.url), SecretStr("test-token"), tmp_path / "spool", places)
    w.start()
    try:
        w.on_results(res)
        assert w.flush(10)
    finally:
        w.close()
    assert w.stats().written_points == len(lines)

    def export(name: str) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 10
        got = vm.export(f'{{__name__="{name}"}}')
        while not got and time.monotonic() < deadline:
            time.sleep(0.2)
            got = vm.export(f'{{__name__="{name}"}}')
        return got

    one_h = next(r for r in res.pue if r.window == "1h" and r.zone is None)
    status = export("pue_status_code")
    row = next(s for s in status if s["metric"]["window"] == "1h")
    assert row["metric"]["site"] == "demo-dc" and row["metric"]["category"] == "2"
    assert row["values"] == [{"ok": 0, "withheld": 1, "metering_fault": 2}[one_h.status]]
    assert row["timestamps"] == [round(one_h.end * 1000)]  # the window's end, not write time
    energy = export("energy_total_value")
    meters = {(m.device, tuple(sorted(m.labels.items()))): m.lifetime_j for m in res.meters}
    assert len(energy) == len(meters) and meters
    for s in energy:
        labels = {k: v for k, v in s["metric"].items()
                  if k not in ("__name__", "site", "room", "rack", "device", "metric", "unit",
                               "db")}
        key = (s["metric"]["device"], tuple(sorted(labels.items())))
        assert s["values"] == [pytest.approx(meters[key])], key
    site_e = export("site_energy_total_facility_j")
    assert site_e[0]["values"] == [pytest.approx(res.energy[0].facility_j)]
    assert res.energy[0].facility_j > res.energy[0].it_j > 0
