"""Flat rows and CSV from nested results, for spreadsheets.

CSV is written as UTF-8 with a byte-order mark: without it, Excel opens UTF-8 as the local code
page and Chinese names turn into mojibake. Nested objects become dotted columns
(``headroom.kw``), a rack's feeds become ``feeds.A.current_a``, and lists of words (stale
devices, flags) are joined with ``;``. Empty cells mean "not measured", never zero.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

BOM = "\ufeff"


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
    """CSV text (with BOM) of rows; the header is the union of keys in first-seen order."""
    rows = list(rows)
    header: dict[str, None] = {}
    for r in rows:
        header.update(dict.fromkeys(r))
    buf = io.StringIO()
    buf.write(BOM)
    w = csv.DictWriter(buf, fieldnames=list(header), lineterminator="\r\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: _cell(v) for k, v in r.items()})
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v
