"""Table rows of one SNMP poll: index suffixes parsed into labels, walked columns by instance,
and the ``where`` filters that keep or drop a row.

Split from :mod:`dcmon.collectors.snmp.collector` so that the poller's flow (plan, ask, turn
answers into readings) reads on its own; everything here is pure and works on answers already
received.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from dcmon.collectors.snmp.api import VarBind
from dcmon.collectors.snmp.model import IndexPart, Where
from dcmon.collectors.snmp.values import present, text, whole_number


@dataclass(frozen=True, slots=True)
class Row:
    """One parsed table row: labels for output and raw sub-id strings by index label."""

    labels: dict[str, str]
    parts: dict[str, str]


def parse_index(suffix: tuple[int, ...], parts: Sequence[IndexPart]) -> Row | None:
    """Split an instance suffix into labelled parts; None when it does not fit or match."""
    labels: dict[str, str] = {}
    raw: dict[str, str] = {}
    pos = 0
    for part in parts:
        if part.type == "int":
            if pos >= len(suffix):
                return None
            sub = suffix[pos : pos + 1]
            pos += 1
            value = sub[0]
            if part.match is not None and value != part.match:
                return None
            shown = part.values.get(value, str(value))
        elif part.type == "string":
            if pos >= len(suffix) or pos + 1 + suffix[pos] > len(suffix):
                return None
            n = suffix[pos]
            sub = suffix[pos : pos + 1 + n]
            pos += 1 + n
            shown = "".join(chr(c) for c in sub[1:] if 32 <= c < 127)
        else:  # fixed_string or oid: the rest of the suffix
            sub = suffix[pos:]
            pos = len(suffix)
            if part.type == "oid":  # an IMPLIED OBJECT IDENTIFIER, shown dotted
                if not sub:
                    return None
                shown = ".".join(str(x) for x in sub)
            else:
                shown = "".join(chr(c) for c in sub if 32 <= c < 127)
        raw[part.label or ""] = ".".join(str(x) for x in sub)
        if part.match is None and part.label:
            labels[part.label] = shown
    if pos != len(suffix):
        return None
    return Row(labels, raw)


def instance(row: Row, names: tuple[str, ...]) -> str:
    """The instance suffix that ``names`` (index labels) make of a row, as in a column's OIDs."""
    if len(names) == 1:
        return row.parts[names[0]]
    return ".".join(row.parts[name] for name in names)


class Columns:
    """One poll's walked columns by instance suffix, each built once per poll.

    The metrics of a table share columns: an outlet table's current, power and energy each look
    up the same module, name and number columns, and their rows parse the same index. Built
    per metric, that was most of the collector's CPU.
    """

    __slots__ = ("_kinds", "_numbered", "_parsed", "_rows", "_texts", "_walked", "refused")

    def __init__(self, walked: Mapping[str, list[VarBind]],
                 refused: frozenset[str] = frozenset()) -> None:
        self._walked = walked
        #: OIDs (scalars and columns) the agent answered with an error this poll: unknown, not
        #: absent, so no "absent" default may stand in for them.
        self.refused = refused
        self._rows: dict[str, dict[str, VarBind]] = {}
        self._texts: dict[str, dict[str, str]] = {}
        self._numbered: dict[str, bool] = {}
        #: id of a metric's index parts -> what they parse by (equal for equal parts: each
        #: metric has its own tuple); the parts outlive the poll, so their ids are stable.
        self._kinds: dict[int, Hashable] = {}
        #: (index kind, instance suffix) -> parsed row.
        self._parsed: dict[tuple[Hashable, str], Row | None] = {}

    def rows(self, oid: str) -> dict[str, VarBind]:
        """The column's values by instance suffix, exceptions left out (do not modify)."""
        got = self._rows.get(oid)
        if got is None:
            cut = len(oid) + 1
            got = {vb.oid[cut:]: vb for vb in self._walked.get(oid, ()) if not vb.is_exception}
            self._rows[oid] = got
        return got

    def lacks(self, oid: str) -> bool:
        """Whether the agent has no such column: it answered no row and did not refuse it (a
        refused column is unknown, so no "absent" default may stand in for it)."""
        return oid not in self.refused and not self.rows(oid)

    def texts(self, oid: str) -> dict[str, str]:
        """The column's :func:`text` by instance suffix, for lookups (do not modify)."""
        got = self._texts.get(oid)
        if got is None:
            got = {key: text(vb) for key, vb in self.rows(oid).items()}
            self._texts[oid] = got
        return got

    def numbered(self, oid: str) -> bool:
        """Whether the column holds numbers (whole, non-negative) rather than names: a lookup
        of numbers that renames an index label is another numbering of the same rows."""
        got = self._numbered.get(oid)
        if got is None:
            shown = [t.strip() for t in self.texts(oid).values() if t.strip()]
            got = self._numbered[oid] = bool(shown) and all(t.isdigit() for t in shown)
        return got

    def row(self, key: str, parts: tuple[IndexPart, ...]) -> Row | None:
        """The row an instance suffix makes under ``parts``; None if it does not fit."""
        kind = self._kinds.get(id(parts))
        if kind is None:
            kind = tuple((p.label, p.type, p.match, tuple(sorted(p.values.items())))
                         for p in parts)
            self._kinds[id(parts)] = kind
        cache_key = (kind, key)
        if cache_key in self._parsed:
            return self._parsed[cache_key]
        try:
            suffix = tuple(int(x) for x in key.split("."))
        except ValueError:
            row = None
        else:
            row = parse_index(suffix, parts)
        self._parsed[cache_key] = row
        return row


def keep(where: Where, table: Mapping[str, VarBind], row: Row) -> bool:
    """Whether a column ``where`` keeps ``row`` (its cell at the row's instance)."""
    return passes(where, table.get(instance(row, where.index_labels)))


def passes(where: Where, vb: VarBind | None) -> bool:
    """Whether a ``where`` keeps what ``vb`` (its column's cell, or its scalar) says."""
    if where.exists is not None:
        return present(vb) == where.exists
    if not present(vb):
        return where.negate or where.keep_absent
    if where.texts:
        return (text(vb) in where.texts) != where.negate
    n = whole_number(vb)
    if n is None:
        return where.negate
    return (n in where.values) != where.negate
