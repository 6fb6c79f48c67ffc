"""The built-in rules on synthetic engine results and poll health: rack over-utilisation, feed
failover risk, device down, stale data, metering faults, edge sites, withheld values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dcmon.app.inventory import parse_config
from dcmon.collectors.registry import ProfileRegistry
from dcmon.config.resolved import Config
from dcmon.engine.alerts.rules import AlertInputs, observe
from dcmon.engine.alerts.state import Alerter, Notification, Observation
from dcmon.engine.pue import InstantPue, PueResult
from dcmon.engine.snapshot import DeviceHealth, DeviceInfo
from dcmon.model import Reading, Source

T0 = 1_767_225_600.0
DOC: dict[str, Any] = {
    "poll": {"interval": 30},
    "credentials": {"ro": {"version": "2c", "community": "x"}},
    "sites": [
        {"id": "dc1", "policy": {"rack_kw": 5, "feed_kw": 6, "racks": {"a02": {"rack_kw": 10}}},
         "energy": {"facility": ["m1"], "design_it_kw": 100},
         "devices": [{"id": "m1", "host": "127.0.0.1", "credential": "ro"}],
         "rooms": [{"id": "h1", "racks": [
             {"id": "a01", "devices": [
                 {"id": "pa", "host": "127.0.0.1", "credential": "ro", "feed": "A"},
                 {"id": "pb", "host": "127.0.0.1", "credential": "ro", "feed": "B"}]},
             {"id": "a02", "devices": [{"id": "pc", "host": "127.0.0.1", "credential": "ro"}]},
         ]}]},
        {"id": "edge", "policy": {"class": "edge"},
         "energy": {"facility": ["em"], "it": ["ep"]},
         "devices": [{"id": "em", "host": "127.0.0.1", "credential": "ro"},
                     {"id": "ep", "host": "127.0.0.1", "credential": "ro"}]}],
    "alerting": {"rules": {"rack": {"for": 0}, "feed": {"for": 0}, "device_down": {"for": 0}}},
}


def cfg() -> Config:
    return parse_config(DOC, "t.yaml", ProfileRegistry.load(), Path("."))


def power(dev: str, w: float) -> Reading:
    return Reading(dev, "power", w, "W", {}, T0, Source("test"), rack_power=True,
                   level="total")


def health(dev: str, up: bool = True, polls: int = 5, last: float = T0) -> DeviceHealth:
    return DeviceHealth(DeviceInfo(dev, "dc1", "h1", "a01", "auto"), up=up, polls=polls,
                        last_success_ts=last, consecutive_failures=0 if up else 3,
                        last_error="" if up else "no answer", last_reason="" if up else
                        "timeout")


def pue(site: str, status: str, value: float | None, **kw: Any) -> PueResult:
    base = dict(site=site, window="24h", start=T0 - 86400, end=T0, category=2, value=value,
                status=status, reason="", coverage=1.0, facility_kwh=130.0, it_kwh=100.0,
                it_load_fraction=0.6, interim=True)
    return PueResult(**{**base, **kw})  # type: ignore[arg-type]


def by_name(obs: list[Observation], name: str) -> list[Observation]:
    return [o for o in obs if o.alertname == name]


def test_rack_and_feed() -> None:
    c = cfg()
    healthy = {d.id: health(d.id) for d in c.devices}
    inp = AlertInputs(health=healthy, readings={"pa": (power("pa", 2600),),
                                                "pb": (power("pb", 2400),),
                                                "pc": (power("pc", 9700),)})
    obs = observe(c, T0, inp, {})
    racks = {o.labels["rack"]: o for o in by_name(obs, "DcmonRackOverUtilised")}
    # a01: 5.0 kW of 5 kW = 100 % -> critical; a02: 9.7 of 10 kW = 97 % -> critical
    assert racks["a01"].state == "breach" and racks["a01"].severity == "critical"
    assert racks["a01"].value == 1.0
    assert racks["a02"].value is not None and abs(racks["a02"].value - 0.97) < 1e-9
    [feed] = by_name(obs, "DcmonFeedFailoverRisk")
    assert feed.labels == {"site": "dc1", "room": "h1", "rack": "a01"}
    assert feed.state == "breach" and feed.severity == "warning"  # 5.0 / 6 = 83 %
    assert "If one feed fails" in feed.text.description  # type: ignore[union-attr]
    assert "任一路故障" in feed.text.description_zh  # type: ignore[union-attr]


def test_rack_hysteresis_and_critical_hold() -> None:
    c = cfg()
    alerter = Alerter(_MemStore(), 3600)
    hl = {d.id: health(d.id) for d in c.devices}

    def at(t: float, w: float) -> list[Notification]:
        inp = AlertInputs(health=hl, readings={"pc": (power("pc", w),)})
        return alerter.evaluate(t, [o for o in observe(c, t, inp, alerter.alerts)
                                    if o.labels.get("rack") == "a02"
                                    and o.alertname == "DcmonRackOverUtilised"])
    assert [n.severity for n in at(T0, 9600)] == ["critical"]       # 96 %
    assert at(T0 + 60, 9200) == []                                  # 92 %: still critical
    assert [n.severity for n in at(T0 + 120, 8500) if n.status == "firing"] == ["warning"]
    assert at(T0 + 180, 7700) == []                                 # 77 %: band, holds
    assert [n.status for n in at(T0 + 240, 7400)] == ["resolved"]   # 74 %: clear


def test_partial_rack_data_holds() -> None:
    c = cfg()
    hl = {d.id: health(d.id) for d in c.devices}
    hl["pb"] = health("pb", up=False)
    obs = observe(c, T0, AlertInputs(health=hl, readings={"pa": (power("pa", 2600),)}), {})
    assert {(o.alertname, o.state) for o in obs if o.labels.get("rack") == "a01"
            and o.alertname in ("DcmonRackOverUtilised", "DcmonFeedFailoverRisk")} == {
        ("DcmonRackOverUtilised", "hold"), ("DcmonFeedFailoverRisk", "hold")}


def test_device_down_and_stale() -> None:
    c = cfg()
    hl = {d.id: health(d.id) for d in c.devices}
    hl["pa"] = health("pa", up=False)
    hl["pb"] = health("pb", last=T0 - 200)  # 200 s > 3 x 30 s, and not reported down
    del hl["pc"]  # never polled since start
    obs = observe(c, T0, AlertInputs(health=hl, started=T0 - 60), {})
    down = [o for o in by_name(obs, "DcmonDeviceDown") if o.state == "breach"]
    assert [(o.labels["device"], o.labels["rack"]) for o in down] == [("pa", "a01")]
    assert "timeout" in down[0].text.summary  # type: ignore[union-attr]
    stale = [o.labels["device"] for o in by_name(obs, "DcmonStaleData") if o.state == "breach"]
    assert stale == ["pb"]  # pc: 60 s since start < 90 s
    obs = observe(c, T0 + 60, AlertInputs(health=hl, started=T0 - 60), {})
    assert sorted(o.labels["device"] for o in by_name(obs, "DcmonStaleData")
                  if o.state == "breach") == ["pb", "pc"]
    assert observe(c, T0, AlertInputs(), {}) == []  # replay: no poller, no device rules


def test_metering_faults_and_edge() -> None:
    c = cfg()
    inp = AlertInputs(
        pue=[pue("dc1", "metering_fault", 0.9, facility_kwh=90.0),
             pue("edge", "ok", 1.9)],
        instant=[InstantPue("dc1", 80_000, 90_000, 0.889, ()),
                 InstantPue("edge", 5000, 3000, 1.67, ())])
    obs = observe(c, T0, inp, {})
    faults = {(o.labels["site"], o.labels["window"]): o.state
              for o in by_name(obs, "DcmonMeteringFault")}
    assert faults == {("dc1", "24h"): "breach", ("edge", "24h"): "clear",
                      ("dc1", "instant"): "breach", ("edge", "instant"): "clear"}
    pue_obs = by_name(obs, "DcmonPueAboveCeiling")
    assert [(o.labels["site"], o.state) for o in pue_obs] == [("dc1", "hold")]  # edge: none


def test_withheld_breach_is_unconfirmed_not_dropped() -> None:
    c = cfg()
    r = pue("dc1", "withheld", None, coverage=0.5, facility_kwh=140.0, it_kwh=100.0)
    [o] = by_name(observe(c, T0, AlertInputs(pue=[r]), {}), "DcmonPueAboveCeiling")
    assert (o.state, o.confirmed, o.severity, o.value) == ("breach", False, "info", 1.4)
    assert "coverage 50% of the window is below 90%" in o.text.description  # type: ignore
    r = pue("dc1", "withheld", None, coverage=0.0, facility_kwh=0.0, it_kwh=0.0)
    [o] = by_name(observe(c, T0, AlertInputs(pue=[r]), {}), "DcmonPueAboveCeiling")
    assert o.state == "hold"


class _MemStore:
    def active(self) -> dict[str, Any]:
        return {}

    def commit(self, alerts: Any, outbox: Any) -> None:
        pass


def test_resolved_device_down_says_it_recovered_in_both_languages() -> None:
    c = cfg()
    alerter = Alerter(_MemStore(), 3600)
    hl = {d.id: health(d.id) for d in c.devices}
    hl["pa"] = health("pa", up=False)
    fired = alerter.evaluate(T0, observe(c, T0, AlertInputs(health=hl, started=T0 - 60), {}))
    firing = [n for n in fired if n.labels["alertname"] == "DcmonDeviceDown"]
    assert [n.status for n in firing] == ["firing"]
    assert "is down" in firing[0].annotations["summary"]
    hl["pa"] = health("pa")
    done = alerter.evaluate(T0 + 30, observe(c, T0 + 30, AlertInputs(health=hl,
                                                                      started=T0 - 60), {}))
    resolved = [n for n in done if n.labels["alertname"] == "DcmonDeviceDown"]
    assert [n.status for n in resolved] == ["resolved"]
    notes = resolved[0].annotations
    assert notes["summary"] == "pa has recovered: polls succeed again"
    assert notes["summary_zh"] == "设备 pa 已恢复，采集正常"
    for key in ("summary", "summary_zh", "description", "description_zh"):
        assert "is down" not in notes[key] and "无法采集" not in notes[key], (key, notes[key])
