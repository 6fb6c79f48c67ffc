"""Monthly statements: each tenant's IT energy, its share of the overhead, CO2 and cost.

The rule, hour by hour (docs/tenants.md has the reasoning and a worked example):

- a tenant's IT energy is its racks' IT meters' energy; the rest of the site's IT energy
  (racks without a tenant, IT meters outside racks) is the ``unassigned`` line;
- the hour's overhead, facility minus IT energy, is split between the lines in proportion to
  their IT energy in that hour: each line carries the site's PUE of that hour. Overhead of an
  hour without IT energy (IT meters silent) is split by the lines' IT energy over the month;
  an hour whose facility energy is missing or below IT (a metering gap) has its overhead at the
  month's PUE (:func:`month_pue`), or none without one, and a ``facility_gap`` note;
- CO2 is the line's energy (IT + overhead) of each hour times the grid factor at that hour,
  and cost is that energy times the tariff's price for the hour (time-of-use by the local hour
  of the site), so the overhead is charged at the hours it was drawn.

Every sum is kept exact until the end, then rounded once by largest remainder
(:mod:`.rounding`): the lines add up to the site's total in every column, to the unit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dcmon.config.inventory import Site
from dcmon.config.resolved import Config
from dcmon.config.tenants import SITE_TOTAL, UNASSIGNED, Tariff
from dcmon.engine.energy import HOUR
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.pue import PueCalculator
from dcmon.engine.tenants.hourly import KWH_J, SiteHours, site_hours
from dcmon.engine.tenants.model import Note, PeriodLine, Statement, StatementLine
from dcmon.engine.tenants.rounding import apportion, from_units

#: ``grid_factor(config, site_id, at)`` -> (kg CO2 per kWh of grid electricity, its source).
GridFactor = Callable[[Config, str, float], tuple[float, str]]

#: Statement units: energy in 0.01 kWh, CO2 in 0.01 kg, money in 0.01 of the currency.
KWH_UNIT = 0.01
CO2_UNIT = 0.01
MONEY_UNIT = 0.01


@dataclass
class _Exact:
    """One line's unrounded sums over the month (energy in J)."""

    it_j: float = 0.0
    total_j: float = 0.0
    co2_kg: float = 0.0
    cost: float = 0.0
    period_j: dict[str, float] = field(default_factory=dict)
    period_cost: dict[str, float] = field(default_factory=dict)

    def book(self, it_j: float, total_j: float, period: str | None, price: float | None,
             factor: float | None) -> None:
        self.it_j += it_j
        self.total_j += total_j
        if factor is not None:
            self.co2_kg += total_j / KWH_J * factor
        if period is not None and price is not None:
            self.period_j[period] = self.period_j.get(period, 0.0) + total_j
            cost = total_j / KWH_J * price
            self.cost += cost
            self.period_cost[period] = self.period_cost.get(period, 0.0) + cost


def month_bounds(month: str, tz: str) -> tuple[float, float]:
    """[start, end) of calendar month ``YYYY-MM`` in time zone ``tz``."""
    try:
        y, m = (int(x) for x in month.split("-"))
        first = datetime(y, m, 1, tzinfo=ZoneInfo(tz))
    except ValueError:
        raise ValueError(f"{month!r} is not a month (YYYY-MM)") from None
    nxt = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=ZoneInfo(tz))
    return first.timestamp(), nxt.timestamp()


class Prices:
    """The tariff's (period, price) for an hour, by the site's local date and hour."""

    def __init__(self, tariffs: list[Tariff], tz: str) -> None:
        self.zone = ZoneInfo(tz)
        self.tariffs = sorted(tariffs, key=lambda t: t.effective)
        self.tables = [t.price_by_hour() for t in self.tariffs]

    def at(self, ts: float) -> tuple[str, float] | None:
        local = datetime.fromtimestamp(ts, self.zone)
        found = None
        for t, table in zip(self.tariffs, self.tables, strict=True):
            if t.effective <= local.date():
                found = table[local.hour]
        return found

    def in_effect(self, start: float, end: float) -> list[Tariff]:
        first, last = (datetime.fromtimestamp(x, self.zone).date() for x in (start, end - 1))
        starts = [t.effective for t in self.tariffs] + [date.max]
        return [t for i, t in enumerate(self.tariffs)
                if t.effective <= last and starts[i + 1] > first]


def month_pue(hours: SiteHours) -> float | None:
    """Facility over IT energy of the month's complete hours (both metered, facility at least
    IT); None when there is none: the PUE a metering gap's overhead is charged at."""
    fac = it = 0.0
    for hour, it_h in hours.it.items():
        f = hours.facility.get(hour)
        if it_h > 0 and f is not None and f >= it_h:
            fac, it = fac + f, it + it_h
    return fac / it if it > 0 else None


