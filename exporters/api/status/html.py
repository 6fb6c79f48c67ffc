"""HTML of the status page (exporters/api/status/routes.py): its data, the frame, city view, login
and 404
(the site and rack views: status_detail.py).

Pure functions of the results: no I/O, every value escaped with :func:`esc`. Every fixed word
comes from the :class:`Frame`'s language (status_i18n.py); ``data-`` attributes and CSS classes
never change with it. Styles are inline
and charts are the report's hand-written SVG (exporters/reports/svg.py), so the page needs no
script, font or asset from anywhere. Values that could not be measured show as such ("—",
"withheld" with the reason), never as 0. Elements carry ``data-`` attributes (site, window,
rack, feed, value) so tests and scrapers find figures without parsing the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from urllib.parse import quote

from dcmon import __version__
from dcmon.config.api import zone_name
from dcmon.config.policy import POLICY_CLASSES
from dcmon.engine.capacity.model import Headroom, SiteCapacity
from dcmon.engine.pue import InstantPue, PueResult
from dcmon.engine.results import Results
from dcmon.exporters.api.status.i18n import HTML_LANG, text
from dcmon.exporters.reports import svg
from dcmon.exporters.reports.capacity import quality_html
from dcmon.exporters.reports.i18n import reason_text
from dcmon.exporters.reports.svg import esc

#: The energy PUE windows of the city view, and the ones a breach is judged on.
CITY_WINDOWS = ("1h", "24h", "7d", "30d")
#: A 404 lists at most this many known sites or racks.
MAX_KNOWN = 50

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",Arial,sans-serif;
margin:0;color:#222;font-size:14px;background:#f6f7f9}
header{background:#1f3b57;color:#fff;padding:8px 20px;display:flex;gap:16px;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:bold}header .crumbs a{font-weight:normal}
header .sp{flex:1}header form{margin:0}header a.lang-switch{font-weight:normal}
main{padding:12px 20px;max-width:100%;box-sizing:border-box}
.scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}
.scroll>table{margin:0}div.scroll{margin:6px 0 12px}
svg.chart{max-width:100%;height:auto}
@media (max-width:600px){header{flex-wrap:wrap;gap:8px;padding:8px 10px}main{padding:8px 10px}
.bar{width:100%;max-width:320px}form.login input{width:100%;box-sizing:border-box}
.kpi{margin-right:14px}}
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
.risk{color:#b00020;font-weight:bold}.ok{color:#2f7d4a}.withheld,.flags{color:#8a5a00}
.fault{color:#b00020}.warn{color:#9a6700;font-weight:bold}.basis{color:#666;font-size:11px;
font-weight:normal;white-space:nowrap}
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
    #: The Chinese summary (the alert's ``summary_zh`` annotation); "" when it has none.
    summary_zh: str = ""

    def text(self, lang: str) -> str:
        return self.summary_zh if lang == "zh" and self.summary_zh else self.summary


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
class Limits:
    """The alert rules' thresholds (``alerting.rules.rack`` and ``.feed``): the page colours a
    utilisation by them, so a figure is amber or red exactly when the rule would warn or
    page on it (dcmon/engine/alerts/rules.py)."""

    rack_warning: float = 0.8
    rack_critical: float = 0.95
    feed_warning: float = 0.8
    feed_critical: float = 1.0


def level(ratio: float | None, warning: float, critical: float) -> str:
    """"na", "ok", "warning" (above the warning threshold), "critical" (above the critical
    one): the alert rules' comparisons (a breach is ratio > threshold)."""
    if ratio is None:
        return "na"
    return "critical" if ratio > critical else "warning" if ratio > warning else "ok"


LEVEL_COLOUR = {"na": "#c8c8c8", "ok": "#3a9d5d", "warning": "#e0a526", "critical": "#d0453b"}


