"""Flat rows and CSV from nested results, for spreadsheets.

CSV is written as UTF-8 with a byte-order mark: without it, Excel opens UTF-8 as the local code
page and Chinese names turn into mojibake. Nested objects become dotted columns
(``headroom.kw``), a rack's feeds become ``feeds.A.current_a``, and lists of words (stale
devices, flags) are joined with ``;``. Empty cells mean "not measured", never zero.

Every text cell (and header) that a spreadsheet would read as a formula is defused: names come
from the inventory and alert labels, and a site named ``=HYPERLINK(...)`` must not become a live
link or a DDE call when someone opens the export. A cell starting with ``= + - @``, a tab or a
carriage return gets a leading single quote (OWASP's "CSV injection" advice), so the spreadsheet
shows it as text. Numbers stay numbers: ``-1.5`` is written as is, whether it comes as a float
or as text that is nothing but a decimal number.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

BOM = "\ufeff"
#: What a spreadsheet may take as the start of a formula (or of a DDE call).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text that is only a decimal number is no formula, so ``-1.5`` stays a number.
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def to_plain(obj: Any) -> Any:
    """Dataclasses and pydantic models to dicts and lists, recursively."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return to_plain(dump())
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    return obj


def flatten(obj: Any, prefix: str = "", skip: Sequence[str] = ()) -> dict[str, Any]:
    """One flat row: dotted keys, feeds keyed by their name, word lists joined by ';'."""
    out: dict[str, Any] = {}
    plain = to_plain(obj)
    if not isinstance(plain, dict):
        return {prefix.rstrip(".") or "value": plain}
    for k, v in plain.items():
        key = f"{prefix}{k}"
        if key in skip:
            continue
        if isinstance(v, dict):
            out.update(flatten(v, f"{key}.", skip))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for i, item in enumerate(v):
                name = item.get("feed") or item.get("id") or str(i)
                out.update(flatten(item, f"{key}.{name}.", skip))
        elif isinstance(v, list):
            out[key] = ";".join(str(x) for x in v)
        else:
            out[key] = v
    return out


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text (with BOM) of rows; the header is the union of keys in first-seen order. Every
    text cell is passed through :func:`defuse`, so no cell opens as a formula."""
    rows = list(rows)
    header: dict[str, None] = {}
    for r in rows:
        header.update(dict.fromkeys(r))
    buf = io.StringIO()
    buf.write(BOM)
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([defuse(k) for k in header])
    for r in rows:
        w.writerow([_cell(r.get(k)) for k in header])
    return buf.getvalue()


def defuse(text: str) -> str:
    """``text`` with a leading ``'`` when a spreadsheet would run it as a formula."""
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return v
    return defuse(str(v))
