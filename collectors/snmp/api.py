"""The SNMP seam: the small interface every SNMP client implements.

Collectors talk only to :class:`SnmpClient`. pysnmp sits behind it in ``client.py`` (the only
module that imports pysnmp), and a lean v2c implementation in ``lean.py`` serves GET and GETBULK
without pysnmp's per-varbind cost (see docs/performance.md). Both return the same
:class:`VarBind` values, so tests can check one against the other value for value.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

_T = TypeVar("_T")

#: Tags a VarBind may carry. The first group are values, the last three are SNMP exceptions.
VALUE_TAGS = frozenset(
    {
        "Integer32",
        "OctetString",
        "ObjectIdentifier",
        "IpAddress",
        "Counter32",
        "Gauge32",
        "TimeTicks",
        "Opaque",
        "Counter64",
        "Null",
    }
)
EXCEPTION_TAGS = frozenset({"noSuchObject", "noSuchInstance", "endOfMibView"})


@dataclass(frozen=True, slots=True)
class SnmpTarget:
    """Where and how to reach one agent. Secrets are plain strings here: never log a target."""

    host: str
    port: int = 161
    version: str = "2c"  # "1", "2c" or "3"
    community: str = "public"
    user: str = ""
    auth_protocol: str | None = None  # MD5, SHA, SHA224, SHA256, SHA384, SHA512
    auth_key: str | None = None
    priv_protocol: str | None = None  # DES, AES, AES128, AES192, AES256
    priv_key: str | None = None
    context: str = ""
    timeout: float = 2.0
    retries: int = 1
    max_repetitions: int = 25

    def __repr__(self) -> str:  # never print secrets
        return f"SnmpTarget({self.host}:{self.port} v{self.version})"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class VarBind:
    """One OID and its value. ``value`` is int for numbers, bytes for strings, str for OIDs/IPs."""

    oid: str
    tag: str
    value: int | bytes | str | None

    @property
    def is_exception(self) -> bool:
        return self.tag in EXCEPTION_TAGS


class SnmpError(Exception):
    """A failure talking to an agent. ``reason`` is a short stable token used as a metric label.

    Reasons: ``timeout``, ``auth`` (wrong v3 keys or unknown user), ``unsupported_security``
    (the agent does not support the chosen auth/priv protocol), ``decode`` (garbage reply),
    ``error_status`` (the agent answered with an SNMP error), ``transport`` (socket failure),
    ``config`` (a target the client cannot use), ``deadline`` (the poll ran out of time),
    ``walk_limit`` (the agent sent more rows, varbinds or bytes than a poll may hold, or an OID
    longer than SNMP allows), ``not_increasing`` (a walk's OIDs stopped increasing: the agent
    loops).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


#: RFC 2578 section 3.5: an OID has at most 128 sub-identifiers. An agent that sends longer
#: ones is broken or hostile (each step of an endless "X -> X.1" walk is one arc longer).
MAX_OID_ARCS: Final = 128
#: Default limits of one poll (see :class:`WalkLimits`).
DEFAULT_MAX_ROWS: Final = 10_000
DEFAULT_MAX_VARBINDS: Final = 100_000
DEFAULT_MAX_BYTES: Final = 16 * 1024 * 1024
#: Reasons that mean "this poll hit its budget", as opposed to a device that does not answer.
BUDGET_REASONS: Final = frozenset({"deadline", "walk_limit"})


@dataclass(frozen=True, slots=True)
class WalkLimits:
    """How much one poll may take from an agent, so a misbehaving one cannot exhaust memory.

    ``max_rows`` bounds each walk (the rows of one column); ``max_varbinds`` and ``max_bytes``
    bound the whole poll (every varbind received, in or out of the subtree, and the bytes of
    their OIDs and values). The defaults are ten times the largest recorded device.
    """

    max_rows: int = DEFAULT_MAX_ROWS
    max_varbinds: int = DEFAULT_MAX_VARBINDS
    max_bytes: int = DEFAULT_MAX_BYTES


def varbind_size(vb: VarBind) -> int:
    """Bytes a VarBind holds on the wire, near enough: its OID text and its value.

    Both clients count with this one function, so they stop at the same place.
    """
    value = vb.value
    return len(vb.oid) + (len(value) if isinstance(value, bytes | str) else 8)


