"""Which readings make a meter named without labels: a UPS's output, not its input and bypass
as well (they carry the same load), and everything a device offers when it has one point."""

from __future__ import annotations

from dcmon.config.topology import MeterRef
from dcmon.engine.pue import narrow, select_readings
from dcmon.model import Reading


def _power(point: str | None, watts: float, level: str = "total") -> Reading:
    labels = {} if point is None else {"point": point}
    return Reading("ups-1", "power", watts, "W", labels, 0.0, level=level)


def test_a_ups_meter_is_its_output() -> None:
    """The shape of an APC or Eaton UPS: input, bypass and output totals."""
    got = select_readings([_power("input", 10_400), _power("bypass", 0),
                           _power("output", 9_800), _power("output", 3_300, "phase")],
                          MeterRef(device="ups-1"))
    assert [(r.labels["point"], r.value) for r in got] == [("output", 9_800)]


def test_line_readings_of_a_ups_mib_agent_are_the_output_lines() -> None:
    """UPS-MIB has no totals: its per-line input, output and bypass powers."""
    lines = [_power(p, w, "line") for p, w in (("input", 3_500), ("input", 3_400),
                                                ("output", 3_200), ("output", 3_100),
                                                ("bypass", 0))]
    got = select_readings(lines, MeterRef(device="ups-1"))
    assert sorted(r.value for r in got) == [3_100, 3_200]


def test_labels_still_choose_any_point_and_single_points_are_kept() -> None:
    readings = [_power("input", 10_400), _power("output", 9_800)]
    got = narrow(readings, MeterRef(device="ups-1", labels={"point": "input"}))
    assert [r.value for r in got] == [10_400]
    plain = [_power(None, 5_000), _power(None, 1_000, "phase")]
    assert [r.value for r in select_readings(plain, MeterRef(device="ups-1"))] == [5_000]
    rectifier = [_power("rectifier", 2_000)]
    assert [r.value for r in select_readings(rectifier, MeterRef(device="ups-1"))] == [2_000]


def _reading(metric: str, unit: str, value: float, point: str | None, level: str) -> Reading:
    labels = {} if point is None else {"point": point}
    return Reading("ups-1", metric, value, unit, labels, 0.0, level=level)


def test_the_output_point_is_chosen_per_metric() -> None:
    """A device whose power carries no point keeps it, whatever point its voltages or
    currents name: only a metric read at the output and elsewhere is narrowed to its output."""
    total = [_reading("power", "W", 4_000, None, "total"),
             _reading("voltage", "V", 230, "output", "total"),
             _reading("voltage", "V", 231, "input", "total")]
    assert [r.value for r in select_readings(total, MeterRef(device="ups-1"))] == [4_000]
    # no totals: a UPS card's line voltages next to a power read without a point
    lines = [_reading("voltage", "V", 230, "output", "line"),
             _reading("voltage", "V", 231, "input", "line"),
             _reading("power", "W", 1_500, None, "module"),
             _reading("power", "W", 1_400, None, "module")]
    assert sorted(r.value for r in select_readings(lines, MeterRef(device="ups-1"))) == [
        1_400, 1_500]
    # energy counters and powers are narrowed each by their own points
    mixed = [_reading("energy", "J", 9e9, None, "total"),
             _reading("power", "W", 9_800, "output", "total"),
             _reading("power", "W", 10_400, "input", "total")]
    got = narrow(mixed, MeterRef(device="ups-1"))
    assert sorted((r.metric, r.value) for r in got) == [("energy", 9e9), ("power", 9_800)]


def test_without_totals_the_coarsest_nested_level_counts() -> None:
    """A UPS read per output circuit and per outlet (no total, no rack-power level): the
    outlets are parts of the circuits' load, so only the circuits count."""
    readings = [_power("output", 1_200, "branch"), _power("output", 800, "branch"),
                _power("output", 700, "outlet"), _power("output", 500, "outlet")]
    got = select_readings(readings, MeterRef(device="ups-1"))
    assert sorted(r.value for r in got) == [800, 1_200]
    other = [_power(None, 300, "module"), _power(None, 200, "outlet")]
    assert sorted(r.value for r in select_readings(other, MeterRef(device="ups-1"))) == [200, 300]
