"""Writes readings.jsonl for each tenant case folder (inputs only; the expected figures are
computed by hand in each case's expected.json ``note``).

tou_unassigned: three hours, 2026-01-15 07:00-10:00 Asia/Shanghai (2026-01-14 23:00 UTC to
2026-01-15 02:00 UTC), polled every 5 min. Power per hour (W), constant within the hour:

    hour (local)  pdu1 (health)  pdu2 (school)  pdu3 (no tenant)  meter1 (facility)
    07-08         2000           1000           1000              6000
    08-09         3000           1000           1000              7000
    09-10         1000           2000           1000              5000

month_end_idle: three hours, 2026-01-30 22:00 to 2026-01-31 01:00 Asia/Shanghai (14:00-17:00
UTC on 2026-01-30), the middle one with every rack idle while the cooling runs on:

    hour (local)  pdu1 (health)  pdu2 (no tenant)  meter1 (facility)
    22-23         1000           3000              6000
    23-24            0              0              1000
    00-01         3000           1000              5000

Counters are in J, starting at 1 kWh. Run: python3 make_readings.py
"""

import json
from pathlib import Path

HERE = Path(__file__).parent
#: case -> (first reading, power per device and hour)
CASES: dict[str, tuple[int, dict[str, tuple[int, int, int]]]] = {
    # 2026-01-14 23:00 UTC = 2026-01-15 07:00 Asia/Shanghai
    "tou_unassigned": (1768431600, {"pdu1": (2000, 3000, 1000), "pdu2": (1000, 1000, 2000),
                                    "pdu3": (1000, 1000, 1000), "meter1": (6000, 7000, 5000)}),
    # 2026-01-30 14:00 UTC = 2026-01-30 22:00 Asia/Shanghai
    "month_end_idle": (1769781600, {"pdu1": (1000, 0, 3000), "pdu2": (3000, 0, 1000),
                                    "meter1": (6000, 1000, 5000)}),
}


def energy_j(power: tuple[int, int, int], seconds: int) -> float:
    """Joules counted ``seconds`` after the first reading, on top of 1 kWh."""
    total = 3.6e6
    for hour, watts in enumerate(power):
        total += watts * max(0, min(seconds - hour * 3600, 3600))
    return total


def main() -> None:
    for case, (t0, power) in CASES.items():
        rows = [{"ts": t0 + i * 300, "device": dev, "metric": "energy", "unit": "J",
                 "kind": "counter", "value": energy_j(watts, i * 300),
                 "counter_max": 2**64 * 3600.0}
                for i in range(37) for dev, watts in power.items()]
        (HERE / case).mkdir(exist_ok=True)
        (HERE / case / "readings.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows))


if __name__ == "__main__":
    main()
