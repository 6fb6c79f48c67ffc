"""``dcmon dashboards build`` and ``dcmon dashboards push``: printing and exit codes.

Kept apart from the command group (dcmon/app/cli/dashboards.py) so the SDK and
grafana-client (the ``dashboards`` extra) are imported only when a dashboards command runs: a
missing extra is one clear line, not a traceback at ``dcmon --help``.
"""

from __future__ import annotations

from pathlib import Path

import click

MISSING = ("dcmon dashboards needs grafana-foundation-sdk and grafana-client: "
           "pip install 'dcmon[dashboards]'")


def build_command(out_dir: Path) -> int:
    """Write the JSON files and list them; 0 on success."""
    try:
        from dcmon.exporters.grafana.build import write_all
    except ImportError as exc:
        click.echo(f"{MISSING} ({exc})", err=True)
        return 1
    for path in write_all(out_dir):
        click.echo(str(path))
    return 0


def push_command(url: str, token: str | None, folder: str | None) -> int:
    """Upload every dashboard; one line per dashboard, 1 with Grafana's reason on failure."""
    try:
        from dcmon.exporters.grafana.build import build_all
        from dcmon.exporters.grafana.push import PushError, public_url, push
    except ImportError as exc:
        click.echo(f"{MISSING} ({exc})", err=True)
        return 1
    try:
        pushed = push(url, build_all(), token=token, folder=folder)
    except PushError as exc:
        click.echo(str(exc), err=True)
        return 1
    where = f"folder {folder!r}" if folder else "the General folder"
    base = public_url(url).rstrip("/")
    for p in pushed:
        version = f" v{p.version}" if p.version is not None else ""
        click.echo(f"{p.uid}  {p.title}{version}  {base}{p.url}")
    click.echo(f"{len(pushed)} dashboard(s) pushed to {where}")
    return 0
