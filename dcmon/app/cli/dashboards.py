"""``dcmon dashboards build|push``: Grafana dashboards as code (dashboards/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dcmon.exporters.grafana.cli import build_command, push_command


@click.group()
def dashboards() -> None:
    """Grafana dashboards as code (exporters/grafana, dashboards/README.md)."""


@dashboards.command("build")
@click.option("--out", "out_dir", default="dashboards/json", show_default=True,
              type=click.Path(file_okay=False), help="Directory for the JSON files.")
def dashboards_build(out_dir: str) -> None:
    """Write one JSON file per dashboard (what Grafana's file provisioning reads)."""
    sys.exit(build_command(Path(out_dir)))


@dashboards.command("push")
@click.option("--url", required=True, help="Grafana's base URL, e.g. http://localhost:3000.")
@click.option("--token", envvar="DCMON_GRAFANA_TOKEN", default=None,
              help="Service-account token (or env DCMON_GRAFANA_TOKEN).")
@click.option("--folder", default="dcmon", show_default=True,
              help="Folder title; '' for the General folder.")
def dashboards_push(url: str, token: str | None, folder: str) -> None:
    """Upload every dashboard through Grafana's HTTP API (replaces the same uid)."""
    sys.exit(push_command(url, token, folder or None))
