"""``dcmon report capacity --format csv`` and the shared CSV writer never write a live formula.

The report runs over the failover_ab readings with the hostile names of
tests/cases/reports/formula_names; the writer's rule (a leading ``'`` before ``= + - @``, tab,
CR; numbers untouched) is checked cell by cell.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.exporters.reports.tabular import defuse, to_csv
from tests.support.paths import CASES

NAMES = CASES / "reports" / "formula_names" / "config.yaml"
READINGS = CASES / "capacity" / "failover_ab" / "readings.jsonl"


def test_report_csv_writes_names_as_text(tmp_path: Path) -> None:
    out = tmp_path / "racks.csv"
    res = CliRunner().invoke(main, ["report", "capacity", "--config", str(NAMES), "--readings",
                                    str(READINGS), "--format", "csv", "-o", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_bytes().decode("utf-8-sig")
    by = {r["rack"]: r for r in csv.DictReader(io.StringIO(text))}
    assert by["r1"]["name"] == "'+1+cmd|' /C calc'!A0"
    assert by["r2"]["name"] == "'-2+3\r\t=1+1"
    assert by["r1"]["headroom.power_kw"] == "-0.368"  # a negative number stays a number
    assert by["r1"]["headroom.kw"] == "-0.368" and by["r2"]["headroom.kw"] == "0.2944"
    starts = {c[:1] for line in csv.reader(io.StringIO(text)) for c in line if c}
    assert not starts & {"=", "+", "@", "\t", "\r"}


@pytest.mark.parametrize(("given", "written"), [
    ("=1+1", "'=1+1"), ("+1", "+1"), ("+1+1", "'+1+1"), ("-1.5", "-1.5"), ("-1.5e3", "-1.5e3"),
    ("-1-1", "'-1-1"), ("-", "'-"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("a=1", "a=1"), ("'=1", "'=1"), ("", ""), ("dc1", "dc1"),
    ("机房-1", "机房-1"),
])
def test_defuse(given: str, written: str) -> None:
    assert defuse(given) == written


def test_numbers_stay_numbers_and_headers_are_defused() -> None:
    text = to_csv([{"a": -1.5, "b": -2, "c": True, "d": None, "=x": "-cmd"}])
    lines = text.removeprefix("\ufeff").split("\r\n")
    assert lines[0] == "a,b,c,d,'=x"
    assert lines[1] == "-1.5,-2,true,,'-cmd"
