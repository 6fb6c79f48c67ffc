"""Walk the columns a profile reads together, the way net-snmp's ``snmptable`` does.

A PDU profile reads a few dozen columns of a handful of tables. Walking each column on its own
costs one request per column at least, and a GETBULK of 25 repetitions on a one-row column
decodes 24 varbinds only to throw them away. Here one GETBULK carries one varbind per column
still being walked; the reply's rows are dealt back to their columns (row-major: repetition by
repetition), and a column drops out when its answers leave its subtree.

The repetitions of each request come from the row counts seen last time: the smallest count
still expected among the active columns, plus one to see the end, raised to the next larger
count while that wastes fewer than :data:`REQUEST_COST_VARBINDS` varbinds on the columns that
are done (a request costs far more than a varbind, in dcmon and in the agent). Columns of the
one-, two- and three-row tables of a PDU finish in the first request; those of a 24-row table
take the rest in the next. A device whose tables grew is still read in full (only in more
requests), and one never seen before is read with the target's ``max_repetitions``. Each
column keeps the rules of a single walk (:class:`~dcmon.collectors.snmp.api.Walk`): the same
rows, the same limits, the same errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from dcmon.collectors.snmp.api import PollBudget, SnmpTarget, VarBind, Walk

#: Most varbinds one request asks for (columns x repetitions): about 8 kB of answer.
MAX_VARBINDS_PER_REQUEST = 256
#: Most columns in one request (each is one OID in the request): small agents choke on more.
MAX_COLUMNS_PER_REQUEST = 48
#: One more request costs about what this many varbinds of reply cost: dcmon spends ~45 µs of
#: CPU per request on loopback and ~1 µs per varbind (docs/performance.md), and agents answer
#: a request much more slowly than they add a varbind to it.
REQUEST_COST_VARBINDS = 32

#: One GETBULK: the OIDs to continue after, and the repetitions; the reply's varbinds.
Bulk = Callable[[list[str], int], Awaitable[list[VarBind]]]


def repetitions(active: Sequence[str], walks: Mapping[str, Walk],
                expected: Mapping[str, int], cap: int) -> int:
    """Repetitions for the next request: enough for the column expecting the fewest rows, and
    for the next ones while padding the columns already done costs less than a request."""
    limit = min(cap, max(1, MAX_VARBINDS_PER_REQUEST // len(active)))
    needs = sorted((expected[c] - len(walks[c].rows) + 1 if c in expected else cap + 1)
                   for c in active)
    reps = needs[0]
    for done, need in enumerate(needs):
        if need <= reps:
            continue
        # The `done` columns before this one end within `reps`; each gets need - reps extra.
        if need > limit or done * (need - reps) > REQUEST_COST_VARBINDS:
            break
        reps = need
    return max(1, min(limit, reps))


async def walk_columns(target: SnmpTarget, bases: Sequence[str], budget: PollBudget,
                       bulk: Bulk, expected: Mapping[str, int],
                       arcs: Callable[[str], tuple[int, ...]]) -> dict[str, list[VarBind]]:
    """Every column's rows, as :meth:`SnmpClient.walk` would return them one by one.

    ``expected``: rows each column had last time (unknown columns use ``max_repetitions``).
    """
    walks = {b: Walk(target, b, budget, arcs) for b in bases}
    unique = list(dict.fromkeys(bases))
    for start in range(0, len(unique), MAX_COLUMNS_PER_REQUEST):
        await _stream(walks, unique[start:start + MAX_COLUMNS_PER_REQUEST], bulk, expected,
                      max(1, target.max_repetitions))
    return {b: walks[b].rows for b in bases}


async def _stream(walks: Mapping[str, Walk], active: list[str], bulk: Bulk,
                  expected: Mapping[str, int], cap: int) -> None:
    """Walk ``active`` columns in one stream of GETBULKs until every one has ended."""
    while active:
        reps = repetitions(active, walks, expected, cap)
        page = await bulk([walks[c].last_oid for c in active], reps)
        if not page:
            break
        n = len(active)
        still = []
        for i, column in enumerate(active):
            rows = page[i::n]
            # No rows: the agent cut its reply short before this column; ask again.
            if not rows or walks[column].add(rows):
                still.append(column)
        active = still


#: A column a device did not have is asked again every this many polls.
RECHECK_ABSENT_POLLS = 10


class TableMemory:
    """What each device's tables looked like last time: rows per column, and columns absent.

    Row counts size the next poll's requests. A column that came back empty is left out of the
    next polls and asked again every :data:`RECHECK_ABSENT_POLLS`, so a family whose members
    lack a table (an unmetered outlet table, say) does not pay a request for it every poll.
    """

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, int]] = {}
        self._absent: dict[str, dict[str, int]] = {}

    def expected(self, device: str) -> Mapping[str, int]:
        return self._rows.get(device, {})

    def to_walk(self, device: str, columns: Sequence[str]) -> tuple[list[str], list[str]]:
        """(columns to walk now, columns skipped as absent); a skip counts toward the recheck."""
        absent = self._absent.get(device, {})
        walk, skip = [], []
        for c in columns:
            left = absent.get(c, 0)
            if left > 0:
                absent[c] = left - 1
                skip.append(c)
            else:
                walk.append(c)
        return walk, skip

    def learn(self, device: str, walked: Mapping[str, Sequence[VarBind]]) -> None:
        rows = self._rows.setdefault(device, {})
        absent = self._absent.setdefault(device, {})
        for column, got in walked.items():
            rows[column] = len(got)
            if got:
                absent.pop(column, None)
            else:
                absent[column] = RECHECK_ABSENT_POLLS - 1
