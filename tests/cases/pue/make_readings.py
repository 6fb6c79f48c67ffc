"""Writes readings.jsonl for each PUE case folder (inputs only; the expected figures are in the
tests and the case's config.yaml comment).

unmetered_rack: one hour, 2026-01-01 00:00-01:00 UTC, polled every 5 min (13 polls): the rack
PDU's counter at 2000 W and the facility meter's at 2600 W, in Wh (1 Wh = 3600 J).
Run: python3 make_readings.py
"""

import json
from pathlib import Path

T0 = 1767225600
WH = 3600.0
HERE = Path(__file__).parent


def main() -> None:
    rows = [{"ts": T0 + i * 300, "device": dev, "metric": "energy", "unit": "J",
             "kind": "counter", "value": (1000 + watts * i * 300 / 3600) * WH,
             "counter_max": 2**64 * WH}
            for i in range(13) for dev, watts in (("pdu1", 2000.0), ("meter1", 2600.0))]
    (HERE / "unmetered_rack" / "readings.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows))


if __name__ == "__main__":
    main()
