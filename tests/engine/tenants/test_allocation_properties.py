"""The hourly allocation, on random sites: whatever the loads, prices and factors, the lines
carry the site's facility energy, cost and CO2 between them, each line's hour carries the
site's PUE of that hour, and the rounded statement adds up to the unit."""

from __future__ import annotations

import random

import pytest

from dcmon.config.tenants import UNASSIGNED
from dcmon.engine.tenants.hourly import KWH_J, SiteHours
from dcmon.engine.tenants.statement import allocate


def _site(rng: random.Random, lines: int, hours: int) -> SiteHours:
    out = SiteHours()
    names = [f"t{i}" for i in range(lines)] + [UNASSIGNED]
    for h in range(hours):
        hour = 1767225600.0 + 3600 * h
        idle = rng.random() < 0.1  # some hours without IT energy
        for name in names:
            out.lines.setdefault(name, {})[hour] = 0.0 if idle else rng.uniform(0, 5) * KWH_J
        out.it[hour] = sum(out.lines[n][hour] for n in names)
        out.facility[hour] = out.it[hour] * rng.uniform(1.05, 2.0) + rng.uniform(0, 1) * KWH_J
    return out


@pytest.mark.parametrize("seed", range(25))
def test_lines_carry_the_site(seed: int) -> None:
    rng = random.Random(seed)
    site = _site(rng, rng.randint(1, 8), rng.randint(1, 72))
    prices = {h: ("peak" if rng.random() < 0.5 else "valley", rng.uniform(0.2, 1.5))
              for h in site.hours()}
    factors = {h: rng.uniform(0.3, 0.9) for h in site.hours()}
    exact, unpriced, gaps = allocate(site, prices.get, factors.__getitem__)
    assert unpriced == [] and gaps == 0
    facility = sum(site.facility.values())
    assert sum(e.total_j for e in exact.values()) == pytest.approx(facility, rel=1e-9)
    assert sum(e.it_j for e in exact.values()) == pytest.approx(sum(site.it.values()),
                                                                rel=1e-9)
    cost = sum(site.facility[h] / KWH_J * prices[h][1] for h in site.hours())
    assert sum(e.cost for e in exact.values()) == pytest.approx(cost, rel=1e-9)
    co2 = sum(site.facility[h] / KWH_J * factors[h] for h in site.hours())
    assert sum(e.co2_kg for e in exact.values()) == pytest.approx(co2, rel=1e-9)


def test_each_hour_at_its_pue() -> None:
    """Two hours, one line drawing only in the first: it carries the first hour's PUE."""
    site = SiteHours()
    site.lines = {"a": {0.0: 2 * KWH_J, 3600.0: 0.0}, UNASSIGNED: {0.0: 2 * KWH_J,
                                                                    3600.0: 4 * KWH_J}}
    site.it = {0.0: 4 * KWH_J, 3600.0: 4 * KWH_J}
    site.facility = {0.0: 6 * KWH_J, 3600.0: 8 * KWH_J}  # PUE 1.5, then 2.0
    exact, _, _ = allocate(site, lambda h: ("flat", 1.0), None)
    assert exact["a"].total_j / KWH_J == pytest.approx(3.0)  # 2 kWh x 1.5
    assert exact[UNASSIGNED].total_j / KWH_J == pytest.approx(11.0)  # 2 x 1.5 + 4 x 2.0


@pytest.mark.parametrize("seed", range(25))
def test_no_line_is_billed_below_its_own_it_energy(seed: int) -> None:
    """Facility meters silent or reading below IT in some hours (a metering gap): those hours
    carry the month's PUE over its complete hours, so no line's total falls below its IT."""
    rng = random.Random(seed)
    site = _site(rng, rng.randint(1, 8), rng.randint(2, 72))
    gap_hours = [h for h in site.hours() if site.it[h] > 0 and rng.random() < 0.3]
    good = [h for h in site.hours() if h not in gap_hours and site.it[h] > 0]
    pue = (sum(site.facility[h] for h in good) / sum(site.it[h] for h in good)) if good else None
    for h in gap_hours:
        if rng.random() < 0.5:
            del site.facility[h]
        else:
            site.facility[h] = site.it[h] * 0.5
    exact, _, gaps = allocate(site, lambda h: ("flat", 1.0), None)
    assert gaps == len(gap_hours)
    for e in exact.values():
        assert e.total_j >= e.it_j * (1 - 1e-12)
    attributed = sum(site.facility.get(h, 0.0) for h in site.hours() if h not in gap_hours)
    attributed += sum(site.it[h] * (pue if pue is not None else 1.0) for h in gap_hours)
    assert sum(e.total_j for e in exact.values()) == pytest.approx(attributed, rel=1e-9)


def test_gap_hour_by_hand() -> None:
    """Hour 1 at PUE 1.5; hour 2's facility meter read 1 kWh for 4 kWh of IT: its overhead is
    4 x 0.5 = 2 kWh, not -3 kWh, and line a (all of hour 2's IT) is billed 6 kWh, not 1."""
    site = SiteHours()
    site.lines = {"a": {0.0: 0.0, 3600.0: 4 * KWH_J}, UNASSIGNED: {0.0: 4 * KWH_J,
                                                                    3600.0: 0.0}}
    site.it = {0.0: 4 * KWH_J, 3600.0: 4 * KWH_J}
    site.facility = {0.0: 6 * KWH_J, 3600.0: 1 * KWH_J}
    exact, _, gaps = allocate(site, lambda h: ("flat", 1.0), None)
    assert gaps == 1
    assert exact["a"].total_j / KWH_J == pytest.approx(6.0)
    assert exact[UNASSIGNED].total_j / KWH_J == pytest.approx(6.0)
    del site.facility[0.0]  # no complete hour: no PUE, gap overhead 0
    exact, _, gaps = allocate(site, lambda h: ("flat", 1.0), None)
    assert gaps == 2
    assert exact["a"].total_j / KWH_J == pytest.approx(4.0)
