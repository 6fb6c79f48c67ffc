"""The status page's site and rack views (exporters/api/status/routes.py; the rest in
status_html.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dcmon.engine.capacity.model import FeedCapacity, RackCapacity, SiteCapacity
from dcmon.engine.pue import PueResult
from dcmon.engine.results import Results
from dcmon.exporters.api.status.carbon import carbon_section
from dcmon.exporters.api.status.html import (
    LEVEL_COLOUR,
    Frame,
    SiteStatus,
    alerts_table,
    attr,
    breach_badges,
    ceiling_text,
    class_name,
    headroom_text,
    kw_of,
    level,
    limit_name,
    num,
    page,
    pct,
    quality_text,
    rack_url,
    scroll,
    site_url,
)
from dcmon.exporters.api.status.retrofit import retrofit_section
from dcmon.exporters.reports import svg
from dcmon.exporters.reports.capacity import category_reason
from dcmon.exporters.reports.svg import esc


def basis_label(frame: Frame, basis: str | None, days: int) -> str:
    """What a capacity figure is measured on: "peak 30 d" (the load basis over the history
    window), shown next to it; live figures say "now"."""
    t = frame.t
    if basis in (None, "now"):
        return t["basis_now"]
    return t["basis_of"].format(basis=t.get(basis, basis), days=days)


def _days(res: Results) -> int:
    return res.capacity.settings.history_days if res.capacity is not None else 0


def _failover(frame: Frame, r: RackCapacity, days: int) -> tuple[str, str]:
    """(data value, cell html) of a rack's failover verdict: the live ratio ("now", coloured by
    the feed alert's thresholds) and the history-peak ratio, each with its basis."""
    t, fo, lim = frame.t, r.failover, frame.limits
    if not fo.checked or fo.ok is None:
        why = frame.reason(fo.reason_code, fo.reason_args, fo.reason)
        return "not_checked", (f'<span class="na" title="{esc(why)}">'
                               f'{t["not_checked"]}</span>')
    now = level(fo.ratio if fo.basis != "peak_power" else None, lim.feed_warning,
                lim.feed_critical)
    parts = []
    if fo.ratio is not None and fo.basis != "peak_power":
        parts.append(f'<span class="{_CLS[now]}" data-basis="now">{fo.ratio * 100:.0f}\u00a0% '
                     f'<span class="basis">{t["basis_now"]}</span></span>')
    if fo.peak_ratio is not None:
        parts.append(f'<span data-basis="peak">{fo.peak_ratio * 100:.0f}\u00a0% '
                     f'<span class="basis">{esc(basis_label(frame, "peak", days))}'
                     '</span></span>')
    figures = " · ".join(parts)
    if fo.ok:
        return "ok", f'<span class="ok">{t["failover_ok"]}</span> {figures}'
    why = frame.reason(fo.reason_code, fo.reason_args, fo.reason)
    cls = "risk" if now == "critical" or fo.basis == "peak_power" else "warn"
    return "at_risk", (f'<span class="{cls}" title="{esc(why)}">{t["failover_risk"]}'
                       f'</span> {figures}')


_CLS = {"na": "na", "ok": "ok", "warning": "warn", "critical": "risk"}


def _use(ratio: float | None, colour_level: str, basis: str) -> str:
    """A utilisation with its colour swatch and its basis."""
    return (f'<span class="sw" style="background:{LEVEL_COLOUR[colour_level]}"></span>'
            f'{pct(ratio)} <span class="basis">{esc(basis)}</span>')


def _feed(r: RackCapacity, name: str) -> FeedCapacity | None:
    return next((f for f in r.feeds if f.feed == name), None)


def _feed_kw(f: FeedCapacity | None) -> str:
    if f is None:
        return '<span class="na">—</span>'
    of = f" <small>/ {f.derated_kw:.2f}</small>" if f.derated_kw is not None else ""
    return f"{num(f.power_kw)}{of}"


# ---------------------------------------------------------------------------------- site


