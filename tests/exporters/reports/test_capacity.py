"""``dcmon report capacity`` in every format, rendered the way a person sees it.

HTML is screenshotted by headless Chromium; PDF is printed by Chromium and turned into PNG pages
by pdftoppm and into text by pdftotext, and the text must hold the hand-computed numbers of the
``cooling_bound`` and ``failover_ab`` cases and the charts' labels. Skips when Chromium or
poppler is missing; fails instead under CI=true.
"""

from __future__ import annotations

import csv
import io
import json
import struct
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcmon.app.cli import main
from dcmon.engine.capacity.model import Quality
from dcmon.exporters.reports.capacity import chromium, chromium_args, quality_html, summarise
from dcmon.exporters.reports.i18n import text
from tests.support.paths import CASES
from tests.support.snmpsim import require_tool, unavailable

CASES = CASES / "capacity"


def report(case: str, *args: str) -> tuple[int, str]:
    folder = CASES / case
    res = CliRunner().invoke(main, ["report", "capacity", "--config",
                                    str(folder / "config.yaml"), "--readings",
                                    str(folder / "readings.jsonl"), *args])
    return res.exit_code, res.output


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def need_chromium() -> str:
    path = chromium()
    if path is None:
        unavailable("chromium not installed: run scripts/install-test-deps.sh")
    return path


def test_html_has_charts_numbers_and_both_languages(tmp_path: Path) -> None:
    for lang, words in (("en", ["Capacity report", "binding", "Occupancy"]),
                        ("zh", ["容量报告", "制约因素", "上架率", "标准机架"])):
        out = tmp_path / f"{lang}.html"
        code, msg = report("cooling_bound", "--format", "html", "--lang", lang, "-o", str(out))
        assert code == 0, msg
        html = out.read_text(encoding="utf-8")
        for chart in ("trend", "heatmap", "headroom"):
            assert f'data-chart="{chart}"' in html
        for w in words:
            assert w in html, w
        # Hand-computed: cooling headroom 1.35 kW = 0.54 standard racks; load 18.65 kW.
        assert "1.35 kW (0.54" in html and "18.65" in html
        assert "<script" not in html


def test_html_screenshot_in_chromium(tmp_path: Path) -> None:
    browser = need_chromium()
    page = tmp_path / "report.html"
    assert report("failover_ab", "--format", "html", "--lang", "zh", "-o", str(page))[0] == 0
    shot = tmp_path / "report.png"
    subprocess.run([*chromium_args(browser), f"--user-data-dir={tmp_path / 'profile'}",
                    "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.exists(), "Chromium wrote no screenshot"
    assert png_size(shot) == (1280, 1600)
    assert shot.stat().st_size > 30_000  # a blank page compresses to a few KB
    dom = subprocess.run([*chromium_args(browser), f"--user-data-dir={tmp_path / 'profile'}",
                          "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, check=False).stdout
    assert dom.count('class="chart"') == 3 and "AT RISK" not in dom and "有风险" in dom


def test_pdf_pages_and_text(tmp_path: Path) -> None:
    need_chromium()
    pdftoppm = require_tool("pdftoppm")
    pdftotext = require_tool("pdftotext")
    pdf = tmp_path / "report.pdf"
    code, msg = report("failover_ab", "--format", "pdf", "--lang", "en", "-o", str(pdf))
    assert code == 0, msg
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages, "pdftoppm produced no page"
    w, h = png_size(pages[0])
    assert min(w, h) > 400 and pages[0].stat().st_size > 10_000
    txt = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    flat = " ".join(txt.split())  # table cells may wrap
    for needle in ("Capacity report", "AT RISK 112 %", "ok 90 %", "7.2/12.8 A", "3.31",
                   "Rack utilisation", "Headroom per room", "power 5.888 kW", "<60 %"):
        assert needle in flat, needle


def test_pdf_without_chromium_is_a_clear_error(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dcmon.exporters.reports.capacity.shutil.which", lambda _: None)
    code, msg = report("failover_ab", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert code == 1 and "PDF output needs Chromium (apt-get install chromium)" in msg


def test_csv_and_json(tmp_path: Path) -> None:
    out = tmp_path / "racks.csv"
    assert report("unmetered_rack", "--format", "csv", "-o", str(out))[0] == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    by = {r["rack"]: r for r in rows}
    assert by["u1"]["load_kw"] == "" and by["u1"]["quality.flags"] == "unmetered"
    assert by["s1"]["quality.stale"] == "pdu-s1" and by["m1"]["load_kw"] == "3.0"
    code, text = report("forecast", "--format", "json")
    assert code == 0
    d = json.loads(text)
    fc = d["sites"][0]["forecast"]
    assert fc["days_until_full"] == 10.5 and fc["r2"] == 1.0 and len(fc["daily"]) == 10


def test_unknown_site_and_missing_store(tmp_path: Path) -> None:
    code, msg = report("failover_ab", "--site", "nope")
    assert code == 1 and "unknown site 'nope' (known: dc1)" in msg
    cfg = tmp_path / "c.yaml"
    cfg.write_text((CASES / "failover_ab" / "config.yaml").read_text())
    res = CliRunner().invoke(main, ["report", "capacity", "--config", str(cfg)])
    assert res.exit_code == 1 and "no state store" in res.output


def test_a_long_stale_list_is_summarised() -> None:
    """26 silent PDUs: the count, the first three and "and 23 more"; the tooltip has all."""
    names = tuple(f"pdu-r{i // 2 + 1:02d}-{'ab'[i % 2]}" for i in range(26))
    assert summarise(names) == "26 (pdu-r01-a, pdu-r01-b, pdu-r02-a, and 23 more)"
    assert summarise(names[:4]) == "pdu-r01-a, pdu-r01-b, pdu-r02-a, pdu-r02-b"
    line = quality_html(Quality(None, names), text("en"))
    assert "stale inputs: 26 (pdu-r01-a, pdu-r01-b, pdu-r02-a, and 23 more)" in line
    assert f'title="{", ".join(names)}"' in line
    assert "等另 23 个" in quality_html(Quality(None, names), text("zh"))
