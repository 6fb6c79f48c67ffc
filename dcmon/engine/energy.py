"""Energy accounts: device counters and power readings -> monotonic lifetime joules.

A meter's counter is not a clean monotonic series. It wraps at its declared width (Raritan
Unsigned32 Wh), stops or restarts at a cap (Geist 9,999,000 Wh), is reset by users (APC, Eaton,
Liebert), reads a false zero right after a reboot, and goes silent during outages. Hand-written
PromQL books each of these as negative or MWh-sized ``increase()`` spikes (prometheus#11433).

Each account keeps the last raw value and classifies every step:

* ``value >= last``: normal growth; the delta is booked, including the energy of any gap
  (the counter kept counting while we could not see it);
* ``value == 0`` after a non-zero value: a *false zero* (reboot), held back, not booked; the
  next reading decides (resumes from ``last`` or is a real reset);
* reset marker changed (APC/Eaton "counting since"): a user reset, whatever the value did; the
  new value is the energy since the reset and is booked;
* a drop with ``last`` in the top half of the counter range and a plausible wrapped delta:
  a *wrap*: ``max - last + value`` is booked;
* any other drop: a *reset* (user reset, meter swap, firmware reboot to zero); the new value
  is booked.

Meters without a counter are integrated from power with the trapezoidal rule, never across a
gap longer than ``max_gap_s`` (the energy of such a gap is *not* invented: coverage drops).

This module is pure computation; :mod:`dcmon.engine.store` persists the state.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from dcmon.model import Reading

log = logging.getLogger("dcmon.engine.energy")


@dataclass(slots=True)
class Step:
    """What one reading did to an account: the joules booked between ``t0`` and ``t1``."""

    joules: float
    t0: float
    t1: float
    event: str = ""  # "", "wrap", "reset", "false_zero", "resumed", "first", "gap", "stale"
    covered: bool = True


@dataclass(slots=True)
class CounterAccount:
    """State of one energy counter series."""

    key: str
    total_j: float = 0.0
    last_value: float | None = None
    last_ts: float | None = None
    last_marker: str | None = None
    wraps: int = 0
    resets: int = 0
    false_zeros: int = 0
    held_zero: bool = False

    def update(self, value: float, ts: float, *, counter_max: float | None = None,
               capped: bool = False, marker: str | None = None) -> Step:
        """Apply one counter reading and return what was booked."""
        if self.last_value is None or self.last_ts is None:
            self.last_value, self.last_ts, self.last_marker = value, ts, marker
            return Step(0.0, ts, ts, "first", covered=False)
        if ts <= self.last_ts:
            return Step(0.0, ts, ts, "stale", covered=False)
        last, t0 = self.last_value, self.last_ts
        event = ""
        if marker is not None and self.last_marker is not None and marker != self.last_marker:
            delta, event = value, "reset"
        elif value == 0 and last > 0 and not self.held_zero:
            # A false zero after a reboot: hold the old value; do not move the clock either, so
            # the next real reading books the whole interval.
            self.held_zero = True
            self.false_zeros += 1
            log.info("%s: counter read 0 after %.0f; held as a false zero", self.key, last)
            return Step(0.0, t0, ts, "false_zero", covered=False)
        elif value >= last:
            delta = value - last
            event = "resumed" if self.held_zero else ""
        elif counter_max and not capped and last >= counter_max / 2 and \
                (counter_max - last + value) < counter_max / 2:
            delta, event = counter_max - last + value, "wrap"
        elif counter_max and capped and last >= 0.9 * counter_max and value < 0.1 * counter_max:
            delta, event = max(0.0, counter_max - last) + value, "wrap"
        else:
            delta, event = value, "reset"
        if event == "wrap":
            self.wraps += 1
            log.info("%s: counter wrapped (%.0f -> %.0f), booked %.0f %s", self.key, last, value,
                     delta, _unit(self.key))
        elif event == "reset":
            self.resets += 1
            log.warning("%s: counter reset (%.0f -> %.0f, marker %s -> %s), booked %.0f %s",
                        self.key, last, value, self.last_marker, marker, delta, _unit(self.key))
        self.held_zero = False
        self.total_j += delta
        self.last_value, self.last_ts = value, ts
        if marker is not None:
            self.last_marker = marker
        return Step(delta, t0, ts, event)


def _unit(key: str) -> str:
    """What an account of this series key counts: m3 for water (``W|``), else joules."""
    return "m3" if key.startswith("W|") else "J"


@dataclass(slots=True)
class PowerAccount:
    """State of one power series integrated into energy (a meter without a counter)."""

    key: str
    max_gap_s: float
    total_j: float = 0.0
    last_w: float | None = None
    last_ts: float | None = None
    gaps: int = 0

    def update(self, watts: float, ts: float) -> Step:
        """Trapezoid between the previous and this reading, unless the gap is too long."""
        if self.last_w is None or self.last_ts is None:
            self.last_w, self.last_ts = watts, ts
            return Step(0.0, ts, ts, "first", covered=False)
        if ts <= self.last_ts:
            return Step(0.0, ts, ts, "stale", covered=False)
        t0, w0 = self.last_ts, self.last_w
        self.last_w, self.last_ts = watts, ts
        if ts - t0 > self.max_gap_s:
            self.gaps += 1
            return Step(0.0, t0, ts, "gap", covered=False)
        joules = (w0 + watts) / 2.0 * (ts - t0)
        self.total_j += joules
        return Step(joules, t0, ts)


HOUR = 3600.0


@dataclass(slots=True)
class HourBucket:
    """Energy, peak power and covered seconds of one account in one hour."""

    energy_j: float = 0.0
    peak_w: float = 0.0
    covered_s: float = 0.0


def split_hours(step: Step) -> list[tuple[float, float, float]]:
    """Spread a step's joules over the hours it spans, pro rata: [(hour_start, J, seconds)]."""
    t0, t1 = step.t0, step.t1
    if t1 <= t0:
        return []
    out = []
    span = t1 - t0
    h = t0 - (t0 % HOUR)
    while h < t1:
        a, b = max(t0, h), min(t1, h + HOUR)
        if b > a:
            out.append((h, step.joules * (b - a) / span, b - a))
        h += HOUR
    return out


