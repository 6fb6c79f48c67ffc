"""Capacity cases kept as folders: tests/cases/capacity/<name>/{config.yaml, readings.jsonl,
expected.json}. Inputs come from make_readings.py; each config.yaml explains the hand
computation and expected.json holds its figures. The expected file is a subset: racks, rooms and
sites by id, and the city, each compared key by key (lists element by element)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dcmon.app.inventory import load_config
from dcmon.app.replay import capacity_from_readings
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.capacity.model import CityCapacity
from tests.support.paths import CASES

CASES = CASES / "capacity"


def _match(got: Any, want: Any, path: str) -> None:
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{path}: {got!r} is not a mapping"
        for k, v in want.items():
            assert k in got, f"{path}.{k}: missing"
            _match(got[k], v, f"{path}.{k}")
    elif isinstance(want, list):
        assert isinstance(got, list | tuple) and len(got) == len(want), f"{path}: {got!r}"
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            _match(g, w, f"{path}.{i}")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert got == pytest.approx(want, abs=1e-6), f"{path}: {got!r} != {want!r}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


def run_case(folder: Path, tmp_path: Path) -> CityCapacity:
    cfg = load_config(folder / "config.yaml")
    lines = (folder / "readings.jsonl").read_text().splitlines()
    return capacity_from_readings(cfg, ProfileRegistry.load(), lines, str(folder),
                                  tmp_path / "state.sqlite")


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_capacity_case(case: str, tmp_path: Path) -> None:
    folder = CASES / case
    exp = json.loads((folder / "expected.json").read_text())
    got = run_case(folder, tmp_path).as_dict()
    racks = {r["rack"]: r for s in got["sites"] for ro in s["rooms"] for r in ro["racks"]}
    rooms = {ro["room"]: ro for s in got["sites"] for ro in s["rooms"]}
    sites = {s["site"]: s for s in got["sites"]}
    for rid, want in exp.get("racks", {}).items():
        _match(racks[rid], want, f"racks.{rid}")
    for rid, want in exp.get("rooms", {}).items():
        _match(rooms[rid], want, f"rooms.{rid}")
    for sid, want in exp.get("sites", {}).items():
        _match(sites[sid], want, f"sites.{sid}")
    _match(got, exp.get("city", {}), "city")
    # Whatever the case: JSON-serialisable, no NaN or infinity.
    json.dumps(got, allow_nan=False)


def _all_rows(shape: Any) -> tuple[int, ...]:
    return tuple(range(len(shape)))


@contextmanager
def _case_engine(case: str, tmp_path: Path) -> Iterator[tuple[Any, Any, list[Any]]]:
    """The case's inventory, an energy engine that has booked its readings, the readings."""
    from dcmon.app.replay import counter_specs, parse_lines
    from dcmon.engine.ingest import EnergyEngine
    from dcmon.engine.store import Store

    folder = CASES / case
    cfg = load_config(folder / "config.yaml")
    lines = (folder / "readings.jsonl").read_text().splitlines()
    readings = sorted(parse_lines(lines, str(folder), counter_specs(cfg, ProfileRegistry.load())),
                      key=lambda r: r.ts)
    store = Store(tmp_path / "state.sqlite")
    try:
        engine = EnergyEngine(cfg, store)
        engine.ingest(readings)
        engine.flush()
        yield cfg, engine, readings
    finally:
        store.close()


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_capacity_from_some_readings_is_capacity_from_all(case: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Capacity makes only the readings its figures use (``pdu_rows``, ``watts_rows``,
    ``meter_rows``), from the snapshot's packed view or a replay's readings; the figures are
    those it computes when every reading is made."""
    from dcmon.engine.capacity import compute, rack
    from dcmon.engine.capacity.calculator import CapacityCalculator, latest_readings
    from dcmon.engine.packed import Packed, Packer, ReadingsView

    with _case_engine(case, tmp_path) as (cfg, engine, readings):
        latest = latest_readings(readings)
        packer = Packer()  # dcmon run keeps no Source, so the snapshot packs every device
        packed = {d: packer.pack(tuple(dataclasses.replace(r, source=None) for r in rs))
                  for d, rs in latest.items()}
        assert all(isinstance(p, Packed) for p in packed.values())
        calc = CapacityCalculator(cfg, engine)
        at = max(r.ts for r in readings)
        some = [calc.compute(at, ReadingsView(packed)).as_dict(),
                calc.compute(at, latest).as_dict()]
        for name in ("pdu_rows", "meter_rows"):
            monkeypatch.setattr(rack, name, _all_rows)
        monkeypatch.setattr(compute, "watts_rows", _all_rows)
        assert some == [calc.compute(at, latest).as_dict()] * 2


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_history_summed_per_group_is_history_meter_by_meter(case: str, tmp_path: Path) -> None:
    """``dcmon run`` keeps each rack's and each feed's hours and days summed, not every
    meter's every hour; capacity from those sums is exactly capacity from every meter's
    history (each case, summed and not), and no meter with history keeps its hours."""
    from dcmon.engine.capacity.calculator import CapacityCalculator, latest_readings
    from dcmon.engine.capacity.compute import compute_capacity
    from dcmon.engine.capacity.history import device_history
    from dcmon.engine.capacity.rack import CapacityInputs

    with _case_engine(case, tmp_path) as (cfg, engine, readings):
        calc = CapacityCalculator(cfg, engine)
        at = max(r.ts for r in readings)
        latest = latest_readings(readings)
        kept = calc.history(at)
        start, end, d0, d1 = calc.window(at)
        raw = {d.id: device_history([s for s in engine.series.values() if s.device == d.id],
                                    engine.store, d.id, start, end, d0, d1)
               for d in cfg.devices if d.rack}
        assert kept.keys() == raw.keys()
        with_hours = [d for d, h in raw.items() if h.hourly]
        assert with_hours and all(not kept[d].hourly and kept[d].groups for d in with_hours)
        stale = cfg.model.capacity.stale_after_intervals
        inputs = {"readings": latest, "now": at, "span_s": end - start,
                  "max_age": {d.id: d.interval * stale for d in cfg.devices}}
        from_raw = compute_capacity(cfg, CapacityInputs(history=raw, **inputs))
        assert calc.compute(at, latest).as_dict() == from_raw.as_dict()
