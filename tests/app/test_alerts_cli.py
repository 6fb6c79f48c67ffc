"""``dcmon alerts`` lists what ``dcmon run`` keeps in <state_dir>/alerts.sqlite; the pipeline
job skips until the first results exist."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from dcmon.app.alerting import AlertPipeline
from dcmon.app.cli import main
from dcmon.app.inventory import load_config
from dcmon.engine.alerts.state import Alerter, Observation, Text
from dcmon.engine.alerts.store import AlertStore, alerts_path
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import Snapshot
from dcmon.engine.store import Store
from tests.support.paths import CASES

CASE = CASES / "alerts" / "new_build_breach" / "config.yaml"


def _config(tmp: Path) -> Path:
    cfg = tmp / "site.yaml"
    cfg.write_text(CASE.read_text() + "state_dir: state\n")
    return cfg


def test_alerts_cli(tmp_path: Path) -> None:
    cfg_file = _config(tmp_path)
    res = CliRunner().invoke(main, ["alerts", "--config", str(cfg_file)])
    assert res.exit_code == 1 and "no alert state" in res.output
    cfg = load_config(cfg_file)
    store = AlertStore(alerts_path(cfg))
    text = Text("dc-new: PUE 1.350 over 24h is above the 1.30 ceiling", "zh", "d", "d-zh")
    Alerter(store, 3600, lambda n: ["am"]).evaluate(1_767_225_600.0, [Observation(
        "DcmonPueAboveCeiling", {"site": "dc-new", "window": "24h"}, "breach", text,
        confirmed=True, value=1.35)])
    store.close()
    res = CliRunner().invoke(main, ["alerts", "--config", str(cfg_file)])
    assert res.exit_code == 0, res.output
    assert "firing    warning   DcmonPueAboveCeiling" in res.output
    assert "dc-new: PUE 1.350 over 24h" in res.output
    assert "outbox am: 1 queued, 0 delivered, 0 given up" in res.output
    res = CliRunner().invoke(main, ["alerts", "--config", str(cfg_file), "--format", "json"])
    doc = json.loads(res.output)
    assert doc["alerts"][0]["labels"]["confirmed"] == "true"
    assert doc["outbox"] == {"am": {"queued": 1, "delivered": 0, "dead": 0}}


def test_pipeline_waits_for_results(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path))
    hub = ResultsHub(cfg, EnergyEngine(cfg, Store(":memory:")), Snapshot())
    pipe = AlertPipeline(cfg, AlertStore(alerts_path(cfg)))
    assert pipe.tick_hub(hub, now=1_767_225_600.0) is None
    hub.recompute(1_767_225_600.0)
    report = pipe.tick_hub(hub, now=1_767_225_600.0)
    assert report is not None and report.delivered == {}
    pipe.store.close()
