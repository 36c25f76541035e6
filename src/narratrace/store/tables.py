"""Declared tables of an analysis's results: filters, facet counts, sorting, pages and batched exports.

An analysis declares a :class:`TableSpec` in its own ``store.py``: the rows (portable SQL fragments over
its tables and ``articles``), their columns, the filters a request may set and which of them are facets.
These functions turn a :class:`Selection` (the active filters and the sort) into one page, its total, the
facet counts of the selection, or every selected row in batches (for streamed CSV and JSON exports).
Values are always bound as parameters; only the spec's own fragments and its column and filter names
(checked against the spec) reach the SQL. The SQL is the dialect both backends accept (``?``,
``json_extract``, ``substr``, ``lower``, ``LIKE ... ESCAPE``; :func:`narratrace.store.postgres.translate`).

A table is either one row per record of its ``source`` or, with ``group_by``, one row per value of that
expression (the columns then being aggregates, such as a cited source with its claim count). A facet
counts, for each value of its expression in the selection, the rows the table would show once that
value is added as a filter: ``count(*)``, or ``count(DISTINCT group_by)`` for a grouped table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from narratrace.errors import ConfigError
from narratrace.store.db import Store

__all__ = ["FACET_LIMIT", "FilterKind", "Selection", "TableColumn", "TableFilter", "TableSpec", "article_columns",
           "article_filters", "facet_counts", "iter_rows", "list_text", "row_count", "table_page"]

FACET_LIMIT = 30
"""Values counted per facet (the most frequent first)."""

FilterKind = Literal["eq", "search", "contains", "date_from", "date_to", "min", "max", "where"]
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class TableColumn:
    """One column: ``expr`` is selected as ``name`` (an aggregate when the table is grouped).

    ``link`` says what a page links the value to: ``"article"`` (a ref), ``"outlet"``, ``"url"`` (only
    ``http(s)://`` values), ``"filter"`` (the selection with the filter of the same name set to it),
    or a path with ``{}`` where the quoted value goes. ``kind`` ``"number"`` values are right-aligned
    and rounded on pages; ``width`` cuts the page's cell (exports are whole).
    """

    name: str
    expr: str
    label: str = ""
    kind: Literal["text", "number", "date"] = "text"
    link: str | None = None
    sortable: bool = True
    width: int | None = None

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class TableFilter:
    """One filter, set by the query parameter ``name``.

    ``kind``: ``eq`` (``expr = value``), ``search`` (``expr`` contains the value, case-insensitive),
    ``contains`` (``expr``, a JSON list as text, holds the string value; ``LIKE``: case-sensitive on
    PostgreSQL, ASCII case ignored on SQLite), ``date_from``/``date_to``
    (``YYYY-MM-DD``, inclusive, on an ISO date or date-time), ``min``/``max`` (numbers), or ``where``
    (``expr`` is a condition whose every ``?`` takes the value). A ``facet`` filter is counted per
    value beside the table (``eq`` filters only).
    """

    name: str
    expr: str
    kind: FilterKind = "eq"
    label: str = ""
    facet: bool = False
    description: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


@dataclass(frozen=True, slots=True)
class TableSpec:
    """An analysis's table: ``source`` is ``FROM ...`` (joins included), ``where`` the condition every row
    meets; ``sort`` the default order (a column name, ``-`` first for descending), ``key`` the expressions
    that make the order total (ties); ``group_by`` makes one row per value of that expression.

    ``row_id`` (an indexed integer key of one row, such as ``n.rowid``; not with ``group_by``) lets a page
    sort only the keys and compute its columns for its own rows (a deferred join), and an export read
    its rows by key in batches after one sorted pass, instead of sorting again for every batch.
    """

    name: str
    title: str
    source: str
    columns: tuple[TableColumn, ...]
    filters: tuple[TableFilter, ...] = ()
    where: str = ""
    sort: str = ""
    key: tuple[str, ...] = ()
    group_by: str | None = None
    description: str = ""
    row_id: str | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns] + [f.name for f in self.filters]
        for n in [self.name.replace("-", "_"), *names]:
            if not _NAME.match(n):
                raise ConfigError(f"table {self.name!r}: {n!r} is not a lower-case identifier")
        if len({c.name for c in self.columns}) != len(self.columns) or \
                len({f.name for f in self.filters}) != len(self.filters):
            raise ConfigError(f"table {self.name!r}: a column or filter name is used twice")
        for f in self.filters:
            if f.facet and f.kind != "eq":
                raise ConfigError(f"table {self.name!r}: facet {f.name!r} must be an 'eq' filter")
        if self.sort and self.sort.lstrip("-") not in {c.name for c in self.columns}:
            raise ConfigError(f"table {self.name!r}: default sort {self.sort!r} is not a column")
        if self.row_id and self.group_by:
            raise ConfigError(f"table {self.name!r}: a grouped table has no row_id")

    def column(self, name: str) -> TableColumn:
        for c in self.columns:
            if c.name == name:
                return c
        raise ConfigError(f"table {self.name!r} has no column {name!r}")

    def filter(self, name: str) -> TableFilter:
        for f in self.filters:
            if f.name == name:
                return f
        raise ConfigError(f"table {self.name!r} has no filter {name!r}")

    @property
    def facets(self) -> tuple[TableFilter, ...]:
        return tuple(f for f in self.filters if f.facet)

    @property
    def sortable(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.sortable)


@dataclass(frozen=True, slots=True)
class Selection:
    """The active filters (name -> value as given) and the sort (a column name, ``-`` first: descending)."""

    filters: Mapping[str, str] = field(default_factory=dict)
    sort: str = ""

    def with_filter(self, name: str, value: str | None) -> Selection:
        """The selection with ``name`` set to ``value`` (None removes it)."""
        filters = {k: v for k, v in self.filters.items() if k != name}
        if value is not None:
            filters[name] = value
        return Selection(filters, self.sort)


def _like(value: str) -> str:
    """``value`` taken literally by ``LIKE ... ESCAPE '\\'``."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _number(spec: TableSpec, f: TableFilter, value: str) -> float:
    try:
        n = float(value)
    except ValueError:
        raise ConfigError(f"filter {f.name!r} of table {spec.name!r} takes a number, not {value!r}") from None
    if n != n or n in (float("inf"), float("-inf")):
        raise ConfigError(f"filter {f.name!r} of table {spec.name!r} takes a finite number, not {value!r}")
    return n


def _condition(spec: TableSpec, f: TableFilter, value: str) -> tuple[str, list[Any]]:
    if f.kind == "eq":
        return f"{f.expr} = ?", [value]
    if f.kind == "search":
        # lowered by the database on both sides: SQLite folds ASCII only, PostgreSQL every letter
        return f"lower({f.expr}) LIKE lower(CAST(? AS TEXT)) ESCAPE '\\'", [f"%{_like(value)}%"]
    if f.kind == "contains":
        return f"{f.expr} LIKE ? ESCAPE '\\'", ['%"' + _like(value).replace('"', "") + '"%']
    if f.kind == "date_from":
        return f"{f.expr} >= ?", [value]
    if f.kind == "date_to":
        return f"{f.expr} < ?", [value + "~"]  # "2024-03-07T09:00" still counts as 2024-03-07
    if f.kind == "min":
        return f"{f.expr} >= ?", [_number(spec, f, value)]
    if f.kind == "max":
        return f"{f.expr} <= ?", [_number(spec, f, value)]
    if f.kind == "where":
        return f"({f.expr})", [value] * f.expr.count("?")
    raise ConfigError(f"unknown filter kind {f.kind!r}")


def _where(spec: TableSpec, selection: Selection) -> tuple[str, list[Any]]:
    parts = [f"({spec.where})"] if spec.where else []
    args: list[Any] = []
    for name, value in selection.filters.items():
        cond, a = _condition(spec, spec.filter(name), value)
        parts.append(cond)
        args.extend(a)
    return (" WHERE " + " AND ".join(parts) if parts else ""), args


def _order(spec: TableSpec, sort: str) -> str:
    sort = sort or spec.sort
    items: list[str] = []
    if sort:
        column = spec.column(sort.lstrip("-"))
        if not column.sortable:
            raise ConfigError(f"table {spec.name!r} cannot be sorted by {column.name!r}")
        desc = " DESC" if sort.startswith("-") else ""
        items += [f"({column.expr} IS NULL)", column.expr + desc]  # NULL last either way, on both backends
    items += [k + (" DESC" if sort.startswith("-") and spec.group_by is None else "") for k in spec.key]
    if spec.group_by is not None:
        items.append(spec.group_by)
    return " ORDER BY " + ", ".join(items) if items else ""


def _select(spec: TableSpec) -> str:
    return ", ".join(f"{c.expr} AS {c.name}" for c in spec.columns)


def row_count(store: Store, spec: TableSpec, selection: Selection) -> int:
    """Rows of the table in the selection."""
    where, args = _where(spec, selection)
    what = f"count(DISTINCT {spec.group_by})" if spec.group_by else "count(*)"
    return int(store.db.execute(f"SELECT {what} {spec.source}{where}", args).fetchone()[0])


def _page_sql(spec: TableSpec, selection: Selection) -> tuple[str, list[Any]]:
    """The selection's rows in order, with ``LIMIT ? OFFSET ?`` to bind."""
    where, args = _where(spec, selection)
    order = _order(spec, selection.sort)
    if spec.row_id:  # sort the keys only; compute the columns (article text cut, JSON read) for the page's rows
        return (f"SELECT {_select(spec)} {spec.source} WHERE {spec.row_id} IN (SELECT {spec.row_id} {spec.source}"
                f"{where}{order} LIMIT ? OFFSET ?){order}"), args
    group = f" GROUP BY {spec.group_by}" if spec.group_by else ""
    return f"SELECT {_select(spec)} {spec.source}{where}{group}{order} LIMIT ? OFFSET ?", args


def table_page(store: Store, spec: TableSpec, selection: Selection, *, limit: int,
               offset: int) -> list[dict[str, Any]]:
    """One page of the selection, in its order: each row a dict of the columns' names."""
    sql, args = _page_sql(spec, selection)
    names = [c.name for c in spec.columns]
    return [dict(zip(names, row)) for row in store.db.execute(sql, [*args, limit, offset])]


def iter_rows(store: Any, spec: TableSpec, selection: Selection, *, batch: int = 2000,
              limit: int | None = None) -> Iterator[dict[str, Any]]:
    """Every row of the selection (at most ``limit``), read ``batch`` rows per query.

    ``store`` is a Store or a callable returning one, called for each batch: a streamed web
    response reads each batch on whichever worker thread runs it, through that thread's reader.
    With a ``row_id`` the selection is sorted once (its keys, held in memory) and each batch
    read by key; without, each batch is a page (``LIMIT``/``OFFSET``).
    """
    names = [c.name for c in spec.columns]
    if spec.row_id:
        where, args = _where(spec, selection)
        s = store() if callable(store) else store
        ids = [r[0] for r in s.db.execute(f"SELECT {spec.row_id} {spec.source}{where}{_order(spec, selection.sort)}"
                                          + (" LIMIT ?" if limit is not None else ""),
                                          [*args, limit] if limit is not None else args)]
        for i in range(0, len(ids), batch):
            chunk = ids[i:i + batch]
            s = store() if callable(store) else store
            rows = {r[0]: r[1:] for r in s.db.execute(
                f"SELECT {spec.row_id}, {_select(spec)} {spec.source} WHERE {spec.row_id} IN "
                f"({','.join('?' * len(chunk))})", chunk)}
            for key in chunk:
                if key in rows:  # gone since the keys were read: left out
                    yield dict(zip(names, rows[key]))
        return
    sql, args = _page_sql(spec, selection)
    offset = 0
    while limit is None or offset < limit:
        n = batch if limit is None else min(batch, limit - offset)
        s = store() if callable(store) else store
        rows = s.db.execute(sql, [*args, n, offset]).fetchall()
        for row in rows:
            yield dict(zip(names, row))
        if len(rows) < n:
            return
        offset += n


def facet_counts(store: Store, spec: TableSpec, selection: Selection, name: str, *,
                 limit: int = FACET_LIMIT) -> list[tuple[Any, int]]:
    """``(value, rows)`` of facet ``name`` over the selection, most rows first (at most ``limit`` values).

    ``rows`` is what the table shows once the value is added to the selection as a filter.
    """
    f = spec.filter(name)
    if not f.facet:
        raise ConfigError(f"{name!r} is not a facet of table {spec.name!r}")
    where, args = _where(spec, selection)
    what = f"count(DISTINCT {spec.group_by})" if spec.group_by else "count(*)"
    rows = store.db.execute(f"SELECT {f.expr}, {what} AS n {spec.source}{where} GROUP BY {f.expr} "
                            f"ORDER BY {what} DESC, ({f.expr} IS NULL), {f.expr} LIMIT ?", [*args, limit])
    return [(value, int(n)) for value, n in rows]


def list_text(expr: str) -> str:
    """SQL turning ``expr``, a JSON list of strings as text, into ``"a, b"`` (or NULL) alike on both backends (SQLite's
    ``json_extract`` gives ``["a","b"]``, PostgreSQL's ``->>`` the stored text, ``["a", "b"]``)."""
    bare = f"replace(replace(replace({expr}, '[', ''), ']', ''), '\"', '')"
    return f"nullif(replace(replace({bare}, ', ', ','), ',', ', '), '')"  # an empty list: NULL, last in every order


def article_columns(alias: str = "a") -> tuple[TableColumn, ...]:
    """The columns of the article a row belongs to (``alias`` names the joined ``articles`` table)."""
    return (TableColumn("article", f"{alias}.ref", "Article", link="article", width=40),
            TableColumn("outlet", f"{alias}.outlet", "Outlet", link="filter"),
            TableColumn("published", f"{alias}.published", "Published", kind="date"),
            TableColumn("language", f"{alias}.language", "Lang.", link="filter"))


def article_filters(alias: str = "a") -> tuple[TableFilter, ...]:
    """Filters on the article a row belongs to: outlet and language (facets), dates, ref."""
    return (TableFilter("outlet", f"{alias}.outlet", facet=True, description="the article's outlet"),
            TableFilter("language", f"{alias}.language", facet=True, description="the article's language code"),
            TableFilter("date_from", f"{alias}.published", "date_from", "From",
                        description="published on or after (YYYY-MM-DD)"),
            TableFilter("date_to", f"{alias}.published", "date_to", "To",
                        description="published on or before (YYYY-MM-DD)"),
            TableFilter("article", f"{alias}.ref", description="the article's ref"))
