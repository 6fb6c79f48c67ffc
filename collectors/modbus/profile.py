"""Modbus register profiles: YAML in, frozen :class:`CompiledModbusProfile` out.

Same contract as the SNMP profiles in :mod:`dcmon.collectors.registry` (which dispatches ``protocol:
modbus`` documents here): a human writes one YAML file per device family citing its manual; this
module validates it strictly once, names the file and key of every fault, and resolves each
field into a :class:`ModbusField` whose decoder is already chosen, so a poll only slices
registers and calls it.

Addresses are never guessed. ``address:`` is the 0-based number sent on the wire; ``register:``
is the 1-based number many manuals print (wire address = register - 1). A field gives exactly
one of them. Modicon-style numbers with a table prefix (30001, 40001) are neither: write the
table with ``table:`` and the number without its prefix.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from dcmon.collectors.modbus.codec import (
    BYTE_ORDERS,
    NUMERIC_TYPES,
    REGISTERS,
    TYPES,
    Decoder,
    make_decoder,
)
from dcmon.collectors.modbus.model import (
    BIT_TABLES,
    MAX_REGISTERS,
    CompiledModbusProfile,
    ModbusField,
    RequestOptions,
    ScaleRegister,
    Table,
)
from dcmon.collectors.schema import (
    COUNTER_UNITS,
    NAME_RE,
    check_level,
    check_name,
    check_unit,
    unknown_defaults,
    validate_document,
    with_defaults,
)
from dcmon.config.strict import Strict
from dcmon.errors import ConfigError, Problem, pydantic_problems


def _check_type(v: str) -> str:
    t = str(v).upper()
    if t not in TYPES:
        raise ValueError(f"unknown type {v!r} (known: {', '.join(TYPES)})")
    return t


def _check_order(v: str) -> str:
    o = str(v).upper()
    if o not in BYTE_ORDERS:
        raise ValueError(f"unknown byte order {v!r} (known: {', '.join(BYTE_ORDERS)})")
    return o


def _check_address(v: int) -> int:
    if v < 0 or v > 65535:
        raise ValueError(f"address {v} is outside 0..65535 (the wire address is 16 bits)")
    return v


def _check_register(v: int) -> int:
    if v < 1 or v > 65536:
        raise ValueError(f"register {v} is outside 1..65536 (register numbers start at 1; "
                         "for a 0-based number write 'address:')")
    return v


class ScaleRegisterIn(Strict):
    address: int | None = None
    register_: int | None = Field(default=None, alias="register")
    table: Table | None = None
    type: str = "INT16"
    byte_order: str | None = None
    mode: Literal["exponent", "multiply"] = "exponent"

    _t = field_validator("type")(classmethod(lambda cls, v: _check_type(v)))
    _o = field_validator("byte_order")(
        classmethod(lambda cls, v: None if v is None else _check_order(v)))
    _a = field_validator("address")(
        classmethod(lambda cls, v: None if v is None else _check_address(v)))
    _r = field_validator("register_")(
        classmethod(lambda cls, v: None if v is None else _check_register(v)))


class FieldIn(Strict):
    name: str
    address: int | None = None
    register_: int | None = Field(default=None, alias="register")
    table: Table = "holding"
    type: str | None = None
    count: int | None = Field(default=None, ge=1)
    byte_order: str | None = None
    bit: int | None = Field(default=None, ge=0)
    bits: int = Field(default=1, ge=1)
    unit: str | None = None
    kind: Literal["gauge", "counter"] = "gauge"
    scale: float = 1.0
    offset: float = 0.0
    scale_register: ScaleRegisterIn | None = None
    sentinels: list[int | float] | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    label: str | None = None
    width: Literal[16, 32, 64] | None = None
    cap: float | None = None
    resettable: bool | None = None
    level: str = ""
    rack_power: bool = False
    description: str = ""

    _t = field_validator("type")(classmethod(lambda cls, v: None if v is None else _check_type(v)))
    _o = field_validator("byte_order")(
        classmethod(lambda cls, v: None if v is None else _check_order(v)))
    _a = field_validator("address")(
        classmethod(lambda cls, v: None if v is None else _check_address(v)))
    _r = field_validator("register_")(
        classmethod(lambda cls, v: None if v is None else _check_register(v)))

    _n = field_validator("name")(classmethod(lambda cls, v: check_name(v, "field")))

    _u = field_validator("unit")(classmethod(lambda cls, v: check_unit(v)))

    _l = field_validator("level")(classmethod(lambda cls, v: check_level(v)))


class RequestsIn(Strict):
    max_registers: int = Field(default=MAX_REGISTERS, ge=1, le=MAX_REGISTERS)
    max_gap: int = Field(default=0, ge=0, le=MAX_REGISTERS)
    pause: float = Field(default=0.0, ge=0, le=10)
    one_per_field: bool = False
    close_after_poll: bool = False


class ProfileIn(Strict):
    profile: str
    protocol: Literal["modbus"]
    description: str = ""
    manual: str
    byte_order: str = "ABCD"
    requests: RequestsIn = Field(default_factory=RequestsIn)
    defaults: dict[str, Any] = Field(default_factory=dict)
    fields: list[dict[str, Any]] = Field(min_length=1)

    _o = field_validator("byte_order")(classmethod(lambda cls, v: _check_order(v)))

    _n = field_validator("profile")(classmethod(lambda cls, v: check_name(v, "profile")))

    @field_validator("manual")
    @classmethod
    def _manual(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("cite the vendor manual the register map comes from")
        return v


#: Keys a profile's ``defaults:`` may set for all of its fields.
_DEFAULTABLE = {"table", "type", "byte_order", "sentinels", "scale", "offset", "level", "labels",
                "kind", "unit"}


# --------------------------------------------------------------------------------------------
# Compiler
# --------------------------------------------------------------------------------------------


def _wire(address: int | None, register: int | None, key: str, file: str,
          problems: list[Problem]) -> tuple[int | None, int | None]:
    """Resolve ``address:``/``register:`` to the wire address; exactly one must be given."""
    if (address is None) == (register is None):
        problems.append(Problem(file, key, "give exactly one of 'address' (0-based, as sent on "
                                           "the wire) or 'register' (1-based, as many manuals "
                                           "print it)"))
        return None, None
    if address is not None:
        return address, None
    assert register is not None
    return register - 1, register


def _fits(address: int, count: int, what: str, key: str, file: str,
          problems: list[Problem], register: int | None = None) -> bool:
    if address + count - 1 > 65535:
        where = f"address {address}" if register is None else (
            f"register {register} (address {address})")
        problems.append(Problem(file, key, f"{what} at {where} spans {count} registers and "
                                           "runs past address 65535"))
        return False
    return True


def _sentinels(raw: list[int | float] | None, type_: str, key: str, file: str,
               problems: list[Problem]) -> frozenset[float]:
    """Map sentinels into the decoded domain: 0xFFFF on an INT16 field means -1."""
    out: set[float] = set()
    if type_ == "STRING":
        return frozenset()  # text has no sentinel; a profile-wide default does not apply
    for i, s in enumerate(raw or ()):
        if isinstance(s, float) and math.isnan(s):
            continue  # NaN always means "not available"; listing it is allowed and harmless
        if type_ in NUMERIC_TYPES and not type_.startswith("FLOAT"):
            if not float(s).is_integer():
                problems.append(Problem(file, f"{key}.sentinels.{i}",
                                        f"{s!r} is not an integer, but the field is {type_}"))
                continue
            bits = 16 * REGISTERS[type_]
            n = int(s)
            if type_.startswith("INT") and 2 ** (bits - 1) <= n < 2**bits:
                n -= 2**bits  # written as the register pattern (0x8000) of a signed value
            lo, hi = ((-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if type_.startswith("INT")
                      else (0, 2**bits - 1))
            if not lo <= n <= hi:
                problems.append(Problem(file, f"{key}.sentinels.{i}",
                                        f"{s!r} does not fit in {type_}"))
                continue
            out.add(n)  # exact: UINT64 patterns do not survive a float
        else:
            out.add(float(s))
    return frozenset(out)


def _value_problems(f: FieldIn, type_: str, key: str, file: str,
                    problems: list[Problem]) -> None:
    """What a field's value needs: a label (text) or a unit, and counter and scale rules."""
    if type_ == "STRING":
        if not f.label:
            problems.append(Problem(file, f"{key}.label", "a STRING field needs 'label': the "
                                                          "label its text becomes"))
        elif not NAME_RE.match(f.label):
            problems.append(Problem(file, f"{key}.label", f"label {f.label!r} must be "
                                                          "lower_snake_case"))
    else:
        if f.label is not None:
            problems.append(Problem(file, f"{key}.label", "'label' is only for STRING fields"))
        if f.unit is None:
            problems.append(Problem(file, f"{key}.unit", "required key is missing"))
    if f.kind == "counter":
        if f.width is None and f.cap is None:
            problems.append(Problem(file, f"{key}.width", "an energy counter must declare its "
                                                          "width (16, 32 or 64) or its cap"))
        elif (f.width is not None and type_ in REGISTERS and not type_.startswith("FLOAT")
              and f.width > 16 * REGISTERS[type_]):
            problems.append(Problem(file, f"{key}.width", f"width {f.width} is wider than "
                                                          f"{type_}"))
        if f.resettable is None:
            problems.append(Problem(file, f"{key}.resettable", "a counter must say whether it "
                                                               "can be reset (true or false)"))
        if f.unit is not None and f.unit not in COUNTER_UNITS:
            problems.append(Problem(file, f"{key}.unit", f"a counter's unit must be J, s or m3, "
                                                         f"not {f.unit!r}"))
    elif f.width is not None or f.cap is not None or f.resettable:
        problems.append(Problem(file, f"{key}.kind", "width, cap and resettable need kind: "
                                                     "counter"))
    if f.scale == 0:
        problems.append(Problem(file, f"{key}.scale", "scale must not be 0"))
    if f.rack_power and f.name != "power":
        problems.append(Problem(file, f"{key}.rack_power", "only a power field counts toward "
                                                           "rack power"))


