"""BER decoding of SNMP v1/v2c datagrams: one pass by index, caches for repeated OIDs."""

from __future__ import annotations

from dcmon.collectors.snmp.api import VarBind
from dcmon.collectors.snmp.ber.common import (
    _CACHE_MAX,
    _CACHE_OID_MAX_OCTETS,
    _PDU_TYPES,
    _SLOT_SETTERS,
    _UNSIGNED_MAX,
    INTEGER,
    IP_ADDRESS,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    SEQUENCE,
    TAG_TO_NAME,
    VERSION_1,
    VERSION_2C,
    BerError,
    Message,
    Value,
    _varbind,
)
from dcmon.collectors.snmp.ber.encode import (
    _OID_STR_CACHE,
    _OID_TUPLE_CACHE,
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
