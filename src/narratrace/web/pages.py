"""What an analysis gives the web app: an ``APIRouter`` with its HTML pages and their JSON twins.

``Analysis.pages`` names ``make_pages(context: PageContext) -> fastapi.APIRouter``. The app calls
every registered analysis's ``make_pages``, includes its router after its own routes, adds the
analysis's ``templates/`` to its template path, and, from what ``make_pages`` added to the context:

* shows ``context.nav`` links in every page's navigation (in ``order``; one with ``available``
  only while ``available(store)`` is true: a page of an analysis that has no data has no link);
* shows ``context.search_links`` on the search page, with the query;
* draws ``context.article_panels`` on each article's page and adds their keys to its JSON, and
  ``context.outlet_panels`` on each outlet's page (:class:`Panel`);
* registers ``context.filters`` as Jinja filters of every template;
* serves each of ``context.tables`` (:class:`TableItem`) as a filterable, sortable table with facet
  counts and CSV/JSON exports (:mod:`narratrace.web.tables`).

A page handler only parses, calls the analysis's library code on ``context.store()`` and renders
with ``context.page``; every HTML page has its JSON twin under ``/api``. Values worth keeping
between requests go in the analysis's own :class:`Cache` (``context.cache()``), kept until the
database changes. The parts of a page every analysis shares (:class:`Pager`, article links and
rows, the export contract's JSON shapes, the ``limit``/``offset`` parameters) are here too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from narratrace.model import RepublicationGroup, RepublicationPair
from narratrace.sections import ArticleRow
from narratrace.store import Store, browse
from narratrace.store.tables import TableSpec
from narratrace.web.schemas import ErrorOut

__all__ = ["ARTICLE_TEXT_LIMIT", "MAX_LIMIT", "MAX_OFFSET", "NOT_FOUND", "PAGE_SIZE", "Cache", "GroupItem", "NavItem",
           "PageContext", "Pager", "Panel", "TableItem", "article_json", "article_path", "article_row", "group_items", "group_json",
           "limit_q", "offset_q", "outlet_path", "pager", "pair_json", "refs_of", "twin"]

MAX_LIMIT = 500
"""Largest page a list returns (``limit``)."""
MAX_OFFSET = 10_000_000
PAGE_SIZE = 50
ARTICLE_TEXT_LIMIT = 200_000
"""Characters of an article's text shown (highlighted) on its page; the JSON has it all."""

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut}}


# -- what make_pages adds to the app ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NavItem:
    """A link of every page's navigation (or of the search page: ``PageContext.search_links``).

    ``available(store)``, when given, hides the link while it is false (asked once per change of
    the database). Links are shown by ``order``: the app's own are Overview 0, Sources 20,
    Skipped inputs 900 and API 910.
    """

    path: str
    label: str
    available: Callable[[Store], bool] | None = None
    order: int = 100


@dataclass(frozen=True, slots=True)
class Panel:
    """One analysis's part of a page the app draws (an article's page, an outlet's page) and of its JSON twin.

    ``view(store, subject)`` (the subject: an article's :class:`~narratrace.model.Article`, an outlet's
    name) returns what ``template`` draws as ``panel`` after the page's own sections, or None to
    draw nothing; on an article's page ``facts`` draws, with the same ``panel``, rows of the
    article's facts list. ``json(store, subject)`` returns the panel's keys of the page's JSON, as
    ``fields`` describes them to the OpenAPI schema (pydantic field definitions, ``name -> (type,
    Field(...))``). ``kinds``: the annotation kinds the panel shows, left out of the article page's
    table of other annotations. Panels are drawn by ``order``, then in registry order.
    """

    view: Callable[[Store, Any], Any] | None = None
    template: str | None = None
    facts: str | None = None
    json: Callable[[Store, Any], Mapping[str, Any]] | None = None
    fields: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()
    order: int = 100


@dataclass(frozen=True, slots=True)
class TableItem:
    """One analysis's table (:class:`~narratrace.store.tables.TableSpec`) on the web: ``/tables/<name>``, its
    JSON twin and exports, shown while ``available(store)`` holds (else 404); listed on ``/tables`` by ``order``."""

    spec: TableSpec
    available: Callable[[Store], bool] | None = None
    order: int = 100


class Cache:
    """Values computed from the store, remembered until the database file changes (or :meth:`clear`)."""

    def __init__(self, store: Callable[[], Store]) -> None:
        self._store = store
        self._compute_lock = threading.Lock()   # one computation of a cached value at a time
        self._values: dict[str, tuple[tuple[int, ...], Any]] = {}

    def get(self, name: str, compute: Callable[[Store], Any]) -> Any:
        """``compute(store)``, remembered until ``store.data_version()`` changes (the lock is not reentrant:
        ``compute`` must not call :meth:`get` of the same cache)."""
        sig = self._store().data_version()
        hit = self._values.get(name)
        if hit is not None and hit[0] == sig:
            return hit[1]
        store = self._store()  # before taking the lock: opening this thread's reader takes another lock
        with self._compute_lock:
            hit = self._values.get(name)
            if hit is not None and hit[0] == sig:
                return hit[1]
            value = compute(store)
            self._values[name] = (sig, value)
            return value

    def clear(self) -> None:
        self._values.clear()


