"""Writes readings.jsonl for each energy case folder (inputs only; expected.json is by hand).

Every case is one hour, 2026-01-01 00:00-01:00 UTC, polled every 5 min (13 polls). IT load is a
constant 2000 W (2.0 kWh in the hour) and facility load 2600 W (2.6 kWh): PUE 1.3 unless the case
says otherwise (``unsettled_hour`` spans 26 h). Counters here count watt-hours (1 Wh = 3600 J).
Run: python3 make_readings.py
"""

import json
from pathlib import Path

T0 = 1767225600
WH = 3600.0
HERE = Path(__file__).parent


def wh(i: int, watts: float = 2000.0) -> float:
    return watts * i * 300 / 3600


def counter(dev: str, i: int, value_wh: float, **extra: object) -> dict:
    return {"ts": T0 + i * 300, "device": dev, "metric": "energy", "unit": "J",
            "kind": "counter", "value": value_wh * WH, **extra}


def facility(i: int, watts: float = 2600.0) -> dict:
    return counter("meter1", i, 5_000_000 + wh(i, watts), counter_max=2**64 * WH)


def write(case: str, rows: list[dict], name: str = "readings.jsonl") -> None:
    (HERE / case).mkdir(exist_ok=True)
    (HERE / case / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def main() -> None:
    m32 = 2**32 * WH
    # wrap: Unsigned32 Wh counter passes 2^32 between polls 6 and 7.
    write("wrap", [r for i in range(13) for r in (
        counter("pdu1", i, (2**32 - 1100 + wh(i)) % 2**32, counter_max=m32), facility(i))])
    # cap: Geist-style counter restarts after 9,999,000 Wh (cap), between polls 6 and 7.
    cap = 9_999_000
    write("cap", [r for i in range(13) for r in (
        counter("pdu1", i, (cap - 1100 + wh(i)) % cap, counter_max=cap * WH,
                counter_capped=True), facility(i))])
    # reset_marker: a user resets the APC counter at 00:27:30 (between polls 5 and 6); the
    # "counting since" marker changes. Energy from 00:25 to 00:27:30 (83.33 Wh) is unobservable.
    rows = []
    for i in range(13):
        if i <= 5:
            v, mark = 40_000 + wh(i), "12/01/2025 08:00:00"
        else:
            v, mark = 2000 * (i * 300 - 1650) / 3600, "01/01/2026 00:27:30"
        rows += [counter("pdu1", i, v, counter_max=m32, resettable=True, reset_marker=mark),
                 facility(i)]
    write("reset_marker", rows)
    # reset_no_marker: the same without a marker; the drop alone reveals the reset.
    write("reset_no_marker", [{k: v for k, v in r.items() if k != "reset_marker"}
                              for r in rows])
    # reset_value_rises: the counter stood at 10 Wh and was reset 1 s after poll 0; at poll 1
    # it reads 166.1 Wh (> 10): only the marker can tell this is a reset.
    rows = []
    for i in range(13):
        if i == 0:
            v, mark = 10.0, "A"
        else:
            v, mark = 2000 * (i * 300 - 1) / 3600, "B"
        rows += [counter("pdu1", i, v, counter_max=m32, resettable=True, reset_marker=mark),
                 facility(i)]
    write("reset_value_rises", rows)
    # gap: polls 4..8 (00:20-00:40) missing for both meters. The facility meter has no counter
    # (power only): it is not integrated across the 30 min gap (max 3 x 300 s), so coverage drops.
    # The IT counter's next delta covers the gap.
    rows = []
    for i in range(13):
        if 4 <= i <= 8:
            continue
        rows.append(counter("pdu1", i, 1000 + wh(i), counter_max=m32))
        rows.append({"ts": T0 + i * 300, "device": "meter1", "metric": "power", "unit": "W",
                     "value": 2600.0})
    write("gap", rows)
    # false_zero: the PDU reboots and reads 0 at poll 6, then its real value again.
    write("false_zero", [r for i in range(13) for r in (
        counter("pdu1", i, 0.0 if i == 6 else 1000 + wh(i), counter_max=m32), facility(i))])
    # it_above_facility: facility meter reads 1800 W against 2000 W of IT: a metering fault.
    write("it_above_facility", [r for i in range(13) for r in (
        counter("pdu1", i, 1000 + wh(i), counter_max=m32), facility(i, 1800.0))])
    # restart: the same as wrap, split in two files; replayed into one store as two runs.
    rows = [r for i in range(13) for r in (
        counter("pdu1", i, (2**32 - 1100 + wh(i)) % 2**32, counter_max=m32), facility(i))]
    write("restart", rows[:14], "readings.jsonl")
    write("restart", rows[14:], "readings-after-restart.jsonl")
    # unsettled_hour: 26 h (from 00:00) of a facility counter at 1500 W read every 900 s at
    # HH:07, HH:22, ... and an IT counter at 1000 W read at HH:02, HH:17, ...; the last reads
    # are at 02:07 and 02:02 on the next day, just past the 26th hour boundary. The 24 h
    # window must end at 02:00 (every meter has reported past it), not 03:00.
    write("unsettled_hour", [
        {"ts": T0 + k * 900 + off, "device": dev, "metric": "energy", "unit": "J",
         "kind": "counter", "value": (1000 + watts * (k * 900 + off) / 3600) * WH,
         "counter_max": 2**64 * WH}
        for k in range(26 * 4 + 1)
        for dev, off, watts in (("it1", 120, 1000.0), ("fac1", 420, 1500.0))])


if __name__ == "__main__":
    main()
