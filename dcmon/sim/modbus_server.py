"""Simulated Modbus meters: a pymodbus TCP server whose registers follow the simulated physics.

Registers are computed when a request arrives (like the SNMP agent's getters), so an incomer's
power and its energy counter always agree with the load curve at that moment. One server can
hold several unit ids, as a gateway does.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping

from pymodbus.constants import ExcCodes
from pymodbus.datastore import ModbusServerContext
from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer

#: A unit's memory map: (table, address) -> register, computed on demand.
Registers = Callable[[], dict[tuple[str, int], int]]
_TABLE_OF_FC = {1: "coil", 2: "discrete", 3: "holding", 4: "input"}


def float32(value: float) -> list[int]:
    """Two registers, big-endian word and byte order (ABCD), as most meters send FLOAT32."""
    raw = struct.pack(">f", value)
    return [int.from_bytes(raw[0:2], "big"), int.from_bytes(raw[2:4], "big")]


class _Context(ModbusServerContext):
    """Answers reads from the units' register functions; everything else is refused."""

    def __init__(self, units: Mapping[int, Registers]) -> None:  # no super(): see tests
        self.units = dict(units)
        self.simdevices = []
        self.old_simulator = True
        self.down: set[int] = set()

    def device_ids(self) -> list[int]:
        return list(self.units)

    async def async_getValues(self, device_id: int, func_code: int, address: int,
                              count: int = 1) -> list[int] | list[bool] | ExcCodes:
        unit = self.units.get(device_id)
        if unit is None or device_id in self.down:
            raise NoSuchIdException(f"unit {device_id} is silent")
        table = _TABLE_OF_FC.get(func_code)
        mem = unit()
        rng = range(address, address + count)
        if table is None or any((table, a) not in mem for a in rng):
            return ExcCodes.ILLEGAL_ADDRESS
        return [mem[(table, a)] for a in rng]

    async def async_setValues(self, device_id: int, func_code: int, address: int,
                              values: object) -> ExcCodes | None:
        return ExcCodes.ILLEGAL_FUNCTION


class SimModbusServer:
    """A Modbus TCP server on 127.0.0.1 with simulated units."""

    def __init__(self, units: Mapping[int, Registers], host: str = "127.0.0.1") -> None:
        self.context = _Context(units)
        self.host = host
        self.port = 0
        self._server: ModbusTcpServer | None = None

    async def start(self, port: int = 0) -> int:
        server = ModbusTcpServer(self.context, address=(self.host, port),
                                 ignore_missing_devices=True)
        await server.serve_forever(background=True)
        self._server = server
        self.port = int(server.transport.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()  # type: ignore[no-untyped-call]
            self._server = None


def sdm630(power_w: Callable[[], float], import_kwh: Callable[[], float],
           volts: float = 230.0, hz: float = 50.0) -> Registers:
    """An Eastron SDM630 (input registers, FLOAT32 ABCD) on a three-phase feed."""

    def regs() -> dict[tuple[str, int], int]:
        w = power_w()
        mem: dict[tuple[str, int], int] = {}

        def put(addr: int, value: float) -> None:
            hi, lo = float32(value)
            mem[("input", addr)] = hi
            mem[("input", addr + 1)] = lo

        for i in range(0, 0x180, 2):  # answer the whole map (zeros where not simulated)
            put(i, 0.0)
        for ph in range(3):
            put(0x00 + 2 * ph, volts)
            put(0x06 + 2 * ph, w / 3 / volts)
            put(0x0C + 2 * ph, w / 3)
            put(0x1E + 2 * ph, 0.98)
        put(0x34, w)
        put(0x38, w / 0.98)
        put(0x3E, 0.98)
        put(0x46, hz)
        put(0x48, import_kwh())
        put(0x156, import_kwh())
        return mem

    return regs


def water_meter(litres: Callable[[], int]) -> Registers:
    """A water meter's volume register: litres as UINT32 in holding registers 0-1 (big-endian),
    as the ``generic_water_meter`` profile reads it."""

    def regs() -> dict[tuple[str, int], int]:
        v = litres() % 2**32
        return {("holding", 0): v >> 16, ("holding", 1): v & 0xFFFF}

    return regs
