"""The results job rests between small steps, so the polls' event loop keeps the interpreter.

:func:`dcmon.pace.pace` is a no-op outside :func:`dcmon.pace.paced`; inside, it rests once the
thread has worked ``work_s``. With ``work_s=0`` every call rests, which counts the steps: a
results run of ``dcmon run`` (its ``_recompute`` job, with the results text and the live file
as listeners) must rest at every rack (twice: capacity, its families), every device of the
live file, and give the same results and text as an unpaced run. While a /metrics scrape is
served (urgent work), paced work waits, within a bound.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric

from dcmon import pace as pace_mod
from dcmon.app import service
from dcmon.app.live import live_writer
from dcmon.exporters.prometheus.capacity import CapacityCollector
from dcmon.exporters.prometheus.engine import EngineCollector
from dcmon.exporters.prometheus.http import MetricsServer
from dcmon.exporters.prometheus.results import ResultsText
from dcmon.pace import pace, paced, urgent
from tests.support.capacity_api import hub_from_case

CASES = Path(__file__).resolve().parents[1] / "cases"


def test_pace_rests_only_inside_paced_and_only_after_its_work() -> None:
    with paced(work_s=0.0, rest_s=0.0) as p:
        for _ in range(7):
            pace()
    assert p.rests == 7
    for _ in range(5):  # outside: nothing
        pace()
    assert p.rests == 7
    with paced(work_s=60.0, rest_s=0.0) as p:
        for _ in range(100):
            pace()
    assert p.rests == 0 and p.longest_s < 60.0


def test_a_rest_is_a_sleep_of_rest_s() -> None:
    with paced(work_s=0.0, rest_s=0.02) as p:
        t0 = time.perf_counter()
        pace()
        pace()
        took = time.perf_counter() - t0
    assert p.rests == 2 and took >= 0.04


def test_paced_does_not_nest_and_is_per_thread() -> None:
    other: list[int] = []

    def elsewhere() -> None:
        for _ in range(3):
            pace()  # not paced in this thread
        with paced(work_s=0.0, rest_s=0.0) as q:
            pace()
        other.append(q.rests)

    with paced(work_s=0.0, rest_s=0.0) as p:
        with pytest.raises(RuntimeError, match="does not nest"), paced():
            pass
        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
        pace()
    assert other == [1] and p.rests == 1


def test_dcmon_runs_results_job_rests_at_every_step(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    hub = hub_from_case(CASES / "carbon" / "cue_grid_pv_diesel", tmp_path)
    cached = CollectorRegistry(auto_describe=False)
    cached.register(EngineCollector(hub, meters=False))
    cached.register(CapacityCollector(hub))
    text = ResultsText(hub, cached)
    hub.listeners += [text.on_results, live_writer(tmp_path / "live.jsonl",
                                                   hub.snapshot.readings)]
    now = hub.latest.computed
    unpaced = hub.recompute(now)
    body, live = text.text(), (tmp_path / "live.jsonl").read_bytes()
    monkeypatch.setattr(pace_mod, "WORK_S", 0.0)
    monkeypatch.setattr(pace_mod, "REST_S", 0.0)
    monkeypatch.setattr(hub, "recompute", lambda: type(hub).recompute(hub, now))
    service._recompute(hub)  # the job dcmon run schedules
    racks, devices, meters = 1, len(hub.snapshot.readings()), len(unpaced.meters)
    parts = sum(max(1, -(-len(m.samples) // 250)) for m in cached.collect())
    assert meters and devices == 4
    # capacity and its families: each rack; the meters' totals: each 1,024; the families:
    # each part of 250 samples; the meters' text: each 1,000, three families; the live file.
    assert pace_mod._pacer.rests == (racks + -(-meters // 1024) + parts + racks
                                     + 3 * -(-meters // 1000) + devices)
    assert hub.latest == unpaced and hub.latest is not unpaced
    assert text.text() == body and text.renders == 2
    assert (tmp_path / "live.jsonl").read_bytes() == live


def _paced_step(out: list[float], ready: threading.Event) -> None:
    with paced(work_s=0.0, rest_s=0.001) as p:
        ready.set()
        t0 = time.perf_counter()
        pace()
        out += [time.perf_counter() - t0, p.waited_s]


def test_paced_work_waits_while_urgent_work_runs() -> None:
    out: list[float] = []
    ready = threading.Event()
    with urgent():
        t = threading.Thread(target=_paced_step, args=(out, ready))
        t.start()
        ready.wait(5)
        time.sleep(0.2)
    t.join(5)
    took, waited = out
    assert 0.15 <= waited <= took < 3.0


def test_the_wait_for_urgent_work_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pace_mod, "URGENT_WAIT_S", 0.05)
    with urgent(), paced(work_s=0.0, rest_s=0.001) as p:
        t0 = time.perf_counter()
        pace()
        first = time.perf_counter() - t0
        pace()  # the block's wait is spent: no more waiting
        second = time.perf_counter() - t0 - first
    assert 0.05 <= p.waited_s < 0.5 and first >= 0.05 and second < 0.04
    assert pace_mod._urgent == [0]


class _Watch:
    """A collector that notes whether the scrape collecting it was marked urgent."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def collect(self) -> Iterator[Metric]:
        self.seen.append(pace_mod._urgent[0])
        yield GaugeMetricFamily("dcmon_watch", "urgent work seen", value=1.0)


def test_a_metrics_scrape_is_urgent_work() -> None:
    reg = CollectorRegistry()
    watch = _Watch()
    reg.register(watch)
    server = MetricsServer("127.0.0.1", 0, reg)
    server.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with urllib.request.urlopen(url + "/metrics", timeout=10) as r:
            assert b"dcmon_watch 1.0" in r.read()
        with urllib.request.urlopen(url + "/-/healthy", timeout=10) as r:
            assert r.status == 200
    finally:
        server.stop()
    assert watch.seen == [1] and pace_mod._urgent == [0]
