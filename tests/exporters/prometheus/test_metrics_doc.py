"""docs/metrics.md lists every metric family the code exports, as the code exports it.

The tables are generated (dcmon.exporters.prometheus.catalogue); these tests fail when the page
is stale, when the catalogue misses a family the exporters' source can emit, and when a real
scrape shows a family or a label the catalogue does not know.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dcmon.collectors.registry import ProfileRegistry
from dcmon.exporters.prometheus.capacity import CapacityCollector
from dcmon.exporters.prometheus.catalogue import (
    BEGIN,
    END,
    Family,
    main,
    render,
    sections,
    update_page,
)
from dcmon.exporters.prometheus.collector import SnapshotCollector
from dcmon.exporters.prometheus.engine import EngineCollector
from tests.support.capacity_api import hub_from_case
from tests.support.paths import ROOT

PAGE = ROOT / "docs" / "metrics.md"


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Family]:
    return {f.name: f for _, fams in sections(ProfileRegistry.load()) for f in fams}


def test_page_is_current() -> None:
    text = PAGE.read_text(encoding="utf-8")
    want = update_page(text, render(sections(ProfileRegistry.load())))
    assert text == want, ("docs/metrics.md is stale: python -m dcmon.exporters.prometheus."
                          "catalogue --write docs/metrics.md")


def test_write_command_regenerates_the_page(tmp_path: Path) -> None:
    page = tmp_path / "metrics.md"
    text = PAGE.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    page.write_text(head + BEGIN + "\n| `dcmon_stale_family` | gauge | — | gone |\n" + END +
                    rest.partition(END)[2], encoding="utf-8")
    assert main(["--write", str(page)]) == 0
    assert page.read_text(encoding="utf-8") == text
    page.write_text("no markers here\n", encoding="utf-8")
    with pytest.raises(ValueError, match="markers are missing"):
        main(["--write", str(page)])


def test_catalogue_covers_every_family_in_the_source(catalogue: dict[str, Family]) -> None:
    """Every family name the exporters' source spells out (literals and the rack/room/site
    f-strings) is in the catalogue: a collector branch the sample input missed shows here."""
    src = "\n".join(p.read_text(encoding="utf-8")
                    for folder in ("prometheus", "notify", "influx")
                    for p in (ROOT / "exporters" / folder).glob("*.py")
                    if p.name != "catalogue.py")
    names = set(re.findall(r'MetricFamily\(\s*"(dcmon_[a-z0-9_]+)"', src))
    names |= set(re.findall(r'f\.add\(\s*"(dcmon_[a-z0-9_]+)"', src))
    names |= {f"dcmon_{kind}_{rest}"
              for rest in re.findall(r'f"dcmon_\{kind\}_([a-z0-9_]+)"', src)
              for kind in (("rack", "room", "site") if rest.startswith("headroom")
                           or rest in ("history_coverage_ratio", "stale_inputs")
                           else ("room", "site"))}
    bare = {n.removesuffix("_total") for n in catalogue}
    assert len(names) >= 80
    assert names - bare == set()
    assert len(catalogue) >= 95
    # Counters carry _total, gauges never do.
    assert all(f.name.endswith("_total") == (f.type == "counter") for f in catalogue.values())


def test_real_scrape_matches_the_catalogue(catalogue: dict[str, Family], tmp_path: Path) -> None:
    """A hub fed with a capacity case (real readings through the energy engine): every family
    and label name its scrape shows is in the catalogue."""
    hub = hub_from_case("failover_ab", tmp_path)
    try:
        reg = CollectorRegistry()
        for c in (SnapshotCollector(hub.snapshot), EngineCollector(hub), CapacityCollector(hub)):
            reg.register(c)
        text = generate_latest(reg).decode()
    finally:
        hub.engine.store.close()
    seen = 0
    for fam in text_string_to_metric_families(text):
        if not fam.samples:
            continue
        name = fam.name + ("_total" if fam.type == "counter" else "")
        assert name in catalogue, name
        doc = catalogue[name]
        assert doc.type == fam.type, name
        if not doc.metric:  # device readings carry the profile's own labels too
            for s in fam.samples:
                assert set(s.labels) <= set(doc.labels), (name, s.labels)
        seen += 1
    assert seen >= 40
    for name in ("dcmon_rack_failover_ratio", "dcmon_power_watts",
                 "dcmon_city_standard_racks_goal_ratio", "dcmon_device_up"):
        assert f"| `{name}` |" in PAGE.read_text(encoding="utf-8")
