"""Writes readings.jsonl for each capacity case folder (inputs only; expected.json is by hand).

Days start 2026-01-01 00:00 UTC. Rack PDUs report their rack-power level (``power``, level
total, rack_power) and one phase current; a reading's value holds until the next one. The last
reading of a case is "now". Each case's config.yaml says what is computed by hand, and
expected.json holds the hand-computed figures. Run: python3 make_readings.py
"""

import json
from pathlib import Path

T0 = 1767225600
H = 3600
DAY = 86400
HERE = Path(__file__).parent


def pdu(dev: str, ts: int, watts: float, amps: float | None = None) -> list[dict]:
    rows = [{"ts": ts, "device": dev, "metric": "power", "value": watts, "unit": "W",
             "level": "total", "rack_power": True}]
    if amps is not None:
        rows.append({"ts": ts, "device": dev, "metric": "current", "value": amps, "unit": "A",
                     "level": "phase", "labels": {"phase": "1"}})
    return rows


def write(case: str, rows: list[dict]) -> None:
    rows.sort(key=lambda r: r["ts"])
    (HERE / case / "readings.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def every(step: int, end: int) -> range:
    return range(T0, T0 + end + 1, step)


def main() -> None:
    # failover_ab: 24 h at 15 min. r1: each feed 7.2 A = 45 % of its 16 A breaker (1656 W at
    # 230 V). r2: each feed 5.76 A = 45 % of its derated 12.8 A (1324.8 W).
    rows = []
    for ts in every(900, DAY):
        for feed in ("a", "b"):
            rows += pdu(f"pdu-r1-{feed}", ts, 1656.0, 7.2)
            rows += pdu(f"pdu-r2-{feed}", ts, 1324.8, 5.76)
    write("failover_ab", rows)

    # cooling_bound: c1 draws 4000 + 50 h W during hour h (0-23), 4500 W at "now" (24:00);
    # c2-c4 draw 4500 W throughout. crac-2 reports 8000 W of cooling capacity.
    rows = []
    for ts in every(900, DAY):
        h = (ts - T0) // H
        rows += pdu("pdu-c1", ts, 4000.0 + 50 * h if h < 24 else 4500.0)
        for r in ("c2", "c3", "c4"):
            rows += pdu(f"pdu-{r}", ts, 4500.0)
        rows.append({"ts": ts, "device": "crac-2", "metric": "cooling_capacity",
                     "value": 8000.0, "unit": "W", "level": "unit"})
    write("cooling_bound", rows)

    # empty_room: three idle racks, each PDU drawing 20 W.
    write("empty_room", [r for ts in every(900, DAY) for k in (1, 2, 3)
                         for r in pdu(f"pdu-e{k}", ts, 20.0)])

    # unmetered_rack: m1 3000 W throughout; s1 2000 W until 23:00, then its PDU falls silent
    # (stale at "now", 24:00); u1 has no meter at all.
    rows = []
    for ts in every(900, DAY):
        rows += pdu("pdu-m1", ts, 3000.0)
        if ts <= T0 + 23 * H:
            rows += pdu("pdu-s1", ts, 2000.0)
    write("unmetered_rack", rows)

    # forecast: hourly for 10 days; day d (0-9) draws 2000 + 100 d W all day; "now" is day 10
    # 00:00 reading 3000 W.
    write("forecast", [r for ts in every(H, 10 * DAY)
                       for r in pdu("pdu-f1", ts, 2000.0 + 100 * ((ts - T0) // DAY))])


if __name__ == "__main__":
    main()