@dataclass(slots=True)
class PageContext:
    """Handed to each ``make_pages``: the corpus's reader, the app's page renderer, and the app's hooks."""

    store: Callable[[], Store]                       # the read-only store of this request's thread
    page: Callable[..., HTMLResponse]                # page(template, json_url=..., title=..., **context)
    nav: list[NavItem] = field(default_factory=list)  # appended to by make_pages
    search_links: list[NavItem] = field(default_factory=list)   # shown on the search page, with ?q=
    article_panels: list[Panel] = field(default_factory=list)   # subject: the Article
    outlet_panels: list[Panel] = field(default_factory=list)    # subject: the outlet's name
    filters: dict[str, Callable[..., Any]] = field(default_factory=dict)  # Jinja filters its templates use
    tables: list[TableItem] = field(default_factory=list)      # served by narratrace.web.tables
    caches: list[Cache] = field(default_factory=list)          # cleared after every write
    # the app's write path: authorize(request) answers 401/403 unless the request carries the app's
    # token; write(fn) runs fn(store) on a writable store, one writer at a time, then clears the caches
    authorize: Callable[[Any], None] | None = None
    write: Callable[[Callable[[Store], Any]], Any] | None = None

    def cache(self) -> Cache:
        """A new cache of the caller's own, emptied when the app writes to the store."""
        cache = Cache(self.store)
        self.caches.append(cache)
        return cache


# -- parameters ----------------------------------------------------------------------------------------

def limit_q(default: int = PAGE_SIZE) -> Any:
    return Query(default, ge=1, le=MAX_LIMIT, description=f"items per page (at most {MAX_LIMIT})")


offset_q = Query(0, ge=0, le=MAX_OFFSET, description="items to skip")


def twin(request: Request, api_path: str) -> str:
    """The JSON twin's URL of the page answering ``request``: its query kept, but only the parameters
    the page's route declares (a link need not carry whatever a visitor appended: 5,000 unknown
    parameters made a 135 KB page)."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    known = {p.alias for p in dependant.query_params} if dependant is not None else None
    kept = [(k, v) for k, v in request.query_params.multi_items() if known is None or k in known]
    return api_path + (f"?{urlencode(kept)}" if kept else "")


# -- parts of every page --------------------------------------------------------------------------------

def article_path(ref: str) -> str:
    return "/articles/" + quote(ref, safe="")


def outlet_path(outlet: str) -> str:
    return "/outlets/" + quote(outlet, safe="")


@dataclass(frozen=True, slots=True)
class Pager:
    """Where one page of a list is, and links to its neighbours (filters kept)."""

    path: str
    params: tuple[tuple[str, str], ...]
    limit: int
    offset: int
    shown: int
    total: int | None            # None when not counted (search)
    more: bool = False           # a next page exists (when total is None)

    @property
    def first(self) -> int:
        return self.offset + 1 if self.shown else 0

    @property
    def last(self) -> int:
        return self.offset + self.shown

    def _url(self, offset: int) -> str:
        params = [*self.params, ("limit", str(self.limit)), ("offset", str(offset))]
        return f"{self.path}?{urlencode(params)}"

    @property
    def prev_url(self) -> str | None:
        return self._url(max(0, self.offset - self.limit)) if self.offset > 0 else None

    @property
    def next_url(self) -> str | None:
        has_next = self.more if self.total is None else self.offset + self.shown < self.total
        return self._url(self.offset + self.limit) if has_next and self.shown else None


def pager(path: str, params: Mapping[str, str | None], *, limit: int, offset: int, shown: int,
          total: int | None, more: bool = False) -> Pager:
    kept = tuple((k, v) for k, v in params.items() if v is not None and v != "")
    return Pager(path, kept, limit, offset, shown, total, more)


def article_row(rows: Mapping[str, Mapping[str, Any]], article_id: str) -> ArticleRow:
    """The article's row of ``rows`` (:func:`narratrace.store.browse.article_rows`), or a missing one."""
    d = rows.get(article_id)
    return ArticleRow.from_index(d) if d else ArticleRow(id=article_id, ref=article_id, missing=True)


@dataclass(frozen=True, slots=True)
class GroupItem:
    group: RepublicationGroup
    original: ArticleRow
    size: int


def group_items(store: Store, groups: Sequence[RepublicationGroup]) -> tuple[GroupItem, ...]:
    rows = browse.article_rows(store, (g.original for g in groups))
    return tuple(GroupItem(g, article_row(rows, g.original), len(set(g.members) | {g.original})) for g in groups)


# -- JSON in the export contract's shapes --------------------------------------------------------

def article_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**{k: row.get(k) for k in ("id", "ref", "title", "outlet", "published", "published_how", "language",
                                       "chars", "url", "author")}, "not_analysed": dict(row.get("not_analysed") or {})}


def pair_json(pair: RepublicationPair, refs: Mapping[str, str]) -> dict[str, Any]:
    d = pair.to_dict()
    d["original"], d["copy"] = refs.get(pair.original, pair.original), refs.get(pair.copy, pair.copy)
    return d


def group_json(group: RepublicationGroup, refs: Mapping[str, str]) -> dict[str, Any]:
    return {"id": group.id, "original": refs.get(group.original, group.original),
            "members": [refs.get(m, m) for m in group.members], "reason": group.reason}


def refs_of(store: Store, ids: Iterable[str]) -> dict[str, str]:
    """Article id -> ref, for the ids in the store."""
    return {i: r["ref"] for i, r in browse.article_rows(store, ids).items()}
