"""Modbus profiles: config errors name file and key; every built-in profile decodes a real server.

Error cases are folders ``tests/cases/modbus/<name>/{profile.yaml, expected.txt}``; expected.txt
holds the exact problem lines, with ``{file}`` for the profile's path.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import dcmon.app.cli
import dcmon.app.cli.devices
from dcmon.collectors.modbus.client import BusSpec
from dcmon.collectors.modbus.codec import REGISTERS
from dcmon.collectors.modbus.collector import ModbusCollector, ModbusDevice
from dcmon.collectors.modbus.model import BIT_TABLES, CompiledModbusProfile, ModbusField
from dcmon.collectors.modbus.profile import compile_modbus_profile
from dcmon.collectors.registry import BUILTIN_DIR, ProfileRegistry, load_profile_file
from dcmon.collectors.snmp.detect import match_sys_object_id
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.errors import ConfigError
from dcmon.model import PollResult
from tests.support.modbus_server import (
    FakeGateway,
    FakeUnit,
    aio,
    builtin_modbus_profiles,
    encode,
    text_registers,
)
from tests.support.paths import CASES, ROOT

CASES = CASES / "modbus"
METERS = ("schneider_iem3000", "schneider_pm5000", "eastron_sdm630", "chint_dtsu666",
          "acrel_adw300")




def _get(name: str) -> CompiledModbusProfile:
    (p,) = [p for p in builtin_modbus_profiles() if p.name == name]
    return p


# ------------------------------------------------------------------------------ config errors


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()
                                        if (p / "expected.txt").exists()))
def test_config_error_case(case: str) -> None:
    path = CASES / case / "profile.yaml"
    expected = (CASES / case / "expected.txt").read_text().replace("{file}", str(path))
    with pytest.raises(ConfigError) as err:
        load_profile_file(path)
    assert [str(p) for p in err.value.problems] == expected.splitlines()


# --------------------------------------------------------------------------- built-in profiles


def test_builtin_profiles_share_the_registry_with_snmp() -> None:
    names = {p.name for p in builtin_modbus_profiles()}
    assert {*METERS, "generic_chiller_template"} <= names
    snmp = load_profile_file(BUILTIN_DIR / "apc_rpdu2.yaml")
    assert isinstance(snmp, CompiledProfile)
    reg = ProfileRegistry([snmp, *builtin_modbus_profiles()])  # type: ignore[list-item]
    # SNMP auto-detection iterates every profile: Modbus ones never match or probe.
    for p in builtin_modbus_profiles():
        assert p.protocol == "modbus" and p.sys_object_ids == () and p.probe_oids == ()
    hits = match_sys_object_id(reg.all(), "1.3.6.1.4.1.318.1.3.4.6")
    assert [p.name for p, _ in hits] == ["apc_rpdu2"]  # APC rPDU2 still found, nothing else


def test_profiles_list_shows_modbus_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    snmp = load_profile_file(BUILTIN_DIR / "apc_rpdu2.yaml")
    monkeypatch.setattr(dcmon.app.cli.devices, "registry_or_exit",
                        lambda dirs=(): ProfileRegistry(
                            [snmp, *builtin_modbus_profiles()]))  # type: ignore[list-item]
    res = CliRunner().invoke(dcmon.app.cli.main, ["profiles", "list", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["profile"]: r for r in json.loads(res.stdout)}
    assert rows["eastron_sdm630"]["protocol"] == "modbus"
    assert rows["eastron_sdm630"]["metrics"] == 17
    assert rows["apc_rpdu2"]["protocol"] == "snmp"
    table = CliRunner().invoke(dcmon.app.cli.main, ["profiles", "list"])
    assert any(line.split()[:3] == ["eastron_sdm630", "modbus", "17"]
               for line in table.stdout.splitlines())


@pytest.mark.parametrize("name", METERS)
def test_meter_profiles_cover_the_basics(name: str) -> None:
    """Power, import energy (a declared counter), per-phase current and voltage, frequency."""
    p = _get(name)
    assert p.manual and "TEMPLATE" not in p.manual
    have = {(f.name, f.labels.get("phase", ""), f.level) for f in p.fields}
    assert ("power", "", "total") in have
    for phase in ("L1", "L2", "L3"):
        assert ("current", phase, "phase") in have
        assert ("voltage", phase, "phase") in have
    (energy,) = [f for f in p.fields if f.name == "energy"]
    assert energy.kind == "counter" and energy.unit == "J"
    assert energy.labels == {"direction": "import"}
    assert energy.width in (32, 64)
    if name != "acrel_adw300":  # no verified frequency register for the ADW300
        assert any(f.name == "frequency" for f in p.fields)


def test_manual_register_numbers_are_one_based() -> None:
    """iEM3000: the manual's register 3060 (Total Active Power) is wire address 3059."""
    p = _get("schneider_iem3000")
    (power,) = [f for f in p.fields if f.name == "power" and f.level == "total"]
    assert (power.register, power.address, power.count) == (3060, 3059, 2)


