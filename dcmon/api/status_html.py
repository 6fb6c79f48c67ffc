"""HTML of the status page (dcmon/api/status.py): its data, the frame, city view, login and 404
(the site and rack views: status_detail.py).

Pure functions of the results: no I/O, every value escaped with :func:`esc`. Styles are inline
and charts are the report's hand-written SVG (exporters/reports/svg.py), so the page needs no
script, font or asset from anywhere. Values that could not be measured show as such ("—",
"withheld" with the reason), never as 0. Elements carry ``data-`` attributes (site, window,
rack, feed, value) so tests and scrapers find figures without parsing the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from dcmon import __version__
from dcmon.capacity_model import Headroom, Quality, SiteCapacity
from dcmon.pue import InstantPue, PueResult
from dcmon.results import Results
from exporters.reports import svg
from exporters.reports.svg import esc

#: The energy PUE windows of the city view, and the ones a breach is judged on.
CITY_WINDOWS = ("1h", "24h", "7d", "30d")
#: A 404 lists at most this many known sites or racks.
MAX_KNOWN = 50

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",Arial,sans-serif;
margin:0;color:#222;font-size:14px;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:8px 20px;display:flex;gap:16px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:bold}header .crumbs a{font-weight:normal}
header .sp{flex:1}header form{margin:0}main{padding:12px 20px}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:22px 0 8px;border-bottom:2px solid #2b6cb0}
h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;margin:6px 0 12px;background:#fff}
td,th{border:1px solid #d5d9de;padding:4px 7px;text-align:right;vertical-align:middle}
th{background:#eef2f6}td.l,th.l{text-align:left}
a{color:#1d5fa8}.na{color:#999}.muted{color:#666}small{color:#666}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;font-weight:bold;
margin:1px 2px;white-space:nowrap}
.badge.breach{background:#d0453b;color:#fff}.badge.ok{background:#3a9d5d;color:#fff}
.badge.info{background:#c8c8c8;color:#333}.badge.firing{background:#d0453b;color:#fff}
.badge.pending{background:#e0a526;color:#222}
.risk{color:#b00020;font-weight:bold}.ok{color:#2f7d4a}.withheld{color:#8a5a00}
.fault{color:#b00020}
tr.breach td{background:#fdecea}
.kpi{display:inline-block;margin:4px 22px 4px 0;vertical-align:top}
.kpi b{font-size:21px;display:block}
.bar{background:#e1e4e8;width:320px;height:12px;display:inline-block;vertical-align:middle}
.bar i{background:#2b6cb0;height:12px;display:block}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;
vertical-align:-1px}
svg.chart{display:block;margin:6px 0 12px;font-size:11px;background:#fff}
svg .axis{font-size:10px;fill:#555}svg .cell-id{font-size:9px;fill:#fff}
svg .cell-v{font-size:9px;fill:#fff;font-weight:bold}
td svg.chart{margin:0;background:none}
.charts{display:flex;flex-wrap:wrap;gap:0 20px}
.error{color:#b00020;font-weight:bold}form.login{margin:16px 0}
form.login input{font-size:15px;padding:5px;width:340px}
footer{color:#777;font-size:12px;padding:8px 20px 20px}
"""


@dataclass(frozen=True)
class AlertRow:
    """One active alert as the page shows it."""

    alertname: str
    state: str
    severity: str
    site: str
    room: str
    rack: str
    window: str
    summary: str
    since: float
    value: float | None = None


@dataclass(frozen=True)
class SiteStatus:
    """What the page tells about one site."""

    site: str
    name: str
    policy_class: str
    #: The PUE ceiling in force; None: report only (edge) or no PUE metering.
    ceiling: float | None
    has_energy: bool
    live: InstantPue | None
    #: Energy PUE per window (site-wide, not zones), in the engine's order.
    windows: tuple[PueResult, ...]
    capacity: SiteCapacity | None
    alerts: tuple[AlertRow, ...]
    #: (ts, live PUE, IT kW, facility kW), oldest first.
    history: tuple[tuple[float, float | None, float | None, float | None], ...]

    def window(self, name: str) -> PueResult | None:
        return next((p for p in self.windows if p.window == name), None)

    @property
    def breaches(self) -> list[tuple[str, float]]:
        """(window, value) above the ceiling: the judged windows that have a value, or the
        live PUE when none has (a fresh site: every window still withheld)."""
        if self.ceiling is None:
            return []
        valued = [(p.window, p.value) for p in self.windows
                  if p.window in CITY_WINDOWS and p.value is not None]
        if valued:
            return [(w, v) for w, v in valued if v > self.ceiling]
        live = self.live.value if self.live is not None else None
        return [("live", live)] if live is not None and live > self.ceiling else []


