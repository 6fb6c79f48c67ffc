"""Request planning: which blocks of registers to read so every field is covered once.

A request costs a round trip (on a 9600 baud bus, tens of milliseconds), so neighbouring fields
are merged into one block, up to the device's maximum block size and across gaps of at most
``max_gap`` unused registers. Some devices refuse reads that touch undefined registers: for them
``max_gap`` stays 0 (the default), and the collector splits a refused block into its fields.

The plan depends only on the profile and the request options, so the collector computes it once
per (profile, options) and reuses it for every poll.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dcmon.collectors.modbus.model import (
    BIT_TABLES,
    MAX_BITS,
    MAX_REGISTERS,
    ModbusField,
    RequestOptions,
)

#: Function code per table, for messages and docs.
FUNCTION_CODES = {"coil": 1, "discrete": 2, "holding": 3, "input": 4}


@dataclass(frozen=True, slots=True)
class Span:
    """A range one field (or a field's scale register) needs: table, first address, count."""

    table: str
    address: int
    count: int

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.address + self.count


@dataclass(frozen=True, slots=True)
class Block:
    """One read request and the spans it serves."""

    table: str
    address: int
    count: int
    spans: tuple[Span, ...]

    def covers(self, span: Span) -> bool:
        return (span.table == self.table and self.address <= span.address
                and span.end <= self.address + self.count)


def spans_of(fields: Iterable[ModbusField]) -> list[Span]:
    """Every distinct span the fields need (scale registers included), in first-seen order."""
    seen: dict[Span, None] = {}
    for f in fields:
        seen[Span(f.table, f.address, f.count)] = None
        if f.scale_register is not None:
            s = f.scale_register
            seen[Span(s.table, s.address, s.count)] = None
    return list(seen)


def plan(fields: Sequence[ModbusField], options: RequestOptions | None = None) -> list[Block]:
    """Merge the fields' spans into as few blocks as the options allow.

    Blocks never mix tables and never exceed ``max_registers`` (or the protocol's 2000 bits for
    coil/discrete); a span larger than the limit gets a block of its own (the device decides).
    With ``one_per_field`` every span is its own request.
    """
    options = options or RequestOptions()
    spans = spans_of(fields)
    if options.one_per_field:
        return [Block(s.table, s.address, s.count, (s,)) for s in sorted(spans, key=_order)]
    blocks: list[Block] = []
    for table in sorted({s.table for s in spans}, key=_table_order):
        limit = MAX_BITS if table in BIT_TABLES else min(options.max_registers, MAX_REGISTERS)
        gap = options.max_gap * (16 if table in BIT_TABLES else 1)
        current: list[Span] = []
        start = end = 0
        for s in sorted((s for s in spans if s.table == table), key=_order):
            if current and s.address - end <= gap and max(end, s.end) - start <= limit:
                current.append(s)
                end = max(end, s.end)
                continue
            if current:
                blocks.append(Block(table, start, end - start, tuple(current)))
            current, start, end = [s], s.address, s.end
        if current:
            blocks.append(Block(table, start, end - start, tuple(current)))
    return blocks


def split(block: Block) -> list[Block]:
    """One block per span: the fallback when a device refuses a merged read."""
    return [Block(s.table, s.address, s.count, (s,)) for s in block.spans]


def _order(s: Span) -> tuple[int, int, int]:
    return (_table_order(s.table), s.address, -s.count)


def _table_order(table: str) -> int:
    return FUNCTION_CODES.get(table, 9)
