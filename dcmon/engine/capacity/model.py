"""Typed capacity results: rack, room, site and city, each with its data-quality flags.

Plain frozen dataclasses, like the PUE results: the API publishes them as its schema, the
Prometheus collector and the report read them, so every channel tells the same numbers. A value
that could not be measured is ``None`` and flagged, never 0: a rack without metering must not
look empty (docs/capacity.md, "Data quality").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Quality:
    """How far a figure can be trusted.

    ``coverage``: share of the history window's meter-hours present (None: no meters).
    ``stale``: devices whose latest reading is missing, from a device that is down, or older
    than ``capacity.stale_after_intervals`` poll intervals. ``flags``: named conditions
    (docs/capacity.md lists them).
    """

    coverage: float | None = None
    stale: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.stale and not self.flags


@dataclass(frozen=True)
class Headroom:
    """What can still be added, per limit and overall, in kW and standard racks.

    ``kw`` is the smallest known limit and ``binding`` names it (power, cooling, space); a
    limit that cannot be computed is None and left out of the minimum (and flagged).
    """

    power_kw: float | None = None
    cooling_kw: float | None = None
    space_kw: float | None = None
    kw: float | None = None
    std_racks: float | None = None
    binding: str | None = None


@dataclass(frozen=True)
class FeedCapacity:
    """One feed (A or B) of a rack against its breaker, derated."""

    feed: str
    devices: tuple[str, ...]
    breaker_a: float | None
    voltage: float | None
    phases: int | None
    rated_kw: float | None
    derated_a: float | None
    derated_kw: float | None
    #: Live current (A): the highest phase, or derived from power (flag current_derived).
    current_a: float | None
    power_kw: float | None
    #: Peak power over the history window (hourly rollups).
    peak_kw: float | None
    current_utilisation: float | None
    power_utilisation: float | None
    quality: Quality = field(default_factory=Quality)


@dataclass(frozen=True)
class Failover:
    """Would the surviving feed exceed its derated rating if the other one failed?

    ``ratio`` is (A + B) / the weaker survivor's derated rating, in amps when both currents are
    known, else in kW (``basis``). ``peak_ratio`` repeats the test with the history peaks.
    ``ok`` is None when it cannot be checked (one feed, no ratings, no readings; see ``reason``).
    """

    checked: bool
    ok: bool | None
    basis: str | None = None
    load: float | None = None
    limit: float | None = None
    ratio: float | None = None
    peak_ratio: float | None = None
    survivor: str | None = None
    reason: str = ""
    #: ``reason`` as a stable code and its parameters (``reason`` stays the English text):
    #: not_ab_pair, no_breaker_rating (feed), no_live_readings, peak_only, survivor_over
    #: (failed, survivor, load, limit, unit), peak_over.
    reason_code: str = ""
    reason_args: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class DailyPeak:
    """One day's peak load (kW); ``day`` is the day's start (Unix s, UTC)."""

    day: float
    kw: float


@dataclass(frozen=True)
class Forecast:
    """Days until the load trend reaches the limit (power, or cooling if lower).

    A least-squares line through daily peaks (kW against days); ``r2`` is the quality of the
    fit. ``status``: ok, full (already at the limit), not_growing, insufficient_data,
    no_limit.
    """

    status: str
    points: int = 0
    slope_kw_per_day: float | None = None
    intercept_kw: float | None = None
    r2: float | None = None
    limit_kw: float | None = None
    limit: str | None = None
    days_until_full: float | None = None
    reason: str = ""
    #: ``reason`` as a stable code and its parameters: few_points (points, needed),
    #: no_spread, no_limit, trend_at_limit (limit), not_growing.
    reason_code: str = ""
    reason_args: dict[str, float | int | str] = field(default_factory=dict)
    #: The daily peaks the line was fitted through (also what the report's trend chart draws).
    daily: tuple[DailyPeak, ...] = ()


@dataclass(frozen=True)
class RackCapacity:
    site: str
    room: str
    rack: str
    name: str
    metered: bool
    now_kw: float | None
    p95_kw: float | None
    peak_kw: float | None
    #: The load utilisation and headroom use: ``basis`` says which (peak, p95, now).
    load_kw: float | None
    basis: str | None
    rated_kw: float | None
    #: What the rack can carry: its rating, and with A/B feeds what one derated feed carries.
    usable_kw: float | None
    utilisation: float | None
    u_total: int | None
    u_used: int | None
    u_free: int | None
    std_racks_measured: float | None
    std_racks_provisioned: float | None
    in_use: bool | None
    feeds: tuple[FeedCapacity, ...]
    failover: Failover
    headroom: Headroom
    quality: Quality = field(default_factory=Quality)


@dataclass(frozen=True)
class Totals:
    """Sums over racks (metered racks only for measured figures; see quality)."""

    racks_installed: int = 0
    racks_metered: int = 0
    racks_in_use: int = 0
    racks_unknown: int = 0
    #: racks in use / racks whose state is known (unmetered racks are not counted as empty).
    occupancy: float | None = None
    now_kw: float | None = None
    load_kw: float | None = None
    rated_kw: float | None = None
    power_capacity_kw: float | None = None
    cooling_capacity_kw: float | None = None
    heat_load_kw: float | None = None
    cooling_utilisation: float | None = None
    utilisation: float | None = None
    u_total: int = 0
    u_used: int = 0
    std_racks_measured: float | None = None
    std_racks_provisioned: float | None = None
    std_racks_in_use: float | None = None
    racks_failover_at_risk: int = 0


@dataclass(frozen=True)
class RoomCapacity:
    site: str
    room: str
    name: str
    totals: Totals
    headroom: Headroom
    forecast: Forecast
    racks: tuple[RackCapacity, ...]
    quality: Quality = field(default_factory=Quality)


@dataclass(frozen=True)
class SiteCapacity:
    site: str
    name: str
    totals: Totals
    headroom: Headroom
    forecast: Forecast
    rooms: tuple[RoomCapacity, ...]
    quality: Quality = field(default_factory=Quality)


@dataclass(frozen=True)
class CitySettings:
    """The settings the figures were computed with, so a reader can redo them."""

    standard_rack_kw: float
    derating: float
    in_use_threshold_kw: float
    basis: str
    history_days: int
    percentile: float
    city_goal_racks: int


@dataclass(frozen=True)
class CityCapacity:
    computed: float
    settings: CitySettings
    std_racks_in_use: float
    std_racks_measured: float
    std_racks_provisioned: float
    goal_racks: int
    goal_ratio: float
    totals: Totals
    sites: tuple[SiteCapacity, ...]
    quality: Quality = field(default_factory=Quality)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
