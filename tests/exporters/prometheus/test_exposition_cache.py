"""The cached /metrics renders the same samples as the collector, per site, and stays current."""

from __future__ import annotations

import gzip
import shutil
import subprocess

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.exporters.prometheus.collector import SnapshotCollector
from dcmon.exporters.prometheus.exposition import ExpositionCache
from dcmon.exporters.prometheus.gzipped import GZIP_MAGIC
from dcmon.model import PollError, PollResult, Reading, Source

SRC = Source("snmp", "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1", 12)


def _reading(device: str, metric: str, value: float, unit: str, **kw: object) -> Reading:
    return Reading(device=device, metric=metric, value=value, unit=unit,
                   labels=kw.pop("labels", {}), ts=1.0, source=SRC, **kw)  # type: ignore[arg-type]


def _snapshot() -> Snapshot:
    snap = Snapshot([DeviceInfo("pdu-1", "dc1", "hall", "r01", "apc_rpdu2"),
                     DeviceInfo("pdu-2", "dc1", "hall", "r02", "apc_rpdu2"),
                     DeviceInfo("ups-9", "edge", "", "", "ups_mib")])
    snap.record(PollResult("pdu-1", "apc_rpdu2", (
        _reading("pdu-1", "power", 1234.5, "W", level="total", rack_power=True),
        _reading("pdu-1", "energy", 7.2e9, "J", kind="counter", labels={"pdu": "1"}),
        _reading("pdu-1", "current", 4.9, "A", labels={"phase": "1", 'od"d': "a\\b\nc"}),
        _reading("pdu-1", "current", 5.0, "A", labels={"phase": "1", 'od"d': "a\\b\nc"}),
        _reading("pdu-1", "humidity", 41.0, "%"),
    ), (), 10.0, 0.25))
    snap.record(PollResult("pdu-2", "apc_rpdu2", (
        _reading("pdu-2", "power", 2e12, "W"),), (), 10.0, 0.5))
    snap.record(PollResult("ups-9", "ups_mib", (), (PollError("timeout", "no answer"),),
                           11.0, 2.0, ok=False))
    return snap


def _samples(text: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
    return {(s.name, tuple(sorted(s.labels.items())), s.value)
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_same_samples_as_the_collector() -> None:
    snap = _snapshot()
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(snap))
    expected = generate_latest(reg).decode()
    got = ExpositionCache(snap).body().decode()
    assert _samples(got) == _samples(expected)
    assert sorted(got.splitlines()) == sorted(expected.splitlines())  # byte for byte, any order
    assert 'dcmon_current_amperes{device="pdu-1",od_d="a\\\\b\\nc",phase="1",' in got
    humidity = 'dcmon_humidity_ratio{device="pdu-1",rack="r01",room="hall",site="dc1"}'
    assert f"{humidity} {41 * 0.01!r}\n" in got  # percent as a ratio, as the collector does
    assert 'dcmon_power_watts{device="pdu-2",rack="r02",room="hall",site="dc1"} 2e+12' in got


def test_a_site_scrape_holds_only_that_sites_devices() -> None:
    cache = ExpositionCache(_snapshot())
    edge = _samples(cache.body("edge").decode())
    assert {dict(labels)["device"] for _, labels, _ in edge} == {"ups-9"}
    assert ("dcmon_device_up", (("device", "ups-9"), ("profile", "ups_mib"), ("rack", ""),
                                ("room", ""), ("site", "edge")), 0.0) in edge
    assert cache.body("nowhere") == b""


def test_a_poll_replaces_the_devices_samples() -> None:
    snap = _snapshot()
    cache = ExpositionCache(snap)
    result = PollResult("pdu-2", "apc_rpdu2", (_reading("pdu-2", "voltage", 231.0, "V"),),
                        (), 20.0, 0.1)
    snap.record(result)
    cache.on_poll(result)
    text = cache.body("dc1").decode()
    assert 'dcmon_voltage_volts{device="pdu-2"' in text
    assert 'dcmon_power_watts{device="pdu-2"' not in text  # no longer read: gone
    assert 'dcmon_power_watts{device="pdu-1"' in text


def test_promtool_accepts_it() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (scripts/install-test-deps.sh installs it)")
    body = ExpositionCache(_snapshot()).body()
    proc = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True)
    assert proc.returncode == 0 and proc.stdout + proc.stderr == b"", proc.stderr


def test_packed_lines_read_as_the_text_and_a_poll_after_packing_wins() -> None:
    snap = _snapshot()
    cache = ExpositionCache(snap)
    text = cache.body()
    assert cache.pack() == 3  # every device rendered at start
    assert all(k.packed and all(p[:2] == GZIP_MAGIC for p in k.parts())
               for k in cache._kept.values())
    assert cache.body() == text and cache.body("edge") == ExpositionCache(snap).body("edge")
    assert gzip.decompress(b"".join(cache.members())) == text
    assert cache.pack() == 0  # nothing new
    result = PollResult("pdu-2", "apc_rpdu2", (_reading("pdu-2", "voltage", 231.0, "V"),),
                        (), 20.0, 0.1)
    snap.record(result)
    cache.on_poll(result)  # text again for pdu-2, packed lines for the others
    assert not cache._kept["pdu-2"].packed
    mixed = cache.body()
    assert cache._kept["pdu-2"].packed  # the scrape packed it once, for the next ones too
    assert b'dcmon_voltage_volts{device="pdu-2"' in mixed
    assert b'pdu-2",rack="r02",room="hall",site="dc1"} 2e+12' not in mixed  # its power went
    assert gzip.decompress(b"".join(cache.members())) == mixed
    assert cache.pack() == 1 and cache.body() == mixed


def test_a_device_removed_by_a_reload_leaves_nothing_behind() -> None:
    """After a reload drops a device, no scrape shows it, and the cache keeps no trace of it
    (ids that come and go must not grow the cache)."""
    snap = _snapshot()
    cache = ExpositionCache(snap)
    assert b'device="pdu-2"' in cache.body()
    snap.set_devices([DeviceInfo("pdu-1", "dc1", "hall", "r01", "apc_rpdu2"),
                      DeviceInfo("ups-9", "edge", "", "", "ups_mib")])
    body = cache.body()
    assert b'device="pdu-2"' not in body and b'device="pdu-1"' in body
    assert "pdu-2" not in cache._kept  # the leak this test is about
