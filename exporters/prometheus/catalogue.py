"""Every metric family ``dcmon run`` exports, read from the code: the table in docs/metrics.md.

Two sources, so the table cannot drift from what a scrape shows:

* device readings are named from the profiles (``dcmon_<metric>_<unit>``), so their families
  are those of the built-in profiles, through the same :func:`family_name` the scrape uses;
* every other family is whatever the exporters' collectors yield. They emit a family only for
  what exists (a forecast, a failover check, a receiver), so each collector runs once over a
  sample input in which every optional figure is present, and the families, types, label
  names and help texts are taken from its output.

``python -m dcmon.exporters.prometheus.catalogue --write docs/metrics.md`` rewrites the
generated part of the page; tests/exporters/prometheus/test_metrics_doc.py fails when the page
and the code disagree.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from prometheus_client.registry import Collector

from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.alerts.state import Alert
from dcmon.engine.alerts.store import AlertStore
from dcmon.engine.capacity.model import CityCapacity
from dcmon.engine.results import Results, ResultsHub
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.exporters.influx.exporter import InfluxStats, InfluxWriter
from dcmon.exporters.influx.metrics import InfluxCollector
from dcmon.exporters.notify.metrics import NotifyCollector
from dcmon.exporters.prometheus.capacity import CapacityCollector
from dcmon.exporters.prometheus.carbon import CarbonCollector
from dcmon.exporters.prometheus.collector import HELP, UNIT_SUFFIX, SnapshotCollector, family_name
from dcmon.exporters.prometheus.engine import EngineCollector
from dcmon.exporters.prometheus.retrofit import RetrofitCollector
from dcmon.model import PollError, PollResult

BEGIN = "<!-- generated from the code: python -m dcmon.exporters.prometheus.catalogue " \
        "--write docs/metrics.md -->"
END = "<!-- end of generated tables -->"


@dataclass(frozen=True, slots=True)
class Family:
    """One metric family as a scrape shows it (counters with their ``_total`` sample name)."""

    name: str
    type: str
    labels: tuple[str, ...]
    help: str
    #: Device readings: the profile metric and its unit; empty for the other families.
    metric: str = ""
    unit: str = ""


def device_families(registry: ProfileRegistry) -> list[Family]:
    """One family per (metric, unit) of the profiles, as SnapshotCollector names them."""
    out: dict[str, Family] = {}
    for profile in registry.all():
        for m in profile.metrics:
            if m.unit not in UNIT_SUFFIX:  # text fields become labels, not readings
                continue
            counter = m.kind == "counter"
            name = family_name(m.name, m.unit) + ("_total" if counter else "")
            out.setdefault(name, Family(
                name, "counter" if counter else "gauge", ("site", "room", "rack", "device"),
                HELP.get(m.name, m.name.replace("_", " ").capitalize()), m.name, m.unit))
    return sorted(out.values(), key=lambda f: f.name)


def collected_families(collector: Collector) -> list[Family]:
    """The families one collector yields, in its order, with the label names of its samples."""
    out = []
    for fam in collector.collect():
        labels: dict[str, None] = {}
        for s in fam.samples:
            labels.update(dict.fromkeys(s.labels))
        suffix = "_total" if fam.type == "counter" else ""
        out.append(Family(fam.name + suffix, fam.type, tuple(labels), fam.documentation))
    return out


# ------------------------------------------------------------------------ sample inputs

def sample(tp: Any) -> Any:
    """A value of type ``tp`` with every optional part present (None never chosen), one
    element per collection: what makes a collector emit all of its families."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return sample(next(a for a in args if a is not type(None)))
    if origin is typing.Literal:
        return args[0]
    if origin in (tuple, list):
        return origin([sample(args[0])])
    if origin is Sequence:
        return (sample(args[0]),)
    if origin in (dict, Mapping) or tp is dict:
        return {"x": sample(args[1]) if args else "x"}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: sample(hints[f.name]) for f in dataclasses.fields(tp) if f.init})
    return {bool: True, int: 1, float: 1.0, str: "x"}.get(tp, "x")


