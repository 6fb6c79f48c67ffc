"""The capacity report: HTML (inline SVG charts), PDF (Chromium prints the HTML), CSV and JSON.

One renderer serves ``dcmon report capacity`` and the API's ``/api/v1/reports/capacity``, and
reads the same :class:`~dcmon.engine.capacity.model.CityCapacity` as /metrics, so the page, the
scrape and the API agree. The HTML is self-contained (styles inline, no scripts, no fonts
fetched) so it prints offline and opens from a mail attachment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from dcmon.config.api import zone_name
from dcmon.engine.capacity.model import CityCapacity, Forecast, Headroom, Quality, RackCapacity
from dcmon.engine.pue import PueResult
from dcmon.exporters.reports import svg
from dcmon.exporters.reports.i18n import flag_text, reason_text, text
from dcmon.exporters.reports.svg import esc
from dcmon.exporters.reports.tabular import flatten, to_csv, to_plain

_CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",Arial,sans-serif;
margin:24px;color:#222;font-size:13px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:2px solid
#2b6cb0}h3{font-size:15px;margin:18px 0 6px;break-after:avoid}
table{border-collapse:collapse;margin:6px 0 12px}td,th{border:1px solid #ccc;padding:3px 6px;
text-align:right}th{background:#f0f4f8}td.l,th.l{text-align:left}
.na{color:#999}.nw{white-space:nowrap}.risk{color:#b00020;font-weight:bold}.ok{color:#2f7d4a}
.kpi{display:inline-block;margin:4px 18px 4px 0}.kpi b{font-size:20px;display:block}
.bar{background:#e6e6e6;width:320px;height:12px;display:inline-block;vertical-align:middle}
.bar i{background:#2b6cb0;height:12px;display:block}
svg.chart{display:block;margin:6px 0 12px;font-size:11px}svg .axis{font-size:10px;fill:#555}
svg .cell-id{font-size:9px;fill:#fff}svg .cell-v{font-size:9px;fill:#fff;font-weight:bold}
.muted{color:#666}.flags{color:#8a5a00}
@page{size:A4 landscape;margin:10mm}
@media print{body{margin:0;font-size:11px}svg.chart{page-break-inside:avoid}}
"""


def _n(v: float | None, nd: int = 2, t: dict[str, str] | None = None) -> str:
    if v is None:
        return f'<span class="na">{(t or {}).get("none", "—")}</span>'
    return f"{v:,.{nd}f}"


def _pct(v: float | None) -> str:
    return '<span class="na">—</span>' if v is None else f"{v * 100:.1f}\u00a0%"


def _ts(ts: float, tz: tzinfo = UTC) -> str:
    """A time in the display zone, with the zone's name (the reader's clock, not UTC)."""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M ") + zone_name(tz, ts)


#: Names listed before "and N more": a room of 13 racks on A/B PDUs has 26 stale inputs when
#: its PDUs go silent, and a line of 26 names hides the figures it qualifies.
SHOWN_NAMES = 3


def summarise(names: Sequence[str], t: Mapping[str, str] | None = None,
              shown: int = SHOWN_NAMES) -> str:
    """A list of names in one short phrase: all of them when few, else the count, the first
    ``shown`` and "and N more" (the HTML keeps the whole list in a tooltip)."""
    if len(names) <= shown + 1:
        return ", ".join(names)
    more = (t or {}).get("and_more", "and {n} more").format(n=len(names) - shown)
    return f"{len(names)} ({', '.join(names[:shown])}, {more})"


def quality_html(q: Quality, t: Mapping[str, str]) -> str:
    """A figure's data quality in one line (coverage; stale inputs; flags), or a tick.
    Shared with the status page; ``t`` needs ``coverage`` and ``stale``, ``flags`` is a
    prefix when given."""
    parts = []
    if q.coverage is not None:
        parts.append(f'{t["coverage"]} {q.coverage * 100:.0f} %')
    if q.stale:
        parts.append(f'<span class="risk" title="{esc(", ".join(q.stale))}">{t["stale"]}: '
                     f'{esc(summarise(q.stale, t))}</span>')
    if q.flags:
        prefix = f'{t["flags"]}: ' if t.get("flags") else ""
        names = ", ".join(flag_text(t, f) for f in q.flags)
        parts.append(f'<span class="flags" data-flags="{esc(" ".join(q.flags))}">{prefix}'
                     f'{esc(names)}</span>')
    return "; ".join(parts) or '<span class="ok">✓</span>'


