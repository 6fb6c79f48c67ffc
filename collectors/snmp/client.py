"""The pysnmp 7 implementation of the SNMP seam: the only module that imports pysnmp.

Used leanly, as ``notes/snmp-performance.md`` measured: one shared SnmpEngine (a new engine per
request costs ~380 ms of CPU), numeric OIDs, ``lookupMib=False`` (MIB resolution is ~75 % of the
CPU otherwise) and GETBULK for walks. pysnmp reports timeouts and USM failures as an *error
indication* in the result rather than raising, so they are translated here into one
:class:`SnmpError` with a stable reason token, and a message that says which setting to check.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    USM_AUTH_HMAC96_MD5,
    USM_AUTH_HMAC96_SHA,
    USM_AUTH_HMAC128_SHA224,
    USM_AUTH_HMAC192_SHA256,
    USM_AUTH_HMAC256_SHA384,
    USM_AUTH_HMAC384_SHA512,
    USM_AUTH_NONE,
    USM_PRIV_CBC56_DES,
    USM_PRIV_CFB128_AES,
    USM_PRIV_CFB192_AES,
    USM_PRIV_CFB192_AES_BLUMENTHAL,
    USM_PRIV_CFB256_AES,
    USM_PRIV_CFB256_AES_BLUMENTHAL,
    USM_PRIV_NONE,
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    next_cmd,
)
from pysnmp.proto import errind
from pysnmp.proto.rfc3412 import MsgAndPduDispatcher

from dcmon.collectors.snmp.api import (
    PollBudget,
    SnmpError,
    SnmpTarget,
    VarBind,
    Walk,
    arcs_of,
)
from dcmon.collectors.snmp.columns import walk_columns
from dcmon.collectors.snmp.lean import RECV_BUFFER, set_receive_buffer

AUTH_PROTOCOLS: dict[str, Any] = {
    "MD5": USM_AUTH_HMAC96_MD5,
    "SHA": USM_AUTH_HMAC96_SHA,
    "SHA224": USM_AUTH_HMAC128_SHA224,
    "SHA256": USM_AUTH_HMAC192_SHA256,
    "SHA384": USM_AUTH_HMAC256_SHA384,
    "SHA512": USM_AUTH_HMAC384_SHA512,
}
#: AES-192/256 come in two key-extension flavours. "AES192"/"AES256" follow the Blumenthal draft
#: that net-snmp (and most PDUs and UPSes built on it) implement; "AES192C"/"AES256C" follow the
#: Reeder draft that Cisco devices use. A device that rejects one may accept the other.
PRIV_PROTOCOLS: dict[str, Any] = {
    "DES": USM_PRIV_CBC56_DES,
    "AES": USM_PRIV_CFB128_AES,
    "AES128": USM_PRIV_CFB128_AES,
    "AES192": USM_PRIV_CFB192_AES_BLUMENTHAL,
    "AES256": USM_PRIV_CFB256_AES_BLUMENTHAL,
    "AES192C": USM_PRIV_CFB192_AES,
    "AES256C": USM_PRIV_CFB256_AES,
}

_TAGS = {
    "Integer32": "Integer32",
    "Integer": "Integer32",
    "OctetString": "OctetString",
    "ObjectIdentifier": "ObjectIdentifier",
    "ObjectName": "ObjectIdentifier",
    "IpAddress": "IpAddress",
    "Counter32": "Counter32",
    "Gauge32": "Gauge32",
    "Unsigned32": "Gauge32",
    "TimeTicks": "TimeTicks",
    "Opaque": "Opaque",
    "Counter64": "Counter64",
    "Null": "Null",
    "NoSuchObject": "noSuchObject",
    "NoSuchInstance": "noSuchInstance",
    "EndOfMibView": "endOfMibView",
}


def _varbind(oid: Any, val: Any) -> VarBind:
    """Translate one pysnmp (name, value) pair into the seam's VarBind."""
    name = type(val).__name__
    tag = _TAGS.get(name)
    if tag is None:
        # Subtypes (e.g. TextualConventions) inherit from a base we know.
        for base in type(val).__mro__:
            if base.__name__ in _TAGS:
                tag = _TAGS[base.__name__]
                break
        else:
            tag = "OctetString"
    value: int | bytes | str | None
    if tag in ("noSuchObject", "noSuchInstance", "endOfMibView", "Null"):
        value = None
    elif tag in ("OctetString", "Opaque"):
        value = bytes(val.asOctets())
    elif tag == "ObjectIdentifier":
        value = ".".join(str(x) for x in tuple(val))
    elif tag == "IpAddress":
        value = ".".join(str(b) for b in bytes(val.asOctets()))
    else:
        value = int(val)
    return VarBind(".".join(str(x) for x in tuple(oid)), tag, value)


