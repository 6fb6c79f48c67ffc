"""The simulated city's tenants, end to end: the demo's inventory (dcmon/sim/tenants.py)
validates, and after simulated hours of polling over SNMP and Modbus the new build's
statement splits the IT energy as the simulator's racks draw it and adds up to the site.

The simulator's racks share one load curve scaled by rack (rack i draws 0.6 + 0.1 i of its
rating), so the tenants' IT shares are known exactly: gov-data r01+r02 = 1.5 of 5.7, public
security r03+r04 = 1.9, health r05 = 1.1, unassigned r06 = 1.2. Counters step by 0.1 kWh,
hence the 3 % tolerance.
"""

from __future__ import annotations

import asyncio
import tempfile

import pytest

from dcmon import clock
from dcmon.app.inventory import parse_config
from dcmon.app.service import start_service, stop_service
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.tenants.model import Statement
from dcmon.engine.tenants.statement import statement
from dcmon.sim.city import SimulatedCity
from dcmon.sim.tenants import assign_tenants

SPEED = 3600.0
INTERVAL_S = 600.0
HOURS = 6


def _factor(config: object, site: str, at: float) -> tuple[float, str]:
    return 0.5, "test factor"


async def _run() -> dict[str, Statement]:
    city = SimulatedCity(speed=SPEED, events=True)
    await city.start()
    clock.use(city.clock)
    try:
        inv = assign_tenants(city.inventory(interval=INTERVAL_S, listen="127.0.0.1:0"))
        inv["state_dir"] = tempfile.mkdtemp(prefix="dcmon-tenants-")
        inv["api"] = {"enabled": False}
        inv["alerting"] = {"enabled": False}
        reg = ProfileRegistry.load()
        svc = start_service(parse_config(inv, "<city>", reg), reg)
        try:
            while clock.now() < city.clock.start + HOURS * 3600 + 2 * INTERVAL_S + 60:
                await asyncio.sleep(0.2)
            svc.hub.flush()
            now = clock.now()
            out = {site: statement(svc.hub.config, svc.hub.engine, site, None, now, _factor,
                                   svc.hub.calc.settle_s())
                   for site in ("muni-new", "edge-hospital")}
        finally:
            await stop_service(svc)
    finally:
        clock.use(None)
        await city.stop()
    return out


@pytest.fixture(scope="module")
def statements() -> dict[str, Statement]:
    return asyncio.run(_run())


def test_it_shares_follow_the_racks(statements: dict[str, Statement]) -> None:
    st = statements["muni-new"]
    lines = {x.tenant: x for x in st.lines}
    assert list(lines) == ["gov-data", "public-security", "health", "unassigned"]
    assert lines["unassigned"].racks == ("hall-1/r06",)
    assert st.total.it_kwh > 0
    for tenant, weight in (("gov-data", 1.5), ("public-security", 1.9), ("health", 1.1),
                           ("unassigned", 1.2)):
        assert lines[tenant].it_kwh / st.total.it_kwh == pytest.approx(weight / 5.7, rel=0.03)


@pytest.mark.parametrize("site", ["muni-new", "edge-hospital"])
def test_statement_adds_up_to_the_site(statements: dict[str, Statement], site: str) -> None:
    st = statements[site]
    cents = lambda x: round(x * 100)  # noqa: E731
    for col in ("it_kwh", "overhead_kwh", "total_kwh", "co2_kg", "cost"):
        assert sum(cents(getattr(x, col)) for x in st.lines) == cents(getattr(st.total, col))
    assert st.total.overhead_kwh > 0 and st.total.cost is not None and st.total.cost > 0
    assert st.currency == "CNY" and st.factor_sources == ("test factor",)


def test_hospital_owns_its_edge_room(statements: dict[str, Statement]) -> None:
    lines = {x.tenant: x for x in statements["edge-hospital"].lines}
    assert lines["hospital"].racks == ("hall-1/r01", "hall-1/r02")
    assert lines["unassigned"].it_kwh == 0.0 and lines["unassigned"].racks == ()
