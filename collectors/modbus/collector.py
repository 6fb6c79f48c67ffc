"""Poll one Modbus device with a compiled profile and turn its registers into Readings.

The profile is compiled and its request plan computed once; a poll reads the planned blocks,
slices each field's registers out of them and applies the field's decoder, sentinels, scale
register, scale and offset, in that fixed order. Like the SNMP collector it never raises for a
device problem: failures come back inside the PollResult with a reason token.

Buses: every device names its bus (a Modbus TCP server or gateway, or a serial port). A bus
carries one request at a time, so all devices on it share one connection and one asyncio lock;
different buses run in parallel. The lock is taken per request, not per poll, and released
during retry backoff, so a busy or dead unit delays its neighbours by at most one timeout per
attempt instead of stopping them.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dcmon import clock
from dcmon.collectors.modbus.client import BusSpec, ModbusClient, ModbusDeviceError
from dcmon.collectors.modbus.model import CompiledModbusProfile, ModbusField, RequestOptions
from dcmon.collectors.modbus.planner import Block, Span, plan, split
from dcmon.model import PollError, PollResult, Reading, Source

#: Reasons that mean the unit (or the path to it) is not answering: stop this poll early.
UNREACHABLE = frozenset({"timeout", "connection", "gateway_timeout", "gateway_path"})


@dataclass(frozen=True, slots=True)
class ModbusDevice:
    """One Modbus unit to poll, with its bus and its per-device request settings."""

    name: str
    bus: BusSpec
    #: Unit (device, slave) id: which unit behind a gateway or on a serial bus.
    unit: int = 1
    #: Extra attempts after a timeout, "busy" answer or lost connection.
    retries: int = 2
    #: Pause before the first retry; it doubles for each further one, up to ``backoff_max``.
    backoff: float = 0.1
    backoff_max: float = 2.0
    # Request options; None takes the profile's value (which defaults to RequestOptions()).
    max_registers: int | None = None
    max_gap: int | None = None
    pause: float | None = None
    one_per_field: bool | None = None
    close_after_poll: bool | None = None

    def options(self, profile: CompiledModbusProfile) -> RequestOptions:
        """Device setting > profile default > built-in default."""
        p = profile.requests
        return RequestOptions(
            max_registers=p.max_registers if self.max_registers is None else self.max_registers,
            max_gap=p.max_gap if self.max_gap is None else self.max_gap,
            pause=p.pause if self.pause is None else self.pause,
            one_per_field=p.one_per_field if self.one_per_field is None else self.one_per_field,
            close_after_poll=(p.close_after_poll if self.close_after_poll is None
                              else self.close_after_poll))


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one poll of a profile does: the blocks, and each field with its precomputed spans."""

    blocks: list[Block]
    fields: list[tuple[ModbusField, Span, Span | None]]


@dataclass
class _Bus:
    """A shared connection, its one-request-at-a-time lock and the end of its last request."""

    spec: BusSpec
    client: ModbusClient
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_end: float = 0.0