@dataclass
class Rollup:
    """Hourly buckets of many accounts, in memory until the store flushes them."""

    hours: dict[tuple[str, float], HourBucket] = field(default_factory=dict)

    def add(self, key: str, step: Step, watts: float | None = None) -> None:
        hours = self.hours
        t0, t1 = step.t0, step.t1
        h = t0 - (t0 % HOUR)
        if t0 < t1 <= h + HOUR:
            # Within one hour (nearly every poll): split_hours' single bucket, same arithmetic.
            parts: list[tuple[float, float, float]] | tuple[tuple[float, float, float]] = (
                (h, step.joules * (t1 - t0) / (t1 - t0), t1 - t0),)
        else:
            parts = split_hours(step)
        for hour, joules, secs in parts:
            b = hours.get((key, hour))
            if b is None:
                b = hours[(key, hour)] = HourBucket()
            b.energy_j += joules
            if step.covered:
                b.covered_s += secs
        if watts is not None:
            hour = t1 - (t1 % HOUR)
            b = hours.get((key, hour))
            if b is None:
                b = hours[(key, hour)] = HourBucket()
            b.peak_w = max(b.peak_w, watts)


@dataclass(frozen=True, slots=True)
class Series:
    """Metadata of one energy or power series."""

    key: str
    device: str
    metric: str
    level: str
    labels: Mapping[str, str]
    rack_power: bool


def series_key(kind: str, r: Reading) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(r.labels.items()))
    return f"{kind}|{r.device}|{r.metric}|{r.level}|{labels}"
