"""A device that does not publish a sensor's status column or its temperature unit setting
(older firmware, or a capture that kept only the values) still gets its readings: a missing
status object never wipes out the values that are present.

* Every synthetic device case is served without each column that a profile only uses to skip
  rows (probe connected, communication OK, data valid, ...: ``where`` filters with
  ``keep_absent``); every reading the case expects must still be read, at the same value. Rows
  the status would have skipped may then be read too.
* Every case whose temperature unit settings say Celsius is served without them: the settings'
  ``absent:`` default must read every temperature the same.
* A per-row unit column that answers other rows but not a probe's leaves that probe unread: a
  Fahrenheit probe is never read as Celsius because one cell is missing.

Served from dcmon's own agent on 127.0.0.1 (tests/support/disguise.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.model import SnmpMetric, Where
from dcmon.model import PollResult, Reading
from dcmon.sim.agent import OidStore
from tests.support.agent_poll import serving
from tests.support.device_cases import (
    case_names,
    case_values,
    expected,
    poll_auto_async,
    series_key,
)
from tests.support.disguise import Values, polled, under, without


def _wheres() -> list[tuple[SnmpMetric, Where]]:
    return [(m, w) for p in ProfileRegistry.load().snmp() for m in p.metrics for w in m.wheres]


def unit_columns() -> set[str]:
    """Columns that choose rows by unit: the shipped profiles compare them with more than one
    set of values (Celsius rows for one metric, Fahrenheit rows for its twin)."""
    seen: dict[str, set[tuple[frozenset[float], frozenset[str]]]] = {}
    for _m, w in _wheres():
        seen.setdefault(w.oid, set()).add((w.values, w.texts))
    return {oid for oid, kinds in seen.items() if len(kinds) > 1}


def status_columns() -> set[str]:
    """OIDs that the shipped profiles use only as a status filter that tolerates absence: an
    ``equals`` where with ``keep_absent`` (either form) that is no unit column and whose OID no
    metric reads as a value."""
    metrics = [m for p in ProfileRegistry.load().snmp() for m in p.metrics]
    values = {m.oid for m in metrics} | {m.fallback.oid for m in metrics if m.fallback}
    out = {w.oid for _m, w in _wheres()
           if (w.keep_absent or w.without_column) and not w.negate and w.exists is None}
    return out - values - unit_columns()


def test_status_columns_cover_the_usual_kinds() -> None:
    columns = status_columns()
    # APC probe status, Raritan sensor availability, Gude channel status, Liebert SRC state
    for oid in ("1.3.6.1.4.1.318.1.1.10.2.3.2.1.3", "1.3.6.1.4.1.13742.6.5.5.3.1.2",
                "1.3.6.1.4.1.28507.43.1.5.1.2.1.2", "1.3.6.1.4.1.476.1.42.3.10.1.1.3"):
        assert oid in columns
    assert len(columns) > 60


def test_a_missing_status_column_keeps_every_reading() -> None:
    columns = status_columns()
    names: list[str] = []
    stripped: dict[str, Values] = {}
    for n in case_names():
        full = case_values(n)
        less = without(full, columns)
        if len(less) < len(full):
            names.append(n)
            stripped[n] = less
    assert len(names) >= 20, names
    results = polled({n: OidStore(stripped[n]) for n in names}, names)
    missing = [f"{n}: {line}" for n in names
               for line in _matching(expected(n)["readings"], results[n].readings)]
    assert not missing, "\n".join(missing[:40])


def defaults() -> dict[str, frozenset[object]]:
    """Unit object OID -> the values meaning Celsius, for the objects the shipped profiles read
    as Celsius when the agent lacks them: a setting's ``absent:`` case, or the Celsius values
    of a unit column's ``where`` with ``keep_absent: column``."""
    units = unit_columns()
    out: dict[str, frozenset[object]] = {}
    for _m, w in _wheres():
        if w.without_column and w.oid in units:
            out[w.oid] = frozenset(w.values) | frozenset(w.texts)
    for p in ProfileRegistry.load().snmp():
        for m in p.metrics:
            if m.setting is not None and m.setting.absent is not None:
                out[m.setting.oid] = frozenset([m.setting.absent])
    return out


def _says(value: object, accepted: frozenset[object]) -> bool:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace") in accepted
    return value in accepted


def _matching(expected_readings: list[dict[str, Any]], readings: Iterable[Reading]) -> list[str]:
    """The expected readings not read at their series with their value."""
    got: dict[tuple[object, ...], list[float]] = {}
    for r in readings:
        got.setdefault(series_key(r.metric, r.unit, dict(r.labels)), []).append(r.value)
    out = []
    for want in expected_readings:
        values = got.get(series_key(want["metric"], want["unit"], want["labels"]), [])
        v0 = want["value"]
        if not any(abs(v - v0) <= 1e-6 * max(1.0, abs(v0)) for v in values):
            out.append(f"{want['metric']} {want['labels']} = {v0}, got {values}")
    return out


