"""The web app: server-rendered pages and their JSON twins under ``/api``.

:func:`create_app` returns a FastAPI (ASGI) app over one store file. Handlers only parse
parameters, call one function of :mod:`narratrace.web.views` and render it; every page
names its JSON twin (``<link rel="alternate">`` and a "JSON" link).

Reading: each worker thread opens its own read-only :class:`~narratrace.store.Store`
(SQLite connections belong to one thread), so serving never writes. Writing: only the
write endpoints do, with a token given at start-up (``Authorization: Bearer TOKEN``),
one at a time, through a normal Store opened for that request. Without a token they
answer 403.

Safety: templates autoescape everything and highlighted text is rendered segment by
segment; URLs from articles become links only when http(s); pages carry a
Content-Security-Policy that allows no script at all; parameters are only ever looked
up in the database (no file is opened from a request); request bodies are capped
(413); errors are ``{"ok": false, "error", "errors", "status"}`` under ``/api`` and a
plain HTML page elsewhere.
"""

from __future__ import annotations

from urllib.parse import quote

import contextlib
import hmac
import json
import logging
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from narratrace import __version__
from narratrace.errors import ConfigError, InputError, NarratraceError, NotFound, StoreError
from narratrace.claims import report as claims_report
from narratrace.report import TEMPLATES as REPORT_TEMPLATES
from narratrace.claims.store import claim_groups
from narratrace.analyses import registered_analyses, resolve
from narratrace.sections import template_dirs
from narratrace.store import Store, is_postgres_url, open_store
from narratrace.web.pages import PageContext
from narratrace.store.browse import ArticleFilter, CorpusStats, corpus_stats, outlet_links
from narratrace.web import analyses, schemas, views
from narratrace.web.upload import upload

