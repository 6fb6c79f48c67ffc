"""A device setting chooses how a value reads: a scalar (Geist temperatureUnits) or a column of
the value's own row. Polled from dcmon's own agent on 127.0.0.1 through the real collector."""

from __future__ import annotations

from typing import Any

import pytest

from dcmon.collectors.snmp.profile import compile_snmp_profile
from dcmon.collectors.snmp.profile_view import describe_snmp
from dcmon.errors import ConfigError
from dcmon.model import PollResult
from tests.support.agent_poll import poll_agent

B = "1.3.6.1.4.1.99999.1"  # an invented test enterprise
UNITS, TEMP, ROW_UNIT = f"{B}.1.0", f"{B}.2.1.2", f"{B}.2.1.3"
CASES = {0: {"scale": 0.1, "transform": "fahrenheit"}, 1: {"scale": 0.1}}


def _profile(**setting: Any) -> Any:
    return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
        {"name": "temperature", "oid": TEMP, "unit": "Cel", "index": [{"label": "sensor"}],
         "setting": setting}]}, "t.yaml")


def _poll(values: dict[str, tuple[str, Any]], profile: Any) -> PollResult:
    return poll_agent(values, profile)


def _temps(units: int) -> dict[str, tuple[str, Any]]:
    return {UNITS: ("Integer32", units), f"{TEMP}.1": ("Integer32", 770),
            f"{TEMP}.2": ("Integer32", -40)}


@pytest.mark.parametrize(("units", "want"), [(0, {"1": 25.0, "2": -20.0}),
                                             (1, {"1": 77.0, "2": -4.0})])
def test_a_scalar_setting_picks_scale_and_unit(units: int, want: dict[str, float]) -> None:
    res = _poll(_temps(units), _profile(oid=UNITS, scalar=True, cases=CASES))
    got = {r.labels["sensor"]: r.value for r in res.readings}
    assert got == pytest.approx(want) and res.errors == ()


def test_an_unknown_or_missing_setting_skips_the_reading_and_says_why() -> None:
    res = _poll(_temps(7), _profile(oid=UNITS, scalar=True, cases=CASES))
    assert res.readings == () and res.ok
    assert {e.reason for e in res.errors} == {"unknown_setting"}
    assert res.errors[0].message == f"temperature: setting {UNITS} = '7' is none of [0, 1]"
    values = _temps(1)
    del values[UNITS]
    res = _poll(values, _profile(oid=UNITS, scalar=True, cases=CASES))
    assert res.readings == ()
    assert res.errors[0].message == f"temperature: no setting at {UNITS}"


def test_a_row_setting_is_read_per_row() -> None:
    values = {f"{TEMP}.1": ("Integer32", 770), f"{TEMP}.2": ("Integer32", 215),
              f"{ROW_UNIT}.1": ("Integer32", 0), f"{ROW_UNIT}.2": ("Integer32", 1)}
    res = _poll(values, _profile(oid=ROW_UNIT, cases=CASES))
    assert {r.labels["sensor"]: r.value for r in res.readings} == pytest.approx(
        {"1": 25.0, "2": 21.5})
    shown = describe_snmp(_profile(oid=ROW_UNIT, cases=CASES))["metrics"][0]["setting"]
    assert shown == {"oid": ROW_UNIT, "scalar": False, "cases": {
        0: {"scale": 0.1, "transform": "fahrenheit"}, 1: {"scale": 0.1}}}


def test_bad_settings_fail_with_file_and_key() -> None:
    with pytest.raises(ConfigError) as err:
        compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
            {"name": "temperature", "oid": f"{TEMP}.1", "unit": "Cel",
             "setting": {"oid": ROW_UNIT, "cases": {1: {"scale": 0}}}},
            {"name": "temperature", "oid": TEMP, "unit": "Cel", "index": [{"label": "s"}],
             "setting": {"oid": UNITS, "scalar": True, "cases": {1: {"transform": "kelvin"}}}},
            {"name": "temperature", "oid": TEMP, "unit": "Cel", "index": [{"label": "s"}],
             "setting": {"oid": UNITS, "index": ["x"], "cases": {}}},
        ]}, "p.yaml")
    lines = sorted(str(p) for p in err.value.problems)
    assert lines == sorted([
        "p.yaml: metrics.0.setting.scalar: a scalar metric's setting must be a scalar "
        "(scalar: true)",
        "p.yaml: metrics.0.setting.cases: scale must not be 0",
        "p.yaml: metrics.1.setting.cases.1.transform: unknown transform 'kelvin' "
        "(known: number, fahrenheit)",
        "p.yaml: metrics.2.setting.index: unknown index label 'x' (index has: ['s'])",
        "p.yaml: metrics.2.setting: give either cases or fahrenheit_twin",
    ]), lines


