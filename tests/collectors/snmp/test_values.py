"""A text reading counts only when it starts with a number: agents send "23.5", " -4.0 C" or
"230V", and also "N/A", "Sensor 2 fault" or "1,500", where the first digits found are no value."""

from __future__ import annotations

import pytest

from dcmon.collectors.snmp.api import VarBind
from dcmon.collectors.snmp.values import numeric, whole_number


@pytest.mark.parametrize(("raw", "want"), [
    (b"23.5", 23.5), (b" -4.0 C", -4.0), (b"230V", 230.0), (b"+5", 5.0), (b"12.5 or n/a", 12.5),
    (b"0", 0.0),
    (b"1,500", None), (b"Sensor 2 fault", None), (b"N/A", None), (b"---", None),
    (b"3.14.15", None), (b"", None),
])
def test_a_text_counts_only_when_it_starts_with_a_number(raw: bytes, want: float | None) -> None:
    assert numeric(VarBind("1.3.6.1.4.1.99999.1.0", "OctetString", raw)) == want


def test_integers_are_taken_as_they_are() -> None:
    assert numeric(VarBind("1.3.6.1.4.1.99999.1.0", "Integer32", -40)) == -40.0
    assert numeric(VarBind("1.3.6.1.4.1.99999.1.0", "Null", None)) is None


@pytest.mark.parametrize(("raw", "want"), [
    (b"2", 2.0), (b" 1 ", 1.0), (b"-1", -1.0),
    (b"1K20\x00\xa7", None), (b"2 fans", None), (b"nan", None), (b"inf", None), (b"1_0", None),
])
def test_a_status_text_must_be_a_number_and_nothing_else(raw: bytes, want: float | None) -> None:
    assert whole_number(VarBind("1.3.6.1.4.1.99999.1.0", "OctetString", raw)) == want
