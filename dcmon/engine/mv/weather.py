"""Outdoor temperature from a weather CSV, averaged per day or hour.

The format (docs/retrofit.md): a header line ``timestamp,outdoor_c``, then one observation per
line. ``timestamp`` is ISO 8601 with an offset (``2026-03-01T14:00:00+08:00``, or ``Z``), or
Unix seconds; a time without an offset is refused rather than guessed at, since a weather
export in UTC read as local time would shift every day by hours. Observations need not be
evenly spaced: a bucket's temperature is the mean of the observations inside it, and a bucket
without any has no temperature (its day is left out of the model, and counted).

Every bad line is reported, as ``FILE: line N: fault``, all at once.
"""

from __future__ import annotations

import csv
import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dcmon.errors import ConfigError, Problem

#: Temperatures outside this range (°C) are a unit or sentinel fault, not weather.
PLAUSIBLE_C = (-60.0, 60.0)
#: Timestamps outside [2000-01-01, 2100-01-01) UTC (Unix seconds) are refused: a millisecond
#: epoch (1.7e12) or a sentinel would otherwise land centuries away and match no day.
PLAUSIBLE_TS = (946_684_800.0, 4_102_444_800.0)
#: More lines than this are refused: a century of hourly observations, not a weather record.
MAX_LINES = 1_000_000


@dataclass(frozen=True, slots=True)
class Weather:
    """Observations in time order: (Unix seconds, °C)."""

    ts: tuple[float, ...]
    temp_c: tuple[float, ...]
    file: str

    def mean(self, start: float, end: float) -> float | None:
        """Mean temperature of the observations in [start, end); None if there are none."""
        i, j = bisect_left(self.ts, start), bisect_left(self.ts, end)
        if j <= i:
            return None
        return sum(self.temp_c[i:j]) / (j - i)


def _timestamp(text: str) -> float:
    text = text.strip()
    try:
        ts = float(text)
    except ValueError:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise ValueError(f"timestamp {text!r} has no UTC offset (write +08:00 or Z)"
                             ) from None
        ts = when.timestamp()
    if not math.isfinite(ts) or not PLAUSIBLE_TS[0] <= ts < PLAUSIBLE_TS[1]:
        millis = PLAUSIBLE_TS[0] * 1000 <= ts < PLAUSIBLE_TS[1] * 1000
        hint = " (milliseconds? write Unix seconds)" if millis else ""
        raise ValueError(f"timestamp {text!r} is not between 2000 and 2100{hint}")
    return ts


def load_weather(path: str | Path) -> Weather:
    """Read a weather CSV; ConfigError lists every bad line."""
    file = str(path)
    problems: list[Problem] = []
    rows: dict[float, float] = {}
    try:
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            head = [h.strip().lower() for h in next(reader, [])]
            if head[:2] != ["timestamp", "outdoor_c"]:
                raise ConfigError([Problem(file, "line 1", "expected the header "
                                                           f"'timestamp,outdoor_c', got {head}")])
            for n, row in enumerate(reader, 2):
                if n > MAX_LINES:
                    raise ConfigError([Problem(file, f"line {n}", f"more than {MAX_LINES} "
                                                                  "lines: not a weather record")])
                if not row or not "".join(row).strip():
                    continue
                try:
                    if len(row) < 2:
                        raise ValueError("expected timestamp,outdoor_c")
                    ts, temp = _timestamp(row[0]), float(row[1])
                    if not math.isfinite(temp) or not PLAUSIBLE_C[0] <= temp <= PLAUSIBLE_C[1]:
                        raise ValueError(f"temperature {row[1].strip()} °C is not plausible")
                    if ts in rows:
                        raise ValueError("a second observation for the same time")
                    rows[ts] = temp
                except ValueError as exc:
                    problems.append(Problem(file, f"line {n}", str(exc)))
    except OSError as exc:
        raise ConfigError([Problem(file, "", f"cannot read: {exc.strerror}")]) from None
    except UnicodeDecodeError:
        raise ConfigError([Problem(file, "", "not a UTF-8 text file")]) from None
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072-character limit
        raise ConfigError([Problem(file, f"line {reader.line_num}", f"not CSV: {exc}")]
                          ) from None
    if problems:
        raise ConfigError(problems)
    ordered = sorted(rows.items())
    return Weather(tuple(t for t, _ in ordered), tuple(c for _, c in ordered), file)
