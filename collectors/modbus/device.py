"""The Modbus devices of an inventory: each device's bus and unit, polled with its profile."""

from __future__ import annotations

from collections.abc import Sequence

from dcmon.collectors.modbus.client import BusSpec
from dcmon.collectors.modbus.collector import ModbusCollector, ModbusDevice
from dcmon.collectors.modbus.model import CompiledModbusProfile
from dcmon.config.resolved import Config, DeviceSpec
from dcmon.model import PollError, PollResult


def modbus_device(d: DeviceSpec) -> ModbusDevice:
    """The Modbus collector's view of an inventory device."""
    opts = dict(d.modbus or {})
    bus = BusSpec(host=d.host, port=d.port, transport=opts.pop("transport", "tcp"),
                  timeout=d.timeout)
    return ModbusDevice(name=d.id, bus=bus, unit=opts.pop("unit", 1), retries=d.retries, **opts)


class ModbusDevices:
    """Polls the Modbus devices of one inventory (one connection per gateway, shared)."""

    def __init__(self, config: Config, candidates: Sequence[object] = (), *,
                 sources: bool = True) -> None:
        self.config = config
        self.collector = ModbusCollector(sources=sources)

    async def poll(self, dev: DeviceSpec, profile: object | None) -> PollResult:
        """Poll one device; Modbus has no detection, so the inventory names the profile."""
        if not isinstance(profile, CompiledModbusProfile):
            return PollResult(dev.id, dev.profile, (), (PollError(
                "no_profile", f"{dev.profile!r} is not a Modbus profile"),), 0.0, 0.0, ok=False)
        return await self.collector.poll(modbus_device(dev), profile)

    async def detect(self, dev: DeviceSpec) -> str:
        """Modbus has no way to ask a device who it is: the inventory names the profile."""
        return f"{dev.protocol} devices cannot be detected: name their profile"

    async def close(self) -> None:
        await self.collector.close()
