"""The SNMP poll deadline and walk limits in the inventory: defaults, overrides, and errors
that name the key."""

from __future__ import annotations

from typing import Any

import pytest

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.errors import ConfigError

REG = ProfileRegistry.load()


def inventory(poll: dict[str, Any], device: dict[str, Any]) -> dict[str, Any]:
    return {"poll": poll, "credentials": {"ro": {"version": "2c", "community": "public"}},
            "sites": [{"id": "dc1", "devices": [
                {"id": "pdu1", "host": "10.0.0.1", "credential": "ro", "profile": "apc_rpdu2",
                 **device}]}]}


@pytest.mark.parametrize(("poll", "device", "deadline"), [
    ({}, {}, 30.0),                                          # interval 30 s
    ({"interval": 10}, {}, 10.0),                            # the interval
    ({"interval": 600}, {}, 30.0),                           # at most 30 s
    ({"interval": 1}, {}, 5.0),                              # at least 5 s
    ({"interval": 10, "timeout": 4, "retries": 2}, {}, 12.0),  # never below one request's tries
    ({"poll_deadline": 20}, {}, 20.0),                       # poll default
    ({"poll_deadline": 20}, {"poll_deadline": 45}, 45.0),    # device beats poll
    ({}, {"interval": 15}, 15.0),                            # the device's own interval
])
def test_poll_deadline(poll: dict[str, Any], device: dict[str, Any], deadline: float) -> None:
    (dev,) = parse_config(inventory(poll, device), "site.yaml", REG).devices
    assert dev.poll_deadline == deadline


def test_walk_limits_defaults_and_overrides() -> None:
    (dev,) = parse_config(inventory({}, {}), "site.yaml", REG).devices
    assert (dev.max_walk_rows, dev.max_poll_varbinds, dev.max_poll_bytes) == (
        10_000, 100_000, 16 * 1024 * 1024)
    (dev,) = parse_config(inventory({"max_walk_rows": 20_000, "max_poll_bytes": 1 << 20},
                                    {"max_poll_varbinds": 5_000, "max_poll_bytes": 1 << 22}),
                          "site.yaml", REG).devices
    assert (dev.max_walk_rows, dev.max_poll_varbinds, dev.max_poll_bytes) == (
        20_000, 5_000, 1 << 22)


def test_bad_limits_name_file_and_key() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(inventory({"poll_deadline": 0}, {"max_walk_rows": -1}), "site.yaml", REG)
    where = sorted(f"{p.file}: {p.key}" for p in caught.value.problems)
    assert where == ["site.yaml: poll.poll_deadline",
                     "site.yaml: sites.0.devices.0.max_walk_rows"]


def test_limits_are_snmp_settings() -> None:
    doc = {"sites": [{"id": "dc1", "devices": [
        {"id": "m1", "host": "10.0.0.2", "protocol": "modbus", "profile": "eastron_sdm630",
         "poll_deadline": 10}]}]}
    with pytest.raises(ConfigError) as caught:
        parse_config(doc, "site.yaml", REG)
    assert [(p.key, p.message) for p in caught.value.problems] == [
        ("sites.0.devices.0.poll_deadline", "not a setting of modbus devices")]
