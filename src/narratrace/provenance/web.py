"""The provenance graph's pages: ``/provenance`` (the spread graph over time) and its JSON twins.

``/api/provenance`` is the whole graph (nodes and edges; the sources page counts them);
``/provenance`` draws its components over time, a window of them per page (largest first), and
``/api/provenance/spread`` is that page's data. The drawing code is ``/static/provenance/spread.js``
(the app's Content-Security-Policy allows scripts from the app itself, none inline); the page
embeds its data as a JSON block the script reads as text. An article's page says which component
it is in and links to it (its facts, and ``spread`` in its JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from narratrace.model import Article
from narratrace.store import Store
from narratrace.web.pages import NavItem, PageContext, Panel, article_path, limit_q, offset_q, pager, twin
from narratrace.web.schemas import Out, PageOut

__all__ = ["ARTICLE_FIELDS", "PAGE_COMPONENTS", "ProvenanceOut", "SpreadFact", "SpreadOut", "make_pages"]

PAGE_COMPONENTS = 10
"""Components of the spread graph per page (the script pages through them, the page links to the next ones)."""


class ProvenanceOut(Out):
    ok: bool = True
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]


class SpreadOut(PageOut):
    multi: int = Field(description="components of more than one article")
    copies: int = Field(description="copy links in the corpus")
    shown: int
    stories: dict[str, str] = Field(description="story id -> label, for the stories of the articles shown")
    components: list[dict[str, Any]] = Field(
        description="largest first: index, articles, dated, undated, sources, links (per kind), "
                    "nodes (key, kind, label, ref, title, outlet, date, published, href, stories, source_kind), "
                    "edges (source, target, kind: copies original -> copy | links | cites source -> article, "
                    "share, evidence, count)")


@dataclass(frozen=True, slots=True)
class SpreadFact:
    """An article's component in the spread graph: its rank, and what is drawn in it."""

    index: int
    total: int
    articles: int
    copies: int
    cites: int

    @property
    def path(self) -> str:
        return f"/provenance?offset={self.index - 1}&limit=1"


ARTICLE_FIELDS: dict[str, tuple[Any, Any]] = {
    "spread": (dict[str, Any] | None, Field(None, description="its component in the spread graph (when it has "
                                                              "copies or links): component, components, articles, "
                                                              "copies, cites, page")),
}


def _has_articles(store: Store) -> bool:
    return store.count_articles() > 0


def make_pages(context: PageContext) -> APIRouter:
    """``/provenance``, ``/api/provenance/spread``, ``/api/provenance`` and the drawing code."""
    router = APIRouter()
    cache = context.cache()
    context.nav.append(NavItem("/provenance", "Spread", available=_has_articles, order=22))

    def graph() -> Any:
        from narratrace.provenance.graph import build_graph  # networkx, when first asked

        return cache.get("graph", build_graph)

    def spread(limit: int, offset: int) -> Any:
        from narratrace.provenance.spread import spread_view, story_index

        found = components()
        labels = cache.get("stories", lambda s: story_index(s)[1])
        return spread_view(context.store(), offset=offset, limit=limit, components=found, story_labels=labels)

    def components() -> Any:
        from narratrace.provenance.spread import spread_components

        g = graph()
        return cache.get("spread", lambda s: spread_components(
            s, graph=g, href=lambda a: article_path(str(a.get("ref"))) if a.get("ref") else None))

    def article_fact(store: Store, article: Article) -> SpreadFact | None:
        """Where an article of a component of several articles sits in the spread graph (its page's facts)."""
        found = components()
        index = cache.get("spread_index", lambda s: {n.key: c for c in found if c.articles > 1
                                                     for n in c.nodes if n.kind == "article"})
        c = index.get(f"article:{article.id}")
        return None if c is None else SpreadFact(c.index, len(found), c.articles, c.count("copies"), c.count("cites"))

    def article_fact_json(store: Store, article: Article) -> dict[str, Any]:
        fact = article_fact(store, article)
        return {"spread": None if fact is None else {
            "component": fact.index, "components": fact.total, "articles": fact.articles, "copies": fact.copies,
            "cites": fact.cites, "page": fact.path}}

    context.article_panels.append(Panel(view=article_fact, facts="article_spread.html", json=article_fact_json,
                                        fields=ARTICLE_FIELDS, order=30))

    def spread_json(view: Any, limit: int) -> dict[str, Any]:
        return {"ok": True, "limit": limit, **view.to_dict()}

    @router.get("/provenance", response_class=HTMLResponse, include_in_schema=False)
    def spread_html(request: Request, limit: int = limit_q(PAGE_COMPONENTS), offset: int = offset_q) -> HTMLResponse:
        view = spread(limit, offset)
        return context.page("spread.html", json_url=twin(request, "/api/provenance/spread"), sv=view,
                            spread_id="nt-spread", title="Spread over time",
                            pager=pager("/provenance", {}, limit=limit, offset=offset, shown=len(view.components),
                                        total=view.total))

    @router.get("/api/provenance/spread", response_model=SpreadOut, tags=["claims"])
    def api_spread(limit: int = limit_q(PAGE_COMPONENTS), offset: int = offset_q) -> dict[str, Any]:
        """The spread graph over time: components (articles joined by copy links and links, with the sources
        they cite), largest first, each with every one of its links (the ``/provenance`` page's data)."""
        return spread_json(spread(limit, offset), limit)

    @router.get("/static/provenance/spread.js", include_in_schema=False)
    def spread_script() -> Response:
        from narratrace.provenance.spread import script_source

        return Response(script_source(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/api/provenance", response_model=ProvenanceOut, tags=["claims"])
    def api_provenance() -> dict[str, Any]:
        """The provenance graph (who publishes, copies, cites and links to whom) as nodes and edges."""
        from narratrace.provenance.graph import graph_to_json

        return {"ok": True, **graph_to_json(graph())}

    return router
