"""The throttle's sliding window on its own, with a clock the test advances.

Over HTTP it is tested in test_auth_throttle.py; here the exact edges: the 21st failure within
the window is throttled, throttled failures keep the address throttled, Retry-After is when the
oldest of the last 20 leaves the window, one log line per burst, and memory is bounded.
"""

from __future__ import annotations

import logging

import pytest

from dcmon.exporters.api.throttle import FailureThrottle


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_sliding_window_edges(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="dcmon.exporters.api.throttle")
    clock = Clock()
    th = FailureThrottle(limit=20, window_s=60, now=clock)
    for _ in range(20):  # 20 failures, one a second: all within the window
        assert th.failed("10.0.0.1") is None
        clock.t += 1
    # t = 1020: the 21st within 60 s, throttled and counted: the last 20 are 1001..1020, and
    # the oldest of them leaves the window at 1061.
    assert th.failed("10.0.0.1") == 41
    assert th.failed("10.0.0.2") is None  # per address
    clock.t = 1059.5  # still 20 within the window; now 1002..1020 and 1059.5: 1002 leaves
    assert th.failed("10.0.0.1") == 3  # at 1062, 2.5 s from now, rounded up
    clock.t = 1062
    assert th.failed("10.0.0.1") is None
    clock.t = 1200  # a whole window without failures: a fresh start
    assert [th.failed("10.0.0.1") for _ in range(21)] == [None] * 20 + [60]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and all("10.0.0.1" in m for m in lines)  # once per burst


def test_retry_after_is_when_a_wrong_token_gets_401_again() -> None:
    clock = Clock()
    th = FailureThrottle(limit=3, window_s=10, now=clock)
    for dt in (0, 1, 2):
        clock.t = 1000 + dt
        th.failed("a")
    clock.t = 1005
    wait = th.failed("a")  # the last 3: 1001, 1002, 1005; 1001 leaves at 1011
    assert wait == 6
    clock.t += wait
    assert th.failed("a") is None  # 1002, 1005 and now: at the limit, not over it


def test_memory_is_bounded() -> None:
    clock = Clock()
    th = FailureThrottle(limit=2, window_s=60, max_clients=100, now=clock)
    for i in range(1000):
        th.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(th._failures) == 100
    # The newest addresses are the ones kept: the last one's earlier failure still counts...
    assert [th.failed("10.0.3.231") for _ in range(2)] == [None, 60]
    # ... and the first one was forgotten: it starts afresh.
    assert [th.failed("10.0.0.0") for _ in range(3)] == [None, None, 60]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        FailureThrottle(limit=0)
    with pytest.raises(ValueError):
        FailureThrottle(window_s=0)
