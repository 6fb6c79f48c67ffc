"""Poll one SNMP device with a compiled profile and turn its answers into Readings.

The profile is compiled already; this module only plans the requests (one GET for all scalars,
one walk per distinct column) and applies each metric's index rules, lookups, sentinels, scale,
digits and offset, in that fixed order. A failure becomes data: the poll returns a PollResult
with ``ok=False`` and a reason, and never raises for a device problem. Missing objects never wipe
out the present ones: an object the agent refuses (an error status for one OID or one column)
costs that object, with an error naming it, and the poll keeps everything else. A poll that
fails part way (its deadline, a walk limit, a dead agent) still returns the readings of every
metric whose OIDs all arrived complete; a metric that needs a column cut short gives nothing,
since a partial table would under-count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping

from dcmon import clock
from dcmon.collectors.schema import counter_max
from dcmon.collectors.snmp.api import PollBudget, SnmpClient, SnmpError, SnmpTarget, VarBind
from dcmon.collectors.snmp.columns import TableMemory
from dcmon.collectors.snmp.model import (
    CompiledProfile,
    Lookup,
    SettingCase,
    SnmpMetric,
)
from dcmon.collectors.snmp.rows import Columns, Row, instance, keep, passes
from dcmon.collectors.snmp.values import (
    convert,
    nothing_to_read,
    numeric,
    present,
    scale_digits,
    setting_case,
    text,
    unavailable,
)
from dcmon.model import PollError, PollResult, PollStats, Reading, Source

#: Failures that concern the objects asked, not the device: the agent answered with an error
#: status. Anything else (timeout, transport, auth, garbage) fails the whole poll.
_PER_OBJECT = frozenset({"error_status"})
#: Plans kept per collector; more means profiles were reloaded many times: start afresh.
_MAX_PLANS = 512


def _marker(vb: VarBind | None) -> str | None:
    return text(vb) if present(vb) else None


def _label(labels: dict[str, str], lookups: list[tuple[Lookup, dict[str, str]]], row: Row,
           columns: Columns) -> bool:
    """Add the lookups' labels to ``labels``; False when a lookup that renames an index label
    with numbers of its own (a bank number column in place of the row number) gives this row
    none while it numbers others: the row number is another numbering, and a bank labelled by
    it could be another bank. Names ("A", "return air") cannot be taken for a row number, so a
    row without one keeps its index label, as does every row when the column is absent."""
    for lk, texts in lookups:
        shown = texts.get(instance(row, lk.index_labels))
        if shown:
            labels[lk.label] = lk.values.get(shown, shown)
        elif lk.label in row.labels and columns.numbered(lk.oid):
            return False
    return True


class SnmpCollector:
    """Polls devices through an SnmpClient; one instance serves every device."""

    def __init__(self, client: SnmpClient, *, include_outlets: bool = True,
                 table_walks: bool = True, sources: bool = True) -> None:
        self.client = client
        #: Give each Reading its Source (OID and raw value): ``dcmon poll`` prints them;
        #: ``dcmon run`` keeps none, a third of what a reading costs in memory.
        self.sources = sources
        #: One shared (never mutated) dict per distinct label set: a city's PDUs repeat the
        #: same outlet, bank and phase labels, and a dict per reading cost ~10 KiB a device.
        self._label_sets: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
        self.include_outlets = include_outlets
        #: Walk a profile's columns together in one GETBULK stream (False: one by one, the
        #: plan the equivalence test holds it to).
        self.table_walks = table_walks
        self.tables = TableMemory()
        #: (id of a profile, outlets) -> (that profile, its plan): a plan is the same every poll.
        self._plans: dict[tuple[int, bool], tuple[CompiledProfile, list[str], list[str]]] = {}

    def plan(self, profile: CompiledProfile, include_outlets: bool) -> tuple[list[str], list[str]]:
        """The scalars to GET and the columns to walk for a profile (deduplicated, ordered)."""
        known = self._plans.get((id(profile), include_outlets))
        if known is None or known[0] is not profile:
            if len(self._plans) >= _MAX_PLANS:  # profiles replaced by reloads
                self._plans.clear()
            known = (profile, *self._plan(profile, include_outlets))
            self._plans[(id(profile), include_outlets)] = known
        return list(known[1]), list(known[2])

    def _plan(self, profile: CompiledProfile, include_outlets: bool
              ) -> tuple[list[str], list[str]]:
        scalars: dict[str, None] = {}
        columns: dict[str, None] = {}
        for m in self._metrics(profile, include_outlets):
            extra = [m.fallback.oid] if m.fallback else []
            if m.reset_time_oid:
                extra.append(m.reset_time_oid)
            if m.setting is not None and m.setting.index_labels is None:
                scalars[m.setting.oid] = None
            elif m.setting is not None:
                extra.append(m.setting.oid)
            if m.index is None:
                for oid in (m.oid, *extra, *(w.oid for w in m.wheres)):
                    scalars[oid] = None
            else:
                for oid in (m.oid, *extra, *(lk.oid for lk in m.lookups),
                            *(w.oid for w in m.wheres if not w.scalar)):
                    columns[oid] = None
                for w in m.wheres:
                    if w.scalar:
                        scalars[w.oid] = None
                if m.digits:
                    columns[m.digits.oid] = None
        return list(scalars), list(columns)

    @staticmethod
    def _metrics(profile: CompiledProfile, include_outlets: bool) -> Iterable[SnmpMetric]:
        return (m for m in profile.metrics if include_outlets or m.level != "outlet")

    @staticmethod
    def _complete(m: SnmpMetric, scalars_done: bool, walked: Mapping[str, object]) -> bool:
        """Whether everything ``m`` reads has arrived in full (after a poll that failed)."""
        if m.index is None or (m.setting is not None and m.setting.index_labels is None
                               and not scalars_done):
            return scalars_done
        if any(w.scalar for w in m.wheres) and not scalars_done:
            return False
        needed = [m.oid, *(lk.oid for lk in m.lookups),
                  *(w.oid for w in m.wheres if not w.scalar)]
        if m.setting is not None and m.setting.index_labels is not None:
            needed.append(m.setting.oid)
        if m.reset_time_oid:
            needed.append(m.reset_time_oid)
        if m.fallback is not None:
            needed.append(m.fallback.oid)
        if m.digits is not None:
            needed.append(m.digits.oid)
        return all(oid in walked for oid in needed)

    async def poll(
        self,
        device: str,
        target: SnmpTarget,
        profile: CompiledProfile,
        *,
        include_outlets: bool | None = None,
        budget: PollBudget | None = None,
    ) -> PollResult:
        """Poll once within ``budget`` (deadline and limits; the defaults without one).

        Device faults come back inside the result, never as exceptions.
        """
        outlets = self.include_outlets if include_outlets is None else include_outlets
        budget = budget or PollBudget()
        started = clock.now()
        t0 = time.monotonic()
        scalars, columns = self.plan(profile, outlets)
        got: dict[str, VarBind] = {}
        walked: dict[str, list[VarBind]] = {}
        failure: PollError | None = None
        refused: list[PollError] = []
        scalars_done = False
        try:
            if scalars:
                for vb in await self._get(target, scalars, refused, budget):
                    got[vb.oid] = vb
            scalars_done = True
            walked = await self._walk(device, target, columns, refused, budget)
        except SnmpError as exc:
            failure = PollError(exc.reason, exc.message)
        if failure is None and refused and len(refused) == len(scalars) + len(columns):
            failure, refused = refused[0], []  # it refused everything: the poll failed
        metrics = [m for m in self._metrics(profile, outlets)
                   if failure is None or self._complete(m, scalars_done, walked)]
        errors: list[PollError] = [failure, *refused] if failure else list(refused)
        readings = self._readings(device, metrics, got, walked, errors,
                                  frozenset(e.oid for e in refused if e.oid))
        return PollResult(device, profile.name, tuple(readings), tuple(errors), started,
                          time.monotonic() - t0, ok=failure is None,
                          stats=PollStats(budget.requests, budget.varbinds, budget.bytes))

    async def _get(self, target: SnmpTarget, oids: list[str], refused: list[PollError],
                   budget: PollBudget) -> list[VarBind]:
        """GET the scalars; when the agent refuses the batch (an error status, e.g. genErr for
        one object it cannot read), ask each alone, so one bad object costs only itself."""
        try:
            return await self.client.get(target, oids, budget)
        except SnmpError as exc:
            if exc.reason not in _PER_OBJECT:
                raise
        out: list[VarBind] = []
        for oid in oids:
            try:
                out.extend(await self.client.get(target, [oid], budget))
            except SnmpError as exc:
                if exc.reason not in _PER_OBJECT:
                    raise
                refused.append(PollError(exc.reason, exc.message, oid))
        return out

    async def _walk(self, device: str, target: SnmpTarget, columns: list[str],
                    refused: list[PollError], budget: PollBudget) -> dict[str, list[VarBind]]:
        """The columns' rows: together, skipping columns the device lacked (rechecked now and
        then), or one walk per column. A batch the agent refuses is walked column by column,
        so one bad column costs only itself."""
        if not self.table_walks:
            return {c: rows for c in columns
                    if (rows := await self._walk_one(target, c, refused, budget)) is not None}
        walk, skipped = self.tables.to_walk(device, columns)
        try:
            walked = await self.client.walk_columns(target, walk, budget,
                                                    self.tables.expected(device)) if walk else {}
        except SnmpError as exc:
            if exc.reason not in _PER_OBJECT:
                raise
            walked = {}
            for c in walk:
                rows = await self._walk_one(target, c, refused, budget)
                if rows is not None:        # a refused column is unknown, not learnt as absent
                    walked[c] = rows
        self.tables.learn(device, walked)
        return {**walked, **{c: [] for c in skipped}}

    async def _walk_one(self, target: SnmpTarget, column: str, refused: list[PollError],
                        budget: PollBudget) -> list[VarBind] | None:
        """Walk one column; an agent error there loses that column (None), not the whole poll."""
        try:
            return await self.client.walk(target, column, budget)
        except SnmpError as exc:
            if exc.reason not in _PER_OBJECT:
                raise
            refused.append(PollError(exc.reason, exc.message, column))
            return None

    def _readings(self, device: str, metrics: Iterable[SnmpMetric], got: Mapping[str, VarBind],
                  walked: Mapping[str, list[VarBind]], errors: list[PollError],
                  refused: frozenset[str]) -> list[Reading]:
        ts = clock.now()
        readings: list[Reading] = []
        columns = Columns(walked, refused)
        for m in metrics:
            if m.index is None:
                readings.extend(self._scalar(device, m, got, ts, errors, refused))
            else:
                readings.extend(self._column(device, m, columns, got, ts, errors))
        return readings

    def _scalar(self, device: str, m: SnmpMetric, got: Mapping[str, VarBind], ts: float,
                errors: list[PollError], refused: frozenset[str]) -> list[Reading]:
        if not all(passes(w, got.get(w.oid)) for w in m.wheres):
            return []
        marker = _marker(got.get(m.reset_time_oid) if m.reset_time_oid else None)
        vb = got.get(m.oid)
        fb = got.get(m.fallback.oid) if m.fallback is not None else None
        if not present(vb) and not present(fb):
            # Nothing to read: an optional object the agent lacks is normal, whatever its
            # unit setting says (a missing setting is then no error either).
            if not m.optional:
                errors.append(PollError("no_such_object",
                                        f"{m.name}: {vb.tag if vb else 'missing'}", m.oid))
            return []
        case: SettingCase | None = None
        if m.setting is not None and not nothing_to_read(m, vb, fb):
            case, why = setting_case(m.setting, got.get(m.setting.oid),
                                     numeric(vb) if present(vb) else None,
                                     known_absent=m.setting.oid not in refused)
            if case is None:
                if why:
                    errors.append(PollError("unknown_setting", f"{m.name}: {why}", m.oid))
                return []
        r = self._value(device, m, vb if present(vb) else None, fb if present(fb) else None,
                        dict(m.labels), 1.0, ts, errors, marker, case)
        if r is None and not present(vb) and not m.optional:
            errors.append(PollError("no_such_object", f"{m.name}: {vb.tag if vb else 'missing'}",
                                    m.oid))
        return [r] if r else []

    def _column(self, device: str, m: SnmpMetric, columns: Columns, got: Mapping[str, VarBind],
                ts: float, errors: list[PollError]) -> list[Reading]:
        assert m.index is not None
        lookups = [(lk, columns.texts(lk.oid)) for lk in m.lookups]
        if not all(passes(w, got.get(w.oid)) for w in m.wheres if w.scalar):
            return []
        # a where kept only without its column (keep_absent: column) is dropped when it lacks it
        wheres = [(w, columns.rows(w.oid)) for w in m.wheres
                  if not w.scalar and not (w.without_column and columns.lacks(w.oid))]
        digits = columns.rows(m.digits.oid) if m.digits else None
        markers = columns.rows(m.reset_time_oid) if m.reset_time_oid else None
        rows = columns.rows(m.oid)
        fallback = columns.rows(m.fallback.oid) if m.fallback else {}
        out: list[Reading] = []
        keys = rows | {k: v for k, v in fallback.items() if k not in rows} if fallback else rows
        for key in keys:
            row = columns.row(key, m.index)
            if row is None or (wheres and not all(keep(w, table, row) for w, table in wheres)):
                continue
            labels = dict(m.labels)
            labels.update(row.labels)
            if not _label(labels, lookups, row, columns):
                continue
            factor = 1.0
            if m.digits is not None and digits is not None:
                dkey = instance(row, m.digits.index_labels)
                dvb = digits.get(dkey)
                n = numeric(dvb) if dvb is not None else None
                if n is None:
                    errors.append(PollError("no_such_object", f"{m.name}: no scale at "
                                                              f"{m.digits.oid}.{dkey}", m.oid))
                    continue
                factor = scale_digits(m.digits.mode, n)
            marker = _marker(markers.get(key)) if markers is not None else None
            case: SettingCase | None = None
            if m.setting is not None and not nothing_to_read(m, rows.get(key),
                                                            fallback.get(key)):
                at = m.setting.index_labels
                case, why = setting_case(
                    m.setting, got.get(m.setting.oid) if at is None else
                    columns.rows(m.setting.oid).get(instance(row, at)),
                    numeric(rows[key]) if key in rows else None,
                    known_absent=m.setting.oid not in columns.refused if at is None
                    else columns.lacks(m.setting.oid))
                if case is None:
                    if why:
                        errors.append(PollError("unknown_setting", f"{m.name}: {why}", m.oid))
                    continue
            r = self._value(device, m, rows.get(key), fallback.get(key), labels, factor, ts,
                            errors, marker, case)
            if r:
                out.append(r)
        return out

    def _value(self, device: str, m: SnmpMetric, vb: VarBind | None, fb: VarBind | None,
               labels: dict[str, str], factor: float, ts: float, errors: list[PollError],
               marker: str | None, case: SettingCase | None) -> Reading | None:
        """The reading of the primary cell ``vb``, else of the fallback cell ``fb`` (answered
        cells, or None). With ``fallback.agree`` the primary is a finer reading of the same
        value, kept only where both answer and agree within it: a finer column the MIB gives
        no scale for is trusted only where the device's own coarse reading confirms it."""
        r = (self._reading(device, m, vb, labels, factor, ts, errors, marker, case=case)
             if vb is not None else None)
        fallback = m.fallback
        if fallback is None:
            return r
        if fb is None:                  # a finer reading with nothing to check it against
            return None if fallback.agree else r
        if r is not None and fallback.agree is None:
            return r                    # a plain fallback serves only a missing primary
        rf = self._reading(device, m, fb, labels, factor, ts, errors, marker,
                           scale=fallback.scale, offset=fallback.offset, case=case)
        if r is None or rf is None or fallback.agree is None:
            return rf
        return r if abs(r.value - rf.value) <= fallback.agree else rf

    def _shared(self, labels: dict[str, str]) -> dict[str, str]:
        """The shared copy of a label set (the table is cleared past 100,000 sets, so a
        device that invents labels cannot grow it for ever)."""
        key = tuple(labels.items())
        got = self._label_sets.get(key)
        if got is None:
            if len(self._label_sets) >= 100_000:
                self._label_sets.clear()
            got = self._label_sets[key] = labels
        return got

    def _reading(self, device: str, m: SnmpMetric, vb: VarBind, labels: dict[str, str],
                 factor: float, ts: float, errors: list[PollError], marker: str | None = None,
                 *, scale: float | None = None, offset: float | None = None,
                 case: SettingCase | None = None) -> Reading | None:
        raw = numeric(vb)
        if unavailable(m, vb, raw):
            # Some agents answer NULL for objects they do not support: that is "not
            # available", like noSuchObject, not a malformed value.
            if vb.tag == "Null" and not m.optional:
                errors.append(PollError("no_such_object", f"{m.name}: NULL", vb.oid))
            return None
        if raw is None:
            errors.append(PollError("not_numeric", f"{m.name}: {vb.tag} {text(vb)!r} is not a "
                                                   "number", vb.oid))
            return None
        value = convert(m, raw, factor, scale, offset, case)
        if not math.isfinite(value):
            return None
        shown_raw: int | float | str = (text(vb) if isinstance(vb.value, bytes)
                                        else int(raw) if raw.is_integer() else raw)
        return Reading(
            device=device, metric=m.name, value=value, unit=m.unit, labels=self._shared(labels),
            ts=ts, source=Source("snmp", oid=vb.oid, raw=shown_raw) if self.sources else None,
            kind=m.kind, level=m.level,
            rack_power=m.rack_power, reset_marker=marker, counter_max=counter_max(m),
            counter_capped=m.cap is not None, resettable=m.resettable,
        )
