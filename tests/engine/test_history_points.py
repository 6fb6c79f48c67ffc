"""The status page's day of history: each point's rack powers are compact and true.

A point per 5 minutes for a day, each with every rack's power: as dicts of tuples and floats
a city's 5,000 racks took ~550 KB a point. Points of the same racks share one key index, and
hold one 32-bit float a rack; the values read back are the rack powers the results had (to
32-bit precision), None where the rack had none.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dcmon.engine.results import HISTORY_STEP_S, RackPowers, history_point
from tests.support.capacity_api import hub_from_case


def _now(res: object) -> dict[tuple[str, str], float | None]:
    cap = res.capacity  # type: ignore[attr-defined]
    return {(s.site, r.rack): r.now_kw for s in cap.sites for ro in s.rooms for r in ro.racks}


@pytest.mark.parametrize("case", ["failover_ab", "unmetered_rack"])
def test_history_points_read_back_the_rack_powers(case: str, tmp_path: Path) -> None:
    hub = hub_from_case(case, tmp_path)
    first = hub.latest
    hub.recompute(first.computed + HISTORY_STEP_S)
    a, b = hub.history
    assert b.ts - a.ts == HISTORY_STEP_S
    want = _now(hub.latest)
    assert set(b.racks) == set(want) and len(b.racks) == len(want) >= 2
    for key, kw in want.items():
        got = b.racks[key]
        assert (got is None) == (kw is None)
        if kw is not None and got is not None:
            assert math.isclose(got, kw, rel_tol=1e-6, abs_tol=1e-6)
    assert b.racks._index is a.racks._index  # the same racks: one key index
    with pytest.raises(KeyError):
        b.racks[("dc1", "no-such-rack")]


def test_unmetered_racks_read_back_none(tmp_path: Path) -> None:
    hub = hub_from_case("unmetered_rack", tmp_path)
    racks = hub.history[-1].racks
    assert any(v is None for v in racks.values()) and any(v is not None for v in racks.values())


def test_other_racks_get_their_own_index_and_a_point_is_small() -> None:
    one = RackPowers.of({("s", "r1"): 1.5, ("s", "r2"): None})
    same = RackPowers.of({("s", "r1"): 2.0, ("s", "r2"): 3.25}, like=one)
    other = RackPowers.of({("s", "r1"): 2.0, ("s", "r3"): 3.25}, like=one)
    assert same._index is one._index and other._index is not one._index
    assert dict(one) == {("s", "r1"): 1.5, ("s", "r2"): None}
    assert dict(other) == {("s", "r1"): 2.0, ("s", "r3"): 3.25}
    racks = {("site", f"r{i}"): i / 7 for i in range(5000)}
    prev = RackPowers.of(racks)
    point = RackPowers.of(racks, like=prev)
    assert point._kw.itemsize * len(point._kw) == 20_000  # the only per-point part


def test_the_status_pages_point_of_new_results_shares_the_index(tmp_path: Path) -> None:
    hub = hub_from_case("failover_ab", tmp_path)
    p = history_point(hub.latest, hub.history[-1])
    assert p.racks._index is hub.history[-1].racks._index and dict(p.racks) == dict(
        hub.history[-1].racks)
