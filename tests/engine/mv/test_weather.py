"""The weather CSV reader on hostile files: every fault is a Problem naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcmon.engine.mv.weather import load_weather
from dcmon.errors import ConfigError


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        load_weather(path)
    return [str(p) for p in exc.value.problems]


def test_oversized_field_is_a_problem_with_its_line(tmp_path: Path) -> None:
    """A field over the csv module's 131,072-character limit is not a traceback."""
    f = tmp_path / "weather.csv"
    f.write_text("timestamp,outdoor_c\n1767225600,3\n1767229200," + "9" * 200_000 + "\n",
                 encoding="utf-8")
    [problem] = _problems(f)
    assert problem.startswith(f"{f}: line 3: not CSV: field larger than field limit")


def test_millisecond_and_implausible_timestamps_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "weather.csv"
    f.write_text("timestamp,outdoor_c\n1767225600000,3\nnan,3\ninf,4\n1e300,5\n"
                 "1899-12-31T00:00:00Z,6\n1767225600,7\n", encoding="utf-8")
    assert _problems(f) == [
        f"{f}: line 2: timestamp '1767225600000' is not between 2000 and 2100 "
        "(milliseconds? write Unix seconds)",
        f"{f}: line 3: timestamp 'nan' is not between 2000 and 2100",
        f"{f}: line 4: timestamp 'inf' is not between 2000 and 2100",
        f"{f}: line 5: timestamp '1e300' is not between 2000 and 2100",
        f"{f}: line 6: timestamp '1899-12-31T00:00:00Z' is not between 2000 and 2100",
    ]


def test_plausible_seconds_and_iso_times_are_read(tmp_path: Path) -> None:
    f = tmp_path / "weather.csv"
    f.write_text("timestamp,outdoor_c\n1767225600,3\n2026-01-01T01:00:00Z,5\n",
                 encoding="utf-8")
    w = load_weather(f)
    assert w.ts == (1767225600.0, 1767229200.0)
    assert w.mean(1767225600, 1767232800) == 4.0
