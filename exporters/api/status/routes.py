"""The built-in status page: ``/status`` (city), ``/status/site/{site}``, ``/status/rack/...``.

Server-rendered HTML (inline CSS and SVG, no script, no external asset) over the ResultsHub's
latest results and its in-memory history, for an edge site without Grafana or a wall display.
It reads the same immutable results as the API and /metrics and never polls a device.

Auth (``api.status_page``): ``token`` (default) accepts ``Authorization: Bearer`` or the cookie
the login form sets (the token itself, HttpOnly, SameSite=Strict, set for the paths /status and
/api/v1, where the OpenAPI document and its docs page accept it too); any configured token will
do (read scope suffices). Wrong tokens, cookies and logins count in the API's per-address
throttle (exporters/api/throttle.py): past the limit the form comes back with 429. Tokens are
compared with :func:`hmac.compare_digest` against every configured token, no early exit, as the
API does. ``public`` needs no token; ``off`` mounts nothing. The token never reaches a log line
or a page.

Language (status_i18n.py): ``?lang=en|zh`` (then carried on every internal link, the login
form and the redirect after it), else ``Accept-Language``, else ``api.status_lang``.
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import dcmon.exporters.api.status.detail as detail
import dcmon.exporters.api.status.html as view
from dcmon.config.api import ApiSettings
from dcmon.config.resolved import Config
from dcmon.engine.results import HistoryPoint, Results, ResultsHub, SitePoint, history_point
from dcmon.exporters.api.status import i18n as status_i18n
from dcmon.exporters.api.throttle import FailureThrottle, client_address

log = logging.getLogger("dcmon.exporters.api.status.routes")

COOKIE = "dcmon_status"
#: Where the browser sends the login cookie: the status page, and the API's OpenAPI document
#: and docs page (which accept it; the API's data routes take only the bearer header).
COOKIE_PATHS = ("/status", "/api/v1")
#: A login form is a few dozen bytes; anything much larger is refused unread.
MAX_FORM_BYTES = 4096
_NEXT = re.compile(r"/status(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?")
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept-Language",
    # No script anywhere: forbid it, and every load but inline styles and data: images.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}


def _html(frame: view.Frame, body: str, status: int = 200,
          headers: dict[str, str] | None = None) -> HTMLResponse:
    lang = {"Content-Language": status_i18n.HTML_LANG.get(frame.lang, "en")}
    return HTMLResponse(body, status_code=status, headers={**_HEADERS, **lang, **(headers or {})})


class StatusAuth:
    """Is this request allowed to see the page: a bearer header or the login cookie. Wrong
    ones count against the client's address in the API's throttle (docs/api.md, "Auth")."""

    def __init__(self, tokens: dict[str, tuple[str, str]], mode: str,
                 throttle: FailureThrottle) -> None:
        self.secrets = [s.encode() for s, _ in tokens.values()]
        self.mode, self.throttle = mode, throttle

    def valid(self, given: str) -> bool:
        raw = given.encode()
        match = False
        for secret in self.secrets:  # every token, no early exit
            match |= hmac.compare_digest(raw, secret)
        return match

    def check(self, request: Request) -> int | None:
        """0: allowed; None: show the login form (401); else throttled: 429, retry after that
        many seconds. Only a presented credential that matches no token counts as a failure."""
        if self.mode == "public":
            return 0
        scheme, _, cred = request.headers.get("authorization", "").partition(" ")
        given = [cred.strip()] if scheme.lower() == "bearer" and cred.strip() else []
        cookie = request.cookies.get(COOKIE)
        given += [unquote(cookie)] if cookie else []
        if any([self.valid(g) for g in given]):  # a list: every one compared, no early exit
            return 0
        return self.throttle.failed(client_address(request)) if given else None


def _safe_next(value: str) -> str:
    """Where to go after logging in: a path of this page only (no open redirect)."""
    return value if _NEXT.fullmatch(value) and "//" not in value else "/status"


def active_alerts(alerts: Callable[[], Sequence[Any]] | None
                  ) -> tuple[list[view.AlertRow], str]:
    """The active alerts as rows, firing first, then by severity, newest first; and a note
    (a key of the page's strings: why there are none) or ""."""
    if alerts is None:
        return [], "alerts_off"
    try:
        raw = list(alerts())
    except Exception as exc:  # the page must render while the alert store is unavailable
        log.warning("status page: cannot read the active alerts: %s", exc)
        return [], "alerts_unreadable"
    rows = []
    for a in raw:
        d = (dataclasses.asdict(a) if dataclasses.is_dataclass(a) and not isinstance(a, type)
             else dict(a))
        labels = {str(k): str(v) for k, v in (d.get("labels") or {}).items()}
        notes = d.get("annotations") or {}
        state = str(d.get("state", ""))
        if state not in ("pending", "firing"):
            continue
        rows.append(view.AlertRow(
            alertname=str(d.get("alertname", "")), state=state,
            severity=labels.get("severity", ""), site=labels.get("site", ""),
            room=labels.get("room", ""), rack=labels.get("rack", ""),
            window=labels.get("window", ""), summary=str(notes.get("summary", "")),
            since=float(d.get("active_since") or 0.0), value=d.get("value"),
            summary_zh=str(notes.get("summary_zh", ""))))
    rank = {"critical": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda r: (r.state != "firing", rank.get(r.severity, 3), -r.since))
    return rows, ""


def _site_point(p: HistoryPoint, site: str) -> tuple[float, float | None, float | None,
                                                     float | None]:
    sp = p.sites.get(site, SitePoint())
    return p.ts, sp.pue, sp.it_kw, sp.facility_kw


def _history(hub: ResultsHub, res: Results) -> tuple[HistoryPoint, ...]:
    """The hub's history, with the latest results appended when they are newer."""
    hist = hub.history
    if res.computed and (not hist or res.computed > hist[-1].ts):
        hist = (*hist, history_point(res, hist[-1] if hist else None))
    return hist


def site_statuses(config: Config, res: Results, hist: Sequence[HistoryPoint],
                  alerts: Sequence[view.AlertRow]) -> list[view.SiteStatus]:
    """Everything the pages tell about each site of the inventory, in inventory order."""
    caps = {s.site: s for s in res.capacity.sites} if res.capacity is not None else {}
    ceilings = {c.site: (c.policy_class, c.value) for c in res.ceilings}
    out = []
    for s in config.model.sites:
        default = str(s.policy.policy_class) if s.policy is not None else "new_large"
        cls, ceiling = ceilings.get(s.id, (default, None))
        cap = caps.get(s.id)
        out.append(view.SiteStatus(
            site=s.id, name=s.name or (cap.name if cap else "") or s.id, policy_class=cls,
            ceiling=ceiling, has_energy=s.energy is not None,
            live=next((i for i in res.instant if i.site == s.id), None),
            windows=tuple(p for p in res.pue if p.site == s.id and p.zone is None
                          and p.kind == "energy"),
            capacity=cap, alerts=tuple(a for a in alerts if a.site == s.id),
            history=tuple(_site_point(p, s.id) for p in hist)))
    return out


class _Pages:
    """The status page's handlers over one hub, with the request's language and auth."""

    def __init__(self, config: Config, hub: ResultsHub, tokens: dict[str, tuple[str, str]],
                 alerts: Callable[[], Sequence[Any]] | None, settings: ApiSettings,
                 throttle: FailureThrottle) -> None:
        self.config, self.hub, self.alerts, self.settings = config, hub, alerts, settings
        self.auth = StatusAuth(tokens, settings.status_page, throttle)
        self.token_mode = settings.status_page == "token"
        self.tz = settings.zone()

    def results(self) -> Results:
        return self.hub.current()

    def lang(self, request: Request) -> tuple[str, bool]:
        return status_i18n.choose(request.query_params.get("lang"),
                                  request.headers.get("accept-language"),
                                  self.settings.status_lang)

    def frame(self, request: Request) -> view.Frame:
        chosen, explicit = self.lang(request)
        rules = self.hub.config.model.alerting.rules  # the inventory in force (after reloads)
        limits = view.Limits(rules.rack.warning, rules.rack.critical, rules.feed.warning,
                             rules.feed.critical)
        return view.Frame(refresh_s=self.settings.status_refresh_s, logout=self.token_mode
                          and COOKIE in request.cookies, lang=chosen, explicit=explicit,
                          tz=self.tz, limits=limits)

    def bare(self, request: Request) -> view.Frame:
        """The login form's frame: no reload, no logout."""
        chosen, explicit = self.lang(request)
        return view.Frame(refresh_s=0, lang=chosen, explicit=explicit)

    def login_form(self, request: Request, status: int = 401, error: str = "",
                   target: str | None = None, wait: int = 0) -> HTMLResponse:
        """The form for this request's page (GET), or again for ``target`` (a failed POST);
        ``wait``: throttled, 429 with Retry-After."""
        f = self.bare(request)
        if wait:
            status, error = 429, "too_many_attempts"
        body = view.login_page(f, target or _safe_next(request.url.path),
                               f.t[error].format(s=wait) if error else "",
                               switch_base=target or "")
        headers = ({"WWW-Authenticate": "Bearer"} if status == 401
                   else {"Retry-After": str(wait)} if wait else None)
        return _html(f, body, status, headers)

    def denied(self, request: Request) -> Response | None:
        """None when the request may see the page; else the login form (401 or 429)."""
        verdict = self.auth.check(request)
        return None if verdict == 0 else self.login_form(request, wait=verdict or 0)

    def not_found(self, request: Request, message: str, known: list[str],
                  **names: str) -> HTMLResponse:
        f = self.frame(request)
        text = f.t[message].format(**{k: repr(v) for k, v in names.items()})
        return _html(f, view.not_found_page(f, text, known,
                                            rack_links=message == "unknown_rack"), 404)

    def gather(self) -> tuple[Results, list[view.SiteStatus], list[view.AlertRow], str]:
        res = self.results()
        rows, note = active_alerts(self.alerts)
        return res, site_statuses(self.config, res, _history(self.hub, res), rows), rows, note

    def city(self, request: Request) -> Response:
        if (denied := self.denied(request)) is not None:
            return denied
        res, sites, rows, note = self.gather()
        f = self.frame(request)
        return _html(f, view.city_page(f, res, sites, rows, note))

    def site(self, request: Request, site: str) -> Response:
        if (denied := self.denied(request)) is not None:
            return denied
        res, sites, _, note = self.gather()
        found = next((s for s in sites if s.site == site), None)
        if found is None:
            return self.not_found(request, "unknown_site", [s.site for s in sites], site=site)
        f = self.frame(request)
        return _html(f, detail.site_page(f, res, found, note))

    def rack(self, request: Request, site: str, rack: str) -> Response:
        if (denied := self.denied(request)) is not None:
            return denied
        res, sites, _, note = self.gather()
        found = next((s for s in sites if s.site == site), None)
        if found is None:
            return self.not_found(request, "unknown_site", [s.site for s in sites], site=site)
        racks = [r for ro in (found.capacity.rooms if found.capacity else ()) for r in ro.racks]
        cap = next((r for r in racks if r.rack == rack), None)
        if cap is None:
            return self.not_found(request, "unknown_rack", [f"{site}/{r.rack}" for r in racks],
                                  rack=rack, site=site)
        points = [(p.ts, p.racks.get((site, rack))) for p in _history(self.hub, res)]
        f = self.frame(request)
        return _html(f, detail.rack_page(f, res, found, cap, points, note))

    async def login(self, request: Request) -> Response:
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                return self.login_form(request, 413, "form_too_large", "/status")
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=8)
        token = (form.get("token") or [""])[0].strip()
        target = _safe_next((form.get("next") or ["/status"])[0])
        if not token:  # nothing presented: not a guess
            return self.login_form(request, 401, "unknown_token", target)
        if not self.auth.valid(token):
            wait = self.auth.throttle.failed(client_address(request))
            if wait is None:  # throttled ones are logged once per burst by the throttle
                log.info("status page: refused a login from %s", client_address(request))
            return self.login_form(request, 401, "unknown_token", target, wait or 0)
        resp = RedirectResponse(target + self.bare(request).query, status_code=303,
                                headers=_HEADERS)
        for path in COOKIE_PATHS:
            resp.set_cookie(COOKIE, quote(token, safe=""), httponly=True, samesite="strict",
                            path=path, secure=request.url.scheme == "https")
        return resp

    def logout(self, request: Request) -> Response:
        resp = RedirectResponse("/status" + self.bare(request).query, status_code=303,
                                headers=_HEADERS)
        for path in COOKIE_PATHS:
            resp.delete_cookie(COOKIE, path=path, httponly=True, samesite="strict")
        return resp


def status_router(config: Config, hub: ResultsHub, tokens: dict[str, tuple[str, str]],
                  alerts: Callable[[], Sequence[Any]] | None, settings: ApiSettings,
                  throttle: FailureThrottle | None = None) -> APIRouter:
    """The status page's routes (mount only when ``settings.status_page`` is not "off");
    ``throttle`` is the API's, so every way of guessing a token counts alike (a page on its own
    gets one from ``settings``)."""
    throttle = throttle or FailureThrottle(settings.auth_failures, settings.auth_failure_window_s)
    pages = _Pages(config, hub, tokens, alerts, settings, throttle)
    router = APIRouter(include_in_schema=False)
    router.get("/status", response_class=HTMLResponse)(pages.city)
    router.get("/status/site/{site}", response_class=HTMLResponse)(pages.site)
    router.get("/status/rack/{site}/{rack}", response_class=HTMLResponse)(pages.rack)
    if pages.token_mode:
        router.post("/status/login", response_class=HTMLResponse)(pages.login)
        router.post("/status/logout")(pages.logout)
    return router