def allocate(hours: SiteHours, price: Callable[[float], tuple[str, float] | None],
             factor: Callable[[float], float] | None
             ) -> tuple[dict[str, _Exact], list[float], int]:
    """Each line's exact month, hour by hour; the hours that had no tariff; and the number of
    facility-gap hours (facility energy missing or below IT: overhead at the month's PUE)."""
    out = {line: _Exact() for line in hours.lines}
    month_it = {line: sum(h.values()) for line, h in hours.lines.items()}
    it_total = sum(month_it.values())
    pue = month_pue(hours)
    unpriced: list[float] = []
    gaps = 0
    for hour in hours.hours():
        it_h = hours.it.get(hour, 0.0)
        facility = hours.facility.get(hour)
        if it_h > 0 and (facility is None or facility < it_h):  # a gap, not negative cooling
            gaps += 1
            overhead = it_h * (pue - 1) if pue is not None else 0.0
        else:
            overhead = (facility or 0.0) - it_h
        tariff = price(hour)
        if tariff is None:
            unpriced.append(hour)
        f = factor(hour) if factor is not None else None
        for line, energy in hours.lines.items():
            mine = energy.get(hour, 0.0)
            if it_h > 0:
                share = mine / it_h
            elif it_total > 0:
                share = month_it[line] / it_total
            else:
                share = 1.0 if line == UNASSIGNED else 0.0
            period, rate = tariff if tariff is not None else (None, None)
            out[line].book(mine, mine + overhead * share, period, rate, f)
    return out, unpriced, gaps


@dataclass(frozen=True)
class _Names:
    zh: str
    en: str
    cost_centre: str = ""


def _names(config: Config) -> dict[str, _Names]:
    names = {t.id: _Names(t.name.zh, t.name.en, t.cost_centre or "")
             for t in config.model.tenants}
    names[UNASSIGNED] = _Names("未分配机架", "Unassigned racks")
    names[SITE_TOTAL] = _Names("站点合计", "Site total")
    return names


def _round_lines(exact: dict[str, _Exact], racks: dict[str, list[str]], config: Config,
                 co2: bool, cost: bool, periods: list[str]) -> list[StatementLine]:
    """The lines and the total, rounded so every column adds up exactly."""
    ids = list(exact)
    col = {name: [getattr(exact[i], name) for i in ids]
           for name in ("it_j", "total_j", "co2_kg", "cost")}
    it = apportion(sum(col["it_j"]) / KWH_J, [x / KWH_J for x in col["it_j"]], KWH_UNIT)
    total = apportion(sum(col["total_j"]) / KWH_J, [x / KWH_J for x in col["total_j"]],
                      KWH_UNIT)
    kg = apportion(sum(col["co2_kg"]), col["co2_kg"], CO2_UNIT)
    money = apportion(sum(col["cost"]), col["cost"], MONEY_UNIT)
    names = _names(config)
    lines: list[StatementLine] = []
    sums = {"kwh": dict.fromkeys(periods, 0), "cost": dict.fromkeys(periods, 0)}
    for n, line in enumerate(ids):
        e = exact[line]
        pk = apportion(from_units(total[n], KWH_UNIT),
                       [e.period_j.get(p, 0.0) / KWH_J for p in periods], KWH_UNIT)
        pc = apportion(from_units(money[n], MONEY_UNIT),
                       [e.period_cost.get(p, 0.0) for p in periods], MONEY_UNIT)
        for p, a, b in zip(periods, pk, pc, strict=True):
            sums["kwh"][p] += a
            sums["cost"][p] += b
        lines.append(_line(line, names[line], tuple(racks.get(line, [])), it[n], total[n],
                           kg[n] if co2 else None, money[n] if cost else None,
                           [(p, a, b if cost else None) for p, a, b in
                            zip(periods, pk, pc, strict=True)]))
    site = _line(SITE_TOTAL, names[SITE_TOTAL], (), sum(it), sum(total),
                 sum(kg) if co2 else None, sum(money) if cost else None,
                 [(p, sums["kwh"][p], sums["cost"][p] if cost else None) for p in periods])
    return [*lines, site]


def _line(tenant: str, names: _Names, racks: tuple[str, ...], it: int, total: int,
          kg: int | None, money: int | None, periods: list[tuple[str, int, int | None]]
          ) -> StatementLine:
    return StatementLine(
        tenant=tenant, name_zh=names.zh, name_en=names.en, cost_centre=names.cost_centre,
        racks=racks, it_kwh=from_units(it, KWH_UNIT),
        overhead_kwh=from_units(total - it, KWH_UNIT), total_kwh=from_units(total, KWH_UNIT),
        co2_kg=None if kg is None else from_units(kg, CO2_UNIT),
        cost=None if money is None else from_units(money, MONEY_UNIT),
        periods=tuple(PeriodLine(p, from_units(k, KWH_UNIT),
                                 None if c is None else from_units(c, MONEY_UNIT))
                      for p, k, c in periods))


def _period_names(tariffs: list[Tariff]) -> list[str]:
    names: dict[str, None] = {}
    for t in tariffs:
        names.update(dict.fromkeys(p for p, _ in t.price_by_hour()) if t.price is not None
                     else dict.fromkeys(p.name for p in t.periods))
    return list(names)


