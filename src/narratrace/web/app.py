"""The web app: server-rendered pages and their JSON twins under ``/api``.

:func:`create_app` returns a FastAPI (ASGI) app over one store file. Handlers only parse
parameters, call one function of :mod:`narratrace.web.views` and render it; every page
names its JSON twin (``<link rel="alternate">`` and a "JSON" link).

The corpus's own pages are here (overview, articles, search, outlets, skipped inputs, upload);
each analysis's pages, and what it adds to the navigation and to an article's or an outlet's
page, come from its package (``Analysis.pages``, :mod:`narratrace.web.pages`): the app loops
over the registry and names no analysis.

Reading: each worker thread opens its own read-only :class:`~narratrace.store.Store`
(SQLite connections belong to one thread), so serving never writes. Writing: only the
write endpoints do, with a token given at start-up (``Authorization: Bearer TOKEN``),
one at a time, through a normal Store opened for that request. Without a token they
answer 403.

Safety: templates autoescape everything and highlighted text is rendered segment by
segment; URLs from articles become links only when http(s); pages carry a
Content-Security-Policy that allows no inline script, only the analyses' own drawing code served
by the app itself (``script-src 'self'``: the spread graph, the story map, the review page, which
may fetch from this server only: ``connect-src 'self'``); parameters are only ever looked
up in the database (no file is opened from a request); request bodies are capped
(413); errors are ``{"ok": false, "error", "errors", "status"}`` under ``/api`` and a
plain HTML page elsewhere.
"""

from __future__ import annotations

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
from narratrace.errors import ConfigError, InputError, NarratraceError, NotFound, StoreError, StoreLocked
from narratrace.report import TEMPLATES as REPORT_TEMPLATES
from narratrace.analyses import registered_analyses, resolve
from narratrace.languages import describe_reasons
from narratrace.pipeline import in_run_order
from narratrace.sections import template_dirs
from narratrace.store import Store, is_postgres_url, open_store
from narratrace.store import db as store_db
from narratrace.web.pages import MAX_LIMIT, Cache, NavItem, PageContext, limit_q, offset_q, twin
from narratrace.store.browse import ArticleFilter, CorpusStats, corpus_stats, outlet_links
from narratrace.web import schemas, tables, views
from narratrace.web.upload import upload

