"""A small BER codec for SNMP v1/v2c messages, written for the polling hot path.

pyasn1 spends most of pysnmp's CPU per varbind (see docs/performance.md). SNMP
v1/v2c only needs a dozen definite-length, single-byte tags, so a hand-written decoder that walks
one ``bytes`` object by index is an order of magnitude cheaper. What keeps it fast:

* one pass over the datagram with integer offsets; no intermediate objects per TLV;
* OID encodings and decodings are cached in dicts, because a poller asks the same OIDs every
  cycle and gets the same OIDs back;
* VarBinds are built through their slot descriptors, skipping the frozen dataclass ``__init__``
  (about half of the per-varbind cost otherwise).

Malformed input raises :class:`BerError` and nothing else, so callers need exactly one
``except`` to turn a bad datagram into a ``decode`` error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from dcmon.collectors.snmp.api import VarBind

__all__ = [
    "COUNTER32",
    "COUNTER64",
    "END_OF_MIB_VIEW",
    "GAUGE32",
    "GET_BULK_REQUEST",
    "GET_NEXT_REQUEST",
    "GET_REQUEST",
    "INTEGER",
    "IP_ADDRESS",
    "NAME_TO_TAG",
    "NO_SUCH_INSTANCE",
    "NO_SUCH_OBJECT",
    "NULL",
    "OBJECT_IDENTIFIER",
    "OCTET_STRING",
    "OPAQUE",
    "RESPONSE",
    "SEQUENCE",
    "SET_REQUEST",
    "TAG_TO_NAME",
    "TIME_TICKS",
    "VERSION_1",
    "VERSION_2C",
    "BerError",
    "Message",
    "Value",
    "decode_message",
    "encode_message",
    "encode_oid",
    "encode_request",
    "encode_response",
    "encode_value",
    "encode_varbind",
    "normalize_oid",
    "oid_to_tuple",
]

Value = int | bytes | str | None

# --- tags ------------------------------------------------------------------------------------
INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
NULL: Final = 0x05
OBJECT_IDENTIFIER: Final = 0x06
SEQUENCE: Final = 0x30
IP_ADDRESS: Final = 0x40
COUNTER32: Final = 0x41
GAUGE32: Final = 0x42
TIME_TICKS: Final = 0x43
OPAQUE: Final = 0x44
COUNTER64: Final = 0x46
NO_SUCH_OBJECT: Final = 0x80
NO_SUCH_INSTANCE: Final = 0x81
END_OF_MIB_VIEW: Final = 0x82

GET_REQUEST: Final = 0xA0
GET_NEXT_REQUEST: Final = 0xA1
RESPONSE: Final = 0xA2
SET_REQUEST: Final = 0xA3
GET_BULK_REQUEST: Final = 0xA5

VERSION_1: Final = 0
VERSION_2C: Final = 1

#: Wire tag -> VarBind tag name (the names of api.VALUE_TAGS / api.EXCEPTION_TAGS).
TAG_TO_NAME: Final[dict[int, str]] = {
    INTEGER: "Integer32",
    OCTET_STRING: "OctetString",
    NULL: "Null",
    OBJECT_IDENTIFIER: "ObjectIdentifier",
    IP_ADDRESS: "IpAddress",
    COUNTER32: "Counter32",
    GAUGE32: "Gauge32",
    TIME_TICKS: "TimeTicks",
    OPAQUE: "Opaque",
    COUNTER64: "Counter64",
    NO_SUCH_OBJECT: "noSuchObject",
    NO_SUCH_INSTANCE: "noSuchInstance",
    END_OF_MIB_VIEW: "endOfMibView",
}
NAME_TO_TAG: Final[dict[str, int]] = {name: tag for tag, name in TAG_TO_NAME.items()}

_PDU_TYPES: Final = frozenset(
    {GET_REQUEST, GET_NEXT_REQUEST, RESPONSE, SET_REQUEST, GET_BULK_REQUEST}
)
_UINT32_MAX: Final = 2**32 - 1
_UINT64_MAX: Final = 2**64 - 1
_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
#: Largest value per unsigned tag. Decoding reads the content as unsigned so that agents which
#: (wrongly) encode 0xFFFFFFFF as four 0xFF bytes still give 4294967295, as net-snmp does.
_UNSIGNED_MAX: Final[dict[int, int]] = {
    COUNTER32: _UINT32_MAX,
    GAUGE32: _UINT32_MAX,
    TIME_TICKS: _UINT32_MAX,
    COUNTER64: _UINT64_MAX,
}
#: Bounded caches: a poller sees the same few thousand OIDs over and over; a walk of a huge
#: table must not grow memory without limit, so a full cache is simply dropped.
_CACHE_MAX: Final = 100_000
#: Longer OIDs are decoded every time rather than cached, so a hostile agent cannot make the
#: cache hold more than about _CACHE_MAX * 0.3 KB.
_CACHE_OID_MAX_OCTETS: Final = 128


class BerError(ValueError):
    """The bytes are not a well-formed SNMP v1/v2c message (or a value cannot be encoded)."""


@dataclass(slots=True)
class Message:
    """One decoded SNMP message. For GetBulk the two PDU counters hold non-repeaters and
    max-repetitions, which is how they travel on the wire; the properties name them."""

    version: int
    community: bytes
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[VarBind]

    @property
    def non_repeaters(self) -> int:
        return self.error_status

    @property
    def max_repetitions(self) -> int:
        return self.error_index


# --- VarBind construction ----------------------------------------------------------------------


Setter = Callable[[VarBind, object], None]


def _slot_setters() -> tuple[Setter, Setter, Setter]:
    """Writers for VarBind's three fields that skip the frozen dataclass ``__init__``.

    That ``__init__`` calls ``object.__setattr__`` three times, about 1 µs per VarBind; the
    slot descriptors' own ``__set__`` is half that, and decoding builds one VarBind per value.
    If VarBind ever stops being a slotted class, ``object.__setattr__`` is still correct.
    """

    def setter(name: str) -> Setter:
        slot = VarBind.__dict__.get(name)
        if type(slot).__name__ == "member_descriptor":
            set_slot: Setter = slot.__set__  # type: ignore[union-attr]
            return set_slot
        return lambda obj, value: object.__setattr__(obj, name, value)

    return setter("oid"), setter("tag"), setter("value")


_SLOT_SETTERS: Final = _slot_setters()


def _varbind(oid: str, tag: str, value: Value) -> VarBind:
    """Build a VarBind cheaply (same object the constructor would give)."""
    set_oid, set_tag, set_value = _SLOT_SETTERS
    varbind: VarBind = object.__new__(VarBind)
    set_oid(varbind, oid)
    set_tag(varbind, tag)
    set_value(varbind, value)
    return varbind


# --- encoding primitives ----------------------------------------------------------------------

_SHORT_LENGTHS: Final = tuple(bytes((n,)) for n in range(0x80))
_SMALL_INTS: Final = tuple(bytes((n,)) for n in range(0x80))
_OID_TLV_CACHE: dict[str, bytes] = {}
_NULL_VARBIND_CACHE: dict[str, bytes] = {}
_OID_STR_CACHE: dict[bytes, str] = {}
_OID_TUPLE_CACHE: dict[str, tuple[int, ...]] = {}
_CANONICAL_CACHE: dict[str, str] = {}


def _length(n: int) -> bytes:
    """Definite-length octets for a content of ``n`` bytes (short form when it fits)."""
    if n < 0x80:
        return _SHORT_LENGTHS[n]
    size = (n.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + n.to_bytes(size, "big")


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _length(len(content)) + content


def _int_content(v: int) -> bytes:
    """Minimal two's-complement octets; an unsigned value with its top bit set gets a 0x00."""
    if 0 <= v < 0x80:
        return _SMALL_INTS[v]
    size = ((v if v >= 0 else ~v).bit_length() + 8) // 8
    return v.to_bytes(size, "big", signed=True)