def _compile_field(f: FieldIn, key: str, file: str, default_order: str,
                   problems: list[Problem]) -> ModbusField | None:
    before = len(problems)
    address, register = _wire(f.address, f.register_, key, file, problems)
    bit_table = f.table in BIT_TABLES
    type_ = f.type or ("BITS" if bit_table else None)
    if type_ is None:
        problems.append(Problem(file, f"{key}.type", f"required key is missing (one of: "
                                                     f"{', '.join(TYPES)})"))
        return None
    order = f.byte_order or default_order
    if bit_table:
        if type_ != "BITS":
            problems.append(Problem(file, f"{key}.type", f"a {f.table} is a single bit: use "
                                                         f"type BITS, not {type_}"))
        if f.bit is not None or f.bits != 1 or f.count not in (None, 1):
            problems.append(Problem(file, key, f"'bit', 'bits' and 'count' do not apply to a "
                                               f"{f.table} (it is one bit)"))
        count = 1
        decode: Decoder = lambda regs: regs[0]  # noqa: E731  (bits arrive as 0/1 already)
    else:
        try:
            decode = make_decoder(type_, order, f.count, bit=f.bit or 0, bits=f.bits)
        except ValueError as exc:
            problems.append(Problem(file, f"{key}.count" if f.count is not None else key,
                                    str(exc)))
            return None
        if type_ != "BITS" and (f.bit is not None or f.bits != 1):
            problems.append(Problem(file, f"{key}.bit", f"'bit' and 'bits' need type BITS, "
                                                        f"not {type_}"))
        if type_ == "BITS" and f.bit is None:
            problems.append(Problem(file, f"{key}.bit", "a BITS field on a register table needs "
                                                        "'bit' (0 = least significant)"))
        count = f.count or REGISTERS.get(type_, 1)
        if count > MAX_REGISTERS:
            problems.append(Problem(file, f"{key}.count", f"{count} registers do not fit in one "
                                                          f"request (at most {MAX_REGISTERS})"))
    if address is not None:
        _fits(address, count, type_, f"{key}.{'address' if register is None else 'register'}",
              file, problems, register)
    scale_reg = None
    if f.scale_register is not None:
        scale_reg = _compile_scale(f.scale_register, f.table, order, f"{key}.scale_register",
                                   file, problems)
    _value_problems(f, type_, key, file, problems)
    sentinels = _sentinels(f.sentinels, type_, key, file, problems)
    if len(problems) > before or address is None:
        return None
    return ModbusField(
        name=f.name, key=key, table=f.table, address=address, count=count, type=type_,
        byte_order=order, decode=decode, unit=f.unit or "", kind=f.kind, scale=f.scale,
        offset=f.offset, sentinels=sentinels, labels=dict(f.labels), level=f.level,
        rack_power=f.rack_power, description=f.description, scale_register=scale_reg,
        label=f.label, width=f.width, cap=f.cap, resettable=bool(f.resettable),
        register=register,
        bit=f.bit or 0, bits=f.bits,
    )


