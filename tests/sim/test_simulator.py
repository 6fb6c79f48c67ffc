"""The simulated site: scripted events, physics that agree, and ``dcmon simulate``."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dcmon.sim.physics import LoadCurve
from dcmon.sim.site import DYING_PDU, RESET_PDU, WRAPPING_PDU, SimulatedSite


def test_energy_is_the_integral_of_power() -> None:
    curve = LoadCurve(2000.0, amplitude=0.2)
    t0, t1 = 1_767_225_600.0, 1_767_225_600.0 + 7 * 3600
    steps = 20_000
    dt = (t1 - t0) / steps
    numeric = sum(curve.power(t0 + (i + 0.5) * dt) * dt for i in range(steps))
    assert curve.energy(t0, t1) == pytest.approx(numeric, rel=1e-9)


def test_scripted_events_happen_in_simulated_time() -> None:
    async def go() -> tuple[list[str], bool, int, int]:
        site = SimulatedSite(racks=4, speed=3600.0, events=True)  # 1 s = 1 simulated hour
        await site.start()
        try:
            wrap = site.devices[WRAPPING_PDU].meter
            # Where the counter starts, not a first reading: on a loaded machine the start
            # alone can take long enough (in simulated hours) for it to have wrapped already.
            start_counts = wrap.initial_counts
            await asyncio.sleep(1.0)  # reset at 20 min, outage 30-40 min (simulated)
            return (list(site.log), site.devices[DYING_PDU].agent.down, start_counts,
                    wrap.counts())
        finally:
            await site.stop()

    log, down, before, after = asyncio.run(go())
    assert log == [f"{RESET_PDU}: energy counter reset by a user",
                   f"{DYING_PDU}: stopped answering", f"{DYING_PDU}: answering again"]
    assert not down
    assert after < before  # the INTEGER counter passed its top and restarted


def test_dcmon_simulate_writes_a_valid_inventory(tmp_path: Path) -> None:
    inv = tmp_path / "sim.yaml"
    proc = subprocess.Popen([sys.executable, "-m", "dcmon", "simulate",
                             "--inventory-out", str(inv), "--no-events"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while not inv.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert inv.exists()
        chk = subprocess.run([sys.executable, "-m", "dcmon", "check-config", str(inv)],
                             capture_output=True, text=True, timeout=60)
        assert chk.returncode == 0, chk.stdout + chk.stderr
        import yaml

        doc = yaml.safe_load(inv.read_text())
        pdu = doc["sites"][0]["rooms"][0]["racks"][0]["devices"][0]
        poll = subprocess.run(
            [sys.executable, "-m", "dcmon", "poll", "127.0.0.1", "--port", str(pdu["port"]),
             "--community", "dcmon-sim", "--format", "json"],
            capture_output=True, text=True, timeout=60)
        assert poll.returncode == 0, poll.stderr
        out = json.loads(poll.stdout)
        assert out["profile"] == "apc_rpdu2"
        power = [r for r in out["readings"] if r["metric"] == "power" and r["rack_power"]]
        assert len(power) == 1 and 500 < power[0]["value"] < 5000
        # The whole city, and an InRow unit answering the cooling profile.
        assert [s["id"] for s in doc["sites"]] == ["muni-new", "muni-old", "edge-hospital",
                                                  "edge-school"]
        inrow = next(d for d in doc["sites"][0]["devices"] if d["profile"] == "apc_cooling")
        poll = subprocess.run(
            [sys.executable, "-m", "dcmon", "poll", "127.0.0.1", "--port", str(inrow["port"]),
             "--community", "dcmon-sim", "--format", "json"],
            capture_output=True, text=True, timeout=60)
        out = json.loads(poll.stdout)
        assert out["profile"] == "apc_cooling", out
        heat = {r["labels"].get("point"): r["value"] for r in out["readings"]
                if r["metric"] == "cooling_power" and r["level"] == "total"}
        # Half the new build's heat (IT ~28-33 kW plus 8 % losses) per unit, demand 3 % above.
        assert 13_000 < heat["output"] < 19_000 and heat["demand"] > heat["output"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
