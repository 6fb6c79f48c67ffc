"""The ``dcmon.exporters.influx`` block of the inventory, and how its token is read.

This module must not import :mod:`dcmon.config.inventory` (which imports it for the ``Exporters``
model), so
the secret reference is its own small model with the same shape as
``dcmon.config.inventory.SecretRef``:
a token is given inline, as ``{env: NAME}`` or as ``{file: PATH}`` (relative to the inventory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from dcmon.config.secrets import SecretRef, SecretValue, read_secret
from dcmon.config.strict import Strict
from dcmon.errors import Problem

#: One ``spool_max_mb`` unit, in bytes (MiB: the spool limit is a disk budget).
MB = 1024 * 1024


TokenRef = SecretRef


class InfluxExporter(Strict):
    """Where and how to write: the InfluxDB v2 write API (``/api/v2/write``)."""

    url: str
    org: str = Field(min_length=1)
    bucket: str = Field(min_length=1)
    token: SecretValue
    #: Points per write request; a full batch is written at once, a partial one at the interval.
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    #: Seconds between flushes of a partial batch (the most a point waits in memory).
    flush_interval: float = Field(default=10.0, gt=0, le=3600)
    #: Disk budget of the outage spool; when full, the oldest points are dropped (and counted).
    spool_max_mb: float = Field(default=256.0, gt=0, le=1_048_576)
    #: Seconds one write request may take before it counts as failed.
    timeout: float = Field(default=10.0, gt=0, le=300)
    #: Retries of the spool back off exponentially from 1 s (or flush_interval) up to this.
    max_retry_interval: float = Field(default=60.0, gt=0, le=3600)
    #: Timestamp precision on the wire. Readings carry sub-second times: ``ms`` keeps them apart.
    precision: Literal["s", "ms"] = "ms"
    #: Points held in memory between the poller and the writer thread; beyond this they are
    #: dropped (and counted) rather than slowing polls down.
    max_queue_points: int = Field(default=200_000, ge=1, le=100_000_000)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")) or len(v.split("://", 1)[1]) == 0:
            raise ValueError(f"{v!r} is not an http:// or https:// URL")
        return v.rstrip("/")


def read_token(token: SecretValue, base: Path) -> SecretStr:
    """Resolve the token; raise ValueError with a message that names the source, not the value."""
    return read_secret(token, base)


def influx_problems(cfg: InfluxExporter | None, file: str, base: Path, read: bool = True
                    ) -> list[Problem]:
    """Problems ``dcmon check-config`` reports for the block (the token must be readable);
    ``read`` False leaves an env or file token to the writer that uses it."""
    if cfg is None or not read:
        return []
    try:
        read_token(cfg.token, base)
    except ValueError as exc:
        return [Problem(file, "dcmon.exporters.influx.token", str(exc))]
    return []
