"""The tenants' monthly statement: Markdown in Chinese or English, CSV and JSON.

One renderer serves ``dcmon statement`` and ``GET /api/v1/tenants/statement``, so the file a
department receives and the figures the scheduling platform reads are the same. The lines add
up exactly to the site's line (docs/tenants.md, "Rounding"), and the statement says why a
figure is missing (no tariff, no grid factor, low meter coverage) instead of printing zero.

Names come from the inventory, so they are escaped for the Markdown table (a ``|`` would
split a cell) and, in CSV, defused against spreadsheet formulas (:func:`.tabular.to_csv`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dcmon.engine.tenants.model import Note, Statement, StatementLine
from dcmon.exporters.reports.i18n import reason_text
from dcmon.exporters.reports.i18n import text as report_text
from dcmon.exporters.reports.tabular import to_csv, to_plain

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Energy statement {month}: {site}",
        "period": "Period: {start} to {end} ({tz}){running}",
        "running": ", month in progress",
        "tenant": "Tenant", "cost_centre": "Cost centre", "racks": "Racks",
        "it": "IT kWh", "overhead": "Overhead kWh", "total": "Total kWh",
        "co2": "CO2 kg", "cost": "Cost {currency}", "periods": "By tariff period",
        "period_col": "Period", "basis": "Basis",
        "pue": "Site PUE over the month: {pue} (meter coverage {coverage})",
        "rule": "Overhead (facility minus IT energy) is shared hour by hour in proportion to "
                "each line's IT energy; cost applies each hour's tariff, CO2 each hour's grid "
                "factor. Lines are rounded by largest remainder and add up to the site total.",
        "tariffs": "Tariffs: {tariffs}", "factors": "Grid emission factor: {sources}",
        "notes": "Notes", "none": "-",
    },
    "zh": {
        "title": "{month} 用能结算单：{site}",
        "period": "结算期：{start} 至 {end}（{tz}）{running}",
        "running": "，本月尚未结束",
        "tenant": "租户", "cost_centre": "成本中心", "racks": "机架",
        "it": "IT 电量 kWh", "overhead": "分摊公共电量 kWh", "total": "合计电量 kWh",
        "co2": "二氧化碳 kg", "cost": "电费 {currency}", "periods": "分时段电量与电费",
        "period_col": "时段", "basis": "计算依据",
        "pue": "本月站点 PUE：{pue}（计量覆盖率 {coverage}）",
        "rule": "公共电量（总电量减 IT 电量）逐小时按各行 IT 电量比例分摊；电费按各小时电价计算，"
                "碳排放按各小时电网排放因子计算。各行按最大余数法舍入，合计与站点总量完全一致。",
        "tariffs": "电价：{tariffs}", "factors": "电网排放因子：{sources}",
        "notes": "说明", "none": "-",
    },
}
#: The engine's notes in Chinese, by code (English: the note's own text).
ZH_NOTES = {
    "no_energy": "本期站点未记录到电量",
    "unmetered_tenant": "租户 {tenant} 在本站有机架，但其设备均不是站点的 IT 计量表：其电量计入"
                        "未分配行",
    "unpriced": "无电费：{hours} 个小时没有生效的电价（首个 {first}），请为站点添加电价",
    "no_tariff": "无电费：站点未配置电价",
    "no_factor": "无碳排放：未提供电网排放因子",
    "pue": "本月站点 PUE 不予给出：{reason}",
    "facility_gap": "{hours} 个小时的总电量缺失或低于 IT 电量（计量缺口）：其公共电量按本月 PUE "
                    "{pue} 计算，站点合计为分摊的电量，而非总电表读数",
}
#: A facility gap in a month without a PUE: its overhead is 0.
ZH_GAP_NO_PUE = ("{hours} 个小时的总电量缺失或低于 IT 电量（计量缺口）：本月无 PUE，其公共电量"
                 "按 0 计算，站点合计为分摊的电量，而非总电表读数")
#: Tariff period names as Chinese provinces publish them; other names are shown as given.
ZH_PERIODS = {"peak": "峰", "flat": "平", "valley": "谷", "sharp": "尖", "critical": "尖峰",
              "deep_valley": "深谷"}


def cell(text: str) -> str:
    """Inventory text made safe for one Markdown table cell."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").split())


def _n(v: float | None, nd: int = 2) -> str:
    return "-" if v is None else f"{v:,.{nd}f}"


def _name(line: StatementLine, lang: str) -> str:
    return cell(line.name_zh if lang == "zh" else line.name_en)


