"""The tenants section of docs/configuration.md parses as documented, and the tariff's
price table is what its periods say."""

from __future__ import annotations

import re

import yaml

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.tenants import Tariff, hour_range
from tests.support.paths import ROOT


def test_configuration_example_parses() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = text[text.index("## Tenants and tariffs"):]
    block = re.findall(r"```yaml\n(.*?)```", section, re.S)[0]
    cfg = parse_config(yaml.safe_load(block), "configuration.md", ProfileRegistry.load())
    site = cfg.model.sites[0]
    assert [r.tenant for r in site.rooms[0].racks] == ["health", "school", None]
    table = site.tariffs[1].price_by_hour()
    assert table[7] == ("flat", 0.7) and table[8] == ("peak", 1.2) and table[23] == (
        "valley", 0.3) and table[0] == ("valley", 0.3)
    assert site.tariffs[0].price_by_hour() == tuple(("flat", 0.65) for _ in range(24))


def test_hour_ranges() -> None:
    assert hour_range("08-11") == [8, 9, 10]
    assert hour_range("23:00-02:00") == [23, 0, 1]
    assert hour_range("0-24") == list(range(24))
    assert Tariff.model_validate({"from": "2026-01-01", "price": 1}).currency == "CNY"
