"""Inventory schema for capacity: rack ratings and feeds, room cooling, and the ``capacity:`` block.

Kept apart from :mod:`dcmon.config.inventory` so capacity can grow without touching the shared
schema:
``config.py`` only adds these fields to ``Rack``, ``Room`` and ``ConfigModel``. The defaults are
the city's numbers (docs/domain.md §2: one standard rack = 2.5 kW, goal 5,000) and the
usual continuous-load derating of a breaker (80 %); every one of them is configurable because
the standard-rack figure is not verified against a primary text and sites derate differently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from dcmon.config.strict import Strict
from dcmon.errors import Problem


class FeedRating(Strict):
    """One feed (A or B) of a rack: its breaker and supply.

    ``voltage`` is line-to-neutral for one phase and line-to-line for three (230 V / 400 V in
    China), so the rated power is V x I (x sqrt(3) for three phases) x power factor.
    """

    breaker_a: float = Field(gt=0, le=10_000)
    voltage: float = Field(default=230.0, gt=0, le=100_000)
    phases: Literal[1, 3] = 1
    #: Power factor used to turn the breaker's VA into kW (1.0 = treat kVA as kW).
    power_factor: float = Field(default=1.0, gt=0, le=1)

    @property
    def rated_kw(self) -> float:
        """Power the breaker passes at its full rating, in kW."""
        root = math.sqrt(3) if self.phases == 3 else 1.0
        return self.voltage * self.breaker_a * root * self.power_factor / 1000.0


class RackFeeds(Strict):
    """``racks[].feeds``: the A and B feeds of a rack (either may be absent)."""

    A: FeedRating | None = None
    B: FeedRating | None = None

    def items(self) -> list[tuple[str, FeedRating]]:
        return [(n, f) for n, f in (("A", self.A), ("B", self.B)) if f is not None]


class CoolingUnit(Strict):
    """A cooling unit serving a room: its rated capacity, or the capacity it reports.

    With ``rated_kw`` the nameplate figure counts. Without it, the unit's live reading of
    ``metric`` (in W, narrowed by ``labels``) counts, e.g. a chiller's reported total capacity.
    """

    device: str = Field(min_length=1)
    rated_kw: float | None = Field(default=None, ge=0)
    metric: str = "cooling_capacity"
    labels: dict[str, str] = Field(default_factory=dict)


class CapacitySettings(Strict):
    """``capacity:`` settings; see docs/capacity.md for what each one changes."""

    #: kW of rack power that count as one standard rack (标准机架), docs/domain.md §2.
    standard_rack_kw: float = Field(default=2.5, gt=0)
    #: Share of a breaker's rating a feed may carry continuously.
    derating: float = Field(default=0.8, gt=0, le=1)
    #: A rack drawing more than this (kW, on the load basis) is in use (上架).
    in_use_threshold_kw: float = Field(default=0.5, ge=0)
    #: The city's goal of standard racks in use.
    city_goal_racks: int = Field(default=5000, ge=1)
    #: Days of hourly rollups behind the p95 and peak figures.
    history_days: int = Field(default=30, ge=1, le=400)
    percentile: float = Field(default=95.0, gt=0, le=100)
    #: Which load utilisation and headroom use: the history peak (safe for breakers, the
    #: default), its percentile, or the live reading.
    basis: Literal["peak", "p95", "now"] = "peak"
    #: Days of daily peaks the days-until-full forecast fits a line through.
    forecast_days: int = Field(default=90, ge=2, le=3650)
    #: Fewer daily points than this: no forecast (a line through 3 points says little).
    forecast_min_points: int = Field(default=7, ge=2)
    #: A reading older than this many poll intervals is stale.
    stale_after_intervals: float = Field(default=3.0, ge=1)
    #: History with less coverage than this is flagged ``low_coverage``.
    min_coverage: float = Field(default=0.9, ge=0, le=1)


def capacity_problems(sites: Iterable[object], device_ids: set[str], file: str
                      ) -> list[Problem]:
    """Inventory problems pydantic cannot see: unknown cooling devices, U space overfull."""
    problems: list[Problem] = []
    for si, site in enumerate(sites):
        for ri, room in enumerate(getattr(site, "rooms", [])):
            for ci, unit in enumerate(getattr(room, "cooling_units", [])):
                if unit.device not in device_ids:
                    problems.append(Problem(file, f"sites.{si}.rooms.{ri}.cooling_units.{ci}."
                                                  "device", f"unknown device {unit.device!r}"))
            for ki, rack in enumerate(getattr(room, "racks", [])):
                total, used = getattr(rack, "u_total", None), getattr(rack, "u_used", None)
                if total is not None and used is not None and used > total:
                    problems.append(Problem(file, f"sites.{si}.rooms.{ri}.racks.{ki}.u_used",
                                            f"u_used {used} exceeds u_total {total}"))
    return problems
