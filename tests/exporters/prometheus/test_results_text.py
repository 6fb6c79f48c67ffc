"""The results families are rendered once per results run; a scrape joins cached bytes.

The per-meter families are written by hand (prometheus_client costs ~11 µs a sample, and a
city has 390,000 of them), so they are held byte for byte to prometheus_client's output. Over
real HTTP: four scrapes render nothing, a new results run renders once, the gzip body (made
block by block) decodes to the plain body, and the samples are the collectors' own.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

from dcmon.engine.results import MeterTotal, Results, SiteEnergy
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.exporters.prometheus.capacity import CapacityCollector
from dcmon.exporters.prometheus.collector import SnapshotCollector
from dcmon.exporters.prometheus.engine import EngineCollector
from dcmon.exporters.prometheus.exposition import ExpositionCache
from dcmon.exporters.prometheus.gzipped import (
    PACKED_HEAD,
    PACKED_TAIL,
    gunzip_member,
    gzip_blocks,
    gzip_member,
    inflate_run,
    pack_piece,
    text_size,
)
from dcmon.exporters.prometheus.http import FastExposition, MetricsServer
from dcmon.exporters.prometheus.results import (
    ResultsText,
    meter_members,
    meter_text,
    registry_members,
)
from dcmon.model import PollResult, Reading

ODD = {"outlet": '7 "rear"', "path": "a\\b\nc"}


def _results(joules: float) -> Results:
    meters = tuple(MeterTotal(f"pdu-{i}", "energy", {"outlet": str(i % 8)} if i % 3 else ODD,
                              joules * (i + 1), i % 2, i % 5) for i in range(40))
    return Results(computed=1.0, energy=(SiteEnergy("dc1", 3.6e9, 2.7e9),), meters=meters)


def _registry(hub: object, *, meters: bool) -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(EngineCollector(hub, meters=meters))  # type: ignore[arg-type]
    reg.register(CapacityCollector(hub))  # type: ignore[arg-type]
    return reg


def _samples(text: str) -> set[tuple[str, tuple[tuple[str, str], ...], float]]:
    return {(s.name, tuple(sorted(s.labels.items())), s.value)
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_meter_text_is_byte_for_byte_prometheus_client() -> None:
    for res in (_results(1.2345678e9), _results(0.1), Results()):
        hub = SimpleNamespace(latest=res)
        engine = CollectorRegistry()
        engine.register(EngineCollector(hub))  # type: ignore[arg-type]
        without = CollectorRegistry()
        without.register(EngineCollector(hub, meters=False))  # type: ignore[arg-type]
        assert generate_latest(engine) == generate_latest(without) + meter_text(res.meters)
    assert b'series="outlet=7 \\"rear\\",path=a\\\\b\\nc"' in meter_text(_results(1.0).meters)
    meters = _results(3.0).meters
    assert gzip.decompress(b"".join(meter_members(meters, per_block=7))) == meter_text(meters)


def _snapshot(devices: int) -> Snapshot:
    infos = [DeviceInfo(f"pdu-{i}", f"site-{i % 3}", "hall", f"r{i:03d}", "apc_rpdu2")
             for i in range(devices)]
    snap = Snapshot(infos)
    for d in infos:
        snap.record(PollResult(d.id, "apc_rpdu2", tuple(
            Reading(d.id, "current", 1.0 + j / 7, "A", {"outlet": str(j)}, 1.0, level="outlet")
            for j in range(48)), (), 1.0, 0.1))
    return snap


def _get(url: str, **headers: str) -> bytes:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        return bytes(r.read())


def test_scrapes_render_no_results_and_gzip_is_the_plain_body() -> None:
    snap = _snapshot(400)  # ~2.5 MB: the gzip body is made of several blocks
    hub = SimpleNamespace(latest=_results(1.0e9))
    text = ResultsText(hub, _registry(hub, meters=False))  # type: ignore[arg-type]
    text.on_results(hub.latest)  # the hub's listener, after a results run
    full = CollectorRegistry(auto_describe=False)
    full.register(SnapshotCollector(snap))
    full.register(_registry(hub, meters=True))
    cache = ExpositionCache(snap)
    unpacked = cache.body()
    assert cache.pack() == 400  # as the service's packer thread does: lines kept as gzip
    server = MetricsServer("127.0.0.1", 0, full, fast=FastExposition(
        cache, text, CollectorRegistry())).start()
    base = f"http://127.0.0.1:{server.port}/metrics"
    try:
        plain = _get(base)
        zipped = _get(base, **{"Accept-Encoding": "gzip"})
        part = _get(base + "?part=results")
        site = _get(base + "?site=site-1")
        assert text.renders == 1  # four scrapes, no rendering of the results
        # Several gzip members (the devices' stream, the results kept compressed): one body.
        assert len(plain) > 2 << 20 and gzip.decompress(zipped) == plain
        assert plain.startswith(unpacked)  # packed lines unpacked while written
        assert zipped.count(b"\x1f\x8b\x08\x00") >= 2
        assert _samples(plain.decode()) == _samples(generate_latest(full).decode())
        assert _samples(part.decode()) == _samples(generate_latest(
            _registry(hub, meters=True)).decode())
        assert b"dcmon_meter_energy_joules_total" not in site and b'site="site-1"' in site
        # A site with nothing to show is still a valid gzip body (an empty one is not: Go's
        # reader, hence Prometheus, would fail the scrape).
        nowhere = _get(base + "?site=nowhere", **{"Accept-Encoding": "gzip"})
        assert nowhere and gzip.decompress(nowhere) == b""
        hub.latest = _results(2.0e9)  # a new results run
        text.on_results(hub.latest)
        again = _get(base).decode()
        assert text.renders == 2
        assert 'dcmon_meter_energy_joules_total{device="pdu-0",series="outlet=7 \\"rear\\",' \
               'path=a\\\\b\\nc"} 2e+09' in again
        promtool = shutil.which("promtool")
        if promtool:
            chk = subprocess.run([promtool, "check", "metrics"], input=plain,
                                 capture_output=True, timeout=60)
            assert chk.returncode == 0 and not chk.stdout + chk.stderr, chk.stdout + chk.stderr
    finally:
        server.stop()


def test_gzip_blocks_is_one_stream_of_the_pieces() -> None:
    pieces = [f"line {i} {'x' * (i % 97)}\n".encode() for i in range(60_000)]
    out = gzip_blocks(pieces)
    assert len(out) > 2 and gzip.decompress(b"".join(out)) == b"".join(pieces)
    assert gzip.decompress(b"".join(gzip_blocks([]))) == b""


def test_packed_pieces_read_as_members_and_as_one_stream() -> None:
    """Packed pieces (gzip members, sync-flushed inside): a gzip scrape sends them as they
    are, a plain scrape inflates the deflate data of a run of them in one call; both give the
    text back byte for byte, including an empty piece and text that looks like gzip."""
    import random

    rng = random.Random(7)
    texts_in = [b"", b"a 1\n", bytes(rng.getrandbits(8) for _ in range(70_000)),
                b'm{x="y"} 2e+12\n' * 300, b"\x1f\x8b is text here\n"]
    pieces = [pack_piece(t) for t in texts_in]
    assert [gunzip_member(p) for p in pieces] == texts_in
    assert [text_size(p) for p in pieces] == [len(t) for t in texts_in]
    want = b"".join(texts_in)
    assert gzip.decompress(b"".join([*pieces, gzip_member(b"member\n")])) == want + b"member\n"
    inner = [p[PACKED_HEAD:len(p) - PACKED_TAIL] for p in pieces]
    assert inflate_run(inner) == want and inflate_run(inner[1:2]) == b"a 1\n"


def test_a_scrape_never_renders_new_results_the_results_job_does() -> None:
    """The results job renders under the text's lock (1-2 s for a city, paced); a scrape
    meanwhile, or before the job's listener has run, gets the previous run's text at once and
    renders nothing (a scrape that rendered would do it unpaced, beside the polls); after the
    listener, the new text. Only a scrape before any rendering renders (the first)."""
    hub = SimpleNamespace(latest=_results(1.0e9))
    text = ResultsText(hub, _registry(hub, meters=False))  # type: ignore[arg-type]
    first = text.text()
    assert b"} 1e+09" in first and text.renders == 1
    hub.latest = _results(2.0e9)
    assert text.text() == first and text.renders == 1  # the listener has not run yet
    with text._lock:  # a rendering under way in the results job's thread
        t0 = time.perf_counter()
        during = text.text()
        assert time.perf_counter() - t0 < 1.0 and during == first and text.renders == 1
    text.on_results(hub.latest)
    after = text.text()
    assert text.renders == 2 and b"} 2e+09" in after and b"} 1e+09" not in after
    text.on_results(hub.latest)  # the same results again: nothing to render
    assert text.renders == 2


def test_registry_members_are_prometheus_clients_text_family_by_family() -> None:
    """The non-meter results, rendered one family at a time into members of about ``size``
    bytes, are byte for byte what generate_latest writes for the whole registry."""
    hub = SimpleNamespace(latest=_results(3.6e6))
    reg = _registry(hub, meters=True)
    reg.register(_Odd())
    whole = generate_latest(reg)
    assert b"# HELP dcmon_odd line one\\nline two" in whole and b"_created" in whole
    for size in (1, 200, 1 << 20):
        for per_part in (1, 2, 3, 250):  # families cut into parts of samples
            members = registry_members(reg, size, per_part)
            assert b"".join(map(gunzip_member, members)) == whole
            assert all(m[:2] == b"\x1f\x8b" for m in members)
    assert len(registry_members(reg, 1)) > len(registry_members(reg, 1 << 20)) == 1


class _Odd:
    """A family with a two-line HELP, one with ``_created`` samples, one with no sample."""

    def collect(self) -> Iterator[Metric]:
        fam = GaugeMetricFamily("dcmon_odd", "line one\nline two", labels=["k"])
        for i in range(5):
            fam.add_metric([str(i)], i / 3)
        yield fam
        made = CounterMetricFamily("dcmon_made", "with created", labels=["k"])
        for i in range(4):
            made.add_metric([str(i)], i, created=1.7e9 + i)
        yield made
        yield GaugeMetricFamily("dcmon_none", "no samples", labels=["k"])