@dataclass(frozen=True)
class Frame:
    """Page furniture: auto-refresh seconds (0: none) and whether to offer logging out."""

    refresh_s: int = 10
    logout: bool = False


# ------------------------------------------------------------------------------ formatting


def num(v: float | None, nd: int = 2) -> str:
    return '<span class="na">—</span>' if v is None else f"{v:,.{nd}f}"


def pct(v: float | None) -> str:
    return '<span class="na">—</span>' if v is None else f"{v * 100:.1f}\u00a0%"


def utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def short(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def attr(v: float | None) -> str:
    return "" if v is None else repr(v)


def site_url(site: str) -> str:
    return f"/status/site/{quote(site, safe='')}"


def rack_url(site: str, rack: str) -> str:
    return f"/status/rack/{quote(site, safe='')}/{quote(rack, safe='')}"


def kw_of(w: float | None) -> float | None:
    return None if w is None else w / 1000


def ceiling_text(s: SiteStatus) -> str:
    if s.ceiling is not None:
        return f"{s.ceiling:.2f}"
    if s.policy_class == "edge":
        return '<span class="muted">report only</span>'
    return '<span class="na" title="no energy topology: no PUE">—</span>'


def breach_badges(s: SiteStatus) -> str:
    if s.ceiling is None:
        return '<span class="badge info">no ceiling</span>'
    found = s.breaches
    if found:
        return "".join(
            f'<span class="badge breach" data-site="{esc(s.site)}" data-window="{esc(w)}" '
            f'data-value="{v!r}" title="{esc(w)} PUE {v:.3f} above the ceiling '
            f'{s.ceiling:.2f}">BREACH {esc(w)} {v:.3f}</span>' for w, v in found)
    known = any(p.value is not None for p in s.windows) or (
        s.live is not None and s.live.value is not None)
    if not known:
        return '<span class="na">—</span>'
    return f'<span class="badge ok" data-site="{esc(s.site)}">within {s.ceiling:.2f}</span>'


def headroom_text(h: Headroom) -> str:
    if h.kw is None:
        return '<span class="na">—</span>'
    return (f"{h.kw:,.2f} kW <small>({h.std_racks or 0:,.2f} std racks; "
            f"{esc(h.binding or '?')})</small>")


def quality_text(q: Quality) -> str:
    parts = []
    if q.coverage is not None:
        parts.append(f"coverage {q.coverage * 100:.0f} %")
    if q.stale:
        parts.append(f'<span class="risk">stale: {esc(", ".join(q.stale))}</span>')
    if q.flags:
        parts.append(f'<span class="withheld">{esc(", ".join(q.flags))}</span>')
    return "; ".join(parts) or '<span class="ok">✓</span>'


# ---------------------------------------------------------------------------------- frame


def page(frame: Frame | None, title: str, body: str, *, crumbs: Sequence[tuple[str, str]] = (),
          computed: float | None = None) -> str:
    refresh = (f'<meta http-equiv="refresh" content="{frame.refresh_s}">'
               if frame is not None and frame.refresh_s else "")
    nav = "".join(f' › <a href="{esc(url)}">{esc(name)}</a>' for name, url in crumbs)
    logout = ('<form method="post" action="/status/logout"><button type="submit">Log out'
              '</button></form>' if frame is not None and frame.logout else "")
    when = (f"Results computed {utc(computed)}" if computed else "No results computed yet")
    every = (f"; this page reloads every {frame.refresh_s} s"
             if frame is not None and frame.refresh_s else "")
    foot = (f"<footer>{when}{every}. dcmon {esc(__version__)}. Live PUE is power now (for a "
            "glance); compliance is the energy PUE of a window.</footer>" if frame is not None
            else "")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
            f'<meta name="referrer" content="no-referrer"><title>{esc(title)} · dcmon</title>'
            f'<style>{CSS}</style></head><body data-computed="{attr(computed)}">'
            f'<header><a href="/status">dcmon status</a><span class="crumbs">{nav}</span>'
            f'<span class="sp"></span>{logout}</header><main>{body}</main>'
            f'{foot}</body></html>')


