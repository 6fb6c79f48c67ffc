"""The status page's site and rack views (dcmon/api/status.py; the rest in status_html.py)."""

from __future__ import annotations

from collections.abc import Sequence

from dcmon.api.status_html import (
    Frame,
    SiteStatus,
    alerts_table,
    attr,
    breach_badges,
    ceiling_text,
    headroom_text,
    kw_of,
    num,
    page,
    pct,
    quality_text,
    rack_url,
    short,
    site_url,
)
from dcmon.capacity_model import FeedCapacity, RackCapacity, SiteCapacity
from dcmon.results import Results
from exporters.reports import svg
from exporters.reports.svg import esc


def _failover(r: RackCapacity) -> tuple[str, str]:
    """(data value, cell html) of a rack's failover verdict."""
    fo = r.failover
    ratio = f" {fo.ratio * 100:.0f}\u00a0%" if fo.ratio is not None else ""
    if not fo.checked or fo.ok is None:
        return "not_checked", (f'<span class="na" title="{esc(fo.reason)}">not checked</span>')
    if fo.ok:
        return "ok", f'<span class="ok">ok{ratio}</span>'
    return "at_risk", f'<span class="risk" title="{esc(fo.reason)}">at risk{ratio}</span>'


def _feed(r: RackCapacity, name: str) -> FeedCapacity | None:
    return next((f for f in r.feeds if f.feed == name), None)


def _feed_kw(f: FeedCapacity | None) -> str:
    if f is None:
        return '<span class="na">—</span>'
    of = f" <small>/ {f.derated_kw:.2f}</small>" if f.derated_kw is not None else ""
    return f"{num(f.power_kw)}{of}"


# ---------------------------------------------------------------------------------- site


def site_page(frame: Frame, res: Results, s: SiteStatus, note: str) -> str:
    cap = s.capacity
    live = s.live
    out = [f'<h1 data-site="{esc(s.site)}">{esc(s.name)} <small>({esc(s.site)})</small> '
           f'{breach_badges(s)}</h1>',
           f'<div class="kpi">Policy class<b>{esc(s.policy_class)}</b></div>'
           f'<div class="kpi">PUE ceiling<b>{ceiling_text(s)}</b></div>'
           f'<div class="kpi">Live PUE<b>{num(live.value if live else None, 3)}</b></div>'
           f'<div class="kpi">IT kW<b>{num(kw_of(live.it_w) if live else None)}</b></div>'
           f'<div class="kpi">Facility kW<b>{num(kw_of(live.facility_w) if live else None)}'
           '</b></div>']
    if cap is not None:
        out.append(f'<div class="kpi">Std racks in use<b>{num(cap.totals.std_racks_in_use, 1)}'
                   f'</b></div><div class="kpi">Headroom<b>{num(cap.headroom.kw)} kW</b>'
                   f'<small>{esc(cap.headroom.binding or "")}</small></div>')
    if live is not None and live.missing:
        out.append(f'<p class="withheld">Live PUE incomplete: no reading from '
                   f'{esc(", ".join(live.missing))}</p>')
    out.append(f'<h2 id="alerts">Active alerts ({len(s.alerts)})</h2>'
               + alerts_table(s.alerts, note, site=False))
    out.append("<h2>PUE</h2>" + _windows(s))
    pue_pts = [(t, p) for t, p, _, _ in s.history]
    out.append('<div class="charts">' + svg.line(
        [svg.Series("live PUE", pue_pts)], f"Live PUE of {s.site} against its ceiling",
        limit=s.ceiling, limit_label="ceiling", from_zero=False, w=560) + svg.line(
        [svg.Series("IT", [(t, it) for t, _, it, _ in s.history]),
         svg.Series("facility", [(t, fac) for t, _, _, fac in s.history], "#d07b26")],
        f"IT and facility power of {s.site}", unit=" kW", w=560) + "</div>")
    if cap is None:
        out.append('<h2>Capacity</h2><p class="na">No capacity figures yet.</p>')
    else:
        out.append(_rooms(s, cap))
    return page(frame, s.name, "".join(out), crumbs=[(s.site, site_url(s.site))],
                 computed=res.computed or None)