__all__ = ["MAX_BODY_BYTES", "MAX_LIMIT", "create_app"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

HERE = Path(__file__).parent
MAX_BODY_BYTES = 5 * 1024 * 1024
"""Largest request body accepted (413 beyond)."""
MAX_LIMIT = 500
"""Largest page a list returns (``limit``)."""
MAX_OFFSET = 10_000_000
PAGE_SIZE = 50
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in an uploaded body (400 beyond)."""
_ID_RANGE = range(-(2 ** 63), 2 ** 63)  # what the databases store as an integer id

CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")
_DATE = r"^(\d{4}-\d{2}-\d{2})?$"

ASGIApp = Callable[[MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
                   Awaitable[None]]


class _Corpus:
    """The store file, one read-only connection per thread, and the cached corpus facets."""

    def __init__(self, path: str, write_token: str | None) -> None:
        self.path = path
        self.write_token = write_token
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()           # guards _opened
        self._compute_lock = threading.Lock()   # one computation of a cached value at a time
        self.write_lock = threading.Lock()
        self._cache: dict[str, tuple[tuple[int, ...], Any]] = {}
        self._generation = 0  # bumped by close(): a thread's reader from before is closed

    def reader(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None or getattr(self._local, "generation", None) != self._generation:
            store = self._local.store = open_store(self.path, readonly=True)  # new, or closed by close()
            self._local.generation = self._generation
            with self._lock:
                self._opened.append(store)
        return store

    def _signature(self) -> tuple[int, ...]:
        return self.reader().data_version()

    def _cached(self, name: str, compute: Callable[[Store], Any]) -> Any:
        """``compute(store)``, remembered until the database file changes (or a write here)."""
        sig = self._signature()
        hit = self._cache.get(name)
        if hit is not None and hit[0] == sig:
            return hit[1]
        store = self.reader()  # before taking the lock, which reader() takes to register a new connection
        with self._compute_lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == sig:
                return hit[1]
            value = compute(store)
            self._cache[name] = (sig, value)
            return value

    def stats(self) -> CorpusStats:
        """Counts and facets of the whole corpus."""
        return self._cached("stats", corpus_stats)  # type: ignore[no-any-return]

    def links(self) -> list[tuple[str | None, str | None, int]]:
        """Pairs per (copy's outlet, original's outlet) over the whole corpus."""
        return self._cached("links", outlet_links)  # type: ignore[no-any-return]

    def claims(self) -> tuple[bool, bool]:
        """Whether the store holds claims, and claim groups (the claims pages appear only then)."""
        def compute(store: Store) -> tuple[bool, bool]:
            has = store.db.execute("SELECT EXISTS(SELECT 1 FROM annotations WHERE kind = 'claim')").fetchone()[0]
            groups = store.db.execute("SELECT EXISTS(SELECT 1 FROM claim_groups)").fetchone()[0]
            return bool(has), bool(groups)
        return self._cached("claims", compute)  # type: ignore[no-any-return]

    def claim_groups(self) -> list[Any]:
        """Every claim group (most articles first)."""
        return self._cached("claim_groups", lambda s: claim_groups(s))  # type: ignore[no-any-return]

    def claim_group(self, group_id: str) -> Any:
        groups = self.claim_groups()  # before: _cached holds a lock that is not reentrant
        index = self._cached("claim_group_index", lambda s: {g.id: g for g in groups})
        group = index.get(group_id)
        if group is None:
            raise NotFound(f"no claim group {group_id!r}")
        return group

    def graph(self) -> Any:
        """The provenance graph of the whole corpus."""
        from narratrace.provenance.graph import build_graph

        return self._cached("graph", build_graph)

    def sources(self) -> list[Any]:
        """Cited sources, most cited first (``narratrace.provenance.graph.sources_summary``)."""
        from narratrace.provenance.graph import sources_summary

        graph = self.graph()
        return self._cached("sources", lambda s: sources_summary(s, graph=graph))  # type: ignore[no-any-return]

    def available(self) -> analyses.Available:
        """Which analyses have results (their pages and nav links appear only then)."""
        return self._cached("available", analyses.available)  # type: ignore[no-any-return]

    def narratives(self) -> Any:
        """The narratives and stories view (``narratrace.narratives.views.build_view``)."""
        from narratrace.narratives.views import build_view

        return self._cached("narratives", lambda s: build_view(s, max_stories=0,
                                                               max_evidence=analyses.EVIDENCE_LIMIT))

    def stories(self) -> list[Any]:
        """Every story (``narratrace.narratives.store.stories``)."""
        from narratrace.narratives.store import stories

        return self._cached("stories", stories)  # type: ignore[no-any-return]

    def techniques(self) -> tuple[Any, Any]:
        """Technique counts and the report's techniques section without article texts."""
        from narratrace.techniques.corpus import technique_counts
        from narratrace.techniques.report import build_section

        return self._cached("techniques", lambda s: (  # type: ignore[no-any-return]
            build_section(s, lambda aid: aid, max_articles=0), technique_counts(s)))

    def factchecks(self) -> Any:
        """The report's fact-check section, every matched claim included."""
        from narratrace.factchecks.report import build_factcheck_section

        return self._cached("factchecks", lambda s: build_factcheck_section(s, limit=MAX_OFFSET))

    def invalidate(self) -> None:
        self._cache.clear()

    def close(self) -> None:
        """Close every reader (the app's lifespan ends); a later request opens new ones."""
        with self._lock:
            self._generation += 1
            for store in self._opened:
                try:
                    store.close()
                except Exception:  # a connection already closed by its thread's end
                    log.debug("closing a reader failed", exc_info=True)
            self._opened.clear()


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(HERE / "templates")),
                                    jinja2.FileSystemLoader(str(REPORT_TEMPLATES)),
                                    jinja2.FileSystemLoader(template_dirs())]),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * x:.0f}%"
    env.filters["num"] = lambda x: f"{x:,}"
    env.filters["article_path"] = views.article_path
    env.filters["outlet_path"] = views.outlet_path
    env.filters["claim_group_path"] = views.claim_group_path
    env.filters["story_path"] = analyses.story_path
    env.filters["token"] = lambda x: re.sub(r"[^a-z0-9_-]+", "-", str(x).lower()).strip("-") or "x"  # class names
    env.filters["source_claims_url"] = views.source_claims_url
    env.filters["kind"] = lambda x: claims_report.SOURCE_KIND_LABELS.get(x, x)
    env.filters["stance"] = lambda x: claims_report.STANCE_LABELS.get(x, x)
    env.filters["firsthow"] = lambda x: claims_report.FIRST_SEEN_LABELS.get(x, x)
    return env


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in a parsed JSON value (a scalar is 0), without recursing."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            stack.extend((x, level + 1) for x in item if isinstance(x, (dict, list)))
    return deepest


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": schemas.ErrorOut, "description": "no such article, group, outlet, story... or path"},
    422: {"model": schemas.ErrorOut, "description": "invalid parameters or body (`errors` lists them)"}}
