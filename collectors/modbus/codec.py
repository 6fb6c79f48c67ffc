"""Register decoding: one function per (type, byte order, size), chosen once when a profile loads.

Modbus moves 16-bit registers; a meter's value may span one to four of them, and vendors do not
agree on the order of the bytes (telegraf#7518, #8855). The order is named after the bytes of a
32-bit value ``A B C D`` (A most significant), as the registers carry them:

========  =======================  ==========================================
order     registers of 0xAABBCCDD  meaning
========  =======================  ==========================================
ABCD      0xAABB, 0xCCDD           big-endian (the Modbus default)
CDAB      0xCCDD, 0xAABB           word-swapped (least significant word first)
BADC      0xBBAA, 0xDDCC           byte-swapped inside each word
DCBA      0xDDCC, 0xBBAA           little-endian
========  =======================  ==========================================

For 64-bit values the same rule extends: CDAB and DCBA reverse the order of all four words; BADC
and DCBA swap the bytes inside each word. For 16-bit values only the byte swap applies.

:func:`make_decoder` resolves all of this into a closure over precompiled :class:`struct.Struct`
objects, so the poll hot path is a slice, at most one list reversal and one ``unpack``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

#: A decoder turns exactly ``count`` registers into the raw value.
Decoder = Callable[[Sequence[int]], int | float | str]

BYTE_ORDERS = ("ABCD", "CDAB", "BADC", "DCBA")

#: Type name -> (registers, struct code of the big-endian value). STRING and BITS are special.
NUMERIC_TYPES: dict[str, tuple[int, str]] = {
    "INT16": (1, "h"),
    "UINT16": (1, "H"),
    "INT32": (2, "i"),
    "UINT32": (2, "I"),
    "INT64": (4, "q"),
    "UINT64": (4, "Q"),
    "FLOAT32": (2, "f"),
    "FLOAT64": (4, "d"),
}
TYPES = (*NUMERIC_TYPES, "BITS", "STRING")
#: Registers a value of each fixed-size type occupies (BITS: one or two, STRING: as declared).
REGISTERS = {name: n for name, (n, _) in NUMERIC_TYPES.items()}


def word_swapped(order: str) -> bool:
    """True when the least significant word comes first (CDAB, DCBA)."""
    return order in ("CDAB", "DCBA")


def byte_swapped(order: str) -> bool:
    """True when the bytes inside each register are swapped (BADC, DCBA)."""
    return order in ("BADC", "DCBA")


def _words(order: str, count: int) -> tuple[struct.Struct, bool]:
    """The struct that packs ``count`` registers into big-endian bytes, and whether to reverse."""
    return struct.Struct(("<" if byte_swapped(order) else ">") + "H" * count), word_swapped(order)


def make_decoder(type_: str, order: str = "ABCD", count: int | None = None, *,
                 bit: int = 0, bits: int = 1) -> Decoder:
    """Build the decoder for one field. Raises ValueError for a combination that cannot work.

    ``count`` is required for STRING (any number of registers) and optional for BITS (1 or 2);
    for the numeric types it must be the type's own size if given. ``bit``/``bits`` select a bit
    field (bit 0 = least significant) of a BITS value.
    """
    if order not in BYTE_ORDERS:
        raise ValueError(f"unknown byte order {order!r} (known: {', '.join(BYTE_ORDERS)})")
    if type_ in NUMERIC_TYPES:
        size, code = NUMERIC_TYPES[type_]
        if count is not None and count != size:
            raise ValueError(f"{type_} takes {size} register{'s' if size > 1 else ''}, "
                             f"not {count}")
        return _numeric(order, size, code)
    if type_ == "BITS":
        n = 1 if count is None else count
        if n not in (1, 2):
            raise ValueError(f"BITS takes 1 or 2 registers, not {n}")
        if not 0 <= bit < 16 * n or bits < 1 or bit + bits > 16 * n:
            raise ValueError(f"bits {bit}..{bit + bits - 1} do not fit in {16 * n} bits")
        word = _numeric(order, n, "H" if n == 1 else "I")
        mask = (1 << bits) - 1

        def bitfield(regs: Sequence[int]) -> int:
            return (int(word(regs)) >> bit) & mask

        return bitfield
    if type_ == "STRING":
        if count is None or count < 1:
            raise ValueError("STRING needs a register count ('count')")
        pack, reverse = _words(order, count)

        def text(regs: Sequence[int]) -> str:
            data = pack.pack(*(regs[::-1] if reverse else regs))
            return data.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()

        return text
    raise ValueError(f"unknown type {type_!r} (known: {', '.join(TYPES)})")


_F32 = struct.Struct(">f")


def short_float32(x: float) -> float:
    """The shortest decimal that is the same float32: 230.1, not 230.10000610351562.

    A FLOAT32 register pair holds a binary fraction; widened to a Python float it prints with
    noise digits the meter never showed. The shortest round-tripping decimal is the value the
    meter meant, and it decodes back to the identical float32, so nothing is lost.
    """
    if x != x or x in (float("inf"), float("-inf")):
        return x
    bits = _F32.pack(x)
    for digits in (6, 7, 8):
        y = float(f"{x:.{digits}g}")
        try:
            if _F32.pack(y) == bits:
                return y
        except OverflowError:  # rounded past the largest float32
            continue
    return x


def _numeric(order: str, size: int, code: str) -> Decoder:
    value = struct.Struct(">" + code)
    if code == "f":
        raw = _numeric(order, size, "I")
        return lambda regs: short_float32(_F32.unpack(struct.pack(">I", raw(regs)))[0])
    if size == 1:
        # One register: only the byte swap matters. Avoid struct for the common unsigned case.
        if code == "H" and not byte_swapped(order):
            return lambda regs: regs[0]
        pack1 = struct.Struct("<H" if byte_swapped(order) else ">H")
        return lambda regs: value.unpack(pack1.pack(regs[0]))[0]
    pack, reverse = _words(order, size)
    if reverse:
        return lambda regs: value.unpack(pack.pack(*regs[::-1]))[0]
    return lambda regs: value.unpack(pack.pack(*regs))[0]


def encode(type_: str, value: int | float | str, order: str = "ABCD",
           count: int | None = None) -> list[int]:
    """The registers a device would send for ``value``: the inverse of :func:`make_decoder`.

    Used by tests, the benchmark's simulated meters and ``README`` examples; never on the poll
    path. BITS encodes the whole word (``value`` is the register's integer).
    """
    if type_ == "STRING":
        if count is None:
            raise ValueError("STRING needs a register count")
        data = str(value).encode("utf-8")[: 2 * count].ljust(2 * count, b"\x00")
        n = count
    else:
        if type_ == "BITS":
            n = count or 1
            code = "H" if n == 1 else "I"
        else:
            n, code = NUMERIC_TYPES[type_]
        data = struct.pack(">" + code, value)
    regs = list(struct.unpack(("<" if byte_swapped(order) else ">") + "H" * n, data))
    return regs[::-1] if word_swapped(order) else regs
