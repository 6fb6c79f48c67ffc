"""WeCom (企业微信) group robot: POST markdown to the webhook addressed by its ``key``.

WeCom caps markdown content at 4096 bytes (UTF-8): longer texts are cut at a character
boundary with a marker rather than refused. Like DingTalk it answers HTTP 200 with ``errcode``;
non-zero counts as a failed attempt (e.g. 45009: the robot's 20-per-minute limit).
"""

from __future__ import annotations

from urllib.parse import urlencode

from dcmon.config.alerting import WeComReceiver as Config
from dcmon.engine.alerts.state import Notification
from dcmon.exporters.notify.base import DeliveryError, markdown, post_json, safe_url

MAX_BYTES = 4096


def clip(text: str, limit: int = MAX_BYTES) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes (whole characters), marked when cut."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    mark = "\n…(truncated)"
    return raw[:limit - len(mark.encode())].decode("utf-8", "ignore") + mark


class WeComReceiver:
    batch = False

    def __init__(self, cfg: Config, key: str) -> None:
        self.name = cfg.name
        self.cfg = cfg
        self._url = f"{cfg.url}?{urlencode({'key': key})}"

    def send(self, notes: list[Notification]) -> None:
        for n in notes:
            _, text = markdown(n)
            body = {"msgtype": "markdown", "markdown": {"content": clip(text)}}
            answer = post_json(self._url, body, self.cfg.timeout)
            if not isinstance(answer, dict) or answer.get("errcode") != 0:
                code = answer.get("errcode") if isinstance(answer, dict) else None
                err = answer.get("errmsg") if isinstance(answer, dict) else answer
                raise DeliveryError(f"{safe_url(self.cfg.url)}: wecom errcode {code}: {err}")
