"""``dcmon report capacity``: the capacity report as HTML, PDF, CSV or JSON, in Chinese or
English (docs/capacity.md).

From the state store of ``dcmon run`` (history only: live values are then missing and flagged
as stale), or from recorded readings (``--readings``, the replay format of docs/energy.md). A
running service serves the same HTML at ``/api/v1/reports/capacity``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from dcmon.app.cli.common import load_or_exit, site_or_exit
from dcmon.app.replay import capacity_from_readings, capacity_from_store
from dcmon.exporters.reports.capacity import (
    PdfError,
    render_csv,
    render_html,
    render_json,
    render_pdf,
)


@click.group()
def report() -> None:
    """Reports for people (capacity)."""


@report.command("capacity")
@click.option("--config", "config_file", required=True, type=click.Path(dir_okay=False))
@click.option("--site", default=None, help="One site (default: all).")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf", "csv", "json"]),
              default="html", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: standard output; required for pdf).")
@click.option("--readings", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Replay these JSON-lines readings instead of reading the state store.")
@click.option("--at", "at", type=float, default=None,
              help="Compute as of this Unix time (default: now, or the last replayed reading).")
def capacity(config_file: str, site: str | None, fmt: str, lang: str, output: str | None,
             readings: str | None, at: float | None) -> None:
    """Capacity per site, room and rack: load, feeds, failover, headroom, standard racks."""
    cfg, reg = load_or_exit(config_file)
    site_or_exit(cfg, site)
    if fmt == "pdf" and output is None:
        click.echo("--format pdf needs --output FILE", err=True)
        sys.exit(2)
    base = Path(config_file).resolve().parent
    if readings is not None:
        with open(readings, encoding="utf-8") as f:
            cap = capacity_from_readings(cfg, reg, f, readings, now=at)
    else:
        state = base / cfg.model.state_dir / "dcmon.sqlite"
        if not state.exists():
            click.echo(f"no state store at {state}: run `dcmon run --config {config_file}` "
                       "first, or give --readings", err=True)
            sys.exit(1)
        cap = capacity_from_store(cfg, state, at if at is not None else time.time())
    if fmt == "json":
        _write(render_json(cap, site), output)
    elif fmt == "csv":
        _write(render_csv(cap, site), output)
    elif fmt == "html":
        _write(render_html(cap, lang=lang, site=site, tz=cfg.model.api.zone()), output)
    else:
        assert output is not None
        try:
            render_pdf(render_html(cap, lang=lang, site=site, tz=cfg.model.api.zone()),
                       Path(output))
        except PdfError as exc:
            click.echo(f"dcmon report: {exc}", err=True)
            sys.exit(1)
        click.echo(f"wrote {output}", err=True)


def _write(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        # newline="" keeps the CSV's CRLF line ends as written.
        Path(output).write_text(text, encoding="utf-8", newline="")
        click.echo(f"wrote {output}", err=True)
