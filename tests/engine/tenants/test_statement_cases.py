"""Tenant statement cases kept as folders: tests/cases/tenants/<name>/{config.yaml,
readings.jsonl, expected.json}. Inputs come from make_readings.py; the expected figures are
computed by hand (each expected.json's ``note``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dcmon.app.inventory import load_config
from dcmon.app.statements import statement_from_readings
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.tenants.model import Note, Statement, StatementLine
from dcmon.exporters.reports.statement import note_text
from tests.support.paths import CASES

CASES = CASES / "tenants"
COLUMNS = ("it_kwh", "overhead_kwh", "total_kwh", "co2_kg", "cost")


def _cents(x: float | None) -> int:
    assert x is not None
    return round(x * 100)


def _run(case: str, factor: float | list[list[float]] | None) -> tuple[Statement, dict]:
    """The case's statement; ``factor`` is a number or steps ``[[from_ts, value], ...]``."""
    folder = CASES / case
    exp = json.loads((folder / "expected.json").read_text())
    cfg = load_config(folder / "config.yaml")
    steps = factor if isinstance(factor, list) else [[0, factor or 0.0]]

    def grid(config: Config, site: str, at: float) -> tuple[float, str]:
        assert config is cfg and site == exp["site"]
        return next(v for t, v in reversed(steps) if at >= t), "test factor"

    readings = folder / "readings.jsonl"
    st = statement_from_readings(cfg, ProfileRegistry.load(),
                                 readings.read_text().splitlines(), str(readings), exp["site"],
                                 exp["month"], grid if factor is not None else None,
                                 exp.get("now"))
    return st, exp


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_statement_case(case: str) -> None:
    exp = json.loads((CASES / case / "expected.json").read_text())
    st, exp = _run(case, exp["factor"])
    assert (st.start, st.end, st.currency) == (exp["start"], exp["end"], exp["currency"])
    assert st.complete is exp.get("complete", False) and st.factor_sources == ("test factor",)
    for note in exp.get("notes", []):
        assert note in st.note_texts
    assert (st.pue, st.pue_status) == (exp["pue"], exp["pue_status"])
    assert st.coverage == pytest.approx(exp["coverage"], abs=1e-5)
    got = {line.tenant: line for line in st.lines}
    assert list(got) == list(exp["lines"])  # tenants without racks here have no line
    for tenant, want in exp["lines"].items():
        line = got[tenant]
        for col in COLUMNS:
            assert getattr(line, col) == want[col], (tenant, col)
        assert list(line.racks) == want["racks"]
        assert {p.period: [p.kwh, p.cost] for p in line.periods} == want["periods"]
    for col in COLUMNS:
        assert getattr(st.total, col) == exp["total"][col], col


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_lines_add_up_exactly(case: str) -> None:
    """Every column of the lines adds up to the site's line to the cent, and each line's
    IT + overhead is its total, also with a factor whose products all round awkwardly."""
    for factor in (0.5703, 0.333333, 0.581, 1.0, [[0, 0.6], [1769788800, 0.55]]):
        st, _ = _run(case, factor)
        lines: list[StatementLine] = list(st.lines)
        for col in COLUMNS:
            assert sum(_cents(getattr(x, col)) for x in lines) == _cents(getattr(st.total,
                                                                                  col)), col
        for x in [*lines, st.total]:
            assert _cents(x.it_kwh) + _cents(x.overhead_kwh) == _cents(x.total_kwh)
            assert sum(_cents(p.kwh) for p in x.periods) == _cents(x.total_kwh)
            assert sum(_cents(p.cost) for p in x.periods) == _cents(x.cost)


def test_without_factor_no_co2_and_a_note() -> None:
    st, _ = _run("tou_unassigned", None)
    assert all(x.co2_kg is None for x in [*st.lines, st.total])
    assert "no CO2: no grid emission factor was given" in st.note_texts
    assert st.total.cost == 18.6  # the rest is computed as before


def test_month_without_tariff_has_no_cost(tmp_path: Path) -> None:
    folder = CASES / "tou_unassigned"
    text = (folder / "config.yaml").read_text()
    start = text.index("    tariffs:")
    end = text.index("    devices:")
    cfg_file = tmp_path / "config.yaml"
    cfg_file.write_text(text[:start] + text[end:])
    cfg = load_config(cfg_file)
    lines = (folder / "readings.jsonl").read_text().splitlines()
    st = statement_from_readings(cfg, ProfileRegistry.load(), lines, "r", "dc1", "2026-01")
    assert st.total.cost is None and st.currency is None
    assert "no cost: the site has no tariff" in st.note_texts
    assert st.total.total_kwh == 18.0


def test_facility_gap_is_billed_at_the_month_pue_with_a_note() -> None:
    """meter1 silent after 09:00 local: the 09-10 hour (IT 4 kWh: health 1, school 2,
    unassigned 1) has no facility energy. Its overhead is 4 x (13/9 - 1) = 16/9 kWh at the PUE
    of the two complete hours (facility 13 kWh over IT 9), not -4 kWh; the site line is the
    energy attributed, 13 + 4 + 16/9 = 18.78 kWh, and a note in both languages says so."""
    folder = CASES / "tou_unassigned"
    cfg = load_config(folder / "config.yaml")
    lines = [line for line in (folder / "readings.jsonl").read_text().splitlines()
             if not (json.loads(line)["device"] == "meter1"
                     and json.loads(line)["ts"] > 1768438800)]
    st = statement_from_readings(cfg, ProfileRegistry.load(), lines, "r", "dc1", "2026-01")
    got = {line.tenant: line for line in st.lines}
    assert got["health"].total_kwh == round(3.0 + 4.2 + 0.25 * (4 + 16 / 9), 2)
    assert got["school"].total_kwh == round(1.5 + 1.4 + 0.5 * (4 + 16 / 9), 2)
    for line in st.lines:
        assert line.total_kwh >= line.it_kwh
    assert st.total.total_kwh == 18.78
    assert sum(_cents(x.total_kwh) for x in st.lines) == _cents(st.total.total_kwh)
    [gap] = [n for n in st.notes if n.code == "facility_gap"]
    assert gap.args == {"hours": 1, "pue": 1.444}
    assert note_text(gap, "en") == (
        "1 hour(s) had facility energy missing or below IT energy (a metering gap): their "
        "overhead is charged at the month's PUE 1.444, so the site line is the energy "
        "attributed, not the facility meters' reading")
    assert note_text(gap, "zh").startswith("1 个小时的总电量缺失或低于 IT 电量（计量缺口）："
                                           "其公共电量按本月 PUE 1.444 计算")
    no_pue = Note("facility_gap", "x", {"hours": 3, "pue": None})
    assert "本月无 PUE，其公共电量按 0 计算" in note_text(no_pue, "zh")
