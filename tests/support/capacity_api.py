"""A deterministic ResultsHub from a capacity case folder, and the API on 127.0.0.1 over it.

The hub is fed exactly as ``dcmon run`` feeds it: readings ingested by the energy engine (the
store's hourly and daily rollups) and each device's last poll recorded in a Snapshot. Results
are computed at the case's "now" (its last reading), so the numbers are the hand-computed ones
of tests/cases/capacity.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dcmon.app.inventory import load_config
from dcmon.app.replay import counter_specs, parse_lines
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.alerts.state import Alert
from dcmon.engine.capacity.calculator import latest_readings
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.results import ResultsHub
from dcmon.engine.snapshot import DeviceInfo, Snapshot
from dcmon.engine.store import Store
from dcmon.exporters.api.app import create_app
from dcmon.exporters.api.server import ApiServer, bind
from dcmon.model import PollResult

CASES = Path(__file__).resolve().parents[1] / "cases" / "capacity"
READ_TOKEN = "read-token-0123456789abcdef"
ADMIN_TOKEN = "admin-token-0123456789abcdef"
TOKENS = {"platform": (READ_TOKEN, "read"), "ops": (ADMIN_TOKEN, "admin")}


def hub_from_case(case: str | Path, state: Path, config: Config | None = None) -> ResultsHub:
    """``case``: a capacity case name, or any case folder with config.yaml and readings.jsonl."""
    folder = case if isinstance(case, Path) else CASES / case
    cfg = config or load_config(folder / "config.yaml")
    engine = EnergyEngine(cfg, Store(state / "dcmon.sqlite"))
    lines = (folder / "readings.jsonl").read_text().splitlines()
    readings = sorted(parse_lines(lines, str(folder), counter_specs(cfg, ProfileRegistry.load())),
                      key=lambda r: r.ts)
    engine.ingest(readings)
    engine.flush()
    snap = Snapshot([DeviceInfo(d.id, d.site, d.room, d.rack, d.profile, feed=d.feed)
                     for d in cfg.devices])
    for dev, rs in latest_readings(readings).items():
        snap.record(PollResult(dev, "replay", rs, (), rs[0].ts, 0.01))
    hub = ResultsHub(cfg, engine, snap)
    hub.recompute(max(r.ts for r in readings))
    return hub


def case_config(case: str, folder: Path, **api: Any) -> Config:
    """``case``'s inventory with these ``api:`` settings, written to ``folder`` and loaded."""
    inv = yaml.safe_load((CASES / case / "config.yaml").read_text())
    inv["api"] = {**inv.get("api", {}), **api}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(inv))
    return load_config(path)


ALERT = Alert(fingerprint="f00d", alertname="DcmonFeedFailoverRisk",
              labels={"site": "dc1", "room": "hall", "rack": "r1", "severity": "critical"},
              annotations={"summary": "A+B above one feed", "summary_zh": "A+B 路超过单路容量"},
              state="firing", active_since=1767225600.0, fired_at=1767225900.0, value=1.125)


@dataclass
class RunningApi:
    server: ApiServer
    hub: ResultsHub

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def running_api(case: str | Path, state: Path, with_alerts: bool = True,
                config: Config | None = None,
                active: Sequence[Alert] = (ALERT,)) -> Iterator[RunningApi]:
    """The API over ``case``'s readings; ``config`` replaces the case's inventory (same ids),
    ``active`` are the alerts it reports (with ``with_alerts``)."""
    hub = hub_from_case(case, state, config)
    app = create_app(hub.config, hub, TOKENS,
                     alerts=(lambda: list(active)) if with_alerts else None)
    server = ApiServer(app, bind("127.0.0.1:0")).start()
    try:
        yield RunningApi(server, hub)
    finally:
        server.stop()
        hub.engine.store.close()
