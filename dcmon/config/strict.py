"""The inventory's schema base: unknown keys are errors, and input is frozen once validated.

Every schema model of dcmon (the inventory, its sections, and the profile compilers in
``dcmon.collectors``) derives from :class:`Strict`, so a typo in any file is refused the same
way, with its file and key. The HTTP listeners (/metrics, the API) share one address rule.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are errors; compiled input is immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def check_listen(v: str) -> str:
    """A ``HOST:PORT`` to listen on (port 0 = any free port, as tests use)."""
    host, sep, port = v.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
        raise ValueError(f"{v!r} is not HOST:PORT")
    return v
