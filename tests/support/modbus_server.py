"""A real pymodbus server on 127.0.0.1 that misbehaves on request, for the Modbus tests.

:class:`FakeGateway` is a Modbus TCP server (or an RTU-over-TCP gateway) holding several units.
Each :class:`FakeUnit` has sparse register and bit maps: reading an undefined address answers
"illegal data address", like most meters. A unit can answer "device busy" a number of times at
chosen addresses, refuse a table (illegal function), be slow, or be dead (the gateway stays
silent for it, so the client times out).
"""

from __future__ import annotations

import asyncio
import functools
import re
import struct
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pymodbus import FramerType
from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer

from dcmon.collectors.modbus.model import CompiledModbusProfile
from dcmon.collectors.registry import BUILTIN_DIR, load_profile_file

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


class ClosingGateway:
    """A TCP gateway on 127.0.0.1 that reads each request and closes the connection unanswered
    (a gateway out of sessions, or one whose serial side is down): ``requests`` counts them."""

    def __init__(self) -> None:
        self.requests = 0
        self._server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await reader.read(260):
            self.requests += 1
        writer.close()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


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


@functools.cache
def builtin_modbus_profiles() -> tuple[CompiledModbusProfile, ...]:
    """The built-in Modbus profiles, loaded file by file (other profiles are not our subject)."""
    out: list[CompiledModbusProfile] = []
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        if re.search(r"^protocol:\s*modbus\s*$", path.read_text(), re.MULTILINE):
            p = load_profile_file(path)
            assert isinstance(p, CompiledModbusProfile)
            out.append(p)
    return tuple(out)
