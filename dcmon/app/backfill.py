"""The demo's history: months of the 2012 site's metering, with its chiller retrofit.

``dcmon demo`` calls :func:`seed_history` after the simulated city starts and before the service
does. It reads each of the site's meters once through the real poller (the shape of their
counters), writes ``HISTORY_DAYS`` days of hourly readings that end in those values into the
state store (dcmon/sim/history.py), writes that history's weather as a CSV beside the store,
and returns the ``retrofits:`` entry that declares the retrofit. The service then continues the
same counters live, and the site's page, ``/api/v1/retrofits`` and ``/metrics`` show the verified
saving from the first results run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any

from dcmon.app.poller import Poller
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.store import Store
from dcmon.model import Reading
from dcmon.sim.city import SimulatedCity
from dcmon.sim.history import HistoryPlan, history_readings, true_saving_kwh, weather_csv
from dcmon.sim.physics import DAY_S

log = logging.getLogger("dcmon.app.backfill")

SITE = "muni-old"
RETROFIT_ID = "chiller-2026"
#: 150 days: a baseline of 90 days (above the 56 a baseline needs), the retrofit week, and 53
#: days of reporting, so the reporting period can be modelled too (it needs 28).
HISTORY_DAYS = 150
BASELINE_DAYS = 90
RETROFIT_DAY = 97
#: The old chiller's COP at 14 °C; the retrofit installed the site's live one (4.5): about a
#: fifth less cooling energy.
COP_BEFORE = 3.6


def _roles(city: SimulatedCity, config: Config) -> dict[str, tuple[str, float]]:
    """Which energy each of the site's meters carries, and its share of it."""
    site = city.sites[SITE]
    total = site.it_base_w()
    roles: dict[str, tuple[str, float]] = {}
    for dev in site.devices.values():
        if dev.rack:  # rack PDUs: the rack's load, split 52/48 between the A and B feeds
            i = int(dev.rack.lstrip("r"))
            share = 0.52 if dev.feed == "A" else 0.48
            roles[dev.id] = ("it", site.rack_w(i) * share / total)
    roles[f"{site.prefix}incomer-1"] = ("facility", 1.0)
    if site.chiller is not None:
        roles[f"{site.prefix}chiller-1"] = ("cooling", 1.0)
    return {d: r for d, r in roles.items() if any(x.id == d for x in config.devices)}


async def _probe(config: Config, registry: ProfileRegistry, devices: list[str]
                 ) -> list[Reading]:
    """One poll of each device, through the poller ``dcmon run`` uses."""
    poller = Poller(config, registry)
    try:
        specs = [d for d in config.devices if d.id in devices]
        results = await asyncio.gather(*(poller.poll(d) for d in specs))
    finally:
        await poller.close()
    return [r for res in results for r in res.readings]


def _day(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).date().isoformat()


async def seed_history(city: SimulatedCity, config: Config, registry: ProfileRegistry,
                       state_dir: Path) -> dict[str, Any]:
    """Write the history into ``state_dir`` and return the retrofit's inventory entry."""
    site = city.sites[SITE]
    spec = next(s for s in city.specs if s.id == SITE)
    roles = _roles(city, config)
    live = await _probe(config, registry, list(roles))
    plan = HistoryPlan(end=city.clock.start, days=HISTORY_DAYS, retrofit_day=RETROFIT_DAY,
                       it_base_w=site.it_base_w(), plant=spec.plant, cop_before=COP_BEFORE)
    readings = history_readings(plan, live, roles)
    store = Store(state_dir / "dcmon.sqlite")
    try:
        engine = EnergyEngine(config, store)
        engine.ingest(readings)
        engine.flush()
    finally:
        store.close()
    weather = state_dir / f"weather-{SITE}.csv"
    weather.write_text(weather_csv(plan), encoding="utf-8")
    first, last_day = plan.first, plan.first + (HISTORY_DAYS - 1) * DAY_S
    retrofit = first + RETROFIT_DAY * DAY_S
    log.info("demo history: %d readings of %s over %d days, retrofit on %s saving %.0f kWh "
             "in the reporting period (the simulator's own figure)", len(readings), SITE,
             HISTORY_DAYS, _day(retrofit), true_saving_kwh(plan, retrofit, last_day + DAY_S))
    return {
        "id": RETROFIT_ID, "date": _day(retrofit),
        "description": f"chiller replaced: COP {COP_BEFORE} -> {spec.plant.cop_ref} at "
                       f"{spec.plant.ref_c:g} °C",
        "baseline": {"start": _day(first),
                     "end": _day(first + (BASELINE_DAYS - 1) * DAY_S)},
        "reporting": {"start": _day(retrofit), "end": _day(last_day)},
        "temperature": {"csv": str(weather)},
    }