"""The error answers every operation documents (in the error shape, not FastAPI's ``detail``)."""


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def _error_json(status: int, message: str, errors: list[dict[str, Any]] | None = None,
                headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message, "errors": errors or [], "status": status},
                        status_code=status, headers=headers)


class _Guard:
    """ASGI middleware: caps request bodies (413), adds security headers to every response, and answers
    an unexpected error with a 500 in the error shape itself.

    Left to Starlette, an unexpected error is re-raised after its 500, and uvicorn then closes
    the connection: the client's next request on it was reset.
    """

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = _is_api(scope["path"])

        started = False

        async def send_with_headers(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"DENY"), (b"content-security-policy", CSP.encode())]
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None:
            try:
                too_big = int(length) > self.max_body
            except ValueError:
                await self._reject(scope, receive, send_with_headers, 400, "invalid Content-Length header", api)
                return
            if too_big:
                await self._reject(scope, receive, send_with_headers, 413,
                                   f"request body over the limit of {self.max_body:,} bytes", api)
                return
        received = 0

        async def limited_receive() -> Any:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise HTTPException(413, f"request body over the limit of {self.max_body:,} bytes")
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except Exception:
            log.exception("%s %s: unexpected error", scope.get("method"), scope["path"])
            if started:  # part of a response went out: nothing sensible can follow it
                raise
            await self._reject(scope, receive, send_with_headers, 500,
                               "internal error (logged on the server)", api)

    @staticmethod
    async def _reject(scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                      send: Callable[[Any], Awaitable[None]], status: int, message: str, api: bool) -> None:
        response: Response
        if api:
            response = _error_json(status, message)
        else:
            response = HTMLResponse(f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{message}</p>",
                                    status_code=status)
        await response(scope, receive, send)


