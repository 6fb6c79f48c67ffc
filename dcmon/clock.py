"""The data clock: the time readings are stamped with and every configured duration runs on.

In production this is the wall clock and nothing here matters. The demo and the tests run the
simulated city faster than real time (``--speed``); a simulated hour must then *be* an hour to
the engine, or a one-hour PUE window would hold sixty hours of simulated energy and an alert's
``for: 5m`` would mean five wall minutes. So, process-wide:

* readings, poll results, PUE windows, alert timing and capacity history use :func:`now`, which
  is simulated time when an accelerated clock is installed with :func:`use`;
* every interval in the config (poll interval, alert evaluation, ``for`` durations) is in data
  seconds; schedulers turn them into wall seconds with :func:`wall` (interval / speed);
* network timeouts and retry backoff stay on the wall clock: a device answers in wall time.

The clock is process-wide rather than passed around because it is a property of the run (one
simulated city per process), like the time zone, and every component must agree on it.
"""

from __future__ import annotations

import time


class Clock:
    """Data time that starts at ``start`` and runs ``speed`` times faster than the wall."""

    def __init__(self, start: float | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be > 0, got {speed}")
        self.start = time.time() if start is None else start
        self.speed = speed
        self._mono0 = time.monotonic()

        self._wall0 = time.time()

    def now(self) -> float:
        return self.start + (time.monotonic() - self._mono0) * self.speed

    def to_wall(self, data_time: float) -> float:
        """The wall time at which this clock read ``data_time`` (for peers that keep wall
        time, such as Alertmanager, which refuses an alert that starts after it ends)."""
        return self._wall0 + (data_time - self.start) / self.speed


class WallClock(Clock):
    """The real time (the default)."""

    def now(self) -> float:
        return time.time()

    def to_wall(self, data_time: float) -> float:
        return data_time


WALL = WallClock()
_current: Clock = WALL


def now() -> float:
    """Data time now (Unix seconds; simulated when an accelerated clock is installed)."""
    return _current.now()


def speed() -> float:
    return _current.speed


def wall(data_seconds: float) -> float:
    """Wall seconds that ``data_seconds`` of data time take."""
    return data_seconds / _current.speed


def to_wall(data_time: float) -> float:
    """Wall time of a data time (identity on the wall clock)."""
    return _current.to_wall(data_time)


def use(clock: Clock | None) -> None:
    """Install ``clock`` for this process (None: back to the wall clock)."""
    global _current
    _current = WALL if clock is None else clock


def current() -> Clock:
    return _current
