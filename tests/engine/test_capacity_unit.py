"""Capacity building blocks checked by hand: percentile, trend fit, feed ratings, derived
current, the inventory schema, API token rules, and the Prometheus exposition of capacity."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from dcmon.app.inventory import parse_config
from dcmon.config.capacity import FeedRating
from dcmon.engine.capacity.compute import CapacityInputs, compute_capacity
from dcmon.engine.capacity.history import DeviceHistory, fit_line, percentile
from dcmon.errors import ConfigError
from dcmon.exporters.prometheus.capacity import CapacityCollector
from dcmon.model import Reading, Source
from tests.support.capacity_api import hub_from_case

SRC = Source("test")


def test_percentile_is_nearest_rank() -> None:
    vals = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(vals, 95) == 19.0  # ceil(0.95 * 20) = 19th
    assert percentile(vals, 100) == 20.0 and percentile([7.0], 95) == 7.0
    assert percentile(list(range(1, 101)), 95) == 95  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        percentile([], 95)


def test_fit_line_textbook() -> None:
    # x = 1..5, y = 2, 4, 5, 4, 5: slope 0.6, intercept 2.2, R² = 0.6.
    fit = fit_line([(1, 2), (2, 4), (3, 5), (4, 4), (5, 5)])
    assert fit is not None
    assert fit.slope == pytest.approx(0.6) and fit.intercept == pytest.approx(2.2)
    assert fit.r2 == pytest.approx(0.6)
    flat = fit_line([(1, 3), (2, 3)])
    assert flat is not None and flat.slope == 0 and flat.r2 is None
    assert fit_line([(1, 3)]) is None and fit_line([(1, 3), (1, 4)]) is None


def test_feed_ratings() -> None:
    assert FeedRating(breaker_a=16).rated_kw == pytest.approx(3.68)
    three = FeedRating(breaker_a=32, voltage=400, phases=3)
    assert three.rated_kw == pytest.approx(400 * 32 * math.sqrt(3) / 1000)  # 22.17 kW
    assert FeedRating(breaker_a=16, power_factor=0.9).rated_kw == pytest.approx(3.312)


def _inv(**rack: Any) -> dict[str, Any]:
    return {"credentials": {"ro": {"version": "2c", "community": "x"}},
            "sites": [{"id": "s", "rooms": [{"id": "r", "racks": [
                {"id": "k", "devices": [
                    {"id": "pa", "host": "127.0.0.1", "credential": "ro", "feed": "A"},
                    {"id": "pb", "host": "127.0.0.1", "credential": "ro", "feed": "B"}],
                 **rack}]}]}]}


def _power(dev: str, w: float, ts: float = 1000.0) -> Reading:
    return Reading(dev, "power", w, "W", {}, ts, SRC, level="total", rack_power=True)


def test_three_phase_feed_current_derived_from_power() -> None:
    feeds = {"A": {"breaker_a": 16, "voltage": 400, "phases": 3},
             "B": {"breaker_a": 16, "voltage": 400, "phases": 3}}
    cfg = parse_config(_inv(rated_kw=20, feeds=feeds), "t.yaml")
    # No current readings: I = P / (sqrt(3) x 400 V) per phase; 6 kW -> 8.66 A.
    inp = CapacityInputs({"pa": (_power("pa", 6000),), "pb": (_power("pb", 6000),)}, {},
                         1000.0, 86400.0)
    rack = compute_capacity(cfg, inp).sites[0].rooms[0].racks[0]
    a = rack.feeds[0]
    assert a.current_a == pytest.approx(6000 / (math.sqrt(3) * 400), abs=1e-5)
    assert "current_derived" in a.quality.flags
    # Failover: 17.32 A on the survivor against 12.8 A derated.
    assert rack.failover.ok is False and rack.failover.ratio == pytest.approx(
        12000 / (math.sqrt(3) * 400) / 12.8, abs=1e-5)
    # No history: the live value is the load, flagged.
    assert rack.load_kw == 12.0 and rack.basis == "now" and "basis_now" in rack.quality.flags
    # Usable: min(rated 20, derated feed 22.17 x 0.8 = 17.73) -> 17.73.
    assert rack.usable_kw == pytest.approx(0.8 * 400 * 16 * math.sqrt(3) / 1000, abs=1e-5)


def test_a_silent_pdu_makes_the_rack_stale_not_smaller() -> None:
    cfg = parse_config(_inv(rated_kw=5), "t.yaml")
    inp = CapacityInputs({"pa": (_power("pa", 1500),)}, {}, 1000.0, 86400.0)
    rack = compute_capacity(cfg, inp).sites[0].rooms[0].racks[0]
    assert rack.now_kw is None and rack.quality.stale == ("pb",)
    assert rack.feeds[1].quality.stale == ("pb",) and rack.failover.ok is None


def test_stale_by_age() -> None:
    cfg = parse_config(_inv(rated_kw=5), "t.yaml")
    inp = CapacityInputs({"pa": (_power("pa", 1500, ts=0.0),), "pb": (_power("pb", 1500),)},
                         {"pa": DeviceHistory({}, {}, 0.0, "power")}, 1000.0, 86400.0,
                         max_age={"pa": 90.0, "pb": 90.0})
    rack = compute_capacity(cfg, inp).sites[0].rooms[0].racks[0]
    assert rack.quality.stale == ("pa",) and rack.now_kw is None


def test_inventory_problems_are_reported_by_key(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    inv = _inv(u_total=42, u_used=44)
    inv["sites"][0]["rooms"][0]["cooling_units"] = [{"device": "crac-9", "rated_kw": 10}]
    inv["api"] = {"tokens": [{"name": "a", "token": "short"},
                             {"name": "b", "token": {"env": "DCMON_NO_SUCH_VAR"}},
                             {"name": "c", "token": {"file": "missing.txt"}}]}
    monkeypatch.delenv("DCMON_NO_SUCH_VAR", raising=False)
    with pytest.raises(ConfigError) as err:
        parse_config(inv, "t.yaml", base=tmp_path, secrets=True)
    got = {(p.key, p.message) for p in err.value.problems}
    assert ("sites.0.rooms.0.cooling_units.0.device", "unknown device 'crac-9'") in got
    assert ("sites.0.rooms.0.racks.0.u_used", "u_used 44 exceeds u_total 42") in got
    assert ("api.tokens.0.token", "token is shorter than 16 characters") in got
    assert ("api.tokens.1.token", "environment variable DCMON_NO_SUCH_VAR is not set") in got
    assert any(k == "api.tokens.2.token" and "cannot read token file" in m for k, m in got)


def test_capacity_settings_are_strict() -> None:
    inv = _inv()
    inv["capacity"] = {"standard_rack_kw": 3.0, "derating": 1.5}
    with pytest.raises(ConfigError) as err:
        parse_config(inv, "t.yaml")
    assert [p.key for p in err.value.problems] == ["capacity.derating"]
    inv["capacity"] = {"standard_rack_kw": 3.0, "derate": 0.8}
    with pytest.raises(ConfigError):
        parse_config(inv, "t.yaml")


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and all(
                f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_prometheus_capacity_metrics(tmp_path: Path) -> None:
    hub = hub_from_case("unmetered_rack", tmp_path)
    reg = CollectorRegistry()
    reg.register(CapacityCollector(hub))
    text = generate_latest(reg).decode()
    assert _sample(text, "dcmon_rack_power_watts", rack="m1", stat="now") == 3000.0
    assert _sample(text, "dcmon_rack_metered", rack="u1") == 0.0
    assert _sample(text, "dcmon_rack_power_watts", rack="u1") is None  # absent, not 0
    assert _sample(text, "dcmon_rack_stale_inputs", rack="s1") == 1.0
    assert _sample(text, "dcmon_room_occupancy_ratio", room="hall") == 1.0
    assert _sample(text, "dcmon_room_racks", room="hall", state="unknown") == 1.0
    assert _sample(text, "dcmon_room_headroom_watts", room="hall", limit="overall") == 5000.0
    assert _sample(text, "dcmon_room_headroom_binding", room="hall", limit="power") == 1.0
    assert _sample(text, "dcmon_city_standard_racks", kind="in_use") == 4.0
    assert _sample(text, "dcmon_city_standard_racks_goal") == 5000.0
    hub.engine.store.close()


def test_prometheus_failover_and_forecast(tmp_path: Path) -> None:
    hub = hub_from_case("failover_ab", tmp_path / "ab")
    reg = CollectorRegistry()
    reg.register(CapacityCollector(hub))
    text = generate_latest(reg).decode()
    assert _sample(text, "dcmon_rack_failover_ratio", rack="r1", basis="current") == 1.125
    assert _sample(text, "dcmon_rack_failover_ok", rack="r1") == 0.0
    assert _sample(text, "dcmon_feed_current_amperes", rack="r1", feed="A") == 7.2
    assert _sample(text, "dcmon_feed_utilisation_ratio", rack="r2", feed="B",
                   basis="current") == 0.45
    hub.engine.store.close()
    hub = hub_from_case("forecast", tmp_path / "fc")
    reg = CollectorRegistry()
    reg.register(CapacityCollector(hub))
    text = generate_latest(reg).decode()
    assert _sample(text, "dcmon_site_time_until_full_seconds", site="dc1") == 10.5 * 86400
    assert _sample(text, "dcmon_site_forecast_fit_r2", site="dc1") == 1.0
    hub.engine.store.close()