def _indication_error(target: SnmpTarget, indication: Any) -> SnmpError:
    """Give an error indication a stable reason and an operator-readable message."""
    text = str(indication)
    where = f"{target.host}:{target.port}"
    if isinstance(indication, errind.RequestTimedOut) or "timed out" in text.lower():
        if target.version == "3":
            return SnmpError(
                "timeout",
                f"no reply from {where} (SNMPv3 user {target.user!r}: a wrong privacy key or "
                f"an unsupported {target.priv_protocol or 'priv'} protocol also looks like this; "
                "some APC cards accept only DES/MD5)",
            )
        return SnmpError("timeout", f"no reply from {where} after {target.retries + 1} tries "
                                    f"({target.timeout}s each): host down or wrong community")
    user = f"SNMPv3 user {target.user!r} at {where}"
    if isinstance(indication, errind.UnknownUserName):
        return SnmpError("auth", f"{user}: the agent does not know this user")
    if isinstance(indication, errind.WrongDigest | errind.AuthenticationFailure):
        return SnmpError("auth", f"{user}: authentication failed (wrong auth key or auth "
                                 f"protocol; configured {target.auth_protocol})")
    if isinstance(indication, errind.DecryptionError):
        return SnmpError("auth", f"{user}: decryption failed (wrong priv key or priv protocol; "
                                 f"configured {target.priv_protocol})")
    if isinstance(indication, errind.UnknownSecurityName | errind.AuthenticationError):
        return SnmpError("auth", f"{user}: rejected ({text}); check user, keys and protocols "
                                 f"{target.auth_protocol}/{target.priv_protocol}")
    if isinstance(indication, errind.UnsupportedAuthProtocol | errind.UnsupportedPrivProtocol):
        return SnmpError("unsupported_security", f"{user}: {text}")
    if isinstance(indication, errind.UnsupportedSecurityLevel):
        return SnmpError("unsupported_security", f"{where} does not support this SNMPv3 "
                                                 f"security level: {text}")
    if isinstance(indication, errind.NotInTimeWindow):
        return SnmpError("auth", f"{where}: SNMPv3 not in time window ({text})")
    return SnmpError("transport", f"{where}: {text}")


log = logging.getLogger(__name__)

Peer = tuple[str, int]
#: SNMPv2-MIB counters pysnmp bumps when it drops a datagram it cannot read.
_DROP_COUNTERS = ("snmpInASNParseErrs", "snmpInBadVersions")


class _DropCountingDispatcher(MsgAndPduDispatcher):  # type: ignore[misc]
    """pysnmp's message dispatcher, remembering who sent datagrams it could not read.

    pysnmp drops an undecodable reply silently and lets the request time out; knowing the
    peer sent garbage lets the client report ``decode``, as the lean client does.
    """

    def __init__(self) -> None:
        super().__init__()
        self.undecodable: dict[Peer, int] = {}

    def _drops(self) -> int:
        builder = self.mib_instrum_controller.get_mib_builder()
        return sum(int(c.syntax) for c in builder.import_symbols("__SNMPv2-MIB", *_DROP_COUNTERS))

    def receive_message(self, snmpEngine: Any, transportDomain: Any, transportAddress: Any,
                        wholeMsg: Any) -> Any:
        before = self._drops()
        try:
            return super().receive_message(snmpEngine, transportDomain, transportAddress,
                                           wholeMsg)
        except Exception as exc:  # pyasn1 raises TypeError and others on some garbage
            # Raised into the event loop it would only print a traceback; it is a datagram
            # that does not decode, which pysnmp otherwise drops and counts.
            log.debug("dropped an undecodable datagram from %s: %r", transportAddress, exc)
            before = -1
            return b""
        finally:
            if self._drops() != before:
                peer = (str(transportAddress[0]), int(transportAddress[1]))
                self.undecodable[peer] = self.undecodable.get(peer, 0) + 1