class ModbusCollector:
    """Polls Modbus devices; one instance serves every device and owns the bus connections."""

    def __init__(self, client_factory: Callable[[BusSpec], ModbusClient] = ModbusClient, *,
                 sources: bool = True) -> None:
        self._client_factory = client_factory
        #: Give each Reading its Source (``dcmon poll`` prints it; ``dcmon run`` keeps none).
        self.sources = sources
        self._buses: dict[tuple[str, int], _Bus] = {}
        self._plans: dict[tuple[int, RequestOptions], tuple[CompiledModbusProfile, _Plan]] = {}
        #: Blocks a device refused as a whole (illegal address): read field by field from now on.
        self._refused: set[tuple[str, int, Block]] = set()
        #: Requests sent and registers received, for the benchmark and self-metrics.
        self.requests = 0
        self.registers = 0

    def bus(self, spec: BusSpec) -> _Bus:
        """The shared bus for a spec; a second device on it must use the same transport."""
        bus = self._buses.get(spec.key)
        if bus is None:
            bus = self._buses[spec.key] = _Bus(spec, self._client_factory(spec))
        elif bus.spec.transport != spec.transport:
            raise ValueError(f"bus {spec.describe()} is already used with transport "
                             f"{bus.spec.transport}, not {spec.transport}")
        return bus

    def plan(self, profile: CompiledModbusProfile, options: RequestOptions) -> list[Block]:
        """The blocks to read for a profile, computed once per (profile, options)."""
        return self._plan(profile, options).blocks

    def _plan(self, profile: CompiledModbusProfile, options: RequestOptions) -> _Plan:
        key = (id(profile), options)
        hit = self._plans.get(key)
        if hit is None or hit[0] is not profile:  # the profile object keeps its id unique
            fields = [(f, _span(f), None if f.scale_register is None else Span(
                f.scale_register.table, f.scale_register.address, f.scale_register.count))
                for f in profile.fields]
            hit = self._plans[key] = (profile, _Plan(plan(profile.fields, options), fields))
        return hit[1]

    async def poll(self, device: ModbusDevice, profile: CompiledModbusProfile) -> PollResult:
        """Poll once. Device faults come back inside the result, never as exceptions."""
        started = clock.now()
        t0 = time.monotonic()
        options = device.options(profile)
        try:
            bus = self.bus(device.bus)
        except ValueError as exc:
            return PollResult(device.name, profile.name, (), (PollError("config", str(exc)),),
                              started, 0.0, ok=False)
        work = self._plan(profile, options)
        got, failed, reachable = await self._read_all(bus, device, options, work.blocks)
        if options.close_after_poll:
            async with bus.lock:
                await bus.client.close()
        errors = _errors(device, work, failed) if failed else []
        if not reachable:
            return PollResult(device.name, profile.name, (), tuple(errors), started,
                              time.monotonic() - t0, ok=False)
        readings = _readings(device, work, got, errors, clock.now(), self.sources)
        # A unit that refused every request (exception answers only) counts as failed too.
        return PollResult(device.name, profile.name, tuple(readings), tuple(errors), started,
                          time.monotonic() - t0, ok=bool(got) or not work.blocks)

    async def _read_all(self, bus: _Bus, device: ModbusDevice, options: RequestOptions,
                        blocks: list[Block]
                        ) -> tuple[dict[Span, list[int]], dict[Span, ModbusDeviceError], bool]:
        """Read every block; split refused ones; stop early when the unit does not answer."""
        queue = list(blocks)  # a copy: refused blocks are split in place below
        if self._refused:
            queue = []
            for b in blocks:
                queue.extend(split(b) if (device.name, device.unit, b) in self._refused else [b])
        got: dict[Span, list[int]] = {}
        failed: dict[Span, ModbusDeviceError] = {}
        answered = False
        i = 0
        while i < len(queue):
            block = queue[i]
            i += 1
            try:
                values = await self._read(bus, device, block, options)
            except ModbusDeviceError as exc:
                if exc.reason == "illegal_address" and len(block.spans) > 1:
                    # The device refuses the merged read (undefined registers in a gap, or one
                    # bad field): remember that and read its fields one by one.
                    self._refused.add((device.name, device.unit, block))
                    queue[i:i] = split(block)
                    continue
                for s in block.spans:
                    failed[s] = exc
                if exc.reason in UNREACHABLE:
                    for rest in queue[i:]:
                        for s in rest.spans:
                            failed.setdefault(s, exc)
                    return got, failed, answered
                answered = True  # an exception answer is still an answer
                continue
            answered = True
            for s in block.spans:
                got[s] = values[s.address - block.address : s.end - block.address]
        return got, failed, True

    async def _read(self, bus: _Bus, device: ModbusDevice, block: Block,
                    options: RequestOptions) -> list[int]:
        """One block, with retries and backoff; the bus lock is held only during a request."""
        attempt = 0
        while True:
            try:
                async with bus.lock:
                    if options.pause:
                        wait = bus.last_end + options.pause - time.monotonic()
                        if wait > 0:
                            await asyncio.sleep(wait)
                    try:
                        self.requests += 1
                        values = await bus.client.read(block.table, block.address, block.count,
                                                       device.unit)
                    finally:
                        bus.last_end = time.monotonic()
                self.registers += block.count
                return values
            except ModbusDeviceError as exc:
                if not exc.retryable or attempt >= device.retries:
                    raise
                await asyncio.sleep(min(device.backoff * 2**attempt, device.backoff_max))
                attempt += 1

    async def close(self) -> None:
        """Close every bus connection."""
        for bus in self._buses.values():
            async with bus.lock:
                await bus.client.close()