class PollBudget:
    """What one poll may still spend: wall time until its deadline, varbinds and bytes.

    One budget is shared by the GET and every walk of a poll, so an agent that answers forever
    (an endless table), slowly (just inside the timeout, for every request) or hugely cannot
    make a poll endless or unbounded. Not thread-safe; a poll lives on one event loop.
    """

    def __init__(self, limits: WalkLimits | None = None, deadline: float | None = None) -> None:
        self.limits = limits or WalkLimits()
        #: Seconds the poll may take in all (None: no deadline), and when that ends.
        self.seconds = deadline
        self.ends = math.inf if deadline is None else time.monotonic() + deadline
        self.varbinds = 0
        self.bytes = 0
        #: Requests sent (retries of one request count once), for ``dcmon poll --stats``.
        self.requests = 0

    def remaining(self) -> float:
        """Seconds left before the deadline (inf without one)."""
        return self.ends - time.monotonic()

    def _late(self, target: SnmpTarget) -> SnmpError:
        return SnmpError("deadline", f"poll of {target.host}:{target.port} passed its deadline "
                                     f"of {self.seconds:g}s ({self.varbinds} varbinds so far)")

    def check_time(self, target: SnmpTarget) -> None:
        """Raise ``deadline`` when the poll has no time left for another request."""
        if self.remaining() <= 0:
            raise self._late(target)

    async def within(self, target: SnmpTarget, request: Awaitable[_T]) -> _T:
        """Await one request, but no longer than the poll's deadline allows."""
        left = self.remaining()
        if left <= 0:
            if isinstance(request, asyncio.Future | asyncio.Task):
                request.cancel()
            elif hasattr(request, "close"):
                request.close()  # a coroutine never awaited would warn
            raise self._late(target)
        try:
            async with asyncio.timeout(None if math.isinf(left) else left):
                return await request
        except TimeoutError:
            if self.remaining() <= 0:
                raise self._late(target) from None
            raise

    def take(self, target: SnmpTarget, varbinds: Sequence[VarBind]) -> None:
        """Count one reply's varbinds; ``walk_limit`` once the poll holds too many."""
        self.varbinds += len(varbinds)
        self.bytes += sum(map(varbind_size, varbinds))
        lim = self.limits
        if self.varbinds > lim.max_varbinds:
            raise SnmpError("walk_limit", f"{target.host}:{target.port} sent more than "
                                          f"{lim.max_varbinds} varbinds in one poll")
        if self.bytes > lim.max_bytes:
            raise SnmpError("walk_limit", f"{target.host}:{target.port} sent more than "
                                          f"{lim.max_bytes} bytes of OIDs and values in one poll")


def arcs_of(oid: str) -> tuple[int, ...]:
    """An OID's sub-identifiers, to compare OIDs in walk order."""
    return tuple(int(x) for x in oid.split("."))


class Walk:
    """The rules every client applies to a walk's replies, so both end at the same place for
    the same reason.

    A walk ends normally at the first OID outside the subtree or an exception value. It fails
    with ``not_increasing`` when an OID is not greater than the one before (an agent loop that
    would never end), and with ``walk_limit`` past ``max_rows`` rows, past the poll's varbinds or
    bytes, or at an OID longer than :data:`MAX_OID_ARCS`.
    """

    __slots__ = ("arcs", "budget", "last_key", "last_oid", "prefix", "rows", "target")

    def __init__(self, target: SnmpTarget, base: str, budget: PollBudget,
                 arcs: Callable[[str], tuple[int, ...]] = arcs_of) -> None:
        self.target = target
        self.budget = budget
        self.arcs = arcs
        self.prefix = base + "."
        self.last_oid = base
        self.last_key = arcs(base)
        self.rows: list[VarBind] = []

    def add(self, page: Sequence[VarBind]) -> bool:
        """Take one reply's varbinds; False when the walk is complete."""
        self.budget.take(self.target, page)
        if not page:
            return False
        rows, prefix, max_rows = self.rows, self.prefix, self.budget.limits.max_rows
        for vb in page:
            if vb.tag in EXCEPTION_TAGS or not vb.oid.startswith(prefix):
                return False
            key = self.arcs(vb.oid)
            if key <= self.last_key:
                raise SnmpError("not_increasing", f"{self.target.host}:{self.target.port} "
                                f"returned OID {vb.oid} after {self.last_oid} (agent loop)")
            if len(key) > MAX_OID_ARCS:
                raise SnmpError("walk_limit", f"{self.target.host}:{self.target.port} returned "
                                f"an OID of {len(key)} sub-identifiers (SNMP allows "
                                f"{MAX_OID_ARCS}) under {self.prefix[:-1]}")
            if len(rows) >= max_rows:
                raise SnmpError("walk_limit", f"{self.target.host}:{self.target.port} has more "
                                f"than {max_rows} rows under {self.prefix[:-1]}")
            rows.append(vb)
            self.last_oid, self.last_key = vb.oid, key
        return True


class SnmpClient(Protocol):
    """What a collector needs from SNMP: GET a few OIDs, walk a subtree, close.

    ``budget`` is the poll's :class:`PollBudget` (deadline and limits); without one, a call
    gets the default limits and no deadline.
    """

    async def get(self, target: SnmpTarget, oids: Sequence[str],
                  budget: PollBudget | None = None) -> list[VarBind]:
        """GET exactly ``oids``, returning one VarBind per OID in order (exceptions as tags)."""
        ...

    async def walk_columns(self, target: SnmpTarget, base_oids: Sequence[str],
                           budget: PollBudget | None = None,
                           expected: Mapping[str, int] | None = None
                           ) -> dict[str, list[VarBind]]:
        """Walk several columns; the same rows per column as :meth:`walk` gives each.

        ``expected``: the rows each column had last time, to size the requests.
        """
        ...

    async def walk(self, target: SnmpTarget, base_oid: str,
                   budget: PollBudget | None = None) -> list[VarBind]:
        """Walk the subtree under ``base_oid`` (GETBULK for v2c/v3, GETNEXT for v1)."""
        ...

    async def close(self) -> None:
        """Release sockets and engines."""
        ...