@dataclass(frozen=True)
class Frame:
    """Page furniture: auto-refresh seconds (0: none), whether to offer logging out, and the
    language (``explicit``: asked for with ``?lang=``, so every internal link carries it)."""

    refresh_s: int = 10
    logout: bool = False
    lang: str = "en"
    explicit: bool = False
    #: The display time zone (``api.display_tz``) and the alert thresholds colours follow.
    tz: tzinfo = UTC
    limits: Limits = field(default_factory=Limits)
    t: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "t", text(self.lang))

    @property
    def query(self) -> str:
        """``?lang=..`` when the language was asked for explicitly, else ""."""
        return f"?lang={self.lang}" if self.explicit else ""

    def link(self, url: str) -> str:
        """An internal URL that keeps the chosen language."""
        return url + self.query

    @property
    def other(self) -> str:
        return "en" if self.lang == "zh" else "zh"

    def when(self, ts: float) -> str:
        """A time to the second in the display zone, with the zone's name."""
        return datetime.fromtimestamp(ts, self.tz).strftime("%Y-%m-%d %H:%M:%S ") + self.zone(ts)

    def short(self, ts: float) -> str:
        """A time to the minute in the display zone (the zone named once nearby)."""
        return datetime.fromtimestamp(ts, self.tz).strftime("%Y-%m-%d %H:%M")

    def zone(self, ts: float | None = None) -> str:
        return zone_name(self.tz, ts)

    def reason(self, code: str, args: Mapping[str, float | int | str], fallback: str) -> str:
        """An engine reason in the page's language (English: the engine's own text)."""
        return reason_text(self.t, code, args, fallback)


# ------------------------------------------------------------------------------ formatting


def num(v: float | None, nd: int = 2) -> str:
    return '<span class="na">—</span>' if v is None else f"{v:,.{nd}f}"


def pct(v: float | None) -> str:
    return '<span class="na">—</span>' if v is None else f"{v * 100:.1f}\u00a0%"


def scroll(table: str) -> str:
    """A table in a box that scrolls sideways, so a phone shows it whole without widening the
    page."""
    return f'<div class="scroll">{table}</div>'


def attr(v: float | None) -> str:
    return "" if v is None else repr(v)


def site_url(site: str) -> str:
    return f"/status/site/{quote(site, safe='')}"


def rack_url(site: str, rack: str) -> str:
    return f"/status/rack/{quote(site, safe='')}/{quote(rack, safe='')}"


def kw_of(w: float | None) -> float | None:
    return None if w is None else w / 1000


def ceiling_text(s: SiteStatus, t: Mapping[str, str]) -> str:
    if s.ceiling is not None:
        return f"{s.ceiling:.2f}"
    if s.policy_class == "edge":
        return f'<span class="muted">{t["report_only"]}</span>'
    return f'<span class="na" title="{t["no_pue_title"]}">—</span>'


def window_name(w: str, t: Mapping[str, str]) -> str:
    """A window as shown: "live" translated, the others (1h, 24h, ...) as they are."""
    return t["live"] if w == "live" else w


def breach_badges(s: SiteStatus, t: Mapping[str, str]) -> str:
    if s.ceiling is None:
        return f'<span class="badge info">{t["no_ceiling"]}</span>'
    found = s.breaches
    if found:
        return "".join(
            f'<span class="badge breach" data-site="{esc(s.site)}" data-window="{esc(w)}" '
            f'data-value="{v!r}" title="'
            + esc(t["breach_title"].format(w=window_name(w, t), v=f"{v:.3f}",
                                           c=f"{s.ceiling:.2f}"))
            + f'">{t["breach"]} {esc(window_name(w, t))} {v:.3f}</span>' for w, v in found)
    known = any(p.value is not None for p in s.windows) or (
        s.live is not None and s.live.value is not None)
    if not known:
        return '<span class="na">—</span>'
    return (f'<span class="badge ok" data-site="{esc(s.site)}">'
            f'{esc(t["within"].format(c=f"{s.ceiling:.2f}"))}</span>')


def limit_name(binding: str | None, t: Mapping[str, str]) -> str:
    """A binding limit (power, cooling, space) in the page's language; "" when None."""
    return t.get(binding, binding) if binding else ""


def headroom_text(h: Headroom, t: Mapping[str, str]) -> str:
    if h.kw is None:
        return '<span class="na">—</span>'
    note = t["headroom_racks"].format(racks=f"{h.std_racks or 0:,.2f}",
                                      binding=limit_name(h.binding, t) or "?")
    return f"{h.kw:,.2f} kW <small>{esc(note)}</small>"


quality_text = quality_html  # the capacity report's rendering (one line, or a tick)


# ---------------------------------------------------------------------------------- frame


