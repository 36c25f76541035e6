"""The analyses' tables on the web: filter, sort, facet counts and pages, and streamed CSV and JSON exports.

Each analysis declares its tables (:class:`narratrace.store.tables.TableSpec`, in its own ``store.py``)
and adds them to the web app in its ``make_pages`` (``context.tables.append(TableItem(spec, ...))``).
:func:`make_pages` (called by the app after every analysis's) serves, for each table ``NAME``:

* ``/tables/NAME``: the page: active filters (each removable), a filter form, facet counts of the
  selection (each value a link adding its filter), the table with sortable headers, and a pager;
* ``/api/tables/NAME``: its JSON twin (one page of rows, the total, the facets);
* ``/tables/NAME.csv`` and ``/tables/NAME.json`` (or ``/tables/NAME?format=csv|json``): every row of
  the selection, streamed in batches; CSV cells that a spreadsheet would run as a formula are
  prefixed with ``'``;

and ``/tables`` (``/api/tables``) lists the tables with data, linked from the navigation. The query
string is the selection: filters by name, ``sort`` (a column, ``-`` first for descending), ``limit``
and ``offset``; so a URL can be shared and every page works without scripts. The app names no
analysis: this module only loops over ``context.tables``.
"""

from __future__ import annotations

import csv
import inspect
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import Field

from narratrace.errors import ConfigError, NotFound
from narratrace.store import Store
from narratrace.store.tables import (FACET_LIMIT, Selection, TableColumn, TableFilter, TableSpec, facet_counts,
                                     iter_rows, row_count, table_page)
from narratrace.web.pages import (MAX_LIMIT, NOT_FOUND, PAGE_SIZE, NavItem, PageContext, Pager, TableItem, article_path,
                                  offset_q, outlet_path, pager)
from narratrace.web.schemas import Out, PageOut

__all__ = ["EXPORT_BATCH", "FORMULA_PREFIXES", "ActiveFilter", "Cell", "FacetValue", "FacetView", "TableIndexOut",
           "TableOut", "TableView", "csv_cell", "csv_lines", "json_lines", "make_pages", "table_json", "table_url",
           "table_view"]

EXPORT_BATCH = 2000
"""Rows read per query while an export streams."""
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is run as a formula by spreadsheets: exports prefix it with ``'``."""
RESERVED = frozenset({"request", "sort", "limit", "offset", "format"})
_DATE = r"^(\d{4}-\d{2}-\d{2})?$"
_NUMBER = r"^(-?\d{1,12}(\.\d{1,12})?)?$"


# -- CSV and JSON exports ------------------------------------------------------------------------------

def csv_cell(value: Any) -> Any:
    """The value as a CSV cell: text that a spreadsheet would run as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_lines(columns: Sequence[TableColumn], rows: Iterable[Mapping[str, Any]], *, every: int = 500) -> Iterator[str]:
    """The header and the rows as CSV (RFC 4180 quoting, CRLF), in chunks of ``every`` rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    for n, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(row.get(c.name)) for c in columns])
        if n % every == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def json_lines(head: Mapping[str, Any], rows: Iterable[Mapping[str, Any]], *, every: int = 500) -> Iterator[str]:
    """``{**head, "rows": [...]}`` as JSON text, in chunks of ``every`` rows."""
    opening = json.dumps(dict(head), ensure_ascii=False)
    parts = [opening[:-1] + (", " if head else "") + '"rows": [']
    for n, row in enumerate(rows):
        parts.append(("," if n else "") + json.dumps(row, ensure_ascii=False))
        if len(parts) >= every:
            yield "".join(parts)
            parts = []
    parts.append("]}")
    yield "".join(parts)


# -- the page -----------------------------------------------------------------------------------------

def table_url(path: str, selection: Selection, **extra: str) -> str:
    """``path`` with the selection (and ``extra``) as its query string."""
    params = [*selection.filters.items(), *([("sort", selection.sort)] if selection.sort else []), *extra.items()]
    return path + (f"?{urlencode(params)}" if params else "")


@dataclass(frozen=True, slots=True)
class Cell:
    text: str
    href: str | None = None
    title: str | None = None      # the whole value, when the text is cut
    number: bool = False


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: Any
    text: str
    count: int
    href: str | None              # adds the filter (removes it when selected); None: a value no filter takes
    selected: bool


@dataclass(frozen=True, slots=True)
class FacetView:
    filter: TableFilter
    values: tuple[FacetValue, ...]
    more: bool                    # more values than shown


