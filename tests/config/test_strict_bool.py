"""A flag is a YAML boolean: ``outlets: 1`` or ``outlets: "yes"`` is refused with its key, as
lax pydantic would take either as true and switch outlet polling on unnoticed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcmon.app.inventory import load_config
from dcmon.errors import ConfigError

BASE = """poll: {interval: 60}
credentials: {ro: {version: "2c", community: x}}
sites:
  - id: dc1
    devices:
      - {id: p1, host: 127.0.0.1, credential: ro, outlets: VALUE}
"""


@pytest.mark.parametrize("value", ["1", "0", '"yes"', '"true"', "2.0"])
def test_a_number_or_string_is_not_a_flag(tmp_path: Path, value: str) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(BASE.replace("VALUE", value), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "sites.0.devices.0.outlets: must be true or false" in str(err.value)


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("false", False)])
def test_yaml_booleans_are_flags(tmp_path: Path, value: str, expected: bool) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(BASE.replace("VALUE", value), encoding="utf-8")
    config = load_config(path)
    device = config.device("p1")
    assert device is not None and device.outlets is expected
