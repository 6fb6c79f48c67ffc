"""The demo's history (dcmon/app/backfill.py): the 2012 site's chiller retrofit, verified.

The simulated city on 127.0.0.1, the site's meters read once through the real poller, the
history written into a state store as ``dcmon demo`` writes it, then the retrofit verified from
that store: the saving the simulator built in lies within the reported uncertainty, and the
live readings continue the history's counters without a reset.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from dcmon.app.backfill import SITE, seed_history
from dcmon.app.cli.retrofit import report_lines
from dcmon.app.demo import demo_inventory
from dcmon.app.inventory import parse_config
from dcmon.app.poller import Poller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.mv.run import retrofit_reports
from dcmon.engine.store import Store
from dcmon.sim.city import SimulatedCity
from dcmon.sim.history import HistoryPlan, true_saving_kwh


async def _run(tmp: Path) -> None:
    city = SimulatedCity(speed=1.0)
    await city.start()
    try:
        inv = demo_inventory(city, listen="127.0.0.1:0", api_listen="127.0.0.1:0",
                             interval=60, token="t" * 24, sink_url=None, receivers=None,
                             state_dir=str(tmp))
        reg = ProfileRegistry.load()
        cfg = parse_config(inv, "<demo>", reg)
        entry = await seed_history(city, cfg, reg, tmp)
        next(s for s in inv["sites"] if s["id"] == SITE)["retrofits"] = [entry]
        cfg = parse_config(inv, "<demo>", reg)
        store = Store(tmp / "dcmon.sqlite")
        engine = EnergyEngine(cfg, store)
        [report] = retrofit_reports(cfg, engine, city.clock.now())
        print("\n".join(report_lines(report)))
        assert report.status == "ok", report.reason
        assert report.baseline_points == 90 and report.reporting_points == 53
        spec = next(s for s in city.specs if s.id == SITE)
        plan = HistoryPlan(end=city.clock.start, days=150, retrofit_day=97,
                           it_base_w=city.sites[SITE].it_base_w(), plant=spec.plant,
                           cop_before=3.6)
        truth = true_saving_kwh(plan, report.reporting_start, report.reporting_end)
        assert report.avoided_kwh is not None and report.uncertainty_kwh is not None
        print(f"true saving {truth:,.0f} kWh")
        assert abs(report.avoided_kwh - truth) <= report.uncertainty_kwh
        assert report.significant
        assert entry["date"] == dt.date.fromtimestamp(plan.first + 97 * 86400).isoformat()
        # The live service continues the history's counters: no reset, no wrap.
        poller = Poller(cfg, reg)
        try:
            live = [await poller.poll(d) for d in cfg.devices if d.site == SITE]
        finally:
            await poller.close()
        engine.ingest(r for res in live for r in res.readings)
        assert sum(a.resets + a.wraps for a in engine.counters.values()) == 0
        store.close()
    finally:
        await city.stop()


def test_demo_history_verifies_the_retrofit(tmp_path: Path) -> None:
    asyncio.run(_run(tmp_path))
