"""A lean SNMP v1/v2c client: one asyncio UDP socket, the hand-written codec in ``ber.py``.

pysnmp costs 70-540 µs of CPU per varbind, mostly in pyasn1; this client costs a few µs (see
docs/performance.md). It implements the :class:`~dcmon.collectors.snmp.api.SnmpClient`
protocol for v1 and v2c only; v3 stays with the pysnmp client.

Design, and why:

* **One socket for every target.** Replies are matched to requests by request-id (a dict of
  futures) and checked against the address the request went to, so thousands of concurrent
  polls cost one file descriptor. The receive buffer is raised to 4 MiB because the default
  drops replies at concurrency ~100. The socket binds to 127.0.0.1 for loopback targets and to
  the wildcard address otherwise (one socket per such scope, normally just one).
* **Timers, not wait_for.** Each request arms one ``call_later`` that resends (same request-id,
  so a late first reply still counts) or fails the future; no task per request.
* **Failures are per request.** A datagram that does not decode fails only the oldest request
  outstanding to the address it came from; replies from unknown addresses or with unknown
  request-ids are dropped.

A client belongs to the event loop that first used it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import logging
import random
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from typing import Final, cast

from dcmon.collectors.snmp.api import PollBudget, SnmpError, SnmpTarget, VarBind, Walk
from dcmon.collectors.snmp.ber import (
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    RESPONSE,
    VERSION_1,
    VERSION_2C,
    BerError,
    Message,
    decode_message,
    encode_request,
    normalize_oid,
    oid_to_tuple,
)
from dcmon.collectors.snmp.columns import walk_columns

__all__ = ["ERROR_STATUS_NAMES", "LeanSnmpClient"]

log = logging.getLogger(__name__)

#: RFC 3416 error-status names, by value.
ERROR_STATUS_NAMES: Final = (
    "noError",
    "tooBig",
    "noSuchName",
    "badValue",
    "readOnly",
    "genErr",
    "noAccess",
    "wrongType",
    "wrongLength",
    "wrongEncoding",
    "wrongValue",
    "noCreation",
    "inconsistentValue",
    "resourceUnavailable",
    "commitFailed",
    "undoFailed",
    "authorizationError",
    "notWritable",
    "inconsistentName",
)
_TOO_BIG: Final = 1
_NO_SUCH_NAME: Final = 2
_VERSIONS: Final = {"1": VERSION_1, "2c": VERSION_2C}
RECV_BUFFER: Final = 4 * 1024 * 1024
#: Most OIDs in one GET request (the content scan in detect.py counts its requests with it).
MAX_OIDS_PER_GET: Final = 60
_DNS_TTL: Final = 300.0

Address = tuple[str, int]
#: Which shared socket a target uses: (address family, is loopback).
_Scope = tuple[int, bool]


class _Pending:
    """One request in flight: its future, its datagram, and the timer that resends it."""

    __slots__ = ("addr", "community", "future", "payload", "target", "timer", "tries", "version")

    def __init__(
        self,
        future: asyncio.Future[Message],
        target: SnmpTarget,
        addr: Address,
        version: int,
        community: bytes,
        payload: bytes,
    ) -> None:
        self.future = future
        self.target = target
        self.addr = addr
        self.version = version
        self.community = community
        self.payload = payload
        self.tries = 0
        self.timer: asyncio.TimerHandle | None = None

    def send(self, transport: asyncio.DatagramTransport, loop: asyncio.AbstractEventLoop) -> None:
        """Send (again) and arm the timer for this try."""
        self.tries += 1
        transport.sendto(self.payload, self.addr)
        self.timer = loop.call_later(self.target.timeout, self.expire, transport, loop)

    def expire(self, transport: asyncio.DatagramTransport, loop: asyncio.AbstractEventLoop) -> None:
        if self.future.done():
            return
        if self.tries <= self.target.retries and not transport.is_closing():
            self.send(transport, loop)
            return
        t = self.target
        self.fail(
            SnmpError(
                "timeout",
                f"no reply from {t.host}:{t.port} after {t.retries + 1} tries ({t.timeout}s each)",
            )
        )

    def fail(self, exc: SnmpError) -> None:
        if not self.future.done():
            self.future.set_exception(exc)

    def finish(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


class _Endpoint(asyncio.DatagramProtocol):
    """The shared socket's protocol: routes each reply to the request waiting for it."""

    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: dict[int, _Pending] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            message = decode_message(data)
        except BerError as exc:
            self._undecodable(addr, exc)
            return
        pending = self.pending.get(message.request_id)
        if (
            pending is None
            or pending.addr[0] != addr[0]
            or pending.addr[1] != addr[1]
            or message.pdu_type != RESPONSE
            or message.version != pending.version
            or message.community != pending.community
        ):
            return  # stale, spoofed or someone else's: ignore, as the request may still succeed
        if not pending.future.done():
            pending.future.set_result(message)

    def _undecodable(self, addr: tuple[str | int, ...], exc: BerError) -> None:
        """Blame the oldest request to that address: one datagram answers one request."""
        for pending in self.pending.values():
            same_peer = pending.addr[0] == addr[0] and pending.addr[1] == addr[1]
            if same_peer and not pending.future.done():
                t = pending.target
                pending.fail(SnmpError("decode", f"undecodable reply from {t}: {exc}"))
                return

    def error_received(self, exc: Exception) -> None:
        # Unconnected UDP: an ICMP error cannot be tied to a request; it will time out.
        log.debug("SNMP socket error: %s", exc)

    def connection_lost(self, exc: Exception | None) -> None:
        for pending in self.pending.values():
            pending.fail(SnmpError("transport", f"SNMP socket closed: {exc or 'client closed'}"))