def _headroom(h: Headroom, t: dict[str, str]) -> str:
    if h.kw is None:
        return f'<span class="na">{t["none"]}</span>'
    return (f'{h.kw:,.2f} kW ({h.std_racks or 0:,.2f} {t["std_rack"]}); {t["binding"]}: '
            f'<b>{esc(t.get(h.binding or "", h.binding or ""))}</b>')


def _forecast(f: Forecast, t: dict[str, str]) -> str:
    status = t.get(f"status_{f.status}", f.status)
    if f.days_until_full is None:
        return f'<span class="muted">{esc(status)}</span>'
    r2 = f", {t['r2']} {f.r2:.2f}" if f.r2 is not None else ""
    limit = t.get(f.limit or "", f.limit or "")
    return f"{f.days_until_full:,.1f} {t['days']} ({esc(limit)}{r2})"


def _failover(r: RackCapacity, t: dict[str, str]) -> str:
    fo = r.failover
    if not fo.checked or fo.ok is None:
        return f'<span class="na">{t["not_checked"]}</span>'
    ratio = f" {fo.ratio * 100:.0f}\u00a0%" if fo.ratio is not None else ""
    if fo.ok:
        return f'<span class="ok">{t["failover_ok"]}{ratio}</span>'
    why = reason_text(t, fo.reason_code, fo.reason_args, fo.reason)
    return f'<span class="risk" title="{esc(why)}">{t["failover_risk"]}{ratio}</span>'


def _feeds(r: RackCapacity, t: dict[str, str]) -> str:
    parts = []
    for f in r.feeds:
        if f.current_a is not None and f.derated_a is not None:
            parts.append(f"{f.feed}:\u00a0{f.current_a:.1f}/{f.derated_a:.1f}\u00a0A")
        elif f.power_kw is not None and f.derated_kw is not None:
            parts.append(f"{f.feed}:\u00a0{f.power_kw:.2f}/{f.derated_kw:.2f}\u00a0kW")
        else:
            parts.append(f'{f.feed}: <span class="na">{t["no_data"]}</span>')
    return "<br>".join(parts) or f'<span class="na">{t["none"]}</span>'


def _rack_rows(racks: Sequence[RackCapacity], t: dict[str, str]) -> str:
    head = (f'<tr><th class="l">{t["rack"]}</th><th>{t["load"]} {t["now"]} kW</th>'
            f'<th>{t["p95"]}</th><th>{t["peak"]}</th><th>{t["rated"]} kW</th>'
            f'<th>{t["utilisation"]}</th><th class="l">{t["feeds"]}</th>'
            f'<th>{t["failover"]}</th><th>{t["u_space"]}</th><th>{t["std_racks"]}</th>'
            f'<th class="l">{t["headroom"]}</th><th class="l">{t["quality"]}</th></tr>')
    rows = []
    for r in racks:
        u = (f"{r.u_used}/{r.u_total}" if r.u_total is not None and r.u_used is not None
             else f'<span class="na">{t["none"]}</span>')
        rows.append(
            f'<tr data-rack="{esc(r.rack)}"><td class="l">{esc(r.rack)}</td>'
            f"<td>{_n(r.now_kw)}</td><td>{_n(r.p95_kw)}</td><td>{_n(r.peak_kw)}</td>"
            f"<td>{_n(r.rated_kw)}</td><td>{_pct(r.utilisation)}</td>"
            f'<td class="l nw">{_feeds(r, t)}</td><td class="nw">{_failover(r, t)}</td><td>{u}</td>'
            f"<td>{_n(r.std_racks_measured)} / {_n(r.std_racks_provisioned)}</td>"
            f'<td class="l">{_headroom(r.headroom, t)}</td>'
            f'<td class="l">{quality_html(r.quality, t)}</td></tr>')
    return f'<table class="racks">{head}{"".join(rows)}</table>'


