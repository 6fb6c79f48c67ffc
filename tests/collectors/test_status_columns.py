"""A device that does not publish a sensor's status column (older firmware, or a capture that
kept only the values) still gets its readings: a missing status object never wipes out the
values that are present. Every synthetic device case is served without each column that a
profile only uses to skip rows (probe connected, communication OK, data valid, ...:
``where`` filters with ``keep_absent``), and every reading the case expects must still be read,
at the same value. Rows the status would have skipped may then be read too. Served from
dcmon's own agent on 127.0.0.1 (tests/support/disguise.py)."""

from __future__ import annotations

from typing import Any

from dcmon.collectors.registry import ProfileRegistry
from dcmon.sim.agent import OidStore
from tests.support.device_cases import case_names, case_values, expected, series_key
from tests.support.disguise import Stores, polled


def status_columns() -> set[str]:
    """OIDs that the shipped profiles use only as a status filter that tolerates absence: an
    ``equals`` where with ``keep_absent`` whose OID no metric reads as a value."""
    out: set[str] = set()
    values: set[str] = set()
    for p in ProfileRegistry.load().snmp():
        for m in p.metrics:
            values.add(m.oid)
            if m.fallback is not None:
                values.add(m.fallback.oid)
            out.update(w.oid for w in m.wheres
                       if w.keep_absent and not w.negate and w.exists is None)
    return out - values


Values = dict[str, tuple[str, Any]]


def _without(values: Values, columns: set[str]) -> Values:
    return {o: v for o, v in values.items()
            if not any(o == c or o.startswith(c + ".") for c in columns)}


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
        less = _without(full, columns)
        if len(less) < len(full):
            names.append(n)
            stripped[n] = less
    assert len(names) >= 20, names
    stores: Stores = {n: OidStore(stripped[n]) for n in names}
    results = polled(stores, names)
    missing = []
    for n in names:
        got: dict[tuple[object, ...], list[float]] = {}
        for r in results[n].readings:
            got.setdefault(series_key(r.metric, r.unit, dict(r.labels)), []).append(r.value)
        for r in expected(n)["readings"]:
            values = got.get(series_key(r["metric"], r["unit"], r["labels"]), [])
            if not any(abs(v - r["value"]) <= 1e-6 * max(1.0, abs(r["value"])) for v in values):
                missing.append(f"{n}: {r['metric']} {r['labels']} = {r['value']}, got {values}")
    assert not missing, "\n".join(missing[:40])