def login_page(next_path: str, error: str = "") -> str:
    err = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    body = (
        '<h1>Sign in</h1><p>This page shows the sites\' racks and power, so it needs an API '
        'token (one of <code>api.tokens</code> in the inventory; read scope is enough).</p>'
        f'{err}<form class="login" method="post" action="/status/login">'
        f'<input type="hidden" name="next" value="{esc(next_path)}">'
        '<label>Token<br><input type="password" name="token" autocomplete="current-password" '
        'required autofocus></label> <button type="submit">Sign in</button></form>'
        '<p class="muted">Scripts can send <code>Authorization: Bearer &lt;token&gt;</code> '
        'instead.</p>')
    return page(None, "Sign in", body)


def not_found_page(frame: Frame, message: str, known: Sequence[str], *,
                   rack_links: bool = False) -> str:
    links = []
    for k in known[:MAX_KNOWN]:
        url = rack_url(*k.split("/", 1)) if rack_links else site_url(k)
        links.append(f'<li><a href="{esc(url)}">{esc(k)}</a></li>')
    more = f"<li>… {len(known) - MAX_KNOWN} more</li>" if len(known) > MAX_KNOWN else ""
    body = (f'<h1>Not found</h1><p class="error" data-not-found>{esc(message)}</p>'
            f'<p>Known:</p><ul>{"".join(links)}{more}</ul>'
            '<p><a href="/status">Back to the city view</a></p>')
    return page(frame, "Not found", body)


# -------------------------------------------------------------------------------- alerts


def alerts_table(rows: Sequence[AlertRow], note: str, *, site: bool = True) -> str:
    if not rows:
        extra = f' <span class="muted">({esc(note)})</span>' if note else ""
        return f'<p class="no-alerts">No active alerts.{extra}</p>'
    head = ('<tr><th class="l">State</th><th class="l">Severity</th><th class="l">Alert</th>'
            + ('<th class="l">Site</th>' if site else "")
            + '<th class="l">Rack</th><th class="l">Summary</th><th class="l">Since</th></tr>')
    body = []
    for a in rows:
        rack = (f'<a href="{esc(rack_url(a.site, a.rack))}">{esc(a.rack)}</a>'
                if a.rack and a.site else esc(a.rack) if a.rack
                else f"<small>window {esc(a.window)}</small>" if a.window else "")
        site_cell = (f'<td class="l"><a href="{esc(site_url(a.site))}">{esc(a.site)}</a></td>'
                     if site and a.site else '<td class="l"></td>' if site else "")
        body.append(
            f'<tr class="alert {esc(a.state)}" data-alertname="{esc(a.alertname)}" '
            f'data-state="{esc(a.state)}" data-severity="{esc(a.severity)}" '
            f'data-site="{esc(a.site)}" data-rack="{esc(a.rack)}">'
            f'<td class="l"><span class="badge {esc(a.state)}">{esc(a.state)}</span></td>'
            f'<td class="l">{esc(a.severity)}</td><td class="l">{esc(a.alertname)}</td>'
            f'{site_cell}<td class="l">{rack}</td><td class="l">{esc(a.summary)}</td>'
            f'<td class="l">{utc(a.since) if a.since else ""}</td></tr>')
    return f'<table class="alerts">{head}{"".join(body)}</table>'


# ---------------------------------------------------------------------------------- city