def _encode_int(tag: int, v: int) -> bytes:
    content = _int_content(v)
    return bytes((tag,)) + _length(len(content)) + content


#: A numeric OID with at least two arcs and an optional leading dot. The regex (one C call)
#: rejects what ``int()`` alone would let through, such as ' 1', '+1' or '1_0'.
_OID_RE: Final = re.compile(r"\.?[0-9]+(?:\.[0-9]+)+")


def _oid_arcs(oid: str) -> list[int]:
    """Parse a dotted OID strictly into its arcs."""
    if not _OID_RE.fullmatch(oid):
        raise BerError(f"not a numeric OID: {oid!r}")
    arcs = list(map(int, oid.lstrip(".").split(".")))
    if arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise BerError(f"invalid first arcs in OID {oid!r}")
    return arcs


def _encode_oid_content(arcs: list[int]) -> bytes:
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes(out)


def encode_oid(oid: str) -> bytes:
    """Full OBJECT IDENTIFIER TLV for a dotted OID (a leading dot is accepted), cached."""
    tlv = _OID_TLV_CACHE.get(oid)
    if tlv is None:
        tlv = _tlv(OBJECT_IDENTIFIER, _encode_oid_content(_oid_arcs(oid)))
        if len(_OID_TLV_CACHE) >= _CACHE_MAX:
            _OID_TLV_CACHE.clear()
        _OID_TLV_CACHE[oid] = tlv
    return tlv