def _raw(f: ModbusField, i: int) -> Any:
    """A raw value for field number i that is no sentinel of it."""
    if f.table in BIT_TABLES:
        return 1
    return {"FLOAT32": 100.25 + i, "FLOAT64": 100.125 + i, "INT16": -(i + 3),
            "UINT16": 1000 + i, "INT32": -(100_000 + i), "UINT32": 3_000_000 + i,
            "INT64": 1_234_567_890 + i, "UINT64": 9_876_543_210 + i,
            "BITS": 1, "STRING": "TESTMODEL"}[f.type]


def _serve(profile: CompiledModbusProfile, fill_gaps: bool) -> tuple[FakeUnit, dict[str, Any]]:
    """A unit holding a value for every field, and what each reading must then say."""
    unit = FakeUnit(fill_gaps=fill_gaps)
    expected: dict[str, Any] = {}
    for i, f in enumerate(profile.fields):
        raw = _raw(f, i)
        if f.type == "STRING":
            unit.put(f.table, f.address, text_registers(raw, f.count))
            expected[f"label:{f.label}"] = raw
            continue
        if f.table in BIT_TABLES:
            unit.put(f.table, f.address, [raw])
        elif f.type == "BITS":
            unit.put(f.table, f.address, encode("UINT16", raw << f.bit, f.byte_order))
        else:
            unit.put(f.table, f.address, encode(f.type, raw, f.byte_order))
        factor = 1.0
        if f.scale_register is not None:
            s = f.scale_register
            unit.put(s.table, s.address, [2] + [0] * (s.count - 1))  # 10^2 (or × 2)
            factor = 100.0 if s.mode == "exponent" else 2.0
        key = f"{f.name}{sorted(f.labels.items())}"
        expected[key] = (raw * f.scale * factor + f.offset, f.table, f.address, f.count)
    return unit, expected


async def _poll_all(fill_gaps: bool) -> list[tuple[CompiledModbusProfile, PollResult,
                                                   dict[str, Any]]]:
    profiles = builtin_modbus_profiles()
    units: dict[int, FakeUnit] = {}
    expected = {}
    for n, p in enumerate(profiles, start=1):
        units[n], expected[n] = _serve(p, fill_gaps)
    gw = FakeGateway(units)
    port = await gw.start()
    collector = ModbusCollector()
    try:
        out: list[tuple[CompiledModbusProfile, PollResult, dict[str, Any]]] = []
        for n, p in enumerate(profiles, start=1):
            device = ModbusDevice(p.name, BusSpec("127.0.0.1", port, timeout=0.5), unit=n,
                                  pause=0.0)
            out.append((p, await collector.poll(device, p), expected[n]))
        return out
    finally:
        await collector.close()
        await gw.stop()


@pytest.mark.parametrize("fill_gaps", [True, False], ids=["gaps-readable", "gaps-refused"])
@aio
async def test_every_profile_decodes_a_served_unit(fill_gaps: bool) -> None:
    for profile, result, expected in await _poll_all(fill_gaps):
        assert result.ok and not result.errors, (profile.name, result.errors)
        got = {f"{r.metric}{sorted((k, v) for k, v in r.labels.items() if k != 'model')}": r
               for r in result.readings}
        numeric = {k: v for k, v in expected.items() if not k.startswith("label:")}
        assert set(got) == set(numeric), profile.name
        for key, (value, table, address, count) in numeric.items():
            r = got[key]
            assert r.value == pytest.approx(value, rel=1e-9), (profile.name, key)
            assert r.source.as_dict()["protocol"] == "modbus"
            assert (r.source.table, r.source.address) == (table, address)
            assert len(r.source.registers or ()) == count
        for f in profile.fields:
            if f.kind == "counter":  # the energy engine's wrap point: none for a float
                r = got[f"{f.name}{sorted(f.labels.items())}"]
                assert r.resettable == f.resettable and f.width is not None
                assert r.counter_max == (None if f.type.startswith("FLOAT")
                                         else 2.0**f.width * f.scale)
        for key, text in expected.items():
            if key.startswith("label:"):
                assert all(r.labels[key[6:]] == text for r in result.readings)


def test_register_sizes_match_the_types() -> None:
    for p in builtin_modbus_profiles():
        for f in p.fields:
            if f.type in REGISTERS:
                assert f.count == REGISTERS[f.type], (p.name, f.key)


def test_readme_configuration_example_compiles() -> None:
    """The profile in collectors/modbus/README.md is valid and means what its comments say."""
    readme = (ROOT / "collectors" / "modbus" / "README.md").read_text()
    block = readme.split("```yaml\n", 1)[1].split("```", 1)[0]
    p = compile_modbus_profile(yaml.safe_load(block), "README.md")
    by_name = {f.name: f for f in p.fields}
    assert (by_name["power"].register, by_name["power"].address) == (3060, 3059)
    assert by_name["energy"].byte_order == "CDAB" and by_name["energy"].count == 4
    assert by_name["current"].sentinels == frozenset({-32768})
    assert p.requests.max_gap == 4
