"""``dcmon profiles detect`` shows every candidate, what it read, and why the winner won.

The agent (dcmon's own, on 127.0.0.1) is a CyberPower card announcing Net-SNMP's generic
sysObjectID that also publishes ENTITY-SENSOR-MIB sensors (objects from the device cases).
"""

from __future__ import annotations

import asyncio
import threading

from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.collectors.snmp.ber import Value
from dcmon.sim.agent import OidStore, SnmpAgent
from tests.support.device_cases import case_values


def _detect_output(store: OidStore) -> tuple[int, str]:
    loop = asyncio.new_event_loop()
    agent = SnmpAgent({"c": store})
    port = loop.run_until_complete(agent.start(0))
    t = threading.Thread(target=loop.run_forever, daemon=True)
    t.start()
    try:
        res = CliRunner().invoke(main, ["profiles", "detect", "127.0.0.1", "--port", str(port),
                                        "--community", "c", "--timeout", "1"])
    finally:
        loop.call_soon_threadsafe(loop.stop)
        t.join(5)
        loop.run_until_complete(agent.stop())
        loop.close()
    return res.exit_code, res.output


def test_detect_lists_the_candidates_and_the_winner() -> None:
    values = case_values("entity_sensor")
    values.update(case_values("cyberpower_ups"))
    code, out = _detect_output(OidStore(values))
    assert code == 0, out
    lines = out.splitlines()
    assert "profile:     cyberpower_ups" in lines
    why = next(line for line in lines if line.startswith("why:"))
    assert "cyberpower_ups reads 17 distinct readings (16 its own), found by probe " \
           "1.3.6.1.4.1.3808.1.1.1.1.1.1.0 answers" in why
    assert "completed by entity_sensor" in why
    rows = {line.split()[1] if line.split()[0] in "*+" else line.split()[0]: line
            for line in lines[lines.index(next(x for x in lines if x.startswith("candidates")))
                              + 2:]}
    assert rows["cyberpower_ups"].split()[:4] == ["*", "cyberpower_ups", "16", "17"]
    assert rows["entity_sensor"].split()[:4] == ["+", "entity_sensor", "10", "10"]
    assert rows["ups_mib"].split()[:3] == ["ups_mib", "0", "0"]


def test_detect_says_why_nothing_reads() -> None:
    values: dict[str, tuple[str, Value]] = {
        "1.3.6.1.2.1.1.2.0": ("ObjectIdentifier", "1.3.6.1.4.1.8072.3.2.10"),
        "1.3.6.1.2.1.33.1.1.1.0": ("OctetString", b"Nobody")}
    code, out = _detect_output(OidStore(values))
    assert code == 1
    assert ("why:         no profile for sysObjectID 1.3.6.1.4.1.8072.3.2.10 (enterprise 8072: "
            "Net-SNMP); closest candidates read nothing (ups_mib)") in out
