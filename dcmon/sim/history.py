"""Simulated history before the demo starts: months of one site's metering, with a retrofit.

A verified retrofit saving needs a baseline of weeks and a reporting period after it, which a
live demo at 120x would take days of wall time to build. So ``dcmon demo`` writes this history
into its state store before the service starts: hourly counter readings of the site's meters
from ``days`` days before the start up to the start, and the weather of those days as the CSV
that the retrofit's verification reads (docs/retrofit.md).

The physics is the simulator's own (:class:`~dcmon.sim.physics.Plant`: facility = IT x (1 +
losses) + fixed + cooling, cooling = heat / COP(T)), on a load that grows and dips at weekends
and a weather with a season and day-to-day swings, so the baseline has conditions to learn from.
Before the retrofit day the plant's chiller had the COP ``cop_before``; from that day on it is
the site's live plant, so the history runs on into the live demo. The difference is the saving
that verification must find (:func:`true_saving_kwh`).

Each history series continues into the live one: a reading has the shape of the device's own
first live reading (device, metric, level, labels, reset marker), and its value is that
reading's value minus the energy between the history time and the live reading, so the energy
engine sees one counter, read hourly before the start and every poll after it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from dcmon.model import Reading
from dcmon.sim.physics import DAY_S, LoadCurve, Plant

HOUR = 3600.0


@dataclass(frozen=True)
class SeasonalWeather:
    """Outdoor °C: a season that runs from winter to summer over the first half of
    ``period_days`` and back, AR(1) day-to-day swings, and a day's sine; every value a function
    of time and ``seed``. The season follows the history, not the calendar, so the demo's
    baseline (winter to summer) spans the weather of its reporting period (summer to autumn)
    whatever the date it runs on: a projection within the baseline's conditions."""

    first_day: float
    days: int
    seed: int = 2026
    mean_c: float = 15.0
    season_c: float = 9.0
    period_days: float = 180.0
    diurnal_c: float = 4.0
    swings: tuple[float, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rng, swing, swings = random.Random(self.seed), 0.0, []
        for _ in range(self.days + 1):
            swing = 0.7 * swing + rng.gauss(0, 1.5)
            swings.append(swing)
        object.__setattr__(self, "swings", tuple(swings))

    def temperature(self, t: float) -> float:
        day = (t - self.first_day) / DAY_S
        d = min(max(int(day), 0), self.days)
        hour = (t % DAY_S) / HOUR
        return (self.mean_c - self.season_c * math.cos(2 * math.pi * day / self.period_days)
                + self.swings[d] + self.diurnal_c * math.sin(2 * math.pi * (hour - 9) / 24))


@dataclass(frozen=True)
class HistoryPlan:
    """What to simulate: ``days`` before ``end`` (the demo's start), a retrofit on
    ``retrofit_day`` (days after the first) that replaced a chiller of COP ``cop_before`` by
    the live ``plant``'s, the IT load growing by ``growth``."""

    end: float
    days: int
    retrofit_day: int
    it_base_w: float
    plant: Plant
    cop_before: float
    growth: float = 0.12
    seed: int = 2026

    @property
    def first(self) -> float:
        """Midnight (UTC) ``days`` days before the day of ``end``."""
        return self.end - self.end % DAY_S - self.days * DAY_S

    def weather(self) -> SeasonalWeather:
        return SeasonalWeather(self.first, self.days + 1, self.seed)

    def it_w(self, t: float) -> float:
        day = (t - self.first) / DAY_S
        weekend = dt.datetime.fromtimestamp(t, dt.UTC).weekday() >= 5
        daily = LoadCurve(self.it_base_w).power(t) / self.it_base_w
        return (self.it_base_w * (1 + self.growth * day / max(self.days, 1)) * daily
                * (0.94 if weekend else 1.0))

    def plant_at(self, t: float) -> Plant:
        before = t < self.first + self.retrofit_day * DAY_S
        return replace(self.plant, cop_ref=self.cop_before) if before else self.plant


def true_saving_kwh(plan: HistoryPlan, start: float, end: float) -> float:
    """The cooling energy the old chiller would have used in [start, end) beyond the new one's
    (the saving built in), by the midpoint of each hour."""
    weather, old = plan.weather(), replace(plan.plant, cop_ref=plan.cop_before)
    total, t = 0.0, start
    while t + HOUR <= end:
        mid = t + HOUR / 2
        it, temp = plan.it_w(mid), weather.temperature(mid)
        total += (old.cooling_w(it, temp) - plan.plant_at(mid).cooling_w(it, temp)) * HOUR
        t += HOUR
    return total / 3.6e6


def hourly_energy(plan: HistoryPlan) -> list[tuple[float, float, float, float]]:
    """(hour start, IT J, facility J, cooling J) of every hour from ``first`` to ``end``,
    by the midpoint of each hour."""
    weather = plan.weather()
    out = []
    t = plan.first
    while t + HOUR <= plan.end:
        mid = t + HOUR / 2
        it, temp, plant = plan.it_w(mid), weather.temperature(mid), plan.plant_at(mid)
        out.append((t, it * HOUR, plant.facility_w(it, temp) * HOUR,
                    plant.cooling_w(it, temp) * HOUR))
        t += HOUR
    return out


def history_readings(plan: HistoryPlan, live: Iterable[Reading],
                     role: Mapping[str, tuple[str, float]]) -> list[Reading]:
    """Hourly readings that end in each ``live`` counter reading (taken at the start).

    ``role``: device -> ("it" | "facility" | "cooling", share of that energy it meters). A
    counter of another role or direction (an export register) keeps its value: no energy.
    """
    hours = hourly_energy(plan)
    col = {"it": 1, "facility": 2, "cooling": 3}
    out: list[Reading] = []
    for r in live:
        what, share = role.get(r.device, ("", 0.0))
        if r.kind != "counter" or r.unit != "J" or not what:
            continue
        if r.labels.get("direction", "import") != "import":
            share = 0.0
        # Backwards from the live reading: the energy metered after each hour (the minutes
        # between the start and the live reading are booked with the first live hour).
        after = 0.0
        values = []
        for h in reversed(hours):
            values.append((h[0] + HOUR, r.value - after))
            after += share * h[col[what]]
        values.append((hours[0][0] if hours else plan.first, r.value - after))
        out.extend(replace(r, value=v, ts=ts) for ts, v in reversed(values) if ts < r.ts)
    out.sort(key=lambda x: x.ts)
    return out


def weather_csv(plan: HistoryPlan) -> str:
    """The history's weather, hourly, in the format docs/retrofit.md gives."""
    weather = plan.weather()
    lines = ["timestamp,outdoor_c"]
    t = plan.first
    while t < plan.end:
        stamp = dt.datetime.fromtimestamp(t + HOUR / 2, dt.UTC).isoformat()
        lines.append(f"{stamp},{weather.temperature(t + HOUR / 2):.2f}")
        t += HOUR
    return "\n".join(lines) + "\n"
