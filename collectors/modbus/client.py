"""The only module that imports pymodbus: one read call, one error type.

pymodbus changes its API between minor versions (3.10 renamed ``slave=`` to ``device_id=``), so
it is pinned to 3.16.x and kept behind this small surface::

    client = ModbusClient(BusSpec("10.0.0.5", 502, "tcp", timeout=1.0))
    registers = await client.read("holding", 3059, 2, unit=3)   # -> list[int]
    await client.close()

Its failures arrive two ways, as exceptions (no answer, lost connection) and as ``isError()``
responses carrying a Modbus exception code; both become one :class:`ModbusDeviceError` with a
stable ``reason`` token and a message that names the device, table and address. One call is
one attempt: retries, backoff and the per-bus lock belong to the collector, which can let other
units use the bus while a busy one backs off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

Transport = Literal["tcp", "rtu-over-tcp", "serial"]

# Every timeout is reported to the caller as data (a PollError); pymodbus would also log each at
# ERROR. Quieten it unless someone configured its logger on purpose.
_pymodbus_log = logging.getLogger("pymodbus")
if _pymodbus_log.level == logging.NOTSET:
    _pymodbus_log.setLevel(logging.CRITICAL)

#: Modbus exception code -> (reason token, what it means).
EXCEPTION_CODES: dict[int, tuple[str, str]] = {
    1: ("illegal_function", "illegal function"),
    2: ("illegal_address", "illegal data address"),
    3: ("illegal_value", "illegal data value"),
    4: ("device_failure", "device failure"),
    5: ("acknowledge", "acknowledge (device busy with a long operation)"),
    6: ("busy", "device busy"),
    7: ("negative_acknowledge", "negative acknowledge"),
    8: ("memory_parity", "memory parity error"),
    10: ("gateway_path", "gateway path unavailable"),
    11: ("gateway_timeout", "gateway target device failed to respond"),
}
#: Reasons worth another attempt after a pause: the device or the path may recover.
RETRYABLE = frozenset({"timeout", "busy", "acknowledge", "gateway_timeout", "connection"})


class ModbusDeviceError(Exception):
    """A read failed. ``reason`` is a short stable token (used as a metric label)."""

    def __init__(self, device: str, table: str, address: int, reason: str, message: str,
                 code: int | None = None) -> None:
        self.device = device
        self.table = table
        self.address = address
        self.reason = reason
        self.message = message
        #: The Modbus exception code, when the device answered with one.
        self.code = code
        super().__init__(f"{device}: {message}")

    @property
    def retryable(self) -> bool:
        return self.reason in RETRYABLE


@dataclass(frozen=True, slots=True)
class BusSpec:
    """One bus: a Modbus TCP server or gateway (host, port), or a serial port (host = path)."""

    host: str
    port: int = 502
    transport: Transport = "tcp"
    #: Seconds to wait for a connection and for each answer.
    timeout: float = 1.0
    baudrate: int = 9600
    bytesize: int = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: int = 1

    @property
    def key(self) -> tuple[str, int]:
        """The bus identity: one request at a time per key."""
        return (self.host, 0 if self.transport == "serial" else self.port)

    def describe(self) -> str:
        return self.host if self.transport == "serial" else f"{self.host}:{self.port}"


def exception_message(code: int, table: str, address: int, count: int, unit: int) -> str:
    """The sentence for a Modbus exception answer, with a hint where one is known to help."""
    reason, what = EXCEPTION_CODES.get(code, (f"exception_{code}", f"exception code {code}"))
    text = f"{what} at {table} {address}"
    if reason == "illegal_address" and address > 0:
        text += f" (manuals often number from 1: try {address - 1})"
    elif reason == "illegal_function":
        text += f" (the device does not serve the {table} table)"
    elif reason == "illegal_value":
        text += f" (the device refuses {count} at once: lower max_registers)"
    elif reason in ("gateway_path", "gateway_timeout"):
        text += f" (unit {unit})"
    return text


def _reason(code: int) -> str:
    return EXCEPTION_CODES.get(code, (f"exception_{code}", ""))[0]


class ModbusClient:
    """One connection to one bus, shared by every device (unit) behind it."""

    def __init__(self, bus: BusSpec, *, max_silent: int = 8) -> None:
        self.bus = bus
        self._max_silent = max_silent
        self._client: Any = None

    def _make(self) -> Any:
        """The pymodbus client, imported here: an inventory without Modbus devices never
        loads pymodbus and the serial modules it brings (docs/performance.md)."""
        from pymodbus import FramerType
        from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient

        b = self.bus
        # retries=0: one attempt per call (the collector retries); reconnect_delay=0: no
        # background reconnect task, the next read() reconnects when it needs to.
        common: dict[str, Any] = {"timeout": b.timeout, "retries": 0, "reconnect_delay": 0}
        if b.transport == "serial":
            client: Any = AsyncModbusSerialClient(
                b.host, framer=FramerType.RTU, baudrate=b.baudrate, bytesize=b.bytesize,
                parity=b.parity, stopbits=b.stopbits, **common)
        else:
            framer = FramerType.RTU if b.transport == "rtu-over-tcp" else FramerType.SOCKET
            client = AsyncModbusTcpClient(b.host, port=b.port, framer=framer, **common)
        # pymodbus drops the connection after this many unanswered requests in a row: high
        # enough that one dead unit behind a gateway does not cut off its live neighbours.
        client.set_max_no_responses(self._max_silent)
        return client

    @property
    def connected(self) -> bool:
        return bool(self._client is not None and self._client.connected)

    async def read(self, table: str, address: int, count: int, unit: int) -> list[int]:
        """Read ``count`` registers (or bits, as 0/1) of ``table`` at the 0-based ``address``."""
        from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException

        device = f"{self.bus.describe()} unit {unit}"

        def fail(reason: str, message: str, code: int | None = None) -> ModbusDeviceError:
            return ModbusDeviceError(device, table, address, reason, message, code)

        if self._client is None:
            self._client = self._make()
        client = self._client
        if not client.connected and not await client.connect():
            raise fail("connection", f"cannot connect to {self.bus.describe()} "
                                     f"({self.bus.transport})")
        call = {"holding": client.read_holding_registers, "input": client.read_input_registers,
                "coil": client.read_coils, "discrete": client.read_discrete_inputs}.get(table)
        if call is None:
            raise fail("config", f"unknown table {table!r}")
        try:
            rr = await call(address, count=count, device_id=unit)
        except ConnectionException as exc:
            client.close()
            raise fail("connection", f"connection to {self.bus.describe()} lost ({exc})") \
                from None
        except ModbusIOException as exc:
            if "No response" in str(exc) and "CLOSING" not in str(exc) and not client.connected:
                # pymodbus reports a connection the gateway closed as "No response" once the
                # timeout ends; it did not close it itself ("CLOSING"), so the peer did.
                client.close()
                raise fail("connection", f"{self.bus.describe()} closed the connection "
                                         f"before answering at {table} {address}") from None
            if "No response" in str(exc) or "CLOSING" in str(exc):
                raise fail("timeout", f"no answer within {self.bus.timeout:g} s at {table} "
                                      f"{address}") from None
            raise fail("protocol", f"bad answer at {table} {address}: {exc}") from None
        except TimeoutError:
            raise fail("timeout", f"no answer within {self.bus.timeout:g} s at {table} "
                                  f"{address}") from None
        except (OSError, ModbusException) as exc:
            client.close()
            raise fail("connection", f"{self.bus.describe()}: {exc}") from None
        if rr.isError():
            code = int(getattr(rr, "exception_code", 0) or 0)
            raise fail(_reason(code), exception_message(code, table, address, count, unit), code)
        values = ([int(b) for b in rr.bits[:count]] if table in ("coil", "discrete")
                  else list(rr.registers))
        if len(values) < count:
            raise fail("protocol", f"asked {count} at {table} {address}, got {len(values)}")
        return values

    async def close(self) -> None:
        """Drop the connection; the next read reconnects."""
        if self._client is not None:
            self._client.close()
