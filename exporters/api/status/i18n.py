"""English and Chinese text of the status page (exporters/api/status/routes.py), and the choice of
language.

Same approach as the capacity report (exporters/reports/i18n.py): one table per language, a
missing key falls back to English, and the words the report already translates (标准机架,
余量, 制约因素, 电力/制冷/空间, ...) are taken from its table so both speak alike. Values with
``{name}`` are formatted by the caller. Reasons that come from the engine (coverage, metering,
failover, forecast) carry a code and parameters; Chinese says them from the report's
``reason_<code>`` templates and data-quality flags from its ``flag_<flag>`` names, English shows
the engine's own text.

Language: ``?lang=en|zh`` on the URL (explicit: carried on every internal link), else the
``Accept-Language`` header (``zh*`` -> zh, ``en*`` -> en, the higher q wins), else
``api.status_lang``.
"""

from __future__ import annotations

from typing import Literal

from dcmon.exporters.reports.i18n import STRINGS as REPORT

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")
#: ``<html lang>`` and Content-Language of each language.
HTML_LANG = {"en": "en", "zh": "zh-CN"}
#: Longer Accept-Language headers are read this far only.
MAX_ACCEPT = 512

_R_EN, _R_ZH = REPORT["en"], REPORT["zh"]

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # frame, footer
        "brand": "dcmon status",
        "switch": "中文",
        "logout": "Log out",
        "computed": "Results computed {when}",
        "no_results": "No results computed yet",
        "reloads": "; this page reloads every {s} s",
        "foot_note": "Live PUE is power now (for a glance); compliance is the energy PUE of a "
                     "window.",
        # login, 404
        "sign_in": "Sign in",
        "login_intro": "This page shows the sites' racks and power, so it needs an API token "
                       "(one of <code>api.tokens</code> in the inventory; read scope is enough).",
        "token": "Token",
        "login_scripts": "Scripts can send <code>Authorization: Bearer &lt;token&gt;</code> "
                         "instead.",
        "unknown_token": "unknown token",
        "form_too_large": "the form is too large",
        "too_many_attempts": "too many wrong tokens from this address: try again in {s} s",
        "not_found": "Not found",
        "unknown_site": "unknown site {site}",
        "unknown_rack": "unknown rack {rack} in site {site}",
        "known": "Known:",
        "more": "… {n} more",
        "back": "Back to the city view",
        # alerts
        "active_alerts": "Active alerts",
        "active_alerts_n": "Active alerts ({n})",
        "firing_pending": "({firing} firing, {pending} pending)",
        "n_firing": "({n} firing)",
        "no_alerts": "No active alerts.",
        "alerts_off": "alerting is not running in this process",
        "alerts_unreadable": "the active alerts cannot be read just now",
        "state": "State",
        "severity": "Severity",
        "alert": "Alert",
        "summary": "Summary",
        "since": "Since",
        "window_of": "window {w}",
        "state_firing": "firing",
        "state_pending": "pending",
        "sev_critical": "critical",
        "sev_warning": "warning",
        "sev_info": "info",
        # city
        "city": _R_EN["city"],
        "std_racks_in_use": _R_EN["std_racks_in_use"],
        "city_goal": "City goal",
        "of_goal": "Of the goal",
        "it_now": "IT load now",
        "sites": "Sites",
        "site": _R_EN["site"],
        "class": "Class",
        "ceiling": "Ceiling",
        "live_pue": "Live PUE",
        "pue_status": "PUE status",
        "spark_head": "Live PUE, last day",
        "spark": "live PUE of {site}",
        "it_kw": "IT kW",
        "std_racks_short": "Std racks in use",
        "headroom": _R_EN["headroom"],
        "alerts": "Alerts",
        "withheld": "withheld",
        "withheld_note": "withheld: {reason}",
        "report_only": "report only",
        "no_topology": "no energy topology",
        "no_pue_title": "no energy topology: no PUE",
        "no_ceiling": "no ceiling",
        "breach": "BREACH",
        "breach_title": "{w} PUE {v} above the ceiling {c}",
        "within": "within {c}",
        "live": "live",
        "headroom_racks": "({racks} std racks; {binding})",
        "coverage": _R_EN["coverage"],
        "stale": "stale",
        # site
        "policy_class": "Policy class",
        "pue_ceiling": "PUE ceiling",
        "facility_kw": "Facility kW",
        "live_incomplete": "Live PUE incomplete: no reading from {devices}",
        "pue": "PUE",
        "chart_pue": "Live PUE of {site} against its ceiling",
        "series_pue": "live PUE",
        "limit_ceiling": "ceiling",
        "chart_power": "IT and facility power of {site}",
        "series_it": "IT",
        "series_facility": "facility",
        "no_data": _R_EN["no_data"],
        "capacity": "Capacity",
        "no_capacity": "No capacity figures yet.",
        "no_pue": "No PUE ({why}).",
        "not_computed": "not computed yet",
        "window": "Window",
        "period": "Period",
        "category": "Category",
        "category_none": "none",
        "category_claim": "claims category {claim}, not backed: {reason}",
        "it_load": "IT load",
        "status": "Status",
        "pue_ok": "ok",
        "pue_withheld": "withheld",
        "pue_metering_fault": "metering_fault",
        "interim": "(interim: under 12 months)",
        "room": _R_EN["room"],
        "racks_counts": "Racks installed / in use / unmetered",
        "now_kw": "Now kW",
        "load_kw": "Load kW",
        "power_capacity_kw": "Power capacity kW",
        "cooling_capacity_kw": "Cooling capacity kW",
        "utilisation": _R_EN["utilisation"],
        "headroom_kw": "Headroom kW",
        "headroom_std": "Headroom std racks",
        "binding_limit": "Binding limit",
        "quality": "Quality",
        "power": _R_EN["power"],
        "cooling": _R_EN["cooling"],
        "space": _R_EN["space"],
        "headroom_chart": "Headroom per room of {site}",
        "racks_of": "Racks of {room}",
        # rack
        "rack": _R_EN["rack"],
        "rack_title": "Rack {rack}",
        "rack_where": "{name} in {site} / {room}",
        "rated_kw": "Rated kW",
        "usable_kw": "Usable kW",
        "p95_kw": "p95 kW",
        "peak_kw": "Peak kW",
        "feed_kw": "Feed {feed} kW",
        "failover": _R_EN["failover"],
        "failover_ok": _R_EN["failover_ok"],
        "failover_risk": "at risk",
        "not_checked": _R_EN["not_checked"],
        "u_space": _R_EN["u_space"],
        "std_racks_mp": "Std racks measured / provisioned",
        "in_use": "In use",
        "yes": "yes",
        "no": "no",
        "unknown": "unknown",
        "headroom_limits": "Headroom power / cooling / space kW",
        "feeds": "Feeds",
        "power_h": "Power",
        "series_rack": "rack kW (A+B)",
        "chart_rack": "Power of rack {rack}",
        "limit_usable": "usable",
        "limit_rated": "rated",
        "no_feeds": "No feeds configured for this rack.",
        "feed": "Feed",
        "devices": "Devices",
        "breaker_a": "Breaker A",
        "voltage_phases": "Voltage / phases",
        "derated_a": "Derated A",
        "derated_kw": "Derated kW",
        "current_a": "Current A",
        "power_kw": "Power kW",
        "current_use": "Current use",
        "power_use": "Power use",
        "against_derated": "Against derated",
        "survivor": "the surviving feed {feed} would carry {load} {unit} against its derated "
                    "{limit} {unit}",
        "at_peak": " At the history peak ({basis}): {p} %.",
        "basis_now": "now",
        "basis_of": "{basis} {days} d",
        "peak": _R_EN["peak"],
        "p95": _R_EN["p95"],
        "now_use": "Utilisation now",
        "colour_note": "Colours follow the alert rules: a rack is amber above {w} and red above "
                       "{c} of its rating, the failover figure amber above {fw} and red above "
                       "{fc}. The rack and feed alerts judge the load now; the capacity figures "
                       "use the load basis over the last {days} days (named next to each "
                       "figure), so a rack can be amber on its peak while no alert is active.",
        "stop": ".",
        "colon": ": ",
    },
    "zh": {
        "brand": "dcmon 运行状态",
        "switch": "English",
        "logout": "退出登录",
        "computed": "结果计算于 {when}",
        "no_results": "尚未计算出结果",
        "reloads": "；本页每 {s} 秒自动刷新",
        "foot_note": "实时 PUE 按当前功率计算，仅供参考；是否达标以时间窗内的能耗 PUE 为准。",
        "sign_in": "登录",
        "login_intro": "本页显示各数据中心的机架与功率，需要 API 令牌（清单中 "
                       "<code>api.tokens</code> 之一，只读权限即可）。",
        "token": "令牌",
        "login_scripts": "脚本可改为发送 <code>Authorization: Bearer &lt;token&gt;</code>。",
        "unknown_token": "令牌无效",
        "form_too_large": "表单过大",
        "too_many_attempts": "该地址输入错误令牌次数过多，请 {s} 秒后重试",
        "not_found": "未找到",
        "unknown_site": "没有数据中心 {site}",
        "unknown_rack": "数据中心 {site} 中没有机架 {rack}",
        "known": "已知：",
        "more": "…… 另有 {n} 个",
        "back": "返回全市总览",
        "active_alerts": "活动告警",
        "active_alerts_n": "活动告警（{n}）",
        "firing_pending": "（告警中 {firing} 条，待确认 {pending} 条）",
        "n_firing": "（告警中 {n} 条）",
        "no_alerts": "当前没有活动告警。",
        "alerts_off": "本进程未运行告警",
        "alerts_unreadable": "暂时无法读取活动告警",
        "state": "状态",
        "severity": "级别",
        "alert": "告警",
        "summary": "摘要",
        "since": "开始时间",
        "window_of": "时间窗 {w}",
        "state_firing": "告警中",
        "state_pending": "待确认",
        "sev_critical": "严重",
        "sev_warning": "警告",
        "sev_info": "提示",
        "city": _R_ZH["city"],
        "std_racks_in_use": _R_ZH["std_racks_in_use"],
        "city_goal": "全市目标",
        "of_goal": _R_ZH["of_goal"],
        "it_now": "当前 IT 负载",
        "sites": "数据中心",
        "site": _R_ZH["site"],
        "class": "类别",
        "ceiling": "PUE 限值",
        "live_pue": "实时 PUE",
        "pue_status": "PUE 状态",
        "spark_head": "实时 PUE（近一天）",
        "spark": "{site} 实时 PUE",
        "it_kw": "IT 功率 kW",
        "std_racks_short": _R_ZH["std_racks_in_use"],
        "headroom": _R_ZH["headroom"],
        "alerts": "告警",
        "withheld": "暂不发布",
        "withheld_note": "暂不发布：{reason}",
        "report_only": "仅报告",
        "no_topology": "未配置能耗拓扑",
        "no_pue_title": "未配置能耗拓扑：无 PUE",
        "no_ceiling": "无限值",
        "breach": "超标",
        "breach_title": "{w} PUE {v} 超过限值 {c}",
        "within": "未超过 {c}",
        "live": "实时",
        "headroom_racks": "（{racks} 个" + _R_ZH["std_rack"] + "；" + _R_ZH["binding"]
                          + "：{binding}）",
        "coverage": _R_ZH["coverage"],
        "stale": _R_ZH["stale"],
        "policy_class": "政策类别",
        "pue_ceiling": "PUE 限值",
        "facility_kw": "总功率 kW",
        "live_incomplete": "实时 PUE 不完整：以下设备无读数：{devices}",
        "pue": "PUE",
        "chart_pue": "{site} 实时 PUE 与限值",
        "series_pue": "实时 PUE",
        "limit_ceiling": "限值",
        "chart_power": "{site} IT 功率与总功率",
        "series_it": "IT",
        "series_facility": "总功率",
        "no_data": _R_ZH["no_data"],
        "capacity": "容量",
        "no_capacity": "尚无容量数据。",
        "no_pue": "无 PUE（{why}）。",
        "not_computed": "尚未计算",
        "window": "时间窗",
        "period": "时段",
        "category": "计量类别",
        "category_none": "无",
        "category_claim": "声明第 {claim} 类，计量不足以支持：{reason}",
        "it_load": "IT 负载率",
        "status": "状态",
        "pue_ok": "正常",
        "pue_withheld": "暂不发布",
        "pue_metering_fault": "计量故障",
        "interim": "（暂定：不足 12 个月）",
        "room": _R_ZH["room"],
        "racks_counts": (f'{_R_ZH["racks"]}{_R_ZH["racks_installed"]} / {_R_ZH["racks_in_use"]}'
                         f' / {_R_ZH["racks_unknown"]}'),
        "now_kw": "当前 kW",
        "load_kw": "负载 kW",
        "power_capacity_kw": _R_ZH["power_capacity"] + " kW",
        "cooling_capacity_kw": _R_ZH["cooling_capacity"] + " kW",
        "utilisation": _R_ZH["utilisation"],
        "headroom_kw": _R_ZH["headroom"] + " kW",
        "headroom_std": f'{_R_ZH["headroom"]}（{_R_ZH["std_rack"]}）',
        "binding_limit": _R_ZH["binding"],
        "quality": _R_ZH["quality"],
        "power": _R_ZH["power"],
        "cooling": _R_ZH["cooling"],
        "space": _R_ZH["space"],
        "headroom_chart": "{site} " + _R_ZH["headroom_chart"],
        "racks_of": "{room} 的机架",
        "rack": _R_ZH["rack"],
        "rack_title": "机架 {rack}",
        "rack_where": "{name}，位于 {site} / {room}",
        "rated_kw": "额定 kW",
        "usable_kw": "可用 kW",
        "p95_kw": "P95 kW",
        "peak_kw": "峰值 kW",
        "feed_kw": "{feed} 路 kW",
        "failover": _R_ZH["failover"],
        "failover_ok": _R_ZH["failover_ok"],
        "failover_risk": _R_ZH["failover_risk"],
        "not_checked": _R_ZH["not_checked"],
        "u_space": _R_ZH["u_space"],
        "std_racks_mp": _R_ZH["std_racks"],
        "in_use": "在用",
        "yes": "是",
        "no": "否",
        "unknown": "未知",
        "headroom_limits": (f'{_R_ZH["headroom"]} {_R_ZH["power"]} / {_R_ZH["cooling"]} / '
                            f'{_R_ZH["space"]} kW'),
        "feeds": "供电路",
        "power_h": "功率",
        "series_rack": "机架 kW（A+B）",
        "chart_rack": "机架 {rack} 功率",
        "limit_usable": _R_ZH["usable"],
        "limit_rated": _R_ZH["rated"],
        "no_feeds": "该机架未配置供电路。",
        "feed": "供电路",
        "devices": "设备",
        "breaker_a": "断路器 A",
        "voltage_phases": "电压 / 相数",
        "derated_a": "降额 A",
        "derated_kw": "降额 kW",
        "current_a": "电流 A",
        "power_kw": "功率 kW",
        "current_use": "电流利用率",
        "power_use": "功率利用率",
        "against_derated": "相对降额值",
        "survivor": "另一路故障时，剩余的 {feed} 路将承载 {load} {unit}，其降额容量为 "
                    "{limit} {unit}",
        "at_peak": "按历史峰值（{basis}）：{p} %。",
        "basis_now": "当前",
        "basis_of": "近 {days} 天{basis}",
        "peak": _R_ZH["peak"],
        "p95": _R_ZH["p95"],
        "now_use": "当前利用率",
        "colour_note": "颜色与告警规则一致：机架功率超过额定值的 {w} 显示黄色、超过 {c} 显示红色；"
                       "单路故障比例超过 {fw} 显示黄色、超过 {fc} 显示红色。"
                       "机架与供电路告警按当前负载判断；"
                       "容量数据按近 {days} 天的负载口径计算（口径标在每个数字旁），"
                       "因此机架可能按峰值显示黄色，而没有活动告警。",
        **{k: v for k, v in _R_ZH.items() if k.startswith(("reason_", "flag_"))},
        "stop": "。",
        "colon": "：",
    },
}

