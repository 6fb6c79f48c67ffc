"""A small SNMP v1/v2c agent on asyncio, for tests and the device simulator.

It answers Get, GetNext and GetBulk from in-memory :class:`OidStore` objects, one per community,
with the behaviour clients must cope with on real devices: v2c exception values, the v1
noSuchName error, silence for an unknown community, silence when ``down`` (a dead device), and
undecodable replies when ``garbage`` is set (a broken one).

Speed matters because benchmarks poll it: static values are BER-encoded once, when stored, and
GetNext walks a sorted key list by index instead of searching per value.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, cast

from dcmon.collectors.snmp.api import EXCEPTION_TAGS, VALUE_TAGS
from dcmon.collectors.snmp.ber import (
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    RESPONSE,
    SET_REQUEST,
    VERSION_1,
    BerError,
    Message,
    Value,
    decode_message,
    encode_message,
    encode_varbind,
    oid_to_tuple,
)

__all__ = ["GARBAGE_REPLY", "Getter", "OidStore", "SnmpAgent", "StoredValue"]

log = logging.getLogger(__name__)

#: A value computed when a request arrives, so a simulated meter can change over time. It
#: returns (tag, value); an exception tag such as "noSuchInstance" hides the OID for now.
Getter = Callable[[], tuple[str, Value]]
StoredValue = Value | Getter
OidKey = tuple[int, ...]

#: What ``garbage`` mode sends: a SEQUENCE header promising more bytes than follow.
GARBAGE_REPLY: Final = b"\x30\x10\x02\x01\x01\x04"

_NO_SUCH_NAME: Final = 2
_GEN_ERR: Final = 5
_NO_ACCESS: Final = 6
#: Stop adding GetBulk values before the reply outgrows a UDP datagram (RFC 3416 4.2.3 lets an
#: agent truncate a GetBulk response).
_MAX_VARBIND_BYTES: Final = 60_000
_RECV_BUFFER: Final = 4 * 1024 * 1024


@dataclass(slots=True)
class _Entry:
    """One stored OID. ``encoded`` is the ready VarBind for a static value, None for a getter."""

    oid: str
    tag: str
    value: StoredValue
    encoded: bytes | None

    def resolve(self) -> tuple[str, bytes]:
        """The current (tag, encoded VarBind); evaluates a getter."""
        if self.encoded is not None:
            return self.tag, self.encoded
        assert callable(self.value)
        tag, value = self.value()
        if tag in EXCEPTION_TAGS:
            return tag, b""
        return tag, encode_varbind(self.oid, tag, value)


def _make_entry(oid: str, tag: str, value: StoredValue) -> tuple[OidKey, _Entry]:
    """Validate and (for static values) pre-encode one OID, so bad data fails when stored."""
    key = oid_to_tuple(oid)
    canonical = ".".join(map(str, key))
    if tag not in VALUE_TAGS:
        raise ValueError(f"cannot store tag {tag!r} at {oid}")
    if callable(value):
        return key, _Entry(canonical, tag, value, None)
    try:
        encoded = encode_varbind(canonical, tag, value)
    except BerError as exc:
        raise ValueError(f"cannot store {tag} {value!r} at {oid}: {exc}") from exc
    return key, _Entry(canonical, tag, value, encoded)


class OidStore:
    """The MIB view of one community: OIDs kept in order, updatable between requests.

    ``items()`` gives the sorted list of (oid tuple, tag, value). Internally the keys and entries
    are two parallel sorted lists (bisect for GetNext, then step by index) plus a dict for exact
    Get lookups.
    """

    def __init__(self, values: Mapping[str, tuple[str, StoredValue]] | None = None) -> None:
        self._keys: list[OidKey] = []
        self._entries: list[_Entry] = []
        self._index: dict[OidKey, _Entry] = {}
        if values:
            self.update(values)

    def __len__(self) -> int:
        return len(self._keys)

    def set(self, oid: str, tag: str, value: StoredValue) -> None:
        """Store or replace one OID. For a getter, ``tag`` is the tag it is expected to return."""
        key, entry = _make_entry(oid, tag, value)
        position = bisect_left(self._keys, key)
        if key in self._index:
            self._entries[position] = entry
        else:
            self._keys.insert(position, key)
            self._entries.insert(position, entry)
        self._index[key] = entry

    def update(self, values: Mapping[str, tuple[str, StoredValue]]) -> None:
        """Store many OIDs at once (one sort, not one insertion each)."""
        for oid, (tag, value) in values.items():
            key, entry = _make_entry(oid, tag, value)
            self._index[key] = entry
        self._keys = sorted(self._index)
        self._entries = [self._index[key] for key in self._keys]

    def remove(self, oid: str) -> None:
        """Forget one OID (a row that disappeared); missing OIDs are ignored."""
        key = oid_to_tuple(oid)
        if self._index.pop(key, None) is not None:
            position = bisect_left(self._keys, key)
            del self._keys[position]
            del self._entries[position]

    def items(self) -> list[tuple[OidKey, str, StoredValue]]:
        """The stored OIDs in order, as (oid tuple, tag, value)."""
        return [(key, e.tag, e.value) for key, e in zip(self._keys, self._entries, strict=True)]

    def lookup(self, oid: str) -> _Entry | None:
        return self._index.get(oid_to_tuple(oid))

    def has_object(self, oid: str) -> bool:
        """Whether some stored OID lives under the parent of ``oid`` (the object exists, so a
        missing instance is noSuchInstance rather than noSuchObject)."""
        parent = oid_to_tuple(oid)[:-1]
        position = bisect_left(self._keys, parent)
        return position < len(self._keys) and self._keys[position][: len(parent)] == parent

    def position_after(self, oid: str) -> int:
        """Index of the first stored OID greater than ``oid``."""
        return bisect_right(self._keys, oid_to_tuple(oid))

    def oid_at(self, position: int) -> str:
        return self._entries[position].oid

    def entry_at(self, position: int) -> _Entry | None:
        return self._entries[position] if position < len(self._entries) else None


class _ErrorStatus(Exception):
    """Answer the whole request with error-status ``status`` at ``index`` (1-based): noSuchName
    for a v1 OID without a value, genErr for a failing getter, noAccess for a Set."""

    def __init__(self, status: int, index: int) -> None:
        super().__init__(status, index)
        self.status = status
        self.index = index


class _View:
    """Answers one request from one store; knows the v1 rules (no Counter64, no exceptions)."""

    def __init__(self, store: OidStore, v1: bool) -> None:
        self.store = store
        self.v1 = v1

    def _usable(self, tag: str) -> bool:
        # RFC 2576 4.2.2.1: a v1 agent cannot return Counter64, so it hides those OIDs.
        return tag not in EXCEPTION_TAGS and not (self.v1 and tag == "Counter64")

    @staticmethod
    def _resolve(entry: _Entry, index: int) -> tuple[str, bytes]:
        try:
            return entry.resolve()
        except Exception as exc:  # a simulator getter is user code: report, don't die
            log.warning("getter for %s failed: %s", entry.oid, exc)
            raise _ErrorStatus(_GEN_ERR, index) from exc

    def get(self, oid: str, index: int) -> bytes:
        entry = self.store.lookup(oid)
        if entry is not None:
            tag, encoded = self._resolve(entry, index)
            if self._usable(tag):
                return encoded
            if not self.v1 and tag in EXCEPTION_TAGS:
                return encode_varbind(oid, tag, None)
        if self.v1:
            raise _ErrorStatus(_NO_SUCH_NAME, index)
        missing = "noSuchInstance" if self.store.has_object(oid) else "noSuchObject"
        return encode_varbind(oid, missing, None)

    def next_from(self, position: int, index: int) -> tuple[int, bytes] | None:
        """The first usable entry at or after ``position``: (its position, encoded VarBind).
        ``index`` is the request VarBind this answers, for a genErr."""
        while (entry := self.store.entry_at(position)) is not None:
            tag, encoded = self._resolve(entry, index)
            if self._usable(tag):
                return position, encoded
            position += 1
        return None

    def get_next(self, oid: str, index: int) -> bytes:
        found = self.next_from(self.store.position_after(oid), index)
        if found is not None:
            return found[1]
        if self.v1:
            raise _ErrorStatus(_NO_SUCH_NAME, index)
        return encode_varbind(oid, "endOfMibView", None)

    def get_bulk(self, oids: Sequence[str], non_repeaters: int, max_repetitions: int) -> bytes:
        """RFC 3416 4.2.3: GetNext once for the first N OIDs, then up to M rows for the rest,
        ending early once every repeater is past the end of the view."""
        n = min(max(non_repeaters, 0), len(oids))
        parts = [self.get_next(oid, i + 1) for i, oid in enumerate(oids[:n])]
        size = sum(map(len, parts))
        # Each repeater column continues from the OID it last returned; once past the end it
        # repeats that OID with endOfMibView, as GetNext would.
        names = list(oids[n:])
        cursors = [self.store.position_after(oid) for oid in names]
        for _ in range(max(max_repetitions, 0) if names else 0):
            ended = 0
            for column, name in enumerate(names):
                found = self.next_from(cursors[column], n + column + 1)
                if found is None:
                    ended += 1
                    encoded = encode_varbind(name, "endOfMibView", None)
                else:
                    position, encoded = found
                    cursors[column] = position + 1
                    names[column] = self.store.oid_at(position)
                size += len(encoded)
                if size > _MAX_VARBIND_BYTES:
                    return b"".join(parts)
                parts.append(encoded)
            if ended == len(names):
                break
        return b"".join(parts)


class _AgentProtocol(asyncio.DatagramProtocol):
    def __init__(self, agent: SnmpAgent) -> None:
        self.agent = agent
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        reply = self.agent.handle(data)
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("agent socket error: %s", exc)


class SnmpAgent:
    """An asyncio UDP SNMP v1/v2c responder bound to one local address (127.0.0.1 by default).

    ``communities`` maps community -> store; a request with any other community gets no reply,
    as real agents behave. ``received`` counts datagrams, so tests can see retries arrive.
    """

    def __init__(
        self, communities: Mapping[str | bytes, OidStore], *, host: str = "127.0.0.1"
    ) -> None:
        self.stores: dict[bytes, OidStore] = {
            (name.encode() if isinstance(name, str) else name): store
            for name, store in communities.items()
        }
        self.host = host
        self.down = False
        self.garbage = False
        self.received = 0
        self.port = 0
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self, port: int = 0) -> int:
        """Bind and start answering; returns the bound port (useful with ``port=0``)."""
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _AgentProtocol(self), local_addr=(self.host, port)
        )
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECV_BUFFER)
        self._transport = transport
        self.port = int(transport.get_extra_info("sockname")[1])
        return self.port

    async def stop(self) -> None:
        """Close the socket; the agent can be started again later."""
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def handle(self, data: bytes) -> bytes | None:
        """The reply to one request datagram, or None for silence. Synchronous and pure apart
        from getters, so tests and benchmarks can call it without sockets."""
        self.received += 1
        if self.down:
            return None
        try:
            request = decode_message(data)
        except BerError:
            return None  # real agents drop what they cannot parse
        store = self.stores.get(request.community)
        if store is None or request.pdu_type == RESPONSE:
            return None
        if self.garbage:
            return GARBAGE_REPLY
        if request.pdu_type == GET_BULK_REQUEST and request.version == VERSION_1:
            return None  # GetBulk does not exist in v1; agents drop it as unparseable
        return self._respond(request, _View(store, request.version == VERSION_1))

    def _respond(self, request: Message, view: _View) -> bytes:
        oids = [vb.oid for vb in request.varbinds]
        try:
            varbinds = self._answer(request, view, oids)
        except _ErrorStatus as exc:
            return self._error(request, exc.status, exc.index)
        return encode_message(
            request.version, request.community, RESPONSE, request.request_id, 0, 0, varbinds
        )

    @staticmethod
    def _answer(request: Message, view: _View, oids: list[str]) -> bytes:
        if request.pdu_type == GET_REQUEST:
            return b"".join([view.get(oid, i + 1) for i, oid in enumerate(oids)])
        if request.pdu_type == GET_NEXT_REQUEST:
            return b"".join([view.get_next(oid, i + 1) for i, oid in enumerate(oids)])
        if request.pdu_type == GET_BULK_REQUEST:
            return view.get_bulk(oids, request.non_repeaters, request.max_repetitions)
        assert request.pdu_type == SET_REQUEST
        # A read-only agent. v1 has no noAccess; RFC 2576 maps it to noSuchName.
        raise _ErrorStatus(_NO_SUCH_NAME if request.version == VERSION_1 else _NO_ACCESS, 1)

    @staticmethod
    def _error(request: Message, status: int, index: int) -> bytes:
        """An error Response echoing the request's OIDs with NULL values (RFC 1157 4.1.2)."""
        echo = b"".join([encode_varbind(vb.oid, "Null", None) for vb in request.varbinds])
        return encode_message(
            request.version, request.community, RESPONSE, request.request_id, status, index, echo
        )
