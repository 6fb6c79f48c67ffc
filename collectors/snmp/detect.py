"""Pick a profile for an agent by what it reads, not only by what it says it is.

A sysObjectID names a vendor, rarely a product: many agents announce Net-SNMP's generic
``1.3.6.1.4.1.8072...``, ``0.0`` or nothing, and one vendor's card often runs several product
MIBs. So detection gathers a handful of *candidates* and lets the agent decide:

1. **Candidates.** Every profile whose sysObjectID prefix matches, and every profile of the same
   private enterprise (1.3.6.1.4.1.N); every profile whose ``match.probe`` OID the agent answers
   (one GET for all probes, then a walk of each table-column or group probe that GET did not
   answer); every profile whose ``match.sys_descr`` pattern is found in sysDescr (families
   that name themselves only there, :mod:`dcmon.collectors.snmp.descr`); and the standard-MIB
   profiles (``match.standard``: UPS-MIB, ENTITY-SENSOR-MIB, ENERGY-OBJECT-MIB,
   LM-SENSORS-MIB) whose probe answers.
2. **Verification.** A candidate is polled once, as the service would poll it, through a
   memo so that an OID two candidates share is asked once. Its score is the number of distinct
   readings (metric, unit and labels) the device would get with it: its own, plus what the
   standard MIBs add to it (:mod:`dcmon.collectors.snmp.complete`).
3. **Choice.** Among the candidates the agent *named* (a matching sysObjectID prefix or an
   answered vendor probe) the highest score wins; a tie goes to the most specific (a longer
   matching prefix, then a probe). Only when none of them reads anything do the *siblings*
   (profiles of the same enterprise written for another product's sysObjectID) and the
   standard MIBs compete, and the siblings are polled only then; when more siblings exist
   than polls are left (APC has 16 profiles), those with the most of their own vendor objects
   answered are polled first (:mod:`~dcmon.collectors.snmp.content`),
   so an APC model no profile names still gets the UPS profile. When still no vendor profile
   reads anything (nothing, or only a standard MIB), the agent's *content* decides: every other
   profile whose own vendor objects (under 1.3.6.1.4.1) the agent answers becomes a candidate,
   those with the most objects present first (:func:`by_content`): an agent announcing
   Net-SNMP's sysObjectID, ``0.0`` or an OEM's, that no declared probe catches, is still read
   by the profile written for its MIB. A sibling is not trusted over
   a named profile on count alone: products of one vendor reuse OIDs with other meanings (a
   Janitza UMG 604 layout read on a UMG 96 gives more readings, wrong ones). For the same
   reason, when the agent named none of them and two candidates that both read give the same
   OIDs different meanings (:func:`clash`), neither is chosen (a standard MIB that reads is
   kept): the reason names both, and ``--profile`` settles it. A candidate that
   reads nothing never wins, so an agent that answers SNMP either gets readings or one reason
   that names its sysObjectID, its vendor and what was tried.

Cost: two GETs (identity and probes), a walk of each column or group probe that the GET did
not answer (one GETBULK when the agent has nothing there), then one poll per candidate, at most
:data:`MAX_CANDIDATES` of them (siblings only when needed). The content scan, only for an agent
no vendor profile reads, adds one GET of every profile's vendor scalars and one GETBULK stream
over their vendor columns (a few dozen requests), then at most MAX_CANDIDATES more polls;
ranking siblings that do not all fit costs the same scan over their profiles only.
The probes' answers are kept for the candidates' polls, so a column both probe and profile
read is asked once. Detection runs once per device; :mod:`dcmon.collectors.snmp.device`
caches it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from dcmon.collectors.snmp.api import (
    BUDGET_REASONS,
    PollBudget,
    SnmpClient,
    SnmpError,
    SnmpTarget,
)
from dcmon.collectors.snmp.collector import SnmpCollector
from dcmon.collectors.snmp.complete import complete, distinct
from dcmon.collectors.snmp.content import (
    ENTERPRISES,
    FATAL,
    Memo,
    answers,
    hits,
    value_oids,
)
from dcmon.collectors.snmp.descr import matching
from dcmon.collectors.snmp.model import CompiledProfile
from dcmon.collectors.snmp.values import text
from dcmon.model import PollResult

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
ENTERPRISES_FILE = Path(__file__).resolve().parent / "enterprises.yaml"
#: Polls per detection, at most: the most specific candidates are verified first.
MAX_CANDIDATES = 8

#: Specificity of each way a profile becomes a candidate (higher wins a tie). Candidates at
#: _PROBE and above are ones the agent named itself (its sysObjectID, its sysDescr or its vendor
#: subtree). A sysDescr pattern is text the agent chose to send, so it ranks below a prefix and
#: above a probe.
_PREFIX, _DESCR, _PROBE, _ENTERPRISE, _CONTENT, _STANDARD = 3000, 2500, 2000, 1000, 500, 0


@dataclass(frozen=True, slots=True)
class Candidate:
    """One profile detection tried: how it was found, and what it read."""

    profile: CompiledProfile
    #: Why it was tried, e.g. "sysObjectID prefix 1.3.6.1.4.1.318.1.3.4.6".
    via: str
    specificity: int
    #: Distinct readings of the profile alone, and with the standard MIBs completing it.
    readings: int = 0
    score: int = 0
    #: Why the poll read nothing, when it failed (timeout, agent error).
    error: str = ""
    #: False when it was not polled: a sibling, while a candidate the agent named read something.
    tried: bool = True

    @property
    def named(self) -> bool:
        """The agent named this profile: its sysObjectID prefix or a vendor probe."""
        return self.specificity >= _PROBE


@dataclass(frozen=True, slots=True)
class Detection:
    """The chosen profile (or None), why, and every candidate with what it read."""

    profile: CompiledProfile | None
    sys_object_id: str
    sys_descr: str
    reason: str
    candidates: tuple[Candidate, ...] = ()
    #: Standard-MIB profiles that read something here and complete the chosen one.
    complements: tuple[CompiledProfile, ...] = ()


@cache
def enterprise_names() -> dict[int, str]:
    """Private enterprise number -> vendor name (``enterprises.yaml``)."""
    data = yaml.safe_load(ENTERPRISES_FILE.read_text(encoding="utf-8")) or {}
    return {int(k): str(v) for k, v in data.items()}


def enterprise_of(oid: str) -> int | None:
    """N of an OID under 1.3.6.1.4.1.N, else None (``0.0``, mib-2, empty)."""
    parts = oid.lstrip(".").split(".")
    if parts[:6] != ENTERPRISES.split(".") or len(parts) < 7 or not parts[6].isdigit():
        return None
    return int(parts[6])


def describe_enterprise(n: int | None) -> str:
    """``1.3.6.1.4.1.N (enterprise: Vendor)`` wording for messages."""
    if n is None:
        return "no private enterprise"
    return f"enterprise {n}: {enterprise_names().get(n, 'unknown vendor')}"


def match_sys_object_id(profiles: Sequence[object],
                        sys_object_id: str) -> list[tuple[CompiledProfile, str]]:
    """SNMP profiles whose sysObjectID prefix matches, most specific (longest) prefix first."""
    oid = sys_object_id.lstrip(".")
    hits = [(p, prefix) for p in profiles if isinstance(p, CompiledProfile)
            for prefix in p.sys_object_ids if oid == prefix or oid.startswith(prefix + ".")]
    hits.sort(key=lambda h: (-len(h[1].split(".")), h[0].name))
    return hits


def _by_sys_object_id(profiles: Sequence[CompiledProfile], oid: str) -> list[Candidate]:
    """Prefix matches (any tree), then the other profiles of the same enterprise."""
    out = [Candidate(p, f"sysObjectID prefix {prefix}", _PREFIX + len(prefix.split(".")))
           for p, prefix in match_sys_object_id(profiles, oid)] if oid else []
    n = enterprise_of(oid)
    if n is not None:
        for p in profiles:
            if any(enterprise_of(s) == n for s in p.sys_object_ids):
                out.append(Candidate(p, f"same enterprise {n}", _ENTERPRISE))
    return out


def _by_sys_descr(profiles: Sequence[CompiledProfile], descr: str) -> list[Candidate]:
    """Profiles with a ``match.sys_descr`` pattern found in the agent's sysDescr."""
    out = []
    for p in profiles:
        hit = matching(p.sys_descr, descr)
        if hit is not None:
            out.append(Candidate(p, f"sysDescr matches {hit.pattern!r}", _DESCR))
    return out


