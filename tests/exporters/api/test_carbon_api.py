"""``/api/v1/carbon`` and ``/api/v1/water`` over real HTTP on 127.0.0.1, on carbon cases."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from tests.support.capacity_api import READ_TOKEN, running_api
from tests.support.paths import CASES

READ = {"Authorization": f"Bearer {READ_TOKEN}"}


def test_carbon_with_certificates(tmp_path: Path) -> None:
    with running_api(CASES / "carbon" / "ref_certificates_new_year", tmp_path) as api:
        url = f"{api.url}/api/v1/carbon"
        assert httpx.get(url, timeout=10).status_code == 401
        page = httpx.get(url, headers=READ, params={"site": "dc1", "window": "1h"},
                         timeout=10).json()
        assert page["total"] == 1
        (c,) = page["items"]
        # 2026-01-01 10:00-11:00: grid 30 - 3 = 27 kWh x 0.5 = 13.5 kg over 20 kWh of IT;
        # certificates 7.44 MWh / 744 h = 10 kWh, so market (27 - 10) x 0.55 = 9.35 kg.
        assert c["cue"] == pytest.approx(0.675, rel=1e-6)
        assert c["cue_market"] == pytest.approx(0.4675, rel=1e-6)
        assert c["ref"] == pytest.approx(13 / 30, rel=1e-6)
        assert c["grid_factor_source"] == "city 2026"
        text = httpx.get(url, headers={**READ, "Accept": "text/csv"},
                         params={"window": "1h"}, timeout=10).text
        (row,) = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        assert float(row["cue"]) == pytest.approx(0.675, rel=1e-6)
        water = httpx.get(f"{api.url}/api/v1/water", headers=READ, timeout=10).json()
        assert water["total"] == 0 and water["items"] == []


def test_water(tmp_path: Path) -> None:
    with running_api(CASES / "carbon" / "wue_wrap", tmp_path) as api:
        page = httpx.get(f"{api.url}/api/v1/water", headers=READ,
                         params={"window": "1h"}, timeout=10).json()
        (w,) = page["items"]
        assert w["wue"] == pytest.approx(2.0, rel=1e-6)
        assert w["water_m3"] == pytest.approx(0.4, rel=1e-6)
