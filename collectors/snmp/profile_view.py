"""What ``dcmon profiles show`` prints for a compiled SNMP profile: the keys a profile author
would write, resolved (defaults merged, OIDs normalised), so a user sees what will be polled.

Kept apart from :mod:`dcmon.collectors.snmp.profile` (which compiles) so that module stays a
validator only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dcmon.collectors.snmp.model import CompiledProfile, SettingCase, SnmpMetric, Where


def describe_snmp(profile: CompiledProfile) -> dict[str, Any]:
    """A JSON-able description of a compiled SNMP profile, for ``dcmon profiles show``."""
    return {
        "profile": profile.name,
        "protocol": profile.protocol,
        "description": profile.description,
        "mib": profile.mib,
        "file": profile.source_file,
        "match": {"sys_object_id": list(profile.sys_object_ids),
                  "probe": list(profile.probe_oids), "probe_order": profile.probe_order,
                  "standard": profile.standard, "complement_only": profile.complement_only,
                  "sys_descr": [p.pattern for p in profile.sys_descr]},
        "max_repetitions": profile.max_repetitions,
        "metrics": [_describe_metric(m) for m in profile.metrics],
    }


def vars_of(case: SettingCase) -> dict[str, Any]:
    """A setting case's fields (slots dataclass: no __dict__)."""
    return {"scale": case.scale, "offset": case.offset, "transform": case.transform}


def _describe_metric(m: SnmpMetric) -> Mapping[str, Any]:
    out: dict[str, Any] = {"name": m.name, "oid": m.oid, "unit": m.unit, "kind": m.kind}
    if m.scale != 1:
        out["scale"] = m.scale
    if m.offset:
        out["offset"] = m.offset
    if m.index is not None:
        out["index"] = [p.label if p.match is None else f"{p.label}={p.match}" for p in m.index]
    if m.labels:
        out["labels"] = dict(m.labels)
    if m.sentinels:
        out["sentinels"] = sorted(m.sentinels)
    if m.sentinel_below is not None:
        out["sentinel_below"] = m.sentinel_below
    if m.digits:
        out["digits"] = {"oid": m.digits.oid, "mode": m.digits.mode}
    if m.setting:
        out["setting"] = {"oid": m.setting.oid, "scalar": m.setting.index_labels is None,
                          "cases": {k: {f: v for f, v in vars_of(c).items() if v is not None}
                                    for k, c in sorted(m.setting.cases.items())}}
        if m.setting.absent is not None:
            out["setting"]["absent"] = m.setting.absent
        if m.setting.twin_scales:
            out["setting"]["fahrenheit_twin"] = list(m.setting.twin_scales)
    if m.lookups:
        out["lookups"] = [{"label": lk.label, "oid": lk.oid} for lk in m.lookups]
    if m.kind == "counter":
        out.update({"width": m.width, "cap": m.cap, "resettable": m.resettable,
                    "reset_time_oid": m.reset_time_oid})
    if m.level:
        out["level"] = m.level
    if m.rack_power:
        out["rack_power"] = True
    if m.wheres:
        out["where"] = [_where_out(w) for w in m.wheres]
    if m.fallback:
        out["fallback"] = {"oid": m.fallback.oid, "scale": m.fallback.scale}
        if m.fallback.agree is not None:
            out["fallback"]["agree"] = m.fallback.agree
    if m.optional:
        out["optional"] = True
    if m.skip_non_numeric:
        out["non_numeric"] = "skip"
    if m.transform != "number":
        out["transform"] = m.transform
    return out


def _where_out(w: Where) -> dict[str, Any]:
    """A ``where`` as ``profiles show`` prints it: the keys a profile would write."""
    if w.exists is not None:
        out: dict[str, Any] = {"oid": w.oid, "exists": w.exists}
    elif w.texts:
        out = {"oid": w.oid, ("text_not_equals" if w.negate else "text_equals"): sorted(w.texts)}
    else:
        out = {"oid": w.oid, ("not_equals" if w.negate else "equals"): sorted(w.values)}
    if w.scalar:
        out["scalar"] = True
    if w.keep_absent:
        out["keep_absent"] = True
    elif w.without_column:
        out["keep_absent"] = "column"
    return out
