"""Detection by sysDescr: families whose agents announce a generic sysObjectID (Net-SNMP's, 0.0,
none) and name themselves only in sysDescr become candidates through ``match.sys_descr``."""

from __future__ import annotations

import time
from typing import Any

import pytest

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.descr import MAX_DESCR, compile_pattern, matching
from dcmon.collectors.snmp.detect import Detection
from dcmon.collectors.snmp.profile import compile_snmp_profile
from dcmon.errors import ConfigError
from tests.support.agent_poll import detect_agent

SYS_DESCR, SYS_OBJECT_ID = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0"
#: A private OID no built-in profile reads (an invented test enterprise).
VALUE = "1.3.6.1.4.1.99999.1.1.0"


def _profile(patterns: list[str], file: str = "t.yaml") -> Any:
    return compile_snmp_profile({
        "profile": "descr_only", "mib": "TEST-MIB", "match": {"sys_descr": patterns},
        "metrics": [{"name": "temperature", "oid": VALUE, "unit": "Cel", "scale": 0.1}],
    }, file)


def _detect(values: dict[str, tuple[str, Any]]) -> Detection:
    return detect_agent(values, [*ProfileRegistry.load().all(),
                                 _profile([r"\b8VD-X20\b", "^IBM DPI"])])


@pytest.mark.parametrize("sys_object_id", ["1.3.6.1.4.1.8072.3.2.10", "0.0", None])
def test_a_generic_agent_is_found_by_its_sys_descr(sys_object_id: str | None) -> None:
    values: dict[str, tuple[str, Any]] = {
        SYS_DESCR: ("OctetString", b"ibm dpi 3-phase PDU, firmware 1.2"), VALUE: ("Integer32", 215)}
    if sys_object_id is not None:
        values[SYS_OBJECT_ID] = ("ObjectIdentifier", sys_object_id)
    found = _detect(values)
    assert found.profile is not None and found.profile.name == "descr_only", found.reason
    assert "found by sysDescr matches '^IBM DPI'" in found.reason


def test_a_sys_descr_that_does_not_match_names_nothing() -> None:
    """The pattern is anchored (``^IBM DPI``): this sysDescr names no profile. The profile is
    still found, later and less specifically, by its own object the agent answers (content)."""
    found = _detect({SYS_OBJECT_ID: ("ObjectIdentifier", "1.3.6.1.4.1.8072.3.2.10"),
                     SYS_DESCR: ("OctetString", b"Linux host 6.1 (not IBM DPI)"),
                     VALUE: ("Integer32", 215)})
    mine = [c for c in found.candidates if c.profile.name == "descr_only"]
    assert [c.via for c in mine] == ["content: 1 of its objects answer"], found.reason
    without = _detect({SYS_OBJECT_ID: ("ObjectIdentifier", "1.3.6.1.4.1.8072.3.2.10"),
                       SYS_DESCR: ("OctetString", b"Linux host 6.1 (not IBM DPI)")})
    assert without.profile is None
    assert "descr_only" not in {c.profile.name for c in without.candidates}


def test_patterns_are_case_insensitive_and_bounded() -> None:
    p = compile_pattern("8vd-x20")
    assert matching((p,), "Minkels 8VD-X20 RMS") is p
    assert matching((p,), "x" * MAX_DESCR + "8VD-X20") is None  # beyond the bound: not read
    assert matching((p,), "") is None
    t0 = time.monotonic()
    assert matching((compile_pattern(r"a+b"),), "a" * 100_000) is None
    assert time.monotonic() - t0 < 0.5


@pytest.mark.parametrize("pattern", ["((a)+)+$", "(a|a?)+$", "(a|aa)+$", "(?:x*)*",
                                     "(a{1,3})+", "a.*a.*a.*x"])
def test_patterns_that_backtrack_for_long_are_refused(pattern: str) -> None:
    """Shapes that the text-only check let through: ``(a|a?)+$`` took 31 s on 27 characters,
    ``a.*a.*a.*x`` 16 s on a 512-character sysDescr; detection runs on the event loop."""
    with pytest.raises(ValueError, match=r"nested quantifier|more than 2 repeats"):
        compile_pattern(pattern)
    for fine in ("^Linux ES_Controller", "a.*b.*c", "(ab)+", "[a-z]+\\d*"):
        compile_pattern(fine)


def test_bad_patterns_fail_with_file_and_key() -> None:
    with pytest.raises(ConfigError) as err:
        _profile(["ok", "(a+)+$", "x" * 201, "[unclosed", ""], "p.yaml")
    lines = [str(p) for p in err.value.problems]
    assert len(lines) == 4
    assert lines[0].startswith("p.yaml: match.sys_descr.1: nested quantifier in '(a+)+$'")
    assert lines[1] == "p.yaml: match.sys_descr.2: pattern longer than 200 characters"
    assert lines[2].startswith("p.yaml: match.sys_descr.3: not a regular expression: '[unclosed'")
    assert lines[3] == "p.yaml: match.sys_descr.4: an empty pattern matches every agent"
