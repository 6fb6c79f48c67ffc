"""SNMP profiles: YAML documents in, frozen :class:`~dcmon.collectors.snmp.model.CompiledProfile`
out.

What to poll is data. A human writes a friendly YAML file (one per device family, citing its
MIB); this module validates it strictly once at load and resolves it into frozen objects, so the
poll hot path only applies them. A bad profile is refused with its file and key, never
half-loaded. :mod:`dcmon.collectors.registry` finds the files and hands each document here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from dcmon.collectors.schema import (
    check_level,
    check_name,
    check_unit,
    unknown_defaults,
    validate_document,
    with_defaults,
)
from dcmon.collectors.snmp.descr import compile_pattern
from dcmon.collectors.snmp.model import (
    CompiledProfile,
    DigitsScale,
    Fallback,
    IndexPart,
    Lookup,
    Setting,
    SettingCase,
    SnmpMetric,
    Where,
)
from dcmon.collectors.snmp.values import TWIN_TOLERANCE
from dcmon.config.strict import Strict
from dcmon.errors import ConfigError, Problem, pydantic_problems
from dcmon.model import COUNTER_UNITS

_OID_RE = re.compile(r"^\.?\d+(\.\d+)+$")
TRANSFORMS = ("number", "fahrenheit")




def _oid(value: str) -> str:
    value = str(value).strip()
    if not _OID_RE.match(value):
        raise ValueError(f"not a numeric OID: {value!r}")
    return value.lstrip(".")


Oid = Annotated[str, Field(min_length=3)]


class IndexPartIn(Strict):
    label: str
    type: Literal["int", "string", "fixed_string", "oid"] = "int"
    match: int | None = None
    values: dict[int, str] = Field(default_factory=dict)


class LookupIn(Strict):
    label: str
    oid: Oid
    index: list[str] | None = None
    values: dict[str, str] = Field(default_factory=dict)

    _v = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))


class DigitsIn(Strict):
    oid: Oid
    index: list[str] | None = None
    mode: Literal["decimal_digits", "entity_scale", "exponent", "divisor", "multiplier",
                  "signed_scale"] = "decimal_digits"

    _v = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))


class WhereIn(Strict):
    oid: Oid
    index: list[str] | None = None
    #: Keep the row when the column's number is one of these ...
    equals: list[float] | None = None
    #: ... or when it is none of these.
    not_equals: list[float] | None = None
    #: Keep the row when the column's text is one of these (or none of them).
    text_equals: list[str] | None = None
    text_not_equals: list[str] | None = None
    #: The oid is a scalar instance (GET once a poll) deciding for every row of the table.
    scalar: bool = False
    #: Keep a row whose cell in this column is absent (firmware without the column); "column":
    #: only when the column answers no row at all (a unit column: a row it skips is a gap).
    keep_absent: bool | Literal["column"] = False
    #: Keep the row only when the column has (true) or has not (false) a cell for it.
    exists: bool | None = None

    _v = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))

    @model_validator(mode="after")
    def _one(self) -> WhereIn:
        given = [x for x in (self.equals, self.not_equals, self.text_equals,
                             self.text_not_equals, self.exists) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'equals', 'not_equals', 'text_equals', "
                             "'text_not_equals' or 'exists'")
        if self.exists is not None and self.keep_absent:
            raise ValueError("'exists' and 'keep_absent' contradict each other")
        if self.scalar and self.index is not None:
            raise ValueError("a scalar 'where' has no 'index'")
        return self


class FallbackIn(Strict):
    oid: Oid
    scale: float = 1.0
    offset: float = 0.0
    #: The primary is a finer reading of the fallback's value, read only when the two agree
    #: within this much (metric unit); otherwise the fallback is read.
    agree: float | None = Field(default=None, gt=0)

    _v = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))


class SettingCaseIn(Strict):
    scale: float | None = None
    offset: float | None = None
    transform: str | None = None

    @field_validator("transform")
    @classmethod
    def _transform(cls, v: str | None) -> str | None:
        if v is not None and v not in TRANSFORMS:
            raise ValueError(f"unknown transform {v!r} (known: {', '.join(TRANSFORMS)})")
        return v


class SettingIn(Strict):
    oid: Oid
    #: True: ``oid`` is a scalar instance (e.g. ``...7.0``); else a column of the value's row.
    scalar: bool = False
    index: list[str] | None = None
    cases: dict[int, SettingCaseIn] = Field(default_factory=dict)
    #: The case to read by when the agent has no such object at all (not when it answers a
    #: value not listed): for firmware that predates the setting. None: skip the reading.
    absent: int | None = None
    #: Instead of cases: ``oid`` is the same temperature in Fahrenheit, and the reading's scale
    #: is the one of these at which the Celsius value and its twin agree (MIBs that name the
    #: unit of both but state no scale).
    fahrenheit_twin: list[float] | None = None

    _v = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))


class MetricIn(Strict):
    name: str
    oid: Oid
    unit: str
    kind: Literal["gauge", "counter"] = "gauge"
    scale: float = 1.0
    offset: float = 0.0
    index: list[IndexPartIn] | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    lookups: list[LookupIn] = Field(default_factory=list)
    sentinels: list[float] | None = None
    #: Raw values below this mean "not available" (MIBs that say "a negative value indicates
    #: that this object is not available"), whatever the number.
    sentinel_below: float | None = None
    digits: DigitsIn | None = None
    width: Literal[32, 64] | None = None
    cap: float | None = None
    resettable: bool = False
    reset_time_oid: str | None = None
    level: str = ""
    rack_power: bool = False
    transform: str = "number"
    description: str = ""
    where: list[WhereIn] = Field(default_factory=list)
    fallback: FallbackIn | None = None
    optional: bool = False
    #: "skip": a text cell without a number is "no reading" (MIBs whose value is a display
    #: string, "N/A" or "Unavailable" when there is none), not a malformed value.
    non_numeric: Literal["error", "skip"] = "error"
    setting: SettingIn | None = None

    _v = field_validator("oid")(classmethod(lambda cls, v: _oid(v)))

    @field_validator("reset_time_oid")
    @classmethod
    def _reset_oid(cls, v: str | None) -> str | None:
        return None if v is None else _oid(v)

    _n = field_validator("name")(classmethod(lambda cls, v: check_name(v, "metric")))

    _u = field_validator("unit")(classmethod(lambda cls, v: check_unit(v)))

    _l = field_validator("level")(classmethod(lambda cls, v: check_level(v)))

    @field_validator("transform")
    @classmethod
    def _transform(cls, v: str) -> str:
        if v not in TRANSFORMS:
            raise ValueError(f"unknown transform {v!r} (known: {', '.join(TRANSFORMS)})")
        return v


class MatchIn(Strict):
    sys_object_id: list[str] = Field(default_factory=list)
    #: OIDs that, when present on an agent, select this profile (generic-MIB fallback): an
    #: instance (GET) or a table column (present when it has any row).
    probe: list[str] = Field(default_factory=list)
    #: Regular expressions searched (case-insensitive) in sysDescr: families that name
    #: themselves only there. Bounded: see ``descr.py``.
    sys_descr: list[str] = Field(default_factory=list, max_length=16)
    #: Probing order, lower first (vendor MIBs 100, UPS-MIB 500, ENTITY-SENSOR 800, ...).
    probe_order: int = 100
    #: A standard MIB (UPS-MIB, ENTITY-SENSOR-MIB, ENERGY-OBJECT-MIB, LM-SENSORS-MIB): tried on
    #: every device and completes the chosen vendor profile with the quantities it lacks.
    standard: bool = False
    #: A standard MIB that only completes another profile and is never a device's profile on
    #: its own (board sensors of the agent's own hardware say nothing about the device's power).
    complement_only: bool = False

    @model_validator(mode="after")
    def _complement_needs_standard(self) -> MatchIn:
        if self.complement_only and not self.standard:
            raise ValueError("complement_only needs standard: true")
        return self


class ProfileIn(Strict):
    profile: str
    protocol: Literal["snmp"] = "snmp"
    description: str = ""
    mib: str = ""
    match: MatchIn = Field(default_factory=MatchIn)
    max_repetitions: int | None = Field(default=None, ge=1, le=200)
    defaults: dict[str, Any] = Field(default_factory=dict)
    metrics: list[dict[str, Any]]

    _n = field_validator("profile")(classmethod(lambda cls, v: check_name(v, "profile")))


_DEFAULTABLE = {"sentinels", "scale", "offset", "level", "labels", "kind", "transform",
                "non_numeric", "sentinel_below"}


def _where(w: WhereIn, index_labels: tuple[str, ...]) -> Where:
    """A compiled ``where``; ``keep_absent: column`` on a scalar is plain ``keep_absent`` (a
    scalar has no other rows to answer)."""
    return Where(oid=w.oid, index_labels=index_labels,
                 values=frozenset(w.equals if w.equals is not None else w.not_equals or ()),
                 negate=w.not_equals is not None or w.text_not_equals is not None,
                 texts=frozenset(w.text_equals or w.text_not_equals or ()), scalar=w.scalar,
                 keep_absent=w.keep_absent is True or (w.scalar and w.keep_absent == "column"),
                 without_column=not w.scalar and w.keep_absent == "column", exists=w.exists)


def _compile_metric(m: MetricIn, key: str, file: str) -> tuple[SnmpMetric | None, list[Problem]]:
    problems: list[Problem] = []
    index: tuple[IndexPart, ...] | None = None
    names: list[str] = []
    if m.index is not None:
        parts = []
        for i, p in enumerate(m.index):
            if p.label in names:
                problems.append(Problem(file, f"{key}.index.{i}.label",
                                        f"index label {p.label!r} used twice"))
            names.append(p.label)
            parts.append(IndexPart(label=p.label, type=p.type, match=p.match,
                                   values=dict(p.values)))
        index = tuple(parts)
        if any(p.type in ("fixed_string", "oid") for p in parts[:-1]):
            problems.append(Problem(file, f"{key}.index",
                                    "a fixed_string or oid index part can only be the last one"))

    def ref(refs: list[str] | None, where: str) -> tuple[str, ...]:
        if refs is None:
            return tuple(names)
        for r in refs:
            if r not in names:
                problems.append(Problem(file, where,
                                        f"unknown index label {r!r} (index has: {names})"))
        return tuple(refs)

    lookups = tuple(
        Lookup(label=lk.label, oid=lk.oid, index_labels=ref(lk.index, f"{key}.lookups.{i}.index"),
               values=dict(lk.values))
        for i, lk in enumerate(m.lookups)
    )
    wheres = tuple(_where(w, () if w.scalar else ref(w.index, f"{key}.where.{i}.index"))
                   for i, w in enumerate(m.where))
    fallback = (Fallback(m.fallback.oid, m.fallback.scale, m.fallback.offset, m.fallback.agree)
                if m.fallback else None)
    digits = None
    if m.digits is not None:
        digits = DigitsScale(oid=m.digits.oid, index_labels=ref(m.digits.index, f"{key}.digits"),
                             mode=m.digits.mode)
    setting = _setting(m, key, file, ref, problems)
    if (m.lookups or m.digits or any(not w.scalar for w in m.where)) and index is None:
        problems.append(Problem(file, key, "lookups, digits and a column where need a table "
                                           "metric (an index); a scalar metric takes only "
                                           "scalar: true wheres"))
    if m.kind == "counter":
        if m.width is None and m.cap is None:
            problems.append(Problem(file, f"{key}.width",
                                    "a counter must declare its width (32 or 64) or its cap"))
        if m.unit not in COUNTER_UNITS:
            problems.append(Problem(file, f"{key}.unit", "a counter's unit must be one of "
                                                         f"{', '.join(COUNTER_UNITS)}, not "
                                                         f"{m.unit!r}"))
    elif m.width is not None or m.cap is not None or m.resettable or m.reset_time_oid:
        problems.append(Problem(file, f"{key}.kind",
                                "width, cap, resettable and reset_time_oid need kind: counter"))
    if m.scale == 0:
        problems.append(Problem(file, f"{key}.scale", "scale must not be 0"))
    if m.rack_power and m.name != "power":
        problems.append(Problem(file, f"{key}.rack_power", "only a power metric counts toward "
                                                           "rack power"))
    if problems:
        return None, problems
    metric = SnmpMetric(
        name=m.name, oid=m.oid, unit=m.unit, kind=m.kind, scale=m.scale, offset=m.offset,
        index=index, labels=dict(m.labels), lookups=lookups,
        sentinels=frozenset(m.sentinels or ()), sentinel_below=m.sentinel_below, digits=digits,
        width=m.width, cap=m.cap,
        resettable=m.resettable, reset_time_oid=m.reset_time_oid, level=m.level,
        rack_power=m.rack_power, transform=m.transform, description=m.description, key=key,
        wheres=wheres, fallback=fallback, optional=m.optional, setting=setting,
        skip_non_numeric=m.non_numeric == "skip",
    )
    return metric, []


def _setting(m: MetricIn, key: str, file: str, ref: Callable[[list[str] | None, str],
             tuple[str, ...]], problems: list[Problem]) -> Setting | None:
    """The metric's device setting compiled; a row setting needs a table metric."""
    if m.setting is None:
        return None
    s = m.setting
    if m.fallback is not None:  # a case's scale would replace the fallback OID's own scale
        problems.append(Problem(file, f"{key}.setting", "a metric with a fallback cannot also "
                                                        "have a setting"))
    if not s.scalar and m.index is None:
        problems.append(Problem(file, f"{key}.setting.scalar", "a scalar metric's setting must "
                                                               "be a scalar (scalar: true)"))
    if s.scalar and s.index is not None:
        problems.append(Problem(file, f"{key}.setting.index", "a scalar setting has no index"))
    labels = None if s.scalar or m.index is None else ref(s.index, f"{key}.setting.index")
    cases = {k: SettingCase(c.scale, c.offset, c.transform) for k, c in s.cases.items()}
    if any(c.scale == 0 for c in cases.values()):
        problems.append(Problem(file, f"{key}.setting.cases", "scale must not be 0"))
    if s.absent is not None and s.absent not in cases:
        problems.append(Problem(file, f"{key}.setting.absent", f"{s.absent} is none of the "
                                                               f"cases {sorted(cases)}"))
    twin = tuple(s.fahrenheit_twin or ())
    _check_twin(m, key, file, cases, twin, problems)
    return Setting(s.oid, labels, cases, s.absent, twin)


