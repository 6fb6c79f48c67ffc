"""`fallback.agree`: a finer column the MIB gives no scale for (AKCP's temperatureRaw, "slightly
higher resolution") is read only where the device's own coarse reading confirms it, row by row
and for scalars; anywhere else the coarse value is read. Polled from dcmon's own agent on
127.0.0.1 through the real collector."""

from __future__ import annotations

from typing import Any

import pytest

from dcmon.collectors.snmp.profile import compile_snmp_profile
from dcmon.collectors.snmp.profile_view import describe_snmp
from dcmon.errors import ConfigError
from tests.support.agent_poll import poll_agent

RAW, DEG = "1.3.6.1.4.1.99999.5.1.20", "1.3.6.1.4.1.99999.5.1.4"  # an invented enterprise


def _profile(agree: float | None = 1, scalar: bool = False) -> Any:
    fallback: dict[str, Any] = {"oid": DEG + (".0" if scalar else "")}
    if agree is not None:
        fallback["agree"] = agree
    metric: dict[str, Any] = {"name": "temperature", "oid": RAW + (".0" if scalar else ""),
                              "unit": "Cel", "scale": 0.1, "fallback": fallback}
    if not scalar:
        metric["index"] = [{"label": "sensor"}]
    return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [metric]},
                                "t.yaml")


def _read(profile: Any, rows: dict[str, tuple[str, Any]]) -> dict[str, tuple[float, str]]:
    res = poll_agent(rows, profile)
    assert res.errors == ()
    return {r.labels.get("sensor", "-"): (r.value, r.source.oid if r.source else "")
            for r in res.readings}


ROWS: dict[str, tuple[str, Any]] = {
    f"{RAW}.1": ("Integer32", 231), f"{DEG}.1": ("Integer32", 23),    # agree: 23.1
    f"{RAW}.2": ("Integer32", 23), f"{DEG}.2": ("Integer32", 23),     # raw not in tenths
    f"{RAW}.3": ("Integer32", -49), f"{DEG}.3": ("Integer32", -5),    # agree below zero
    f"{DEG}.4": ("Integer32", 19),                                    # no finer column
    f"{RAW}.5": ("Integer32", 250),                                   # nothing to check it by
}


def test_the_finer_column_is_read_only_where_the_coarse_one_confirms_it() -> None:
    got = _read(_profile(), ROWS)
    assert {k: v for k, (v, _) in got.items()} == pytest.approx(
        {"1": 23.1, "2": 23.0, "3": -4.9, "4": 19.0})
    assert got["1"][1] == f"{RAW}.1" and got["2"][1] == f"{DEG}.2" and got["4"][1] == f"{DEG}.4"


def test_without_agree_the_primary_wins_whenever_it_answers() -> None:
    got = _read(_profile(agree=None), ROWS)
    assert {k: v for k, (v, _) in got.items()} == pytest.approx(
        {"1": 23.1, "2": 2.3, "3": -4.9, "4": 19.0, "5": 25.0})


@pytest.mark.parametrize(("raw", "deg", "want"), [(224, 22, 22.4), (20, 22, 22.0)])
def test_a_scalar_follows_the_same_rule(raw: int, deg: int, want: float) -> None:
    got = _read(_profile(scalar=True), {f"{RAW}.0": ("Integer32", raw),
                                        f"{DEG}.0": ("Integer32", deg)})
    assert got["-"][0] == pytest.approx(want)
    assert _read(_profile(scalar=True), {f"{RAW}.0": ("Integer32", raw)}) == {}


def test_agree_is_shown_and_must_be_positive() -> None:
    assert describe_snmp(_profile())["metrics"][0]["fallback"]["agree"] == 1
    with pytest.raises(ConfigError, match="agree"):
        _profile(agree=0)