def _span(f: ModbusField) -> Span:
    return Span(f.table, f.address, f.count)


def _errors(device: ModbusDevice, work: _Plan,
            failed: dict[Span, ModbusDeviceError]) -> list[PollError]:
    """One PollError per distinct failure, naming the device and the fields it cost."""
    by_exc: dict[int, tuple[ModbusDeviceError, list[str]]] = {}
    for f, span, scale_span in work.fields:
        exc = failed.get(span)
        if exc is None and scale_span is not None:
            exc = failed.get(scale_span)
        if exc is not None:
            names = by_exc.setdefault(id(exc), (exc, []))[1]
            names.append(f"{f.label or f.name}{_where(f)}")
    out = []
    for exc, names in by_exc.values():
        out.append(PollError(exc.reason, f"{device.name} ({exc.device}): {exc.message} "
                                         f"[{', '.join(names)}]"))
    return out


def _where(f: ModbusField) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(f.labels.items()))
    reg = f" register {f.register}" if f.register is not None else ""
    return f"{{{labels}}}{reg}" if labels else reg


def _readings(device: ModbusDevice, work: _Plan, got: dict[Span, list[int]],
              errors: list[PollError], ts: float, sources: bool = True) -> list[Reading]:
    """Decode every field whose registers arrived; sentinels and NaN give no reading."""
    extra: dict[str, str] = {}
    for f, span, _ in work.fields:
        if f.label is not None:
            regs = got.get(span)
            text = str(f.decode(regs)) if regs is not None else ""
            if text:
                extra[f.label] = text
    out: list[Reading] = []
    for f, span, scale_span in work.fields:
        regs = got.get(span)
        if regs is None or f.label is not None:
            continue
        raw = f.decode(regs)
        if isinstance(raw, str):  # pragma: no cover - STRING fields always carry a label
            continue
        if raw != raw or raw in f.sentinels:  # NaN, or "not available"
            continue
        factor = f.scale
        if scale_span is not None:
            assert f.scale_register is not None
            sregs = got.get(scale_span)
            if sregs is None:
                continue  # the failed read is reported already
            n = f.scale_register.decode(sregs)
            if isinstance(n, str) or not math.isfinite(n):
                errors.append(PollError("scale", f"{device.name}: {f.name}: scale register "
                                                 f"{scale_span.table} {scale_span.address} is "
                                                 "not a number"))
                continue
            factor *= 10.0**n if f.scale_register.mode == "exponent" else n
        value = raw * factor + f.offset
        if not math.isfinite(value):
            continue
        out.append(Reading(
            device=device.name, metric=f.name, value=float(value), unit=f.unit,
            labels={**f.labels, **extra} if extra else f.labels, ts=ts,
            source=Source("modbus", raw=raw, table=f.table, address=f.address,
                          registers=tuple(regs)) if sources else None,
            kind=f.kind, level=f.level, rack_power=f.rack_power,
            **(_counter(f, factor) if f.kind == "counter" else {}),
        ))
    return out


def _counter(f: ModbusField, factor: float) -> dict[str, Any]:
    """Counter semantics for the energy engine: where it wraps (2^width) or stops (cap).

    A float register does not wrap at 2^width (it loses precision instead), so a FLOAT counter
    gets a counter_max only from an explicit cap.
    """
    counter_max = None
    if f.cap is not None:
        counter_max = f.cap * factor
    elif f.width is not None and not f.type.startswith("FLOAT"):
        counter_max = 2.0**f.width * factor
    return {"counter_max": counter_max, "counter_capped": f.cap is not None,
            "resettable": f.resettable}
