"""What every receiver shares: the interface, the delivery error, and one safe HTTP POST.

Receivers are small classes with one ``send``; the outbox owns retries, order and backoff, so a
receiver only has to say whether one attempt worked. Error messages never carry a URL's query
string: DingTalk and WeCom put their tokens there.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

from dcmon.engine.alerts.state import Notification


class DeliveryError(Exception):
    """One failed delivery attempt (the outbox retries it with backoff)."""


class Receiver(Protocol):
    """A notification channel. ``batch`` receivers take every due notification in one call."""

    name: str
    batch: bool

    def send(self, notes: list[Notification]) -> None:
        """Deliver ``notes`` or raise :class:`DeliveryError`."""


def safe_url(url: str) -> str:
    """The URL without its query (where robot tokens live), for messages and logs."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}{p.path}"


def post_json(url: str, body: Any, timeout: float, headers: Mapping[str, str] | None = None,
              context: ssl.SSLContext | None = None) -> Any:
    """POST ``body`` as JSON; return the decoded JSON answer (None when empty or not JSON).

    Any transport failure or non-2xx status raises DeliveryError naming the host and path only.
    """
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "dcmon",
        **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{safe_url(url)}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{safe_url(url)}: {reason}") from None
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def status_word(n: Notification) -> tuple[str, str]:
    """("FIRING" | "RESOLVED", "告警" | "恢复") for titles."""
    return ("FIRING", "告警") if n.status == "firing" else ("RESOLVED", "恢复")


def markdown(n: Notification) -> tuple[str, str]:
    """(title, markdown body) for chat robots: Chinese first, then English, then labels."""
    word, word_zh = status_word(n)
    a = n.annotations
    title = f"[{word_zh} {word}] {a.get('summary_zh') or a.get('summary') or n.alertname}"
    labels = ", ".join(f"{k}={v}" for k, v in sorted(n.labels.items()))
    body = (f"### {title}\n\n{a.get('description_zh', '')}\n\n{a.get('description', '')}\n\n"
            f"> {labels}\n")
    return title, body
