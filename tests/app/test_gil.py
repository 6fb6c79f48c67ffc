"""dcmon run shortens the interpreter's switch interval (dcmon/app/gil.py), never lengthens it."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from dcmon.app.gil import SWITCH_INTERVAL_S, tune_switch_interval


@pytest.fixture
def restore() -> Iterator[None]:
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("restore")
def test_default_interval_is_shortened() -> None:
    sys.setswitchinterval(0.005)  # CPython's default
    assert tune_switch_interval() == pytest.approx(SWITCH_INTERVAL_S)
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)


@pytest.mark.usefixtures("restore")
def test_a_shorter_interval_is_kept() -> None:
    sys.setswitchinterval(0.0001)
    assert tune_switch_interval() == pytest.approx(0.0001)