def page(frame: Frame, title: str, body: str, *, crumbs: Sequence[tuple[str, str]] = (),
         computed: float | None = None, footer: bool = True, switch_base: str = "") -> str:
    """The whole page; ``crumbs`` are (name, internal URL), ``switch_base`` the path the
    language switch points at ("": this page, as a query-only relative link)."""
    t = frame.t
    refresh = (f'<meta http-equiv="refresh" content="{frame.refresh_s}">'
               if frame.refresh_s else "")
    nav = "".join(f' › <a href="{esc(frame.link(url))}">{esc(name)}</a>' for name, url in crumbs)
    logout = (f'<form method="post" action="{frame.link("/status/logout")}"><button '
              f'type="submit">{t["logout"]}</button></form>' if frame.logout else "")
    other = frame.other
    switch = (f'<a class="lang-switch" href="{esc(switch_base)}?lang={other}" '
              f'hreflang="{HTML_LANG[other]}" lang="{HTML_LANG[other]}">{t["switch"]}</a>')
    when = (t["computed"].format(when=frame.when(computed)) if computed else t["no_results"])
    every = t["reloads"].format(s=frame.refresh_s) if frame.refresh_s else ""
    foot = (f'<footer>{when}{every}{t["stop"]} dcmon {esc(__version__)}. {t["foot_note"]}'
            '</footer>' if footer else "")
    return (f'<!DOCTYPE html><html lang="{HTML_LANG.get(frame.lang, "en")}"><head>'
            '<meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">{refresh}'
            f'<meta name="referrer" content="no-referrer"><title>{esc(title)} · dcmon</title>'
            f'<style>{CSS}</style></head><body data-computed="{attr(computed)}">'
            f'<header><a href="{frame.link("/status")}">{t["brand"]}</a><span class="crumbs">'
            f'{nav}</span><span class="sp"></span>{switch}{logout}</header><main>{body}</main>'
            f'{foot}</body></html>')


def login_page(frame: Frame, next_path: str, error: str = "", *, switch_base: str = "") -> str:
    """The login form; ``error`` is already in the frame's language."""
    t = frame.t
    err = f'<p class="error" role="alert">{esc(error)}</p>' if error else ""
    body = (
        f'<h1>{t["sign_in"]}</h1><p>{t["login_intro"]}</p>'
        f'{err}<form class="login" method="post" action="{frame.link("/status/login")}">'
        f'<input type="hidden" name="next" value="{esc(next_path)}">'
        f'<label>{t["token"]}<br><input type="password" name="token" '
        'autocomplete="current-password" required autofocus></label> '
        f'<button type="submit">{t["sign_in"]}</button></form>'
        f'<p class="muted">{t["login_scripts"]}</p>')
    return page(frame, t["sign_in"], body, footer=False, switch_base=switch_base)


def not_found_page(frame: Frame, message: str, known: Sequence[str], *,
                   rack_links: bool = False) -> str:
    t = frame.t
    links = []
    for k in known[:MAX_KNOWN]:
        url = rack_url(*k.split("/", 1)) if rack_links else site_url(k)
        links.append(f'<li><a href="{esc(frame.link(url))}">{esc(k)}</a></li>')
    more = (f'<li>{t["more"].format(n=len(known) - MAX_KNOWN)}</li>'
            if len(known) > MAX_KNOWN else "")
    body = (f'<h1>{t["not_found"]}</h1><p class="error" data-not-found>{esc(message)}</p>'
            f'<p>{t["known"]}</p><ul>{"".join(links)}{more}</ul>'
            f'<p><a href="{frame.link("/status")}">{t["back"]}</a></p>')
    return page(frame, t["not_found"], body)


# -------------------------------------------------------------------------------- alerts