def render_html(cap: CityCapacity, *, lang: str = "en", site: str | None = None,
                pue: Sequence[PueResult] = (), tz: tzinfo = UTC) -> str:
    """The whole report as one self-contained HTML page; times in ``tz`` (``api.display_tz``)."""
    t = text(lang)
    s = cap.settings
    body = [f'<h1>{t["title"]}</h1><p class="muted">{t["generated"]}: {_ts(cap.computed, tz)}. '
            f'{t["settings"]}: 1 {t["std_rack"]} = {s.standard_rack_kw:g} kW; {t["derating"]} '
            f'{s.derating * 100:.0f} %; {t["basis"]}: {esc(t.get(s.basis, s.basis))} '
            f'({s.history_days} {t["days"]}); '
            f'{t["threshold"]} {s.in_use_threshold_kw:g} kW.</p>']
    share = min(1.0, cap.goal_ratio)
    body.append(
        f'<h2>{t["city"]}</h2><div class="kpi" data-kpi="std_racks_in_use">'
        f'{t["std_racks_in_use"]}<b>{cap.std_racks_in_use:,.1f}</b></div>'
        f'<div class="kpi">{t["goal"]}<b>{cap.goal_racks:,}</b></div>'
        f'<div class="kpi">{t["of_goal"]}<b>{cap.goal_ratio * 100:.2f} %</b></div>'
        f'<div><span class="bar"><i style="width:{share * 100:.1f}%"></i></span></div>'
        f'<p class="muted">{quality_html(cap.quality, t)}</p>')
    for st in cap.sites:
        if site is not None and st.site != site:
            continue
        tt = st.totals
        body.append(
            f'<section class="site" data-site="{esc(st.site)}"><h2>{t["site"]} '
            f'{esc(st.name or st.site)} <span class="muted">({esc(st.site)})</span></h2>'
            f'<div class="kpi">{t["load"]}<b>{_n(tt.load_kw)} kW</b></div>'
            f'<div class="kpi">{t["occupancy"]}<b>{_pct(tt.occupancy)}</b></div>'
            f'<div class="kpi">{t["std_racks_in_use"]}<b>{_n(tt.std_racks_in_use, 1)}</b></div>'
            f'<div class="kpi">{t["headroom"]}<b>{_n(st.headroom.kw)} kW</b></div>'
            f'<div class="kpi">{t["forecast"]}<b>{_forecast(st.forecast, t)}</b></div>'
            f'<p class="muted">{t["quality"]}: {quality_html(st.quality, t)}</p>')
        fc = st.forecast
        fit = ((fc.slope_kw_per_day, fc.intercept_kw)
               if fc.slope_kw_per_day is not None and fc.intercept_kw is not None else None)
        body.append(f'<h3>{t["trend"]}</h3>' + svg.trend(
            [(d.day + 43200, d.kw) for d in fc.daily], f'{t["trend"]}: {st.site}',
            limit_kw=fc.limit_kw, limit_label=t.get(fc.limit or "", ""), fit=fit,
            now=cap.computed, no_data=t["no_data"]))
        body.append(f'<h3>{t["headroom_chart"]}</h3>' + svg.headroom_bars(
            [svg.Bars(ro.name or ro.room, [("power", ro.headroom.power_kw),
                                           ("cooling", ro.headroom.cooling_kw),
                                           ("space", ro.headroom.space_kw)],
                      ro.headroom.binding) for ro in st.rooms],
            f'{t["headroom_chart"]}: {st.site}', {k: t[k] for k in ("power", "cooling",
                                                                   "space")},
            no_data=t["no_data"]))
        body.append(f'<h3>{t["heatmap"]}</h3>' + svg.heatmap(
            [svg.Cell(ro.name or ro.room, r.rack, r.utilisation,
                      f"{r.utilisation * 100:.0f}%" if r.utilisation is not None
                      else t["no_data"]) for ro in st.rooms for r in ro.racks],
            f'{t["heatmap"]}: {st.site}', no_data=t["no_data"]))
        room_head = (f'<tr><th class="l">{t["room"]}</th><th>{t["racks"]} '
                     f'{t["racks_installed"]}/{t["racks_in_use"]}/{t["racks_unknown"]}</th>'
                     f'<th>{t["occupancy"]}</th><th>{t["load"]} kW</th>'
                     f'<th>{t["power_capacity"]} kW</th><th>{t["cooling_capacity"]} kW</th>'
                     f'<th>{t["heat_load"]} kW</th><th class="l">{t["headroom"]}</th>'
                     f'<th class="l">{t["forecast"]}</th><th class="l">{t["quality"]}</th></tr>')
        rows = "".join(
            f'<tr data-room="{esc(ro.room)}"><td class="l">{esc(ro.name or ro.room)}</td>'
            f"<td>{ro.totals.racks_installed}/{ro.totals.racks_in_use}/"
            f"{ro.totals.racks_unknown}</td><td>{_pct(ro.totals.occupancy)}</td>"
            f"<td>{_n(ro.totals.load_kw)}</td><td>{_n(ro.totals.power_capacity_kw)}</td>"
            f"<td>{_n(ro.totals.cooling_capacity_kw)}</td><td>{_n(ro.totals.heat_load_kw)}</td>"
            f'<td class="l">{_headroom(ro.headroom, t)}</td>'
            f'<td class="l">{_forecast(ro.forecast, t)}</td>'
            f'<td class="l">{quality_html(ro.quality, t)}</td></tr>' for ro in st.rooms)
        body.append(f'<table class="rooms">{room_head}{rows}</table>')
        for ro in st.rooms:
            if ro.racks:
                body.append(f'<h3>{t["room"]} {esc(ro.name or ro.room)}</h3>'
                            + _rack_rows(ro.racks, t))
        body.append(_pue_table([p for p in pue if p.site == st.site and p.zone is None], t))
        body.append("</section>")
    body.append(f'<p class="muted">{t["notes"]}</p>')
    return (f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
            f'<meta charset="utf-8"><title>{t["title"]}</title><style>{_CSS}</style></head>'
            f'<body>{"".join(body)}</body></html>')


