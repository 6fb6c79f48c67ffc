"""Alert texts in English and Chinese: the value, the threshold, the window, what to check first.

Operators read these on a phone in a DingTalk group at 3 a.m.; each text must stand alone:
which site, what was measured over which period, against which limit and its source, and the
first thing to look at. Kept apart from the rules so wording changes never touch logic.
"""

from __future__ import annotations

from dcmon.config.policy import PolicyClass
from dcmon.engine.alerts.gate import Gate
from dcmon.engine.alerts.state import Text

_WINDOW_ZH = {"1h": "1 小时", "24h": "24 小时", "7d": "7 天", "30d": "30 天", "365d": "365 天",
              "instant": "瞬时"}


def window_zh(w: str) -> str:
    return _WINDOW_ZH.get(w, w)


def _pct(x: float | None) -> str:
    return f"{x:.0%}" if x is not None else "unknown"


def pue(site: str, window: str, value: float, ceiling: float, cls: PolicyClass, gate: Gate,
        it_load: float | None, coverage: float, category: int | None) -> Text:
    tag = "" if gate.confirmed else "UNCONFIRMED "
    tag_zh = "" if gate.confirmed else "【未确认】"
    why = "" if gate.confirmed else f" Not confirmed: {'; '.join(gate.en)}."
    why_zh = "" if gate.confirmed else f"未确认原因：{'；'.join(gate.zh)}。"
    # The text goes out with the resolution too, by then with a value at or under the ceiling.
    above = value > ceiling
    where = "above" if above else "back at or below"
    where_zh = "超过限值" if above else "已回到限值以内，限值"
    cat = (f"category {category}" if category is not None
           else "no category: the metering backs none")
    cat_zh = f"第 {category} 类计量" if category is not None else "计量不足以确定类别"
    return Text(
        summary=f"{tag}{site}: PUE {value:.3f} over {window} is {where} the {ceiling:.2f} "
                f"ceiling",
        summary_zh=f"{tag_zh}{site}：{window_zh(window)} PUE {value:.3f} {where_zh} "
                   f"{ceiling:.2f}",
        description=(
            f"Site {site}: energy PUE (E_DC/E_IT, {cat}) over the last {window} "
            f"is {value:.3f}, {where} the {ceiling:.2f} ceiling of its class ({cls.en}; "
            f"{cls.source}). IT load {_pct(it_load)} of design, data coverage {coverage:.0%}."
            f"{why} Check first: cooling plant (chiller/CRAC units running, supply air and "
            f"chilled-water set points, free-cooling mode), then UPS mode and load; if the "
            f"value looks wrong, the meter roles (dcmon check-config)."),
        description_zh=(
            f"站点 {site}：最近 {window_zh(window)}的能耗 PUE（E_DC/E_IT，"
            f"{cat_zh}）为 {value:.3f}，"
            f"{'超过' if above else '已回到'}{cls.zh}限值 {ceiling:.2f}{'' if above else '以内'}"
            f"（{cls.source}）。IT 负载为设计值的 {_pct(it_load)}，数据覆盖率 "
            f"{coverage:.0%}。{why_zh}请先检查：制冷系统（冷机/精密空调运行台数、"
            f"送风与冷冻水温度设定、自然冷却模式），再查 UPS 运行模式与负载率；"
            f"若数值可疑，用 dcmon check-config 核对计量角色。"),
    )


def metering_fault(site: str, window: str, value: float, it_kwh: float, fac_kwh: float
                   ) -> Text:
    return Text(
        summary=f"{site}: metering fault, PUE {value:.3f} < 1 over {window}",
        summary_zh=f"{site}：计量故障，{window_zh(window)} PUE {value:.3f} 小于 1",
        description=(
            f"Site {site}: over the last {window} IT energy ({it_kwh:.1f} kWh) exceeds facility "
            f"energy ({fac_kwh:.1f} kWh), PUE {value:.3f} < 1.0 is physically impossible. PUE "
            f"is not reported as good. Check first: meter roles in sites.energy (a facility "
            f"meter missing, or an IT meter counted twice), then meter scaling (kW vs W, "
            f"0.1 kWh units) and CT ratios."),
        description_zh=(
            f"站点 {site}：最近 {window_zh(window)}的 IT 能耗（{it_kwh:.1f} kWh）大于总能耗"
            f"（{fac_kwh:.1f} kWh），PUE {value:.3f} 小于 1.0，物理上不可能，不作为合格值上报。"
            f"请先检查：sites.energy 中的计量角色（总表缺失或 IT 表重复计入），再查电表倍率"
            f"（kW 与 W、0.1 kWh 单位）和互感器变比。"),
    )


