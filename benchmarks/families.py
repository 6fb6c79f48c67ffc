"""Which dcmon profile reads each LibreNMS power/environment family, or why none does.

Reads the family list (``$DCMON_SHARED_DIR/mibs/README.md``), each family's detection facts
(``$DCMON_SHARED_DIR/mibs/_os_detection/<os>.yaml``: sysObjectID prefixes, whether LibreNMS reads it
through UPS-MIB), dcmon's profiles, and the hand-kept notes in ``benchmarks/families.yaml``
(families found by probing, and why a family has no profile). Prints the markdown table of
docs/device-coverage.md ("Families").

    .venv/bin/python benchmarks/families.py [--shared DIR] > table.md

``--shared`` defaults to ``$DCMON_SHARED_DIR``, else a ``shared`` folder beside the checkout.

A family maps to the profiles its note names, else (when its note gives no reason for having
none) to the profiles whose sysObjectID prefix covers one of its prefixes (or lies inside
one), else to ``ups_mib`` when LibreNMS reads it as an RFC 1628 UPS, else it is listed as not
read.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dcmon.collectors.registry import ProfileRegistry  # noqa: E402
from dcmon.collectors.snmp.model import CompiledProfile  # noqa: E402

NOTES = Path(__file__).resolve().parent / "families.yaml"
_ROW = re.compile(r"^\| ([a-z0-9-]+) \| (.+?) \| (power|environment) \| (.+?) \|$")


def families(readme: Path) -> list[tuple[str, str, str]]:
    """(os, product text, type) of every row of the README's family table."""
    out = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line.strip())
        if m and m.group(1) != "os":
            out.append((m.group(1), m.group(2), m.group(3)))
    return out


def detection(path: Path) -> tuple[list[str], bool]:
    """The family's sysObjectID prefixes and whether LibreNMS reads it as an RFC 1628 UPS."""
    if not path.is_file():
        return [], False
    doc: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    prefixes: list[str] = []
    for rule in doc.get("discovery") or []:
        given = rule.get("sysObjectID") or []
        for oid in [given] if isinstance(given, str) else given:
            prefixes.append(str(oid).strip(".").strip())
    return prefixes, bool(doc.get("rfc1628_compat"))


def by_prefix(profiles: list[CompiledProfile], prefixes: list[str]) -> list[str]:
    """Profiles whose sysObjectID prefix covers one of ``prefixes``, or lies inside one."""
    hits: set[str] = set()
    for p in profiles:
        for mine in p.sys_object_ids:
            for theirs in prefixes:
                if (theirs == mine or theirs.startswith(mine + ".")
                        or mine.startswith(theirs + ".")):
                    hits.add(p.name)
    return sorted(hits)


def mapping(shared: Path) -> list[tuple[str, str, str, str]]:
    """(os, product, profiles, how) for every family."""
    reg = ProfileRegistry.load()
    profiles = reg.snmp()
    notes: dict[str, dict[str, Any]] = yaml.safe_load(NOTES.read_text(encoding="utf-8")) or {}
    rows = []
    for os_name, text, _type in families(shared / "mibs" / "README.md"):
        prefixes, rfc1628 = detection(shared / "mibs" / "_os_detection" / f"{os_name}.yaml")
        note = notes.get(os_name, {})
        named = by_prefix(profiles, prefixes)
        if note.get("profile"):
            names = [str(n) for n in ([note["profile"]] if isinstance(note["profile"], str)
                                      else note["profile"])]
            missing = [n for n in names if n not in reg]
            if missing:
                raise SystemExit(f"{NOTES}: {os_name}: unknown profile {missing}")
            rows.append((os_name, text, ", ".join(names), str(note.get("why", ""))))
        elif note.get("why"):        # no profile, although a prefix may cover it
            rows.append((os_name, text, "-", str(note["why"])))
        elif named:
            rows.append((os_name, text, ", ".join(named),
                         "sysObjectID " + ", ".join(prefixes)))
        elif rfc1628:
            rows.append((os_name, text, "ups_mib", "RFC 1628 UPS-MIB agent (standard MIB)"))
        else:
            rows.append((os_name, text, "-", str(note.get("why", "no profile yet"))))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path,
                    default=Path(os.environ.get("DCMON_SHARED_DIR") or REPO.parent / "shared"))
    args = ap.parse_args()
    rows = mapping(args.shared)
    print("| LibreNMS family | product | dcmon profile | how it is found, or why none |")
    print("|---|---|---|---|")
    for os_name, text, profile, how in rows:
        print(f"| {os_name} | {text} | {profile} | {how} |")
    read = sum(1 for r in rows if r[2] != "-")
    print(f"\n{read} of {len(rows)} families are read by a profile; "
          f"{len(rows) - read} are not (the last column says why).")


if __name__ == "__main__":
    main()
