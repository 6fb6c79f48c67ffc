"""A retrofit that reads an outdoor sensor, added by a reload, has its sensor logged from then
on: ``dcmon run``'s pipeline keeps a temperature log whatever the starting inventory names."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from dcmon.app.inventory import load_with_profiles
from dcmon.app.service import _pipeline
from dcmon.engine.store import Store
from dcmon.model import PollResult, Reading, Source

INVENTORY = {
    "poll": {"interval": 3600},
    "state_dir": "state",
    "credentials": {"ro": {"version": "2c", "community": "x"}},
    "sites": [{
        "id": "dc1", "energy": {"it": "racks", "facility": ["meter1"]},
        "devices": [{"id": "meter1", "host": "127.0.0.1", "credential": "ro"}],
        "rooms": [{"id": "hall", "racks": [{"id": "a", "devices": [
            {"id": "pdu1", "host": "127.0.0.1", "credential": "ro"}]}]}],
    }],
}
RETROFIT = {"id": "chiller", "date": "2026-06-08", "description": "chiller replaced",
            "baseline": {"start": "2026-01-15", "end": "2026-05-31"},
            "temperature": {"sensor": {"device": "meter1", "metric": "outdoor_temperature"}}}


def _poll(ts: float, value: float) -> PollResult:
    reading = Reading("meter1", "outdoor_temperature", value, "Cel", {}, ts, Source("test"))
    return PollResult("meter1", "x", (reading,), (), ts, 0.01)


def test_sensor_named_by_a_reload_is_logged(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(INVENTORY), encoding="utf-8")
    config, profiles = load_with_profiles(path)
    (tmp_path / "state").mkdir()
    store = Store(tmp_path / "state" / "dcmon.sqlite")
    pipe = _pipeline(config, profiles, store)
    temps = pipe.hub.temperatures
    assert temps is not None
    hour = 1_780_000_000 - 1_780_000_000 % 3600
    for listener in pipe.poller.listeners:  # no retrofit yet: nothing is logged
        listener(_poll(hour + 60, 30.0))
    doc = copy.deepcopy(INVENTORY)
    doc["sites"][0]["retrofits"] = [RETROFIT]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    reloaded, _ = load_with_profiles(path)
    pipe.hub.reconfigure(reloaded)
    for ts, value in ((hour + 120, 20.0), (hour + 180, 22.0)):
        for listener in pipe.poller.listeners:
            listener(_poll(ts, value))
    temps.flush()
    [ref] = [r.temperature.sensor for r in reloaded.model.sites[0].retrofits]
    assert ref is not None
    # The 30 °C polled before the reload was not logged; the two after it were.
    assert temps.mean(ref.key, hour, hour + 3600) == 21.0
    temps.close()
    pipe.hub.close()
    store.close()
