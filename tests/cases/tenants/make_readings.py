"""Writes readings.jsonl for each tenant case folder (inputs only; the expected figures are
computed by hand in each case's expected.json ``note``).

tou_unassigned: three hours, 2026-01-15 07:00-10:00 Asia/Shanghai (2026-01-14 23:00 UTC to
2026-01-15 02:00 UTC), polled every 5 min. Power per hour (W), constant within the hour:

    hour (local)  pdu1 (health)  pdu2 (school)  pdu3 (no tenant)  meter1 (facility)
    07-08         2000           1000           1000              6000
    08-09         3000           1000           1000              7000
    09-10         1000           2000           1000              5000

Counters are in J, starting at 1 kWh. Run: python3 make_readings.py
"""

import json
from pathlib import Path

T0 = 1768431600  # 2026-01-14 23:00 UTC = 2026-01-15 07:00 Asia/Shanghai
HERE = Path(__file__).parent
POWER = {"pdu1": (2000, 3000, 1000), "pdu2": (1000, 1000, 2000),
         "pdu3": (1000, 1000, 1000), "meter1": (6000, 7000, 5000)}


def energy_j(device: str, seconds: int) -> float:
    """Joules counted ``seconds`` after T0, on top of 1 kWh."""
    total = 3.6e6
    for hour, watts in enumerate(POWER[device]):
        total += watts * max(0, min(seconds - hour * 3600, 3600))
    return total


def main() -> None:
    rows = [{"ts": T0 + i * 300, "device": dev, "metric": "energy", "unit": "J",
             "kind": "counter", "value": energy_j(dev, i * 300), "counter_max": 2**64 * 3600.0}
            for i in range(37) for dev in POWER]
    (HERE / "tou_unassigned" / "readings.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows))


if __name__ == "__main__":
    main()