def _check_twin(m: MetricIn, key: str, file: str, cases: Mapping[int, SettingCase],
                twin: tuple[float, ...], problems: list[Problem]) -> None:
    """A setting has cases or a Fahrenheit twin (exactly one); a twin decides the scale of a
    Celsius reading only, among distinct positive scales far enough apart (32/scale) that no
    pair of values fits two of them."""
    if bool(cases) == bool(twin):
        problems.append(Problem(file, f"{key}.setting", "give either cases or fahrenheit_twin"))
    if not twin:
        return
    if any(x <= 0 for x in twin) or len(set(twin)) != len(twin):
        problems.append(Problem(file, f"{key}.setting.fahrenheit_twin",
                                "scales must be distinct and positive"))
    else:
        gaps = sorted(32 / x for x in twin)
        if any(b - a <= 2 * TWIN_TOLERANCE for a, b in pairwise(gaps)):
            problems.append(Problem(file, f"{key}.setting.fahrenheit_twin",
                                    "scales must be far enough apart that no pair fits two "
                                    f"(32/scale differing by more than {2 * TWIN_TOLERANCE:g})"))
    if m.unit != "Cel" or m.transform != "number" or m.offset or m.digits is not None:
        problems.append(Problem(file, f"{key}.setting.fahrenheit_twin",
                                "a Fahrenheit twin decides a Celsius reading (unit Cel, no "
                                "transform, offset or digits: the pair's scale is the only one)"))


