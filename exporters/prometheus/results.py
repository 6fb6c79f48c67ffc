"""The engine's results in the text format, rendered once per results run, never per scrape.

The results change only when the ResultsHub recomputes them (every 60 s), yet rendering them
through prometheus_client cost every scrape ~11 µs a sample: a city of 10,000 PDUs has 130,000
energy counters, so 390,000 per-meter lines (``dcmon_meter_*``) took about 4 s of each scrape,
holding the interpreter while the polls waited. Here they are rendered when a run lands (the
hub calls :meth:`ResultsText.on_results` in the results job's thread) and a scrape takes the
cached bytes. The per-meter families are written directly (about 1 µs a line), the rest (site
PUE, capacity: a few thousand lines) through prometheus_client, so the samples are exactly
those of :class:`~dcmon.exporters.prometheus.engine.EngineCollector` and
:class:`~dcmon.exporters.prometheus.capacity.CapacityCollector`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Protocol

from prometheus_client import CollectorRegistry, generate_latest

from dcmon.engine.results import MeterTotal, Results
from dcmon.exporters.prometheus.engine import METER_FAMILIES, meter_series
from dcmon.exporters.prometheus.exposition import Family, escape, go_float


def meter_text(meters: Iterable[MeterTotal]) -> bytes:
    """The three per-meter counter families as prometheus_client writes them."""
    life, wraps, resets = (Family(name + "_total", "counter", doc) for name, doc in METER_FAMILIES)
    lines: tuple[list[str], list[str], list[str]] = ([life.header().decode()],
                                                     [wraps.header().decode()],
                                                     [resets.header().decode()])
    for m in meters:
        labels = f'{{device="{escape(m.device)}",series="{escape(meter_series(m.labels))}"}} '
        lines[0].append(f"{life.name}{labels}{go_float(m.lifetime_j)}\n")
        lines[1].append(f"{wraps.name}{labels}{go_float(float(m.wraps))}\n")
        lines[2].append(f"{resets.name}{labels}{go_float(float(m.resets))}\n")
    return "".join(line for family in lines for line in family).encode()


class Latest(Protocol):
    """Where the results come from: :class:`~dcmon.engine.results.ResultsHub`."""

    @property
    def latest(self) -> Results: ...


class ResultsText:
    """The cached text of the results families, keyed by the Results they were rendered from.

    ``registry`` holds the collectors that read only ``hub.latest`` (the engine's without its
    per-meter families, capacity); ``meters`` adds the per-meter families, rendered here.
    """

    def __init__(self, hub: Latest, registry: CollectorRegistry, *, meters: bool = True
                 ) -> None:
        self.hub = hub
        self.registry = registry
        self.meters = meters
        self._lock = threading.Lock()  # one rendering at a time; scrapes wait for it
        self._for: Results | None = None
        self._text = b""
        #: How many times the text was rendered (one per results run; tests read it).
        self.renders = 0

    def on_results(self, _: Results) -> None:
        """The hub's listener: render now, in the results job's thread, not in a scrape."""
        self.text()

    def text(self) -> bytes:
        """The results families of ``hub.latest``, rendered if they are not yet."""
        res = self.hub.latest
        with self._lock:
            if res is not self._for:
                body = generate_latest(self.registry)
                self._text = body + meter_text(res.meters) if self.meters else body
                self._for = res
                self.renders += 1
            return self._text