def test_a_missing_celsius_unit_setting_reads_every_temperature() -> None:
    found = defaults()
    # CyberPower envir2TempUnit, Tripp Lite tlUpsConfigDisplayUnits, Geist temperatureUnits,
    # Eaton temperatureUnit, APC iemStatusProbeTempUnits (a column); Raritan externalSensorUnits
    # and AKCP temperatureUnit (unit columns that choose rows)
    assert {"1.3.6.1.4.1.3808.1.1.8.2.2.0", "1.3.6.1.4.1.850.100.1.9.4.0",
            "1.3.6.1.4.1.21239.5.2.1.7.0", "1.3.6.1.4.1.534.6.8.1.2.5.0",
            "1.3.6.1.4.1.318.1.1.10.2.3.2.1.5", "1.3.6.1.4.1.13742.6.3.6.3.1.16",
            "1.3.6.1.4.1.3854.3.5.2.1.5"} <= set(found)
    assert len(found) >= 40
    names: list[str] = []
    stripped: dict[str, Values] = {}
    for n in case_names():
        full = case_values(n)
        celsius = set()           # the case's default-valued settings: every cell says Celsius
        for unit, accepted in found.items():
            cells = [v for o, v in full.items() if under(o, [unit])]
            if cells and all(_says(v[1], accepted) for v in cells):
                celsius.add(unit)
        if celsius:
            names.append(n)
            stripped[n] = without(full, celsius)
    assert len(names) >= 12, names    # the others are Fahrenheit (or mixed) on purpose
    results = polled({n: OidStore(stripped[n]) for n in names}, names)
    missing = [f"{n}: {line}" for n in names
               for line in _matching(expected(n)["readings"], results[n].readings)]
    assert not missing, "\n".join(missing[:40])


def _gap_and_none(column: str, row: str, value: int) -> dict[str, PollResult]:
    """apc_ups polled without ``column``'s cell for ``row`` (which holds ``value``) as "gap",
    and without the whole column as "none"."""
    full = case_values("apc_ups")
    assert full[f"{column}.{row}"][1] == value
    gap = {o: v for o, v in full.items() if o != f"{column}.{row}"}
    return polled({"gap": OidStore(gap), "none": OidStore(without(full, {column}))},
                  ["gap", "none"])


def test_a_unit_column_that_skips_a_row_leaves_that_row_unread() -> None:
    """apc_ups: external probes 1 (Celsius, 22) and 2 (Fahrenheit, 77 = 25 C)."""
    unit = "1.3.6.1.4.1.318.1.1.10.1.3.3.1.5"
    results = _gap_and_none(unit, "2", 2)

    def external(name: str) -> dict[str, float]:
        return {r.labels["probe"]: r.value for r in results[name].readings
                if r.metric == "temperature" and r.labels.get("monitor") == "external"}
    assert external("gap") == {"1": 22}
    assert any(e.reason == "unknown_setting" and f"no setting at {unit}" in e.message
               for e in results["gap"].errors), results["gap"].errors
    # no unit column at all: the published values, read as Celsius (the documented default)
    assert external("none") == {"1": 22, "2": 77}


def _broken() -> tuple[str, int]:
    raise RuntimeError("sensor bus fault")


def test_a_refused_unit_is_not_read_as_celsius() -> None:
    """A unit the agent answers with genErr is unknown, not absent: iBoot's scalar
    deviceTemperatureUnit (Fahrenheit, 77) and APC's emStatusProbeTempUnits column (probe 2
    Fahrenheit) refused leave those temperatures unread, with the refusal reported, in this
    poll and the next (a refused column is not remembered as one the agent lacks)."""
    unit = "1.3.6.1.4.1.318.1.1.10.1.3.3.1.5"
    iboot = case_values("iboot_pdu")
    iboot["1.3.6.1.4.1.1418.6.1.9.0"] = ("Integer32", _broken)
    apc = case_values("apc_ups")
    for o in [o for o in apc if under(o, [unit])]:
        apc[o] = ("Integer32", _broken)
    stores: dict[str | bytes, OidStore] = {"iboot": OidStore(iboot), "apc": OidStore(apc)}

    async def twice(case: str) -> list[PollResult]:
        async with serving(stores) as port:
            return (await poll_auto_async(port, case, 2))[1]

    for r in asyncio.run(twice("iboot")):
        assert [x for x in r.readings if x.metric == "temperature"] == []
        assert any(e.oid == "1.3.6.1.4.1.1418.6.1.9.0" for e in r.errors), r.errors
    for r in asyncio.run(twice("apc")):
        external = [x for x in r.readings
                    if x.metric == "temperature" and x.labels.get("monitor") == "external"]
        assert external == []
        assert any(e.oid == unit for e in r.errors), r.errors
        assert any(x.metric == "humidity" for x in r.readings)


def test_a_status_column_that_skips_a_row_leaves_that_row_unread() -> None:
    """apc_ups external probe 3 is disconnected(1): without its status cell, while the column
    answers probes 1 and 2, it stays unread; without the column at all it is read."""
    results = _gap_and_none("1.3.6.1.4.1.318.1.1.10.1.3.3.1.3", "3", 1)

    def probes(name: str) -> set[str]:
        return {r.labels["probe"] for r in results[name].readings
                if r.labels.get("monitor") == "external"}
    assert probes("gap") == {"1", "2"}
    assert probes("none") == {"1", "2", "3"}