def _version(target: SnmpTarget) -> int:
    version = _VERSIONS.get(target.version)
    if version is None:
        raise SnmpError(
            "config",
            f"LeanSnmpClient speaks SNMP v1/v2c only, not v{target.version} ({target}); "
            "use the pysnmp client for v3",
        )
    return version


def _status_error(message: Message) -> SnmpError:
    status = message.error_status
    name = ERROR_STATUS_NAMES[status] if 0 <= status < len(ERROR_STATUS_NAMES) else "unknown"
    return SnmpError(
        "error_status",
        f"agent answered {name} (status {status}) at index {message.error_index}",
    )


class LeanSnmpClient:
    """SNMP v1/v2c GET and walk over one shared UDP socket (see the module docstring)."""

    def __init__(
        self,
        *,
        max_oids_per_get: int = MAX_OIDS_PER_GET,
        recv_buffer: int = RECV_BUFFER,
        bind_host: str | None = None,
    ) -> None:
        self._max_oids = max(1, max_oids_per_get)
        self._recv_buffer = recv_buffer
        self._bind_host = bind_host
        self._endpoints: dict[_Scope, _Endpoint] = {}
        self._open_lock = asyncio.Lock()
        self._addresses: dict[tuple[str, int], tuple[Address, _Scope, float]] = {}
        self._request_ids = itertools.count(random.randrange(1, 2**30))

    # --- public API ---------------------------------------------------------------------------

    async def get(
        self, target: SnmpTarget, oids: Sequence[str], budget: PollBudget | None = None
    ) -> list[VarBind]:
        """GET ``oids`` in requests of at most ``max_oids_per_get``, one VarBind per OID in order.

        Chunks go one after another, not in parallel: small agents are often single-threaded
        and drop bursts.
        """
        version = _version(target)
        budget = budget or PollBudget()
        wanted = [self._normalize(oid) for oid in oids]
        result: list[VarBind] = []
        for start in range(0, len(wanted), self._max_oids):
            chunk = wanted[start : start + self._max_oids]
            result.extend(await self._get_chunk(target, version, chunk, budget))
        return result

    async def walk(
        self, target: SnmpTarget, base_oid: str, budget: PollBudget | None = None
    ) -> list[VarBind]:
        """All VarBinds under ``base_oid``, in order: GetBulk for v2c, GetNext for v1.

        Stops at the first OID outside the subtree or at endOfMibView; the rules and limits of
        :class:`~dcmon.collectors.snmp.api.Walk` (``not_increasing``, ``walk_limit``) and the
        budget's deadline (``deadline``) end it early.
        """
        version = _version(target)
        budget = budget or PollBudget()
        walk = Walk(target, self._normalize(base_oid), budget, oid_to_tuple)
        while True:
            message = await self._walk_step(target, version, walk.last_oid, budget)
            if message is None or not walk.add(message.varbinds):
                return walk.rows

    async def walk_columns(
        self, target: SnmpTarget, base_oids: Sequence[str], budget: PollBudget | None = None,
        expected: Mapping[str, int] | None = None,
    ) -> dict[str, list[VarBind]]:
        """Several columns in one GETBULK stream (v2c; :mod:`.columns`); one by one for v1."""
        version = _version(target)
        budget = budget or PollBudget()
        bases = [self._normalize(b) for b in base_oids]
        if version == VERSION_1:
            return {b: await self.walk(target, b, budget) for b in bases}

        async def bulk(oids: list[str], reps: int) -> list[VarBind]:
            message = await self._request(target, version, GET_BULK_REQUEST, oids, budget, reps)
            if message.error_status:
                raise _status_error(message)
            return message.varbinds

        return await walk_columns(target, bases, budget, bulk, expected or {}, oid_to_tuple)

    async def close(self) -> None:
        """Close the sockets; requests still in flight fail with ``transport``."""
        endpoints, self._endpoints = self._endpoints, {}
        for endpoint in endpoints.values():
            if endpoint.transport is not None:
                endpoint.transport.close()

    # --- GET ----------------------------------------------------------------------------------

    async def _get_chunk(
        self, target: SnmpTarget, version: int, oids: list[str], budget: PollBudget
    ) -> list[VarBind]:
        message = await self._request(target, version, GET_REQUEST, oids, budget)
        budget.take(target, message.varbinds)
        if message.error_status == 0:
            return self._matched(target, oids, message.varbinds)
        if message.error_status == _TOO_BIG and len(oids) > 1:
            half = len(oids) // 2
            first = await self._get_chunk(target, version, oids[:half], budget)
            return first + await self._get_chunk(target, version, oids[half:], budget)
        if message.error_status == _NO_SUCH_NAME and 1 <= message.error_index <= len(oids):
            return await self._get_without(target, version, oids, message.error_index - 1,
                                           budget)
        raise _status_error(message)

    async def _get_without(
        self, target: SnmpTarget, version: int, oids: list[str], missing: int, budget: PollBudget
    ) -> list[VarBind]:
        """SNMPv1 noSuchName fails the whole PDU: report that OID as noSuchObject, as a v2c
        agent would, and ask again for the others."""
        rest = oids[:missing] + oids[missing + 1 :]
        answered = await self._get_chunk(target, version, rest, budget) if rest else []
        return [
            *answered[:missing],
            VarBind(oids[missing], "noSuchObject", None),
            *answered[missing:],
        ]

    @staticmethod
    def _matched(target: SnmpTarget, oids: list[str], varbinds: list[VarBind]) -> list[VarBind]:
        """The reply must answer exactly the OIDs asked, in order, or callers would mislabel."""
        if len(varbinds) != len(oids):
            raise SnmpError(
                "decode", f"{target} answered {len(varbinds)} values for {len(oids)} OIDs"
            )
        for oid, vb in zip(oids, varbinds, strict=True):
            if vb.oid != oid:
                raise SnmpError("decode", f"{target} answered {vb.oid} when asked {oid}")
        return varbinds

    # --- walk ---------------------------------------------------------------------------------

    async def _walk_step(
        self, target: SnmpTarget, version: int, oid: str, budget: PollBudget
    ) -> Message | None:
        """One GetNext (v1) or GetBulk (v2c) after ``oid``; None at the end of a v1 MIB view."""
        if version == VERSION_1:
            message = await self._request(target, version, GET_NEXT_REQUEST, [oid], budget)
            if message.error_status == _NO_SUCH_NAME:
                return None  # v1's way of saying endOfMibView
        else:
            repetitions = max(1, target.max_repetitions)
            message = await self._request(
                target, version, GET_BULK_REQUEST, [oid], budget, repetitions
            )
        if message.error_status:
            raise _status_error(message)
        return message

    # --- transport ----------------------------------------------------------------------------

    @staticmethod
    def _normalize(oid: str) -> str:
        try:
            return normalize_oid(oid)
        except BerError as exc:
            raise SnmpError("config", str(exc)) from exc

    async def _request(
        self,
        target: SnmpTarget,
        version: int,
        pdu_type: int,
        oids: list[str],
        budget: PollBudget,
        max_repetitions: int = 0,
    ) -> Message:
        """Send one request and wait for its reply, resending on timeout, but never past the
        poll's deadline."""
        budget.check_time(target)
        budget.requests += 1
        addr, scope = await self._resolve(target)
        endpoint = self._endpoints.get(scope) or await self._endpoint(scope)
        transport = endpoint.transport
        if transport is None or transport.is_closing():
            raise SnmpError("transport", f"SNMP socket for {target} is closed")
        request_id = self._new_request_id(endpoint)
        community = target.community.encode()
        payload = encode_request(version, community, pdu_type, request_id, oids, 0, max_repetitions)
        loop = asyncio.get_running_loop()
        pending = _Pending(loop.create_future(), target, addr, version, community, payload)
        endpoint.pending[request_id] = pending
        try:
            pending.send(transport, loop)
            return await budget.within(target, pending.future)
        finally:
            pending.finish()
            endpoint.pending.pop(request_id, None)

    def _new_request_id(self, endpoint: _Endpoint) -> int:
        """Next request-id in 1..2**31-1, skipping any still in flight after a wrap-around."""
        while True:
            request_id = next(self._request_ids) % (2**31 - 1) + 1
            if request_id not in endpoint.pending:
                return request_id

    async def _resolve(self, target: SnmpTarget) -> tuple[Address, _Scope]:
        """(ip, port) and socket scope of a target, cached: IP literals for good, names for
        five minutes."""
        key = (target.host, target.port)
        cached = self._addresses.get(key)
        if cached is not None and cached[2] > time.monotonic():
            return cached[0], cached[1]
        try:
            addr, expires = (str(ipaddress.ip_address(target.host)), target.port), float("inf")
        except ValueError:
            addr, expires = await self._lookup(target), time.monotonic() + _DNS_TTL
        ip = ipaddress.ip_address(addr[0])
        scope = (socket.AF_INET6 if ip.version == 6 else socket.AF_INET, ip.is_loopback)
        self._addresses[key] = (addr, scope, expires)
        return addr, scope

    @staticmethod
    async def _lookup(target: SnmpTarget) -> Address:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(target.host, target.port, type=socket.SOCK_DGRAM)
        except OSError as exc:
            raise SnmpError("transport", f"cannot resolve {target}: {exc}") from exc
        sockaddr = infos[0][4]
        return str(sockaddr[0]), int(sockaddr[1])

    async def _endpoint(self, scope: _Scope) -> _Endpoint:
        """The shared socket for this scope, opened once even if many requests race here."""
        async with self._open_lock:
            endpoint = self._endpoints.get(scope)
            if endpoint is None:
                endpoint = await self._open(*scope)
                self._endpoints[scope] = endpoint
            return endpoint

    async def _open(self, family: int, loopback: bool) -> _Endpoint:
        if self._bind_host is not None:
            host = self._bind_host
        elif family == socket.AF_INET6:
            host = "::1" if loopback else "::"
        else:
            host = "127.0.0.1" if loopback else "0.0.0.0"
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            set_receive_buffer(sock, self._recv_buffer)
            sock.bind((host, 0))
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            _, endpoint = await loop.create_datagram_endpoint(_Endpoint, sock=sock)
        except OSError as exc:
            sock.close()
            raise SnmpError("transport", f"cannot open SNMP socket on {host}: {exc}") from exc
        return endpoint


def set_receive_buffer(sock: socket.socket, size: int) -> None:
    """Ask for ``size`` bytes of receive buffer: SO_RCVBUFFORCE passes net.core.rmem_max when
    the process may (CAP_NET_ADMIN), SO_RCVBUF is capped by it. Warn when capped, since a small
    buffer silently drops replies under load."""
    # Python does not export SO_RCVBUFFORCE; it is 33 on Linux and absent elsewhere.
    force = getattr(socket, "SO_RCVBUFFORCE", 33 if sys.platform.startswith("linux") else None)
    try:
        if force is None:
            raise PermissionError
        sock.setsockopt(socket.SOL_SOCKET, force, size)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if granted < size:  # Linux reports twice what was set, so less means capped
        log.warning("SNMP receive buffer capped at %d bytes (raise net.core.rmem_max)", granted)
