"""What a monthly statement says: frozen results that the API, CSV and the statement print."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Note:
    """A note as a stable code with its parameters, so a statement can say it in Chinese;
    ``text`` is the English. Codes: no_energy, unmetered_tenant (tenant), unpriced (hours,
    first), no_tariff, no_factor, facility_gap (hours, pue: None when the month has none),
    pue (status, reason_code, reason_args, reason)."""

    code: str
    text: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PeriodLine:
    """A line's energy and cost in one tariff period (peak, flat, valley...)."""

    period: str
    kwh: float
    cost: float | None


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One tenant's month at one site (or the unassigned racks, or the site's total).

    ``total_kwh`` = ``it_kwh`` + ``overhead_kwh`` exactly, and every column of the lines adds
    up exactly to the site's line (docs/tenants.md, "Rounding").
    """

    tenant: str
    name_zh: str
    name_en: str
    cost_centre: str
    racks: tuple[str, ...]
    it_kwh: float
    overhead_kwh: float
    total_kwh: float
    #: None: no grid factor was given.
    co2_kg: float | None
    #: None: some hour of the month has no tariff in effect.
    cost: float | None
    periods: tuple[PeriodLine, ...] = ()


@dataclass(frozen=True)
class Statement:
    """One site's month: a line per tenant, the unassigned line, the total, and the basis."""

    site: str
    site_name: str
    #: ``YYYY-MM`` in the site's time zone, and the hours it covers [start, end).
    month: str
    start: float
    end: float
    timezone: str
    #: False while the month is still running (``end`` is then the last whole hour).
    complete: bool
    currency: str | None
    lines: tuple[StatementLine, ...]
    total: StatementLine
    #: The site's PUE and meter coverage over the same window (docs/energy.md).
    pue: float | None
    pue_status: str
    coverage: float
    #: Where the grid factor came from (one text per distinct source in the month).
    factor_sources: tuple[str, ...]
    #: The tariffs in effect during the month, as text.
    tariffs: tuple[str, ...]
    #: What a reader must know next to the figures (missing tariff, factor, coverage).
    notes: tuple[Note, ...] = field(default_factory=tuple)

    @property
    def note_texts(self) -> tuple[str, ...]:
        """The notes in English."""
        return tuple(n.text for n in self.notes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