def _windows(s: SiteStatus) -> str:
    if not s.windows:
        why = "no energy topology" if not s.has_energy else "not computed yet"
        return f'<p class="na">No PUE ({why}).</p>'
    head = ('<tr><th class="l">Window</th><th class="l">Period</th><th>PUE</th>'
            '<th>Ceiling</th><th>Category</th><th>Coverage</th><th>IT load</th>'
            '<th class="l">Status</th></tr>')
    rows = []
    for p in s.windows:
        above = s.ceiling is not None and p.value is not None and p.value > s.ceiling
        badge = (f' <span class="badge breach" data-site="{esc(s.site)}" '
                 f'data-window="{esc(p.window)}">BREACH</span>' if above else "")
        status = esc(p.status) + (f': {esc(p.reason)}' if p.reason else "") + (
            ' <small>(interim: under 12 months)</small>' if p.interim and p.value is not None
            else "")
        value = (num(p.value, 3) if p.value is not None
                 else '<span class="withheld">withheld</span>')
        rows.append(
            f'<tr class="pue-window{" breach" if above else ""}" data-window="{esc(p.window)}" '
            f'data-status="{esc(p.status)}" data-value="{attr(p.value)}">'
            f'<td class="l">{esc(p.window)}</td><td class="l nw">{short(p.start)} – '
            f'{short(p.end)} UTC</td><td>{value}</td><td>{ceiling_text(s)}</td>'
            f'<td>{p.category}</td><td>{pct(p.coverage)}</td><td>{pct(p.it_load_fraction)}</td>'
            f'<td class="l">{status}{badge}</td></tr>')
    return f'<table class="pue-windows">{head}{"".join(rows)}</table>'


def _rooms(s: SiteStatus, cap: SiteCapacity) -> str:
    head = ('<tr><th class="l">Room</th><th>Racks installed / in use / unmetered</th>'
            '<th>Now kW</th><th>Load kW</th><th>Power capacity kW</th>'
            '<th>Cooling capacity kW</th><th>Utilisation</th><th>Headroom kW</th>'
            '<th>Headroom std racks</th><th class="l">Binding limit</th>'
            '<th class="l">Quality</th></tr>')
    rows = []
    for ro in cap.rooms:
        t, h = ro.totals, ro.headroom
        rows.append(
            f'<tr class="room" data-room="{esc(ro.room)}"><td class="l">{esc(ro.name or ro.room)}'
            f'</td><td>{t.racks_installed} / {t.racks_in_use} / {t.racks_unknown}</td>'
            f'<td>{num(t.now_kw)}</td><td>{num(t.load_kw)}</td>'
            f'<td>{num(t.power_capacity_kw)}</td><td>{num(t.cooling_capacity_kw)}</td>'
            f'<td>{pct(t.utilisation)}</td><td>{num(h.kw)}</td><td>{num(h.std_racks)}</td>'
            f'<td class="l">{esc(h.binding or "—")}</td><td class="l">{quality_text(ro.quality)}'
            '</td></tr>')
    out = [f'<h2>Capacity</h2><table class="rooms">{head}{"".join(rows)}</table>',
           svg.headroom_bars([svg.Bars(ro.name or ro.room, [
               ("power", ro.headroom.power_kw), ("cooling", ro.headroom.cooling_kw),
               ("space", ro.headroom.space_kw)], ro.headroom.binding) for ro in cap.rooms],
               f"Headroom per room of {s.site}", {"power": "power", "cooling": "cooling",
                                                 "space": "space"})]
    for ro in cap.rooms:
        if ro.racks:
            out.append(f'<h3>Racks of {esc(ro.name or ro.room)}</h3>' + _rack_table(s.site,
                                                                                  ro.racks))
    return "".join(out)


def _rack_table(site: str, racks: Sequence[RackCapacity]) -> str:
    head = ('<tr><th class="l">Rack</th><th>Now kW</th><th>Rated kW</th><th>Utilisation</th>'
            '<th>Feed A kW</th><th>Feed B kW</th><th class="l">Failover</th>'
            '<th class="l">Quality</th></tr>')
    rows = []
    for r in racks:
        fo, fo_html = _failover(r)
        colour = svg.utilisation_colour(r.utilisation)
        rows.append(
            f'<tr class="rack" data-rack="{esc(r.rack)}" data-now-kw="{attr(r.now_kw)}" '
            f'data-utilisation="{attr(r.utilisation)}" data-failover="{fo}">'
            f'<td class="l"><a href="{esc(rack_url(site, r.rack))}">{esc(r.rack)}</a>'
            f'{f" <small>{esc(r.name)}</small>" if r.name else ""}</td>'
            f'<td>{num(r.now_kw)}</td><td>{num(r.rated_kw)}</td>'
            f'<td class="util"><span class="sw" style="background:{colour}"></span>'
            f'{pct(r.utilisation)}</td><td data-feed="A">{_feed_kw(_feed(r, "A"))}</td>'
            f'<td data-feed="B">{_feed_kw(_feed(r, "B"))}</td><td class="l">{fo_html}</td>'
            f'<td class="l">{quality_text(r.quality)}</td></tr>')
    return f'<table class="racks">{head}{"".join(rows)}</table>'


# ---------------------------------------------------------------------------------- rack


