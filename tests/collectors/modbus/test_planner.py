"""Request planning: neighbouring registers merge into blocks within the device's limits."""

from __future__ import annotations

from typing import Any

from dcmon.collectors.modbus.model import CompiledModbusProfile, RequestOptions
from dcmon.collectors.modbus.planner import Block, Span, plan, split
from dcmon.collectors.modbus.profile import compile_modbus_profile


def profile(fields: list[dict[str, Any]], **top: Any) -> CompiledModbusProfile:
    doc = {"profile": "t", "protocol": "modbus", "manual": "test", "fields": fields, **top}
    return compile_modbus_profile(doc, "<test>")


def f32(address: int, table: str = "holding", **kw: Any) -> dict[str, Any]:
    return {"name": "power", "address": address, "table": table, "type": "FLOAT32",
            "unit": "W", "labels": {"n": f"{table}{address}"}, **kw}


def ranges(blocks: list[Block]) -> list[tuple[str, int, int]]:
    return [(b.table, b.address, b.count) for b in blocks]


def test_adjacent_fields_merge_and_gaps_split() -> None:
    p = profile([f32(0), f32(2), f32(4), f32(10)])
    assert ranges(plan(p.fields)) == [("holding", 0, 6), ("holding", 10, 2)]


def test_gap_tolerance_merges_across_unused_registers() -> None:
    p = profile([f32(0), f32(2), f32(4), f32(10)])
    assert ranges(plan(p.fields, RequestOptions(max_gap=4))) == [("holding", 0, 12)]
    assert ranges(plan(p.fields, RequestOptions(max_gap=3))) == [("holding", 0, 6),
                                                                 ("holding", 10, 2)]


def test_block_size_limit() -> None:
    p = profile([f32(a) for a in range(0, 300, 2)])
    blocks = plan(p.fields)
    assert [b.count for b in blocks] == [124, 124, 52]  # 62 floats fit in 125 registers
    assert sum(len(b.spans) for b in blocks) == 150
    small = plan(p.fields, RequestOptions(max_registers=10))
    assert all(b.count <= 10 for b in small) and len(small) == 30


def test_tables_never_mix_and_come_in_function_code_order() -> None:
    p = profile([f32(0, "input"), f32(0, "holding"), f32(2, "input"),
                 {"name": "running", "table": "coil", "address": 5, "unit": "ratio"},
                 {"name": "alarm", "table": "discrete", "address": 7, "unit": "ratio"},
                 {"name": "running", "table": "coil", "address": 6, "unit": "ratio",
                  "labels": {"n": "6"}}])
    assert ranges(plan(p.fields)) == [("coil", 5, 2), ("discrete", 7, 1), ("holding", 0, 2),
                                      ("input", 0, 4)]


def test_one_request_per_field() -> None:
    p = profile([f32(0), f32(2), f32(4)])
    assert ranges(plan(p.fields, RequestOptions(one_per_field=True))) == [
        ("holding", 0, 2), ("holding", 2, 2), ("holding", 4, 2)]


def test_scale_registers_are_planned_with_their_field() -> None:
    p = profile([{"name": "power", "address": 40, "type": "INT16", "unit": "W",
                  "scale_register": {"address": 41}},
                 {"name": "current", "address": 42, "type": "INT16", "unit": "A",
                  "scale_register": {"address": 41}}])
    (block,) = plan(p.fields)
    assert (block.address, block.count) == (40, 3)
    assert [s.address for s in block.spans] == [40, 41, 42]  # the shared scale read once


def test_overlapping_fields_and_split() -> None:
    p = profile([f32(0), {"name": "status", "address": 1, "type": "BITS", "bit": 0,
                          "unit": "ratio"}])
    (block,) = plan(p.fields)
    assert (block.address, block.count) == (0, 2)
    assert split(block) == [Block("holding", 0, 2, (Span("holding", 0, 2),)),
                            Block("holding", 1, 1, (Span("holding", 1, 1),))]
    assert block.covers(Span("holding", 1, 1)) and not block.covers(Span("holding", 1, 2))
