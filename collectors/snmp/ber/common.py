"""BER tags, the decoded message, and fast VarBind construction (shared by both directions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from dcmon.collectors.snmp.api import VarBind

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
#: The same bound for dotted OID text (128 octets encode at most 128 arcs of ~3 digits).
_CACHE_OID_MAX_CHARS: Final = 512


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