def site_page(frame: Frame, res: Results, s: SiteStatus, note: str) -> str:
    t = frame.t
    cap = s.capacity
    live = s.live
    out = [f'<h1 data-site="{esc(s.site)}">{esc(s.name)} <small>({esc(s.site)})</small> '
           f'{breach_badges(s, t)}</h1>',
           f'<div class="kpi">{t["policy_class"]}<b data-class="{esc(s.policy_class)}">'
           f'{esc(class_name(s.policy_class, frame.lang))}</b></div>'
           f'<div class="kpi">{t["pue_ceiling"]}<b>{ceiling_text(s, t)}</b></div>'
           f'<div class="kpi">{t["live_pue"]}<b>{num(live.value if live else None, 3)}</b></div>'
           f'<div class="kpi">{t["it_kw"]}<b>{num(kw_of(live.it_w) if live else None)}</b>'
           f'</div><div class="kpi">{t["facility_kw"]}'
           f'<b>{num(kw_of(live.facility_w) if live else None)}</b></div>']
    if cap is not None:
        out.append(f'<div class="kpi">{t["std_racks_short"]}'
                   f'<b>{num(cap.totals.std_racks_in_use, 1)}</b></div>'
                   f'<div class="kpi">{t["headroom"]}<b>{num(cap.headroom.kw)} kW</b>'
                   f'<small>{esc(limit_name(cap.headroom.binding, t))}</small></div>')
    if live is not None and live.missing:
        out.append('<p class="withheld">'
                   f'{esc(t["live_incomplete"].format(devices=", ".join(live.missing)))}</p>')
    out.append(f'<h2 id="alerts">{t["active_alerts_n"].format(n=len(s.alerts))}</h2>'
               + alerts_table(frame, s.alerts, note, site=False))
    out.append(f'<h2>{t["pue"]}</h2>' + _windows(frame, s))
    pue_pts = [(ts, p) for ts, p, _, _ in s.history]
    out.append('<div class="charts">' + svg.line(
        [svg.Series(t["series_pue"], pue_pts, key="live_pue")],
        t["chart_pue"].format(site=s.site),
        limit=s.ceiling, limit_label=t["limit_ceiling"], from_zero=False,
        no_data=t["no_data"], w=560) + svg.line(
        [svg.Series(t["series_it"], [(ts, it) for ts, _, it, _ in s.history], key="it_kw"),
         svg.Series(t["series_facility"], [(ts, fac) for ts, _, _, fac in s.history],
                    "#d07b26", key="facility_kw")],
        t["chart_power"].format(site=s.site), unit=" kW", no_data=t["no_data"], w=560)
        + "</div>")
    out.append(carbon_section(frame, res, s.site))
    if cap is None:
        out.append(f'<h2>{t["capacity"]}</h2><p class="na">{t["no_capacity"]}</p>')
    else:
        out.append(_rooms(frame, s, cap, _days(res)))
    out.append(retrofit_section(frame, [r for r in res.retrofits if r.site == s.site]))
    return page(frame, s.name, "".join(out), crumbs=[(s.site, site_url(s.site))],
                computed=res.computed or None)


def _windows(frame: Frame, s: SiteStatus) -> str:
    t = frame.t
    if not s.windows:
        why = t["no_topology"] if not s.has_energy else t["not_computed"]
        return f'<p class="na">{t["no_pue"].format(why=why)}</p>'
    head = (f'<tr><th class="l">{t["window"]}</th><th class="l">{t["period"]}</th>'
            f'<th>PUE</th><th>{t["ceiling"]}</th><th>{t["category"]}</th>'
            f'<th>{t["coverage"]}</th><th>{t["it_load"]}</th>'
            f'<th class="l">{t["status"]}</th></tr>')
    zone = f' <span class="basis">{esc(frame.zone(s.windows[0].end))}</span>'
    rows = []
    for p in s.windows:
        above = s.ceiling is not None and p.value is not None and p.value > s.ceiling
        badge = (f' <span class="badge breach" data-site="{esc(s.site)}" '
                 f'data-window="{esc(p.window)}">{t["breach"]}</span>' if above else "")
        why = frame.reason(p.reason_code, p.reason_args, p.reason)
        status = esc(t.get(f"pue_{p.status}", p.status)) + (
            f'{t["colon"]}{esc(why)}' if why else "") + (
            f' <small>{t["interim"]}</small>' if p.interim and p.value is not None else "")
        value = (num(p.value, 3) if p.value is not None
                 else f'<span class="withheld">{t["withheld"]}</span>')
        rows.append(
            f'<tr class="pue-window{" breach" if above else ""}" data-window="{esc(p.window)}" '
            f'data-status="{esc(p.status)}" data-value="{attr(p.value)}">'
            f'<td class="l">{esc(p.window)}</td><td class="l nw">{frame.short(p.start)} – '
            f'{frame.short(p.end)}{zone}</td><td>{value}</td><td>{ceiling_text(s, t)}</td>'
            f'<td>{_category(p, t)}</td><td>{pct(p.coverage)}</td>'
            f'<td>{pct(p.it_load_fraction)}</td>'
            f'<td class="l">{status}{badge}</td></tr>')
    return scroll(f'<table class="pue-windows">{head}{"".join(rows)}</table>')


