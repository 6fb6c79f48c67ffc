"""Each protocol's poller of inventory devices, by protocol name.

The app's :class:`~dcmon.app.poller.Poller` owns scheduling, the concurrency cap and backoff;
it hands every device to the poller of its protocol here, so adding a protocol touches its own
folder and one line in :data:`POLLERS`, and nothing above ``collectors/`` names a protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from dcmon.collectors.modbus.device import ModbusDevices
from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.detect import Detection
from dcmon.collectors.snmp.device import SnmpDevices
from dcmon.config.resolved import Config, DeviceSpec
from dcmon.model import PollResult


class DevicePoller(Protocol):
    """Polls the devices of one protocol: ``profile`` None means detect it."""

    async def poll(self, dev: DeviceSpec, profile: object | None) -> PollResult: ...

    async def detect(self, dev: DeviceSpec) -> Detection | str:
        """Which profile the device gets and why, or why this protocol cannot tell."""
        ...

    async def close(self) -> None: ...


def _snmp(config: Config, registry: ProfileRegistry, sources: bool) -> SnmpDevices:
    return SnmpDevices(config, registry.snmp(), sources=sources)


def _modbus(config: Config, registry: ProfileRegistry, sources: bool) -> ModbusDevices:
    return ModbusDevices(config, sources=sources)


#: Protocol name -> poller factory (inventory, profiles, ``sources``: give every Reading its
#: :class:`~dcmon.model.Source`, as ``dcmon poll`` prints them; ``dcmon run`` keeps none).
POLLERS: dict[str, Callable[[Config, ProfileRegistry, bool], DevicePoller]] = {
    "snmp": _snmp,
    "modbus": _modbus,
}
