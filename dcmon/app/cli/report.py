"""``dcmon report capacity``: the capacity report as HTML, PDF, CSV or JSON, in Chinese or
English (docs/capacity.md).

From the state of ``dcmon run``: the history in its store and the latest readings it writes to
``state_dir/live-readings.jsonl`` every results run (dcmon/app/live.py), so the report beside a
running service shows what the service knows; or from a running service's API (``--url``,
``/api/v1/reports/capacity``); or from recorded readings (``--readings``, the replay format of
docs/energy.md).
"""

from __future__ import annotations

import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import click

from dcmon.app.cli.common import load_or_exit, site_or_exit
from dcmon.app.live import LIVE_FILE, read_live
from dcmon.app.replay import capacity_from_readings, capacity_from_store
from dcmon.config.resolved import Config
from dcmon.engine.capacity.model import CityCapacity
from dcmon.engine.results import RESULTS_INTERVAL_S
from dcmon.exporters.reports.capacity import (
    PdfError,
    render_csv,
    render_html,
    render_json,
    render_pdf,
    summarise,
)

#: Live readings older than this (three missed results runs) mean the service is not writing.
LIVE_MAX_AGE_S = 3 * RESULTS_INTERVAL_S


@click.group()
def report() -> None:
    """Reports for people (capacity)."""


@report.command("capacity")
@click.option("--config", "config_file", default=None, type=click.Path(dir_okay=False),
              help="The inventory (its state_dir holds the store and the live readings).")
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
@click.option("--url", default=None,
              help="Ask a running service's API instead (http://host:9640); no --config needed.")
@click.option("--token-env", default="DCMON_API_TOKEN", show_default=True,
              help="Environment variable holding the API token for --url.")
def capacity(config_file: str | None, site: str | None, fmt: str, lang: str,
             output: str | None, readings: str | None, at: float | None, url: str | None,
             token_env: str) -> None:
    """Capacity per site, room and rack: load, feeds, failover, headroom, standard racks.

    Beside a running service, the figures are the service's: its store's history and the
    latest readings it writes to state_dir every minute (or its API's, with --url)."""
    if fmt == "pdf" and output is None:
        click.echo("--format pdf needs --output FILE", err=True)
        sys.exit(2)
    if url is not None:
        _from_api(url, token_env, site=site, fmt=fmt, lang=lang, output=output)
        return
    if config_file is None:
        click.echo("give --config FILE (or --url of a running service)", err=True)
        sys.exit(2)
    cfg, reg = load_or_exit(config_file)
    site_or_exit(cfg, site)
    if readings is not None:
        with open(readings, encoding="utf-8") as f:
            cap = capacity_from_readings(cfg, reg, f, readings, now=at)
    else:
        cap = _from_state(cfg, config_file, at)
    _say_stale(cap, site)
    if fmt == "json":
        _write(render_json(cap, site), output)
    elif fmt == "csv":
        _write(render_csv(cap, site), output)
    elif fmt == "html":
        _write(render_html(cap, lang=lang, site=site, tz=cfg.model.api.zone()), output)
    else:
        _pdf(render_html(cap, lang=lang, site=site, tz=cfg.model.api.zone()), output)


def _from_state(cfg: Config, config_file: str, at: float | None) -> CityCapacity:
    """The store's history plus the live readings ``dcmon run`` keeps beside it."""
    state = Path(config_file).resolve().parent / cfg.model.state_dir
    if not (state / "dcmon.sqlite").exists():
        click.echo(f"no state store at {state / 'dcmon.sqlite'}: run `dcmon run --config "
                   f"{config_file}` first, or give --readings", err=True)
        sys.exit(1)
    live = read_live(state / LIVE_FILE)
    now = at if at is not None else time.time()
    if live is None:
        click.echo(f"no live readings in {state} (the service writes them every "
                   f"{RESULTS_INTERVAL_S:g} s): loads now are missing, their inputs stale",
                   err=True)
    elif live.age_s(now) > LIVE_MAX_AGE_S:
        click.echo(f"the live readings in {state} are {live.age_s(now) / 60:.0f} min old: is "
                   "`dcmon run` running? Readings past their devices' stale age are flagged",
                   err=True)
    elif at is None:
        # Fresh: the figures as of the service's last results run, as its API serves them
        # (with a poll interval of seconds, readings are stale a minute after that run).
        now = live.written
        click.echo(f"as of the service's last results run, {live.age_s():.0f} s ago", err=True)
    return capacity_from_store(cfg, state / "dcmon.sqlite", now,
                               readings=live.readings if live else None)


def _say_stale(cap: CityCapacity, site: str | None) -> None:
    """One line on standard error when inputs are stale: the count and the first few."""
    stale = [d for s in cap.sites if site in (None, s.site) for d in s.quality.stale]
    if stale:
        click.echo(f"stale inputs: {summarise(stale)}", err=True)


def _from_api(url: str, token_env: str, *, site: str | None, fmt: str, lang: str,
              output: str | None) -> None:
    """The report as the running service computes it (GET /api/v1/reports/capacity)."""
    token = os.environ.get(token_env)
    if not token:
        click.echo(f"--url needs an API token in the environment variable {token_env}",
                   err=True)
        sys.exit(2)
    base = url.rstrip("/")
    base = base if base.endswith("/api/v1") else base + "/api/v1"
    query = {"format": "html" if fmt == "pdf" else fmt, "lang": lang}
    if site is not None:
        query["site"] = site
    req = urllib.request.Request(f"{base}/reports/capacity?{urllib.parse.urlencode(query)}",
                                 headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        click.echo(f"dcmon report: {base}/reports/capacity answered {exc.code}: {detail}",
                   err=True)
        sys.exit(1)
    except (urllib.error.URLError, OSError) as exc:
        click.echo(f"dcmon report: cannot reach {base}: {getattr(exc, 'reason', exc)}",
                   err=True)
        sys.exit(1)
    if fmt == "pdf":
        _pdf(body, output)
    else:
        _write(body, output)


def _pdf(html: str, output: str | None) -> None:
    assert output is not None
    try:
        render_pdf(html, Path(output))
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