def create_app(store_path: str, *, write_token: str | None = None, max_body: int = MAX_BODY_BYTES) -> FastAPI:
    """The web app over the store at ``store_path`` (which must exist; it is only read).

    ``write_token`` enables the write endpoints (``POST /api/articles``) for requests that
    send ``Authorization: Bearer <write_token>``; without it they answer 403.
    """
    if not is_postgres_url(store_path) and (store_path == ":memory:" or not Path(store_path).is_file()):
        raise StoreError(f"no database at {store_path}; run `narratrace ingest PATH --db {store_path}` first")
    if write_token is not None and not write_token.strip():
        raise ConfigError("the write token must not be empty")
    corpus = _Corpus(str(store_path), write_token)
    try:
        probe = open_store(corpus.path, readonly=True)  # fail now, not on the first request
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{store_path} is not a narratrace database: {exc}") from exc
    with probe:
        try:
            probe.count_articles()
        except (sqlite3.DatabaseError, StoreError) as exc:
            raise StoreError(f"{store_path} is not a narratrace database: {exc}") from exc
    env = _environment()
    css = "\n".join((REPORT_TEMPLATES / "report.css").read_text(encoding="utf-8").splitlines()
                    + (HERE / "static" / "web.css").read_text(encoding="utf-8").splitlines()) + "\n"

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        corpus.close()

    app = FastAPI(title="narratrace", version=__version__, docs_url=None, redoc_url=None, lifespan=lifespan,
                  responses=ERRORS,
                  description="Explore a narratrace corpus: articles, republication pairs and groups, search. "
                              "Shapes mirror the JSON export contract; lists are paginated with limit/offset.")
    app.state.corpus = corpus
    app.add_middleware(_Guard, max_body=max_body)

    def page(template: str, *, json_url: str | None, status: int = 200, **context: Any) -> HTMLResponse:
        try:
            has_claims, has_groups = corpus.claims()
            has = corpus.available()
        except (sqlite3.Error, StoreError):  # the nav only; the page itself says what went wrong
            has_claims = has_groups = False
            has = analyses.Available()
        html = env.get_template(template).render(json_url=json_url, version=__version__, has_claims=has_claims,
                                                 has_claim_groups=has_groups, has=has, nav=pages_context.nav,
                                                 **context)
        return HTMLResponse(html, status_code=status)

    pages_context = PageContext(store=corpus.reader, page=page)

    def twin(request: Request, api_path: str) -> str:
        return api_path + (f"?{request.url.query}" if request.url.query else "")

    # -- errors ------------------------------------------------------------------------------------
    def error_response(request: Request, status: int, message: str, errors: list[dict[str, Any]] | None = None,
                       headers: dict[str, str] | None = None) -> Response:
        if _is_api(request.url.path):
            return _error_json(status, message, errors, headers)
        return page("error.html", json_url=None, status=status, status_code=status, message=message,
                    errors=errors or [], title=f"{status} error")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Starlette names the methods of the first route that matched the path only
            allowed = {m for r in app.routes if isinstance(r, BaseRoute) and r.matches(request.scope)[0] != Match.NONE
                       for m in getattr(r, "methods", None) or ()}
            headers = {**(headers or {}), "Allow": ", ".join(sorted(allowed))}
        return error_response(request, exc.status_code, str(exc.detail), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return error_response(request, 422, f"invalid request ({where})", errors)

    @app.exception_handler(NarratraceError)
    async def library_error(request: Request, exc: NarratraceError) -> Response:
        status = 404 if isinstance(exc, NotFound) else 400 if isinstance(exc, (ConfigError, InputError)) else 500
        if status == 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return error_response(request, status, str(exc))

    # -- parameters --------------------------------------------------------------------------------
    def limit_q(default: int = PAGE_SIZE) -> Any:
        return Query(default, ge=1, le=MAX_LIMIT, description=f"items per page (at most {MAX_LIMIT})")

    offset_q = Query(0, ge=0, le=MAX_OFFSET, description="items to skip")

    def article_filter(outlet: str | None, language: str | None, date_from: str | None,
                       date_to: str | None) -> ArticleFilter:
        return ArticleFilter(outlet=outlet or None, language=language or None, date_from=date_from or None,
                             date_to=date_to or None)

    # -- pages ---------------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview_page(request: Request, outlet: str | None = None, language: str | None = None,
                      date_from: str | None = Query(None, pattern=_DATE),
                      date_to: str | None = Query(None, pattern=_DATE),
                      limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = views.overview_view(corpus.reader(), corpus.stats(),
                                   article_filter(outlet, language, date_from, date_to), limit=limit, offset=offset)
        return page("overview.html", json_url=twin(request, "/api/overview"), v=view, title="Overview")

    @app.get("/articles/{ref:path}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(ref: str, with_: str | None = Query(None, alias="with")) -> HTMLResponse:
        view = views.article_view(corpus.reader(), ref, with_ref=with_ or None)
        an = analyses.article_analyses(corpus.reader(), view.article.id)
        return page("article.html", json_url="/api" + views.article_path(view.article.ref), v=view, an=an,
                    title=view.article.title or view.article.ref)

    @app.get("/groups", response_class=HTMLResponse, include_in_schema=False)
    def groups_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = views.groups_view(corpus.reader(), limit=limit, offset=offset)
        return page("groups.html", json_url=twin(request, "/api/groups"), v=view, title="Republication groups")

    def group_id_q(group_id: int) -> int:
        if group_id not in _ID_RANGE:  # SQLite and PostgreSQL ids are 64-bit: no such group
            raise NotFound(f"no republication group {group_id}")
        return group_id

    @app.get("/groups/{group_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def group_page(group_id: int, copy: str | None = None) -> HTMLResponse:
        view = views.group_view(corpus.reader(), group_id_q(group_id), copy_ref=copy or None)
        return page("group.html", json_url=f"/api/groups/{group_id}", v=view, title=f"Republication group {group_id}")

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: str = Query("", max_length=500), limit: int = limit_q(20),
                    offset: int = Query(0, ge=0, le=views.SEARCH_MAX)) -> HTMLResponse:
        view = views.search_view(corpus.reader(), q, limit=limit, offset=offset)
        return page("search.html", json_url=twin(request, "/api/search"), v=view, query=q,
                    window=views.SEARCH_WINDOW, title=f"Search: {q}" if q else "Search")

    @app.get("/search/claims", response_class=HTMLResponse, include_in_schema=False)
    def claim_search_page(q: str = Query("", max_length=500), limit: int = limit_q(20)) -> HTMLResponse:
        index = corpus._cached("claim_index", views.claim_index)
        if index is None:
            raise NotFound("no claim embeddings in this corpus: run `narratrace analyze` (claims stages) first")
        hits = views.semantic_claim_search(index, q, limit=limit, store=corpus.reader())
        return page("search_claims.html", json_url=f"/api/search/claims?q={quote(q)}", hits=hits, query=q,
                    title=f"Claims like: {q}" if q else "Search claims by meaning")

    @app.get("/outlets", response_class=HTMLResponse, include_in_schema=False)
    def outlets_page(request: Request, limit: int = limit_q(100), offset: int = offset_q) -> HTMLResponse:
        view = views.outlets_view(corpus.stats(), limit=limit, offset=offset)
        return page("outlets.html", json_url=twin(request, "/api/outlets"), v=view, title="Sources")

    @app.get("/outlets/{name:path}", response_class=HTMLResponse, include_in_schema=False)
    def outlet_page(request: Request, name: str, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = views.outlet_view(corpus.reader(), name, corpus.links(), limit=limit, offset=offset)
        framing = analyses.outlet_framing(corpus.reader(), name) if corpus.available().framing else None
        return page("outlet.html", json_url=twin(request, "/api" + views.outlet_path(name)), v=view,
                    framing=framing, title=name)

    @app.get("/skipped", response_class=HTMLResponse, include_in_schema=False)
    def skipped_page(request: Request, limit: int = limit_q(100), offset: int = offset_q) -> HTMLResponse:
        view = views.skipped_view(corpus.reader(), limit=limit, offset=offset)
        return page("skipped.html", json_url=twin(request, "/api/skipped"), v=view, title="Skipped inputs")

    def need_claims() -> None:
        if not corpus.claims()[0]:
            raise NotFound("this corpus has no claims (run `narratrace analyze` with the claims stage)")

    @app.get("/claim-groups", response_class=HTMLResponse, include_in_schema=False)
    def claim_groups_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        need_claims()
        view = views.claim_groups_view(corpus.claim_groups(), limit=limit, offset=offset)
        return page("claim_groups.html", json_url=twin(request, "/api/claim-groups"), v=view, title="Claim groups")

    @app.get("/claim-groups/{group_id}", response_class=HTMLResponse, include_in_schema=False)
    def claim_group_page(group_id: str) -> HTMLResponse:
        view = views.claim_group_view(corpus.reader(), corpus.claim_group(group_id))
        return page("claim_group.html", json_url="/api" + views.claim_group_path(group_id), v=view,
                    title=f"Claim group {group_id}")

    @app.get("/sources", response_class=HTMLResponse, include_in_schema=False)
    def sources_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        need_claims()
        view = views.sources_view(corpus.sources(), corpus.graph(), corpus.links(), limit=limit, offset=offset)
        return page("sources.html", json_url=twin(request, "/api/sources"), v=view, title="Cited sources")

    @app.get("/narratives", response_class=HTMLResponse, include_in_schema=False)
    def narratives_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = analyses.narratives_page(corpus.narratives(), limit=limit, offset=offset)
        return page("narratives.html", json_url=twin(request, "/api/narratives"), v=view, title="Narratives")

    @app.get("/stories", response_class=HTMLResponse, include_in_schema=False)
    def stories_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = analyses.stories_page(corpus.stories(), limit=limit, offset=offset)
        return page("stories.html", json_url=twin(request, "/api/stories"), v=view, title="Stories")

    @app.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def story_page(request: Request, story_id: str, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = analyses.story_page(corpus.reader(), corpus.stories(), story_id, limit=limit, offset=offset)
        return page("story.html", json_url=twin(request, "/api" + analyses.story_path(story_id)), v=view,
                    title=view.story.label)

    @app.get("/techniques", response_class=HTMLResponse, include_in_schema=False)
    def techniques_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        section, counts = corpus.techniques()
        view = analyses.techniques_page(corpus.reader(), section, counts, limit=limit, offset=offset)
        return page("techniques.html", json_url=twin(request, "/api/techniques"), v=view,
                    title="Persuasion techniques")

    @app.get("/factchecks", response_class=HTMLResponse, include_in_schema=False)
    def factchecks_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = analyses.factchecks_page(corpus.factchecks(), limit=limit, offset=offset)
        return page("factchecks.html", json_url=twin(request, "/api/factchecks"), v=view, title="Fact-checks")

    @app.get("/static/narratrace.css", include_in_schema=False)
    def stylesheet() -> Response:
        return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    # -- JSON API ------------------------------------------------------------------------------------
    @app.get("/api", tags=["meta"])
    def api_index() -> dict[str, Any]:
        """What the API offers (the OpenAPI schema is at /openapi.json)."""
        return {"ok": True, "name": "narratrace", "version": __version__, "openapi": "/openapi.json",
                "endpoints": sorted({getattr(r, "path", "") for r in app.routes
                                     if getattr(r, "path", "").startswith("/api/")})}

    @app.get("/api/overview", response_model=schemas.OverviewOut, tags=["pages"])
    def api_overview(outlet: str | None = None, language: str | None = None,
                     date_from: str | None = Query(None, pattern=_DATE),
                     date_to: str | None = Query(None, pattern=_DATE),
                     limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """The overview page's data: corpus counts and facets, one page of filtered articles, the first groups."""
        view = views.overview_view(corpus.reader(), corpus.stats(),
                                   article_filter(outlet, language, date_from, date_to), limit=limit, offset=offset)
        return views.overview_json(view)

    @app.get("/api/articles", response_model=schemas.ArticlePage, tags=["articles"])
    def api_articles(outlet: str | None = None, language: str | None = None,
                     date_from: str | None = Query(None, pattern=_DATE),
                     date_to: str | None = Query(None, pattern=_DATE),
                     limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Articles (no text), newest first, filtered by outlet, language and date range (inclusive)."""
        return views.articles_json(corpus.reader(), article_filter(outlet, language, date_from, date_to),
                                   limit=limit, offset=offset)

    @app.get("/api/articles/{ref:path}", response_model=schemas.ArticleDetail, tags=["articles"])
    def api_article(ref: str) -> dict[str, Any]:
        """One article by ref or id: text, segments, republication pairs, group, annotations, and what the
        analyses found in it: narratives (with evidence), stories, persuasion techniques, entity roles,
        fact-check matches of its claims."""
        store = corpus.reader()
        detail = views.article_detail_json(store, ref)
        return {**detail, **analyses.article_analyses_json(analyses.article_analyses(store, detail["article"]["id"]))}

    @app.post("/api/articles", response_model=schemas.UploadOut, tags=["write"],
              responses={400: {"model": schemas.ErrorOut}, 401: {"model": schemas.ErrorOut},
                         403: {"model": schemas.ErrorOut}, 413: {"model": schemas.ErrorOut}},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": schemas.UploadIn.model_json_schema()}}}})
    async def api_upload(request: Request) -> dict[str, Any]:
        """Ingest articles (JSONL field names) and analyse them. Needs ``Authorization: Bearer TOKEN``."""
        _authorize(request)
        raw = await request.body()
        try:
            parsed = json.loads(raw)
        except UnicodeDecodeError as exc:
            raise HTTPException(400, f"body is not UTF-8 JSON: invalid byte at {exc.start}") from exc
        except ValueError as exc:  # json.JSONDecodeError, and numbers too long to convert
            raise HTTPException(400, f"body is not valid JSON: {exc}") from exc
        except RecursionError as exc:
            raise HTTPException(400, f"body nests arrays or objects deeper than {MAX_DEPTH} levels") from exc
        if _depth(parsed) > MAX_DEPTH:
            raise HTTPException(400, f"body nests arrays or objects deeper than {MAX_DEPTH} levels")
        try:
            body = schemas.UploadIn.model_validate(parsed)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        result = await run_in_threadpool(_write, body.articles)
        return {"ok": True, "added": result.added, "updated": result.updated, "unchanged": result.unchanged,
                "refs": result.refs, "skipped": [{"path": s.path, "reason": s.reason, "code": s.code}
                                                 for s in result.skipped],
                "analysis": dict(result.run.done), "failed": [str(e) for e in result.run.failed]}

    def _authorize(request: Request) -> None:
        if corpus.write_token is None:
            raise HTTPException(403, "write endpoints are disabled: the server was started without a write token")
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(),
                                                                 corpus.write_token.encode()):
            raise HTTPException(401, "missing or wrong token (send Authorization: Bearer TOKEN)",
                                headers={"WWW-Authenticate": "Bearer"})

    def _write(objects: list[dict[str, Any]]) -> Any:
        with corpus.write_lock:
            try:
                with open_store(corpus.path) as store:
                    return upload(store, objects)
            finally:
                corpus.invalidate()

    @app.get("/api/republications", response_model=schemas.RepublicationPage, tags=["republication"])
    def api_republications(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Republication pairs in detection order, with passages, additions and edits (offsets in the texts)."""
        return views.pairs_json(corpus.reader(), limit=limit, offset=offset)

    @app.get("/api/groups", response_model=schemas.GroupPage, tags=["republication"])
    def api_groups(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Republication groups: the original, every member, why that one is the original."""
        return views.groups_json(corpus.reader(), limit=limit, offset=offset)

    @app.get("/api/groups/{group_id}", response_model=schemas.GroupDetail, tags=["republication"])
    def api_group(group_id: int) -> dict[str, Any]:
        """One group with its articles and the pairs of its copies (the group page's data)."""
        return views.group_detail_json(corpus.reader(), group_id_q(group_id))

    @app.get("/api/search/claims", tags=["search"])
    def api_claim_search(q: str = Query(..., max_length=500, description="a claim, in any wording"),
                         limit: int = limit_q(20)) -> dict[str, Any]:
        """Semantic search: the claims closest in meaning (sentence embeddings, cosine), best first."""
        index = corpus._cached("claim_index", views.claim_index)
        if index is None:
            raise NotFound("no claim embeddings in this corpus: run `narratrace analyze` (claims stages) first")
        hits = views.semantic_claim_search(index, q, limit=limit, store=corpus.reader())
        return {"ok": True, "query": q, "limit": limit,
                "hits": [{"article": h.ref, "claim": h.claim, "text": h.text, "score": h.score} for h in hits]}

    @app.get("/api/search", response_model=schemas.SearchPage, tags=["search"])
    def api_search(q: str = Query(..., max_length=500, description="words to find (all of them)"),
                   limit: int = limit_q(20), offset: int = Query(0, ge=0, le=views.SEARCH_MAX)) -> dict[str, Any]:
        """Full-text search of titles and texts (SQLite FTS5, BM25), best first."""
        return views.search_json(views.search_view(corpus.reader(), q, limit=limit, offset=offset))

    @app.get("/api/outlets", response_model=schemas.OutletPage, tags=["sources"])
    def api_outlets(limit: int = limit_q(100), offset: int = offset_q) -> dict[str, Any]:
        """Outlets with their article counts, most articles first (``null``: unknown outlet)."""
        return views.outlets_json(views.outlets_view(corpus.stats(), limit=limit, offset=offset))

    @app.get("/api/outlets/{name:path}", response_model=schemas.OutletDetail, tags=["sources"])
    def api_outlet(name: str, limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """One outlet: its articles, the outlets it copied from and those that copied it, how it casts entities."""
        store = corpus.reader()
        out = views.outlet_json(views.outlet_view(store, name, corpus.links(), limit=limit, offset=offset))
        # without framing results the answer is known: asking costs a scan of every article (40 ms at 10k)
        framing = analyses.outlet_framing(store, name) if corpus.available().framing else None
        return {**out, "framing": analyses.outlet_framing_json(framing)}

    @app.get("/api/skipped", response_model=schemas.SkippedPage, tags=["articles"])
    def api_skipped(limit: int = limit_q(100), offset: int = offset_q) -> dict[str, Any]:
        """Inputs that were not ingested, and why."""
        return views.skipped_json(views.skipped_view(corpus.reader(), limit=limit, offset=offset))

    @app.get("/api/claims", response_model=schemas.ClaimPage, tags=["claims"])
    def api_claims(source: str | None = Query(None, max_length=500, description="cited source (as written or "
                                                                                "canonical, any case)"),
                   article: str | None = Query(None, max_length=1000, description="ref or id of an article"),
                   limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Claims with their attribution (export contract), optionally of one source or one article."""
        return views.claims_json(corpus.reader(), article=article or None, source=source or None, limit=limit,
                                 offset=offset)

    @app.get("/api/claim-groups", response_model=schemas.ClaimGroupPage, tags=["claims"])
    def api_claim_groups(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Claim groups: the same claim across articles, first appearance, attributions, conflicts."""
        return views.claim_groups_json(views.claim_groups_view(corpus.claim_groups(), limit=limit, offset=offset))

    @app.get("/api/claim-groups/{group_id}", response_model=schemas.ClaimGroupDetail, tags=["claims"])
    def api_claim_group(group_id: str) -> dict[str, Any]:
        """One claim group with the timeline of its appearances (the claim group page's data)."""
        return views.claim_group_detail_json(views.claim_group_view(corpus.reader(), corpus.claim_group(group_id)))

    @app.get("/api/sources", response_model=schemas.SourcePage, tags=["claims"])
    def api_sources(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Cited sources, most cited first: how often, in which articles, by which outlets."""
        return views.sources_json(views.sources_view(corpus.sources(), corpus.graph(), corpus.links(), limit=limit,
                                                     offset=offset))

    @app.get("/api/narratives", response_model=schemas.NarrativePage, tags=["narratives"])
    def api_narratives(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Narratives of the taxonomy found in the corpus: articles, subnarratives, evidence sentences."""
        return analyses.narratives_json(analyses.narratives_page(corpus.narratives(), limit=limit, offset=offset))

    @app.get("/api/stories", response_model=schemas.StoryPage, tags=["narratives"])
    def api_stories(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Stories (articles about the same event), most articles first: label, date span, size."""
        return analyses.stories_json(analyses.stories_page(corpus.stories(), limit=limit, offset=offset))

    @app.get("/api/stories/{story_id}", response_model=schemas.StoryDetail, tags=["narratives"])
    def api_story(story_id: str, limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """One story with one page of its articles."""
        return analyses.story_json(analyses.story_page(corpus.reader(), corpus.stories(), story_id, limit=limit,
                                                       offset=offset))

    @app.get("/api/techniques", response_model=schemas.TechniquePage, tags=["techniques"])
    def api_techniques(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Persuasion techniques: counts per technique, per outlet, per narrative, and per article (paged)."""
        section, counts = corpus.techniques()
        return analyses.techniques_json(analyses.techniques_page(corpus.reader(), section, counts, limit=limit,
                                                                 offset=offset))

    @app.get("/api/factchecks", response_model=schemas.FactcheckPage, tags=["factchecks"])
    def api_factchecks(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Already-debunked claims and the outlets repeating them, and claims with matching fact-checks (paged)."""
        return analyses.factchecks_json(analyses.factchecks_page(corpus.factchecks(), limit=limit, offset=offset))

    @app.get("/api/provenance", response_model=schemas.ProvenanceOut, tags=["claims"])
    def api_provenance() -> dict[str, Any]:
        """The provenance graph (who publishes, copies, cites and links to whom) as nodes and edges."""
        from narratrace.provenance.graph import graph_to_json

        return {"ok": True, **graph_to_json(corpus.graph())}

    for analysis in registered_analyses():  # each analysis's own pages, after the app's
        if analysis.pages:
            app.include_router(resolve(analysis.pages)(pages_context))
    return app
