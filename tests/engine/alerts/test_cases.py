"""Replayed alert scenarios: tests/cases/alerts/<name>/{config.yaml, scenario.yaml, expected.json}.

Each scenario's readings are generated from scenario.yaml (make_readings.py), replayed into a
state store with ``dcmon.app.replay.replay()``, and the alert engine is evaluated every simulated
hour against PUE computed from that store at that hour (windows end at ``now``, so nothing from
the future leaks in). Expected notifications are worked out by hand in each ``note``.
"""

from __future__ import annotations

import importlib.util
import io
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dcmon.app.alerting import AlertPipeline
from dcmon.app.inventory import load_config
from dcmon.app.replay import replay
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.alerts.rules import AlertInputs
from dcmon.engine.alerts.state import Notification
from dcmon.engine.alerts.store import AlertStore
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.pue import PueCalculator
from dcmon.engine.store import Store
from tests.support.paths import CASES

CASES = CASES / "alerts"
_spec = importlib.util.spec_from_file_location("alert_readings", CASES / "make_readings.py")
assert _spec is not None and _spec.loader is not None
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


Trace = dict[int, list[tuple[str, float | None]]]


def run_scenario(case: str, tmp: Path, cfg: Config | None = None
                 ) -> tuple[list[tuple[int, Notification]], AlertStore, Trace]:
    """Replay the case and evaluate hourly; returns (hour, notification) pairs, the store and
    the (state, value) of the active alerts after each hour."""
    folder = CASES / case
    cfg = cfg or load_config(folder / "config.yaml")
    scen = gen.load(case)
    lines = "".join(json.dumps(r) + "\n" for r in gen.readings(scen))
    store_path = tmp / "state.sqlite"
    replay(cfg, ProfileRegistry.load(), io.StringIO(lines), "scenario", store_path, windows=[])
    store = Store(store_path)
    calc = PueCalculator(cfg, EnergyEngine(cfg, store))
    alerts = AlertStore(tmp / "alerts.sqlite")
    pipe = AlertPipeline(cfg, alerts, receivers={}, started=0.0)
    t0 = gen.start_ts(scen)
    out: list[tuple[int, Notification]] = []
    trace: Trace = {}
    windows: list[str] = list(cfg.model.alerting.rules.pue.windows)
    for hour in range(1, gen.hours(scen) + 1):
        now = t0 + hour * 3600
        notes = pipe.evaluate(now, AlertInputs(pue=calc.results(now, windows)))
        out.extend((hour, n) for n in notes)
        trace[hour] = [(a.state, a.value) for a in pipe.alerter.alerts.values()]
    store.close()
    return out, alerts, trace


def _row(hour: int, n: Notification) -> dict[str, Any]:
    return {"hour": hour, "status": n.status, "kind": n.kind, "window": n.labels["window"],
            "confirmed": n.labels["confirmed"], "severity": n.severity}


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()
                                        if (p / "expected.json").exists()))
def test_alert_case(case: str, tmp_path: Path) -> None:
    exp = json.loads((CASES / case / "expected.json").read_text())
    notes, store, trace = run_scenario(case, tmp_path)
    assert [_row(h, n) for h, n in notes] == exp["notifications"]
    for at in exp["at"]:
        [(state, value)] = trace[at["hour"]]
        assert state == at["state"] and value == pytest.approx(at["value"], abs=1e-6), at
    active = store.alerts()
    assert len(active) == 1
    final = active[0]
    want = exp["final"]
    assert final.state == want["state"]
    assert final.labels["confirmed"] == want["confirmed"]
    assert final.value == pytest.approx(want["value"], abs=1e-6)
    for text in want["description_contains"]:
        assert text in final.annotations["description"]
    for text in want.get("description_zh_contains", []):
        assert text in final.annotations["description_zh"]


def test_dip_flaps_without_hysteresis(tmp_path: Path) -> None:
    """The control for dip_no_flap: with hysteresis 0 the same dip resolves and fires again."""
    cfg = load_config(CASES / "dip_no_flap" / "config.yaml")
    rules = cfg.model.alerting.rules
    pue = rules.pue.model_copy(update={"hysteresis": 0.0})
    alerting = cfg.model.alerting.model_copy(
        update={"rules": rules.model_copy(update={"pue": pue})})
    model = cfg.model.model_copy(update={"alerting": alerting})
    cfg = replace(cfg, model=model)
    notes, _, _ = run_scenario("dip_no_flap", tmp_path, cfg)
    confirmed = [(h, n.status) for h, n in notes if n.labels["confirmed"] == "true"
                 and n.kind != "repeat"]
    assert ("resolved" in {s for _, s in confirmed}
            and [s for _, s in confirmed].count("firing") == 2), confirmed
