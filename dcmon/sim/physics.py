"""The simulated site's physics: IT load on a daily curve, and energy that agrees with power.

Everything is a pure function of (simulated) time, so a test can compute what a meter must read
at any moment, and energy counters are exact integrals of the power curve rather than a running
sum that drifts with poll timing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from dcmon.clock import Clock

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


class PowerCurve(Protocol):
    """Power over (simulated) time and its exact-enough integral."""

    def power(self, t: float) -> float: ...

    def energy(self, t0: float, t1: float) -> float: ...


@dataclass(frozen=True, slots=True)
class Weather:
    """Outdoor dry-bulb temperature (°C): a daily sine, warmest at ``peak_h`` (mid-afternoon).

    The defaults are a late-autumn day in a temperate city: 8 °C before dawn, 20 °C at 15:00.
    """

    mean_c: float = 14.0
    amplitude_c: float = 6.0
    peak_h: float = 15.0

    def temperature(self, t: float) -> float:
        phase = 2 * math.pi * ((t % DAY_S) - (self.peak_h - 6.0) * 3600.0) / DAY_S
        return self.mean_c + self.amplitude_c * math.sin(phase)


@dataclass(frozen=True, slots=True)
class Plant:
    """A site's facility power from its IT load and the outdoor temperature.

    facility = IT × (1 + losses) + fixed + cooling, with cooling = heat / COP(T_out): every watt
    of IT and of distribution losses becomes heat, and the chiller's coefficient of performance
    falls as the outdoor air warms (``cop_per_c`` per °C above ``ref_c``). ``cop_ref`` None: no
    cooling modelled (a constant-ratio site). This is the simulator's own configuration from
    which its "true" PUE is computed (:meth:`SimulatedSite.expected_pue`).
    """

    loss_fraction: float = 0.32
    fixed_w: float = 0.0
    cop_ref: float | None = None
    cop_per_c: float = 0.0
    ref_c: float = 14.0
    cop_min: float = 1.5

    def cop(self, temp_c: float) -> float:
        if self.cop_ref is None:
            return math.inf
        return max(self.cop_min, self.cop_ref - self.cop_per_c * (temp_c - self.ref_c))

    def cooling_w(self, it_w: float, temp_c: float) -> float:
        return it_w * (1 + self.loss_fraction) / self.cop(temp_c)

    def facility_w(self, it_w: float, temp_c: float) -> float:
        return it_w * (1 + self.loss_fraction) + self.fixed_w + self.cooling_w(it_w, temp_c)


class Integrated:
    """Energy of any smooth power function: Simpson's rule on a fixed grid, cached.

    Cooling depends on load and weather together, so its integral has no tidy closed form; a
    cached cumulative sum at ``step`` grid points plus Simpson's rule inside a step keeps
    counters within parts per billion of the exact integral, so they still agree with power.
    """

    def __init__(self, fn: Callable[[float], float], origin: float, step: float = 60.0,
                 splits: int = 4) -> None:
        self.fn = fn
        self.origin = origin
        self.step = step
        self.splits = splits
        self._cum = [0.0]

    def power(self, t: float) -> float:
        return self.fn(t)

    def energy(self, t0: float, t1: float) -> float:
        return self._at(t1) - self._at(t0)

    def _simpson(self, a: float, b: float) -> float:
        n = 2 * self.splits
        h = (b - a) / n
        s = self.fn(a) + self.fn(b)
        s += sum((4 if k % 2 else 2) * self.fn(a + k * h) for k in range(1, n))
        return s * h / 3

    def _at(self, t: float) -> float:
        if t <= self.origin:
            return -self._simpson(t, self.origin) if t < self.origin else 0.0
        k = int((t - self.origin) // self.step)
        while len(self._cum) <= k:
            j = len(self._cum) - 1
            a = self.origin + j * self.step
            self._cum.append(self._cum[-1] + self._simpson(a, a + self.step))
        a = self.origin + k * self.step
        return self._cum[k] + (self._simpson(a, t) if t > a else 0.0)


#: Simulated time is the data clock (dcmon/clock.py): the demo installs the simulator's clock
#: with ``clock.use`` so readings, windows and alert durations all run on simulated time.
SimClock = Clock
