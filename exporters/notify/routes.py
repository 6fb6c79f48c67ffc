"""Routes: which receivers get a notification, filtered by severity, site and alert name.

Every matching route receives it (there is no first-match stop: an operator adding a DingTalk
route must not silently take notifications away from the e-mail route). With no routes at all,
every receiver gets everything, so a receiver configured without a route is not silently idle.
"""

from __future__ import annotations

from dcmon.config.alerting import AlertingSettings, Route
from dcmon.engine.alerts.state import Notification


def matches(route: Route, n: Notification) -> bool:
    return ((not route.severity or n.severity in route.severity)
            and (not route.sites or n.site in route.sites)
            and (not route.alertnames or n.alertname in route.alertnames))


class Router:
    """Callable: notification -> receiver names (each once, in route order)."""

    def __init__(self, settings: AlertingSettings) -> None:
        self.routes = list(settings.routes)
        self.receivers = [r.name for r in settings.receivers]

    def __call__(self, n: Notification) -> list[str]:
        if not self.routes:
            return list(self.receivers)
        out: list[str] = []
        for r in self.routes:
            if matches(r, n) and r.receiver not in out:
                out.append(r.receiver)
        return out
