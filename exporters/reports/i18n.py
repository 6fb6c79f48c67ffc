"""English and Chinese text of the capacity report (and of the engine's reasons and flags, which
the status page shares).

Terms follow the city's and MIIT's usage (标准机架 standard rack, 上架率 occupancy, 余量
headroom) so a Chinese reader meets the words of the policy documents (docs/domain.md
§2). A missing key falls back to English, so a new string never breaks the Chinese report.

The engine gives every reason a stable code with parameters next to its English text
(``PueResult.reason_code``, ``Failover.reason_code``, ``Forecast.reason_code``, the metering's
``category_reason_code``) and names data-quality conditions by flag (``low_coverage``). Chinese
says them from ``reason_<code>`` and ``flag_<flag>``; English has no such keys and shows the
engine's own text, so the English pages read exactly as the engine wrote them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

#: The engine's reasons in Chinese, by code (parameters as the engine names them; numbers are
#: formatted here, words such as a limit's name are translated first by :func:`reason_text`).
ZH_REASONS: dict[str, str] = {
    # PUE withheld or faulty (dcmon/engine/pue.py)
    "no_meters": "未声明 E_IT 或 E_DC 的计量表",
    "low_coverage": "应有计量小时数的覆盖率为 {coverage:.1%}，低于最低要求 {minimum:.0%}",
    "it_energy_zero": "IT 能耗为零",
    "pue_below_one": "PUE {value:.3f} 小于 1：IT 能耗大于总能耗，请检查计量角色与倍率",
    # measurement category (dcmon/config/resolved.py, Metering)
    "no_energy_topology": "未配置能耗拓扑",
    "no_it_meters": "E_IT 中没有 IT 计量表",
    "racks_unmetered": "{racks} 个机架中有 {missing} 个在 E_IT 中没有 IT 计量表（{shown}）："
                       "其 IT 能耗未被计量",
    # failover (dcmon/engine/capacity/rack.py)
    "not_ab_pair": "不是 A/B 双路供电",
    "no_breaker_rating": "{feed} 路没有断路器额定值",
    "no_live_readings": "两路均无实时读数",
    "peak_only": "两路均无实时读数：仅按历史峰值检查",
    "survivor_over": "若 {failed} 路故障，{survivor} 路将承载 {load:.2f} {unit}，超过其降额容量 "
                     "{limit:.2f} {unit}",
    "peak_over": "A + B 的历史峰值超过单路降额容量",
    # forecast (dcmon/engine/capacity/compute.py)
    "few_points": "只有 {points} 个日峰值，至少需要 {needed} 个",
    "no_spread": "日峰值没有时间跨度",
    "no_limit": "供电与制冷容量均未知",
    "trend_at_limit": "趋势已达到或超过{limit}上限",
    "not_growing": "日峰值没有上升",
}

#: Data-quality flags in Chinese (dcmon/engine/capacity/model.py, Quality.flags).
ZH_FLAGS: dict[str, str] = {
    "low_coverage": "历史覆盖率低",
    "no_racks": "无机架",
    "unmetered_racks": "有未计量机架",
    "unrated_racks": "有未定额机架",
    "no_u_space": "无 U 位数据",
    "cooling_unit_no_data": "制冷单元无数据",
    "no_device": "无设备",
    "current_derived": "电流由功率推算",
    "no_rating": "无额定功率",
    "unmetered": "未计量",
    "no_power_data": "无功率数据",
    "peak_from_energy": "峰值由电能推算",
    "basis_now": "负载口径改用当前值",
    "basis_p95": "负载口径改用 P95",
    "basis_peak": "负载口径改用峰值",
}

#: Words inside reason parameters (a limit's name), in Chinese.
_ZH_WORDS = {"power": "电力", "cooling": "制冷", "space": "空间"}

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Capacity report",
        "generated": "Computed",
        "settings": "Settings",
        "std_rack": "standard rack",
        "derating": "breaker derating",
        "basis": "load basis",
        "threshold": "in-use threshold",
        "city": "City",
        "std_racks_in_use": "Standard racks in use",
        "goal": "goal",
        "of_goal": "of the goal",
        "site": "Site",
        "room": "Room",
        "rack": "Rack",
        "racks": "Racks",
        "racks_installed": "installed",
        "racks_in_use": "in use",
        "racks_unknown": "unmetered",
        "occupancy": "Occupancy",
        "load": "Load",
        "now": "now",
        "p95": "p95",
        "peak": "peak",
        "rated": "Rated",
        "usable": "Usable",
        "utilisation": "Utilisation",
        "power": "power",
        "cooling": "cooling",
        "space": "space",
        "power_capacity": "Power capacity",
        "cooling_capacity": "Cooling capacity",
        "heat_load": "Heat load",
        "headroom": "Headroom",
        "binding": "binding",
        "forecast": "Days until full",
        "r2": "fit R²",
        "trend": "Site load trend (daily peaks)",
        "heatmap": "Rack utilisation",
        "headroom_chart": "Headroom per room",
        "feeds": "Feeds (A / B)",
        "failover": "Failover",
        "failover_ok": "ok",
        "failover_risk": "AT RISK",
        "not_checked": "not checked",
        "u_space": "U used / total",
        "std_racks": "Std racks (measured / provisioned)",
        "quality": "Data quality",
        "coverage": "coverage",
        "stale": "stale inputs",
        "and_more": "and {n} more",
        "flags": "flags",
        "no_data": "no data",
        "pue": "PUE",
        "window": "window",
        "status": "status",
        "category": "category",
        "category_none": "none",
        "category_claim": "claims category {claim}, not backed: {reason}",
        "limit": "limit",
        "status_ok": "ok",
        "status_insufficient_data": "not enough history",
        "status_not_growing": "not growing",
        "status_full": "full now",
        "status_no_limit": "no limit known",
        "days": "days",
        "none": "—",
        "colon": ": ",
        "notes": "Unmetered racks are flagged and left out of sums, never counted as 0 kW. "
                 "Headroom is the smallest of power, cooling and space; a site's headroom is the "
                 "sum of its rooms'.",
    },
    "zh": {
        "title": "容量报告",
        "generated": "计算时间",
        "settings": "参数",
        "std_rack": "标准机架",
        "derating": "断路器降额",
        "basis": "负载口径",
        "threshold": "在用阈值",
        "city": "全市",
        "std_racks_in_use": "在用标准机架",
        "goal": "目标",
        "of_goal": "目标完成率",
        "site": "数据中心",
        "room": "机房",
        "rack": "机架",
        "racks": "机架",
        "racks_installed": "已安装",
        "racks_in_use": "在用",
        "racks_unknown": "未计量",
        "occupancy": "上架率",
        "load": "负载",
        "now": "当前",
        "p95": "P95",
        "peak": "峰值",
        "rated": "额定",
        "usable": "可用",
        "utilisation": "利用率",
        "power": "电力",
        "cooling": "制冷",
        "space": "空间",
        "power_capacity": "供电容量",
        "cooling_capacity": "制冷容量",
        "heat_load": "热负荷",
        "headroom": "余量",
        "binding": "制约因素",
        "forecast": "预计满载天数",
        "r2": "拟合 R²",
        "trend": "数据中心负载趋势（日峰值）",
        "heatmap": "机架利用率",
        "headroom_chart": "各机房余量",
        "feeds": "供电路（A / B）",
        "failover": "单路故障",
        "failover_ok": "安全",
        "failover_risk": "有风险",
        "not_checked": "未检查",
        "u_space": "已用 U / 总 U",
        "std_racks": "标准机架（实测 / 规划）",
        "quality": "数据质量",
        "coverage": "覆盖率",
        "stale": "过期输入",
        "and_more": "等另 {n} 个",
        "flags": "标记",
        "no_data": "无数据",
        "pue": "PUE",
        "window": "时间窗",
        "status": "状态",
        "category": "计量类别",
        "category_none": "无",
        "category_claim": "声明第 {claim} 类，计量不足以支持：{reason}",
        "limit": "上限",
        "status_ok": "正常",
        "status_insufficient_data": "历史数据不足",
        "status_not_growing": "负载未增长",
        "status_full": "已满载",
        "status_no_limit": "无已知上限",
        "days": "天",
        "none": "—",
        "colon": "：",
        "notes": "未计量的机架会被标记并排除在合计之外，绝不按 0 kW 计。"
                 "余量取电力、制冷、空间三者中的最小值；数据中心的余量为各机房余量之和。",
        **{f"pue_status_{k}": v for k, v in
           {"ok": "正常", "withheld": "暂不发布", "metering_fault": "计量故障"}.items()},
        **{f"reason_{k}": v for k, v in ZH_REASONS.items()},
        **{f"flag_{k}": v for k, v in ZH_FLAGS.items()},
    },
}


def text(lang: str) -> dict[str, str]:
    """The strings of ``lang`` (English for anything missing)."""
    return {**STRINGS["en"], **STRINGS.get(lang, {})}


def reason_text(t: Mapping[str, str], code: str,
                args: Mapping[str, float | int | str] | Iterable[tuple[str, float | int | str]],
                fallback: str) -> str:
    """An engine reason in the language of ``t``: its ``reason_<code>`` template with the
    parameters, else ``fallback`` (the engine's English text: English, or a code this table
    does not know yet)."""
    template = t.get(f"reason_{code}") if code else None
    if template is None:
        return fallback
    params = dict(args.items() if isinstance(args, Mapping) else args)
    try:
        return template.format(**{k: _ZH_WORDS.get(v, v) if isinstance(v, str) else v
                                  for k, v in params.items()})
    except (KeyError, ValueError, IndexError):  # a parameter missing: the English text
        return fallback


def flag_text(t: Mapping[str, str], flag: str) -> str:
    """A data-quality flag in the language of ``t`` (English: the flag itself)."""
    return t.get(f"flag_{flag}", flag)