class PysnmpClient:
    """SnmpClient on pysnmp's v3arch asyncio API, with one engine shared by all targets."""

    def __init__(self) -> None:
        self._engine: SnmpEngine | None = None
        self._transports: dict[tuple[str, int, float, int], UdpTransportTarget] = {}
        self._auth: dict[SnmpTarget, Any] = {}
        self._contexts: dict[str, ContextData] = {}
        #: pysnmp resolves every request varbind against its MIB view unless the ObjectType is
        #: already resolved; reusing resolved objects per OID removes most of that cost.
        self._objects: dict[str, ObjectType] = {}
        self._tuned: set[int] = set()
        self._dispatcher = _DropCountingDispatcher()

    @property
    def engine(self) -> SnmpEngine:
        if self._engine is None:
            self._dispatcher = _DropCountingDispatcher()
            self._engine = SnmpEngine(msgAndPduDsp=self._dispatcher)
        return self._engine

    def _tune_sockets(self) -> None:
        """Give pysnmp's UDP sockets a 4 MiB receive buffer.

        The default (~208 KiB) drops replies when ~100 polls are in flight, and every drop
        costs a full timeout and a retry. pysnmp opens its sockets lazily and offers no knob,
        so the sockets are found on the dispatcher after the first request.
        """
        disp = getattr(self._engine, "transport_dispatcher", None)
        transports = getattr(disp, "_AbstractTransportDispatcher__transports", None) or {}
        for tr in list(transports.values()):
            if id(tr) in self._tuned:
                continue
            sock = getattr(getattr(tr, "transport", None), "get_extra_info", lambda _: None)(
                "socket")
            if sock is not None:
                set_receive_buffer(sock, RECV_BUFFER)
                self._tuned.add(id(tr))

    def _obj(self, oid: str) -> ObjectType:
        obj = self._objects.get(oid)
        if obj is None:
            if len(self._objects) > 100_000:
                self._objects.clear()
            obj = self._objects[oid] = ObjectType(ObjectIdentity(oid))
        return obj

    def _context(self, t: SnmpTarget) -> ContextData:
        ctx = self._contexts.get(t.context)
        if ctx is None:
            ctx = self._contexts[t.context] = ContextData(contextName=t.context)
        return ctx

    def _auth_data(self, t: SnmpTarget) -> Any:
        cached = self._auth.get(t)
        if cached is not None:
            return cached
        if t.version in ("1", "2c"):
            auth: Any = CommunityData(t.community, mpModel=0 if t.version == "1" else 1)
        elif t.version == "3":
            ap = AUTH_PROTOCOLS.get((t.auth_protocol or "").upper()) if t.auth_protocol else None
            pp = PRIV_PROTOCOLS.get((t.priv_protocol or "").upper()) if t.priv_protocol else None
            if t.auth_protocol and ap is None:
                raise SnmpError("config", f"unknown auth protocol {t.auth_protocol!r}")
            if t.priv_protocol and pp is None:
                raise SnmpError("config", f"unknown priv protocol {t.priv_protocol!r}")
            auth = UsmUserData(
                t.user,
                authKey=t.auth_key if ap else None,
                privKey=t.priv_key if pp else None,
                authProtocol=ap or USM_AUTH_NONE,
                privProtocol=pp or USM_PRIV_NONE,
            )
        else:
            raise SnmpError("config", f"unknown SNMP version {t.version!r}")
        self._auth[t] = auth
        return auth

    async def _transport(self, t: SnmpTarget) -> UdpTransportTarget:
        key = (t.host, t.port, t.timeout, t.retries)
        tr = self._transports.get(key)
        if tr is None:
            try:
                tr = await UdpTransportTarget.create((t.host, t.port), timeout=t.timeout,
                                                     retries=t.retries)
            except Exception as exc:  # name resolution errors come as pysnmp errors
                raise SnmpError("transport", f"{t.host}:{t.port}: {exc}") from None
            self._transports[key] = tr
        return tr

    def _check(self, t: SnmpTarget, ind: Any, status: Any, index: Any,
               sent: Sequence[str]) -> None:
        if ind:
            raise _indication_error(t, ind)
        if status and int(status) != 0:
            idx = int(index or 0)
            oid = sent[idx - 1] if 0 < idx <= len(sent) else "?"
            name = status.prettyPrint() if hasattr(status, "prettyPrint") else str(status)
            raise SnmpError("error_status", f"{t.host}:{t.port} answered {name} "
                                            f"(status {int(status)}) at {oid}")

    async def get(self, target: SnmpTarget, oids: Sequence[str],
                  budget: PollBudget | None = None) -> list[VarBind]:
        budget = budget or PollBudget()
        out: list[VarBind] = []
        for start in range(0, len(oids), 40):
            chunk = list(oids[start:start + 40])
            out.extend(await self._get_chunk(target, chunk, budget))
        return out

    async def _get_chunk(self, target: SnmpTarget, oids: list[str],
                         budget: PollBudget) -> list[VarBind]:
        auth = self._auth_data(target)
        tr = await self._transport(target)
        ind, status, index, vbs = await self._send(target, tr, budget, get_cmd(
            self.engine, auth, tr, self._context(target),
            *(self._obj(o) for o in oids), lookupMib=False,
        ))
        if (not ind and status and target.version == "1" and int(status) == 2
                and 0 < int(index) <= len(oids)):
            # SNMPv1 noSuchName: mark that OID missing and ask again for the others.
            bad = int(index) - 1
            rest = oids[:bad] + oids[bad + 1:]
            got = await self._get_chunk(target, rest, budget) if rest else []
            got.insert(bad, VarBind(oids[bad], "noSuchObject", None))
            return got
        self._check(target, ind, status, index, oids)
        out = [_varbind(oid, val) for oid, val in vbs]
        budget.take(target, out)
        return out

    async def _send(self, target: SnmpTarget, tr: UdpTransportTarget, budget: PollBudget,
                    request: Any) -> Any:
        """Await one pysnmp request within the poll's deadline. A timeout after the peer sent
        datagrams pysnmp could not read becomes ``decode``, as in the lean client."""
        peer = (str(tr.transport_address[0]), int(tr.transport_address[1]))
        dropped = self._dispatcher.undecodable.get(peer, 0)
        budget.requests += 1
        reply = await budget.within(target, request)
        if len(self._tuned) == 0:
            self._tune_sockets()
        ind = reply[0]
        if ind and self._dispatcher.undecodable.get(peer, 0) != dropped and (
                isinstance(ind, errind.RequestTimedOut) or "timed out" in str(ind).lower()):
            raise SnmpError("decode", f"undecodable reply from {target.host}:{target.port}")
        return reply

    async def walk(self, target: SnmpTarget, base_oid: str,
                   budget: PollBudget | None = None) -> list[VarBind]:
        """GETBULK (GETNEXT for v1) page by page, under the same rules as the lean client
        (:class:`~dcmon.collectors.snmp.api.Walk`)."""
        auth = self._auth_data(target)
        tr = await self._transport(target)
        budget = budget or PollBudget()
        walk = Walk(target, base_oid.lstrip("."), budget)
        while True:
            current = walk.last_oid
            budget.check_time(target)
            if target.version == "1":
                ind, status, index, vbs = await self._send(target, tr, budget, next_cmd(
                    self.engine, auth, tr, self._context(target),
                    self._obj(current), lookupMib=False,
                ))
                if not ind and status and int(status) == 2:
                    return walk.rows  # v1 end of MIB
            else:
                ind, status, index, vbs = await self._send(target, tr, budget, bulk_cmd(
                    self.engine, auth, tr, self._context(target), 0, target.max_repetitions,
                    self._obj(current), lookupMib=False,
                ))
            self._check(target, ind, status, index, [current])
            if not walk.add([_varbind(oid, val) for oid, val in vbs]):
                return walk.rows

    async def walk_columns(self, target: SnmpTarget, base_oids: Sequence[str],
                           budget: PollBudget | None = None,
                           expected: Mapping[str, int] | None = None
                           ) -> dict[str, list[VarBind]]:
        """Several columns in one GETBULK stream (v2c, v3; :mod:`.columns`); one by one
        for v1."""
        budget = budget or PollBudget()
        bases = [b.lstrip(".") for b in base_oids]
        if target.version == "1":
            return {b: await self.walk(target, b, budget) for b in bases}
        auth = self._auth_data(target)
        tr = await self._transport(target)

        async def bulk(oids: list[str], reps: int) -> list[VarBind]:
            budget.check_time(target)
            ind, status, index, vbs = await self._send(target, tr, budget, bulk_cmd(
                self.engine, auth, tr, self._context(target), 0, reps,
                *(self._obj(o) for o in oids), lookupMib=False,
            ))
            self._check(target, ind, status, index, oids)
            return [_varbind(oid, val) for oid, val in vbs]

        return await walk_columns(target, bases, budget, bulk, expected or {}, arcs_of)

    async def close(self) -> None:
        if self._engine is not None:
            self._engine.close_dispatcher()
            self._engine = None
        self._transports.clear()
        self._auth.clear()
        await asyncio.sleep(0)

