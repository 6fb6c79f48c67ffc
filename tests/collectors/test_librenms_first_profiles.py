"""The five first profiles read the recorded real devices exactly as LibreNMS reads them.

snmpsim serves ``../shared/devices/librenms/snmpsim``; dcmon polls each recording with its
profile (and once with ``profile: auto``); every power, current, voltage, energy, frequency and
temperature sensor LibreNMS expects must be read at the same instance OID with the same value,
compared in LibreNMS's unit (energy kWh, runtime minutes).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.api import SnmpTarget
from dcmon.collectors.snmp.client import PysnmpClient
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.detect import detect
from dcmon.model import PollResult
from tests.support import librenms
from tests.support.snmpsim import SnmpSim

FIRST = {
    "apc_ap8959eu3": "apc_rpdu2",
    "apc_smt750x-nmc2": "apc_ups",
    "raritan-pdu_px2": "raritan_pdu2",
    "sentry4": "sentry4",
    "generex-ups_cs141": "ups_mib",
}
CLASSES = {"power", "current", "voltage", "power_consumed", "frequency", "temperature",
           "load", "charge", "runtime"}
#: LibreNMS unit -> dcmon Reading unit conversion (value_dcmon / factor = value_librenms).
TO_LIBRENMS = {"J": 3.6e6, "s": 60.0}


def _poll(sim: SnmpSim, recording: str, profile: str) -> PollResult:
    reg = ProfileRegistry.load()
    prof = reg.get(profile)
    assert prof is not None

    async def go() -> PollResult:
        client = PysnmpClient()
        try:
            target = SnmpTarget(sim.host, sim.port, "2c", recording, timeout=3, retries=1)
            return await SnmpCollector(client).poll(recording, target, prof)
        finally:
            await client.close()

    return asyncio.run(go())


@pytest.mark.parametrize("recording", sorted(FIRST))
def test_profile_reads_librenms_values(snmpsim_librenms: SnmpSim, recording: str) -> None:
    result = _poll(snmpsim_librenms, recording, FIRST[recording])
    assert result.ok, result.errors
    by_oid = {r.source.oid: r for r in result.readings}
    expected = [e for e in librenms.expected_sensors(recording) if e.sensor_class in CLASSES]
    assert expected, "no expectations loaded"
    wrong, missed = [], []
    for e in expected:
        r = by_oid.get(e.oid)
        if r is None:
            missed.append(f"{e.sensor_class} {e.oid} {e.descr!r} = {e.value}")
            continue
        got = r.value / TO_LIBRENMS.get(r.unit, 1.0)
        if r.unit == "%" and e.sensor_class not in ("load", "charge"):
            got = r.value
        if abs(got - e.value) > 1e-6 * max(1.0, abs(e.value)):
            wrong.append(f"{e.sensor_class} {e.oid} {e.descr!r}: dcmon {got} {r.unit}, "
                         f"LibreNMS {e.value}")
    assert not wrong, "\n".join(wrong)
    assert not missed, "\n".join(missed)


@pytest.mark.parametrize("recording", sorted(FIRST))
def test_auto_detection_picks_the_profile(snmpsim_librenms: SnmpSim, recording: str) -> None:
    reg = ProfileRegistry.load()

    async def go() -> str | None:
        client = PysnmpClient()
        try:
            target = SnmpTarget(snmpsim_librenms.host, snmpsim_librenms.port, "2c", recording,
                                timeout=3, retries=1)
            found = await detect(client, target, reg.all())
            return found.profile.name if found.profile else None
        finally:
            await client.close()

    assert asyncio.run(go()) == FIRST[recording]


def test_poll_json_contract(snmpsim_librenms: SnmpSim) -> None:
    """``dcmon poll --format json`` output: the documented keys, full instance OIDs, units."""
    proc = subprocess.run(
        [sys.executable, "-m", "dcmon", "poll", "127.0.0.1", "--port",
         str(snmpsim_librenms.port), "--community", "apc_ap8959eu3", "--profile", "auto",
         "--format", "json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["device"] == "127.0.0.1" and doc["profile"] == "apc_rpdu2"
    assert isinstance(doc["errors"], list)
    power = [r for r in doc["readings"] if r["metric"] == "power" and r["rack_power"]]
    assert len(power) == 1
    assert power[0]["value"] == 270.0 and power[0]["unit"] == "W"
    assert power[0]["source"] == {"protocol": "snmp", "oid": "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1",
                                  "raw": 27}
    energy = next(r for r in doc["readings"] if r["metric"] == "energy")
    assert energy["unit"] == "J" and energy["value"] == pytest.approx(1967.7 * 3.6e6)
    assert energy["kind"] == "counter"
    units = {r["unit"] for r in doc["readings"]}
    assert units <= {"W", "VA", "J", "A", "V", "Hz", "Cel", "%", "s", "ratio"}