async def _probed(client: SnmpClient, target: SnmpTarget, profiles: Sequence[CompiledProfile],
                  budget: PollBudget) -> list[Candidate]:
    """Profiles whose probe OIDs the agent answers: one GET, then a walk per column probe."""
    probing = sorted((p for p in profiles if p.probe_oids), key=lambda p: (p.probe_order, p.name))
    oids = sorted({o for p in probing for o in p.probe_oids})
    present: set[str] = set()
    if oids:
        try:
            got = await client.get(target, oids, budget)
            present = {o for o, vb in zip(oids, got, strict=True) if answers(vb)}
        except SnmpError as exc:
            if exc.reason in FATAL:
                raise
    out: list[Candidate] = []
    for p in probing:
        hit = next((o for o in p.probe_oids if o in present), None)
        for column in (o for o in p.probe_oids if hit is None and not o.endswith(".0")):
            try:
                rows = await client.walk(target, column, budget)
            except SnmpError as exc:
                if exc.reason in FATAL:
                    raise
                continue
            if rows:
                hit = column
                break
        if hit is not None:
            kind = "standard MIB" if p.standard else "probe"
            out.append(Candidate(p, f"{kind} {hit} answers",
                                 _STANDARD if p.standard else _PROBE))
    return out


def _unique(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per profile (its most specific way in), most specific first."""
    best: dict[str, Candidate] = {}
    for c in cands:
        if c.profile.name not in best or c.specificity > best[c.profile.name].specificity:
            best[c.profile.name] = c
    return sorted(best.values(), key=lambda c: (-c.specificity, c.profile.probe_order,
                                                c.profile.name))


async def candidates(memo: Memo, target: SnmpTarget, profiles: Sequence[CompiledProfile],
                     sys_object_id: str, budget: PollBudget, sys_descr: str = ""
                     ) -> list[Candidate]:
    """The profiles worth verifying on this agent, most specific first: the ones it names (at
    most MAX_CANDIDATES with the standard MIBs), then every same-enterprise sibling, which
    :func:`verify` polls only when needed and then at most as many as still fit.

    Standard MIBs that answered are always kept (they complete whichever profile wins).
    """
    found = _unique([*_by_sys_object_id(profiles, sys_object_id),
                     *_by_sys_descr(profiles, sys_descr),
                     *await _probed(memo, target, profiles, budget)])
    standard = [c for c in found if c.profile.standard]
    vendor = [c for c in found if not c.profile.standard]        # most specific first
    named = [c for c in vendor if c.named][: max(0, MAX_CANDIDATES - len(standard))]
    return [*named, *(c for c in vendor if not c.named), *standard]


async def _ranked(memo: Memo, target: SnmpTarget, cands: Sequence[Candidate]) -> list[Candidate]:
    """``cands`` with the most of their own vendor objects answered first (the content scan,
    limited to these profiles; the order is kept among equals): when the siblings do not all
    fit (APC has 16 profiles), an unknown APC UPS model must not lose its UPS profile to the
    alphabet. Polling the ones ranked first then costs little more: the scan has asked for
    their objects already."""
    got = await hits(memo, target, [c.profile for c in cands])
    return sorted(cands, key=lambda c: -got.get(c.profile.name, 0))


async def _score(collector: SnmpCollector, target: SnmpTarget, cands: Sequence[Candidate],
                 polls: dict[str, PollResult], budget: PollBudget) -> None:
    for c in cands:
        if c.profile.name not in polls:
            polls[c.profile.name] = await collector.poll("detect", target, c.profile,
                                                         budget=budget)
            errors = polls[c.profile.name].errors
            if errors and errors[0].reason in BUDGET_REASONS:  # the poll's deadline or limits
                raise SnmpError(errors[0].reason, errors[0].message)


async def verify(memo: Memo, target: SnmpTarget, cands: Sequence[Candidate],
                 budget: PollBudget, polls: dict[str, PollResult] | None = None
                 ) -> list[Candidate]:
    """Poll the candidates once (sharing answers) and score each by what it reads.

    The standard MIBs and the candidates the agent named are polled; the others (siblings of
    the same enterprise, profiles found by content) only when no named candidate reads
    anything, and then as many new ones as fit in MAX_CANDIDATES polls, those with the most of
    their own objects answered first when not all fit (:func:`_ranked`). ``polls``: the polls
    of an earlier verification of some of these candidates, kept and added to (a candidate is
    polled once per detection, and one polled before is always in the result: a rival it
    showed must not vanish when later candidates are ranked).
    """
    collector = SnmpCollector(memo, include_outlets=True, table_walks=False)
    polls = {} if polls is None else polls
    first = [c for c in cands if c.named or c.profile.standard]
    others = [c for c in cands if not (c.named or c.profile.standard)]
    room = max(0, MAX_CANDIDATES - len(first))
    await _score(collector, target, first, polls, budget)
    if polls and all(not r.ok and r.errors and r.errors[0].reason == "timeout"
                     for r in polls.values()):
        first_error = next(iter(polls.values())).errors[0]
        raise SnmpError(first_error.reason, first_error.message)
    done = [c for c in others if c.profile.name in polls]
    fresh = [c for c in others if c.profile.name not in polls]
    if not any(polls[c.profile.name].readings for c in first if c.named):
        if len(fresh) > room:
            fresh = await _ranked(memo, target, fresh)
        await _score(collector, target, fresh[:room], polls, budget)
    others = [*done, *fresh[:room]]
    standard = sorted((c for c in cands if c.profile.standard),
                      key=lambda c: (c.profile.probe_order, c.profile.name))
    shown = {c.profile.name for c in [*first, *others]}
    out = []
    for c in (c for c in cands if c.profile.name in shown):
        own = polls.get(c.profile.name)
        if own is None:
            out.append(dataclasses.replace(c, tried=False))
            continue
        rest = [polls[s.profile.name] for s in standard if s.profile.name != c.profile.name]
        merged = complete(own.readings, [r.readings for r in rest])
        error = "" if own.ok else "; ".join(e.message for e in own.errors)
        out.append(dataclasses.replace(c, readings=distinct(own.readings), error=error,
                                       score=distinct(merged) if own.readings else 0))
    return out


def choose(verified: Sequence[Candidate]) -> Candidate | None:
    """The candidate that reads the most, among those the agent named when one of them reads;
    ties go to the most specific. None when nothing reads (a profile that only completes others,
    ``match.complement_only``, is never chosen)."""
    reading = _reading(verified)
    named = [c for c in reading if c.named]
    if clashing(verified):      # two layouts, no way to tell: at most a standard MIB, which
        reading = [c for c in reading if c.profile.standard]   # never clashes
    return max(named or reading, key=_rank) if reading else None


def _reading(verified: Sequence[Candidate]) -> list[Candidate]:
    """The candidates that read something and may be a device's profile."""
    return [c for c in verified if c.readings > 0 and not c.profile.complement_only]


def clashing(verified: Sequence[Candidate]) -> list[str]:
    """The profiles :func:`choose` refuses because they read the agent's objects as different
    layouts and the agent named none of them (sorted); empty when it refuses none."""
    reading = _reading(verified)
    vendor = [c for c in reading if not c.profile.standard]
    if not vendor or any(c.named for c in reading):
        return []
    best = max(vendor, key=_rank)
    rivals = [c for c in reading if c is not best and clash(best.profile, c.profile)]
    return sorted(c.profile.name for c in (best, *rivals)) if rivals else []


def _rank(c: Candidate) -> tuple[int, int, int]:
    return (c.score, c.specificity, -c.profile.probe_order)


def clash(a: CompiledProfile, b: CompiledProfile) -> list[str]:
    """OIDs both profiles read as different quantities or at different scales (a Janitza UMG 96
    power factor is a UMG 604 apparent power). Transforms and unit settings are not compared:
    two profiles may reach the same value by different routes."""
    def meanings(p: CompiledProfile) -> dict[str, set[tuple[str, str, float, float]]]:
        out: dict[str, set[tuple[str, str, float, float]]] = {}
        for m in p.metrics:
            for oid, scale, offset in value_oids(m):
                out.setdefault(oid, set()).add((m.name, m.unit, scale, offset))
        return out
    ma, mb = meanings(a), meanings(b)
    return sorted(o for o in ma.keys() & mb.keys() if ma[o] != mb[o])


async def identify(client: SnmpClient, target: SnmpTarget,
                   budget: PollBudget | None = None) -> tuple[str, str]:
    """sysObjectID (empty when absent or not an OID) and sysDescr. SnmpError: device down."""
    vbs = await client.get(target, [SYS_OBJECT_ID, SYS_DESCR], budget)
    oid = str(vbs[0].value).lstrip(".") if vbs[0].tag == "ObjectIdentifier" else ""
    descr = text(vbs[1]) if answers(vbs[1]) else ""
    return oid, descr


async def by_content(memo: Memo, target: SnmpTarget, profiles: Sequence[CompiledProfile],
                     tried: set[str]) -> list[Candidate]:
    """Profiles whose own vendor objects the agent has, when nothing it named reads anything:
    an agent that announces a generic or foreign sysObjectID (Net-SNMP's, ``0.0``, an OEM's)
    and no probe any profile declares. One GET for the scalars and one GETBULK stream for the
    columns of every profile not tried yet; the profiles with the most objects present first.
    """
    rest = [p for p in profiles if p.name not in tried and not p.standard]
    got = await hits(memo, target, rest)
    found = sorted((p for p in rest if got[p.name]), key=lambda p: (-got[p.name], p.name))
    return [Candidate(p, f"content: {got[p.name]} of its objects answer", _CONTENT)
            for p in found[:MAX_CANDIDATES]]


async def detect(client: SnmpClient, target: SnmpTarget, profiles: Sequence[object],
                 budget: PollBudget | None = None) -> Detection:
    """Ask the agent who it is, verify the candidates, choose. SnmpError: device down, or the
    poll's deadline or limits reached (``budget``: the poll's, so detection counts in it)."""
    budget = budget or PollBudget()
    snmp = [p for p in profiles if isinstance(p, CompiledProfile)]
    oid, descr = await identify(client, target, budget)
    memo = Memo(client, budget)     # probes' answers serve the verification polls too
    cands = await candidates(memo, target, snmp, oid, budget, descr)
    polls: dict[str, PollResult] = {}
    verified = await verify(memo, target, cands, budget, polls)
    best = choose(verified)
    if best is None or best.profile.standard:  # no vendor profile reads: look at the content
        try:
            more = await by_content(memo, target, snmp, {c.profile.name for c in cands})
            if more:
                verified = await verify(memo, target, [*cands, *more], budget, polls)
                best = choose(verified)
        except SnmpError as exc:  # the scan ran out of time or limits: keep what was found
            if best is None and exc.reason == "timeout":  # (the device stopped answering)
                raise
    shown = oid or "(none)"
    if best is None:
        return Detection(None, oid, descr, _nothing(shown, descr, verified), tuple(verified))
    complements = tuple(sorted((c.profile for c in verified if c.profile.standard
                                and c.readings and c.profile.name != best.profile.name),
                               key=lambda p: (p.probe_order, p.name)))
    why = (f"{best.profile.name} reads {best.score} distinct readings"
           + (f" ({best.readings} its own)" if best.score != best.readings else "")
           + f", found by {best.via}")
    rivals = [c for c in verified if c is not best and c.readings]
    if rivals:
        why += "; others read " + ", ".join(f"{c.profile.name} {c.score}" for c in rivals)
    if complements:
        why += "; completed by " + ", ".join(p.name for p in complements)
    refused = clashing(verified)
    if refused:
        why += (f"; not chosen: {', '.join(refused)}, which give the same objects different "
                "meanings (name the right one with --profile)")
    return Detection(best.profile, oid, descr, why, tuple(verified), complements)


def _nothing(oid: str, descr: str, verified: Sequence[Candidate]) -> str:
    """The one reason an answering agent gets no readings."""
    where = f"no profile for sysObjectID {oid} ({describe_enterprise(enterprise_of(oid))})"
    if verified:
        refused = clashing(verified)
        if refused:
            return (f"{where}; {', '.join(refused)} all read this agent but give the same objects "
                    f"different meanings and the agent names none of them; sysDescr {descr!r}: "
                    "name the right one with --profile")
        quiet = [c.profile.name for c in verified if not c.readings]
        only = [c.profile.name for c in verified if c.readings]
        parts = [where]
        if quiet:
            parts.append(f"closest candidates read nothing ({', '.join(quiet)})")
        if only:
            parts.append(f"{', '.join(only)} only completes a profile, never is one")
        return (f"{'; '.join(parts)}; sysDescr {descr!r}: write a profile for it or name one "
                "with --profile")
    return (f"{where}; no profile knows this enterprise and no vendor or standard MIB probe "
            f"answered; sysDescr {descr!r}: write a profile for it or name one with --profile")
