"""``dcmon statement``: the tenants' monthly energy statement (docs/tenants.md).

From the store of ``dcmon run`` (``--config``: its ``state_dir``) or from recorded readings
(``--readings``, the replay format of docs/energy.md); Markdown in Chinese or English, CSV or
JSON. The CO2 column uses the inventory's grid emission factors (docs/carbon.md: the site's, else
the city's, else the national average); ``--grid-factor`` replaces them with one value (kg CO2
per kWh) for the whole month.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from dcmon.app.cli.common import fail, load_or_exit, site_or_exit
from dcmon.app.paths import state_path
from dcmon.app.statements import statement_from_readings, statement_from_store
from dcmon.engine.carbon.factors import constant_factor
from dcmon.engine.carbon.factors import grid_factor as grid_factor_of
from dcmon.engine.tenants.model import Statement
from dcmon.engine.tenants.statement import GridFactor
from dcmon.exporters.reports.statement import render_csv, render_json, render_markdown


@click.command("statement")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False),
              help="The inventory (its state_dir holds the store of dcmon run).")
@click.option("--site", default=None, help="One site (default: every site with a topology).")
@click.option("--month", default=None, help="YYYY-MM in the site's time zone (default: the "
                                            "month of the last whole hour, so far).")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json"]), default="md",
              show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: standard output).")
@click.option("--readings", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Replay these JSON-lines readings instead of reading the state store.")
@click.option("--at", "at", type=float, default=None,
              help="As of this Unix time (default: now, or the last replayed reading).")
@click.option("--grid-factor", type=click.FloatRange(0, 10), default=None,
              help="Grid emission factor, kg CO2 per kWh, for the CO2 column (default: the "
                   "inventory's grid factors, else the national average).")
@click.option("--grid-factor-source", default="given with --grid-factor", show_default=True,
              help="Where the factor comes from, printed on the statement.")
def statement(config_file: str, site: str | None, month: str | None, fmt: str, lang: str,
              output: str | None, readings: str | None, at: float | None,
              grid_factor: float | None, grid_factor_source: str) -> None:
    """Per tenant and month: IT energy, overhead share, CO2 and cost, adding up to the site."""
    cfg, reg = load_or_exit(config_file)
    site_or_exit(cfg, site)
    factor: GridFactor = (grid_factor_of if grid_factor is None
                          else constant_factor(grid_factor, grid_factor_source))
    sites = [s.id for s in cfg.model.sites if s.energy is not None and site in (None, s.id)]
    if not sites:
        fail([f"{config_file}: no site with an energy topology: no statement"])
    store = state_path(cfg)
    if readings is None and not store.exists():
        fail([f"no state store at {store}: run `dcmon run --config {config_file}` first, or "
              "give --readings"])
    out: list[Statement] = []
    for sid in sites:
        try:
            if readings is not None:
                with open(readings, encoding="utf-8") as f:
                    out.append(statement_from_readings(cfg, reg, f, readings, sid, month,
                                                       factor, at))
            else:
                now = at if at is not None else time.time()
                out.append(statement_from_store(cfg, store, sid, month, now, factor))
        except ValueError as exc:
            fail([f"dcmon statement: {exc}"])
    text = (render_json(out) + "\n" if fmt == "json" else render_csv(out) if fmt == "csv"
            else "\n".join(render_markdown(st, lang) for st in out))
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8", newline="")
        click.echo(f"wrote {output}", err=True)
    sys.exit(0)
