"""What every list route of the API shares: paging parameters and the CSV answer.

Each route answers JSON, or CSV when ``?format=csv`` or an ``Accept: text/csv`` header asks for
it (a spreadsheet opens the file as it is: UTF-8 with a BOM, formula-safe cells; see
``exporters/reports/tabular.py``). One definition, so every route pages and answers CSV alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response

from dcmon.exporters.reports.tabular import flatten, to_csv

#: The OpenAPI ``responses`` entry of a route that can answer CSV.
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}

Format = Annotated[Literal["json", "csv"] | None,
                   Query(description="csv for a spreadsheet (UTF-8 with BOM); default json, "
                                     "or text/csv when the Accept header asks for it")]
Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Items to skip")]


def wants_csv(request: Request, fmt: str | None) -> bool:
    """``?format=`` wins; without it, the Accept header decides."""
    if fmt is not None:
        return fmt == "csv"
    return "text/csv" in request.headers.get("accept", "")


def csv_text(name: str, text: str) -> Response:
    """CSV text as a download named ``name.csv``."""
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def csv_rows(name: str, rows: list[dict[str, Any]]) -> Response:
    """Flat rows as a CSV download (formula-safe, see ``to_csv``)."""
    return csv_text(name, to_csv(rows))


def answer_page(request: Request, fmt: str | None, name: str, items: Sequence[Any],
                page: Callable[..., Any], limit: int, offset: int,
                row: Callable[[Any], dict[str, Any]] = flatten, **fields: Any) -> Any:
    """One page of ``items``: CSV rows (``row`` flattens each) when asked for, otherwise the
    ``page`` model with the items, their total, the paging and ``fields``."""
    items_on_page = list(items[offset:offset + limit])
    if wants_csv(request, fmt):
        return csv_rows(name, [row(x) for x in items_on_page])
    return page(items=items_on_page, total=len(items), limit=limit, offset=offset, **fields)