def capacity(site: str, days: float, limit_days: float, slope_kw: float, r2: float,
             binding: str) -> Text:
    return Text(
        summary=f"{site}: capacity full in {days:.0f} days (alert under {limit_days:.0f})",
        summary_zh=f"{site}：预计 {days:.0f} 天后容量用尽（告警阈值 {limit_days:.0f} 天）",
        description=(
            f"Site {site}: daily peak load grows {slope_kw:.2f} kW/day (fit R² {r2:.2f}); at this "
            f"trend the {binding} limit is reached in {days:.0f} days, under the {limit_days:.0f}"
            f"-day threshold. Check first: the capacity report's load trend and headroom per "
            f"room, then plan new racks, cooling or power before placing more load."),
        description_zh=(
            f"站点 {site}：日峰值负载每天增长 {slope_kw:.2f} kW（拟合 R² {r2:.2f}），按此趋势 "
            f"{days:.0f} 天后达到{binding}上限，低于 {limit_days:.0f} 天阈值。请先查看容量报告的"
            f"负载趋势和各机房余量，再规划新增机柜、制冷或配电。"),
    )


def instant_fault(site: str, fac_w: float, it_w: float) -> Text:
    return Text(
        summary=f"{site}: IT power {it_w / 1000:.1f} kW is above facility power "
                f"{fac_w / 1000:.1f} kW",
        summary_zh=f"{site}：IT 功率 {it_w / 1000:.1f} kW 大于总功率 {fac_w / 1000:.1f} kW",
        description=(
            f"Site {site}: live IT power {it_w / 1000:.1f} kW exceeds facility power "
            f"{fac_w / 1000:.1f} kW (instantaneous PUE < 1). Check first: the facility meters "
            f"(all incomers counted? one offline?), then IT meter scaling and roles."),
        description_zh=(
            f"站点 {site}：实时 IT 功率 {it_w / 1000:.1f} kW 大于总功率 {fac_w / 1000:.1f} kW"
            f"（瞬时 PUE 小于 1）。请先检查总进线电表（是否全部计入、是否有表离线），再查 IT "
            f"电表倍率与角色。"),
    )


def device_down(device: str, where: str, error: str, reason: str, failures: int) -> Text:
    return Text(
        summary=f"{device} is down ({reason})",
        summary_zh=f"设备 {device} 无法采集（{reason}）",
        description=(
            f"Device {device} ({where}) failed its last {failures} polls: {reason}: {error}. "
            f"Its readings are withdrawn; PUE coverage drops. Check first: network reach "
            f"(ping, port), then the SNMP credential or Modbus unit id, then the device's own "
            f"management card."),
        description_zh=(
            f"设备 {device}（{where}）最近 {failures} 次采集失败：{reason}：{error}。其读数已撤下，"
            f"PUE 数据覆盖率随之下降。请先检查网络连通（ping、端口），再查 SNMP 凭据或 Modbus "
            f"从站地址，最后查设备管理卡。"),
    )


def device_up(device: str, where: str) -> Text:
    """The resolution of DeviceDown: the text a RESOLVED notification carries."""
    return Text(
        summary=f"{device} has recovered: polls succeed again",
        summary_zh=f"设备 {device} 已恢复，采集正常",
        description=(f"Device {device} ({where}) answers its polls again; its readings are back "
                     f"and PUE coverage recovers. Nothing to do unless it keeps failing."),
        description_zh=(f"设备 {device}（{where}）已恢复响应采集，读数重新上报，PUE 数据覆盖率随之"
                        f"恢复。若反复离线，请检查网络与设备管理卡。"),
    )