def _compile_scale(s: ScaleRegisterIn, table: str, order: str, key: str, file: str,
                   problems: list[Problem]) -> ScaleRegister | None:
    address, _ = _wire(s.address, s.register_, key, file, problems)
    tbl = s.table or table
    if tbl in BIT_TABLES:
        problems.append(Problem(file, f"{key}.table", "a scale register must be a holding or "
                                                      "input register"))
        return None
    if s.type not in NUMERIC_TYPES:
        problems.append(Problem(file, f"{key}.type", f"a scale register must be numeric, not "
                                                     f"{s.type}"))
        return None
    count = REGISTERS[s.type]
    if address is None or not _fits(address, count, s.type, key, file, problems):
        return None
    return ScaleRegister(table=tbl, address=address, count=count,
                         decode=make_decoder(s.type, s.byte_order or order), mode=s.mode)


def compile_modbus_profile(data: Any, file: str) -> CompiledModbusProfile:
    """Validate one ``protocol: modbus`` document and compile it; ConfigError names file + keys."""
    doc = validate_document(ProfileIn, data, file)
    problems = unknown_defaults(doc.defaults, _DEFAULTABLE, file)
    fields: list[ModbusField] = []
    seen: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    for i, raw in enumerate(doc.fields):
        key = f"fields.{i}"
        if not isinstance(raw, dict):
            problems.append(Problem(file, key, "a field must be a mapping"))
            continue
        merged = with_defaults(doc.defaults, raw, _DEFAULTABLE)
        if merged.get("table") in BIT_TABLES and "type" not in raw:
            merged.pop("type", None)  # a register default type does not apply to bits
        try:
            f = FieldIn.model_validate(merged)
        except ValidationError as exc:
            problems.extend(pydantic_problems(file, exc, prefix=("fields", i)))
            continue
        compiled = _compile_field(f, key, file, doc.byte_order, problems)
        if compiled is None:
            continue
        ident = (compiled.label or compiled.name, tuple(sorted(compiled.labels.items())))
        if ident in seen:
            problems.append(Problem(file, key, f"same name and labels as {seen[ident]}: add a "
                                               "label (e.g. phase) to tell them apart"))
        seen[ident] = key
        fields.append(compiled)
    if problems:
        raise ConfigError(problems)
    r = doc.requests
    return CompiledModbusProfile(
        name=doc.profile, description=doc.description, source_file=file, manual=doc.manual,
        fields=tuple(fields),
        requests=RequestOptions(max_registers=r.max_registers, max_gap=r.max_gap, pause=r.pause,
                                one_per_field=r.one_per_field,
                                close_after_poll=r.close_after_poll),
    )


