"""Errors that name the file, the key and the fault, in one line each.

Operators fix configs from these lines, so every problem found is reported at once (not just the
first), in the form ``FILE: KEY.PATH: what is wrong``. Secrets never reach these messages: the
loaders only ever pass key paths and non-secret values into them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault in one file at one key path."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        if self.key:
            return one_line(f"{self.file}: {self.key}: {self.message}")
        return one_line(f"{self.file}: {self.message}")


def one_line(text: str) -> str:
    """Escape control characters (a key may hold a newline): one problem stays one line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


class ConfigError(Exception):
    """One or more problems in a config or profile file."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def key_path(loc: Iterable[object]) -> str:
    """Turn a pydantic/loader location tuple into ``sites.0.devices.3.profile``."""
    return ".".join(str(part) for part in loc)


#: Names pydantic puts into error locations for union branches: noise to an operator.
_BRANCH_NAMES = frozenset({"str", "int", "float", "bool", "SecretRef", "CommunityCredential",
                           "V3Credential", "list[str]", "dict[str,any]"})


def pydantic_problems(file: str, exc: object, prefix: Sequence[object] = (),
                      tags: Iterable[str] = ("1", "2c", "3")) -> list[Problem]:
    """Convert a pydantic ValidationError into Problems, keeping messages short and secret-free.

    ``input`` values are deliberately not echoed: a wrong-typed secret would otherwise be printed.
    Union branches (``str``, ``SecretRef``, discriminator tags) are dropped from key paths, and
    the messages of one key are joined, so a union fault reads as one line.
    """
    tagset = set(tags)
    merged: dict[str, list[str]] = {}
    for err in exc.errors(include_input=False, include_url=False):  # type: ignore[attr-defined]
        loc: list[object] = []
        for i, part in enumerate([*prefix, *err["loc"]]):
            if isinstance(part, str) and (part in _BRANCH_NAMES or "[" in part or "(" in part
                                          or (part in tagset and i >= 2
                                              and loc[:1] == ["credentials"])):
                continue
            loc.append(part)
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "finite_number":  # .nan / .inf: not "must be <= 86400"
            msg = "not a number (NaN and infinity are refused)"
        msgs = merged.setdefault(key_path(loc), [])
        if msg not in msgs:
            msgs.append(msg)
    out = []
    for key, msgs in merged.items():
        text = "; or ".join(msgs)
        if "SecretRef" in text:
            text = "a secret must be a string, {env: NAME} or {file: PATH}"
        out.append(Problem(file, key, text))
    return out
