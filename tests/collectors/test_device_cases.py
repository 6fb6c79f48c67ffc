"""Every synthetic device case is auto-detected to its profile and read exactly as expected.

One snmpsim on 127.0.0.1 serves all of ``tests/cases/devices/`` (community = case folder name);
each case is polled as a ``profile: auto`` device of an inventory, through the same
:class:`~dcmon.collectors.snmp.device.SnmpDevices` as ``dcmon run`` (detection, the chosen
profile, the standard MIBs completing it). The readings must match ``expected.json`` one for
one (metric, labels, unit) with values within 1e-9 relative.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import device_cases
from tests.support.snmpsim import SnmpSim, SnmpsimNotInstalledError, unavailable

CASES = device_cases.case_names()


@pytest.fixture(scope="module")
def sim() -> Iterator[SnmpSim]:
    # Not pytest's tmp_path: its parents are private, and snmpsim runs as nobody under root.
    with tempfile.TemporaryDirectory(prefix="dcmon-device-cases-") as tmp:
        try:
            server = device_cases.serve(Path(tmp), CASES)
        except SnmpsimNotInstalledError as exc:
            unavailable(f"snmpsim not installed: run scripts/install-test-deps.sh ({exc})")
        with server:
            yield server


def test_there_are_cases() -> None:
    assert len(CASES) >= 70


@pytest.mark.parametrize("case", CASES)
def test_case_is_detected_and_read_exactly(sim: SnmpSim, case: str) -> None:
    want = device_cases.expected(case)
    found, (result,) = device_cases.poll_auto(sim.port, case)
    assert found is not None and found.profile is not None, result.errors
    assert found.profile.name == want["profile"], found.reason
    got = [r.as_dict() for r in result.readings]
    assert got, result.errors
    diff = device_cases.differences(want["readings"], got)
    assert not diff, "\n".join(diff)
