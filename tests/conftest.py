"""Shared pytest fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Make `tests.support` importable whatever pytest's import mode (tests/ has no __init__.py and
# the repo root is not on sys.path when pytest runs as the `pytest` script).
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support import librenms  # noqa: E402
from tests.support.snmpsim import (  # noqa: E402
    TEST_V3_USERS,
    SnmpSim,
    SnmpsimNotInstalledError,
    start_snmpsim,
    unavailable,
)


@pytest.fixture(scope="session")
def librenms_dir() -> Path:
    """The LibreNMS reference folder ``<shared>/devices/librenms``; skips when it is absent."""
    path = librenms.librenms_dir()
    if path is None:
        pytest.skip(
            "LibreNMS recordings absent: expected <repo>/../shared/devices/librenms "
            "(or set DCMON_SHARED_DIR to the 'shared' folder)"
        )
    return path


@pytest.fixture(scope="session")
def snmpsim_librenms(librenms_dir: Path) -> Iterator[SnmpSim]:
    """One snmpsim per session serving every LibreNMS recording on 127.0.0.1.

    v2c community / v3 context name = recording name; v3 users are ``TEST_V3_USERS``.
    Skips when snmpsim is not installed (fails instead under ``CI=true``).
    """
    try:
        sim = start_snmpsim(librenms_dir / "snmpsim", v3_users=TEST_V3_USERS)
    except SnmpsimNotInstalledError as exc:
        unavailable(f"snmpsim not installed: run scripts/install-test-deps.sh ({exc})")
    with sim:
        yield sim
