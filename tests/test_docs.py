"""The docs and the shipped code speak to dcmon's users: every reference resolves inside the
repository, and no wording from the development process leaks into what users read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from tests.support.paths import ROOT

#: What users read: the docs, the READMEs, the shipped code and configuration.
SHIPPED = ("docs", "dcmon", "collectors", "exporters", "config", "dashboards", "scripts")
SUFFIXES = {".md", ".py", ".yaml", ".yml", ".json", ".sh", ".toml"}
#: Phrases that only make sense to the people who wrote dcmon, not to the people who run it.
INTERNAL = re.compile(
    r"\.\./shared|(?-i:DOMAIN\.md)|the issue'?s?\b|\bthe bar\b|unverified primary", re.I)


def _shipped_files() -> Iterator[Path]:
    yield ROOT / "README.md"
    for top in SHIPPED:
        base = ROOT / top
        if base.is_symlink():  # dcmon/collectors and dcmon/exporters: walked at the top level
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(ROOT).parts
            if any(p.startswith(".") or p == "__pycache__" for p in rel):
                continue
            if path.is_symlink() or not path.is_file() or path.suffix not in SUFFIXES:
                continue
            yield path


def test_no_internal_references_in_docs_or_shipped_code() -> None:
    files = list(_shipped_files())
    assert len(files) > 200
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
             for p in files
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if INTERNAL.search(line)]
    assert found == []


def test_domain_page_is_where_the_references_point() -> None:
    """docs/domain.md carries the facts the code and the alert texts cite, with sources."""
    text = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    for heading in ("## 1. PUE and its relatives", "## 2. Policy numbers in China",
                    "## 3. Meters are counters, not gauges", "## Sources"):
        assert heading in text
    for source in ("ISO/IEC 30134-2", "EN 50600-4-2", "White Paper 49", "GB 40879-2021",
                   "新型数据中心发展三年行动计划", "数据中心绿色低碳发展专项行动计划"):
        assert source in text
    for fact in ("E_DC / E_IT", "**2.5 kW**", "| 1.3 |", "| 1.25 |", "| 1.5 |",
                 "4,294,967,295", "9,999,000", "-1", "Double counting"):
        assert fact in text
    cited = {p.relative_to(ROOT) for p in _shipped_files()
             if "docs/domain.md" in p.read_text(encoding="utf-8")}
    assert {Path("dcmon/config/policy.py"), Path("dcmon/config/capacity.py"),
            Path("docs/alerts.md"), Path("config/rules/rules.yml")} <= cited


def test_doc_links_resolve() -> None:
    """Every `docs/x.md` a page names exists."""
    missing = set()
    for path in _shipped_files():
        if path.suffix != ".md":
            continue
        for ref in re.findall(r"\bdocs/[a-z0-9-]+\.md\b", path.read_text(encoding="utf-8")):
            if not (ROOT / ref).is_file():
                missing.add((str(path.relative_to(ROOT)), ref))
    assert missing == set()
