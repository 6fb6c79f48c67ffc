"""Pick a profile for an agent: sysObjectID prefix first, then probe the generic MIBs.

Vendor profiles win over generic ones because a vendor MIB knows the device's own scaling and
levels; the generic UPS-MIB / ENTITY-SENSOR profiles are the fallback for anything else. When
nothing matches, the message names the sysObjectID and sysDescr so an operator can write a
profile (or report the device).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dcmon.collectors.snmp.api import BUDGET_REASONS, PollBudget, SnmpClient, SnmpError, SnmpTarget
from dcmon.collectors.snmp.collector import text
from dcmon.collectors.snmp.model import CompiledProfile

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"


@dataclass(frozen=True, slots=True)
class Detection:
    """The chosen profile (or None) and why."""

    profile: CompiledProfile | None
    sys_object_id: str
    sys_descr: str
    reason: str


def match_sys_object_id(profiles: Sequence[CompiledProfile],
                        sys_object_id: str) -> list[tuple[CompiledProfile, str]]:
    """Profiles whose sysObjectID prefix matches, most specific (longest) prefix first."""
    oid = sys_object_id.lstrip(".")
    hits = [(p, prefix) for p in profiles for prefix in p.sys_object_ids
            if oid == prefix or oid.startswith(prefix + ".")]
    hits.sort(key=lambda h: (-len(h[1].split(".")), h[0].name))
    return hits


async def detect(client: SnmpClient, target: SnmpTarget,
                 profiles: Sequence[CompiledProfile],
                 budget: PollBudget | None = None) -> Detection:
    """Ask the agent who it is and choose a profile. SnmpError propagates (device down), and
    so does the poll running out of its ``budget`` while probing."""
    vbs = await client.get(target, [SYS_OBJECT_ID, SYS_DESCR], budget)
    oid = str(vbs[0].value) if vbs[0].tag == "ObjectIdentifier" else ""
    descr = text(vbs[1]) if not vbs[1].is_exception else ""
    hits = match_sys_object_id(profiles, oid) if oid else []
    if hits:
        p, prefix = hits[0]
        others = ", ".join(h[0].name for h in hits[1:])
        why = f"sysObjectID {oid} matches prefix {prefix} of profile {p.name}"
        if others:
            why += f" (less specific matches: {others})"
        return Detection(p, oid, descr, why)
    for p in sorted((p for p in profiles if p.probe_oids),
                    key=lambda p: (p.probe_order, p.name)):
        try:
            got = await client.get(target, list(p.probe_oids), budget)
            present = [vb.oid for vb in got if not vb.is_exception]
            if not present:  # a table column: present when it has any row
                for column in p.probe_oids:
                    rows = await client.walk(target, column, budget)
                    if rows:
                        present = [rows[0].oid]
                        break
        except SnmpError as exc:
            if exc.reason in BUDGET_REASONS:
                raise
            continue
        if present:
            return Detection(p, oid, descr, f"no vendor profile matches sysObjectID "
                                            f"{oid or '(none)'}; the agent answers "
                                            f"{present[0]} of the generic profile {p.name}")
    return Detection(None, oid, descr, f"no profile matches sysObjectID {oid or '(none)'} "
                                       f"(sysDescr {descr!r}) and no generic MIB answered; "
                                       "write a profile for it or name one with --profile")
