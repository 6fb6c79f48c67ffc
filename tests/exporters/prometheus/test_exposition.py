"""The /metrics exposition: names, units, counters, and ``promtool check metrics`` clean."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.exporters.prometheus.collector import SnapshotCollector, family_name
from dcmon.model import PollError, PollResult, Reading, Source


def _reading(metric: str, value: float, unit: str, kind: str = "gauge",
             **labels: str) -> Reading:
    return Reading("pdu1", metric, value, unit, labels, 1.0,
                   Source("snmp", "1.3.6.1.4.1.318.1.1.26.4.3.1.5.1", 27), kind,  # type: ignore[arg-type]
                   level="total", rack_power=metric == "power")


def _snapshot() -> Snapshot:
    snap = Snapshot([DeviceInfo("pdu1", "dc1", "hall1", "r01", "apc_rpdu2"),
                     DeviceInfo("ups1", "dc1", "", "", "ups_mib")])
    snap.record(PollResult("pdu1", "apc_rpdu2", (
        _reading("power", 270.0, "W", pdu="1"),
        _reading("energy", 7.08372e9, "J", "counter", pdu="1"),
        _reading("load", 42.0, "%", pdu="1"),
        _reading("temperature", 23.5, "Cel", sensor="1"),
        _reading("reactive_power", -917.0, "var", pdu="1"),
        _reading("apparent_energy", 1042600.0, "VAh", "counter", pdu="1"),
        _reading("reactive_energy", -4344800.0, "varh", pdu="1"),
    ), (), 100.0, 0.25))
    snap.record(PollResult("ups1", "ups_mib", (), (PollError("timeout", "no reply"),),
                           100.0, 2.0, ok=False))
    return snap


def test_names_units_and_values() -> None:
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(_snapshot()))
    labels = {"site": "dc1", "room": "hall1", "rack": "r01", "device": "pdu1", "pdu": "1",
              "level": "total"}
    assert reg.get_sample_value("dcmon_power_watts", {**labels, "rack_power": "true"}) == 270.0
    assert reg.get_sample_value("dcmon_energy_joules_total", labels) == 7.08372e9
    assert reg.get_sample_value("dcmon_load_ratio", labels) == pytest.approx(0.42)
    temp = {k: v for k, v in labels.items() if k != "pdu"} | {"sensor": "1"}
    assert reg.get_sample_value("dcmon_temperature_celsius", temp) == 23.5
    up = {"site": "dc1", "room": "", "rack": "", "device": "ups1", "profile": "ups_mib"}
    assert reg.get_sample_value("dcmon_device_up", up) == 0.0
    assert reg.get_sample_value("dcmon_device_poll_errors_total", {**up, "reason": "timeout"}) == 1
    pdu = {**up, "room": "hall1", "rack": "r01", "device": "pdu1", "profile": "apc_rpdu2"}
    assert reg.get_sample_value("dcmon_device_up", pdu) == 1.0
    assert reg.get_sample_value("dcmon_device_poll_duration_seconds", pdu) == 0.25
    # apparent and reactive quantities: families of their own; energy in base units (x 3600)
    assert reg.get_sample_value("dcmon_reactive_power_vars", labels) == -917.0
    assert reg.get_sample_value("dcmon_apparent_energy_voltampere_seconds_total",
                                labels) == 1042600.0 * 3600
    assert reg.get_sample_value("dcmon_reactive_energy_var_seconds", labels) == -4344800.0 * 3600
    assert family_name("energy", "J") == "dcmon_energy_joules"
    assert family_name("runtime_seconds", "s") == "dcmon_runtime_seconds"


def test_dead_device_readings_are_not_exported_as_live() -> None:
    snap = _snapshot()
    snap.record(PollResult("pdu1", "apc_rpdu2", (), (PollError("timeout", "x"),), 200.0, 2.0,
                           ok=False))
    text = generate_latest(_registry(snap)).decode()
    assert "dcmon_power_watts{" not in text
    assert 'dcmon_device_up{device="pdu1"' in text


def _registry(snap: Snapshot) -> CollectorRegistry:
    reg = CollectorRegistry()
    reg.register(SnapshotCollector(snap))
    return reg


def test_promtool_check_metrics() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI"):
            pytest.fail("promtool missing in CI: scripts/install-test-deps.sh installs it")
        pytest.skip("promtool not installed: run scripts/install-test-deps.sh")
    text = generate_latest(_registry(_snapshot()))
    proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                          timeout=30)
    assert proc.returncode == 0 and proc.stdout + proc.stderr == b"", proc.stdout + proc.stderr
