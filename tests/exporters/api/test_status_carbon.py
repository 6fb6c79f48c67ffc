"""The status page's carbon and water section, over real HTTP, in English and Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.support.capacity_api import READ_TOKEN, running_api
from tests.support.paths import CASES

READ = {"Authorization": f"Bearer {READ_TOKEN}"}


def _row(html: str, window: str) -> str:
    m = re.search(rf'<tr class="carbon-window" data-window="{window}"[^>]*>(.*?)</tr>', html)
    assert m, html
    return m.group(1)


def test_site_page_shows_cue_ref_and_wue(tmp_path: Path) -> None:
    with running_api(CASES / "carbon" / "wue_wrap", tmp_path) as api:
        r = httpx.get(f"{api.url}/status/site/dc1", headers=READ, timeout=10)
        assert r.status_code == 200
        assert '<h2 id="carbon">Carbon, renewables and water</h2>' in r.text
        cells = re.findall(r"<td[^>]*>(.*?)</td>", _row(r.text, "1h"))
        # window, period, CUE, CUE market, REF, CO2 (t), factor, WUE, water, coverage, status
        assert cells[2] == "0.690"  # 260 kWh x 0.5306 / 200 kWh
        assert cells[3] == "0.792"  # no certificates: 260 x 0.6096 (the residual mix) / 200
        assert cells[6] == "0.5306" and cells[7] == "2.00" and cells[8] == "0.4"
        assert "applied to 2026" in r.text  # the factor's source, carried forward
        assert 'data-window="7d" data-status="withheld"' in r.text
        zh = httpx.get(f"{api.url}/status/site/dc1", headers=READ, params={"lang": "zh"},
                       timeout=10)
        assert "碳排放、可再生能源与用水" in zh.text and "暂不计算" in zh.text
