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
from collections.abc import Iterator, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric

from dcmon.engine.results import MeterTotal, Results
from dcmon.exporters.prometheus.engine import METER_FAMILIES, meter_series
from dcmon.exporters.prometheus.exposition import Family, escape, go_float
from dcmon.exporters.prometheus.gzipped import BLOCK, gunzip_member, gzip_member
from dcmon.pace import pace


def meter_text(meters: Sequence[MeterTotal]) -> bytes:
    """The three per-meter counter families as prometheus_client writes them."""
    return b"".join(map(gunzip_member, meter_members(meters)))


def meter_members(meters: Sequence[MeterTotal], per_block: int = 1000) -> list[bytes]:
    """:func:`meter_text` as gzip members of ``per_block`` lines (~0.1 MB of text each, a
    few ms of work between two :func:`~dcmon.pace.pace` calls).

    A block's label strings are made once for the three families and dropped: the first
    family's members are the start of the text, the other two families' members wait,
    compressed, until it is done. A city's 35 MB of text is never whole, and its 130,000
    label strings (~18 MB) are never all held at once.
    """
    fams = [Family(name + "_total", "counter", doc) for name, doc in METER_FAMILIES]
    out: list[list[bytes]] = [[gzip_member(fam.header())] for fam in fams]
    for i in range(0, len(meters), per_block):
        block = meters[i:i + per_block]
        labels = [f'{{device="{escape(m.device)}",series="{escape(meter_series(m.labels))}"}} '
                  for m in block]
        for fam, value, members in zip(fams, (_lifetime, _wraps, _resets), out, strict=True):
            pace()
            members.append(gzip_member("".join(
                f"{fam.name}{lab}{go_float(value(m))}\n"
                for m, lab in zip(block, labels, strict=True)).encode()))
    return [m for members in out for m in members]


class _One:
    """One metric family as a registry: :func:`generate_latest` renders what ``collect``
    yields."""

    def __init__(self, metric: Metric) -> None:
        self.metric = metric

    def collect(self) -> Iterator[Metric]:
        yield self.metric


def registry_members(registry: CollectorRegistry, size: int = BLOCK // 2,
                     per_part: int = 250) -> list[bytes]:
    """What ``generate_latest(registry)`` writes, as gzip members of about ``size`` bytes of
    text, rendered ``per_part`` samples at a time: the whole text as one string, then encoded,
    held ~10 MB at once for a city's capacity families (a spike of the service's peak memory),
    and a family of a rack each is ~50 ms of work between two :func:`~dcmon.pace.pace` calls."""
    out: list[bytes] = []
    pending: list[bytes] = []
    n = 0
    for metric in registry.collect():
        for text in _parts(metric, per_part):
            pace()
            pending.append(text)
            n += len(text)
            if n >= size:
                out.append(gzip_member(b"".join(pending)))
                pending, n = [], 0
    if pending:
        out.append(gzip_member(b"".join(pending)))
    return out


def _parts(metric: Metric, per_part: int) -> Iterator[bytes]:
    """One family's text, ``per_part`` samples at a time; its HELP and TYPE lines (the first
    two lines ``generate_latest`` writes for a family, escaped to one line each) come once.
    A family with OpenMetrics samples (``_created``...: written after the others, under
    headers of their own) is rendered whole."""
    samples = metric.samples
    om = {metric.name + suffix for suffix in ("_created", "_gsum", "_gcount")}
    if any(s.name in om for s in samples):
        per_part = max(len(samples), 1)
    for i in range(0, max(len(samples), 1), per_part):
        part = Metric(metric.name, metric.documentation, metric.type, metric.unit)
        part.samples = samples[i:i + per_part]
        text = generate_latest(_One(part))
        yield text if i == 0 else text.split(b"\n", 2)[2]


def _lifetime(m: MeterTotal) -> float:
    return m.lifetime_j


def _wraps(m: MeterTotal) -> float:
    return float(m.wraps)


def _resets(m: MeterTotal) -> float:
    return float(m.resets)


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
        self._lock = threading.Lock()  # one rendering at a time
        self._for: Results | None = None
        #: The text as gzip members of ~0.5 MB: a city's results are 35 MB of text, 2 MB so.
        self._members: list[bytes] = []
        #: How many times the text was rendered (one per results run; tests read it).
        self.renders = 0

    def on_results(self, res: Results) -> None:
        """The hub's listener: render now, in the results job's thread (paced), not in a
        scrape."""
        with self._lock:
            if res is not self._for:
                self._render(res)

    def text(self) -> bytes:
        """The results families of the last rendered results in the text format."""
        return b"".join(map(gunzip_member, self.members()))

    def members(self) -> list[bytes]:
        """:meth:`text` as gzip members. A scrape renders only when nothing was rendered yet
        (and then waits for a rendering under way); newer results are rendered by the hub's
        listener. A scrape that found new results and rendered them itself (1-2 s for a city)
        raced the results job for them and won, unpaced, beside the polls."""
        if self._for is not None:
            return self._members
        with self._lock:
            if self._for is None:
                self._render(self.hub.latest)
            return self._members

    def _render(self, res: Results) -> None:
        """Render ``res`` (under the lock)."""
        members = registry_members(self.registry)
        self._members = members + (meter_members(res.meters) if self.meters else [])
        self._for = res
        self.renders += 1
