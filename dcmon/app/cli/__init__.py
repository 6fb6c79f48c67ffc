"""The ``dcmon`` command line.

Commands are thin: they parse options, call the core, and print. Exit codes: 0 good, 1 the
input (config, profile, device) is bad, 2 usage errors (click's own). Each group of commands is
a module here; :func:`main` collects them.
"""

from __future__ import annotations

import logging

import click

from dcmon import __version__
from dcmon.app.cli import dashboards, devices, offline, report, serve


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # pysnmp and apscheduler are chatty at INFO; their news is not the operator's.
    for noisy in ("apscheduler", "pysnmp", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # "skipped: maximum number of running instances reached" is the no-overlap rule working
    # (a dead device's poll outlasting its interval); the health log already says it is down.
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)


@click.group()
@click.version_option(__version__, prog_name="dcmon")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """dcmon: data-centre energy and capacity monitor."""
    _setup_logging(verbose)


for _command in (offline.check_config, devices.profiles, devices.poll, offline.pue,
                 offline.replay, offline.rules, offline.alerts, serve.run, serve.demo,
                 serve.simulate, dashboards.dashboards, report.report):
    main.add_command(_command)