def _category(p: PueResult, t: Mapping[str, str]) -> str:
    """The category the metering backs; ``none`` with the claim and the reason when it backs
    none (the same figure as /metrics, the API and ``dcmon pue``)."""
    if p.category is not None:
        return str(p.category)
    why = category_reason(p, t)
    return (f'<span class="na" data-category="none">{esc(t["category_none"])}</span> '
            f'<small>{esc(why)}</small>')


def _rooms(frame: Frame, s: SiteStatus, cap: SiteCapacity, days: int) -> str:
    t = frame.t
    head = (f'<tr><th class="l">{t["room"]}</th><th>{t["racks_counts"]}</th>'
            f'<th>{t["now_kw"]}</th><th>{t["load_kw"]}</th><th>{t["power_capacity_kw"]}</th>'
            f'<th>{t["cooling_capacity_kw"]}</th><th>{t["utilisation"]}</th>'
            f'<th>{t["headroom_kw"]}</th><th>{t["headroom_std"]}</th>'
            f'<th class="l">{t["binding_limit"]}</th><th class="l">{t["quality"]}</th></tr>')
    rows = []
    for ro in cap.rooms:
        tt, h = ro.totals, ro.headroom
        rows.append(
            f'<tr class="room" data-room="{esc(ro.room)}"><td class="l">{esc(ro.name or ro.room)}'
            f'</td><td>{tt.racks_installed} / {tt.racks_in_use} / {tt.racks_unknown}</td>'
            f'<td>{num(tt.now_kw)}</td><td>{num(tt.load_kw)}</td>'
            f'<td>{num(tt.power_capacity_kw)}</td><td>{num(tt.cooling_capacity_kw)}</td>'
            f'<td>{pct(tt.utilisation)}</td><td>{num(h.kw)}</td><td>{num(h.std_racks)}</td>'
            f'<td class="l">{esc(limit_name(h.binding, t) or "—")}</td>'
            f'<td class="l">{quality_text(ro.quality, t)}</td></tr>')
    out = [f'<h2>{t["capacity"]}</h2>'
           + scroll(f'<table class="rooms">{head}{"".join(rows)}</table>'),
           svg.headroom_bars([svg.Bars(ro.name or ro.room, [
               ("power", ro.headroom.power_kw), ("cooling", ro.headroom.cooling_kw),
               ("space", ro.headroom.space_kw)], ro.headroom.binding) for ro in cap.rooms],
               t["headroom_chart"].format(site=s.site),
               {k: t[k] for k in ("power", "cooling", "space")}, no_data=t["no_data"])]
    for ro in cap.rooms:
        if ro.racks:
            out.append(f'<h3>{esc(t["racks_of"].format(room=ro.name or ro.room))}</h3>'
                       + _rack_table(frame, s.site, ro.racks, days))
    if any(ro.racks for ro in cap.rooms):
        out.append(colour_note(frame, days))
    return "".join(out)


def colour_note(frame: Frame, days: int) -> str:
    """Why a rack can be amber on its peak with no alert active: the colours follow the rack
    alert's thresholds, the alert judges the load now, capacity the load basis."""
    lim = frame.limits
    return ('<p class="muted colour-note">' + esc(frame.t["colour_note"].format(
        w=f"{lim.rack_warning * 100:.0f} %", c=f"{lim.rack_critical * 100:.0f} %",
        fw=f"{lim.feed_warning * 100:.0f} %", fc=f"{lim.feed_critical * 100:.0f} %",
        days=days)) + "</p>")