def describe_modbus(profile: CompiledModbusProfile) -> dict[str, Any]:
    """A JSON-able description of a compiled Modbus profile, for ``dcmon profiles show``."""
    out: list[dict[str, Any]] = []
    for f in profile.fields:
        d: dict[str, Any] = {"name": f.name, "table": f.table, "address": f.address,
                             "type": f.type, "count": f.count}
        if f.register is not None:
            d["register"] = f.register
        if f.type not in ("BITS", "STRING") and f.count > 1:
            d["byte_order"] = f.byte_order
        if f.type == "BITS" and f.table not in BIT_TABLES:
            d.update({"bit": f.bit, "bits": f.bits})
        if f.unit:
            d["unit"] = f.unit
        if f.kind == "counter":
            d.update({"kind": "counter", "width": f.width, "cap": f.cap,
                      "resettable": f.resettable})
        if f.scale != 1:
            d["scale"] = f.scale
        if f.offset:
            d["offset"] = f.offset
        if f.scale_register:
            d["scale_register"] = {"table": f.scale_register.table,
                                   "address": f.scale_register.address,
                                   "mode": f.scale_register.mode}
        if f.sentinels:
            d["sentinels"] = sorted(f.sentinels)
        if f.labels:
            d["labels"] = dict(f.labels)
        if f.label:
            d["label"] = f.label
        if f.level:
            d["level"] = f.level
        out.append(d)
    r = profile.requests
    return {"profile": profile.name, "protocol": "modbus", "description": profile.description,
            "manual": profile.manual, "file": profile.source_file,
            "requests": {"max_registers": r.max_registers, "max_gap": r.max_gap,
                         "pause": r.pause, "one_per_field": r.one_per_field,
                         "close_after_poll": r.close_after_poll},
            "fields": out}