def _pue_table(rows: Sequence[PueResult], t: dict[str, str]) -> str:
    if not rows:
        return ""
    head = (f'<tr><th class="l">{t["window"]}</th><th>{t["pue"]}</th><th>{t["category"]}</th>'
            f'<th>{t["coverage"]}</th><th class="l">{t["status"]}</th></tr>')
    body = "".join(f'<tr><td class="l">{esc(p.window)}</td><td>{_n(p.value, 3)}</td>'
                   f'<td data-category="{p.category_label}">{_category(p, t)}</td>'
                   f'<td>{_pct(p.coverage)}</td><td class="l" data-status="{esc(p.status)}">'
                   f'{esc(_pue_status(p, t))}</td></tr>'
                   for p in rows)
    return f'<h3>{t["pue"]}</h3><table class="pue">{head}{body}</table>'


def _pue_status(p: PueResult, t: Mapping[str, str]) -> str:
    """A PUE's status, with the reason when there is one, in the language of ``t``."""
    status = t.get(f"pue_status_{p.status}", p.status)
    why = reason_text(t, p.reason_code, p.reason_args, p.reason)
    return f"{status}{t.get('colon', ': ')}{why}" if why else status


def category_reason(p: PueResult, t: Mapping[str, str]) -> str:
    """Why the metering backs no category, in the language of ``t`` (shared with the status
    page)."""
    why = reason_text(t, p.category_reason_code, p.category_reason_args, p.category_reason)
    return (t["category_claim"].format(claim=p.category_claim, reason=why)
            if p.category_claim is not None else why)


def _category(p: PueResult, t: dict[str, str]) -> str:
    """The category the metering backs, or none with the claim it cannot back (as ``dcmon
    pue``, the API and /metrics say)."""
    if p.category is not None:
        return str(p.category)
    return (f'{esc(t["category_none"])} <span class="muted">'
            f'({esc(category_reason(p, t))})</span>')


def render_json(cap: CityCapacity, site: str | None = None) -> str:
    d = to_plain(cap)
    if site is not None:
        d["sites"] = [s for s in d["sites"] if s["site"] == site]
    return json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False)


def render_csv(cap: CityCapacity, site: str | None = None) -> str:
    """One row per rack (with its site and room), UTF-8 with BOM."""
    return to_csv(flatten(r) for s in cap.sites if site in (None, s.site) for ro in s.rooms
                  for r in ro.racks)


class PdfError(RuntimeError):
    """PDF output is impossible here (no Chromium) or Chromium failed; the text says which."""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium_args(browser: str) -> list[str]:
    """Headless Chromium flags that work as root and in containers (no sandbox, no GPU)."""
    args = [browser, "--headless", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
            "--disable-dev-shm-usage", "--no-default-browser-check"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


def render_pdf(html_text: str, out: Path, timeout: float = 120.0) -> None:
    """Print the HTML to ``out`` with headless Chromium (--print-to-pdf)."""
    browser = chromium()
    if browser is None:
        raise PdfError("PDF output needs Chromium (apt-get install chromium); use --format "
                       "html and print it from a browser instead")
    with tempfile.TemporaryDirectory(prefix="dcmon-report-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html_text, encoding="utf-8")
        cmd = [*chromium_args(browser), f"--user-data-dir={tmp}/profile",
               "--no-pdf-header-footer", f"--print-to-pdf={out.resolve()}", page.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"Chromium did not finish printing within {timeout:.0f} s") from None
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise PdfError(f"Chromium failed to print the PDF (exit {proc.returncode}): "
                           + " | ".join(tail))