def statement(config: Config, engine: EnergyEngine, site_id: str, month: str | None,
              now: float, grid_factor: GridFactor | None = None, settle: float = 0.0
              ) -> Statement:
    """The statement of ``site_id`` for calendar month ``YYYY-MM`` (local; None: the month
    of the last whole hour), up to the last whole hour at least ``settle`` seconds before
    ``now`` when the month is still running. ValueError when the site is unknown, has no
    energy topology, or the month has not begun."""
    site = _site(config, site_id)
    assert site.energy is not None
    tz = site.energy.timezone
    settled = now - settle
    settled -= settled % HOUR
    month = month or datetime.fromtimestamp(settled - 1, ZoneInfo(tz)).strftime("%Y-%m")
    start, month_end = month_bounds(month, tz)
    end = min(month_end, settled)
    if end <= start:
        raise ValueError(f"month {month} has no whole hour before now at site {site_id!r}")
    hours = site_hours(config, engine, site, start, end)
    prices = Prices(list(site.tariffs), tz)
    sources: dict[str, None] = {}

    def factor(ts: float) -> float:
        assert grid_factor is not None
        value, source = grid_factor(config, site.id, ts)
        sources[source] = None
        return value

    exact, unpriced, gaps = allocate(hours, prices.at, factor if grid_factor else None)
    keep = {k: v for k, v in exact.items() if k == UNASSIGNED or hours.racks.get(k)}
    exact = {k: keep[k] for k in [*[k for k in keep if k != UNASSIGNED], UNASSIGNED]}
    in_effect = prices.in_effect(start, end)
    lines = _round_lines(exact, hours.racks, config, grid_factor is not None,
                         not unpriced, _period_names(in_effect))
    pue = PueCalculator(config, engine).compute(site.id, site.energy, f"month:{month}",
                                                start, end)
    return Statement(
        site=site.id, site_name=site.name or site.id, month=month, start=start, end=end,
        timezone=tz, complete=end == month_end,
        currency=in_effect[0].currency if in_effect else None, lines=tuple(lines[:-1]),
        total=lines[-1], pue=pue.value, pue_status=pue.status, coverage=pue.coverage,
        factor_sources=tuple(sources), tariffs=tuple(_describe(t) for t in in_effect),
        notes=tuple(_notes(hours, unpriced, grid_factor is None, site, tz)
                    + _gap_notes(gaps, month_pue(hours))
                    + ([Note("pue", f"site PUE over the month {pue.status}: {pue.reason}",
                             {"status": pue.status, "reason_code": pue.reason_code,
                              "reason_args": dict(pue.reason_args), "reason": pue.reason})]
                       if pue.reason else [])))


def _site(config: Config, site_id: str) -> Site:
    site = next((s for s in config.model.sites if s.id == site_id), None)
    if site is None:
        known = ", ".join(s.id for s in config.model.sites) or "none"
        raise ValueError(f"unknown site {site_id!r} (known: {known})")
    if site.energy is None:
        raise ValueError(f"site {site_id!r} has no energy topology: no statement")
    return site


def _describe(t: Tariff) -> str:
    if t.price is not None:
        return f"from {t.effective}: flat {t.price:g} {t.currency}/kWh"
    parts = ", ".join(f"{p.name} {'+'.join(p.hours)} {p.price:g}" for p in t.periods)
    return f"from {t.effective}: {parts} {t.currency}/kWh"


def _gap_notes(gaps: int, pue: float | None) -> list[Note]:
    """Hours whose facility energy was missing or below IT: the site line is then the energy
    attributed, not the facility meters' reading."""
    if not gaps:
        return []
    basis = f"the month's PUE {pue:.3f}" if pue is not None else "0 (the month has no PUE)"
    return [Note("facility_gap", f"{gaps} hour(s) had facility energy missing or below IT "
                 f"energy (a metering gap): their overhead is charged at {basis}, so the site "
                 "line is the energy attributed, not the facility meters' reading",
                 {"hours": gaps, "pue": None if pue is None else round(pue, 3)})]


def _notes(hours: SiteHours, unpriced: list[float], no_factor: bool, site: Site, tz: str
           ) -> list[Note]:
    notes = [] if hours.hours() else [
        Note("no_energy", "no energy was recorded at the site in this period")]
    notes += [Note("unmetered_tenant", f"tenant {t!r} has racks here but none of their devices "
                   "is an IT meter of the site: its energy is in the unassigned line",
                   {"tenant": t}) for t in hours.unmetered]
    if unpriced and site.tariffs:
        first = datetime.fromtimestamp(unpriced[0], ZoneInfo(tz)).isoformat()
        notes.append(Note("unpriced", f"no cost: {len(unpriced)} hour(s) have no tariff in "
                          f"effect (first {first}): add a tariff to the site",
                          {"hours": len(unpriced), "first": first}))
    elif unpriced:
        notes.append(Note("no_tariff", "no cost: the site has no tariff"))
    if no_factor:
        notes.append(Note("no_factor", "no CO2: no grid emission factor was given"))
    return notes
