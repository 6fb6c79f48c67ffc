"""Policy classes and defaults, the ramp-up and load gates, and the ``alerting:`` schema."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.durations import format_duration, parse_duration
from dcmon.config.policy import POLICY_CLASSES, RampUp, SitePolicy
from dcmon.engine.alerts.gate import add_months, judge, ramp_end_ts
from dcmon.errors import ConfigError

REG = ProfileRegistry.load()
NOW = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


def test_class_ceilings_follow_domain_md() -> None:
    assert {k: c.ceiling for k, c in POLICY_CLASSES.items()} == {
        "new_large": 1.3, "cold_region": 1.25, "hub_cluster": 1.25, "legacy": 1.5,
        "edge": None}
    assert all("docs/domain.md" in c.source for c in POLICY_CLASSES.values())
    assert SitePolicy().effective_ceiling == 1.3
    assert SitePolicy.model_validate({"class": "legacy", "ceiling": 1.4}).effective_ceiling == 1.4


def test_ramp_up_either_time_or_load() -> None:
    young = SitePolicy.model_validate({"commissioned": "2025-12-01"})
    assert ramp_end_ts(young) == datetime(2026, 6, 1, tzinfo=UTC).timestamp()
    gate = judge(young, NOW, 1.0, 0.9, 0.2)
    assert not gate.confirmed and "ramp-up" in gate.en[0] and "爬坡期" in gate.zh[0]
    assert judge(young, NOW, 1.0, 0.9, 0.45).confirmed  # above 40 % of design: judged
    old = SitePolicy.model_validate({"commissioned": "2025-03-01"})
    assert judge(old, NOW, 1.0, 0.9, 0.2).confirmed  # past 6 months: judged
    both = young.model_copy(update={"ramp_up": RampUp(mode="both")})
    assert not judge(both, NOW, 1.0, 0.9, 0.45).confirmed


def test_other_gates() -> None:
    pol = SitePolicy()  # no date: judged by time, so a missing date never hides a breach
    assert judge(pol, NOW, 1.0, 0.9, None).confirmed
    low = judge(pol, NOW, 1.0, 0.9, 0.05)
    assert low.en == ("IT load 5% of design is below the minimum 10%",)
    cov = judge(pol, NOW, 0.5, 0.9, 0.5)
    assert cov.en == ("coverage 50% of the window is below 90%",)


def test_months_and_durations() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2025, 12, 15), 1) == date(2026, 1, 15)
    assert [parse_duration(x) for x in ("6h", "90s", "30d", 15, "1.5m")] == [
        21600, 90, 2592000, 15, 90]
    assert [format_duration(x) for x in (21600, 90, 0, 86400 * 30)] == ["6h", "90s", "0s", "30d"]
    with pytest.raises(ValueError):
        parse_duration("soon")


def _problems(doc: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_config(doc, "site.yaml", REG, Path("."), secrets=True)
    return [str(p) for p in exc.value.problems]


def test_config_errors_name_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    site = {"id": "s", "policy": {"class": "new_large", "ceilling": 1.2}}
    assert any("sites.0.policy.ceilling" in p for p in _problems({"sites": [site]}))
    assert any("class" in p for p in _problems({"sites": [{"id": "s",
                                                           "policy": {"class": "huge"}}]}))
    probs = _problems({"alerting": {"routes": [{"receiver": "nope"}]}})
    assert any("unknown receiver 'nope'" in p for p in probs)
    assert any("alerting.rules.pue.for" in p for p in _problems(
        {"alerting": {"rules": {"pue": {"for": "soon"}}}}))
    monkeypatch.delenv("DCMON_TEST_UNSET_SMTP", raising=False)
    probs = _problems({"alerting": {"receivers": [{
        "type": "email", "name": "m", "host": "smtp.example.org", "from": "a@b.c", "to": ["x@y.z"],
        "username": "u", "password": {"env": "DCMON_TEST_UNSET_SMTP"}}]}})
    assert probs == ["site.yaml: alerting.receivers.0.password: environment variable "
                     "DCMON_TEST_UNSET_SMTP is not set"]


def test_secrets_never_print(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DCMON_TEST_DING", "very-secret-signing-key")
    cfg = parse_config({"alerting": {"receivers": [
        {"type": "dingtalk", "name": "d", "access_token": "inline-token-value",
         "secret": {"env": "DCMON_TEST_DING"}}]}}, "site.yaml", REG, Path("."))
    text = repr(cfg.model.alerting) + str(cfg.model.alerting.model_dump())
    assert "inline-token-value" not in text and "very-secret" not in text


def test_pue_text_says_where_the_value_is_against_the_ceiling() -> None:
    """A resolution carries the last text: it must not say "above" with a value under the
    ceiling."""
    from dcmon.config.policy import POLICY_CLASSES
    from dcmon.engine.alerts import text as alert_text
    from dcmon.engine.alerts.gate import Gate

    cls = POLICY_CLASSES["legacy"]
    up = alert_text.pue("dc", "1h", 1.531, 1.5, cls, Gate(), 0.5, 1.0, 2)
    down = alert_text.pue("dc", "1h", 1.442, 1.5, cls, Gate(), 0.5, 1.0, 2)
    assert up.summary == "dc: PUE 1.531 over 1h is above the 1.50 ceiling"
    assert down.summary == "dc: PUE 1.442 over 1h is back at or below the 1.50 ceiling"
    assert "超过" in up.summary_zh and "已回到限值以内" in down.summary_zh
    assert "above the 1.50 ceiling" not in down.description and "超过" not in down.description_zh
