"""SNMP credentials are read by the poll that uses them, not when the inventory is loaded: an
inventory whose community sits in an unset variable loads (for the offline commands), a poll
of it fails as a poll with the key named, and once the variable is set the agent answers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.device import SnmpDevices
from dcmon.model import PollResult
from tests.support.snmpsim import SnmpSim

RECORDING = "apc_ap8959eu3"  # the v2c community selects the recording
VAR = "DCMON_TEST_COMMUNITY_AT_POLL"


def _poll(sim: SnmpSim, reg: ProfileRegistry) -> PollResult:
    cfg = parse_config({
        "credentials": {"ro": {"version": "2c", "community": {"env": VAR}}},
        "sites": [{"id": "s", "devices": [{"id": "pdu", "host": sim.host, "port": sim.port,
                                           "credential": "ro", "profile": "apc_rpdu2"}]}],
    }, "site.yaml", reg, Path("."))
    devices = SnmpDevices(cfg, reg.snmp())
    profile = reg.get("apc_rpdu2")

    async def go() -> PollResult:
        try:
            return await devices.poll(cfg.devices[0], profile)
        finally:
            await devices.close()

    return asyncio.run(go())


def test_community_is_read_by_the_poll(snmpsim_librenms: SnmpSim,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    reg = ProfileRegistry.load()
    monkeypatch.delenv(VAR, raising=False)
    res = _poll(snmpsim_librenms, reg)
    assert not res.ok and [e.reason for e in res.errors] == ["credential"]
    assert res.errors[0].message == (f"site.yaml: credentials.ro.community: environment "
                                     f"variable {VAR} is not set")
    monkeypatch.setenv(VAR, RECORDING)
    res = _poll(snmpsim_librenms, reg)
    assert res.ok, res.errors
    power = [r.value for r in res.readings if r.metric == "power" and r.level == "device"]
    assert power == [270.0]  # rPDU2DeviceStatusPower 27 in hundredths of kW
    assert RECORDING not in repr(res)