class _Hub:
    """Stands in for the ResultsHub: the collectors read only ``latest``."""

    def __init__(self, latest: Results) -> None:
        self.latest = latest


class _Alerts:
    """Stands in for the AlertStore: one active alert, one receiver with every outbox state."""

    def alerts(self) -> list[Alert]:
        return [sample(Alert)]

    def outbox_counts(self) -> dict[str, dict[str, int]]:
        return {"x": {"queued": 1, "delivered": 1, "dead": 1}}


class _Writer:
    def stats(self) -> InfluxStats:
        return cast(InfluxStats, sample(InfluxStats))


def _results() -> Results:
    """Results with a whole-site PUE beside a zone's pPUE, and capacity with every figure."""
    res = cast(Results, sample(Results))
    zone = res.pue[0]
    site = replace(zone, zone=None, kind="energy", status="ok")
    return replace(res, pue=(site, zone), capacity=cast(CityCapacity, sample(CityCapacity)),
                   retrofits=tuple(replace(r, status="ok") for r in res.retrofits))


def _failed_poll_snapshot() -> Snapshot:
    """A device whose poll failed: health with an error reason (the "down" log line muted)."""
    snap = Snapshot([DeviceInfo("x", "x", "x", "x", "x")])
    health_log = logging.getLogger("dcmon.health")
    was, health_log.disabled = health_log.disabled, True
    try:
        snap.record(PollResult("x", "x", (), (PollError("timeout", "x"),), 1.0, 1.0, ok=False))
    finally:
        health_log.disabled = was
    return snap


def sections(registry: ProfileRegistry) -> list[tuple[str, list[Family]]]:
    """The page's tables: (heading, families), in the order of the page."""
    hub = cast(ResultsHub, _Hub(_results()))
    return [
        ("Device readings (built-in profiles)", device_families(registry)),
        ("Poll health", collected_families(SnapshotCollector(_failed_poll_snapshot()))),
        ("PUE and energy", collected_families(EngineCollector(hub))),
        ("Capacity", collected_families(CapacityCollector(hub))),
        ("Carbon, renewables and water", collected_families(CarbonCollector(hub))),
        ("Retrofit verification", collected_families(RetrofitCollector(hub))),
        ("Alerting", collected_families(NotifyCollector(cast(AlertStore, _Alerts())))),
        ("InfluxDB writer (when `exporters.influx` is configured)",
         collected_families(InfluxCollector(cast(InfluxWriter, _Writer())))),
    ]


# ------------------------------------------------------------------------------ the page

def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(parts: Iterable[tuple[str, list[Family]]]) -> str:
    """Markdown tables, one per section, between the BEGIN and END markers."""
    lines = [BEGIN]
    for heading, fams in parts:
        lines += ["", f"### {heading}", ""]
        if fams and fams[0].metric:
            lines += ["| family | type | profile unit | profile metric | help |",
                      "|---|---|---|---|---|"]
            lines += [f"| `{f.name}` | {f.type} | {f.unit} | `{f.metric}` | {_cell(f.help)} |"
                      for f in fams]
        else:
            lines += ["| family | type | labels | help |", "|---|---|---|---|"]
            lines += [f"| `{f.name}` | {f.type} | {', '.join(f.labels) or '—'} | "
                      f"{_cell(f.help)} |" for f in fams]
    lines += ["", END]
    return "\n".join(lines)


def update_page(text: str, tables: str) -> str:
    """The page with its generated part replaced; the text around the markers is kept."""
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError("docs/metrics.md: the generated-table markers are missing")
    return head + tables + tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--write", metavar="PAGE", help="rewrite the generated part of PAGE")
    args = ap.parse_args(argv)
    tables = render(sections(ProfileRegistry.load()))
    if args.write:
        page = Path(args.write)
        page.write_text(update_page(page.read_text(encoding="utf-8"), tables),
                        encoding="utf-8")
    else:
        sys.stdout.write(tables + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
