"""Write constraints.txt: exact pins of dcmon's runtime dependencies and everything they pull in,
as resolved in the environment this runs in (a `pip freeze` cut to the dependency closure).

pyproject.toml states ranges (what dcmon works with); constraints.txt states the one set the
tests passed with, so an image built today and one built next year install the same code:

    pip install -c constraints.txt .

Run it from the environment the suite passed in, after changing a dependency;
tests/test_packaging.py fails while a runtime dependency is missing from the file or pinned
outside pyproject's range.

    .venv/bin/python scripts/constraints.py > constraints.txt
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


#: This interpreter's marker environment (platform, Python version), as plain strings.
_ENV = {k: str(v) for k, v in default_environment().items()}


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """``[project] dependencies`` (not the dev or dashboards extras)."""
    doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return [Requirement(r) for r in doc["project"]["dependencies"]]


def closure(roots: list[Requirement]) -> dict[str, str]:
    """Canonical name -> installed version of ``roots`` and their requirements, transitively
    (markers evaluated for this interpreter; extras followed where a requirement asks)."""
    pins: dict[str, str] = {}
    todo = [(r, frozenset(r.extras)) for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = metadata.distribution(req.name)
        pins[name] = dist.version
        for spec in dist.requires or []:
            sub = Requirement(spec)
            wanted = [{**_ENV, "extra": e} for e in extras or {""}]
            if sub.marker is None or any(sub.marker.evaluate(env) for env in wanted):
                todo.append((sub, frozenset(sub.extras)))
    return pins


def render(pins: dict[str, str]) -> str:
    head = ("# Exact pins of dcmon's runtime dependencies and their dependencies, as tested.\n"
            f"# Python {sys.version_info.major}.{sys.version_info.minor}; regenerate with:\n"
            "#   .venv/bin/python scripts/constraints.py > constraints.txt\n"
            "# Use: pip install -c constraints.txt .   (docs/deployment.md)\n")
    return head + "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))


if __name__ == "__main__":
    sys.stdout.write(render(closure(runtime_requirements())))
