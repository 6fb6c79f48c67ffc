"""The "capacity running out" rule: a trustworthy forecast under N days raises it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.engine.alerts.rules import CAPACITY, AlertInputs, capacity_rule

CFG = parse_config({"sites": [{"id": "dc1"}]}, "<t>", ProfileRegistry.load())


def _site(status: str, days: float | None, r2: float | None) -> Any:
    forecast = SimpleNamespace(status=status, days_until_full=days, r2=r2, slope_kw_per_day=1.5)
    return SimpleNamespace(site="dc1", forecast=forecast,
                           headroom=SimpleNamespace(binding="cooling"))


def _observe(site: Any) -> Any:
    obs = capacity_rule(CFG, 0.0, AlertInputs(capacity=[site]), {})
    assert len(obs) == 1 and obs[0].alertname == CAPACITY
    return obs[0]


def test_fires_under_threshold_with_a_good_fit() -> None:
    o = _observe(_site("ok", 42.0, 0.9))
    assert o.state == "breach" and o.value == 42.0 and o.threshold == 90.0
    assert "42 days" in o.text.summary and "cooling" in o.text.description
    assert "42 天" in o.text.summary_zh


def test_weak_fit_or_far_future_does_not_fire() -> None:
    assert _observe(_site("ok", 42.0, 0.2)).state == "clear"
    assert _observe(_site("ok", 400.0, 0.9)).state == "clear"
    assert _observe(_site("not_growing", None, None)).state == "clear"


def test_full_fires_and_missing_data_holds() -> None:
    assert _observe(_site("full", None, None)).state == "breach"
    assert _observe(_site("insufficient_data", None, None)).state == "hold"
