"""Raw SNMP values to numbers in a metric's unit: the fixed order scale, digits, offset, then
the unit transform, and the device settings that may choose scale, offset and transform.

Kept apart from the collector so that each rule is one small function the tests can call.
"""

from __future__ import annotations

import re
from typing import TypeGuard

from dcmon.collectors.snmp.api import VarBind
from dcmon.collectors.snmp.model import Setting, SettingCase, SnmpMetric

#: A text reading: a decimal number at the start (after blanks), optionally followed by a unit
#: ("23.5", " -4.0 C", "230V"). Not a number followed by more digits after a comma or point
#: ("1,500": thousands or a decimal comma, either way not 1), and not a number inside words
#: ("Sensor 2 fault", "N/A").
_NUMBER = rb"\s*([-+]?\d+(?:\.\d+)?)"
_NUMBER_RE = re.compile(_NUMBER + rb"(?![\d]|[.,]\d)")
_ONLY_NUMBER_RE = re.compile(_NUMBER + rb"\s*")


def numeric(vb: VarBind) -> float | None:
    """The number in a VarBind: ints as they are, a text that starts with a number parsed."""
    v = vb.value
    if isinstance(v, int):
        return float(v)
    if isinstance(v, bytes):
        m = _NUMBER_RE.match(v)
        return float(m.group(1)) if m else None
    return None


def whole_number(vb: VarBind) -> float | None:
    """The number a status cell holds: an integer, or a text that is a number and nothing else
    (a firmware that shifts its columns puts serial numbers and names where a status belongs;
    digits inside those are no status)."""
    v = vb.value
    if isinstance(v, bytes):
        m = _ONLY_NUMBER_RE.fullmatch(v)
        return float(m.group(1)) if m else None
    return numeric(vb)


def text(vb: VarBind) -> str:
    """A label-safe text form of a VarBind (strings decoded, control characters dropped)."""
    v = vb.value
    if isinstance(v, bytes):
        s = v.decode("utf-8", "replace")
        if s.isprintable():  # nearly always: skip the filter, one call per character
            return s.strip()
        return "".join(ch for ch in s if ch.isprintable()).strip()
    return "" if v is None else str(v)


def scale_digits(mode: str, n: float) -> float:
    if mode == "decimal_digits":
        return float(10.0 ** (-n))
    if mode == "entity_scale":  # ENTITY-SENSOR-MIB SensorDataScale: units(9) = 10^0
        return float(10.0 ** ((n - 9) * 3))
    if mode == "divisor":
        return 1.0 / n if n else 1.0
    if mode == "multiplier":
        return n
    if mode == "signed_scale":  # Rittal CMC III: -10 divides by 10, 10 multiplies, 0 is 1
        return 1.0 / -n if n < 0 else (n if n > 0 else 1.0)
    return float(10.0**n)


def convert(metric: SnmpMetric, raw: float, digits_factor: float = 1.0,
            scale: float | None = None, offset: float | None = None,
            case: SettingCase | None = None) -> float:
    """raw -> value in the metric's unit: scale, digits, offset, then unit transform (a
    setting's case replaces the metric's scale, offset and transform where it gives them)."""
    if case is not None:
        scale = case.scale if case.scale is not None else scale
        offset = case.offset if case.offset is not None else offset
    scale = metric.scale if scale is None else scale
    offset = metric.offset if offset is None else offset
    value = raw * scale * digits_factor + offset
    transform = case.transform if case is not None and case.transform else metric.transform
    if transform == "fahrenheit":
        value = (value - 32.0) / 1.8
    return value


#: How far (in raw units) F - 1.8 C may stray from 32/scale: each value is rounded to a whole
#: raw unit, so the two roundings move it by at most 1.8 x 0.5 + 0.5 = 1.4.
TWIN_TOLERANCE = 2.0


def twin_case(setting: Setting, vb: VarBind | None,
              raw: float | None) -> tuple[SettingCase | None, str]:
    """The scale at which a Celsius value ``raw`` and its Fahrenheit twin ``vb`` agree.

    With one scale s for both, F*s = 1.8*C*s + 32, so F - 1.8*C = 32/s: 32 for whole degrees,
    320 for tenths, 3200 for hundredths, far apart whatever the temperature. A pair that fits
    none is not read; a pair of zeros (a port with nothing plugged in) is silently not read.
    """
    f = numeric(vb) if present(vb) else None
    if raw is None or f is None:
        return None, f"no Fahrenheit twin at {setting.oid}"
    if raw == 0 and f == 0:
        return None, ""
    d = f - 1.8 * raw
    for s in setting.twin_scales:
        if abs(d - 32 / s) <= TWIN_TOLERANCE:
            return SettingCase(scale=s), ""
    return None, (f"{setting.oid} = {f:g} (Fahrenheit) fits {raw:g} (Celsius) at none of the "
                  f"scales {list(setting.twin_scales)}")


def setting_case(setting: Setting, vb: VarBind | None, raw: float | None = None,
                 known_absent: bool = True) -> tuple[SettingCase | None, str]:
    """The case a device setting selects, or None and why (absent, or a value not listed; an
    empty why: nothing to read, no error). ``raw`` is the reading's own value, which a
    Fahrenheit twin is compared with. ``known_absent`` False: the setting is missing here but
    not known to be absent from the agent (it refused the object with an error, or it is a
    column that answers other rows), so ``absent`` does not apply: a Fahrenheit probe must not
    be read as Celsius."""
    if setting.twin_scales:
        return twin_case(setting, vb, raw)
    if vb is None or vb.is_exception:
        if setting.absent is not None and known_absent:
            return setting.cases[setting.absent], ""
        return None, f"no setting at {setting.oid}"
    n = numeric(vb)
    case = setting.cases.get(int(n)) if n is not None and n.is_integer() else None
    if case is None:
        return None, (f"setting {vb.oid} = {text(vb)!r} is none of "
                      f"{sorted(setting.cases)}")
    return case, ""


def present(vb: VarBind | None) -> TypeGuard[VarBind]:
    """A cell with a value: the agent answered the object (not noSuch*/endOfMibView)."""
    return vb is not None and not vb.is_exception


def unavailable(m: SnmpMetric, vb: VarBind, raw: float | None) -> bool:
    """Whether an answered cell (its number ``raw``, None when it has none) says "not
    available": NULL, a declared sentinel, a value below the metric's ``sentinel_below`` bound,
    or a text without a number where the metric skips those. The one rule both the reading and
    the unit-setting check follow."""
    if raw is None:
        return vb.tag == "Null" or (m.skip_non_numeric and isinstance(vb.value, bytes))
    return raw in m.sentinels or (m.sentinel_below is not None and raw < m.sentinel_below)


def nothing_to_read(m: SnmpMetric, *vbs: VarBind | None) -> bool:
    """Whether a row offers nothing but absent cells and cells that say "not available" (no
    probe present): such a row needs no unit setting, so a missing setting is then no error."""
    return all(not present(vb) or unavailable(m, vb, numeric(vb)) for vb in vbs)
