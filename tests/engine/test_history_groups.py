"""Capacity history summed once per group of meters (a rack's, a feed's) combines exactly as
the meters' own hours do, including meters without history (they count for coverage only),
meters whose peaks come from energy, and both percentiles capacity asks for. A feed's group
keeps no days (only a rack's make the forecast)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dcmon.engine.capacity.calculator import by_rack
from dcmon.engine.capacity.history import DeviceHistory, combine

H = 3600.0


def _hist(peaks: list[float], source: str = "power", covered: float = 0.0) -> DeviceHistory:
    hourly = {1.8e9 + i * H: w for i, w in enumerate(peaks)}
    daily = {1.8e9: max(peaks)} if peaks else {}
    return DeviceHistory(hourly, daily, covered or len(peaks) * H, source)


RACK = [SimpleNamespace(id="a1", feed="A"), SimpleNamespace(id="a2", feed="A"),
        SimpleNamespace(id="b1", feed="B"), SimpleNamespace(id="x", feed=None),
        SimpleNamespace(id="quiet", feed="B")]
RAW = {"a1": _hist([100.5, 210.25, 90.0, 400.125]), "a2": _hist([10.0, 20.0, 30.0]),
       "b1": _hist([55.5, 66.0, 77.75, 12.0], source="energy"),
       "x": _hist([1.0, 2.0, 3.0, 4.0, 5.0]),
       "quiet": DeviceHistory({}, {}, 0.0, "none")}


@pytest.mark.parametrize("ids", [["a1", "a2", "b1", "x", "quiet"], ["a1", "a2", "b1", "x"],
                                 ["a1", "a2"], ["b1", "quiet"], ["b1"]])
@pytest.mark.parametrize("p", [100.0, 95.0])
def test_summed_groups_combine_as_the_meters_do(ids: list[str], p: float) -> None:
    kept = by_rack(RACK, RAW, 95.0, {})
    assert all(not kept[d].hourly for d in RAW if RAW[d].source != "none")
    got = combine([kept[d] for d in ids], 4 * H, p)
    want = combine([RAW[d] for d in ids], 4 * H, p)
    assert got.hours == want.hours and got.peak_w == want.peak_w and got.p95_w == want.p95_w
    assert got.coverage == want.coverage and got.flags == want.flags
    whole = {"a1", "a2", "b1", "x"} <= set(ids)
    # Only a rack's days make the forecast: a feed's group keeps none.
    assert dict(got.daily) == (dict(want.daily) if whole else {})
    assert got.daily.get(1.8e9 + 1) is None


def test_a_group_capacity_does_not_sum_is_refused() -> None:
    kept = by_rack(RACK, RAW, 95.0)
    with pytest.raises(ValueError, match="one group's meters"):
        combine([kept["a1"], kept["b1"]], H, 100.0)  # not a feed, not the rack
    with pytest.raises(ValueError, match="percentile asked for"):
        combine([kept["a1"], kept["a2"]], H, 50.0)
    assert combine([kept["quiet"]], H, 50.0).hours == 0  # no history: nothing to sum


def test_racks_with_the_same_days_share_them() -> None:
    same: dict[bytes, object] = {}
    one = by_rack(RACK, RAW, 95.0, same)  # type: ignore[arg-type]
    two = by_rack(RACK, RAW, 95.0, same)  # type: ignore[arg-type]
    d1, d2 = one["a1"].groups[0].daily, two["a1"].groups[0].daily
    assert d1 is not d2 and d1._days is d2._days and dict(d1) == dict(d2) == {1.8e9: 512.875}
