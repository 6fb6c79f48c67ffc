"""Rows a firmware answers only in part. A row whose kind or number comes from a column the
agent leaves out for that row must not be read under another kind or number: the CyberPower
load table holds phase rows (bank number 0) and bank rows (bank number >= 1) with the bank
number in its own column, so a row without it is neither, and its row number is no bank
number. Served from dcmon's own agent on 127.0.0.1 (the cyberpower_pdu device case)."""

from __future__ import annotations

from typing import Any

import pytest

from dcmon.collectors.registry import ProfileRegistry
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.collectors.snmp.profile import compile_snmp_profile
from tests.support.agent_poll import poll_agent
from tests.support.device_cases import case_values
from tests.support.disguise import without

BANK_NUMBER = "1.3.6.1.4.1.3808.1.1.3.2.3.1.1.5"   # ePDULoadStatusBankNumber
LOAD = "1.3.6.1.4.1.3808.1.1.3.2.3.1.1.2"          # ePDULoadStatusLoad (0.1 A)


NUM, VAL = "1.3.6.1.4.1.99999.6.1.2", "1.3.6.1.4.1.99999.6.1.3"   # an invented enterprise


def _numbered_banks() -> CompiledProfile:
    """Currents indexed by row, the bank label renamed by a column of bank numbers."""
    return compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
        {"name": "current", "oid": VAL, "unit": "A", "index": [{"label": "bank"}],
         "lookups": [{"label": "bank", "oid": NUM}]}]}, "t.yaml")


def _currents(values: dict[str, tuple[str, Any]]) -> dict[tuple[str, str], float]:
    profile = ProfileRegistry.load().get("cyberpower_pdu")
    assert isinstance(profile, CompiledProfile)
    res = poll_agent(values, profile)
    return {(r.level, r.labels.get("bank") or r.labels.get("phase") or ""): r.value
            for r in res.readings if r.metric == "current" and r.level in ("phase", "bank")}


def test_the_case_as_recorded() -> None:
    # rows 1..3: bank numbers 0 (the phase), 1, 2; loads 5.2, 3.1, 2.1 A
    assert _currents(case_values("cyberpower_pdu")) == pytest.approx(
        {("phase", "1"): 5.2, ("bank", "1"): 3.1, ("bank", "2"): 2.1})


def test_a_row_without_its_bank_number_is_not_read_under_its_row_number() -> None:
    values = case_values("cyberpower_pdu")
    del values[f"{BANK_NUMBER}.2"]          # row 2 is bank 1; its row number is 2
    got = _currents(values)
    assert got == pytest.approx({("phase", "1"): 5.2, ("bank", "2"): 2.1})


def test_without_the_bank_number_column_no_row_is_a_phase_or_a_bank() -> None:
    values = without(case_values("cyberpower_pdu"), [BANK_NUMBER])
    assert _currents(values) == {}


def test_a_lookup_renaming_the_index_drops_only_the_rows_it_leaves_out() -> None:
    """The collector's own rule, without the profile's `exists` guard: a lookup that replaces an
    index label and answers some rows but not another leaves that row unread; a lookup column
    absent for every row leaves every row its index number (one numbering throughout)."""
    num, val, profile = NUM, VAL, _numbered_banks()
    rows = {f"{val}.1": ("Integer32", 4), f"{val}.2": ("Integer32", 6),
            f"{num}.1": ("Integer32", 7), f"{num}.2": ("Integer32", 8)}

    def read(values: dict[str, tuple[str, Any]]) -> dict[str, float]:
        res = poll_agent(values, profile)
        return {r.labels["bank"]: r.value for r in res.readings}

    assert read(rows) == {"7": 4, "8": 6}
    assert read({k: v for k, v in rows.items() if k != f"{num}.2"}) == {"7": 4}
    assert read({k: v for k, v in rows.items() if not k.startswith(num)}) == {"1": 4, "2": 6}


def test_a_row_without_a_name_keeps_its_index_label() -> None:
    """Names cannot be taken for a row number: a lookup of names that leaves one row out
    keeps that row under its index number (Liebert reads an unnamed sensor so)."""
    name, val = "1.3.6.1.4.1.99999.6.2.2", "1.3.6.1.4.1.99999.6.2.3"
    profile = compile_snmp_profile({"profile": "t", "mib": "TEST-MIB", "metrics": [
        {"name": "temperature", "oid": val, "unit": "Cel", "index": [{"label": "sensor"}],
         "lookups": [{"label": "sensor", "oid": name}]}]}, "t.yaml")
    rows = {f"{val}.1": ("Integer32", 21), f"{val}.2": ("Integer32", 22),
            f"{val}.3": ("Integer32", 23), f"{name}.1": ("OctetString", b"return_air"),
            f"{name}.2": ("OctetString", b"")}
    got = {r.labels["sensor"]: r.value for r in poll_agent(rows, profile).readings}
    assert got == {"return_air": 21, "2": 22, "3": 23}


def test_an_empty_bank_number_is_no_bank_number() -> None:
    num, val, profile = NUM, VAL, _numbered_banks()
    rows = {f"{val}.1": ("Integer32", 4), f"{val}.2": ("Integer32", 6),
            f"{num}.1": ("Integer32", 7), f"{num}.2": ("OctetString", b"")}
    assert {r.labels["bank"]: r.value for r in poll_agent(rows, profile).readings} == {"7": 4}