@dataclass(frozen=True, slots=True)
class ActiveFilter:
    filter: TableFilter
    value: str
    remove: str                   # the selection without it


@dataclass(frozen=True, slots=True)
class HeaderCell:
    column: TableColumn
    href: str | None              # sorts by it (the other way when it is the sort)
    sorted: str                   # "", "asc" or "desc"


@dataclass(frozen=True, slots=True)
class TableView:
    spec: TableSpec
    selection: Selection
    headers: tuple[HeaderCell, ...]
    rows: tuple[dict[str, Any], ...]
    cells: tuple[tuple[Cell, ...], ...]
    facets: tuple[FacetView, ...]
    active: tuple[ActiveFilter, ...]
    pager: Pager
    csv_url: str
    json_url: str

    @property
    def path(self) -> str:
        return "/tables/" + self.spec.name


def _text(value: Any, column: TableColumn) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if column.kind == "number" else str(value)
    return str(value)


def _href(spec: TableSpec, selection: Selection, column: TableColumn, value: Any, keep: Mapping[str, str]) -> str | None:
    if value is None or value == "" or column.link is None:
        return None
    text = str(value)
    if column.link == "article":
        return article_path(text)
    if column.link == "outlet":
        return outlet_path(text)
    if column.link == "url":
        return text if text.lower().startswith(("http://", "https://")) else None
    if column.link == "filter":
        if not any(f.name == column.name for f in spec.filters):
            return None
        return table_url("/tables/" + spec.name, selection.with_filter(column.name, text), **keep)
    return column.link.format(quote(text, safe=""))


def _cells(spec: TableSpec, selection: Selection, row: Mapping[str, Any], keep: Mapping[str, str]) -> tuple[Cell, ...]:
    cells = []
    for c in spec.columns:
        value = row.get(c.name)
        text = _text(value, c)
        cut = c.width is not None and len(text) > c.width
        cells.append(Cell(text[:c.width].rstrip() + "…" if cut and c.width else text,
                          _href(spec, selection, c, value, keep), text if cut else None, c.kind == "number"))
    return tuple(cells)


def _headers(spec: TableSpec, selection: Selection, keep: Mapping[str, str]) -> tuple[HeaderCell, ...]:
    current = selection.sort or spec.sort
    out = []
    for c in spec.columns:
        state = "asc" if current == c.name else "desc" if current == "-" + c.name else ""
        target = ("-" if state == "asc" else "") + c.name
        href = table_url("/tables/" + spec.name, Selection(selection.filters, target), **keep) if c.sortable else None
        out.append(HeaderCell(c, href, state))
    return tuple(out)


def _facets(spec: TableSpec, selection: Selection, counts: Mapping[str, list[tuple[Any, int]]],
            keep: Mapping[str, str]) -> tuple[FacetView, ...]:
    out = []
    path = "/tables/" + spec.name
    for f in spec.facets:
        values = counts.get(f.name, [])
        chosen = selection.filters.get(f.name)
        items = []
        for value, n in values:
            selected = chosen is not None and str(value) == chosen
            href = None if value is None else table_url(
                path, selection.with_filter(f.name, None if selected else str(value)), **keep)
            items.append(FacetValue(value, "(none)" if value is None else str(value), n, href, selected))
        out.append(FacetView(f, tuple(items), len(values) >= FACET_LIMIT))
    return tuple(out)


def table_view(store: Store, spec: TableSpec, selection: Selection, *, limit: int, offset: int,
               summary: Callable[[], tuple[int, dict[str, list[tuple[Any, int]]]]] | None = None) -> TableView:
    """One page of the table with the facets of the selection. ``summary`` gives the total and facet
    counts (a cache's, for the unfiltered table) instead of counting them here."""
    if summary is not None:
        total, counts = summary()
    else:
        total, counts = table_summary(store, spec, selection)
    rows = tuple(table_page(store, spec, selection, limit=limit, offset=offset))
    path = "/tables/" + spec.name
    params: dict[str, str | None] = {**selection.filters, "sort": selection.sort or None}
    keep = {"limit": str(limit)} if limit != PAGE_SIZE else {}  # links to another selection start at its first page
    active = tuple(ActiveFilter(spec.filter(k), v, table_url(path, selection.with_filter(k, None), **keep))
                   for k, v in selection.filters.items())
    return TableView(spec, selection, _headers(spec, selection, keep), rows,
                     tuple(_cells(spec, selection, r, keep) for r in rows), _facets(spec, selection, counts, keep), active,
                     pager(path, params, limit=limit, offset=offset, shown=len(rows), total=total),
                     table_url(path + ".csv", selection), table_url(path + ".json", selection))


