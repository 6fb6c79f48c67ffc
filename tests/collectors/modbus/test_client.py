"""The Modbus client (:mod:`dcmon.collectors.modbus.client`) alone, against a real pymodbus server
on 127.0.0.1: one attempt per call, every failure a ModbusDeviceError with a reason token and a
message naming table and address."""

from __future__ import annotations

import time

import pytest

from dcmon.collectors.modbus.client import BusSpec, ModbusClient, ModbusDeviceError
from tests.support.modbus_server import (
    ClosingGateway,
    FakeGateway,
    FakeUnit,
    aio,
    encode,
)


def _meter() -> FakeUnit:
    unit = FakeUnit()
    unit.put("holding", 3059, encode("FLOAT32", 12.5))
    unit.put("input", 0, [1, 2, 3])
    unit.put("coil", 0, [1, 0, 1])
    unit.put("discrete", 10, [0, 1])
    return unit


@aio
async def test_reads_every_table() -> None:
    gw = FakeGateway({1: _meter()})
    client = ModbusClient(BusSpec("127.0.0.1", await gw.start(), timeout=0.5))
    try:
        assert await client.read("holding", 3059, 2, 1) == encode("FLOAT32", 12.5)
        assert await client.read("input", 0, 3, 1) == [1, 2, 3]
        assert await client.read("coil", 0, 3, 1) == [1, 0, 1]
        assert await client.read("discrete", 10, 2, 1) == [0, 1]
    finally:
        await client.close()
        await gw.stop()


@pytest.mark.parametrize(("case", "reason", "code", "text"), [
    ("undefined", "illegal_address", 2,
     "illegal data address at holding 3060 (manuals often number from 1: try 3059)"),
    ("busy", "busy", 6, "device busy at holding 3059"),
    ("refused", "illegal_function", 1,
     "illegal function at holding 3059 (the device does not serve the holding table)"),
])
@aio
async def test_exception_answers_become_device_errors(case: str, reason: str, code: int,
                                                      text: str) -> None:
    unit = _meter()
    if case == "busy":
        unit.busy[("holding", 3059)] = 1
    if case == "refused":
        unit.refuse_tables.add("holding")
    gw = FakeGateway({7: unit})
    port = await gw.start()
    client = ModbusClient(BusSpec("127.0.0.1", port, timeout=0.5))
    try:
        with pytest.raises(ModbusDeviceError) as err:
            await client.read("holding", 3060 if case == "undefined" else 3059, 2, 7)
        e = err.value
        assert (e.reason, e.code, e.message, e.table) == (reason, code, text, "holding")
        assert str(e) == f"127.0.0.1:{port} unit 7: {text}"
        assert e.retryable == (reason == "busy")
    finally:
        await client.close()
        await gw.stop()


@aio
async def test_silent_unit_times_out_and_the_connection_survives() -> None:
    gw = FakeGateway({1: _meter(), 2: FakeUnit(dead=True)})
    client = ModbusClient(BusSpec("127.0.0.1", await gw.start(), timeout=0.2))
    try:
        t0 = time.monotonic()
        with pytest.raises(ModbusDeviceError) as err:
            await client.read("holding", 0, 1, 2)
        assert err.value.reason == "timeout" and err.value.retryable
        assert 0.15 < time.monotonic() - t0 < 1.0
        assert client.connected  # a dead unit is not a dead gateway
        assert await client.read("input", 0, 3, 1) == [1, 2, 3]
    finally:
        await client.close()
        await gw.stop()


@aio
async def test_connection_refused_is_a_connection_error() -> None:
    gw = FakeGateway({1: _meter()})
    port = await gw.start()
    await gw.stop()
    client = ModbusClient(BusSpec("127.0.0.1", port, timeout=0.3))
    with pytest.raises(ModbusDeviceError) as err:
        await client.read("holding", 0, 1, 1)
    assert err.value.reason == "connection"
    assert f"127.0.0.1:{port}" in str(err.value)


@aio
async def test_gateway_closing_the_connection_is_not_no_answer() -> None:
    """The gateway reads the request and hangs up: a connection fault, retried; the next read
    connects again (each attempt reaches the gateway)."""
    gw = ClosingGateway()
    port = await gw.start()
    client = ModbusClient(BusSpec("127.0.0.1", port, timeout=0.3))
    try:
        for attempt in (1, 2):
            with pytest.raises(ModbusDeviceError) as err:
                await client.read("holding", 3059, 2, 1)
            e = err.value
            assert (e.reason, e.table, e.address, e.code) == ("connection", "holding", 3059, None)
            assert e.message == (f"127.0.0.1:{port} closed the connection before answering at "
                                 "holding 3059")
            assert e.retryable and not client.connected
            assert gw.requests == attempt
    finally:
        await client.close()
        await gw.stop()


@aio
async def test_rtu_over_tcp_gateway() -> None:
    gw = FakeGateway({5: _meter()}, framer="rtu")
    client = ModbusClient(BusSpec("127.0.0.1", await gw.start(), "rtu-over-tcp", timeout=0.5))
    try:
        assert await client.read("holding", 3059, 2, 5) == encode("FLOAT32", 12.5)
    finally:
        await client.close()
        await gw.stop()


@aio
async def test_serial_transport_through_a_socket_url() -> None:
    """pyserial's socket:// URL stands in for a serial port: the serial client, RTU framing."""
    gw = FakeGateway({5: _meter()}, framer="rtu")
    port = await gw.start()
    client = ModbusClient(BusSpec(f"socket://127.0.0.1:{port}", transport="serial",
                                  timeout=0.5))
    try:
        assert await client.read("input", 0, 3, 5) == [1, 2, 3]
    finally:
        await client.close()
        await gw.stop()
