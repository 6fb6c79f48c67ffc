"""``dcmon replay`` ends its PUE windows where every meter has reported past, as the live
service does after its settle time (docs/energy.md, "settled")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dcmon.app.cli import main
from tests.support.paths import CASES

CASE = CASES / "energy" / "unsettled_hour"
T0 = 1767225600
HOUR = 3600


def test_replay_window_ends_at_a_settled_hour() -> None:
    """The last reads land at 02:02 and 02:07: a window to 03:00 would hold a nearly empty
    hour (PUE 1.5054 here) and still say ok."""
    proc = subprocess.run(
        [sys.executable, "-m", "dcmon", "replay", "--config", str(CASE / "config.yaml"),
         str(CASE / "readings.jsonl"), "--window", "24h"],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    (res,) = doc["results"]
    assert res["status"] == "ok"
    assert abs(res["value"] - 1.5) / 1.5 < 0.001
    assert res["end"] == doc["end"] == T0 + 26 * HOUR
    assert res["start"] == T0 + 2 * HOUR
    assert res["it_kwh"] == 24.0 and res["facility_kwh"] == 36.0 and res["coverage"] == 1.0


def test_replay_does_not_wait_for_a_silent_meter(tmp_path: Path) -> None:
    """A meter silent since 09:47 is missing, not waited for: the window ends two poll
    intervals (the live settle time) before the last reading, and coverage withholds it."""
    lines = [ln for ln in (CASE / "readings.jsonl").read_text().splitlines()
             if json.loads(ln)["device"] != "it1" or json.loads(ln)["ts"] <= T0 + 10 * HOUR]
    readings = tmp_path / "readings.jsonl"
    readings.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(main, ["replay", "--config", str(CASE / "config.yaml"),
                                    str(readings), "--window", "24h"])
    assert res.exit_code == 0, res.output
    (pue,) = json.loads(res.stdout)["results"]
    # Last reading 02:07 (day 2) - 2 x 900 s = 01:37: the window ends at 01:00 (hour 25).
    assert pue["end"] == T0 + 25 * HOUR
    assert pue["status"] == "withheld" and pue["value"] is None
    # it1 was last read at 09:47, so it covers 01:00-09:47; fac1 covers all 24 h.
    assert pue["coverage"] == round((8 + 47 / 60 + 24) / 48, 6)
