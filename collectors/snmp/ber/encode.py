"""BER encoding of SNMP v1/v2c messages: requests for the lean client, responses for the agent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from dcmon.collectors.snmp.ber.common import (
    _CACHE_MAX,
    _CACHE_OID_MAX_CHARS,
    _INT32_MAX,
    _INT32_MIN,
    _PDU_TYPES,
    _UNSIGNED_MAX,
    GET_BULK_REQUEST,
    INTEGER,
    IP_ADDRESS,
    NAME_TO_TAG,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    RESPONSE,
    SEQUENCE,
    TAG_TO_NAME,
    BerError,
    Value,
)

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
        if len(oid) > _CACHE_OID_MAX_CHARS:
            return key  # a hostile agent's huge OIDs must not fill the cache
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
