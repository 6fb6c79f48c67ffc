"""``dcmon demo`` prints the new build's tenant statement when it stops: a real subprocess,
hours of simulated time, and the table with the city's tenants and the unassigned rack."""

from __future__ import annotations

import subprocess
import sys

from tests.support.service_proc import free_port


def test_demo_prints_a_statement_on_exit() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "dcmon", "demo", "--duration", "8", "--speed", "3600",
         "--interval", "1200", "--listen", f"127.0.0.1:{free_port()}",
         "--api-listen", f"127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "/api/v1/tenants/statement?format=md&lang=zh" in out.stdout
    text = out.stdout[out.stdout.index("# Energy statement"):]
    assert "Municipal government cloud (new build)" in text.splitlines()[0]
    table = text[:text.index("\n## ")]  # the lines, before the tariff periods
    rows = {cells[0].strip("* "): cells for line in table.splitlines()
            if line.startswith("| ") and (cells := [c.strip() for c in line.strip("|").split("|")])}
    assert rows["City Government Services and Data Administration"][2] == "hall-1/r01, hall-1/r02"
    assert rows["Unassigned racks"][2] == "hall-1/r06"
    assert float(rows["Site total"][5].strip("*").replace(",", "")) > 0  # total kWh