def oid_to_tuple(oid: str) -> tuple[int, ...]:
    """Numeric key of a dotted OID, for ordering (walk loop detection, agent lookups), cached."""
    key = _OID_TUPLE_CACHE.get(oid)
    if key is None:
        key = tuple(_oid_arcs(oid))
        if len(_OID_TUPLE_CACHE) >= _CACHE_MAX:
            _OID_TUPLE_CACHE.clear()
        _OID_TUPLE_CACHE[oid] = key
    return key


def normalize_oid(oid: str) -> str:
    """Canonical dotted form (no leading dot, no leading zeros), as decode_message returns OIDs.

    Callers compare reply OIDs with requested ones, so both sides must be spelled alike.
    """
    text = _CANONICAL_CACHE.get(oid)
    if text is None:
        text = ".".join(map(str, oid_to_tuple(oid)))
        if len(_CANONICAL_CACHE) >= _CACHE_MAX:
            _CANONICAL_CACHE.clear()
        _CANONICAL_CACHE[oid] = text
    return text


def _null_varbind(oid: str) -> bytes:
    """``SEQUENCE { oid, NULL }`` as sent in every request, cached per OID."""
    vb = _NULL_VARBIND_CACHE.get(oid)
    if vb is None:
        vb = _tlv(SEQUENCE, encode_oid(oid) + b"\x05\x00")
        if len(_NULL_VARBIND_CACHE) >= _CACHE_MAX:
            _NULL_VARBIND_CACHE.clear()
        _NULL_VARBIND_CACHE[oid] = vb
    return vb


def _encode_unsigned(tag: int, value: Value) -> bytes:
    if not isinstance(value, int) or not 0 <= value <= _UNSIGNED_MAX[tag]:
        raise BerError(f"{TAG_TO_NAME[tag]} value out of range: {value!r}")
    return _encode_int(tag, value)


def _encode_integer32(value: Value) -> bytes:
    if not isinstance(value, int) or not _INT32_MIN <= value <= _INT32_MAX:
        raise BerError(f"Integer32 value out of range: {value!r}")
    return _encode_int(INTEGER, value)


def _encode_octets(tag: int, value: Value) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, bytes | bytearray):
        raise BerError(f"{TAG_TO_NAME[tag]} needs bytes, got {type(value).__name__}")
    return _tlv(tag, bytes(value))


