"""Commands that read an inventory and the state ``dcmon run`` keeps, without polling:
``check-config``, ``pue``, ``replay``, ``rules``, ``alerts``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from dcmon.app.cli.common import fail, load_or_exit, site_or_exit
from dcmon.app.inventory import load_with_profiles
from dcmon.app.paths import state_path
from dcmon.app.replay import replay as run_replay
from dcmon.config.resolved import Config, security
from dcmon.engine.ingest import EnergyEngine
from dcmon.engine.pue import PueCalculator, PueResult
from dcmon.engine.store import Store
from dcmon.errors import ConfigError
from dcmon.exporters.notify.cli import print_alerts
from dcmon.exporters.rules.cli import write_rules

CONFIG = click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))


@click.command("check-config")
@click.argument("file", type=click.Path(dir_okay=False))
def check_config(file: str) -> None:
    """Validate an inventory FILE: exit 0 when good, else print one line per problem."""
    try:
        cfg, _ = load_with_profiles(file, secrets=True)  # a missing secret is a problem here
    except ConfigError as exc:
        for p in exc.problems:
            click.echo(str(p))
        click.echo(f"{file}: {len(exc.problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(f"{file}: OK: {len(cfg.model.sites)} site(s), {len(cfg.devices)} device(s), "
               f"{len(cfg.credentials)} credential(s)")
    for name, cred in sorted(cfg.credentials.items()):
        click.echo(f"  credential {name}: {security(cred)}")
    for site in cfg.model.sites:
        _print_site_metering(cfg, site.id)


def _print_site_metering(cfg: Config, site_id: str) -> None:
    site = next(s for s in cfg.model.sites if s.id == site_id)
    m = cfg.metering(site_id)
    share = (f"{m.metered_racks}/{m.racks} racks ({m.metered_racks / m.racks:.0%})"
             if m.racks else "no racks")
    if site.energy is None:
        click.echo(f"  site {site_id}: no energy topology (no PUE); IT metering in {share}")
    elif m.category is not None:
        click.echo(f"  site {site_id}: PUE category {m.category} ({site.energy.it_level}), "
                   f"backed by the metering; IT metering in {share}")
    else:
        click.echo(f"  site {site_id}: PUE category none: {site.energy.it_level} claims "
                   f"category {m.claim}, not backed: {m.reason}; IT metering in {share}")


def _print_pue(results: list[PueResult]) -> None:
    head = f"{'SITE':14} {'ZONE':10} {'WINDOW':8} {'PUE':>7} {'CAT':>4} {'COVER':>6} " \
           f"{'IT kWh':>12} {'DC kWh':>12} {'LOAD':>6}  STATUS"
    click.echo(head)
    for r in results:
        pue = f"{r.value:.3f}" if r.value is not None else "-"
        load = f"{r.it_load_fraction:.0%}" if r.it_load_fraction is not None else "-"
        status = r.status + (" interim" if r.interim and r.status == "ok" else "")
        if r.reason:
            status += f": {r.reason}"
        click.echo(f"{r.site:14} {r.zone or '':10} {r.window:8} {pue:>7} "
                   f"{r.category_label:>4} {r.coverage:6.1%} {r.it_kwh:12.1f} "
                   f"{r.facility_kwh:12.1f} {load:>6}  {status}")
    unbacked = {r.site: r for r in results if r.category is None and r.category_claim}
    for site, r in unbacked.items():
        click.echo(f"site {site}: PUE category none: claims category {r.category_claim}, "
                   f"not backed: {r.category_reason}")


@click.command()
@CONFIG
@click.option("--site", default=None)
@click.option("--window", "windows", multiple=True,
              help="1h, 24h, 7d, 30d, 365d, month, month:YYYY-MM, year, year:YYYY "
                   "(repeatable; default: all rolling windows, this month and this year)")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def pue(config_file: str, site: str | None, windows: tuple[str, ...], fmt: str) -> None:
    """Energy-based PUE per site and window, from the state store of ``dcmon run``."""
    cfg, _ = load_or_exit(config_file)
    site_or_exit(cfg, site)
    if site is not None and all(s.energy is None for s in cfg.model.sites if s.id == site):
        fail([f"site {site!r} has no energy topology (sites[].energy, docs/energy.md): no PUE"])
    state = state_path(cfg)
    if not state.exists():
        fail([f"no state store at {state}: run `dcmon run --config {config_file}` first"])
    engine = EnergyEngine(cfg, Store(state))
    try:
        calc = PueCalculator(cfg, engine)  # a live store: only hours every meter has passed
        results = calc.results(time.time(), list(windows) or None, site, calc.settle_s())
    except ValueError as exc:
        fail([str(exc)], 2)
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        _print_pue(results)


@click.command()
@CONFIG
@click.argument("readings", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--store", "store_path", default=":memory:", show_default=True,
              help="SQLite file to keep the replayed state in.")
@click.option("--window", "windows", multiple=True, help="As for `dcmon pue` (repeatable).")
def replay(config_file: str, readings: str, store_path: str, windows: tuple[str, ...]) -> None:
    """Feed READINGS.jsonl (one Reading per line) through the engine and print JSON results."""
    cfg, reg = load_or_exit(config_file)
    try:
        if readings == "-":
            out = run_replay(cfg, reg, sys.stdin, "<stdin>", store_path,
                             windows=list(windows) or None)
        else:
            with open(readings, encoding="utf-8") as f:
                out = run_replay(cfg, reg, f, readings, store_path,
                                 windows=list(windows) or None)
    except ConfigError as exc:
        fail(exc.problems)
    click.echo(json.dumps(out, indent=2))


@click.command()
@CONFIG
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option("--sharded", is_flag=True,
              help="Alert on the PUE recorded from energy counters summed over shards.")
def rules(config_file: str, out_dir: str, sharded: bool) -> None:
    """Write Prometheus rules (rules.yml) and their promtool tests (rules_test.yml)."""
    cfg, _ = load_or_exit(config_file)
    for path in write_rules(cfg, Path(out_dir), sharded):
        click.echo(str(path))


@click.command()
@CONFIG
@click.option("--all", "include_resolved", is_flag=True, help="Also resolved alerts.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def alerts(config_file: str, include_resolved: bool, fmt: str) -> None:
    """List alerts from the state of ``dcmon run`` (<state_dir>/alerts.sqlite)."""
    cfg, _ = load_or_exit(config_file)
    sys.exit(print_alerts(cfg, include_resolved, fmt))
