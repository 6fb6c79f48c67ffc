"""The dashboards as files: current, well-formed, on real metric names, pinned to Grafana 11.6.

The live proof that every panel shows data is tests/exporters/grafana/test_prometheus.py; these are
the cheap checks that catch the usual drift: a builder changed without ``dcmon dashboards
build``, a metric renamed in the exporter, a panel without the datasource variable, a
provisioning file that no longer matches what the dashboards expect.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.paths import ROOT
from tests.support.snmpsim import unavailable

try:
    from dcmon.exporters.grafana.build import build_all, panels, render, targets
    from dcmon.exporters.grafana.kit import DATASOURCE_NAME, DATASOURCE_UID, DEFAULT_CEILING
except ImportError:  # pragma: no cover - the dev extra installs it
    unavailable("grafana-foundation-sdk not installed: pip install -e '.[dev]'")

JSON_DIR = ROOT / "dashboards" / "json"
PROVISIONING = ROOT / "dashboards" / "provisioning"
#: Grafana 11.6 saves dashboards with schemaVersion 41.
SCHEMA_VERSION = 41


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    return build_all()


def test_committed_json_is_current(models: dict[str, dict[str, Any]]) -> None:
    """dashboards/json is what provisioning reads: it must be what the builders make."""
    on_disk = {p.stem for p in JSON_DIR.glob("*.json")}
    assert on_disk == set(models), "run `dcmon dashboards build`"
    for stem, model in models.items():
        assert (JSON_DIR / f"{stem}.json").read_text(encoding="utf-8") == render(model), \
            f"dashboards/json/{stem}.json is stale: run `dcmon dashboards build`"


def test_build_command_writes_the_same_files(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["dashboards", "build", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    written = sorted(Path(line) for line in res.output.split())
    assert [p.name for p in written] == sorted(p.name for p in JSON_DIR.glob("*.json"))
    for path in written:
        assert path.read_text(encoding="utf-8") == (JSON_DIR / path.name).read_text("utf-8")


def test_missing_extra_is_one_clear_line(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "dcmon.exporters.grafana.build", None)
    res = CliRunner().invoke(main, ["dashboards", "build", "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "pip install 'dcmon[dashboards]'" in res.output and "Traceback" not in res.output


def _exported_names() -> set[str]:
    """Metric names the exporters can produce, read from their source and docs/metrics.md."""
    src = "\n".join(p.read_text() for p in (ROOT / "exporters" / "prometheus").glob("*.py"))
    names = set(re.findall(r'"(dcmon_[a-z0-9_]+)"', src))
    names |= {f"dcmon_{kind}_{rest}" for rest in re.findall(r'f"dcmon_\{kind\}_([a-z0-9_]+)"',
                                                             src)
              for kind in ("rack", "room", "site")}
    names |= {n + "_total" for n in re.findall(r'CounterMetricFamily\(\s*"(dcmon_[a-z0-9_]+)"',
                                               src)}
    # Device readings are named from profiles (family_name): docs/metrics.md lists them.
    names |= set(re.findall(r"`(dcmon_[a-z0-9_]+)`", (ROOT / "docs/metrics.md").read_text()))
    return names


def test_queries_use_only_exported_metrics(models: dict[str, dict[str, Any]]) -> None:
    known = _exported_names()
    assert {"dcmon_site_pue_status", "dcmon_city_standard_racks_goal_ratio",
            "dcmon_room_headroom_watts", "dcmon_site_it_energy_joules_total"} <= known
    used = {n for stem, m in models.items() for t in targets(stem, m)
            for n in re.findall(r"\bdcmon_[a-z0-9_]+", t.expr)}
    assert used - known == set()
    assert len(used) >= 40


def test_structure(models: dict[str, dict[str, Any]]) -> None:
    uids = [m["uid"] for m in models.values()]
    assert len(set(uids)) == len(uids) == 6
    for stem, m in models.items():
        assert m["schemaVersion"] == SCHEMA_VERSION, stem
        assert "dcmon" in m["tags"] and m["title"].startswith("dcmon / ")
        ds = m["templating"]["list"][0]
        assert ds["name"] == "datasource"
        assert ds["query"] == "prometheus" and ds["current"]["value"] == DATASOURCE_UID
        assert m["annotations"]["list"][0]["builtIn"] == 1
        titles = [p["title"] for p in panels(m)]
        assert len(set(titles)) == len(titles), stem  # the live test groups queries by title
        ids = [p["id"] for p in m["panels"]]
        assert ids == list(range(1, len(ids) + 1))
        for p in panels(m):
            assert p.get("description"), f"{stem}/{p['title']}: say why the panel exists"
            pos = p["gridPos"]
            assert pos["x"] + pos["w"] <= 24 and pos["h"] > 0, (stem, p["title"], pos)
            refs = [t["refId"] for t in p["targets"]]
            assert refs and len(set(refs)) == len(refs) and "" not in refs, (stem, p["title"])
            assert all(t["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
                       for t in p["targets"])


def test_every_panel_has_the_datasource_variable(models: dict[str, dict[str, Any]]) -> None:
    """Panel-level ``datasource`` too, not only the queries': with null there Grafana's panel
    editor and Explore fall back to the default data source, not the one picked in
    ``$datasource``. Rows included, and the panels nested in collapsed rows."""
    want = {"type": "prometheus", "uid": "${datasource}"}
    count = 0
    for stem, m in models.items():
        for p in m["panels"]:
            assert p.get("datasource") == want, (stem, p.get("title"))
            count += 1
        for p in panels(m):
            assert p.get("datasource") == want, (stem, p.get("title"))
            count += 1
    assert count >= 50
    on_disk = json.loads((JSON_DIR / "city-overview.json").read_text(encoding="utf-8"))
    assert {json.dumps(p["datasource"]) for p in on_disk["panels"]} == {json.dumps(want)}


def _threshold_values(obj: Any) -> set[float]:
    """Every threshold step value anywhere in a panel (defaults and overrides)."""
    found: set[float] = set()
    if isinstance(obj, dict):
        if obj.get("mode") == "absolute" and "steps" in obj:
            found |= {s["value"] for s in obj["steps"] if s["value"] is not None}
        for v in obj.values():
            found |= _threshold_values(v)
    elif isinstance(obj, list):
        for v in obj:
            found |= _threshold_values(v)
    return found


def test_pue_panels_show_the_ceiling_and_say_where_it_comes_from(
        models: dict[str, dict[str, Any]]) -> None:
    pue_panels = [(stem, p) for stem, m in models.items() for p in panels(m)
                  if any("pue_ratio" in t["expr"] or "pue_instant" in t["expr"]
                         for t in p["targets"])]
    assert len(pue_panels) >= 6
    for stem, p in pue_panels:
        if p["type"] == "table" and "Status" not in json.dumps(p["transformations"]):
            continue
        assert DEFAULT_CEILING in _threshold_values(p), (stem, p["title"])
        assert "1.3 ceiling" in p["description"] and "docs/alerts.md" in p["description"]


def test_city_overview_has_standard_racks_against_the_goal(
        models: dict[str, dict[str, Any]]) -> None:
    exprs = [t.expr for t in targets("city-overview", models["city-overview"])]
    assert "dcmon_city_standard_racks_goal_ratio" in exprs
    assert 'dcmon_city_standard_racks{kind="in_use"}' in exprs


def test_rack_dashboard_has_a_heatmap_and_both_feeds(models: dict[str, dict[str, Any]]) -> None:
    by_type = {p["type"]: p for p in panels(models["rack-capacity"])}
    assert by_type["heatmap"]["options"]["calculate"] is False
    assert "dcmon_feed_utilisation_ratio" in by_type["status-history"]["targets"][0]["expr"]
    assert "{{feed}}" in by_type["status-history"]["targets"][0]["legendFormat"]


def test_provisioning_matches_the_dashboards() -> None:
    ds = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yaml").read_text())
    (source,) = ds["datasources"]
    assert (source["uid"], source["name"], source["type"]) == (
        DATASOURCE_UID, DATASOURCE_NAME, "prometheus")
    prov = yaml.safe_load((PROVISIONING / "dashboards" / "dcmon.yaml").read_text())
    (provider,) = prov["providers"]
    assert provider["type"] == "file" and provider["options"]["path"]
    assert ds["apiVersion"] == prov["apiVersion"] == 1


def test_readme_shows_the_provisioning_files_verbatim() -> None:
    """The README's YAML is the files' YAML (minus comments): docs that cannot drift."""
    text = (ROOT / "dashboards" / "README.md").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    for path in (PROVISIONING / "datasources" / "prometheus.yaml",
                 PROVISIONING / "dashboards" / "dcmon.yaml"):
        assert yaml.safe_load(path.read_text()) in blocks, path


def test_sdk_is_the_grafana_11_6_build() -> None:
    """The SDK ships one build per Grafana version as ``epoch!version``; without the pin pip
    takes the newest epoch, a Grafana 10.1 build."""
    installed = importlib.metadata.version("grafana-foundation-sdk")
    assert installed.endswith("!11.6.0")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for extra in ("dashboards", "dev"):
        pins = [d for d in project["optional-dependencies"][extra]
                if d.startswith("grafana-foundation-sdk")]
        assert pins == [f"grafana-foundation-sdk=={installed}"], extra


def test_grafana_client_leaves_urllib3_alone() -> None:
    """grafana-client 4+ pulls urllib3-future, which overwrites ``urllib3`` in the whole
    environment (schemathesis and influxdb-client then run on a fork): keep it out."""
    import importlib.util

    assert importlib.util.find_spec("urllib3_future") is None
    assert importlib.metadata.version("grafana-client").startswith("3.")