def fresh(device: str, where: str) -> Text:
    """The resolution of the stale-data alert."""
    return Text(
        summary=f"{device} has recovered: readings arrive again",
        summary_zh=f"设备 {device} 已恢复，重新有读数",
        description=f"Device {device} ({where}) delivers readings again.",
        description_zh=f"设备 {device}（{where}）已重新上报读数。",
    )


def stale(device: str, where: str, age_s: float, limit_s: float) -> Text:
    return Text(
        summary=f"{device}: no data for {age_s / 60:.0f} min",
        summary_zh=f"设备 {device}：{age_s / 60:.0f} 分钟无数据",
        description=(
            f"Device {device} ({where}) has not delivered a reading for {age_s / 60:.0f} min "
            f"(limit {limit_s / 60:.0f} min = stale_after x poll interval) although it is not "
            f"reported down. Check first: whether dcmon is polling it "
            f"(dcmon_device_last_success_timestamp_seconds, the log), then `dcmon poll` against "
            f"it by hand."),
        description_zh=(
            f"设备 {device}（{where}）已 {age_s / 60:.0f} 分钟没有读数（上限 {limit_s / 60:.0f} "
            f"分钟），但未被判定为离线。请先检查 dcmon 是否在采集它（日志），再手动执行 "
            f"dcmon poll 核对。"),
    )


def rack(site: str, room: str, rack_id: str, kw: float, rated_kw: float, ratio: float,
         limit: float) -> Text:
    return Text(
        summary=f"{site}/{rack_id}: rack power {kw:.1f} kW is {ratio:.0%} of its "
                f"{rated_kw:.1f} kW rating",
        summary_zh=f"{site}/{rack_id}：机柜功率 {kw:.1f} kW，达到额定 {rated_kw:.1f} kW 的 "
                   f"{ratio:.0%}",
        description=(
            f"Rack {rack_id} in {site}/{room} draws {kw:.1f} kW now, {ratio:.0%} of its rated "
            f"{rated_kw:.1f} kW (alert above {limit:.0%}). Check first: recent installs in the "
            f"rack, then per-outlet power (dcmon poll --format json) and the rack's cooling."),
        description_zh=(
            f"{site}/{room} 的机柜 {rack_id} 当前功率 {kw:.1f} kW，为额定 {rated_kw:.1f} kW 的 "
            f"{ratio:.0%}（告警阈值 {limit:.0%}）。请先检查该机柜近期上架的设备，再看各输出口功率"
            f"（dcmon poll --format json）和机柜制冷。"),
    )


def feed(site: str, room: str, rack_id: str, kw: float, feed_kw: float, ratio: float,
         limit: float) -> Text:
    return Text(
        summary=f"{site}/{rack_id}: A+B draw {kw:.1f} kW, {ratio:.0%} of what one feed "
                f"carries ({feed_kw:.1f} kW)",
        summary_zh=f"{site}/{rack_id}：A+B 路合计 {kw:.1f} kW，为单路容量 {feed_kw:.1f} kW 的 "
                   f"{ratio:.0%}",
        description=(
            f"Rack {rack_id} in {site}/{room}: feeds A and B together draw {kw:.1f} kW. If one "
            f"feed fails, the other must carry it all: {ratio:.0%} of its {feed_kw:.1f} kW "
            f"capacity (alert above {limit:.0%}; above 100 % the surviving breaker trips). Check "
            f"first: the A/B balance and the PDU breaker rating, then move load off the rack."),
        description_zh=(
            f"{site}/{room} 的机柜 {rack_id}：A、B 两路合计 {kw:.1f} kW。"
            f"任一路故障时另一路须承担全部负载，即单路容量 {feed_kw:.1f} kW 的 "
            f"{ratio:.0%}（告警阈值 {limit:.0%}；超过 100% 则剩余一路断路器跳闸）。"
            f"请先检查 A/B 负载均衡与 PDU 断路器额定值，再迁出部分负载。"),
    )