def _encode_ip(value: Value) -> bytes:
    if isinstance(value, bytes | bytearray) and len(value) == 4:
        return b"\x40\x04" + bytes(value)
    parts = value.split(".") if isinstance(value, str) else []
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() and int(p) < 256 for p in parts):
        raise BerError(f"IpAddress needs a dotted quad, got {value!r}")
    return b"\x40\x04" + bytes(int(p) for p in parts)


def _encode_oid_value(value: Value) -> bytes:
    if not isinstance(value, str):
        raise BerError(f"ObjectIdentifier needs a dotted string, got {value!r}")
    return encode_oid(value)


def encode_value(tag: str, value: Value) -> bytes:
    """TLV for one VarBind value given its tag name (see api.VALUE_TAGS / EXCEPTION_TAGS).

    OctetString and Opaque also accept ``str`` (UTF-8 encoded) so stores can hold plain text.
    """
    code = NAME_TO_TAG.get(tag)
    if code is None:
        raise BerError(f"unknown tag {tag!r}")
    if code == INTEGER:
        return _encode_integer32(value)
    if code in _UNSIGNED_MAX:
        return _encode_unsigned(code, value)
    if code in (OCTET_STRING, OPAQUE):
        return _encode_octets(code, value)
    if code == OBJECT_IDENTIFIER:
        return _encode_oid_value(value)
    if code == IP_ADDRESS:
        return _encode_ip(value)
    return bytes((code, 0))  # Null and the three exceptions carry no content


def encode_varbind(oid: str, tag: str, value: Value) -> bytes:
    """One ``SEQUENCE { oid, value }`` TLV, ready to concatenate into a VarBindList."""
    content = encode_oid(oid) + encode_value(tag, value)
    return b"\x30" + _length(len(content)) + content


def encode_message(
    version: int,
    community: bytes,
    pdu_type: int,
    request_id: int,
    field1: int,
    field2: int,
    varbinds: bytes,
) -> bytes:
    """Wrap already-encoded varbind TLVs into ``SEQUENCE { version, community, PDU }``.

    ``field1``/``field2`` are error-status/error-index, or non-repeaters/max-repetitions for
    GetBulk. Taking the varbinds pre-encoded lets callers cache them.
    """
    if pdu_type not in _PDU_TYPES:
        raise BerError(f"unsupported PDU type 0x{pdu_type:02x}")
    pdu = (
        _encode_int(INTEGER, request_id)
        + _encode_int(INTEGER, field1)
        + _encode_int(INTEGER, field2)
        + b"\x30"
        + _length(len(varbinds))
        + varbinds
    )
    body = (
        _encode_int(INTEGER, version)
        + _tlv(OCTET_STRING, community)
        + bytes((pdu_type,))
        + _length(len(pdu))
        + pdu
    )
    return b"\x30" + _length(len(body)) + body