def test_absent_names_the_case_for_an_agent_without_the_setting() -> None:
    """``absent`` reads by a named case only when the agent has no setting object; a value it
    does publish but the profile does not list is still skipped."""
    values = _temps(1)
    del values[UNITS]
    res = _poll(values, _profile(oid=UNITS, scalar=True, cases=CASES, absent=0))
    assert {r.labels["sensor"]: r.value for r in res.readings} == pytest.approx(
        {"1": 25.0, "2": -20.0})
    assert res.errors == ()
    res = _poll(_temps(7), _profile(oid=UNITS, scalar=True, cases=CASES, absent=0))
    assert res.readings == () and {e.reason for e in res.errors} == {"unknown_setting"}
    res = _poll(_temps(1), _profile(oid=UNITS, scalar=True, cases=CASES, absent=0))
    assert {r.labels["sensor"]: r.value for r in res.readings} == pytest.approx(
        {"1": 77.0, "2": -4.0})
    shown = describe_snmp(_profile(oid=UNITS, scalar=True, cases=CASES, absent=0))
    assert shown["metrics"][0]["setting"]["absent"] == 0


def test_absent_must_name_a_case() -> None:
    with pytest.raises(ConfigError) as err:
        _profile(oid=UNITS, scalar=True, cases=CASES, absent=2)
    assert [str(p) for p in err.value.problems] == [
        "t.yaml: metrics.0.setting.absent: 2 is none of the cases [0, 1]"]


def test_a_setting_and_a_fallback_together_are_refused() -> None:
    """A case's scale would replace the fallback OID's own (a primary in 0.1 degC with a
    fallback in whole degrees would read the fallback ten times off)."""
    with pytest.raises(ConfigError) as err:
        compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
            {"name": "temperature", "oid": TEMP, "unit": "Cel", "index": [{"label": "s"}],
             "fallback": {"oid": ROW_UNIT, "scale": 1},
             "setting": {"oid": UNITS, "scalar": True, "cases": CASES}}]}, "p.yaml")
    assert [str(p) for p in err.value.problems] == [
        "p.yaml: metrics.0.setting: a metric with a fallback cannot also have a setting"]


def test_an_optional_scalar_the_agent_lacks_needs_no_setting() -> None:
    """A scalar metric the agent does not answer reads nothing, whatever its setting: no error
    when it is optional (one controller of a family answers another's units object only), the
    usual no_such_object when it is not, and a present value still needs its setting."""
    value = f"{B}.3.0"

    def scalar(optional: bool) -> Any:
        return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
            {"name": "temperature", "oid": value, "unit": "Cel", "optional": optional,
             "setting": {"oid": UNITS, "scalar": True, "cases": CASES}}]}, "t.yaml")

    res = _poll({f"{B}.9.0": ("Integer32", 1)}, scalar(optional=True))
    assert res.readings == () and res.errors == ()
    res = _poll({f"{B}.9.0": ("Integer32", 1)}, scalar(optional=False))
    assert res.readings == () and {e.reason for e in res.errors} == {"no_such_object"}
    res = _poll({value: ("Integer32", 250)}, scalar(optional=True))
    assert res.readings == () and {e.reason for e in res.errors} == {"unknown_setting"}
    res = _poll({value: ("Integer32", 250), UNITS: ("Integer32", 1)}, scalar(optional=True))
    assert [r.value for r in res.readings] == pytest.approx([25.0]) and res.errors == ()


def test_a_sentinel_needs_no_setting() -> None:
    """A value the profile declares "not present" (iBoot temperature 999) is no reading whatever
    the unit setting says, so an agent without the setting reports nothing for it; a real value
    beside it still needs the setting."""
    def profile(scalar: bool) -> Any:
        metric = {"name": "temperature", "oid": TEMP if not scalar else f"{B}.3.0", "unit": "Cel",
                  "sentinels": [999], "setting": {"oid": UNITS, "scalar": True, "cases": CASES}}
        if not scalar:
            metric["index"] = [{"label": "sensor"}]
        return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [metric]},
                                    "t.yaml")

    res = _poll({f"{B}.3.0": ("Integer32", 999)}, profile(scalar=True))
    assert res.readings == () and res.errors == ()
    res = _poll({f"{TEMP}.1": ("Integer32", 999), f"{TEMP}.2": ("Integer32", 999)},
                profile(scalar=False))
    assert res.readings == () and res.errors == ()
    res = _poll({f"{TEMP}.1": ("Integer32", 999), f"{TEMP}.2": ("Integer32", 215)},
                profile(scalar=False))
    assert res.readings == ()
    assert [e.reason for e in res.errors] == ["unknown_setting"]


