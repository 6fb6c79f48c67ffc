"""sysDescr patterns: how a profile recognises agents whose sysObjectID says nothing.

Some families announce Net-SNMP's ``1.3.6.1.4.1.8072.3.2.10``, ``0.0`` or no sysObjectID at
all, and name themselves only in sysDescr ("IBM DPI ...", "8VD-X20 ..."). A profile may list
regular expressions under ``match.sys_descr``; an agent whose sysDescr matches one of them
(``re.search``, case-insensitive) makes the profile a candidate that detection then verifies by
what it reads, like a vendor probe.

The patterns run on text a device sends, so they are bounded where they are compiled: at most
:data:`MAX_PATTERN` characters; no repeated group that holds another repeat or an alternation,
at any depth (``(a+)+``, ``((a)+)+``, ``(a|a?)+``: the shapes of catastrophic backtracking),
and at most :data:`MAX_REPEATS` repeats in all (``a.*a.*a.*x`` is polynomial, and slow), found
by walking the parsed pattern rather than by looking at its text; and the sysDescr is cut
to :data:`MAX_DESCR` characters before matching. Detection runs on the event loop, so one slow
pattern would stall every poll.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from re import _parser as sre_parse  # type: ignore[attr-defined]  # the parser behind re
from typing import Any

#: Longest pattern a profile may declare.
MAX_PATTERN = 200
#: Characters of sysDescr matched (SNMPv2-MIB allows 255; agents send more).
MAX_DESCR = 512
_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT}
_POSSESSIVE = getattr(sre_parse, "POSSESSIVE_REPEAT", None)


def _items(value: Any) -> list[Any]:
    """The sub-patterns inside one parsed token's argument."""
    if isinstance(value, sre_parse.SubPattern):
        return [value]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _items(v)]
    return []


#: Repeats (of more than one) a pattern may hold: backtracking over k of them in sequence costs
#: up to n**k steps, and ``a.*a.*a.*x`` took 16 s on a 512-character sysDescr.
MAX_REPEATS = 2


def _repeats(sub: Any) -> int:
    """How many repeats of more than one the parsed pattern holds, at any depth."""
    n = 0
    for op, arg in sub:
        if op in _REPEATS or (_POSSESSIVE is not None and op == _POSSESSIVE):
            _lo, hi, body = arg
            n += int(hi is sre_parse.MAXREPEAT or hi > 1) + _repeats(body)
        elif op is sre_parse.BRANCH:
            n += sum(_repeats(b) for b in arg[1])
        else:
            n += sum(_repeats(x) for x in _items(arg))
    return n


def _risky(sub: Any, inside_repeat: bool) -> bool:
    """True when a repeat (of more than one) holds another repeat or an alternation."""
    for op, arg in sub:
        if op in _REPEATS or (_POSSESSIVE is not None and op == _POSSESSIVE):
            _lo, hi, body = arg
            many = hi is sre_parse.MAXREPEAT or hi > 1
            if many and inside_repeat:
                return True
            if _risky(body, inside_repeat or many):
                return True
        elif op is sre_parse.BRANCH:
            if inside_repeat:
                return True
            if any(_risky(b, inside_repeat) for b in arg[1]):
                return True
        elif any(_risky(x, inside_repeat) for x in _items(arg)):
            return True
    return False


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """One ``match.sys_descr`` entry compiled, or ValueError saying what is wrong with it."""
    if not pattern:
        raise ValueError("an empty pattern matches every agent")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern longer than {MAX_PATTERN} characters")
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None
    if _risky(parsed, False):
        raise ValueError(f"nested quantifier in {pattern!r} (catastrophic backtracking): "
                         "write it without a repeated group that holds a repeat or an "
                         "alternation")
    if _repeats(parsed) > MAX_REPEATS:
        raise ValueError(f"more than {MAX_REPEATS} repeats (*, +, {{m,n}}) in {pattern!r}: "
                         "backtracking over them is slow on long sysDescr texts")
    return compiled


def matching(patterns: Sequence[re.Pattern[str]], sys_descr: str) -> re.Pattern[str] | None:
    """The first pattern found in the (bounded) sysDescr, else None."""
    text = sys_descr[:MAX_DESCR]
    return next((p for p in patterns if p.search(text)), None) if text else None