def encode_request(
    version: int,
    community: bytes,
    pdu_type: int,
    request_id: int,
    oids: Sequence[str],
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A Get/GetNext/GetBulk request: every OID paired with NULL."""
    varbinds = b"".join([_null_varbind(oid) for oid in oids])
    if pdu_type == GET_BULK_REQUEST:
        return encode_message(
            version, community, pdu_type, request_id, non_repeaters, max_repetitions, varbinds
        )
    return encode_message(version, community, pdu_type, request_id, 0, 0, varbinds)


def encode_response(
    version: int,
    community: bytes,
    request_id: int,
    error_status: int,
    error_index: int,
    varbinds: Sequence[tuple[str, str, Value]],
) -> bytes:
    """A Response PDU from ``(oid, tag name, value)`` triples."""
    parts = b"".join([encode_varbind(oid, tag, value) for oid, tag, value in varbinds])
    return encode_message(
        version, community, RESPONSE, request_id, error_status, error_index, parts
    )


# --- decoding ---------------------------------------------------------------------------------


def _header(buf: bytes, pos: int, limit: int) -> tuple[int, int, int]:
    """Read one tag and definite length at ``pos``; return (tag, content start, content end)."""
    if pos + 2 > limit:
        raise BerError("truncated TLV header")
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0 or size > 4:
            raise BerError("indefinite or oversized length")
        if pos + size > limit:
            raise BerError("truncated length")
        length = int.from_bytes(buf[pos : pos + size], "big")
        pos += size
    end = pos + length
    if end > limit:
        raise BerError("content runs past its container")
    return tag, pos, end


def _read_int(buf: bytes, pos: int, limit: int) -> tuple[int, int]:
    tag, start, end = _header(buf, pos, limit)
    if tag != INTEGER or start == end:
        raise BerError("expected INTEGER")
    return int.from_bytes(buf[start:end], "big", signed=True), end


def _decode_oid(content: bytes) -> str:
    """Dotted string for OID content octets, cached by the octets themselves."""
    text = _OID_STR_CACHE.get(content)
    if text is not None:
        return text
    if not content or content[-1] & 0x80:
        raise BerError("empty or truncated OBJECT IDENTIFIER")
    arcs = []
    arc = 0
    for byte in content:
        arc = (arc << 7) | (byte & 0x7F)
        if byte < 0x80:
            arcs.append(arc)
            arc = 0
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    key = (*head, *arcs[1:])
    text = ".".join(map(str, key))
    if len(content) <= _CACHE_OID_MAX_OCTETS:
        # Also prime oid_to_tuple: walks order-check every OID they receive, and the integer
        # arcs are at hand here for free.
        if len(_OID_STR_CACHE) >= _CACHE_MAX:
            _OID_STR_CACHE.clear()
        if len(_OID_TUPLE_CACHE) >= _CACHE_MAX:
            _OID_TUPLE_CACHE.clear()
        _OID_STR_CACHE[content] = text
        _OID_TUPLE_CACHE[text] = key
    return text


def _decode_value(tag: int, buf: bytes, start: int, end: int) -> Value:
    """Python value of one VarBind value TLV (the tag is already known to be valid)."""
    if tag == INTEGER:
        if start == end:
            raise BerError("empty INTEGER")
        return int.from_bytes(buf[start:end], "big", signed=True)
    if tag in (OCTET_STRING, OPAQUE):
        return buf[start:end]
    maximum = _UNSIGNED_MAX.get(tag)
    if maximum is not None:
        value = int.from_bytes(buf[start:end], "big")
        if start == end or value > maximum:
            raise BerError(f"bad {TAG_TO_NAME[tag]} encoding")
        return value
    if tag == OBJECT_IDENTIFIER:
        return _decode_oid(buf[start:end])
    if tag == IP_ADDRESS:
        if end - start != 4:
            raise BerError("IpAddress must be 4 octets")
        return ".".join(map(str, buf[start:end]))
    if start != end:
        raise BerError(f"{TAG_TO_NAME[tag]} must be empty")
    return None


def _decode_varbind_slow(buf: bytes, pos: int, end: int) -> tuple[VarBind, int]:
    """Decode one VarBind at ``pos`` with full length handling; return it and its end."""
    tag, start, vb_end = _header(buf, pos, end)
    if tag != SEQUENCE:
        raise BerError("expected VarBind SEQUENCE")
    tag, start, oid_end = _header(buf, start, vb_end)
    if tag != OBJECT_IDENTIFIER:
        raise BerError("expected OBJECT IDENTIFIER in VarBind")
    oid = _decode_oid(buf[start:oid_end])
    tag, start, value_end = _header(buf, oid_end, vb_end)
    name = TAG_TO_NAME.get(tag)
    if name is None or value_end != vb_end:
        raise BerError(f"unexpected value tag 0x{tag:02x} or trailing bytes in VarBind")
    return _varbind(oid, name, _decode_value(tag, buf, start, value_end)), vb_end


def _decode_varbinds(buf: bytes, pos: int, end: int) -> list[VarBind]:
    """Decode a VarBindList.

    Nearly every VarBind is under 128 bytes, so all three of its lengths are one octet. The
    loop reads that shape with plain indexing and falls back to the general decoder for
    anything else (long-form lengths, odd tags, damage). The equality
    ``oid_end + 2 + value_len == vb_end`` proves the three lengths are consistent; a read past
    the end of ``buf`` raises IndexError, which decode_message turns into BerError. Tags are
    literals here (0x30 SEQUENCE, 0x06 OID, 0x02 INTEGER, 0x04 OCTET STRING) because constant
    loads are cheaper than global loads in a loop run once per value.
    """
    varbinds: list[VarBind] = []
    append = varbinds.append
    names = TAG_TO_NAME
    oid_cache = _OID_STR_CACHE
    unsigned_max = _UNSIGNED_MAX
    from_bytes = int.from_bytes
    new = object.__new__
    set_oid, set_tag, set_value = _SLOT_SETTERS
    while pos < end:
        vb_length = buf[pos + 1]
        vb_end = pos + 2 + vb_length
        oid_end = pos + 4 + buf[pos + 3]
        tag = buf[oid_end]
        if (
            buf[pos] != 0x30
            or vb_length >= 0x80
            or buf[pos + 2] != 0x06
            or vb_end > end
            or oid_end + 2 + buf[oid_end + 1] != vb_end
            or tag not in names
        ):
            varbind, pos = _decode_varbind_slow(buf, pos, end)
            append(varbind)
            continue
        content = buf[pos + 4 : oid_end]
        oid = oid_cache.get(content) or _decode_oid(content)
        start = oid_end + 2
        value: Value
        if tag == 0x02 and start < vb_end:
            value = from_bytes(buf[start:vb_end], "big", signed=True)
        elif tag in unsigned_max and start < vb_end:
            value = from_bytes(buf[start:vb_end], "big")
            if value > unsigned_max[tag]:
                raise BerError(f"{names[tag]} out of range")
        elif tag == 0x04:
            value = buf[start:vb_end]
        else:
            value = _decode_value(tag, buf, start, vb_end)
        varbind = new(VarBind)
        set_oid(varbind, oid)
        set_tag(varbind, names[tag])
        set_value(varbind, value)
        append(varbind)
        pos = vb_end
    return varbinds


def _decode(buf: bytes) -> Message:
    size = len(buf)
    tag, pos, end = _header(buf, 0, size)
    if tag != SEQUENCE or end != size:
        raise BerError("not an SNMP message (or trailing bytes)")
    version, pos = _read_int(buf, pos, end)
    if version not in (VERSION_1, VERSION_2C):
        raise BerError(f"unsupported SNMP version {version}")
    tag, start, pos = _header(buf, pos, end)
    if tag != OCTET_STRING:
        raise BerError("expected community OCTET STRING")
    community = buf[start:pos]
    pdu_type, pos, pdu_end = _header(buf, pos, end)
    if pdu_type not in _PDU_TYPES or pdu_end != end:
        raise BerError(f"unsupported PDU 0x{pdu_type:02x} (or trailing bytes)")
    request_id, pos = _read_int(buf, pos, pdu_end)
    field1, pos = _read_int(buf, pos, pdu_end)
    field2, pos = _read_int(buf, pos, pdu_end)
    tag, pos, vbs_end = _header(buf, pos, pdu_end)
    if tag != SEQUENCE or vbs_end != pdu_end:
        raise BerError("expected VarBindList SEQUENCE")
    varbinds = _decode_varbinds(buf, pos, vbs_end)
    return Message(version, community, pdu_type, request_id, field1, field2, varbinds)


def decode_message(data: bytes | bytearray | memoryview) -> Message:
    """Decode one SNMP v1/v2c datagram. Raises :class:`BerError` (only) if it is malformed.

    The explicit checks above cover every length and tag; the ``except`` is a safety net so an
    overlooked corner can never leak an IndexError into the event loop.
    """
    try:
        return _decode(bytes(data))
    except BerError:
        raise
    except (IndexError, ValueError, TypeError, OverflowError) as exc:
        raise BerError(f"malformed SNMP message: {exc}") from exc