def _rack_table(frame: Frame, site: str, racks: Sequence[RackCapacity], days: int) -> str:
    """The racks: the live utilisation (what the rack alert judges) and the capacity one (on
    the load basis), each coloured by the rack alert's thresholds and labelled with its
    basis."""
    t, lim = frame.t, frame.limits
    head = (f'<tr><th class="l">{t["rack"]}</th><th>{t["now_kw"]}</th><th>{t["rated_kw"]}</th>'
            f'<th>{t["now_use"]}</th><th>{t["utilisation"]}</th>'
            f'<th>{t["feed_kw"].format(feed="A")}</th>'
            f'<th>{t["feed_kw"].format(feed="B")}</th><th class="l">{t["failover"]}</th>'
            f'<th class="l">{t["quality"]}</th></tr>')
    rows = []
    for r in racks:
        fo, fo_html = _failover(frame, r, days)
        now_u = live_use(r)
        now_l = level(now_u, lim.rack_warning, lim.rack_critical)
        cap_l = level(r.utilisation, lim.rack_warning, lim.rack_critical)
        rows.append(
            f'<tr class="rack" data-rack="{esc(r.rack)}" data-now-kw="{attr(r.now_kw)}" '
            f'data-utilisation="{attr(r.utilisation)}" data-now-utilisation="{attr(now_u)}" '
            f'data-level-now="{now_l}" data-level="{cap_l}" data-basis="{esc(r.basis or "")}" '
            f'data-failover="{fo}">'
            f'<td class="l"><a href="{esc(frame.link(rack_url(site, r.rack)))}">'
            f'{esc(r.rack)}</a>{f" <small>{esc(r.name)}</small>" if r.name else ""}</td>'
            f'<td>{num(r.now_kw)}</td><td>{num(r.rated_kw)}</td>'
            f'<td class="util-now">{_use(now_u, now_l, t["basis_now"])}</td>'
            f'<td class="util">{_use(r.utilisation, cap_l, basis_label(frame, r.basis, days))}'
            f'</td><td data-feed="A">{_feed_kw(_feed(r, "A"))}</td>'
            f'<td data-feed="B">{_feed_kw(_feed(r, "B"))}</td><td class="l">{fo_html}</td>'
            f'<td class="l">{quality_text(r.quality, t)}</td></tr>')
    return scroll(f'<table class="racks">{head}{"".join(rows)}</table>')


def live_use(r: RackCapacity) -> float | None:
    """The rack's live power against its rating: the ratio the rack alert compares."""
    if r.now_kw is None or not r.rated_kw:
        return None
    return r.now_kw / r.rated_kw


