"""Register decoding: every type in every byte order, against an independent encoder."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dcmon.collectors.modbus.codec import (
    BYTE_ORDERS,
    NUMERIC_TYPES,
    encode,
    make_decoder,
    short_float32,
)
from tests.support.modbus_server import encode as reference_encode

SAMPLES = {
    "INT16": -12345, "UINT16": 54321, "INT32": -123456789, "UINT32": 3_000_000_000,
    "INT64": -1_234_567_890_123, "UINT64": 18_000_000_000_000_000_000,
    "FLOAT32": 230.5, "FLOAT64": 49.987654321,
}


@pytest.mark.parametrize("order", BYTE_ORDERS)
@pytest.mark.parametrize("type_", sorted(NUMERIC_TYPES))
def test_decodes_each_type_in_each_order(type_: str, order: str) -> None:
    regs = reference_encode(type_, SAMPLES[type_], order)
    assert make_decoder(type_, order)(regs) == SAMPLES[type_]
    assert encode(type_, SAMPLES[type_], order) == regs


def test_the_four_orders_of_one_float() -> None:
    """0x4366_8000 is 230.5: the table in the codec's docstring, checked."""
    assert reference_encode("FLOAT32", 230.5, "ABCD") == [0x4366, 0x8000]
    assert make_decoder("FLOAT32", "ABCD")([0x4366, 0x8000]) == 230.5
    assert make_decoder("FLOAT32", "CDAB")([0x8000, 0x4366]) == 230.5
    assert make_decoder("FLOAT32", "BADC")([0x6643, 0x0080]) == 230.5
    assert make_decoder("FLOAT32", "DCBA")([0x0080, 0x6643]) == 230.5


def test_nan_survives_as_nan() -> None:
    """Schneider marks "not available" with 0xFFC00000; the collector drops NaN."""
    assert math.isnan(float(make_decoder("FLOAT32")([0xFFC0, 0x0000])))


def test_bit_fields() -> None:
    word = make_decoder("BITS", "ABCD", bit=3)
    assert word([0b1000]) == 1 and word([0b0111]) == 0
    field = make_decoder("BITS", "ABCD", 1, bit=4, bits=3)
    assert field([0b1101_0000]) == 0b101
    wide = make_decoder("BITS", "CDAB", 2, bit=17)
    assert wide([0x0000, 0x0002]) == 1  # low word first: bit 17 is bit 1 of the second register


def test_strings() -> None:
    regs = [0x4945, 0x4D33, 0x3135, 0x3500]  # "IEM3155" padded with NUL
    assert make_decoder("STRING", "ABCD", 4)(regs) == "IEM3155"
    assert make_decoder("STRING", "BADC", 2)([0x4549, 0x334D]) == "IEM3"
    assert encode("STRING", "PM5560", "ABCD", 4) == [0x504D, 0x3535, 0x3630, 0]


@pytest.mark.parametrize(("args", "message"), [
    (("FLOAT32", "ABCD", 3), "FLOAT32 takes 2 registers, not 3"),
    (("INT16", "ABCD", 2), "INT16 takes 1 register, not 2"),
    (("FLOAT23",), "unknown type 'FLOAT23'"),
    (("UINT32", "ADBC"), "unknown byte order 'ADBC'"),
    (("STRING", "ABCD"), "STRING needs a register count"),
    (("BITS", "ABCD", 3), "BITS takes 1 or 2 registers, not 3"),
])
def test_impossible_decoders_are_refused(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_decoder(*args)  # type: ignore[arg-type]


@given(st.sampled_from(BYTE_ORDERS), st.floats(width=32, allow_nan=False))
def test_float32_round_trip(order: str, value: float) -> None:
    """Decoded FLOAT32s are the shortest decimal of the same float32: no bit is lost."""
    decoded = make_decoder("FLOAT32", order)(encode("FLOAT32", value, order))
    assert struct.pack(">f", decoded) == struct.pack(">f", value)
    assert len(repr(decoded)) <= len(repr(value))


def test_float32_reads_as_the_meter_meant_it() -> None:
    noisy = struct.unpack(">f", struct.pack(">f", 230.1))[0]
    assert noisy == 230.10000610351562
    assert short_float32(noisy) == 230.1
    assert short_float32(12345678.0) == 12345678.0  # 8 digits kept when needed
    assert make_decoder("FLOAT32")(reference_encode("FLOAT32", 0.98)) == 0.98


@given(st.sampled_from(BYTE_ORDERS), st.integers(-(2**63), 2**63 - 1))
def test_int64_round_trip(order: str, value: int) -> None:
    regs = encode("INT64", value, order)
    assert all(0 <= r <= 0xFFFF for r in regs)
    assert make_decoder("INT64", order)(regs) == value
    assert regs == reference_encode("INT64", value, order)


def test_reference_encoder_is_struct_big_endian() -> None:
    assert reference_encode("UINT32", 0xAABBCCDD) == [0xAABB, 0xCCDD]
    assert reference_encode("UINT32", 0xAABBCCDD, "DCBA") == [0xDDCC, 0xBBAA]
    assert struct.pack(">I", 0xAABBCCDD) == bytes([0xAA, 0xBB, 0xCC, 0xDD])
