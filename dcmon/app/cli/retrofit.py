"""``dcmon retrofit``: the verified savings of each declared retrofit (docs/retrofit.md)."""

from __future__ import annotations

import json
import sys
import time

import click

from dcmon.app.cli.common import fail, load_or_exit, site_or_exit
from dcmon.app.paths import state_path
from dcmon.engine.carbon.factors import constant_factor
from dcmon.engine.carbon.factors import grid_factor as grid_factor_of
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.mv.report import GridFactor, MvReport
from dcmon.engine.mv.run import retrofit_reports, settled
from dcmon.engine.mv.sensor import FILE as TEMPERATURE_FILE
from dcmon.engine.mv.sensor import TemperatureLog
from dcmon.engine.store import Store


def report_lines(r: MvReport) -> list[str]:
    """A report as people read it: the fit, the saving with its uncertainty, the PUEs."""
    lines = [f"retrofit {r.retrofit} at {r.site} ({r.date}): {r.description or '-'}",
             f"  baseline  {r.baseline_points} {r.granularity} points "
             f"({r.baseline_skipped} left out), reporting {r.reporting_points} "
             f"({r.reporting_skipped} left out)"]
    if r.cv_rmse is not None and r.nmbe is not None:
        lines.append(f"  fit       CV(RMSE) {r.cv_rmse:.2%} (max {r.max_cv_rmse:.0%}), NMBE "
                     f"{r.nmbe:+.2%} (max ±{r.max_nmbe:.1%}), R² {r.r2:.3f}, "
                     f"autocorrelation {r.autocorrelation:+.2f}")
    if r.status != "ok":
        lines.append(f"  {r.status.upper()}: {r.reason}")
        return lines
    assert r.avoided_kwh is not None and r.uncertainty_kwh is not None
    conf = f"{r.confidence:.0%} confidence"
    lines.append(f"  avoided   {r.avoided_kwh:,.0f} kWh ± {r.uncertainty_kwh:,.0f} ({conf}); "
                 f"{r.savings_fraction or 0:.1%} of the projected {r.projected_kwh:,.0f} kWh"
                 + ("" if r.significant else "; NOT significant (uncertainty over half the "
                                             "saving)"))
    if r.avoided_co2_kg is not None and r.co2_uncertainty_kg is not None:
        lines.append(f"  avoided   {r.avoided_co2_kg / 1000:,.2f} t CO2 ± "
                     f"{r.co2_uncertainty_kg / 1000:,.2f} ({r.co2_factor_source})")
    lines.append(f"  PUE       measured before {r.pue_before:.3f}, after {r.pue_after:.3f} "
                 "(naive: weather and load differ)")
    for n in (r.normalised_reporting, r.normalised_baseline):
        if n is None:
            continue
        label = f"at {n.conditions} conditions"
        if n.before is None or n.after is None:
            lines.append(f"  PUE       {label}: not stated: {n.reason}")
        else:
            lines.append(f"  PUE       {label}: {n.before:.3f} without the retrofit, "
                         f"{n.after:.3f} with it")
    if r.outside_range > 0:
        lines.append(f"  note      {r.outside_range:.0%} of reporting points lie outside the "
                     "baseline's range of temperature or IT energy (extrapolated)")
    return lines


@click.command()
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))
@click.option("--site", default=None)
@click.option("--id", "retrofit", default=None, help="One retrofit (default: all).")
@click.option("--grid-factor", type=click.FloatRange(0, 10), default=None,
              help="kg CO2 per kWh of grid electricity for the avoided CO2 (default: the "
                   "inventory's grid factors, else the national average; docs/carbon.md).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def retrofit(config_file: str, site: str | None, retrofit: str | None,
             grid_factor: float | None, fmt: str) -> None:
    """Verified savings of the inventory's retrofits, from the state store of ``dcmon run``.

    Exit 0 when every report is verified, 1 when one is refused (the reason is printed)."""
    cfg, _ = load_or_exit(config_file)
    site_or_exit(cfg, site)
    state = state_path(cfg)
    if not state.exists():
        fail([f"no state store at {state}: run `dcmon run --config {config_file}` first"])
    store = Store(state)
    log_path = state.parent / TEMPERATURE_FILE  # outdoor sensors, kept by `dcmon run`
    temps = TemperatureLog(log_path, list) if log_path.exists() else None
    try:
        factor: GridFactor = (grid_factor_of if grid_factor is None else constant_factor(
            grid_factor, f"{grid_factor} kg CO2/kWh (--grid-factor)"))
        engine = EnergyEngine(cfg, store)  # a day counts once its last hour has settled
        reports = retrofit_reports(cfg, engine, settled(cfg, engine, time.time()), factor,
                                   site, retrofit, temps)
    finally:
        store.close()
        if temps is not None:
            temps.close()
    if not reports:
        fail(["no retrofit declared (sites[].retrofits, docs/retrofit.md)"
              + (f" matching --id {retrofit}" if retrofit else "")])
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in reports], indent=2))
    else:
        click.echo("\n\n".join("\n".join(report_lines(r)) for r in reports))
    sys.exit(0 if all(r.status == "ok" for r in reports) else 1)
