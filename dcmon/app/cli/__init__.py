"""The ``dcmon`` command line.

Commands are thin: they parse options, call the core, and print. Exit codes: 0 good, 1 the
input (config, profile, device) is bad, 2 usage errors (click's own). Each group of commands is
a module here; :func:`main` collects them.
"""

from __future__ import annotations

import click

from dcmon import __version__
from dcmon.app.cli import dashboards, devices, offline, report, retrofit, serve, statement
from dcmon.app.cli.logs import FORMATS, LEVELS, LogFormat, setup_logging


@click.group()
@click.version_option(__version__, prog_name="dcmon")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging (as --log-level debug).")
@click.option("--log-level", type=click.Choice(LEVELS), default="info", show_default=True,
              help="Least severe level logged.")
@click.option("--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for people; logfmt or json (one object per line) for collectors.")
def main(verbose: bool, log_level: str, log_format: LogFormat) -> None:
    """dcmon: data-centre energy and capacity monitor."""
    setup_logging("debug" if verbose else log_level, log_format)


for _command in (offline.check_config, devices.profiles, devices.poll, offline.pue,
                 offline.replay, offline.rules, offline.alerts, serve.run, serve.demo,
                 serve.simulate, dashboards.dashboards, report.report, retrofit.retrofit,
                 statement.statement):
    main.add_command(_command)
