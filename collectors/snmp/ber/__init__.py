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

from dcmon.collectors.snmp.ber.common import (
    COUNTER32,
    COUNTER64,
    END_OF_MIB_VIEW,
    GAUGE32,
    GET_BULK_REQUEST,
    GET_NEXT_REQUEST,
    GET_REQUEST,
    INTEGER,
    IP_ADDRESS,
    NAME_TO_TAG,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NULL,
    OBJECT_IDENTIFIER,
    OCTET_STRING,
    OPAQUE,
    RESPONSE,
    SEQUENCE,
    SET_REQUEST,
    TAG_TO_NAME,
    TIME_TICKS,
    VERSION_1,
    VERSION_2C,
    BerError,
    Message,
    Value,
)
from dcmon.collectors.snmp.ber.decode import (
    decode_message,
)
from dcmon.collectors.snmp.ber.encode import (
    encode_message,
    encode_oid,
    encode_request,
    encode_response,
    encode_value,
    encode_varbind,
    normalize_oid,
    oid_to_tuple,
)

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
