"""The status page's retrofit section (a site's page): each declared retrofit's verified
saving with its uncertainty, the PUE before and after under the same conditions, or why the
verification is refused. English and Chinese, like the rest of the page; its words are kept
here, beside the one section that uses them.
"""

from __future__ import annotations

from collections.abc import Sequence

from dcmon.engine.mv.report import MvReport
from dcmon.exporters.api.status.html import Frame, num, pct, scroll
from dcmon.exporters.reports.svg import esc

TEXT = {
    "en": {"title": "Retrofits (verified savings)", "measure": "Measure", "date": "Date",
           "avoided": "Avoided energy", "co2": "Avoided CO₂", "fit": "Baseline fit",
           "pue": "PUE without / with the retrofit", "status": "Verification",
           "ok": "verified", "pending": "pending", "refused": "refused",
           "not_significant": "not significant (uncertainty over half the saving)",
           "conditions": "at this period's weather and load",
           "confidence": "{c} confidence"},
    "zh": {"title": "节能改造（经核证的节能量）", "measure": "改造措施", "date": "日期",
           "avoided": "节约电量", "co2": "减少二氧化碳", "fit": "基线模型拟合",
           "pue": "未改造 / 改造后 PUE", "status": "核证",
           "ok": "已核证", "pending": "待核证", "refused": "不予核证",
           "not_significant": "不显著（不确定度超过节能量的一半）",
           "conditions": "按本期天气和负载", "confidence": "置信度 {c}"},
}


def _saving(r: MvReport, t: dict[str, str]) -> tuple[str, str]:
    if r.avoided_kwh is None or r.uncertainty_kwh is None:
        return "—", "—"
    conf = t["confidence"].format(c=f"{r.confidence:.0%}")
    energy = (f'<b data-avoided-kwh="{r.avoided_kwh:.1f}">{r.avoided_kwh:,.0f} kWh</b> ± '
              f"{r.uncertainty_kwh:,.0f} <small>({esc(conf)}; "
              f"{pct(r.savings_fraction)})</small>")
    if not r.significant:
        energy += f'<br><small class="withheld">{esc(t["not_significant"])}</small>'
    co2 = "—"
    if r.avoided_co2_kg is not None and r.co2_uncertainty_kg is not None:
        co2 = (f"{r.avoided_co2_kg / 1000:,.2f} t ± {r.co2_uncertainty_kg / 1000:,.2f} "
               f"<small>{esc(r.co2_factor_source)}</small>")
    return energy, co2


def retrofit_section(frame: Frame, reports: Sequence[MvReport]) -> str:
    """The section's HTML; "" for a site without retrofits."""
    if not reports:
        return ""
    t = TEXT.get(frame.lang, TEXT["en"])
    rows = []
    for r in reports:
        energy, co2 = _saving(r, t)
        fit = "—" if r.cv_rmse is None else f"CV(RMSE) {pct(r.cv_rmse)}, R² {num(r.r2, 3)}"
        n = r.normalised_reporting
        pue = "—" if n is None or n.before is None else (
            f"{num(n.before, 3)} / {num(n.after, 3)} <small>({esc(t['conditions'])})</small>")
        status = esc(t.get(r.status, r.status))
        if r.reason:
            status += f'<br><small class="withheld">{esc(r.reason)}</small>'
        rows.append(f'<tr data-retrofit="{esc(r.retrofit)}" data-status="{esc(r.status)}">'
                    f"<td>{esc(r.retrofit)}<br><small>{esc(r.description)}</small></td>"
                    f"<td>{esc(r.date)}</td><td>{status}</td><td>{energy}</td><td>{co2}</td>"
                    f"<td>{pue}</td><td>{fit}</td></tr>")
    head = "".join(f"<th>{esc(t[k])}</th>" for k in
                   ("measure", "date", "status", "avoided", "co2", "pue", "fit"))
    return (f'<h2 id="retrofits">{esc(t["title"])}</h2>'
            + scroll(f"<table><tr>{head}</tr>{''.join(rows)}</table>"))