__all__ = ["MAX_BODY_BYTES", "MAX_LIMIT", "create_app"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

HERE = Path(__file__).parent
MAX_BODY_BYTES = 5 * 1024 * 1024
"""Largest request body accepted (413 beyond)."""
MAX_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in an uploaded body (400 beyond)."""
NAV = (NavItem("/", "Overview", order=0), NavItem("/outlets", "Sources", order=20),
       NavItem("/skipped", "Skipped inputs", order=900), NavItem("/api", "API", order=910))
"""The corpus's own links of every page's navigation (the analyses add theirs: ``PageContext.nav``)."""

CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
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
        self.write_lock = threading.Lock()
        self._generation = 0  # bumped by close(): a thread's reader from before is closed
        self.cache = Cache(self.reader)

    def reader(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None or getattr(self._local, "generation", None) != self._generation:
            store = self._local.store = open_store(self.path, readonly=True)  # new, or closed by close()
            self._local.generation = self._generation
            with self._lock:
                self._opened.append(store)
        return store

    def stats(self) -> CorpusStats:
        """Counts and facets of the whole corpus."""
        return self.cache.get("stats", corpus_stats)  # type: ignore[no-any-return]

    def links(self) -> list[tuple[str | None, str | None, int]]:
        """Pairs per (copy's outlet, original's outlet) over the whole corpus."""
        return self.cache.get("links", outlet_links)  # type: ignore[no-any-return]

    def invalidate(self) -> None:
        self.cache.clear()

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
    env.filters["run_order"] = in_run_order
    env.filters["reasons"] = describe_reasons
    env.filters["article_path"] = views.article_path
    env.filters["outlet_path"] = views.outlet_path
    env.filters["token"] = lambda x: re.sub(r"[^a-z0-9_-]+", "-", str(x).lower()).strip("-") or "x"  # class names
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


def _database_busy(exc: BaseException) -> bool:
    """Whether SQLite gave up waiting for another process's write ("database is locked"), here or
    as the cause of a :class:`StoreError` (opening the store for writing)."""
    return any(isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e))
               for e in (exc, exc.__cause__))


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/") or path == "/openapi.json"


def _error_json(status: int, message: str, errors: list[dict[str, Any]] | None = None,
                headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message, "errors": errors or [], "status": status},
                        status_code=status, headers=headers)


class _Guard:
    """ASGI middleware: caps request bodies (413), adds security headers to every response, answers
    an unexpected error with a 500 in the error shape itself, and answers ``HEAD`` as ``GET`` without
    the body (FastAPI's routes take no ``HEAD``: link checkers and monitors got 405 for every page).

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
        head = scope.get("method") == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        started = False

        async def send_with_headers(message: Any) -> None:
            nonlocal started
            if head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
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
        html = env.get_template(template).render(json_url=json_url, version=__version__, nav=shown(nav), **context)
        return HTMLResponse(html, status_code=status)

    # -- what the analyses add: their pages, links, panels, filters (make_pages) -------------------------
    pages_context = PageContext(store=corpus.reader, page=page, nav=list(NAV),
                                authorize=lambda request: _authorize(request), write=lambda fn: _write_store(fn))
    routers = [resolve(analysis.pages)(pages_context) for analysis in registered_analyses() if analysis.pages]
    routers.append(tables.make_pages(pages_context))  # the tables the analyses added (narratrace.web.tables)
    analysis_routes = [r for router in routers for r in router.routes]  # app.routes lists included routers whole
    env.filters.update(pages_context.filters)
    nav = sorted(pages_context.nav, key=lambda n: n.order)
    links = [*nav, *pages_context.search_links]
    article_panels = sorted(pages_context.article_panels, key=lambda p: p.order)
    outlet_panels = sorted(pages_context.outlet_panels, key=lambda p: p.order)
    article_detail = schemas.with_fields(schemas.ArticleDetail,
                                         {k: v for p in article_panels for k, v in p.fields.items()})
    outlet_detail = schemas.with_fields(schemas.OutletDetail,
                                        {k: v for p in outlet_panels for k, v in p.fields.items()})

    def shown(items: list[NavItem]) -> list[NavItem]:
        """The links whose pages have data (asked once per change of the database)."""
        try:
            available = corpus.cache.get("nav", lambda s: {n for n in links if n.available is None or n.available(s)})
        except (sqlite3.Error, StoreError):  # the nav only; the page itself says what went wrong
            available = {n for n in links if n.available is None}
        return [n for n in items if n in available]

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
        status = (404 if isinstance(exc, NotFound) else 400 if isinstance(exc, (ConfigError, InputError))
                  else 409 if isinstance(exc, StoreLocked) else 500)  # 409: a command is writing the corpus
        if status == 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
        return error_response(request, status, str(exc))

    # -- parameters (limit_q, offset_q: narratrace.web.pages) ---------------------------------------
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
        view = views.article_view(corpus.reader(), ref, with_ref=with_ or None, panels=article_panels)
        return page("article.html", json_url="/api" + views.article_path(view.article.ref), v=view,
                    title=view.article.title or view.article.ref)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: str = Query("", max_length=500), limit: int = limit_q(20),
                    offset: int = Query(0, ge=0, le=views.SEARCH_MAX)) -> HTMLResponse:
        view = views.search_view(corpus.reader(), q, limit=limit, offset=offset)
        return page("search.html", json_url=twin(request, "/api/search"), v=view, query=q,
                    window=views.SEARCH_WINDOW, search_links=shown(pages_context.search_links),
                    title=f"Search: {q}" if q else "Search")

    @app.get("/outlets", response_class=HTMLResponse, include_in_schema=False)
    def outlets_page(request: Request, limit: int = limit_q(100), offset: int = offset_q) -> HTMLResponse:
        view = views.outlets_view(corpus.stats(), limit=limit, offset=offset)
        return page("outlets.html", json_url=twin(request, "/api/outlets"), v=view, title="Sources")

    @app.get("/outlets/{name:path}", response_class=HTMLResponse, include_in_schema=False)
    def outlet_page(request: Request, name: str, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        store = corpus.reader()
        view = views.outlet_view(store, name, corpus.links(), limit=limit, offset=offset)
        return page("outlet.html", json_url=twin(request, "/api" + views.outlet_path(name)), v=view,
                    panels=views.panel_views(outlet_panels, store, name), title=name)

    @app.get("/skipped", response_class=HTMLResponse, include_in_schema=False)
    def skipped_page(request: Request, limit: int = limit_q(100), offset: int = offset_q) -> HTMLResponse:
        view = views.skipped_view(corpus.reader(), limit=limit, offset=offset)
        return page("skipped.html", json_url=twin(request, "/api/skipped"), v=view, title="Skipped inputs")

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
                "endpoints": sorted({getattr(r, "path", "") for r in [*app.routes, *analysis_routes]
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

    @app.get("/api/articles/{ref:path}", response_model=article_detail, tags=["articles"])
    def api_article(ref: str) -> dict[str, Any]:
        """One article by ref or id: text, segments, republication pairs, group, annotations, and what the
        analyses found in it: narratives (with evidence), stories, persuasion techniques, entity roles,
        fact-check matches of its claims."""
        return views.article_detail_json(corpus.reader(), ref, panels=article_panels)

    @app.post("/api/articles", response_model=schemas.UploadOut, tags=["write"],
              responses={400: {"model": schemas.ErrorOut}, 401: {"model": schemas.ErrorOut},
                         403: {"model": schemas.ErrorOut}, 413: {"model": schemas.ErrorOut},
                         409: {"model": schemas.ErrorOut,
                               "description": "a command (analyze, ingest) is writing the corpus (NT320)"}},
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
        return _write_store(lambda store: upload(store, objects))

    def _write_store(fn: Callable[[Store], Any]) -> Any:
        with corpus.write_lock:
            try:
                with open_store(corpus.path) as store:
                    return fn(store)
            except (sqlite3.OperationalError, StoreError) as exc:
                if not isinstance(exc, StoreLocked) and _database_busy(exc):
                    raise StoreLocked("another process is writing the corpus (the database stayed locked for "
                                      f"{store_db.BUSY_TIMEOUT_MS / 1000:g} s); nothing was saved: try again when it is done"
                                      ) from exc
                raise
            finally:
                corpus.invalidate()
                for cache in pages_context.caches:
                    cache.clear()

    @app.get("/api/search", response_model=schemas.SearchPage, tags=["search"])
    def api_search(q: str = Query(..., max_length=500, description="words to find (all of them)"),
                   limit: int = limit_q(20), offset: int = Query(0, ge=0, le=views.SEARCH_MAX)) -> dict[str, Any]:
        """Full-text search of titles and texts (SQLite FTS5, BM25), best first."""
        return views.search_json(views.search_view(corpus.reader(), q, limit=limit, offset=offset))

    @app.get("/api/outlets", response_model=schemas.OutletPage, tags=["sources"])
    def api_outlets(limit: int = limit_q(100), offset: int = offset_q) -> dict[str, Any]:
        """Outlets with their article counts, most articles first (``null``: unknown outlet)."""
        return views.outlets_json(views.outlets_view(corpus.stats(), limit=limit, offset=offset))

    @app.get("/api/outlets/{name:path}", response_model=outlet_detail, tags=["sources"])
    def api_outlet(name: str, limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """One outlet: its articles, the outlets it copied from and those that copied it, how it casts entities."""
        store = corpus.reader()
        out = views.outlet_json(views.outlet_view(store, name, corpus.links(), limit=limit, offset=offset))
        return {**out, **views.panels_json(outlet_panels, store, name)}

    @app.get("/api/skipped", response_model=schemas.SkippedPage, tags=["articles"])
    def api_skipped(limit: int = limit_q(100), offset: int = offset_q) -> dict[str, Any]:
        """Inputs that were not ingested, and why."""
        return views.skipped_json(views.skipped_view(corpus.reader(), limit=limit, offset=offset))

    for router in routers:  # each analysis's own pages, after the app's
        app.include_router(router)
    return app
