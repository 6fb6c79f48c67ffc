"""Dashboard JSON from the builders: deterministic, so the committed files can be checked.

``dcmon dashboards build`` writes ``dashboards/json/<stem>.json``; Grafana's file provisioning
(dashboards/provisioning/dashboards/dcmon.yaml) and ``dcmon dashboards push`` use the same
models. Output is sorted and stable (panel ids numbered in order), so a diff of the committed
JSON shows exactly what a change to the builders did, and a test can insist it is current.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dcmon.exporters.grafana.boards import DASHBOARDS

Model = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """One panel query, as Grafana would send it to Prometheus (before variable expansion)."""

    dashboard: str
    panel: str
    ref: str
    expr: str
    instant: bool


def _number(model: Model) -> Model:
    """Give every panel (rows included) an id 1..n in layout order; Grafana needs them unique
    for links, overrides and the panel editor, and stable ids keep the committed JSON stable."""
    for i, panel in enumerate(model.get("panels", []), 1):
        panel["id"] = i
    return model


def build(stem: str) -> Model:
    """One dashboard's JSON model."""
    built = DASHBOARDS[stem]().build()
    model: Model = json.loads(JSONEncoder(sort_keys=True).encode(built))
    return _number(model)


def build_all() -> dict[str, Model]:
    """Every dashboard, by file stem."""
    return {stem: build(stem) for stem in DASHBOARDS}


def render(model: Model) -> str:
    """The file text: indented, sorted keys, UTF-8 kept readable (上架率), final newline."""
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(out_dir: Path) -> list[Path]:
    """Write ``<out_dir>/<stem>.json`` for every dashboard; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, model in build_all().items():
        path = out_dir / f"{stem}.json"
        path.write_text(render(model), encoding="utf-8")
        paths.append(path)
    return paths


def panels(model: Model) -> Iterator[Model]:
    """Every panel, including those nested in collapsed rows; rows themselves are skipped."""
    for panel in model.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def targets(stem: str, model: Model) -> Iterator[Target]:
    """Every query of every panel: what the live test evaluates against Prometheus."""
    for panel in panels(model):
        for t in panel.get("targets", []):
            yield Target(stem, panel.get("title", ""), t.get("refId", ""), t["expr"],
                         bool(t.get("instant")) and not t.get("range"))


def variable_queries(model: Model) -> dict[str, str]:
    """Template variables that query Prometheus (``label_values(...)``), by name."""
    out = {}
    for var in model.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            query = var["query"]
            out[var["name"]] = query if isinstance(query, str) else str(query.get("query", ""))
    return out
