"""Device coverage: how many LibreNMS-read sensors dcmon reads right, wrong or not at all.

Serves every recording in ``$DCMON_SHARED_DIR/devices/librenms/snmpsim`` (test data kept
outside the repository, tests/support/librenms.py) with snmpsim on 127.0.0.1,
runs ``dcmon poll 127.0.0.1 --community <recording> --profile auto --format json`` on each, and
compares the readings with LibreNMS's values by instance OID and unit (tests/support/coverage.py).
Prints one row per recording, one per family (the profile auto-detection chose), and the overall
figure.

    .venv/bin/python benchmarks/device_coverage.py [--details] [--markdown] [RECORDING ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support import librenms  # noqa: E402
from tests.support.coverage import CLASSES, Score, score  # noqa: E402
from tests.support.snmpsim import TEST_V3_USERS, start_snmpsim  # noqa: E402

SHORT = {"power": "P", "current": "I", "voltage": "V", "frequency": "Hz",
         "power_consumed": "E", "temperature": "T", "humidity": "RH", "load": "load",
         "power_factor": "PF", "cooling": "cool",
         "charge": "chg", "runtime": "rt"}


def poll(port: int, recording: str) -> tuple[str, list[dict[str, object]], str]:
    """Run ``dcmon poll --profile auto`` on one recording; returns (profile, readings, error)."""
    proc = subprocess.run(
        [sys.executable, "-m", "dcmon", "poll", "127.0.0.1", "--port", str(port),
         "--community", recording, "--profile", "auto", "--format", "json", "--timeout", "5"],
        capture_output=True, text=True, timeout=300)
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return "?", [], (proc.stderr or proc.stdout).strip()[-300:]
    errs = "; ".join(str(e.get("message")) for e in doc.get("errors", [])
                     if e.get("reason") != "no_such_object")
    return str(doc.get("profile")), list(doc.get("readings", [])), errs


def run(recordings: list[str]) -> tuple[Score, list[tuple[str, str, Score, str]]]:
    root = librenms.librenms_dir()
    if root is None:
        sys.exit("LibreNMS recordings not found: set DCMON_SHARED_DIR to the folder holding "
                 "devices/librenms")
    rows = []
    total = Score()
    with start_snmpsim(root / "snmpsim", v3_users=TEST_V3_USERS) as sim, \
            ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda r: (r, *poll(sim.port, r)), recordings)
        for rec, profile, readings, err in results:
            sc = score(rec, readings)
            total.add(sc)
            rows.append((rec, profile, sc, err))
    return total, rows


def table(total: Score, rows: list[tuple[str, str, Score, str]], markdown: bool) -> str:
    head = ["recording", "profile", "right", "in true unit", "wrong", "missed", "unscorable",
            "by class (right/scorable)"]
    lines = []
    sep = " | " if markdown else "  "
    if markdown:
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))

    def classes(s: Score) -> str:
        parts = []
        for c in CLASSES:
            n = s.right_in(c) + s.wrong.get(c, 0) + s.missed.get(c, 0)
            if n:
                parts.append(f"{SHORT[c]} {s.right_in(c)}/{n}")
        return " ".join(parts)

    for rec, profile, s, _ in [*rows, ("TOTAL", "", total, "")]:
        cells = [rec, profile, str(s.n_right - s.n_true_unit), str(s.n_true_unit),
                 str(s.n_wrong), str(s.n_missed), str(s.unscorable), classes(s)]
        lines.append(("| " if markdown else "") + sep.join(cells) + (" |" if markdown else ""))
    pct = 100 * total.coverage
    lines.append(f"\ncoverage: {total.n_right}/{total.scorable} scorable sensors right "
                 f"({pct:.1f} %; {total.n_true_unit} of them in their true unit: VA, var, VAh "
                 f"or varh where LibreNMS files them as power or energy), {total.n_wrong} wrong, "
                 f"{total.n_missed} missed, "
                 f"{total.unscorable} not scorable, {total.disputed} disputed "
                 "(tests/support/coverage.py DISPUTED says why)")
    return "\n".join(lines)


def families(rows: list[tuple[str, str, Score, str]], markdown: bool) -> str:
    """One row per family (the profile auto-detection chose): recordings and sensors."""
    by: dict[str, tuple[list[str], Score]] = {}
    for rec, profile, s, _ in rows:
        recs, total = by.setdefault(profile, ([], Score()))
        recs.append(rec)
        total.add(s)
    head = ["family (profile)", "recordings", "right", "in true unit", "wrong", "missed",
            "coverage"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] if markdown else \
        ["  ".join(head)]
    for profile in sorted(by):
        recs, s = by[profile]
        cells = [profile, str(len(recs)), str(s.n_right - s.n_true_unit), str(s.n_true_unit),
                 str(s.n_wrong), str(s.n_missed), f"{100 * s.coverage:.1f} %"]
        lines.append(("| " + " | ".join(cells) + " |") if markdown else "  ".join(cells))
    return "\n".join(lines)


def overall(total: Score, n_recordings: int) -> str:
    """The one figure: scorable sensors read right, over every recording."""
    return (f"overall: {total.n_right}/{total.scorable} = {100 * total.coverage:.1f} % right "
            f"({total.n_true_unit} in their true unit), {total.n_wrong} wrong, "
            f"over {n_recordings} recordings")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recordings", nargs="*")
    ap.add_argument("--details", action="store_true", help="list every wrong or missed sensor")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    recs = args.recordings or librenms.recordings()
    t0 = time.monotonic()
    total, rows = run(recs)
    print(table(total, rows, args.markdown))
    print()
    print(families(rows, args.markdown))
    print()
    print(overall(total, len(rows)))
    for rec, profile, _, err in rows:
        if err:
            print(f"{rec} ({profile}): {err}")
    if args.details:
        print("\n".join(total.details))
    print(f"({len(recs)} recordings in {time.monotonic() - t0:.1f} s)")


if __name__ == "__main__":
    main()