def table_summary(store: Store, spec: TableSpec, selection: Selection) -> tuple[int, dict[str, list[tuple[Any, int]]]]:
    """The selection's row count and its facet counts."""
    return (row_count(store, spec, selection),
            {f.name: facet_counts(store, spec, selection, f.name) for f in spec.facets})


def table_json(view: TableView) -> dict[str, Any]:
    s = view.selection
    return {"ok": True, "table": view.spec.name, "title": view.spec.title, "total": view.pager.total,
            "limit": view.pager.limit, "offset": view.pager.offset, "sort": s.sort or view.spec.sort,
            "filters": dict(s.filters),
            "columns": [{"name": c.name, "label": c.title, "kind": c.kind} for c in view.spec.columns],
            "facets": {f.filter.name: [{"value": v.value, "count": v.count, "selected": v.selected}
                                       for v in f.values] for f in view.facets},
            "rows": list(view.rows), "csv": view.csv_url, "json": view.json_url}


# -- response models ------------------------------------------------------------------------------------

class TableOut(PageOut):
    table: str
    title: str
    sort: str = Field(description="the order: a column, '-' first for descending")
    filters: dict[str, str] = Field(description="the active filters")
    columns: list[dict[str, str]]
    facets: dict[str, list[dict[str, Any]]] = Field(
        description="per facet, the rows of the selection per value (most first; each the rows the table shows "
                    "once that value is a filter)")
    rows: list[dict[str, Any]]
    csv: str = Field(description="every row of the selection as CSV")
    json_: str = Field(alias="json", description="every row of the selection as JSON")


class TableIndexOut(Out):
    ok: bool = True
    tables: list[dict[str, Any]]


# -- the routes -----------------------------------------------------------------------------------------

def _query(f: TableFilter) -> Any:
    description = f.description or f.title
    if f.kind in ("date_from", "date_to"):
        return Query(None, pattern=_DATE, description=description)
    if f.kind in ("min", "max"):
        return Query(None, pattern=_NUMBER, description=description)
    return Query(None, max_length=500, description=description)


def _with_filters(spec: TableSpec, fn: Callable[..., Any], extra: Sequence[inspect.Parameter]) -> Callable[..., Any]:
    """``fn(request, selection, **extra)`` as an endpoint whose signature names each filter of ``spec``
    (so FastAPI validates them and the OpenAPI schema lists them)."""
    names = [f.name for f in spec.filters]
    clash = RESERVED.intersection(names)
    if clash:
        raise ConfigError(f"table {spec.name!r}: filter names {sorted(clash)} are reserved")
    sortable = "|".join(spec.sortable)

    def endpoint(request: Request, **kw: Any) -> Any:
        filters = {n: kw.pop(n) for n in names if kw.get(n) not in (None, "")}
        for n in names:
            kw.pop(n, None)
        return fn(request, Selection(filters, kw.pop("sort", None) or ""), **kw)

    params = [inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY, annotation=Request)]
    params += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=_query(f), annotation=str | None)
               for f in spec.filters]
    params.append(inspect.Parameter("sort", inspect.Parameter.KEYWORD_ONLY, annotation=str | None, default=Query(
        None, pattern=f"^(-?({sortable}))?$", description="a column to sort by, '-' first for descending")))
    params += extra
    endpoint.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    endpoint.__name__ = fn.__name__
    endpoint.__doc__ = fn.__doc__
    return endpoint


