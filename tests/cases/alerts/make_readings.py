"""Readings for the alert scenarios, generated from each case's scenario.yaml (inputs only).

A scenario is a list of segments of constant power: ``{hours, it_kw, pue}`` means IT draws
``it_kw`` and the facility meter ``pue x it_kw`` for that many hours. Both meters are energy
counters in Wh polled every ``poll_s`` seconds from ``start``, so every hour's PUE is exactly the
segment's. Run ``python3 make_readings.py CASE > readings.jsonl`` to feed ``dcmon replay``.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
WH = 3600.0


def load(case: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load((HERE / case / "scenario.yaml").read_text())
    return doc


def start_ts(scenario: dict[str, Any]) -> float:
    start = scenario["start"]
    if isinstance(start, datetime):
        return start.timestamp()
    return datetime.fromisoformat(str(start).replace("Z", "+00:00")).timestamp()


def hours(scenario: dict[str, Any]) -> int:
    return sum(int(s["hours"]) for s in scenario["segments"])


def readings(scenario: dict[str, Any]) -> list[dict[str, Any]]:
    t0, poll = start_ts(scenario), float(scenario["poll_s"])
    it_wh, fac_wh = 1_000.0, 5_000.0  # counters do not start at zero
    rows: list[dict[str, Any]] = []
    t = t0

    def emit(ts: float) -> None:
        for dev, wh in (("pdu1", it_wh), ("meter1", fac_wh)):
            rows.append({"ts": ts, "device": dev, "metric": "energy", "unit": "J",
                         "kind": "counter", "value": wh * WH, "counter_max": 2**64 * WH})

    emit(t)
    for seg in scenario["segments"]:
        steps = int(float(seg["hours"]) * 3600 / poll)
        it_w = float(seg["it_kw"]) * 1000
        for _ in range(steps):
            t += poll
            it_wh += it_w * poll / 3600
            fac_wh += it_w * float(seg["pue"]) * poll / 3600
            emit(t)
    return rows


def main() -> None:
    for r in readings(load(sys.argv[1])):
        sys.stdout.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main()
