"""Read one YAML file for the inventory or a profile: safe loading and errors with a place.

Both the inventory and the device profiles are user input, so they share one reader, and every
way a file can be wrong ends as a :class:`ConfigError` naming the file (and the key or line),
never as a traceback:

- only the safe loader (no Python objects); syntax errors as ``line L, column C``;
- bytes that are not text: a binary file, UTF-16, or bytes that are not UTF-8;
- a duplicate key (YAML would silently keep the last one: a typo'd copy-paste of a device
  would override the first), reported with its key path and both lines;
- bounds, so a hostile or broken file cannot exhaust memory, stack or time: file size,
  nesting depth, integer length (``int()`` of a long digit string is quadratic), and the size
  the document grows to once its aliases are expanded (the "billion laughs" file);
- values the constructor cannot build (``2024-13-01``), at their key.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dcmon.errors import ConfigError, Problem

#: libyaml's C parser when PyYAML has it (about 10x faster on ~60 profile files), else Python's.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: Larger files are refused before parsing: the largest inventory (a city) is a few MB.
MAX_BYTES = 16 * 1024 * 1024
#: Deepest nesting of mappings and lists; an inventory needs about 10 levels.
MAX_DEPTH = 50
#: Nodes the document may grow to once aliases are expanded (a city inventory has ~200,000).
MAX_NODES = 2_000_000
#: Longest integer literal, in characters (a 64-bit counter has 20 digits).
MAX_INT_CHARS = 100
#: Syntax errors of files up to this size are re-worded by Python's parser (see _syntax_text).
_REWORD_MAX_CHARS = 1024 * 1024

_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def yaml_error_text(exc: yaml.YAMLError, what: str = "YAML syntax error") -> str:
    """Say where a YAML error is (1-based line and column) and what it is, on one line."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context_mark", None)
    if mark is not None:
        text = f"{what} at line {mark.line + 1}, column {mark.column + 1}: {problem}"
        if context is not None and context.line != mark.line:
            ctx = getattr(exc, "context", "") or "block"
            text += f" ({ctx} starting at line {context.line + 1})"
        return text
    return f"{what}: {problem}"


def _fail(file: str, message: str, key: str = "") -> ConfigError:
    return ConfigError([Problem(file, key, message)])


def _line_col(text: str | bytes, offset: int) -> tuple[int, int]:
    nl: Any = b"\n" if isinstance(text, bytes) else "\n"
    return text.count(nl, 0, offset) + 1, offset - text.rfind(nl, 0, offset)


