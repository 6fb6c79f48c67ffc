"""``dcmon poll --protocol modbus``: the same JSON contract as SNMP, against a real server.

One test runs the real command in a subprocess (the contract); the others call the click command
in-process with a registry of the built-in Modbus profiles only, which keeps them fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

import dcmon.app.cli
import dcmon.app.cli.devices
from dcmon.collectors.registry import ProfileRegistry
from tests.support.modbus_server import FakeUnit, builtin_modbus_profiles, encode, gateway_in_thread

#: Eastron SDM630 input registers (FLOAT32 ABCD) -> value.
SDM630 = {0x00: 230.1, 0x02: 231.2, 0x04: 229.9, 0x06: 10.0, 0x08: 11.0, 0x0A: 12.0,
          0x0C: 2300.0, 0x0E: 2500.0, 0x10: 2600.0, 0x1E: 0.98, 0x20: 0.97, 0x22: 0.99,
          0x34: 7400.0, 0x38: 7600.0, 0x3E: 0.98, 0x46: 50.01, 0x48: 12345.6}


def sdm630() -> FakeUnit:
    unit = FakeUnit()
    for address, value in SDM630.items():
        unit.put("input", address, encode("FLOAT32", value))
    return unit


@pytest.fixture
def fast_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's registry: the built-in Modbus profiles only."""
    monkeypatch.setattr(dcmon.app.cli.devices, "registry_or_exit",
                        lambda dirs=(): ProfileRegistry(builtin_modbus_profiles()))  # type: ignore[arg-type]


def run(*args: str) -> Any:
    return CliRunner().invoke(dcmon.app.cli.main, ["poll", *args])


def test_poll_json_contract() -> None:
    with gateway_in_thread({3: sdm630()}) as gw:
        proc = subprocess.run(
            [sys.executable, "-m", "dcmon", "poll", "127.0.0.1", "--protocol", "modbus",
             "--port", str(gw.port), "--unit", "3", "--profile", "eastron_sdm630",
             "--format", "json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["device"] == "127.0.0.1" and doc["profile"] == "eastron_sdm630"
    assert doc["errors"] == []
    assert len(doc["readings"]) == 17
    (power,) = [r for r in doc["readings"] if r["metric"] == "power" and r["level"] == "total"]
    assert power == {
        "metric": "power", "value": 7400.0, "unit": "W", "labels": {}, "kind": "gauge",
        "level": "total", "rack_power": False,
        "source": {"protocol": "modbus", "table": "input", "address": 52,
                   "registers": encode("FLOAT32", 7400.0), "raw": 7400.0}}
    (energy,) = [r for r in doc["readings"] if r["metric"] == "energy"]
    assert set(energy) == set(power)  # the SNMP JSON keys, no more, no fewer
    assert energy["kind"] == "counter" and energy["unit"] == "J"
    assert energy["value"] == pytest.approx(12345.6 * 3.6e6)
    volts = {r["labels"]["phase"]: r["value"] for r in doc["readings"]
             if r["metric"] == "voltage"}
    assert volts == {"L1": 230.1, "L2": 231.2, "L3": 229.9}


@pytest.mark.usefixtures("fast_registry")
def test_rtu_over_tcp_gateway_and_table_output() -> None:
    with gateway_in_thread({7: sdm630()}, framer="rtu") as gw:
        res = run("127.0.0.1", "--protocol", "modbus", "--transport", "rtu-over-tcp",
                  "--port", str(gw.port), "--unit", "7", "--profile", "eastron_sdm630")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("device 127.0.0.1  profile eastron_sdm630  17 readings in ")
    assert lines[1].split() == ["METRIC", "VALUE", "UNIT", "LABELS", "TABLE", "ADDRESS", "RAW"]
    assert any(line.split()[:6] == ["frequency", "50.01", "Hz", "input", "70", "50.01"]
               for line in lines)


@pytest.mark.usefixtures("fast_registry")
def test_dead_unit_reports_timeout_as_data() -> None:
    with gateway_in_thread({3: sdm630(), 4: FakeUnit(dead=True)}) as gw:
        res = run("127.0.0.1", "--protocol", "modbus", "--port", str(gw.port), "--unit", "4",
                  "--profile", "eastron_sdm630", "--timeout", "0.2", "--retries", "0",
                  "--format", "json", "--device-id", "meter-4")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["device"] == "meter-4" and doc["readings"] == []
    (err,) = doc["errors"]
    assert err["reason"] == "timeout"
    assert err["message"].startswith(f"meter-4 (127.0.0.1:{gw.port} unit 4): no answer within "
                                     "0.2 s at input 0")


@pytest.mark.usefixtures("fast_registry")
def test_modbus_port_defaults_to_502() -> None:
    """Without --port the SNMP default (161) must not leak into Modbus: it is 502."""
    res = run("127.0.0.1", "--protocol", "modbus", "--profile", "chint_dtsu666",
              "--timeout", "0.2", "--retries", "0", "--format", "json")
    assert res.exit_code == 1
    (err,) = json.loads(res.stdout)["errors"]
    assert err["reason"] in ("connection", "timeout")
    assert "127.0.0.1:502" in err["message"]


@pytest.mark.usefixtures("fast_registry")
@pytest.mark.parametrize(("args", "message"), [
    (["--protocol", "modbus"], "modbus devices cannot be detected: name their profile"),
    (["--protocol", "modbus", "--profile", "nope"], "unknown profile 'nope'"),
    (["--profile", "eastron_sdm630"],
     "profile 'eastron_sdm630' is a modbus profile; set protocol: modbus"),
])
def test_usage_errors(args: list[str], message: str) -> None:
    res = run("127.0.0.1", *args, "--format", "json")
    assert res.exit_code == 1
    (err,) = json.loads(res.stdout)["errors"]
    assert err["reason"] == "usage" and err["message"].startswith(message)