def alerts_table(frame: Frame, rows: Sequence[AlertRow], note: str, *,
                 site: bool = True) -> str:
    """The alerts; ``note`` is a key of the strings (why there are none) or ""."""
    t = frame.t
    if not rows:
        extra = f' <span class="muted">({esc(t.get(note, note))})</span>' if note else ""
        return f'<p class="no-alerts">{t["no_alerts"]}{extra}</p>'
    head = (f'<tr><th class="l">{t["state"]}</th><th class="l">{t["severity"]}</th>'
            f'<th class="l">{t["alert"]}</th>'
            + (f'<th class="l">{t["site"]}</th>' if site else "")
            + f'<th class="l">{t["rack"]}</th><th class="l">{t["summary"]}</th>'
            f'<th class="l">{t["since"]}</th></tr>')
    body = []
    for a in rows:
        rack = (f'<a href="{esc(frame.link(rack_url(a.site, a.rack)))}">{esc(a.rack)}</a>'
                if a.rack and a.site else esc(a.rack) if a.rack
                else f'<small>{esc(t["window_of"].format(w=a.window))}</small>' if a.window
                else "")
        site_cell = (f'<td class="l"><a href="{esc(frame.link(site_url(a.site)))}">'
                     f'{esc(a.site)}</a></td>' if site and a.site
                     else '<td class="l"></td>' if site else "")
        state = t.get(f"state_{a.state}", a.state)
        severity = t.get(f"sev_{a.severity}", a.severity)
        body.append(
            f'<tr class="alert {esc(a.state)}" data-alertname="{esc(a.alertname)}" '
            f'data-state="{esc(a.state)}" data-severity="{esc(a.severity)}" '
            f'data-site="{esc(a.site)}" data-rack="{esc(a.rack)}">'
            f'<td class="l"><span class="badge {esc(a.state)}">{esc(state)}</span></td>'
            f'<td class="l">{esc(severity)}</td><td class="l">{esc(a.alertname)}</td>'
            f'{site_cell}<td class="l">{rack}</td><td class="l">{esc(a.text(frame.lang))}</td>'
            f'<td class="l">{frame.when(a.since) if a.since else ""}</td></tr>')
    return scroll(f'<table class="alerts">{head}{"".join(body)}</table>')


# ---------------------------------------------------------------------------------- city


def city_page(frame: Frame, res: Results, sites: Sequence[SiteStatus],
              alerts: Sequence[AlertRow], note: str) -> str:
    t = frame.t
    out = [f'<h1>{t["city"]}</h1>']
    cap = res.capacity
    if cap is not None:
        goal = cap.settings.city_goal_racks
        ratio = cap.std_racks_in_use / goal if goal else 0.0
        out.append(
            f'<div class="kpi" data-kpi="std_racks_in_use" data-value="{cap.std_racks_in_use!r}">'
            f'{t["std_racks_in_use"]}<b>{cap.std_racks_in_use:,.1f}</b></div>'
            f'<div class="kpi" data-kpi="goal" data-value="{goal}">{t["city_goal"]}'
            f'<b>{goal:,}</b></div>'
            f'<div class="kpi">{t["of_goal"]}<b>{ratio * 100:.2f} %</b></div>'
            f'<div class="kpi">{t["it_now"]}<b>{num(cap.totals.now_kw)} kW</b></div>'
            f'<div class="kpi">{t["active_alerts"]}<b>{len(alerts)}</b></div>'
            f'<div><span class="bar"><i style="width:{min(1.0, ratio) * 100:.1f}%"></i>'
            '</span></div>')
    firing = sum(1 for a in alerts if a.state == "firing")
    counts = t["firing_pending"].format(firing=firing, pending=len(alerts) - firing)
    out.append(f'<h2 id="alerts">{t["active_alerts"]} <small>{counts}</small></h2>'
               + alerts_table(frame, alerts, note))
    out.append(f'<h2>{t["sites"]}</h2>')
    notes: dict[str, int] = {}
    head = (f'<tr><th class="l">{t["site"]}</th><th class="l">{t["class"]}</th>'
            f'<th>{t["ceiling"]}</th><th>{t["live_pue"]}</th>'
            + "".join(f"<th>PUE {w}</th>" for w in CITY_WINDOWS)
            + f'<th class="l">{t["pue_status"]}</th><th>{t["spark_head"]}</th>'
            f'<th>{t["it_kw"]}</th><th>{t["std_racks_short"]}</th>'
            f'<th class="l">{t["headroom"]}</th><th>{t["alerts"]}</th></tr>')
    rows = [_site_row(frame, s, notes) for s in sites]
    out.append(scroll(f'<table class="sites">{head}{"".join(rows)}</table>'))
    if notes:
        out.append('<ol class="notes">' + "".join(
            f'<li id="note-{n}" class="muted">'
            f'{esc(t["withheld_note"].format(reason=reason))}</li>'
            for reason, n in notes.items()) + "</ol>")
    return page(frame, t["city"], "".join(out), computed=res.computed or None)