def rack_page(frame: Frame, res: Results, s: SiteStatus, r: RackCapacity,
              points: Sequence[tuple[float, float | None]], note: str) -> str:
    h = r.headroom
    u = (f"{r.u_used} / {r.u_total}" if r.u_used is not None and r.u_total is not None
         else '<span class="na">—</span>')
    figures = [
        ("Now kW", num(r.now_kw)), ("p95 kW", num(r.p95_kw)), ("Peak kW", num(r.peak_kw)),
        ("Load kW", f"{num(r.load_kw)} <small>({esc(r.basis or '—')})</small>"),
        ("Rated kW", num(r.rated_kw)), ("Usable kW", num(r.usable_kw)),
        ("Utilisation", f'<span class="sw" style="background:'
                        f'{svg.utilisation_colour(r.utilisation)}"></span>'
                        f"{pct(r.utilisation)}"),
        ("U used / total", u),
        ("Std racks measured / provisioned",
         f"{num(r.std_racks_measured)} / {num(r.std_racks_provisioned)}"),
        ("In use", {True: "yes", False: "no", None: '<span class="na">unknown</span>'}[r.in_use]),
        ("Headroom power / cooling / space kW",
         f"{num(h.power_kw)} / {num(h.cooling_kw)} / {num(h.space_kw)}"),
        ("Headroom", headroom_text(h)), ("Quality", quality_text(r.quality))]
    fig = "".join(f'<tr><th class="l">{k}</th><td>{v}</td></tr>' for k, v in figures)
    alerts = [a for a in s.alerts if a.rack == r.rack]
    limit = r.usable_kw if r.usable_kw is not None else r.rated_kw
    out = [f'<h1 data-site="{esc(s.site)}" data-rack="{esc(r.rack)}">Rack {esc(r.rack)} '
           f'<small>{esc(r.name)} in {esc(s.name)} / {esc(r.room)}</small></h1>',
           f'<table class="figures" data-now-kw="{attr(r.now_kw)}">{fig}</table>',
           "<h2>Feeds</h2>" + _feeds(r), "<h2>Failover</h2>" + _failover_block(r),
           "<h2>Power</h2>" + svg.line(
               [svg.Series("rack kW (A+B)", points)], f"Power of rack {r.rack}", unit=" kW",
               limit=limit, limit_label="usable" if r.usable_kw is not None else "rated"),
           f'<h2 id="alerts">Active alerts ({len(alerts)})</h2>'
           + alerts_table(alerts, note, site=False)]
    return page(frame, f"Rack {r.rack}", "".join(out),
                 crumbs=[(s.site, site_url(s.site)), (r.rack, rack_url(s.site, r.rack))],
                 computed=res.computed or None)


def _feeds(r: RackCapacity) -> str:
    if not r.feeds:
        return '<p class="na">No feeds configured for this rack.</p>'
    head = ('<tr><th class="l">Feed</th><th class="l">Devices</th><th>Breaker A</th>'
            '<th>Voltage / phases</th><th>Rated kW</th><th>Derated A</th><th>Derated kW</th>'
            '<th>Current A</th><th>Power kW</th><th>Peak kW</th><th>Current use</th>'
            '<th>Power use</th><th class="l">Against derated</th></tr>')
    rows = []
    for f in r.feeds:
        use = f.current_utilisation if f.current_utilisation is not None else f.power_utilisation
        bar = ('<span class="na">—</span>' if use is None else
               f'<span class="bar" style="width:160px"><i style="width:'
               f'{min(1.0, max(0.0, use)) * 100:.1f}%;background:{svg.utilisation_colour(use)}">'
               '</i></span>')
        vp = (f"{num(f.voltage, 0)} V / {f.phases if f.phases is not None else '—'}"
              if f.voltage is not None else '<span class="na">—</span>')
        rows.append(
            f'<tr class="feed" data-feed="{esc(f.feed)}" data-power-kw="{attr(f.power_kw)}" '
            f'data-derated-kw="{attr(f.derated_kw)}"><td class="l">{esc(f.feed)}</td>'
            f'<td class="l">{esc(", ".join(f.devices))}</td><td>{num(f.breaker_a, 1)}</td>'
            f'<td>{vp}</td><td>{num(f.rated_kw)}</td><td>{num(f.derated_a, 1)}</td>'
            f'<td>{num(f.derated_kw)}</td><td>{num(f.current_a, 1)}</td>'
            f'<td>{num(f.power_kw)}</td><td>{num(f.peak_kw)}</td>'
            f'<td>{pct(f.current_utilisation)}</td><td>{pct(f.power_utilisation)}</td>'
            f'<td class="l">{bar}</td></tr>')
    return f'<table class="feeds">{head}{"".join(rows)}</table>'


def _failover_block(r: RackCapacity) -> str:
    fo = r.failover
    verdict, html = _failover(r)
    text = fo.reason
    if not text and fo.checked and fo.load is not None and fo.limit is not None:
        unit = "A" if fo.basis == "current" else "kW"
        text = (f"the surviving feed {fo.survivor or '?'} would carry {fo.load:,.2f} {unit} "
                f"against its derated {fo.limit:,.2f} {unit}")
    peak = (f" At the history peak: {fo.peak_ratio * 100:.0f} %." if fo.peak_ratio is not None
            else "")
    return (f'<p class="failover" data-failover="{verdict}"><b>{html}</b> '
            f'<span class="muted">{esc(text.rstrip("."))}{"." if text else ""}{esc(peak)}'
            f'</span></p>')