def compile_snmp_profile(data: Any, file: str) -> CompiledProfile:
    """Validate one profile document and compile it; raise ConfigError naming file and keys."""
    doc = validate_document(ProfileIn, data, file)
    problems = unknown_defaults(doc.defaults, _DEFAULTABLE, file)
    for i, prefix in enumerate(doc.match.sys_object_id):
        if not _OID_RE.match(str(prefix)):
            problems.append(Problem(file, f"match.sys_object_id.{i}", f"not a numeric OID: "
                                                                      f"{prefix!r}"))
    descr: list[re.Pattern[str]] = []
    for i, pattern in enumerate(doc.match.sys_descr):
        try:
            descr.append(compile_pattern(pattern))
        except ValueError as exc:
            problems.append(Problem(file, f"match.sys_descr.{i}", str(exc)))
    metrics: list[SnmpMetric] = []
    seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}
    for i, raw in enumerate(doc.metrics):
        key = f"metrics.{i}"
        if not isinstance(raw, dict):
            problems.append(Problem(file, key, "a metric must be a mapping"))
            continue
        merged = with_defaults(doc.defaults, raw, _DEFAULTABLE)
        try:
            m = MetricIn.model_validate(merged)
        except ValidationError as exc:
            problems.extend(pydantic_problems(file, exc, prefix=("metrics", i)))
            continue
        compiled, errs = _compile_metric(m, key, file)
        problems.extend(errs)
        if compiled is not None:
            ident = (compiled.oid, compiled.name, tuple(sorted(compiled.labels.items())))
            if ident in seen and compiled.index is None:
                problems.append(Problem(file, key, f"same OID and name as {seen[ident]}"))
            seen[ident] = key
            metrics.append(compiled)
    rack_levels = sorted({m.level for m in metrics if m.rack_power})
    if len(rack_levels) > 1:
        keys = [m.key for m in metrics if m.rack_power]
        problems.append(Problem(file, keys[-1], f"rack_power is marked on levels {rack_levels} "
                                                f"({', '.join(keys)}): only one level of a "
                                                "device may count toward rack power"))
    if problems:
        raise ConfigError(problems)
    return CompiledProfile(
        name=doc.profile, protocol=doc.protocol, description=doc.description, source_file=file,
        sys_object_ids=tuple(str(s).lstrip(".") for s in doc.match.sys_object_id),
        metrics=tuple(metrics), max_repetitions=doc.max_repetitions, mib=doc.mib,
        probe_oids=tuple(_oid(p) for p in doc.match.probe), probe_order=doc.match.probe_order,
        standard=doc.match.standard, complement_only=doc.match.complement_only,
        sys_descr=tuple(descr),
    )
