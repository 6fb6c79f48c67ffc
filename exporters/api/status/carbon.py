"""The status page's carbon and water section of a site: CUE, REF and WUE per window.

Pure functions of the results, like the rest of the page; every value escaped. The section
shows both CO2 bases side by side (location-based and with certificates deducted) and the grid
factor's source, so a reader never takes one for the other (docs/carbon.md). Its words are
kept here, in both languages, beside the code that uses them.
"""

from __future__ import annotations

from collections.abc import Mapping

from dcmon.engine.carbon.model import CarbonResult, WaterResult
from dcmon.engine.results import Results
from dcmon.exporters.api.status.html import Frame, num, pct, scroll
from dcmon.exporters.reports.svg import esc

TEXT: dict[str, dict[str, str]] = {
    "en": {"title": "Carbon, renewables and water", "window": "Window", "period": "Period",
           "cue": "CUE (kg CO2/kWh)", "cue_market": "CUE, certificates deducted",
           "ref": "REF", "co2": "CO2 (t)", "factor": "Grid factor (kg/kWh)",
           "wue": "WUE (L/kWh)", "water": "Water (m³)", "coverage": "Coverage",
           "status": "Status", "withheld": "withheld", "ok": "ok",
           "metering_fault": "metering fault", "source": "Grid factor source"},
    "zh": {"title": "碳排放、可再生能源与用水", "window": "窗口", "period": "时段",
           "cue": "CUE（kg CO2/kWh）", "cue_market": "CUE（扣除绿证）", "ref": "可再生能源因子 REF",
           "co2": "CO2（吨）", "factor": "电网排放因子（kg/kWh）", "wue": "WUE（升/kWh）",
           "water": "用水（m³）", "coverage": "数据覆盖率", "status": "状态",
           "withheld": "暂不计算", "ok": "正常", "metering_fault": "计量故障",
           "source": "电网排放因子来源"},
}


def carbon_section(frame: Frame, res: Results, site: str) -> str:
    """The site's section (empty when the site has no power topology)."""
    rows = [c for c in res.carbon if c.site == site]
    if not rows:
        return ""
    t = TEXT.get(frame.lang, TEXT["en"])
    water = {w.window: w for w in res.water if w.site == site}
    head = (f'<tr><th class="l">{t["window"]}</th><th class="l">{t["period"]}</th>'
            f'<th>{t["cue"]}</th><th>{t["cue_market"]}</th><th>{t["ref"]}</th>'
            f'<th>{t["co2"]}</th><th>{t["factor"]}</th>'
            + (f'<th>{t["wue"]}</th><th>{t["water"]}</th>' if water else "")
            + f'<th>{t["coverage"]}</th><th class="l">{t["status"]}</th></tr>')
    body = "".join(_row(frame, t, c, water.get(c.window)) for c in rows)
    sources = sorted({c.grid_factor_source for c in rows if c.grid_factor_source})
    note = "".join(f'<p class="basis">{t["source"]}: {esc(s)}</p>' for s in sources)
    return (f'<h2 id="carbon">{t["title"]}</h2>'
            + scroll(f'<table class="carbon-windows">{head}{body}</table>') + note)


def _row(frame: Frame, t: Mapping[str, str], c: CarbonResult, w: WaterResult | None) -> str:
    withheld = f'<span class="withheld">{t["withheld"]}</span>'

    def val(v: float | None, nd: int) -> str:
        return num(v, nd) if v is not None else withheld

    ok = c.status != "withheld"
    why = frame.reason(c.reason_code, c.reason_args, c.reason)
    status = esc(t.get(c.status, c.status)) + (f": {esc(why)}" if why else "")
    cells = (f'<td class="l">{esc(c.window)}</td><td class="l nw">{frame.short(c.start)} – '
             f'{frame.short(c.end)}</td><td>{val(c.cue, 3)}</td><td>{val(c.cue_market, 3)}</td>'
             f'<td>{pct(c.ref) if c.ref is not None else withheld}</td>'
             f'<td>{num(c.co2_kg / 1000, 2) if ok else withheld}</td>'
             f'<td>{num(c.grid_factor, 4)}</td>')
    if w is not None:
        vol = num(w.water_m3, 1) if w.status != "withheld" else withheld
        cells += f'<td>{val(w.wue, 2)}</td><td>{vol}</td>'
    return (f'<tr class="carbon-window" data-window="{esc(c.window)}" '
            f'data-status="{esc(c.status)}">{cells}<td>{pct(c.coverage)}</td>'
            f'<td class="l">{status}</td></tr>')
