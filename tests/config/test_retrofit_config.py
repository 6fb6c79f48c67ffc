"""``sites[].retrofits``: every fault is refused with its file and key; weather CSVs with their
line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dcmon.app.inventory import parse_config
from dcmon.engine.mv.weather import load_weather
from dcmon.errors import ConfigError


def inventory(retrofit: dict[str, Any], energy: bool = True) -> dict[str, Any]:
    site: dict[str, Any] = {"id": "dc1", "devices": [
        {"id": m, "host": "127.0.0.1", "credential": "ro"} for m in ("m1", "m2")],
        "retrofits": [retrofit]}
    if energy:
        site["energy"] = {"facility": ["m1"], "it": ["m2"]}
    return {"credentials": {"ro": {"version": "2c", "community": "x"}}, "sites": [site]}


GOOD = {"id": "chiller", "date": "2026-06-08", "baseline": {"start": "2026-01-01",
                                                            "end": "2026-05-31"},
        "temperature": {"csv": "weather.csv"}}


def problems(doc: dict[str, Any], base: Path) -> list[str]:
    with pytest.raises(ConfigError) as exc:
        parse_config(doc, "inv.yaml", base=base)
    return [str(p) for p in exc.value.problems]


def test_good_retrofit_loads(tmp_path: Path) -> None:
    (tmp_path / "weather.csv").write_text("timestamp,outdoor_c\n", encoding="utf-8")
    cfg = parse_config(inventory(GOOD), "inv.yaml", base=tmp_path)
    r = cfg.model.sites[0].retrofits[0]
    assert (r.granularity, r.confidence, r.min_baseline_days) == ("daily", 0.9, 56)
    assert r.baseline.days == 151


@pytest.mark.parametrize(("change", "key", "words"), [
    ({"date": "2026-05-01"}, "sites.0.retrofits.0", "must be before the retrofit date"),
    ({"baseline": {"start": "2026-03-01", "end": "2026-01-01"}}, "sites.0.retrofits.0.baseline",
     "is before start"),
    ({"reporting": {"start": "2026-06-01", "end": "2026-07-01"}}, "sites.0.retrofits.0",
     "must be on or after"),
    ({"granularity": "weekly"}, "sites.0.retrofits.0.granularity", "daily"),
    ({"confidence": 1.5}, "sites.0.retrofits.0.confidence", "0.99"),
    ({"min_baseline_days": 7}, "sites.0.retrofits.0.min_baseline_days", "14"),
    ({"baseline_days": 7}, "sites.0.retrofits.0.baseline_days", "unknown key"),
    ({"temperature": {"csv": "missing.csv"}}, "sites.0.retrofits.0.temperature.csv",
     "is not a file"),
    ({"temperature": {"sensor": {"device": "nope"}}},
     "sites.0.retrofits.0.temperature.sensor.device", "unknown device 'nope'"),
    ({"temperature": {"csv": "weather.csv", "sensor": {"device": "m1"}}},
     "sites.0.retrofits.0.temperature", "exactly one of csv and sensor"),
    ({"temperature": {}}, "sites.0.retrofits.0.temperature", "exactly one of csv and sensor"),
])
def test_refused_with_key(tmp_path: Path, change: dict[str, Any], key: str,
                          words: str) -> None:
    (tmp_path / "weather.csv").write_text("timestamp,outdoor_c\n", encoding="utf-8")
    found = problems(inventory({**GOOD, **change}), tmp_path)
    assert any(p.startswith(f"inv.yaml: {key}: ") and words in p for p in found), found


def test_site_without_energy_and_duplicates(tmp_path: Path) -> None:
    doc = inventory(GOOD, energy=False)
    doc["sites"][0]["retrofits"].append(GOOD)
    found = problems(doc, tmp_path)
    assert "inv.yaml: sites.0.retrofits.0: the site has no energy topology" in found[0]
    assert any("sites.0.retrofits.1.id: duplicate retrofit id 'chiller'" in p for p in found)
    assert any("temperature.csv: weather.csv is not a file" in p for p in found)


def test_weather_csv_faults_by_line(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("timestamp,outdoor_c\n2026-01-01T00:00:00Z,3.5\n2026-01-01T01:00:00,4\n"
                    "1767229200,hot\n1767232800,99\n\n2026-01-01T00:00:00+00:00,3\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_weather(path)
    assert [str(p) for p in exc.value.problems] == [
        f"{path}: line 3: timestamp '2026-01-01T01:00:00' has no UTC offset (write +08:00 or Z)",
        f"{path}: line 4: could not convert string to float: 'hot'",
        f"{path}: line 5: temperature 99 °C is not plausible",
        f"{path}: line 7: a second observation for the same time",
    ]


def test_weather_means(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("Timestamp,Outdoor_C\n1767229200,2\n1767225600,4\n"
                    "2026-01-01T08:30:00+08:00,9\n", encoding="utf-8")
    w = load_weather(path)
    assert w.ts == (1767225600.0, 1767227400.0, 1767229200.0)
    assert w.mean(1767225600, 1767229200) == pytest.approx(6.5)
    assert w.mean(1767229200, 1767232800) == 2.0
    assert w.mean(0, 1) is None
    bad = tmp_path / "b.csv"
    bad.write_text("time,temp\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected the header"):
        load_weather(bad)


def test_weather_csv_too_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dcmon.engine.mv.weather.MAX_LINES", 3)
    path = tmp_path / "w.csv"
    path.write_text("timestamp,outdoor_c\n1,1\n2,2\n3,3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="line 4: more than 3 lines"):
        load_weather(path)
