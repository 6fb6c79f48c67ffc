"""DingTalk group robot (自定义机器人) with signed requests (加签).

The signature is HMAC-SHA256 over ``"{timestamp}\\n{secret}"`` keyed with the secret, base64
and URL-encoded, sent as ``timestamp`` (milliseconds) and ``sign`` query parameters next to the
``access_token``. DingTalk refuses a timestamp more than an hour off, so it is taken from the
wall clock at each attempt, never at enqueue: a notification that waited out an outage still
signs correctly. DingTalk answers HTTP 200 with ``errcode`` != 0 on failure (bad signature,
keyword filter, rate limit of 20 messages per minute): that counts as a failed attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus, urlencode

from dcmon.config.alerting import DingTalkReceiver as Config
from dcmon.engine.alerts.state import Notification
from dcmon.exporters.notify.base import DeliveryError, markdown, post_json, safe_url


def sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` parameter for ``timestamp_ms`` (already URL-encoded)."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


class DingTalkReceiver:
    batch = False

    def __init__(self, cfg: Config, access_token: str, secret: str | None = None) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self._token = access_token
        self._secret = secret

    def url(self, now_ms: int) -> str:
        q = urlencode({"access_token": self._token})
        if self._secret:
            q += f"&timestamp={now_ms}&sign={sign(self._secret, now_ms)}"
        return f"{self.cfg.url}?{q}"

    def send(self, notes: list[Notification]) -> None:
        for n in notes:
            title, text = markdown(n)
            body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
            answer = post_json(self.url(int(time.time() * 1000)), body, self.cfg.timeout)
            if not isinstance(answer, dict) or answer.get("errcode") != 0:
                err = answer.get("errmsg") if isinstance(answer, dict) else answer
                code = answer.get("errcode") if isinstance(answer, dict) else None
                raise DeliveryError(f"{safe_url(self.cfg.url)}: dingtalk errcode {code}: {err}")
