"""MIBs that say "a negative value indicates that this object is not available": with
`sentinel_below: 0` every negative raw value is no reading, not only the declared -1. Polled
from dcmon's own agent on 127.0.0.1 through the real collector."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dcmon.collectors.snmp.profile import _DEFAULTABLE, compile_snmp_profile
from dcmon.collectors.snmp.profile_view import describe_snmp
from tests.support.agent_poll import poll_agent

PF, UNITS = "1.3.6.1.4.1.99999.4.1.2", "1.3.6.1.4.1.99999.4.1.0"  # an invented enterprise
ROWS: dict[str, tuple[str, Any]] = {f"{PF}.1": ("Integer32", 946), f"{PF}.2": ("Integer32", -1),
                                    f"{PF}.3": ("Integer32", -946), f"{PF}.4": ("Integer32", 0)}


def _profile(**extra: Any) -> Any:
    return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "defaults": {
        "sentinels": [-1]}, "metrics": [
        {"name": "power_factor", "oid": PF, "unit": "ratio", "scale": 0.001,
         "index": [{"label": "outlet"}], **extra}]}, "t.yaml")


def _read(profile: Any, rows: dict[str, tuple[str, Any]]) -> dict[str, float]:
    res = poll_agent(rows, profile)
    assert res.errors == ()
    return {r.labels["outlet"]: r.value for r in res.readings}


def test_only_the_declared_sentinel_without_a_bound() -> None:
    assert _read(_profile(), ROWS) == pytest.approx({"1": 0.946, "3": -0.946, "4": 0.0})


def test_every_value_below_the_bound_is_not_available() -> None:
    assert _read(_profile(sentinel_below=0), ROWS) == pytest.approx({"1": 0.946, "4": 0.0})
    assert describe_snmp(_profile(sentinel_below=0))["metrics"][0]["sentinel_below"] == 0


def test_a_row_below_the_bound_needs_no_unit_setting() -> None:
    setting = {"oid": UNITS, "scalar": True, "cases": {1: {}}}
    res = poll_agent({f"{PF}.3": ("Integer32", -946)},
                     _profile(sentinel_below=0, setting=setting))
    assert res.readings == () and res.errors == ()


def test_defaults_give_the_bound_to_every_metric_and_the_readme_says_so() -> None:
    profile = compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "defaults": {
        "sentinel_below": 0}, "metrics": [
        {"name": "power_factor", "oid": PF, "unit": "ratio", "scale": 0.001,
         "index": [{"label": "outlet"}]}]}, "t.yaml")
    assert _read(profile, ROWS) == pytest.approx({"1": 0.946, "4": 0.0})
    readme = (Path(__file__).parents[3] / "collectors/profiles/README.md").read_text()
    start = readme.index("defaults:")
    listed = readme[start:readme.index("metrics:", start)]
    assert [k for k in sorted(_DEFAULTABLE) if k not in listed] == []
