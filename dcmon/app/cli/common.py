"""What every command shares: loading the inventory or saying why not, and printing problems.

Exit codes: 0 good, 1 the input (config, profile, device) is bad, 2 usage errors (click's own).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click

from dcmon.app.inventory import load_with_profiles
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.errors import ConfigError, Problem


def fail(problems: Iterable[Problem | str], code: int = 1) -> NoReturn:
    """Print one line per problem on standard error and exit."""
    for p in problems:
        click.echo(str(p), err=True)
    sys.exit(code)


def registry_or_exit(dirs: Iterable[Path | str] = ()) -> ProfileRegistry:
    """The built-in profiles plus ``dirs``, or every profile problem and exit 1."""
    try:
        return ProfileRegistry.load(Path(d) for d in dirs)
    except ConfigError as exc:
        fail(exc.problems)


def load_or_exit(config_file: str, *, secrets: bool = False) -> tuple[Config, ProfileRegistry]:
    """The inventory and its profiles (built-in plus ``profile_dirs``), or its problems and
    exit 1. ``secrets``: also read every env and file secret (the service needs them; the
    offline commands do not)."""
    try:
        return load_with_profiles(config_file, secrets=secrets)
    except ConfigError as exc:
        fail(exc.problems)


def site_or_exit(config: Config, site: str | None) -> None:
    """Exit 1 naming the known sites when ``--site`` names none of the inventory's: an empty
    table with exit 0 would read as "nothing to report" for a typo."""
    known = [s.id for s in config.model.sites]
    if site is not None and site not in known:
        fail([f"unknown site {site!r} (known: {', '.join(known) or 'none'})"])