def read_text(path: Path) -> str:
    """The file as text; refuses unreadable, oversized, binary and non-UTF-8 files."""
    file = str(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _fail(file, f"cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:  # a NUL byte in the path itself
        raise _fail(file, f"cannot read: {exc}") from None
    if len(data) > MAX_BYTES:
        raise _fail(file, f"the file is larger than {MAX_BYTES // 2**20} MiB: not an inventory "
                          "or profile")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _fail(file, "UTF-16 text: save the file as UTF-8")
    nul = data.find(b"\0")
    if nul >= 0:
        raise _fail(file, f"a binary file, not YAML text (NUL byte at offset {nul})")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise _fail(file, f"not UTF-8 text: byte 0x{data[exc.start]:02x} at line {line}, "
                          f"column {col} (save the file as UTF-8)") from None


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; raise ConfigError naming the file for every fault it can have."""
    return parse_yaml(read_text(path), str(path))


def parse_yaml(text: str, file: str) -> Any:
    """Parse YAML text read from ``file`` (named in the errors)."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:  # Python's composer; libyaml stops at 1,000 levels itself
            raise _fail(file, f"nested deeper than {MAX_DEPTH} levels") from None
        except yaml.YAMLError as exc:
            raise _fail(file, _syntax_text(exc, text)) from None
        if node is None:
            return None
        check_tree(node, file)
        loader.file, loader.root = file, node
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise _fail(file, yaml_error_text(exc, "YAML error")) from None
        except (ValueError, OverflowError) as exc:  # a constructor PyYAML may add later
            raise _fail(file, f"a value YAML cannot build: {exc}") from None
    finally:
        loader.dispose()


def _syntax_text(exc: yaml.YAMLError, text: str) -> str:
    """libyaml's messages are terser ("did not find expected ','"): say it as Python's parser
    does ("expected ',' or '}', but got ':'"), at the same line and column. Only the parser
    runs (no composer): it keeps its own stack, so a deep file cannot recurse."""
    if isinstance(exc, yaml.reader.ReaderError):
        line, col = _line_col(text, exc.position)
        return (f"YAML error at line {line}, column {col}: character #x{exc.character:04x} "
                "is not allowed in YAML text")
    problem = str(getattr(exc, "problem", "") or "")
    if problem == "but found another document":
        line = exc.problem_mark.line + 1  # type: ignore[attr-defined]
        return f"a second YAML document starts at line {line}: the file must hold one"
    if "maximum nesting depth" in problem:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        return f"nested deeper than {MAX_DEPTH} levels{where}"
    if SAFE_LOADER is not yaml.SafeLoader and len(text) <= _REWORD_MAX_CHARS:
        try:
            for _ in yaml.parse(text, Loader=yaml.SafeLoader):
                pass
        except yaml.YAMLError as py_exc:
            return yaml_error_text(py_exc)
    return yaml_error_text(exc)


def _where(node: Node) -> str:
    return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"


#: A node's place as a linked list up to the root: (parent's chain, key or index, parent).
Chain = tuple[Any, object, Node] | None


def _path(chain: Chain, last: object = None) -> str:
    """``sites.0.devices.3.host`` from a chain (and the last key, when given)."""
    parts = [] if last is None else [str(last)]
    while chain is not None:
        chain, part, _ = chain
        parts.append(str(part))
    return ".".join(reversed(parts))


def _part(key: Node) -> object:
    return key.value if isinstance(key, ScalarNode) else "?"


def _mapping_problems(node: MappingNode, chain: Chain, file: str) -> list[tuple[int, Problem]]:
    """Duplicate keys of one mapping (merge keys ``<<`` may repeat their keys: on purpose).

    Keys are equal when their resolved tag and text are (``1`` and ``'1'`` differ)."""
    first: dict[tuple[str, str], Node] = {}
    problems = []
    for key, _ in node.value:
        if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
            continue
        kid = (key.tag, key.value)
        if kid in first:
            line = key.start_mark.line + 1
            problems.append((line, Problem(file, _path(chain, key.value),
                                           f"duplicate key at line {line} (first at line "
                                           f"{first[kid].start_mark.line + 1}); YAML would "
                                           "keep only the last")))
        else:
            first[kid] = key
    return problems


def _int_problem(node: ScalarNode, path: str, file: str) -> tuple[int, Problem]:
    return node.start_mark.line + 1, Problem(file, path, f"integer too long: {len(node.value)} "
                                                          f"characters at {_where(node)} (at "
                                                          f"most {MAX_INT_CHARS})")


def _too_deep(node: Node, chain: Chain, file: str) -> ConfigError:
    """Past MAX_DEPTH: a recursive alias (a node inside itself) or plain deep nesting."""
    nodes, parts = [node], []
    link = chain
    while link is not None:
        link, part, parent = link
        nodes.append(parent)
        parts.append(part)
    nodes.reverse()
    parts.reverse()
    seen: set[int] = set()
    for depth, n in enumerate(nodes):  # from the root: where the alias first leads back
        if id(n) in seen:
            return _fail(file, f"an alias refers to a node that contains it (anchored at "
                               f"{_where(n)}): a recursive structure",
                         ".".join(str(p) for p in parts[:depth]))
        seen.add(id(n))
    return _fail(file, f"nested deeper than {MAX_DEPTH} levels at {_where(node)}",
                 _path(chain))


def check_tree(root: Node, file: str) -> None:
    """Walk the composed document once, iteratively (no recursion on hostile input).

    Refuses depth over :data:`MAX_DEPTH` (a recursive alias is infinitely deep) and growth over
    :data:`MAX_NODES` through aliases; collects duplicate keys and overlong integers. Scalars
    are checked in their parent's loop and key paths are built only for a problem: this walk
    runs on every profile at start-up.
    """
    problems: list[tuple[int, Problem]] = []  # (line, problem): reported in file order
    if isinstance(root, ScalarNode):
        if root.tag == _INT_TAG and len(root.value) > MAX_INT_CHARS:
            raise ConfigError([_int_problem(root, "", file)[1]])
        return
    checked: set[int] = set()
    visits = 0
    stack: list[tuple[Node, Chain, int]] = [(root, None, 1)]
    while stack:
        node, chain, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(node, chain, file)
        if isinstance(node, MappingNode):
            if id(node) not in checked:
                checked.add(id(node))
                problems.extend(_mapping_problems(node, chain, file))
            children = [(_part(k), v) for k, v in node.value]
        else:
            children = list(enumerate(node.value))
        visits += len(children) + 1
        if visits > MAX_NODES:
            raise _fail(file, f"the document grows past {MAX_NODES:,} values once its aliases "
                              "are expanded")
        for part, child in children:
            if not isinstance(child, ScalarNode):
                stack.append((child, (chain, part, node), depth + 1))
            elif child.tag == _INT_TAG and len(child.value) > MAX_INT_CHARS:
                problems.append(_int_problem(child, _path(chain, part), file))
    if problems:
        raise ConfigError(list(dict.fromkeys(p for _, p in sorted(problems,
                                                                  key=lambda lp: lp[0]))))


def find_path(root: Node, target: Node) -> str:
    """The key path of ``target`` in a document that passed :func:`check_tree`."""
    stack: list[tuple[Node, str]] = [(root, "")]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if isinstance(node, MappingNode):
            stack.extend((v, f"{path}.{_part(k)}" if path else str(_part(k)))
                         for k, v in node.value)
        elif isinstance(node, SequenceNode):
            stack.extend((v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(node.value))
    return ""


class _Loader(SAFE_LOADER):  # type: ignore[misc]  # PyYAML's loaders are untyped
    """The safe loader, reporting values it cannot build (``2024-13-01``) at their key.

    Only the timestamp constructor raises ValueError on text its resolver accepted (integers
    are bounded by :func:`check_tree` first), so only it is wrapped: a wrapper around every
    ``construct_object`` costs a quarter more time on the profiles."""

    file = ""
    root: Node | None = None

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _fail(self.file, f"{node.value!r} at {_where(node)} is not a valid value: "
                                   f"{exc}", find_path(self.root, node) if self.root else "") \
                from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