def _kw(name: str, default: Any, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def _limit() -> Any:
    return Query(PAGE_SIZE, ge=1, le=MAX_LIMIT, description=f"rows per page (at most {MAX_LIMIT})")


def make_pages(context: PageContext) -> APIRouter:
    """Every table in ``context.tables``: its page, JSON twin and exports; the list of tables and its link."""
    router = APIRouter()
    cache = context.cache()
    items: list[TableItem] = sorted(context.tables, key=lambda t: t.order)

    def available(store: Store) -> dict[str, bool]:
        return cache.get("available", lambda s: {  # type: ignore[no-any-return]
            t.spec.name: t.available is None or bool(t.available(s)) for t in items})

    context.nav.append(NavItem("/tables", "Tables", available=lambda s: any(available(s).values()), order=80))

    def index(store: Store) -> list[dict[str, Any]]:
        shown = available(store)
        totals = cache.get("totals", lambda s: {t.spec.name: row_count(s, t.spec, Selection())
                                                for t in items if shown[t.spec.name]})
        return [{"name": t.spec.name, "title": t.spec.title, "description": t.spec.description,
                 "rows": totals[t.spec.name], "path": "/tables/" + t.spec.name,
                 "csv": f"/tables/{t.spec.name}.csv", "json": f"/tables/{t.spec.name}.json"}
                for t in items if shown[t.spec.name]]

    @router.get("/tables", response_class=HTMLResponse, include_in_schema=False)
    def tables_page() -> HTMLResponse:
        return context.page("tables.html", json_url="/api/tables", tables=index(context.store()), title="Tables")

    @router.get("/api/tables", response_model=TableIndexOut, tags=["tables"])
    def api_tables() -> dict[str, Any]:
        """The tables with data: name, title, rows, and the paths of their page and exports."""
        return {"ok": True, "tables": index(context.store())}

    for item in items:
        _add_table(router, context, item, cache, available)
    return router


def _add_table(router: APIRouter, context: PageContext, item: TableItem, cache: Any,
               available: Callable[[Store], dict[str, bool]]) -> None:
    spec = item.spec
    path = "/tables/" + spec.name

    def store_with_table() -> Store:
        store = context.store()
        if not available(store).get(spec.name):
            raise NotFound(f"no {spec.title.lower()} in this corpus (table {spec.name!r}; run `narratrace analyze`)")
        return store

    def view(selection: Selection, limit: int, offset: int) -> TableView:
        store = store_with_table()
        if selection.filters:
            return table_view(store, spec, selection, limit=limit, offset=offset)
        # the unfiltered table's total and facets are the same for every sort and page: kept in the cache
        return table_view(store, spec, selection, limit=limit, offset=offset, summary=lambda: cache.get(
            "summary:" + spec.name, lambda s: table_summary(s, spec, Selection())))

    def export(selection: Selection, fmt: str) -> Response:
        store = store_with_table()
        rows = iter_rows(context.store, spec, selection, batch=EXPORT_BATCH)
        if fmt == "csv":
            return StreamingResponse(csv_lines(spec.columns, rows), media_type="text/csv; charset=utf-8",
                                     headers={"Content-Disposition": f'attachment; filename="{spec.name}.csv"'})
        head = {"ok": True, "table": spec.name, "sort": selection.sort or spec.sort, "filters": dict(selection.filters),
                "total": row_count(store, spec, selection)}
        return StreamingResponse(json_lines(head, rows), media_type="application/json")

    def table_page_html(request: Request, selection: Selection, limit: int, offset: int, format: str | None) -> Response:
        if format in ("csv", "json"):
            return export(selection, format)
        v = view(selection, limit, offset)
        return context.page("table.html", json_url=table_url("/api" + path, selection, **(
            {"limit": str(limit), "offset": str(offset)} if offset or limit != PAGE_SIZE else {})), v=v, title=spec.title)

    def table_api(request: Request, selection: Selection, limit: int, offset: int) -> dict[str, Any]:
        return table_json(view(selection, limit, offset))
    table_api.__doc__ = f"{spec.title}: one page of the selection, its total and facet counts. {spec.description}"

    def table_csv(request: Request, selection: Selection) -> Response:
        return export(selection, "csv")

    def table_export_json(request: Request, selection: Selection) -> Response:
        return export(selection, "json")

    paging = [_kw("limit", _limit(), int), _kw("offset", offset_q, int)]
    fmt = _kw("format", Query(None, pattern="^(html|csv|json)?$", description="html (default), csv or json"),
              str | None)
    router.add_api_route(path, _with_filters(spec, table_page_html, [*paging, fmt]), methods=["GET"],
                         response_class=HTMLResponse, include_in_schema=False)
    router.add_api_route(path + ".csv", _with_filters(spec, table_csv, []), methods=["GET"], include_in_schema=False)
    router.add_api_route(path + ".json", _with_filters(spec, table_export_json, []), methods=["GET"],
                         include_in_schema=False)
    router.add_api_route("/api" + path, _with_filters(spec, table_api, paging), methods=["GET"],
                         response_model=TableOut, response_model_by_alias=True, tags=["tables"], responses=NOT_FOUND,
                         name=f"table_{spec.name.replace('-', '_')}")