_TEXTS: dict[str, dict[str, str]] = {
    lang: {**STRINGS["en"], **STRINGS.get(lang, {})} for lang in LANGS}


def text(lang: str) -> dict[str, str]:
    """The strings of ``lang`` (English for anything missing). Shared: do not modify."""
    return _TEXTS.get(lang, _TEXTS["en"])


def from_accept(header: str) -> Lang | None:
    """The page language an ``Accept-Language`` header prefers (None: neither en nor zh)."""
    best: Lang | None = None
    best_q = 0.0
    for part in header[:MAX_ACCEPT].split(","):
        tag, *params = (p.strip() for p in part.split(";"))
        tag = tag.lower()
        lang: Lang | None = ("zh" if tag == "zh" or tag.startswith("zh-")
                             else "en" if tag == "en" or tag.startswith("en-") else None)
        q = 1.0
        for p in params:
            key, _, value = p.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if lang is not None and 0.0 < q <= 1.0 and q > best_q:
            best, best_q = lang, q
    return best


def choose(query: str | None, accept: str | None, default: str) -> tuple[Lang, bool]:
    """(language, explicit): ``?lang=`` when valid (explicit), else Accept-Language, else the
    setting. An unknown ``?lang=`` value is ignored, not an error."""
    asked = (query or "").strip().lower()
    if asked in LANGS:
        return asked, True
    heard = from_accept(accept or "")
    if heard is not None:
        return heard, False
    return ("zh" if default == "zh" else "en"), False
