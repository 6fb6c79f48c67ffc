"""CUE, REF and WUE as line protocol: the points the engine's carbon results become."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcmon.exporters.influx.lineproto import Place
from dcmon.exporters.influx.results import result_lines
from tests.support.capacity_api import hub_from_case
from tests.support.paths import CASES


def _fields(line: str) -> dict[str, float]:
    fields = line.split(" ")[1]
    return {k: float(v.rstrip("i")) for k, v in (f.split("=") for f in fields.split(","))}


def test_carbon_and_water_points(tmp_path: Path) -> None:
    hub = hub_from_case(CASES / "carbon" / "wue_wrap", tmp_path)
    lines = list(result_lines(hub.latest, {"tower-water": Place("dc1")}))
    (carbon,) = [x for x in lines if x.startswith("site_carbon,site=dc1,window=1h ")]
    f = _fields(carbon)
    # The last settled hour: 260 kWh of grid electricity at 0.5306 kg/kWh over 200 kWh of IT.
    assert f["cue"] == pytest.approx(260 * 0.5306 / 200, rel=1e-6)
    assert f["grid_kwh"] == pytest.approx(260, rel=1e-6)
    assert f["ref"] == 0.0 and f["status_code"] == 0
    (water,) = [x for x in lines if x.startswith("site_water,site=dc1,window=1h ")]
    assert _fields(water)["wue"] == pytest.approx(2.0, rel=1e-6)
    assert int(water.rsplit(" ", 1)[1]) == int(hub.latest.water[0].end * 1000)
    (total,) = [x for x in lines if x.startswith("site_energy_total,")]
    assert _fields(total)["water_m3"] == pytest.approx(9.6, rel=1e-6)
    # 7 days hold 23 hours of data: withheld, so no value fields, only the status.
    (week,) = [x for x in lines if x.startswith("site_water,site=dc1,window=7d ")]
    assert "wue" not in _fields(week) and _fields(week)["status_code"] == 1
