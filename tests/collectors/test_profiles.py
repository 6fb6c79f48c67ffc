"""Profile rules that hold for every built-in profile, and the profile compiler's errors."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.collectors.registry import ProfileRegistry, compile_profile
from dcmon.collectors.snmp.api import SnmpTarget
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.lean import LeanSnmpClient
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.errors import ConfigError
from dcmon.model import COUNTER_UNITS
from dcmon.sim.agent import OidStore, SnmpAgent

REG = ProfileRegistry.load()
SNMP = [p for p in REG.all() if isinstance(p, CompiledProfile) and p.protocol == "snmp"]


@pytest.mark.parametrize("profile", SNMP, ids=lambda p: p.name)
def test_profile_semantics(profile: CompiledProfile) -> None:
    """MIB cited; counters declare width or cap; one rack-power level; outlets marked."""
    assert profile.mib, "a profile cites its MIB (name and revision)"
    assert profile.sys_object_ids or profile.probe_oids, "a profile can be detected"
    for m in profile.metrics:
        if m.kind == "counter":
            assert m.width or m.cap, f"{m.key}: counter without width or cap"
            assert m.unit in COUNTER_UNITS, f"{m.key}: counter in {m.unit}"
        if "outlet" in m.labels or any(p.label == "outlet" for p in m.index or ()):
            assert m.level == "outlet", f"{m.key}: per-outlet metric must be level outlet"
    assert len({m.level for m in profile.metrics if m.rack_power}) <= 1


def test_profile_errors_name_file_and_key() -> None:
    doc = {"profile": "bad", "mib": "X", "metrics": [
        {"name": "power", "oid": "1.3.6.1.4.1.1.1", "unit": "kW"},
        {"name": "energy", "oid": "1.3.6.1.4.1.1.2", "unit": "J", "kind": "counter"},
        {"name": "power", "oid": "1.3.6.1.4.1.1.3", "unit": "W", "index": [{"label": "a"}],
         "rack_power": True, "level": "total"},
        {"name": "power", "oid": "1.3.6.1.4.1.1.4", "unit": "W", "index": [{"label": "a"}],
         "rack_power": True, "level": "phase"},
        {"name": "current", "oid": "not.an.oid", "unit": "A", "colour": "red"},
    ]}
    with pytest.raises(ConfigError) as err:
        compile_profile(doc, "bad.yaml")
    lines = [str(p) for p in err.value.problems]
    assert "bad.yaml: metrics.0.unit: unknown unit 'kW' (known: %, A, Cel, Hz, J, V, VA, VAh, W, " \
           "m3, ratio, s, var, varh)" in lines
    assert "bad.yaml: metrics.1.width: a counter must declare its width (32 or 64) or its " \
           "cap" in lines
    assert any(line.startswith("bad.yaml: metrics.3: rack_power is marked on levels") for line
               in lines)
    assert "bad.yaml: metrics.4.colour: unknown key" in lines
    assert any(line.startswith("bad.yaml: metrics.4.oid: ") and "not a numeric OID" in line
               for line in lines)


def test_outlets_are_opt_in() -> None:
    prof = REG.get("apc_rpdu2")
    assert isinstance(prof, CompiledProfile)
    base = "1.3.6.1.4.1.318.1.1.26"
    store = OidStore({
        "1.3.6.1.2.1.1.2.0": ("ObjectIdentifier", "1.3.6.1.4.1.318.1.3.4.6"),
        f"{base}.4.3.1.2.1": ("Integer32", 1), f"{base}.4.3.1.5.1": ("Integer32", 120),
        f"{base}.9.4.3.1.1.1": ("Integer32", 1), f"{base}.9.4.3.1.1.2": ("Integer32", 2),
        f"{base}.9.4.3.1.7.1": ("Integer32", 3), f"{base}.9.4.3.1.7.2": ("Integer32", 4),
    })

    async def go(outlets: bool) -> set[str]:
        agent = SnmpAgent({"c": store})
        port = await agent.start(0)
        client = LeanSnmpClient()
        try:
            res = await SnmpCollector(client).poll("d", SnmpTarget("127.0.0.1", port, "2c", "c"),
                                                   prof, include_outlets=outlets)
        finally:
            await client.close()
            await agent.stop()
        return {r.level for r in res.readings}

    assert "outlet" not in asyncio.run(go(False))
    assert "outlet" in asyncio.run(go(True))


def test_profiles_detect_cli() -> None:
    store = OidStore({"1.3.6.1.2.1.1.2.0": ("ObjectIdentifier", "1.3.6.1.4.1.99999.7"),
                      "1.3.6.1.2.1.1.1.0": ("OctetString", b"Mystery box")})

    async def serve() -> tuple[SnmpAgent, int]:
        agent = SnmpAgent({"c": store})
        return agent, await agent.start(0)

    loop = asyncio.new_event_loop()
    _agent, port = loop.run_until_complete(serve())
    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    try:
        res = CliRunner().invoke(main, ["profiles", "detect", "127.0.0.1", "--port", str(port),
                                        "--community", "c", "--client", "lean",
                                        "--timeout", "0.5"])
    finally:
        loop.call_soon_threadsafe(loop.stop)
        t.join(5)
    assert res.exit_code == 1
    assert "1.3.6.1.4.1.99999.7" in res.output and "Mystery box" in res.output
    assert "no profile for sysObjectID 1.3.6.1.4.1.99999.7 (enterprise 99999: unknown vendor)" \
        in res.output


def test_a_broken_profile_file_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("profile: broken\nmetrics:\n  - {name: power, oid: 1.2.3.4, unit: W\n")
    with pytest.raises(ConfigError) as err:
        ProfileRegistry.load([tmp_path])
    assert str(err.value).startswith(f"{bad}: YAML syntax error at line")
