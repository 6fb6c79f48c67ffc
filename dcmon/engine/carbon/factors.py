"""Grid emission factors: the factor for a site at a moment, and the text that says its source.

A CO2 figure is only as credible as its factor, so every figure carries the factor's source.
The factor is chosen by the calendar year of the moment in the site's time zone: the site's own
list first (a provincial or supplier factor), else the city's (``carbon.grid_factors``, by
default the national averages). Factors are published two or more years late, so a year after
the latest listed one uses the latest, and the source text says that it was carried forward.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from dcmon.config.carbon import NATIONAL_GRID, GridFactor
from dcmon.config.resolved import Config


def site_timezone(config: Config, site_id: str) -> str:
    """The site's time zone for calendar years and months (its energy topology's)."""
    site = next((s for s in config.model.sites if s.id == site_id), None)
    return site.energy.timezone if site is not None and site.energy is not None else "UTC"


def factor_list(config: Config, site_id: str) -> list[GridFactor]:
    """The grid factors that apply to a site: its own, else the city's, else the national."""
    site = next((s for s in config.model.sites if s.id == site_id), None)
    if site is not None and site.carbon is not None and site.carbon.grid_factors:
        return list(site.carbon.grid_factors)
    return list(config.model.carbon.grid_factors) or list(NATIONAL_GRID)


def factor_for_year(factors: list[GridFactor], year: int) -> tuple[GridFactor, str]:
    """The factor of ``year``, or the nearest year's, with its source text saying which."""
    ordered = sorted(factors, key=lambda f: f.year)
    exact = next((f for f in ordered if f.year == year), None)
    if exact is not None:
        return exact, exact.source
    before = [f for f in ordered if f.year < year]
    if before:
        f = before[-1]
        return f, f"{f.source}; the latest listed ({f.year}), applied to {year}"
    f = ordered[0]
    return f, f"{f.source}; the earliest listed ({f.year}), applied to {year}"


def grid_factor(config: Config, site_id: str, at: float) -> tuple[float, str]:
    """kg CO2 per kWh of grid electricity at site ``site_id`` at Unix time ``at``, and its
    source text."""
    year = datetime.fromtimestamp(at, ZoneInfo(site_timezone(config, site_id))).year
    f, source = factor_for_year(factor_list(config, site_id), year)
    return f.kg_per_kwh, source


def constant_factor(kg_per_kwh: float, source: str) -> Callable[[Config, str, float],
                                                                  tuple[float, str]]:
    """A factor the user gives for one run (``--grid-factor``): the same at every site and
    time, with the source text the user states, in place of :func:`grid_factor`."""
    def factor(_config: Config, _site: str, _at: float) -> tuple[float, str]:
        return kg_per_kwh, source
    return factor


def residual_factor(config: Config, site_id: str, at: float) -> tuple[float, str]:
    """The factor for grid kWh *not* covered by certificates or contracts (market-based
    accounting): the published factor without market-traded non-fossil electricity where one
    is given, else the grid factor."""
    year = datetime.fromtimestamp(at, ZoneInfo(site_timezone(config, site_id))).year
    f, source = factor_for_year(factor_list(config, site_id), year)
    if f.residual_kg_per_kwh is None:
        return f.kg_per_kwh, source
    return f.residual_kg_per_kwh, f"{source} (without market-traded non-fossil electricity)"
