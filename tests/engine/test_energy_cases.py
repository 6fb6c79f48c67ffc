"""Energy and PUE cases kept as folders: tests/cases/energy/<name>/{config.yaml, readings*.jsonl,
expected.json}. Inputs come from make_readings.py; the expected figures are computed by hand
(see each case's comment in make_readings.py and its ``note``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from dcmon.app.inventory import load_config
from dcmon.app.replay import replay
from dcmon.collectors.registry import ProfileRegistry
from tests.support.paths import CASES

CASES = CASES / "energy"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_energy_case(case: str, tmp_path: Path) -> None:
    folder = CASES / case
    exp = json.loads((folder / "expected.json").read_text())
    cfg = load_config(folder / "config.yaml")
    reg = ProfileRegistry.load()
    store = tmp_path / "state.sqlite"
    out = {}
    # Each readings file is one process lifetime on the same store (a restart in between).
    for part in sorted(folder.glob("readings*.jsonl"), key=lambda p: (len(p.name), p.name)):
        out = replay(cfg, reg, io.StringIO(part.read_text()), str(part), store,
                     windows=[exp["window"]])
    res = next(r for r in out["results"] if r["zone"] is None)
    assert res["status"] == exp["status"], res["reason"]
    if exp["value"] is None:
        assert res["value"] is None
    else:
        assert res["value"] == pytest.approx(exp["value"], abs=1e-6)
    assert res["it_kwh"] == pytest.approx(exp["it_kwh"], abs=1e-6)
    assert res["facility_kwh"] == pytest.approx(exp["facility_kwh"], abs=1e-6)
    assert res["coverage"] == pytest.approx(exp["coverage"], abs=1e-6)
    if "end" in exp:  # the window ends where every meter has reported past
        assert res["end"] == exp["end"]
    assert res["interim"] is True and res["category"] == 2
    for device, want in exp["accounts"].items():
        acc = next(a for a in out["accounts"].values() if a["device"] == device)
        assert acc["wraps"] == want["wraps"]
        assert acc["resets"] == want["resets"]
        assert acc["false_zeros"] == want["false_zeros"]
        assert acc["lifetime_j"] / 3.6e6 == pytest.approx(want["lifetime_kwh"], abs=1e-6)
