"""Secrets in the inventory: inline, ``{env: NAME}`` or ``{file: PATH}``, held masked.

One definition for every secret the inventory carries (SNMP communities and v3 keys, API tokens,
SMTP passwords, robot keys, InfluxDB tokens), so they all behave the same: values print as
``**********``, and errors name the variable or the file, never the value.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import SecretStr, model_validator

from dcmon.config.strict import Strict


class SecretRef(Strict):
    """A secret read from the environment or a file, never from the inventory text itself."""

    env: str | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file'")
        return self


SecretValue = SecretStr | SecretRef


def read_secret(value: SecretValue, base: Path) -> SecretStr:
    """The secret's value; raises ValueError naming the variable or file, never the value.

    Relative file paths are relative to ``base`` (the inventory's folder); a trailing newline is
    stripped (Docker and Kubernetes secret files end with one).
    """
    if isinstance(value, SecretStr):
        return value
    if value.env is not None:
        env = os.environ.get(value.env)
        if env is None:
            raise ValueError(f"environment variable {value.env} is not set")
        return SecretStr(env)
    assert value.file is not None
    path = Path(value.file)
    if not path.is_absolute():
        path = base / path
    try:
        return SecretStr(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ValueError(f"cannot read secret file {value.file}: {exc.strerror}") from None
