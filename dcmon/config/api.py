"""``api:`` settings of the inventory: where the REST API listens and who may read it.

Tokens are secrets: given inline, as ``{env: NAME}`` or ``{file: PATH}`` (like SNMP
credentials), held as :class:`pydantic.SecretStr` so they never print. Env and file tokens are
read when the API starts; ``check-config`` and ``dcmon run`` read them first, so a missing
variable is reported with its key, not at the first request, while the offline commands, which
serve nothing, do not need them.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator

from dcmon.config.secrets import SecretRef
from dcmon.config.strict import Strict, check_listen
from dcmon.errors import Problem

TokenRef = SecretRef


class ApiToken(Strict):
    """One bearer token: ``read`` sees everything, ``admin`` may also do what changes state."""

    name: str = Field(min_length=1, max_length=64)
    token: SecretStr | TokenRef
    scope: Literal["read", "admin"] = "read"


class ApiSettings(Strict):
    """``api:``: the REST API runs inside ``dcmon run`` when enabled and given tokens."""

    enabled: bool = True
    listen: str = "127.0.0.1:9640"
    tokens: list[ApiToken] = Field(default_factory=list)
    #: The HTML status page at /status (docs/api.md, "Status page"): ``token`` needs a token
    #: (bearer header or the login form's cookie), ``public`` needs none (a demo, or an edge
    #: site on a closed network: anyone who reaches ``listen`` sees site and rack names and
    #: power), ``off`` does not mount it.
    status_page: Literal["token", "public", "off"] = "token"
    #: Seconds between the status page's automatic reloads (0: none).
    status_refresh_s: int = Field(default=10, ge=0, le=3600)
    #: The status page's language when the request does not choose one (``?lang=`` or an
    #: ``Accept-Language`` naming en or zh): ``en`` or ``zh`` (Simplified Chinese).
    status_lang: Literal["en", "zh"] = "en"
    #: Wrong credentials (bearer token, status-page cookie or login) one client address may
    #: present within ``auth_failure_window_s`` before the next ones are answered 429 with
    #: Retry-After (a sliding window; valid tokens are never throttled). docs/api.md, "Auth".
    auth_failures: int = Field(default=20, ge=1, le=100_000)
    auth_failure_window_s: float = Field(default=60.0, gt=0, le=86_400)
    #: The time zone the status page and the capacity report show times in: an IANA name
    #: (``Asia/Shanghai``); unset, the host's local zone. Stored data stays in Unix seconds.
    display_tz: str | None = Field(default=None, min_length=1, max_length=64)

    _listen = field_validator("listen")(classmethod(lambda cls, v: check_listen(v)))

    @field_validator("display_tz")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is not None:
            zone_of(v)
        return v

    def zone(self) -> tzinfo:
        """The display time zone (see ``display_tz``)."""
        return zone_of(self.display_tz)

    @model_validator(mode="after")
    def _names(self) -> ApiSettings:
        names = [t.name for t in self.tokens]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate token name(s): {', '.join(dup)}")
        return self


def zone_of(name: str | None) -> tzinfo:
    """An IANA zone by name, or the host's local zone for None; ValueError names a bad one."""
    if name is None:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: give an IANA name such as "
                         "Asia/Shanghai or UTC") from None


def zone_name(tz: tzinfo, ts: float | None = None) -> str:
    """What a page shows for a zone: the IANA name, else the local abbreviation (CST)."""
    key = getattr(tz, "key", None)
    if isinstance(key, str):
        return key
    return datetime.fromtimestamp(ts or 0.0, tz).tzname() or "UTC"


#: Shorter than this is guessable; refused at load.
MIN_TOKEN_LEN = 16


def resolve_token(tok: ApiToken, base: Path) -> str:
    """The token's secret text; raises ValueError with the reason when it cannot be read."""
    ref = tok.token
    if isinstance(ref, SecretStr):
        value = ref.get_secret_value()
    elif ref.env is not None:
        env = os.environ.get(ref.env)
        if env is None:
            raise ValueError(f"environment variable {ref.env} is not set")
        value = env
    else:
        assert ref.file is not None
        path = Path(ref.file)
        path = path if path.is_absolute() else base / path
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"cannot read token file {ref.file}: {exc.strerror}") from None
    if len(value) < MIN_TOKEN_LEN:
        raise ValueError(f"token is shorter than {MIN_TOKEN_LEN} characters")
    return value


def resolve_tokens(settings: ApiSettings, base: Path) -> dict[str, tuple[str, str]]:
    """name -> (secret, scope) of every readable token (unreadable ones are skipped)."""
    out: dict[str, tuple[str, str]] = {}
    for t in settings.tokens:
        try:
            out[t.name] = (resolve_token(t, base), t.scope)
        except ValueError:
            continue
    return out


def api_problems(settings: ApiSettings, file: str, base: Path, read: bool = True
                 ) -> list[Problem]:
    """A token that cannot be read or is too short, by key (``read`` False: inline tokens
    only)."""
    problems = []
    for i, t in enumerate(settings.tokens):
        if not read and not isinstance(t.token, SecretStr):
            continue
        try:
            resolve_token(t, base)
        except ValueError as exc:
            problems.append(Problem(file, f"api.tokens.{i}.token", str(exc)))
    return problems
