"""Every synthetic device case with a fifth of its objects missing (an older or smaller
firmware, three fixed seeds): what dcmon still reads must be what the case expects for that
very series, or the coarser reading of the same quantity that the profile falls back to
(230 V where the high-precision column said 230.1 V). A value under another series' labels,
or off by more than a coarse column's resolution, fails: seed 2 caught a CyberPower bank read
under its row number. Unit objects read as Celsius when absent (`absent:` settings,
`keep_absent: column` unit columns) are never removed: an agent without its temperature unit is
read as Celsius by design (collectors/profiles/README.md), so a Fahrenheit case without it would
read its Fahrenheit figures. Served from dcmon's own agent
on 127.0.0.1 (tests/support/disguise.py)."""

from __future__ import annotations

from typing import Any

import pytest

from dcmon.collectors.registry import ProfileRegistry
from dcmon.sim.agent import OidStore
from tests.support.device_cases import case_names, case_values, expected, series_key
from tests.support.disguise import Stores, drop_cells, polled


def defaulted_units() -> set[str]:
    """The unit objects that a shipped profile reads as Celsius when the agent lacks them: unit
    settings with an ``absent:`` case, and unit columns with ``keep_absent: column``."""
    out = set()
    for p in ProfileRegistry.load().snmp():
        for m in p.metrics:
            if m.setting is not None and m.setting.absent is not None:
                out.add(m.setting.oid)
            out.update(w.oid for w in m.wheres if w.without_column)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_missing_objects_never_move_a_value_to_another_series(seed: int) -> None:
    names = case_names()
    keep = defaulted_units()
    stores: Stores = {n: OidStore(drop_cells(case_values(n), 0.2, seed, keep)) for n in names}
    results = polled(stores, names)
    bad, compared = [], 0
    for n in names:
        want: dict[tuple[Any, ...], list[float]] = {}
        for r in expected(n)["readings"]:
            want.setdefault(series_key(r["metric"], r["unit"], r["labels"]), []).append(r["value"])
        for r in results[n].readings:
            values = want.get(series_key(r.metric, r.unit, dict(r.labels)))
            if values is None:       # a lookup's name cell is gone: another label set
                continue
            compared += 1
            if not any(abs(r.value - v) <= 1.0 + 0.01 * abs(v) for v in values):
                bad.append(f"{n}: {r.metric} {dict(r.labels)} = {r.value}, expected {values}")
    assert not bad, "\n".join(bad)
    assert compared > 1000
