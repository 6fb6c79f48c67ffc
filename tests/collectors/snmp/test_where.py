"""Rows kept or dropped by ``where``: another column of the row, a column some firmware lacks
(``keep_absent``), or one scalar deciding for the whole table (``scalar``). Polled from dcmon's
own agent on 127.0.0.1 through the real collector."""

from __future__ import annotations

from typing import Any

import pytest

from dcmon.collectors.snmp.profile import compile_snmp_profile
from dcmon.collectors.snmp.profile_view import describe_snmp
from dcmon.errors import ConfigError
from dcmon.model import PollResult
from tests.support.agent_poll import poll_agent

B = "1.3.6.1.4.1.99999.2"  # an invented test enterprise
COUNT, LOAD, AVAIL = f"{B}.1.0", f"{B}.2.1.2", f"{B}.2.1.3"
ROWS = {f"{LOAD}.1": ("Gauge32", 12), f"{LOAD}.2": ("Gauge32", 0)}


def _profile(*where: dict[str, Any]) -> Any:
    return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
        {"name": "current", "oid": LOAD, "unit": "A", "scale": 0.1,
         "index": [{"label": "outlet"}], "where": list(where)}]}, "t.yaml")


def _outlets(res: PollResult) -> dict[str, float]:
    return {r.labels["outlet"]: r.value for r in res.readings}


@pytest.mark.parametrize(("count", "want"), [
    (4, {"1": 1.2, "2": 0.0}),   # a monitored-outlet count: every row is read
    (0, {}),                     # none monitored: the zeros are not loads, nothing is read
    (None, {"1": 1.2, "2": 0.0}),  # an agent without the scalar keeps the rows (not_equals)
])
def test_a_scalar_where_decides_for_the_whole_table(count: int | None,
                                                    want: dict[str, float]) -> None:
    values = dict(ROWS)
    if count is not None:
        values[COUNT] = ("Integer32", count)
    res = poll_agent(values, _profile({"oid": COUNT, "scalar": True, "not_equals": [0]}))
    assert _outlets(res) == pytest.approx(want)
    assert res.errors == ()


def test_a_scalar_where_with_equals_drops_the_table_when_the_scalar_is_missing() -> None:
    res = poll_agent(dict(ROWS), _profile({"oid": COUNT, "scalar": True, "equals": [1]}))
    assert _outlets(res) == {}


@pytest.mark.parametrize(("keep_absent", "want"), [(False, {"1": 1.2, "4": 0.5}),
                                                   (True, {"1": 1.2, "2": 0.0, "4": 0.5})])
def test_keep_absent_keeps_rows_the_column_has_no_cell_for(keep_absent: bool,
                                                           want: dict[str, float]) -> None:
    # Row 1 says available (1); row 2 has no cell in the availability column; row 4 says it as
    # the text "2". Row 3 answers a serial number where the status belongs (a firmware that
    # shifts its columns): digits inside it are no status, so it is never read.
    values = {**ROWS, f"{LOAD}.3": ("Gauge32", 199), f"{LOAD}.4": ("Gauge32", 5),
              f"{AVAIL}.1": ("Integer32", 1), f"{AVAIL}.3": ("OctetString", b"1K20\x00\xa7"),
              f"{AVAIL}.4": ("OctetString", b"2")}
    res = poll_agent(values, _profile({"oid": AVAIL, "equals": [1, 2], "keep_absent": keep_absent}))
    assert _outlets(res) == pytest.approx(want)


def test_a_scalar_where_takes_no_index_and_shows_in_the_description() -> None:
    with pytest.raises(ConfigError, match="scalar"):
        _profile({"oid": COUNT, "scalar": True, "index": ["outlet"], "not_equals": [0]})
    shown = describe_snmp(_profile({"oid": COUNT, "scalar": True, "not_equals": [0]},
                                   {"oid": AVAIL, "text_equals": ["V"], "keep_absent": True}))
    assert shown["metrics"][0]["where"] == [
        {"oid": COUNT, "not_equals": [0.0], "scalar": True},
        {"oid": AVAIL, "text_equals": ["V"], "keep_absent": True}]


def test_exists_keeps_only_rows_the_column_answers() -> None:
    # A firmware's newer column layout: rows are read only where the new column exists.
    values = {**ROWS, f"{AVAIL}.1": ("OctetString", b"208.0")}
    res = poll_agent(values, _profile({"oid": AVAIL, "exists": True}))
    assert _outlets(res) == pytest.approx({"1": 1.2})
    with pytest.raises(ConfigError, match="contradict"):
        _profile({"oid": AVAIL, "exists": True, "keep_absent": True})
    assert describe_snmp(_profile({"oid": AVAIL, "exists": True}))["metrics"][0]["where"] == [
        {"oid": AVAIL, "exists": True}]


def test_exists_false_keeps_rows_only_while_the_column_is_missing() -> None:
    # An agent that also publishes another MIB's table reads nothing here.
    res = poll_agent(dict(ROWS), _profile({"oid": COUNT, "scalar": True, "exists": False}))
    assert _outlets(res) == pytest.approx({"1": 1.2, "2": 0.0})
    res = poll_agent({**ROWS, COUNT: ("Integer32", 2)},
                     _profile({"oid": COUNT, "scalar": True, "exists": False}))
    assert _outlets(res) == {}


@pytest.mark.parametrize(("sane", "want"), [(1, [12.5]), (2, []), (None, [])])
def test_a_scalar_metric_takes_scalar_wheres(sane: int | None, want: list[float]) -> None:
    """A value a sanity scalar qualifies (saneYES(1) / saneNO(2)) is read only when it says so."""
    value, sanity = f"{B}.5.0", f"{B}.6.0"
    profile = compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
        {"name": "voltage", "oid": value, "unit": "V", "scale": 0.1, "optional": True,
         "where": [{"oid": sanity, "scalar": True, "equals": [1]}]}]}, "t.yaml")
    values: dict[str, tuple[str, object]] = {value: ("Integer32", 125)}
    if sane is not None:
        values[sanity] = ("Integer32", sane)
    res = poll_agent(values, profile)
    assert [r.value for r in res.readings] == pytest.approx(want) and res.errors == ()
    with pytest.raises(ConfigError, match="scalar metric takes only"):
        compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
            {"name": "voltage", "oid": value, "unit": "V",
             "where": [{"oid": sanity, "equals": [1]}]}]}, "t.yaml")
