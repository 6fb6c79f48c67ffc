"""The Modbus collector against a real server: busy answers, dead units, restarts, the bus lock."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest

from dcmon.collectors.modbus.client import BusSpec, Transport
from dcmon.collectors.modbus.collector import ModbusCollector, ModbusDevice
from dcmon.collectors.modbus.model import CompiledModbusProfile
from dcmon.collectors.modbus.profile import compile_modbus_profile
from dcmon.model import PollResult
from tests.support.modbus_server import FakeGateway, FakeUnit, aio, encode, text_registers

FAST: dict[str, Any] = {"retries": 2, "backoff": 0.01}


def meter_profile(**top: Any) -> CompiledModbusProfile:
    """A small meter: three currents (input, FLOAT32 CDAB), power (holding, INT32 with a scale
    register), energy (UINT64 Wh), a voltage with a sentinel, a status bit and a model string."""
    return compile_modbus_profile({
        "profile": "test_meter", "protocol": "modbus", "manual": "test", **top,
        "fields": [
            {"name": "current", "table": "input", "address": 0, "type": "FLOAT32",
             "byte_order": "CDAB", "unit": "A", "labels": {"phase": "L1"}},
            {"name": "current", "table": "input", "address": 2, "type": "FLOAT32",
             "byte_order": "CDAB", "unit": "A", "labels": {"phase": "L2"}},
            {"name": "current", "table": "input", "address": 4, "type": "FLOAT32",
             "byte_order": "CDAB", "unit": "A", "labels": {"phase": "L3"}},
            {"name": "power", "register": 101, "type": "INT32", "unit": "W",
             "scale_register": {"register": 103, "type": "INT16"}, "level": "total"},
            {"name": "energy", "address": 110, "type": "UINT64", "unit": "J", "scale": 3600,
             "kind": "counter", "width": 64, "resettable": True},
            {"name": "voltage", "address": 120, "type": "UINT16", "unit": "V", "scale": 0.1,
             "sentinels": [0xFFFF]},
            {"name": "alarm", "address": 121, "type": "BITS", "bit": 2, "unit": "ratio"},
            {"name": "running", "table": "coil", "address": 0, "unit": "ratio"},
            {"name": "model", "address": 200, "type": "STRING", "count": 4, "label": "model"},
        ]}, "<test>")


def meter_unit(**kw: Any) -> FakeUnit:
    unit = FakeUnit(**kw)
    for i, amps in enumerate((10.5, 11.25, 12.0)):
        unit.put("input", 2 * i, encode("FLOAT32", amps, "CDAB"))
    unit.put("holding", 100, encode("INT32", -1234))
    unit.put("holding", 102, encode("INT16", 1))           # power × 10^1
    unit.put("holding", 110, encode("UINT64", 5_000_000))  # Wh
    unit.put("holding", 120, [2301, 0b0100])
    unit.put("coil", 0, [1])
    unit.put("holding", 200, text_registers("DM42", 4))
    return unit


def values(result: PollResult) -> dict[str, float]:
    return {r.metric + (f"/{r.labels['phase']}" if "phase" in r.labels else ""): r.value
            for r in result.readings}


async def started(units: dict[int, FakeUnit], framer: str = "socket") -> FakeGateway:
    gw = FakeGateway(units, framer)
    await gw.start()
    return gw


def device(gw: FakeGateway, unit: int = 1, timeout: float = 0.3, **kw: Any) -> ModbusDevice:
    transport: Transport = "rtu-over-tcp" if kw.pop("rtu", False) else "tcp"
    return ModbusDevice(f"meter-{unit}", BusSpec("127.0.0.1", gw.port, transport,
                                                 timeout=timeout), unit=unit, **{**FAST, **kw})


@aio
async def test_poll_decodes_every_kind_of_field() -> None:
    gw = await started({1: meter_unit()})
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert result.ok and not result.errors, result.errors
    assert values(result) == pytest.approx({
        "current/L1": 10.5, "current/L2": 11.25, "current/L3": 12.0, "power": -12340.0,
        "energy": 18_000_000_000.0, "voltage": 230.1, "alarm": 1.0, "running": 1.0})
    assert all(r.labels["model"] == "DM42" for r in result.readings)
    power = next(r for r in result.readings if r.metric == "power")
    assert power.source.as_dict() == {"protocol": "modbus", "table": "holding", "address": 100,
                                      "registers": encode("INT32", -1234), "raw": -1234}
    energy = next(r for r in result.readings if r.metric == "energy")
    assert energy.kind == "counter" and energy.resettable and not energy.counter_capped
    assert energy.counter_max == 2.0**64 * 3600  # wraps at 2^64 Wh, in J
    assert power.counter_max is None
    # blocks: coil 0; holding 100-102 (power + its scale), 110-113, 120-121, 200-203; input 0-5
    assert [e[2:] for e in gw.context.log] == [("coil", 0, 1), ("holding", 100, 3),
                                               ("holding", 110, 4), ("holding", 120, 2),
                                               ("holding", 200, 4), ("input", 0, 6)]


@aio
async def test_sentinels_and_nan_mean_not_available() -> None:
    unit = meter_unit()
    unit.put("holding", 120, [0xFFFF])
    unit.put("input", 2, [0x0000, 0xFFC0])  # NaN in CDAB
    gw = await started({1: unit})
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert result.ok and not result.errors
    assert "voltage" not in values(result) and "current/L2" not in values(result)


@aio
async def test_busy_answers_are_retried_with_backoff() -> None:
    unit = meter_unit()
    unit.busy[("holding", 100)] = 2  # two "device busy" answers, then data
    gw = await started({1: unit})
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw, backoff=0.02), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert result.ok and not result.errors and values(result)["power"] == -12340.0
    starts = [e[0] for e in gw.context.log if e[2:4] == ("holding", 100)]
    assert len(starts) == 3
    assert starts[1] - starts[0] >= 0.015 and starts[2] - starts[1] >= 0.035  # 0.02, then 0.04


@aio
async def test_busy_too_long_costs_only_its_block() -> None:
    unit = meter_unit()
    unit.busy[("holding", 100)] = 10
    gw = await started({1: unit})
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert result.ok
    assert "power" not in values(result) and values(result)["energy"] == 18e9
    (err,) = result.errors
    assert err.reason == "busy"
    assert err.message == (f"meter-1 (127.0.0.1:{gw.port} unit 1): device busy at holding 100 "
                           "[power register 101]")


@aio
async def test_illegal_address_names_field_and_suggests_the_neighbour() -> None:
    """A merged block the device refuses is split; only the bad field is lost, and remembered."""
    profile = compile_modbus_profile({
        "profile": "t", "protocol": "modbus", "manual": "test", "requests": {"max_gap": 10},
        "defaults": {"type": "FLOAT32", "unit": "W"},
        "fields": [{"name": "power", "register": 3054, "labels": {"phase": "L1"}},
                   {"name": "power", "address": 3059, "level": "total"}]}, "<test>")
    unit = FakeUnit()
    unit.put("holding", 3053, encode("FLOAT32", 1.5))  # 3059 is not there: the profile is wrong
    gw = await started({1: unit})
    collector = ModbusCollector()
    try:
        first = await collector.poll(device(gw), profile)
        n = len(gw.context.log)
        second = await collector.poll(device(gw), profile)
    finally:
        await collector.close()
        await gw.stop()
    for result in (first, second):
        assert result.ok and values(result) == {"power/L1": 1.5}
        (err,) = result.errors
        assert err.reason == "illegal_address"
        assert err.message.endswith("illegal data address at holding 3059 (manuals often number "
                                    "from 1: try 3058) [power]")
    assert [e[3:] for e in gw.context.log[:n]] == [(3053, 8), (3053, 2), (3059, 2)]
    assert [e[3:] for e in gw.context.log[n:]] == [(3053, 2), (3059, 2)]  # split remembered


@aio
async def test_illegal_function_and_a_table_the_unit_lacks() -> None:
    gw = await started({1: meter_unit(refuse_tables={"input"})})
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert result.ok and "current/L1" not in values(result) and "power" in values(result)
    (err,) = result.errors
    assert err.reason == "illegal_function" and "input 0" in err.message


@aio
async def test_dead_unit_behind_a_gateway_does_not_stop_its_neighbours() -> None:
    units = {n: meter_unit() for n in (1, 2, 3)}
    units[4] = FakeUnit(dead=True)
    gw = await started(units)
    collector = ModbusCollector()
    profile = meter_profile()
    try:
        t0 = time.monotonic()
        results = await asyncio.gather(*(collector.poll(device(gw, n, timeout=0.2, retries=1),
                                                        profile) for n in (4, 1, 2, 3)))
        wall = time.monotonic() - t0
    finally:
        await collector.close()
        await gw.stop()
    dead, *alive = results
    assert not dead.ok and dead.readings == ()
    (err,) = dead.errors
    assert err.reason == "timeout"
    assert err.message.startswith(f"meter-4 (127.0.0.1:{gw.port} unit 4): no answer within "
                                  "0.2 s at coil 0 [")
    assert all(r.ok and not r.errors and len(r.readings) == 8 for r in alive)
    # The dead unit costs two timeouts (one retry) on the shared bus, not one per block.
    assert wall < 1.2
    assert sum(1 for e in gw.context.log if e[1] == 4) == 0  # it never answered


@aio
async def test_slow_unit_times_out() -> None:
    gw = await started({1: meter_unit(delay=0.3)})
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw, timeout=0.1, retries=0), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert not result.ok and result.errors[0].reason == "timeout"


@aio
async def test_reconnects_after_the_server_restarts() -> None:
    gw = await started({1: meter_unit()})
    collector = ModbusCollector()
    dev = device(gw, retries=1, backoff=0.05)
    try:
        assert (await collector.poll(dev, meter_profile())).ok
        await gw.stop()
        down = await collector.poll(dev, meter_profile())
        assert not down.ok and down.errors[0].reason == "connection"
        assert f"127.0.0.1:{gw.port}" in down.errors[0].message
        await gw.start()  # same port
        back = await collector.poll(dev, meter_profile())
        assert back.ok and not back.errors and len(back.readings) == 8
        # A restart between two polls: the stale connection is noticed and replaced.
        await gw.stop()
        await gw.start()
        again = await collector.poll(dev, meter_profile())
        assert again.ok and not again.errors
    finally:
        await collector.close()
        await gw.stop()


@aio
async def test_one_request_at_a_time_per_bus_and_pause_between_requests() -> None:
    gw = await started({1: meter_unit(), 2: meter_unit()})
    collector = ModbusCollector()
    try:
        await asyncio.gather(collector.poll(device(gw, 1, pause=0.03), meter_profile()),
                             collector.poll(device(gw, 2, pause=0.03), meter_profile()))
    finally:
        await collector.close()
        await gw.stop()
    log = gw.context.log
    assert gw.context.max_inflight == 1
    assert {e[1] for e in log} == {1, 2} and len(log) == 12
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(log)]
    assert min(gaps) >= 0.025


@aio
async def test_different_gateways_are_polled_in_parallel() -> None:
    gws = [await started({1: meter_unit(delay=0.1)}) for _ in range(3)]
    collector = ModbusCollector()
    try:
        t0 = time.monotonic()
        results = await asyncio.gather(*(collector.poll(device(gw), meter_profile())
                                         for gw in gws))
        wall = time.monotonic() - t0
    finally:
        await collector.close()
        for gw in gws:
            await gw.stop()
    assert all(r.ok for r in results)
    # 6 requests x 100 ms per gateway: ~0.6 s in parallel, ~1.8 s if serialised (the margin
    # leaves room for a loaded 2-core CI machine).
    assert wall < 1.3


@aio
async def test_workarounds_one_per_field_and_close_after_poll() -> None:
    gw = await started({1: meter_unit()})
    collector = ModbusCollector()
    dev = device(gw, one_per_field=True, close_after_poll=True)
    try:
        result = await collector.poll(dev, meter_profile())
        assert result.ok and len(result.readings) == 8
        assert len(gw.context.log) == 10  # 9 fields + the scale register
        assert not collector.bus(dev.bus).client.connected
        assert (await collector.poll(dev, meter_profile())).ok  # reconnects
    finally:
        await collector.close()
        await gw.stop()


@aio
async def test_rtu_over_tcp_and_per_device_block_size() -> None:
    gw = await started({9: meter_unit()}, framer="rtu")
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw, 9, rtu=True, max_registers=2), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert result.ok and not result.errors and len(result.readings) == 8
    assert max(e[4] for e in gw.context.log) <= 4  # UINT64 still needs its 4 registers
    assert [e[3:] for e in gw.context.log if e[2] == "input"] == [(0, 2), (2, 2), (4, 2)]


@aio
async def test_one_bus_one_transport() -> None:
    gw = await started({1: meter_unit()})
    collector = ModbusCollector()
    try:
        assert (await collector.poll(device(gw), meter_profile())).ok
        clash = await collector.poll(device(gw, rtu=True), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert not clash.ok and clash.errors[0].reason == "config"
    assert "already used with transport tcp" in clash.errors[0].message


@aio
async def test_every_type_in_every_byte_order_from_a_server() -> None:
    """One field per (type, byte order), served as the device would encode it, read back."""
    samples = {"INT16": -12345, "UINT16": 54321, "INT32": -123456789, "UINT32": 3_000_000_000,
               "INT64": -1_234_567_890_123, "UINT64": 18_000_000_000_000_000_000,
               "FLOAT32": 230.5, "FLOAT64": 49.987654321}
    fields, unit, address = [], FakeUnit(), 0
    for type_, value in samples.items():
        for order in ("ABCD", "CDAB", "BADC", "DCBA"):
            regs = encode(type_, value, order)
            unit.put("holding", address, regs)
            fields.append({"name": "power", "address": address, "type": type_,
                           "byte_order": order, "unit": "W",
                           "labels": {"type": type_, "order": order}})
            address += len(regs)
    profile = compile_modbus_profile({"profile": "t", "protocol": "modbus", "manual": "test",
                                      "fields": fields}, "<test>")
    gw = await started({1: unit})
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw), profile)
    finally:
        await collector.close()
        await gw.stop()
    assert result.ok and not result.errors
    got = {(r.labels["type"], r.labels["order"]): r.source.raw for r in result.readings}
    assert got == {(t, o): v for t, v in samples.items()
                   for o in ("ABCD", "CDAB", "BADC", "DCBA")}
    assert [e[3:] for e in gw.context.log] == [(0, 80)]  # all 32 values in one request


@aio
async def test_a_unit_that_refuses_everything_is_not_ok() -> None:
    gw = await started({1: meter_unit(refuse_tables={"coil", "holding", "input"})})
    collector = ModbusCollector()
    try:
        result = await collector.poll(device(gw), meter_profile())
    finally:
        await collector.close()
        await gw.stop()
    assert not result.ok and result.readings == ()
    assert {e.reason for e in result.errors} == {"illegal_function"}
    assert len(result.errors) == 6  # one per refused block, each naming its fields