def rack_page(frame: Frame, res: Results, s: SiteStatus, r: RackCapacity,
              points: Sequence[tuple[float, float | None]], note: str) -> str:
    t, lim, days = frame.t, frame.limits, _days(res)
    h = r.headroom
    now_u = live_use(r)
    u = (f"{r.u_used} / {r.u_total}" if r.u_used is not None and r.u_total is not None
         else '<span class="na">—</span>')
    in_use = {True: t["yes"], False: t["no"],
              None: f'<span class="na">{t["unknown"]}</span>'}[r.in_use]
    figures = [
        (t["now_kw"], num(r.now_kw)), (t["p95_kw"], num(r.p95_kw)),
        (t["peak_kw"], num(r.peak_kw)),
        (t["load_kw"], f'{num(r.load_kw)} <span class="basis">'
                       f'{esc(basis_label(frame, r.basis, days))}</span>'),
        (t["rated_kw"], num(r.rated_kw)), (t["usable_kw"], num(r.usable_kw)),
        (t["now_use"], _use(now_u, level(now_u, lim.rack_warning, lim.rack_critical),
                            t["basis_now"])),
        (t["utilisation"], _use(r.utilisation, level(r.utilisation, lim.rack_warning,
                                                     lim.rack_critical),
                                basis_label(frame, r.basis, days))),
        (t["u_space"], u),
        (t["std_racks_mp"], f"{num(r.std_racks_measured)} / {num(r.std_racks_provisioned)}"),
        (t["in_use"], in_use),
        (t["headroom_limits"], f"{num(h.power_kw)} / {num(h.cooling_kw)} / {num(h.space_kw)}"),
        (t["headroom"], headroom_text(h, t)), (t["quality"], quality_text(r.quality, t))]
    fig = "".join(f'<tr><th class="l">{k}</th><td>{v}</td></tr>' for k, v in figures)
    alerts = [a for a in s.alerts if a.rack == r.rack]
    limit = r.usable_kw if r.usable_kw is not None else r.rated_kw
    where = t["rack_where"].format(name=r.name, site=s.name, room=r.room).lstrip("，, ")
    out = [f'<h1 data-site="{esc(s.site)}" data-rack="{esc(r.rack)}">'
           f'{esc(t["rack_title"].format(rack=r.rack))} <small>{esc(where)}</small></h1>',
           scroll(f'<table class="figures" data-now-kw="{attr(r.now_kw)}" '
                  f'data-now-utilisation="{attr(now_u)}">{fig}</table>'),
           colour_note(frame, days),
           f'<h2>{t["feeds"]}</h2>' + _feeds(r, t),
           f'<h2>{t["failover"]}</h2>' + _failover_block(frame, r, days),
           f'<h2>{t["power_h"]}</h2>' + svg.line(
               [svg.Series(t["series_rack"], points, key="rack_kw")],
               t["chart_rack"].format(rack=r.rack),
               unit=" kW", limit=limit, no_data=t["no_data"],
               limit_label=t["limit_usable"] if r.usable_kw is not None else t["limit_rated"]),
           f'<h2 id="alerts">{t["active_alerts_n"].format(n=len(alerts))}</h2>'
           + alerts_table(frame, alerts, note, site=False)]
    return page(frame, t["rack_title"].format(rack=r.rack), "".join(out),
                crumbs=[(s.site, site_url(s.site)), (r.rack, rack_url(s.site, r.rack))],
                computed=res.computed or None)


def _feeds(r: RackCapacity, t: Mapping[str, str]) -> str:
    if not r.feeds:
        return f'<p class="na">{t["no_feeds"]}</p>'
    head = (f'<tr><th class="l">{t["feed"]}</th><th class="l">{t["devices"]}</th>'
            f'<th>{t["breaker_a"]}</th><th>{t["voltage_phases"]}</th><th>{t["rated_kw"]}</th>'
            f'<th>{t["derated_a"]}</th><th>{t["derated_kw"]}</th><th>{t["current_a"]}</th>'
            f'<th>{t["power_kw"]}</th><th>{t["peak_kw"]}</th><th>{t["current_use"]}</th>'
            f'<th>{t["power_use"]}</th><th class="l">{t["against_derated"]}</th></tr>')
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
    return scroll(f'<table class="feeds">{head}{"".join(rows)}</table>')


def _failover_block(frame: Frame, r: RackCapacity, days: int) -> str:
    t, fo = frame.t, r.failover
    verdict, html = _failover(frame, r, days)
    # The engine's reason in the page's language (English: the engine's text as it is).
    text = frame.reason(fo.reason_code, fo.reason_args, fo.reason)
    stop = t["stop"] if text != fo.reason else "."
    if not text and fo.checked and fo.load is not None and fo.limit is not None:
        unit = "A" if fo.basis == "current" else "kW"
        text = t["survivor"].format(feed=fo.survivor or "?", load=f"{fo.load:,.2f}",
                                    limit=f"{fo.limit:,.2f}", unit=unit)
        stop = t["stop"]
    peak = (t["at_peak"].format(p=f"{fo.peak_ratio * 100:.0f}",
                                basis=basis_label(frame, "peak", days))
            if fo.peak_ratio is not None else "")
    stop = stop if text else ""
    return (f'<p class="failover" data-failover="{verdict}"><b>{html}</b> '
            f'<span class="muted">{esc(text.rstrip(".。"))}{stop}{esc(peak)}</span></p>')