def city_page(frame: Frame, res: Results, sites: Sequence[SiteStatus],
              alerts: Sequence[AlertRow], note: str) -> str:
    out = ["<h1>City</h1>"]
    cap = res.capacity
    if cap is not None:
        goal = cap.settings.city_goal_racks
        ratio = cap.std_racks_in_use / goal if goal else 0.0
        out.append(
            f'<div class="kpi" data-kpi="std_racks_in_use" data-value="{cap.std_racks_in_use!r}">'
            f'Standard racks in use<b>{cap.std_racks_in_use:,.1f}</b></div>'
            f'<div class="kpi" data-kpi="goal" data-value="{goal}">City goal<b>{goal:,}</b></div>'
            f'<div class="kpi">Of the goal<b>{ratio * 100:.2f} %</b></div>'
            f'<div class="kpi">IT load now<b>{num(cap.totals.now_kw)} kW</b></div>'
            f'<div class="kpi">Active alerts<b>{len(alerts)}</b></div>'
            f'<div><span class="bar"><i style="width:{min(1.0, ratio) * 100:.1f}%"></i>'
            '</span></div>')
    firing = sum(1 for a in alerts if a.state == "firing")
    out.append(f'<h2 id="alerts">Active alerts <small>({firing} firing, '
               f'{len(alerts) - firing} pending)</small></h2>' + alerts_table(alerts, note))
    out.append('<h2>Sites</h2>')
    notes: dict[str, int] = {}
    head = ('<tr><th class="l">Site</th><th class="l">Class</th><th>Ceiling</th>'
            '<th>Live PUE</th>' + "".join(f"<th>PUE {w}</th>" for w in CITY_WINDOWS)
            + '<th class="l">PUE status</th><th>Live PUE, last day</th><th>IT kW</th>'
            '<th>Std racks in use</th><th class="l">Headroom</th><th>Alerts</th></tr>')
    rows = [_site_row(s, notes) for s in sites]
    out.append(f'<table class="sites">{head}{"".join(rows)}</table>')
    if notes:
        out.append('<ol class="notes">' + "".join(
            f'<li id="note-{n}" class="muted">withheld: {esc(reason)}</li>'
            for reason, n in notes.items()) + "</ol>")
    return page(frame, "City", "".join(out), computed=res.computed or None)


def _window_cell(p: PueResult | None, ceiling: float | None, notes: dict[str, int]) -> str:
    if p is None:
        return '<td class="pue-window"><span class="na">—</span></td>'
    attrs = f'class="pue-window" data-window="{esc(p.window)}" data-status="{esc(p.status)}"'
    if p.value is None:
        n = notes.setdefault(p.reason, len(notes) + 1)
        return (f'<td {attrs}><span class="withheld" title="{esc(p.reason)}">withheld</span>'
                f'<sup><a href="#note-{n}">{n}</a></sup></td>')
    cls = " fault" if p.status == "metering_fault" else (
        " risk" if ceiling is not None and p.value > ceiling else "")
    return (f'<td {attrs} data-value="{p.value!r}"><span class="{cls.strip()}" '
            f'title="{esc(p.status)}">{p.value:.3f}</span></td>')


def _live(s: SiteStatus) -> str:
    v = s.live.value if s.live is not None else None
    if v is None:
        missing = ", ".join(s.live.missing) if s.live is not None else "no energy topology"
        return f'<td class="live-pue"><span class="na" title="{esc(missing)}">—</span></td>'
    risk = ' class="risk"' if s.ceiling is not None and v > s.ceiling else ""
    return f'<td class="live-pue" data-value="{v!r}"><span{risk}>{v:.3f}</span></td>'


def _site_row(s: SiteStatus, notes: dict[str, int]) -> str:
    cap = s.capacity
    it_kw = kw_of(s.live.it_w) if s.live is not None else None
    if it_kw is None and cap is not None:
        it_kw = cap.totals.now_kw
    spark = svg.sparkline([(t, pue) for t, pue, _, _ in s.history], f"live PUE of {s.site}",
                          limit=s.ceiling)
    std = (f"{num(cap.totals.std_racks_in_use, 1)}" if cap is not None
           else '<span class="na">—</span>')
    firing = sum(1 for a in s.alerts if a.state == "firing")
    breach = bool(s.breaches)
    return (
        f'<tr class="site{" breach" if breach else ""}" data-site="{esc(s.site)}" '
        f'data-breach="{str(breach).lower()}" data-ceiling="{attr(s.ceiling)}">'
        f'<td class="l"><a href="{esc(site_url(s.site))}">{esc(s.name)}</a><br>'
        f'<small>{esc(s.site)}</small></td><td class="l">{esc(s.policy_class)}</td>'
        f'<td class="ceiling">{ceiling_text(s)}</td>{_live(s)}'
        + "".join(_window_cell(s.window(w), s.ceiling, notes) for w in CITY_WINDOWS)
        + f'<td class="l pue-status">{breach_badges(s)}</td><td>{spark}</td>'
        f'<td class="it-kw">{num(it_kw)}</td><td class="std-racks">{std}</td>'
        f'<td class="l">{headroom_text(cap.headroom) if cap is not None else num(None)}</td>'
        f'<td class="alert-count" data-count="{len(s.alerts)}">{len(s.alerts)}'
        f'{f" <small>({firing} firing)</small>" if firing else ""}</td></tr>')
