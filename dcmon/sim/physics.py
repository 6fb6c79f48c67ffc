"""The simulated site's physics: IT load on a daily curve, and energy that agrees with power.

Everything is a pure function of (simulated) time, so a test can compute what a meter must read
at any moment, and energy counters are exact integrals of the power curve rather than a running
sum that drifts with poll timing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class LoadCurve:
    """Power (W) = base × (1 + amplitude × sin(2π (t - peak + 6 h) / 24 h)), peaking at ``peak_h``.

    The integral has a closed form, so energy counters agree with power to the joule.
    """

    base_w: float
    amplitude: float = 0.15
    peak_h: float = 14.0

    def power(self, t: float) -> float:
        return self.base_w * (1.0 + self.amplitude * math.sin(self._phase(t)))

    def energy(self, t0: float, t1: float) -> float:
        """Joules between t0 and t1 (exact integral of :meth:`power`)."""
        return self._integral(t1) - self._integral(t0)

    def _integral(self, t: float) -> float:
        w = 2 * math.pi / DAY_S
        return self.base_w * (t - self.amplitude * math.cos(self._phase(t)) / w)

    def _phase(self, t: float) -> float:
        return 2 * math.pi * ((t % DAY_S) - (self.peak_h - 6.0) * 3600.0) / DAY_S


class SimClock:
    """Simulated time: starts at the wall time and runs ``speed`` times faster."""

    def __init__(self, start: float, speed: float = 1.0) -> None:
        import time

        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self.start = start
        self.speed = speed

    def now(self) -> float:
        import time

        return self.start + (time.monotonic() - self._mono0) * self.speed
