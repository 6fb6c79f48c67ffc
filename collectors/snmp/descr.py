"""sysDescr patterns: how a profile recognises agents whose sysObjectID says nothing.

Some families announce Net-SNMP's ``1.3.6.1.4.1.8072.3.2.10``, ``0.0`` or no sysObjectID at
all, and name themselves only in sysDescr ("IBM DPI ...", "8VD-X20 ..."). A profile may list
regular expressions under ``match.sys_descr``; an agent whose sysDescr matches one of them
(``re.search``, case-insensitive) makes the profile a candidate that detection then verifies by
what it reads, like a vendor probe.

The patterns run on text a device sends, so they are bounded where they are compiled: at most
:data:`MAX_PATTERN` characters, no nested quantifier (``(a+)+``, the shape of catastrophic
backtracking), and the sysDescr is cut to :data:`MAX_DESCR` characters before matching.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Longest pattern a profile may declare.
MAX_PATTERN = 200
#: Characters of sysDescr matched (SNMPv2-MIB allows 255; agents send more).
MAX_DESCR = 512
#: A group that holds a quantifier and is itself quantified: exponential backtracking.
_NESTED = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """One ``match.sys_descr`` entry compiled, or ValueError saying what is wrong with it."""
    if not pattern:
        raise ValueError("an empty pattern matches every agent")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern longer than {MAX_PATTERN} characters")
    if _NESTED.search(pattern):
        raise ValueError(f"nested quantifier in {pattern!r} (catastrophic backtracking): "
                         "write it without a quantified group that holds a quantifier")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None


def matching(patterns: Sequence[re.Pattern[str]], sys_descr: str) -> re.Pattern[str] | None:
    """The first pattern found in the (bounded) sysDescr, else None."""
    text = sys_descr[:MAX_DESCR]
    return next((p for p in patterns if p.search(text)), None) if text else None
