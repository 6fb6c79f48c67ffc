"""A real pymodbus server on 127.0.0.1 that misbehaves on request, and the client against it.

:class:`FakeGateway` is a Modbus TCP server (or an RTU-over-TCP gateway) holding several units.
Each :class:`FakeUnit` has sparse register and bit maps: reading an undefined address answers
"illegal data address", like most meters. A unit can answer "device busy" a number of times at
chosen addresses, refuse a table (illegal function), be slow, or be dead (the gateway stays
silent for it, so the client times out). The other Modbus test modules import these helpers.

The tests here check :mod:`dcmon.collectors.modbus.client` alone: one attempt per call, every failure
a ModbusDeviceError with a reason token and a message naming table and address.
"""

from __future__ import annotations

import asyncio
import functools
import struct
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer

from dcmon.collectors.modbus.client import BusSpec, ModbusClient, ModbusDeviceError

TABLE_OF_FC = {1: "coil", 2: "discrete", 3: "holding", 4: "input"}


def aio(fn: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh event loop (no pytest-asyncio needed)."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


def encode(type_: str, value: float | int, order: str = "ABCD") -> list[int]:
    """Registers for a value, written independently of the codec: bytes, then word/byte moves."""
    code = {"INT16": "h", "UINT16": "H", "INT32": "i", "UINT32": "I", "INT64": "q",
            "UINT64": "Q", "FLOAT32": "f", "FLOAT64": "d"}[type_]
    big = struct.pack(">" + code, value)
    words = [big[i : i + 2] for i in range(0, len(big), 2)]
    if order in ("CDAB", "DCBA"):
        words.reverse()
    if order in ("BADC", "DCBA"):
        words = [w[::-1] for w in words]
    return [int.from_bytes(w, "big") for w in words]


def text_registers(text: str, count: int) -> list[int]:
    data = text.encode().ljust(2 * count, b"\x00")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, 2 * count, 2)]


@dataclass
class FakeUnit:
    """One unit behind the gateway: its memory and its misbehaviour."""

    holding: dict[int, int] = field(default_factory=dict)
    input: dict[int, int] = field(default_factory=dict)
    coil: dict[int, int] = field(default_factory=dict)
    discrete: dict[int, int] = field(default_factory=dict)
    #: (table, address) -> how many more requests starting there answer "device busy".
    busy: dict[tuple[str, int], int] = field(default_factory=dict)
    #: Tables the unit does not serve at all (illegal function).
    refuse_tables: set[str] = field(default_factory=set)
    #: Answer reads of undefined addresses with zeros instead of "illegal data address".
    fill_gaps: bool = False
    #: Silent: the gateway forwards nothing back (the client times out).
    dead: bool = False
    #: Seconds each request takes (a slow serial device behind the gateway).
    delay: float = 0.0

    def put(self, table: str, address: int, registers: list[int]) -> None:
        mem = getattr(self, table)
        for i, r in enumerate(registers):
            mem[address + i] = r


class FakeContext(ModbusServerContext):
    """A datastore answering from FakeUnits (bypasses pymodbus's deprecated simulator init)."""

    def __init__(self, units: Mapping[int, FakeUnit]) -> None:  # no super(): no deprecation log
        self.units = dict(units)
        self.simdevices = []
        self.old_simulator = True
        #: Every request: (monotonic start, unit, table, address, count).
        self.log: list[tuple[float, int, str, int, int]] = []
        self.inflight = 0
        self.max_inflight = 0

    def device_ids(self) -> list[int]:
        return list(self.units)

    async def async_getValues(self, device_id: int, func_code: int, address: int,
                              count: int = 1) -> list[int] | list[bool] | ExcCodes:
        unit = self.units.get(device_id)
        if unit is None or unit.dead:
            raise NoSuchIdException(f"unit {device_id} is silent")
        table = TABLE_OF_FC[func_code]
        self.log.append((time.monotonic(), device_id, table, address, count))
        self.inflight += 1
        self.max_inflight = max(self.max_inflight, self.inflight)
        try:
            if unit.delay:
                await asyncio.sleep(unit.delay)
            if table in unit.refuse_tables:
                return ExcCodes.ILLEGAL_FUNCTION
            left = unit.busy.get((table, address), 0)
            if left > 0:
                unit.busy[(table, address)] = left - 1
                return ExcCodes.DEVICE_BUSY
            mem = getattr(unit, table)
            rng = range(address, address + count)
            if not unit.fill_gaps and any(a not in mem for a in rng):
                return ExcCodes.ILLEGAL_ADDRESS
            values = [mem.get(a, 0) for a in rng]
            return [bool(v) for v in values] if table in ("coil", "discrete") else values
        finally:
            self.inflight -= 1

    async def async_setValues(self, device_id: int, func_code: int, address: int,
                              values: object) -> ExcCodes | None:
        return ExcCodes.ILLEGAL_FUNCTION


class FakeGateway:
    """A Modbus TCP server (framer socket) or RTU-over-TCP gateway (framer rtu) on 127.0.0.1."""

    def __init__(self, units: Mapping[int, FakeUnit], framer: str = "socket") -> None:
        self.context = FakeContext(units)
        self.framer = FramerType.RTU if framer == "rtu" else FramerType.SOCKET
        self.port = 0
        self._server: ModbusTcpServer | None = None

    @property
    def units(self) -> dict[int, FakeUnit]:
        return self.context.units

    async def start(self, port: int | None = None) -> int:
        """Listen (on the same port as before when restarted); return the port."""
        server = ModbusTcpServer(self.context, framer=self.framer,
                                 address=("127.0.0.1", self.port if port is None else port),
                                 ignore_missing_devices=True)
        await server.serve_forever(background=True)
        self._server = server
        self.port = server.transport.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None


@contextmanager
def gateway_in_thread(units: Mapping[int, FakeUnit], framer: str = "socket"
                      ) -> Iterator[FakeGateway]:
    """Run a FakeGateway on its own event loop in a thread (for subprocess and sync tests)."""
    loop = asyncio.new_event_loop()
    gw = FakeGateway(units, framer)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(gw.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "fake gateway did not start"
    try:
        yield gw
    finally:
        asyncio.run_coroutine_threadsafe(gw.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


# ------------------------------------------------------------------------------------- tests


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
