"""What the carbon calculator returns: one CUE/REF figure and one WUE figure per site and window.

Frozen dataclasses, like :class:`~dcmon.engine.pue.PueResult`, with the inputs an auditor needs
beside each value: the energy by source, the fuel, the certificates counted, the factor and its
source, coverage, and, when a value is withheld, why (as text and as a stable code).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class CarbonResult:
    """CUE (ISO/IEC 30134-8) and REF (ISO/IEC 30134-3) of one site over one window."""

    site: str
    window: str
    start: float
    end: float
    status: str  # "ok" | "withheld" | "metering_fault"
    reason: str
    coverage: float
    it_kwh: float
    facility_kwh: float
    #: E_DC by source: grid = E_DC - renewable - generators.
    grid_kwh: float
    renewable_kwh: float
    generator_kwh: float
    #: Certificate and contract MWh prorated to the window (as kWh), and the part of it that
    #: could be counted (at most the grid kWh).
    certificate_kwh: float
    certificate_used_kwh: float
    diesel_litres: float
    #: Location-based: every grid kWh at the grid factor, plus the fuel's CO2.
    co2_kg: float
    #: Market-based: grid kWh not covered by certificates at the residual factor, plus fuel.
    co2_market_kg: float
    diesel_co2_kg: float
    #: The grid factor over the window (kg CO2/kWh, weighted by grid kWh when a window spans
    #: two years) and its source.
    grid_factor: float
    grid_factor_source: str
    cue: float | None
    cue_market: float | None
    ref: float | None
    interim: bool
    reason_code: str = ""
    reason_args: dict[str, float | int | str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WaterResult:
    """WUE (ISO/IEC 30134-9): site water in litres per kWh of IT energy over one window."""

    site: str
    window: str
    start: float
    end: float
    status: str  # "ok" | "withheld"
    reason: str
    coverage: float
    water_m3: float
    it_kwh: float
    wue: float | None
    meters: int
    interim: bool
    reason_code: str = ""
    reason_args: dict[str, float | int | str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