def _window_cell(p: PueResult | None, ceiling: float | None, notes: dict[str, int],
                 frame: Frame) -> str:
    t = frame.t
    if p is None:
        return '<td class="pue-window"><span class="na">—</span></td>'
    attrs = f'class="pue-window" data-window="{esc(p.window)}" data-status="{esc(p.status)}"'
    if p.value is None:
        why = frame.reason(p.reason_code, p.reason_args, p.reason)
        n = notes.setdefault(why, len(notes) + 1)
        return (f'<td {attrs} data-reason="{esc(p.reason_code)}"><span class="withheld" '
                f'title="{esc(why)}">'
                f'{t["withheld"]}</span><sup><a href="#note-{n}">{n}</a></sup></td>')
    cls = " fault" if p.status == "metering_fault" else (
        " risk" if ceiling is not None and p.value > ceiling else "")
    return (f'<td {attrs} data-value="{p.value!r}"><span class="{cls.strip()}" '
            f'title="{esc(t.get("pue_" + p.status, p.status))}">{p.value:.3f}</span></td>')


def _live(s: SiteStatus, t: Mapping[str, str]) -> str:
    v = s.live.value if s.live is not None else None
    if v is None:
        missing = ", ".join(s.live.missing) if s.live is not None else t["no_topology"]
        return f'<td class="live-pue"><span class="na" title="{esc(missing)}">—</span></td>'
    risk = ' class="risk"' if s.ceiling is not None and v > s.ceiling else ""
    return f'<td class="live-pue" data-value="{v!r}"><span{risk}>{v:.3f}</span></td>'


def class_title(policy_class: str, lang: str) -> str:
    """The policy class's full name in the page's language ("" for an unknown class)."""
    cls = POLICY_CLASSES.get(policy_class)
    return "" if cls is None else (cls.zh if lang == "zh" else cls.en)


def class_name(policy_class: str, lang: str) -> str:
    """The policy class as a cell shows it: the inventory's name (``new_large``) in English,
    the class's Chinese name in Chinese."""
    return (class_title(policy_class, lang) or policy_class) if lang == "zh" else policy_class


def _site_row(frame: Frame, s: SiteStatus, notes: dict[str, int]) -> str:
    t = frame.t
    cap = s.capacity
    it_kw = kw_of(s.live.it_w) if s.live is not None else None
    if it_kw is None and cap is not None:
        it_kw = cap.totals.now_kw
    spark = svg.sparkline([(ts, pue) for ts, pue, _, _ in s.history],
                          t["spark"].format(site=s.site), limit=s.ceiling)
    std = (f"{num(cap.totals.std_racks_in_use, 1)}" if cap is not None
           else '<span class="na">—</span>')
    firing = sum(1 for a in s.alerts if a.state == "firing")
    breach = bool(s.breaches)
    return (
        f'<tr class="site{" breach" if breach else ""}" data-site="{esc(s.site)}" '
        f'data-breach="{str(breach).lower()}" data-ceiling="{attr(s.ceiling)}">'
        f'<td class="l"><a href="{esc(frame.link(site_url(s.site)))}">{esc(s.name)}</a><br>'
        f'<small>{esc(s.site)}</small></td><td class="l" data-class="{esc(s.policy_class)}" '
        f'title="{esc(class_title(s.policy_class, frame.lang))}">'
        f'{esc(class_name(s.policy_class, frame.lang))}</td>'
        f'<td class="ceiling">{ceiling_text(s, t)}</td>{_live(s, t)}'
        + "".join(_window_cell(s.window(w), s.ceiling, notes, frame) for w in CITY_WINDOWS)
        + f'<td class="l pue-status">{breach_badges(s, t)}</td><td>{spark}</td>'
        f'<td class="it-kw">{num(it_kw)}</td><td class="std-racks">{std}</td>'
        f'<td class="l">{headroom_text(cap.headroom, t) if cap is not None else num(None)}</td>'
        f'<td class="alert-count" data-count="{len(s.alerts)}">{len(s.alerts)}'
        f'{" <small>" + t["n_firing"].format(n=firing) + "</small>" if firing else ""}</td>'
        '</tr>')
