"""Read the package's own source as data: modules, their imports (module- and function-level),
sizes. The layout tests use it to keep the tree as docs/architecture.md draws it."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dcmon"


@dataclass(frozen=True, slots=True)
class Module:
    """One module of the installed package ``dcmon`` and the file it comes from."""

    name: str
    path: Path


def modules() -> list[Module]:
    """Every module of ``dcmon`` (following the links to collectors/ and exporters/)."""
    out = []
    files = [Path(d) / f for d, _, names in os.walk(PACKAGE, followlinks=True) for f in names
             if f.endswith(".py")]
    for path in sorted(files):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = ["dcmon", *rel.parts]
        if parts[-1] == "__init__":
            parts.pop()
        out.append(Module(".".join(parts), path))
    return out


def _resolve(mod: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.name.split(".")
    if mod.path.name != "__init__.py":
        base.pop()
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(mod: Module, known: set[str]) -> Iterator[str]:
    """Project modules that ``mod`` imports anywhere in its body, functions included.

    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module.
    """
    tree = ast.parse(mod.path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    yield alias.name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(mod, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in known:
                    yield sub
                elif base in known:
                    yield base


def graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (its own package's __init__ aside)."""
    mods = modules()
    known = {m.name for m in mods}
    return {m.name: {t for t in imports(m, known) if t != m.name} for m in mods}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def long_functions(limit: int) -> Iterator[tuple[str, int]]:
    """``path:line name`` and length of every function longer than ``limit`` lines."""
    for mod in modules():
        tree = ast.parse(mod.path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > limit:
                    yield f"{mod.path.relative_to(ROOT)}:{node.lineno} {node.name}", n
