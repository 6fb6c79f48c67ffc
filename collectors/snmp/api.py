"""The SNMP seam: the small interface every SNMP client implements.

Collectors talk only to :class:`SnmpClient`. pysnmp sits behind it in ``client.py`` (the only
module that imports pysnmp), and a lean v2c implementation in ``lean.py`` serves GET and GETBULK
without pysnmp's per-varbind cost (see docs/performance.md). Both return the same
:class:`VarBind` values, so tests can check one against the other value for value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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
    ``config`` (a target the client cannot use).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class SnmpClient(Protocol):
    """What a collector needs from SNMP: GET a few OIDs, walk a subtree, close."""

    async def get(self, target: SnmpTarget, oids: Sequence[str]) -> list[VarBind]:
        """GET exactly ``oids``, returning one VarBind per OID in order (exceptions as tags)."""
        ...

    async def walk(self, target: SnmpTarget, base_oid: str) -> list[VarBind]:
        """Walk the subtree under ``base_oid`` (GETBULK for v2c/v3, GETNEXT for v1)."""
        ...

    async def close(self) -> None:
        """Release sockets and engines."""
        ...
