"""The inventory's schema base: unknown keys are errors, and input is frozen once validated.

Every schema model of dcmon (the inventory, its sections, and the profile compilers in
``dcmon.collectors``) derives from :class:`Strict`, so a typo in any file is refused the same
way, with its file and key. The HTTP listeners (/metrics, the API) share one address rule.

Numbers are checked more strictly than pydantic's lax mode does, in this one place for every
model:

- ``true``/``false`` is not a number: lax pydantic takes ``port: true`` as port 1 and
  ``interval: yes`` as 1 s, a slip that would otherwise pass unnoticed;
- a number is not a boolean: lax pydantic takes ``outlets: 1`` (or the string ``"yes"``) as
  true, so a mistyped flag would switch a feature on; only YAML's own booleans are accepted;
- NaN and infinity are refused (``.nan`` fails every bound check, so it was reported as
  "must be <= 86400"; it would also poison every sum downstream).

Strings that spell numbers (``port: "161"``) stay accepted, as templating tools write them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs


def _no_bool_int(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError(f"must be an integer, not {str(v).lower()}")
    return v


def _no_bool_float(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError(f"must be a number, not {str(v).lower()}")
    return v


def _only_bool(v: Any) -> Any:
    if not isinstance(v, bool):
        raise ValueError(f"must be true or false, not {v!r}")
    return v


def _guard_field(schema: Any) -> Any:
    """Put the no-bool check in front of a field's ``int``/``float`` (also when optional, with
    a default, in a union, or under the field's own validators); other types and nested
    models (guarded by their own class) are left alone."""
    kind = schema["type"]
    if kind == "int":
        return cs.no_info_before_validator_function(_no_bool_int, schema)
    if kind == "float":
        return cs.no_info_before_validator_function(_no_bool_float, schema)
    if kind == "bool":
        return cs.no_info_before_validator_function(_only_bool, schema)
    if kind in ("default", "nullable", "function-after", "function-before", "function-wrap"):
        schema["schema"] = _guard_field(schema["schema"])
    elif kind == "union":
        schema["choices"] = [(_guard_field(c[0]), c[1]) if isinstance(c, tuple)
                             else _guard_field(c) for c in schema["choices"]]
    return schema


def _guard_model(schema: Any) -> None:
    """Find this model's own fields under its wrappers (definitions, model validators)."""
    kind = schema["type"]
    if kind == "model-fields":
        for field in schema["fields"].values():
            field["schema"] = _guard_field(field["schema"])
    elif kind in ("model", "definitions", "function-wrap", "function-before",
                  "function-after"):
        _guard_model(schema["schema"])


class Strict(BaseModel):
    """Unknown keys are errors; compiled input is immutable; numbers are finite, not bools;
    booleans are booleans."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[BaseModel],
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        schema = handler(source)
        _guard_model(schema)
        return schema


def check_listen(v: str) -> str:
    """A ``HOST:PORT`` to listen on (port 0 = any free port, as tests use)."""
    host, sep, port = v.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
        raise ValueError(f"{v!r} is not HOST:PORT")
    return v