def _stamp(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def note_text(note: Note, lang: str) -> str:
    """A note in ``lang`` (a PUE reason through the capacity report's Chinese reasons)."""
    template = ZH_NOTES.get(note.code) if lang == "zh" else None
    if template is None:
        return note.text
    args = dict(note.args)
    if note.code == "facility_gap" and args.get("pue") is None:
        template = ZH_GAP_NO_PUE
    if note.code == "pue":
        args["reason"] = reason_text(report_text("zh"), str(args.get("reason_code", "")),
                                     args.get("reason_args", {}), str(args.get("reason")))
    try:
        return template.format(**args)
    except (KeyError, IndexError, ValueError):
        return note.text


def render_markdown(st: Statement, lang: str = "en") -> str:
    """The statement as Markdown: a table of lines, the tariff periods, the basis, notes."""
    t = TEXT[lang]
    out = [f"# {t['title'].format(month=st.month, site=cell(st.site_name))}", "",
           t["period"].format(start=_stamp(st.start, st.timezone),
                              end=_stamp(st.end, st.timezone), tz=st.timezone,
                              running="" if st.complete else t["running"]), ""]
    cost_head = t["cost"].format(currency=st.currency or "")
    out += [f"| {t['tenant']} | {t['cost_centre']} | {t['racks']} | {t['it']} | "
            f"{t['overhead']} | {t['total']} | {t['co2']} | {cost_head} |",
            "|---|---|---|--:|--:|--:|--:|--:|"]
    for line in [*st.lines, st.total]:
        bold = "**" if line is st.total else ""
        racks = cell(", ".join(line.racks)) or t["none"]
        out.append(f"| {bold}{_name(line, lang)}{bold} | {cell(line.cost_centre) or '-'} | "
                   f"{racks} | {_n(line.it_kwh)} | {_n(line.overhead_kwh)} | "
                   f"{bold}{_n(line.total_kwh)}{bold} | {_n(line.co2_kg)} | "
                   f"{bold}{_n(line.cost)}{bold} |")
    out += ["", *_periods(st, lang), f"## {t['basis']}", "",
            "- " + t["pue"].format(pue=_n(st.pue, 3), coverage=f"{st.coverage:.1%}"),
            "- " + t["rule"]]
    if st.tariffs:
        out.append("- " + t["tariffs"].format(tariffs=cell("; ".join(st.tariffs))))
    if st.factor_sources:
        out.append("- " + t["factors"].format(sources=cell("; ".join(st.factor_sources))))
    if st.notes:
        out += ["", f"## {t['notes']}", "", *(f"- {cell(note_text(n, lang))}"
                                              for n in st.notes)]
    return "\n".join(out) + "\n"


def _periods(st: Statement, lang: str) -> list[str]:
    """kWh and cost per tariff period and line, when the month has periods."""
    names = [p.period for p in st.total.periods]
    if not names:
        return []
    t = TEXT[lang]
    shown = [ZH_PERIODS.get(n, n) if lang == "zh" else n for n in names]
    out = [f"## {t['periods']}", "",
           f"| {t['tenant']} | " + " | ".join(f"{cell(n)} kWh | {cell(n)} {st.currency or ''}"
                                              for n in shown) + " |",
           "|---|" + "--:|--:|" * len(names)]
    for line in [*st.lines, st.total]:
        out.append(f"| {_name(line, lang)} | " + " | ".join(
            f"{_n(p.kwh)} | {_n(p.cost)}" for p in line.periods) + " |")
    return [*out, ""]


def statement_rows(statements: Sequence[Statement]) -> list[dict[str, Any]]:
    """One flat row per line (tenants, unassigned, total) of each statement."""
    rows = []
    for st in statements:
        for line in [*st.lines, st.total]:
            row: dict[str, Any] = {
                "site": st.site, "month": st.month, "tenant": line.tenant,
                "name_zh": line.name_zh, "name_en": line.name_en,
                "cost_centre": line.cost_centre, "racks": ";".join(line.racks),
                "it_kwh": line.it_kwh, "overhead_kwh": line.overhead_kwh,
                "total_kwh": line.total_kwh, "co2_kg": line.co2_kg, "cost": line.cost,
                "currency": st.currency, "complete": st.complete, "pue": st.pue,
                "coverage": st.coverage}
            for p in line.periods:
                row[f"{p.period}.kwh"] = p.kwh
                row[f"{p.period}.cost"] = p.cost
            rows.append(row)
    return rows


def render_csv(statements: Sequence[Statement]) -> str:
    """CSV (UTF-8 with BOM, formula-safe) of :func:`statement_rows`."""
    return to_csv(statement_rows(statements))


def render_json(statements: Sequence[Statement]) -> str:
    return json.dumps([to_plain(st) for st in statements], ensure_ascii=False, indent=2)