def test_a_null_cell_needs_no_setting_and_says_why_once() -> None:
    """An agent answering NULL (no value) for the reading has nothing to convert: no unit
    setting is asked for, and a required metric reports the NULL itself, once."""
    metric = {"name": "temperature", "oid": f"{B}.3.0", "unit": "Cel",
              "setting": {"oid": UNITS, "scalar": True, "cases": CASES}}

    def profile(**extra: Any) -> Any:
        return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB",
                                     "metrics": [{**metric, **extra}]}, "t.yaml")

    res = _poll({f"{B}.3.0": ("Null", None)}, profile())
    assert res.readings == ()
    assert [(e.reason, e.message) for e in res.errors] == [("no_such_object", "temperature: NULL")]
    res = _poll({f"{B}.3.0": ("Null", None)}, profile(optional=True))
    assert res.readings == () and res.errors == ()


TWIN = f"{B}.2.1.4"  # the same temperatures in Fahrenheit, at the scale of TEMP
SCALES = [1, 0.1, 0.01]


@pytest.mark.parametrize(("celsius", "fahrenheit", "want"), [
    (2350, 7430, 23.5),     # hundredths: 23.50 degC = 74.30 degF
    (235, 743, 23.5),       # tenths
    (23, 74, 23.0),         # whole degrees, each rounded (23.4 degC = 74.1 degF)
    (-40, -40, -40.0),      # the one temperature where both read the same
    (0, 3200, 0.0),         # 0 degC in hundredths
])
def test_a_fahrenheit_twin_decides_the_scale(celsius: int, fahrenheit: int, want: float) -> None:
    """With one scale s for both, F - 1.8 C = 32/s: the pair itself says which scale it uses."""
    values = {f"{TEMP}.1": ("Integer32", celsius), f"{TWIN}.1": ("Integer32", fahrenheit)}
    res = _poll(values, _profile(oid=TWIN, fahrenheit_twin=SCALES))
    assert [r.value for r in res.readings] == pytest.approx([want]) and res.errors == ()


def test_a_twin_that_fits_no_scale_is_not_read_and_says_why() -> None:
    """A pair that fits none of the scales is no reading (with the reason); a pair of zeros (a
    port with nothing plugged in) is no reading and no error; a missing twin is an error."""
    values = {f"{TEMP}.1": ("Integer32", 2350), f"{TWIN}.1": ("Integer32", 7000),
              f"{TEMP}.2": ("Integer32", 0), f"{TWIN}.2": ("Integer32", 0),
              f"{TEMP}.3": ("Integer32", 2350)}
    res = _poll(values, _profile(oid=TWIN, fahrenheit_twin=SCALES))
    assert res.readings == ()
    assert sorted(e.message for e in res.errors) == sorted([
        f"temperature: no Fahrenheit twin at {TWIN}",
        f"temperature: {TWIN} = 7000 (Fahrenheit) fits 2350 (Celsius) at none of the scales "
        "[1.0, 0.1, 0.01]"])
    shown = describe_snmp(_profile(oid=TWIN, fahrenheit_twin=SCALES))["metrics"][0]["setting"]
    assert shown == {"oid": TWIN, "scalar": False, "cases": {}, "fahrenheit_twin": SCALES}


def test_a_twin_is_refused_beside_cases_or_on_a_non_celsius_metric() -> None:
    with pytest.raises(ConfigError) as err:
        compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
            {"name": "temperature", "oid": TEMP, "unit": "Cel", "index": [{"label": "s"}],
             "setting": {"oid": TWIN, "cases": CASES, "fahrenheit_twin": SCALES}},
            {"name": "humidity", "oid": TEMP, "unit": "%", "index": [{"label": "s"}],
             "setting": {"oid": TWIN, "fahrenheit_twin": [0.1, 0.1]}},
            {"name": "temperature", "oid": TEMP, "unit": "Cel", "index": [{"label": "s"}],
             "offset": -40, "setting": {"oid": TWIN, "fahrenheit_twin": SCALES}},
        ]}, "p.yaml")
    only = ("a Fahrenheit twin decides a Celsius reading (unit Cel, no transform, offset or "
            "digits: the pair's scale is the only one)")
    assert sorted(str(p) for p in err.value.problems) == [
        "p.yaml: metrics.0.setting: give either cases or fahrenheit_twin",
        f"p.yaml: metrics.1.setting.fahrenheit_twin: {only}",
        "p.yaml: metrics.1.setting.fahrenheit_twin: scales must be distinct and positive",
        f"p.yaml: metrics.2.setting.fahrenheit_twin: {only}",
    ]


@pytest.mark.parametrize("scales", [[1, 0.95], [10, 100]])
def test_twin_scales_one_pair_could_fit_twice_are_refused(scales: list[float]) -> None:
    """32/s of two scales closer than twice the tolerance: a pair (C 100, F 213 at [1, 0.95];
    C 100, F 183 at [10, 100]) fits both, and the order of the list would decide its value."""
    with pytest.raises(ConfigError) as err:
        _profile(oid=TWIN, fahrenheit_twin=scales)
    assert [str(p) for p in err.value.problems] == [
        "t.yaml: metrics.0.setting.fahrenheit_twin: scales must be far enough apart that no "
        "pair fits two (32/scale differing by more than 4)"]
