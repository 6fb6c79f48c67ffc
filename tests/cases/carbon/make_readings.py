"""Writes readings.jsonl for each carbon case folder (inputs only; expected.json is by hand).

Meters are read every 5 minutes for 24 h. Energy counters count joules (Wh x 3600), the water
meter counts m3 (a UINT32 litre register scaled by 0.001, so it wraps at 4,294,967.296 m3).
The hand computation of each case is in its config.yaml comment and in ``note`` of expected.json.
Run: python3 make_readings.py
"""

import json
from pathlib import Path

HERE = Path(__file__).parent
STEP = 300
POLLS = 24 * 3600 // STEP + 1  # 0 .. 24 h inclusive
BIG = 2.0**64 * 3600


def energy(dev: str, t0: int, i: int, kw: float, start_kwh: float = 1000.0) -> dict:
    kwh = start_kwh + kw * i * STEP / 3600
    return {"ts": t0 + i * STEP, "device": dev, "metric": "energy", "unit": "J",
            "kind": "counter", "value": kwh * 3.6e6, "counter_max": BIG}


def water(dev: str, t0: int, i: int, m3_per_h: float, start: float, top: float) -> dict:
    v = (start + m3_per_h * i * STEP / 3600) % top
    return {"ts": t0 + i * STEP, "device": dev, "metric": "water_volume", "unit": "m3",
            "kind": "counter", "value": round(v, 6), "counter_max": top}


def write(case: str, rows: list[dict]) -> None:
    (HERE / case).mkdir(exist_ok=True)
    (HERE / case / "readings.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def main() -> None:
    jan1 = 1767225600  # 2026-01-01 00:00 UTC
    # cue_grid_pv_diesel: IT 20 kW, facility 30 kW, PV 5 kW, generator 2 kW, for 24 h.
    write("cue_grid_pv_diesel", [r for i in range(POLLS) for r in (
        energy("pdu1", jan1, i, 20), energy("meter1", jan1, i, 30),
        energy("pv1", jan1, i, 5), energy("gen1", jan1, i, 2))])
    # ref_certificates_new_year: 2025-12-31 12:00 to 2026-01-01 12:00; IT 20 kW, facility
    # 30 kW, a direct green line 3 kW.
    noon = jan1 - 12 * 3600
    write("ref_certificates_new_year", [r for i in range(POLLS) for r in (
        energy("pdu1", noon, i, 20), energy("meter1", noon, i, 30),
        energy("green1", noon, i, 3))])
    # wue_wrap: IT 200 kW, facility 260 kW; the tower's water meter 0.4 m3/h starts 1.01 m3
    # below its wrap, so it wraps about 2.5 h in.
    top = 2.0**32 * 0.001
    write("wue_wrap", [r for i in range(POLLS) for r in (
        energy("pdu1", jan1, i, 200), energy("meter1", jan1, i, 260),
        water("tower-water", jan1, i, 0.4, top - 1.01, top))])


if __name__ == "__main__":
    main()
