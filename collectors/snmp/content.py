"""What an agent answers of the profiles' own objects: the memo every detection request goes
through, and the content scan that ranks profiles by how many of their vendor objects answer.

Split from :mod:`dcmon.collectors.snmp.detect`, which decides; this module only asks. Both the
content scan (an agent no named profile reads) and the ranking of same-enterprise siblings
(more of them than polls allowed) use :func:`hits`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dcmon.collectors.snmp.api import (
    BUDGET_REASONS,
    PollBudget,
    SnmpClient,
    SnmpError,
    SnmpTarget,
    VarBind,
)
from dcmon.collectors.snmp.model import CompiledProfile, SnmpMetric

#: Errors that end detection (the device is down, or the poll's deadline or limits ran out);
#: any other error on a probe only means that probe did not answer.
FATAL = frozenset({"timeout", *BUDGET_REASONS})
ENTERPRISES = "1.3.6.1.4.1"


class Memo:
    """An SnmpClient that asks the agent each OID and each column once per detection."""

    def __init__(self, client: SnmpClient, budget: PollBudget) -> None:
        self.client = client
        self.budget = budget
        self._gets: dict[str, VarBind] = {}
        self._walks: dict[str, list[VarBind]] = {}

    async def get(self, target: SnmpTarget, oids: Sequence[str],
                  budget: PollBudget | None = None) -> list[VarBind]:
        missing = list(dict.fromkeys(o for o in oids if o not in self._gets))
        if missing:
            got = await self.client.get(target, missing, self.budget)
            for oid, vb in zip(missing, got, strict=True):
                self._gets[oid] = vb
        return [self._gets[o] for o in oids]

    async def walk(self, target: SnmpTarget, base_oid: str,
                   budget: PollBudget | None = None) -> list[VarBind]:
        if base_oid not in self._walks:
            self._walks[base_oid] = await self.client.walk(target, base_oid, self.budget)
        return self._walks[base_oid]

    async def walk_columns(self, target: SnmpTarget, base_oids: Sequence[str],
                           budget: PollBudget | None = None,
                           expected: Mapping[str, int] | None = None
                           ) -> dict[str, list[VarBind]]:
        missing = list(dict.fromkeys(b for b in base_oids if b not in self._walks))
        if missing:  # one GETBULK stream for all of them, as a poll walks its columns
            self._walks.update(await self.client.walk_columns(target, missing, self.budget))
        return {b: self._walks[b] for b in base_oids}

    async def close(self) -> None:
        """The wrapped client belongs to the caller."""


def answers(vb: VarBind) -> bool:
    """The agent has the object (not an exception, not NULL)."""
    return not vb.is_exception and vb.tag != "Null"


def value_oids(m: SnmpMetric) -> list[tuple[str, float, float]]:
    """The objects a metric takes its value from, each with its scale and offset: its OID and
    its fallback's."""
    out = [(m.oid, m.scale, m.offset)]
    if m.fallback is not None:
        out.append((m.fallback.oid, m.fallback.scale, m.fallback.offset))
    return out


def _signature(p: CompiledProfile) -> tuple[list[str], list[str]]:
    """The vendor objects a profile reads (scalars, columns): its own subtree, not the
    standard MIBs some vendor profiles read as well, which say nothing about the vendor."""
    own = [(m, o) for m in p.metrics for o, _, _ in value_oids(m)
           if o.startswith(ENTERPRISES + ".")]
    scalars = [o for m, o in own if m.index is None]
    columns = [o for m, o in own if m.index is not None]
    return list(dict.fromkeys(scalars)), list(dict.fromkeys(columns))


def content_scan(profiles: Sequence[CompiledProfile]
                 ) -> tuple[dict[str, tuple[list[str], list[str]]], list[str], list[str]]:
    """What the content scan asks for: each vendor profile's own objects, and all their
    scalars and columns once each (``benchmarks/generic_detection.py`` prints the counts)."""
    sigs = {p.name: _signature(p) for p in profiles if not p.standard}
    scalars = list(dict.fromkeys(o for sc, _ in sigs.values() for o in sc))
    columns = list(dict.fromkeys(o for _, cols in sigs.values() for o in cols))
    return sigs, scalars, columns


async def present_objects(memo: Memo, target: SnmpTarget, scalars: list[str],
                   columns: list[str]) -> set[str]:
    """The scalars and columns the agent answers. The GET and the column walk each stand
    alone: an agent that refuses one (an error status) is still judged by the other."""
    present: set[str] = set()
    try:
        if scalars:
            got = await memo.get(target, scalars)
            present.update(o for o, vb in zip(scalars, got, strict=True) if answers(vb))
    except SnmpError as exc:
        if exc.reason in FATAL:
            raise
    try:
        if columns:
            rows = await memo.walk_columns(target, columns)
            present.update(c for c, r in rows.items() if r)
    except SnmpError as exc:
        if exc.reason in FATAL:
            raise
    return present


async def hits(memo: Memo, target: SnmpTarget, profiles: Sequence[CompiledProfile]
               ) -> dict[str, int]:
    """How many of each profile's own vendor objects the agent answers (one GET stream for
    their scalars, one GETBULK stream for their columns)."""
    sigs, scalars, columns = content_scan(profiles)
    present = await present_objects(memo, target, scalars, columns)
    return {name: sum(o in present for o in (*sc, *cols)) for name, (sc, cols) in sigs.items()}
