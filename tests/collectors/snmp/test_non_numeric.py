"""Values published as display strings: a text without a number ("N/A", "Unavailable") is an
error by default and "no reading" where the profile says `non_numeric: skip`. Polled from
dcmon's own agent on 127.0.0.1 through the real collector."""

from __future__ import annotations

from typing import Any

import pytest

from dcmon.collectors.snmp.profile import compile_snmp_profile
from dcmon.collectors.snmp.profile_view import describe_snmp
from dcmon.errors import ConfigError
from tests.support.agent_poll import poll_agent

VALUE, UNITS = "1.3.6.1.4.1.99999.3.1.2", "1.3.6.1.4.1.99999.3.1.0"  # an invented enterprise
ROWS: dict[str, tuple[str, Any]] = {f"{VALUE}.1": ("OctetString", "23.5"),
                                    f"{VALUE}.2": ("OctetString", "N/A"),
                                    f"{VALUE}.3": ("OctetString", "Unavailable")}


def _profile(**extra: Any) -> Any:
    return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
        {"name": "temperature", "oid": VALUE, "unit": "Cel", "index": [{"label": "point"}],
         **extra}]}, "t.yaml")


def test_by_default_a_text_without_a_number_is_an_error() -> None:
    res = poll_agent(ROWS, _profile())
    assert [(r.labels["point"], r.value) for r in res.readings] == [("1", 23.5)]
    assert sorted((e.reason, e.oid) for e in res.errors) == [
        ("not_numeric", f"{VALUE}.2"), ("not_numeric", f"{VALUE}.3")]


def test_skip_reads_the_numbers_and_reports_nothing_for_the_texts() -> None:
    res = poll_agent(ROWS, _profile(non_numeric="skip"))
    assert [(r.labels["point"], r.value) for r in res.readings] == [("1", 23.5)]
    assert res.errors == ()
    assert describe_snmp(_profile(non_numeric="skip"))["metrics"][0]["non_numeric"] == "skip"


def test_skip_rows_need_no_unit_setting() -> None:
    """A row answering only "N/A" has nothing to convert, so a missing unit setting is no
    error for it (the row with a number still needs the setting)."""
    setting = {"oid": UNITS, "scalar": True, "cases": {1: {}}}
    res = poll_agent({f"{VALUE}.2": ("OctetString", "N/A")},
                     _profile(non_numeric="skip", setting=setting))
    assert res.readings == () and res.errors == ()
    res = poll_agent(ROWS, _profile(non_numeric="skip", setting=setting))
    assert [e.reason for e in res.errors] == ["unknown_setting"]


def test_an_unknown_choice_fails_with_file_and_key() -> None:
    with pytest.raises(ConfigError) as err:
        _profile(non_numeric="zero")
    assert "t.yaml: metrics.0.non_numeric" in str(err.value)
