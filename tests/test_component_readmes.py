"""Component READMEs: their configuration examples must stay valid (docs that cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from dcmon.app.inventory import load_config, parse_config
from dcmon.collectors.registry import ProfileRegistry, compile_profile
from tests.support.paths import ROOT

BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


def _blocks(path: Path) -> list[str]:
    return BLOCK.findall(path.read_text())


@pytest.mark.parametrize("readme", ["collectors/snmp/README.md"])
def test_inventory_examples_parse(readme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("DCMON_COMMUNITY", "DCMON_AUTH_KEY", "DCMON_PRIV_KEY"):
        monkeypatch.setenv(var, "example-secret-value")
    blocks = _blocks(ROOT / readme)
    assert blocks
    cfg = parse_config(yaml.safe_load(blocks[0]), readme, ProfileRegistry.load(), ROOT)
    assert [d.id for d in cfg.devices] == ["pdu-a01-a", "pdu-a01-b"]


def test_profile_format_example_compiles() -> None:
    block = _blocks(ROOT / "collectors/profiles/README.md")[0]
    doc = yaml.safe_load(block.replace("oid: ...,", "oid: 1.3.6.1.4.1.99.1,"))
    prof = compile_profile(doc, "README")
    assert [m.name for m in prof.metrics] == ["power", "energy"]
    assert prof.metrics[1].resettable and prof.metrics[1].width == 32


def test_example_inventory_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Valid as given, with no environment (tests/app/test_example_inventory.py runs it as the
    README does)."""
    for var in ("DCMON_PDU_COMMUNITY", "DCMON_V3_AUTH_KEY"):
        monkeypatch.delenv(var, raising=False)
    cfg = load_config(ROOT / "config" / "example.yaml")
    assert len(cfg.devices) == 12


SECTIONS = ("## Configuration", "## Metrics", "## Troubleshooting", "## Example output")


@pytest.mark.parametrize("folder", sorted(
    str(p.relative_to(ROOT)) for top in ("collectors", "exporters")
    for p in (ROOT / top).iterdir() if p.is_dir() and not p.name.startswith("__")))
def test_every_component_folder_has_a_readme_in_four_parts(folder: str) -> None:
    text = (ROOT / folder / "README.md").read_text(encoding="utf-8")
    assert [s for s in SECTIONS if f"\n{s}" not in text] == []
