"""The claims pages: claim groups, cited sources, semantic claim search, and the claims of an article's page.

``make_pages`` (``Analysis.pages``) serves ``/claim-groups``, ``/claim-groups/{id}``, ``/sources``,
``/search/claims`` and their twins ``/api/claim-groups...``, ``/api/sources``, ``/api/search/claims``,
and ``/api/claims``; it links the cited sources and claim groups from every page's navigation (once
the store holds claims, and claim groups), the semantic search from the search page, and draws an
article's claims layer on its page (:func:`article_claims`). The sources page counts the provenance
graph's nodes and edges (:mod:`narratrace.provenance.graph`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from narratrace.claims import report as claims_report
from narratrace.claims.export import claims_page, export_claims
from narratrace.claims.store import CLAIMS_TABLE, SOURCES_TABLE, claim_groups
from narratrace.errors import NotFound
from narratrace.model import Article
from narratrace.sections import ArticleRow, opt_str, span_or_none
from narratrace.store import Store, browse
from narratrace.store.browse import outlet_links
from narratrace.web.pages import (ARTICLE_TEXT_LIMIT, NavItem, PageContext, Pager, Panel, TableItem, article_path,
                                  article_row, limit_q, offset_q, pager, twin)
from narratrace.web.schemas import Out, PageOut

if TYPE_CHECKING:
    from narratrace.provenance.graph import SourceSummary
    from narratrace.claims.model import ClaimGroup

__all__ = ["CLAIM_KINDS", "AppearanceItem", "ArticleClaims", "ClaimGroupDetail", "ClaimGroupPage", "ClaimGroupPageView",
           "ClaimGroupsView", "ClaimIndex", "ClaimPage", "SemanticHit", "SourcePage", "SourcesView",
           "StoredClaimIndex", "article_claims", "article_claims_json", "claim_group_detail_json", "claim_group_json",
           "claim_group_path", "claim_group_view", "claim_groups_json", "claim_groups_view", "claim_index",
           "claims_json", "has_claim_groups", "has_claims", "make_pages", "semantic_claim_search",
           "source_claims_url", "sources_json", "sources_view"]


CLAIM_KINDS = {"person", "organisation", "government", "media", "social_media", "anonymous"}


def claim_group_path(group_id: str) -> str:
    return "/claim-groups/" + quote(str(group_id), safe="")


def source_claims_url(name: str) -> str:
    return "/api/claims?" + urlencode({"source": name})


@dataclass(frozen=True, slots=True)
class ArticleClaims:
    """An article's claims layer: its text cut at claims, sources, cues and hedges, and each claim's label."""

    claims: tuple[claims_report.ClaimView, ...]
    segments: tuple[claims_report.ClaimSegment, ...]
    chars_not_shown: int

    def claim(self, index: int) -> claims_report.ClaimView:
        return next(c for c in self.claims if c.index == index)

    @property
    def attributed(self) -> int:
        return sum(1 for c in self.claims if c.attributed)


def article_claims(store: Store, article: Article, *, limit: int = ARTICLE_TEXT_LIMIT) -> ArticleClaims | None:
    """The claims layer of an article (None when it has no claim); stored data is read defensively."""
    anns = [a for a in store.annotations(article.id, stage="claims") if a.kind == "claim"]
    if not anns:
        return None
    group_of = {m.claim: g.id for g in claim_groups(store, article_id=article.id) for m in g.members
                if m.article == article.id}
    text = article.text
    n = min(len(text), limit)
    views: list[claims_report.ClaimView] = []
    marks: list[tuple[int, int, str, int]] = []
    for index, ann in enumerate(sorted(anns, key=lambda a: (a.start, a.end)), start=1):
        if not isinstance(ann.start, int) or not isinstance(ann.end, int) or ann.start >= n or ann.end <= ann.start:
            continue
        d = ann.data if isinstance(ann.data, Mapping) else {}
        source = opt_str(d.get("source"))
        kind = opt_str(d.get("source_kind")) or ("organisation" if source else "none")
        name = " ".join((opt_str(d.get("source_canonical")) or source or "").split()) or None \
            if source and kind != "none" else None
        hedges = d.get("hedges")
        score = d.get("score")
        cid = opt_str(d.get("id")) or f"c-{article.id[:10]}-{ann.start}"
        view = claims_report.ClaimView(
            id=cid, anchor=f"claim-{index}", index=index, start=ann.start, end=ann.end,
            text=text[ann.start:ann.end],
            score=float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
            source=source, source_name=name, source_kind=kind if name else "none", source_anchor=None,
            cue=opt_str(d.get("cue")), quote=opt_str(d.get("quote")) or "none",
            hedges=tuple(h for h in (opt_str(x) for x in hedges) if h) if isinstance(hedges, list) else (),
            carried=d.get("carried") is True, group_id=group_of.get(cid),
            group_anchor=claim_group_path(group_of[cid]) if cid in group_of else None)
        views.append(view)
        for key, what in (("source", "source"), ("cue", "cue")):
            span = span_or_none(d.get(f"{key}_start"), d.get(f"{key}_end"))
            if span:
                marks.append((*span, what, index))
        spans = d.get("hedge_spans")
        if isinstance(spans, list):
            for h in spans:
                span = span_or_none(*h) if isinstance(h, list) and len(h) == 2 else None
                if span:
                    marks.append((*span, "hedge", index))
    if not views:
        return None
    segments = claims_report.segment_claims(text[:n], [(c.start, c.end, c.index, c.attributed) for c in views], marks)
    return ArticleClaims(tuple(views), tuple(segments), len(text) - n)


def claims_json(store: Store, *, article: str | None, source: str | None, limit: int,
                offset: int) -> dict[str, Any]:
    article_id = store.article(article).id if article else None
    total, claims = claims_page(store, article_id=article_id, source=source or None, limit=limit, offset=offset)
    return {"ok": True, "total": total, "limit": limit, "offset": offset, "claims": claims}


def claim_group_json(g: ClaimGroup) -> dict[str, Any]:
    """A claim group in the export contract's shape (members name their article by ref)."""
    return {**g.to_export(), "members": [{**m.to_dict(), "article": m.ref} for m in g.members]}


@dataclass(frozen=True, slots=True)
class ClaimGroupsView:
    groups: tuple[ClaimGroup, ...]
    pager: Pager
    conflicts: int


def claim_groups_view(groups: Sequence[ClaimGroup], *, limit: int, offset: int) -> ClaimGroupsView:
    page = tuple(groups[offset:offset + limit])
    return ClaimGroupsView(page, pager("/claim-groups", {}, limit=limit, offset=offset, shown=len(page),
                                       total=len(groups)),
                           sum(1 for g in groups if g.attribution_conflict))


def claim_groups_json(view: ClaimGroupsView) -> dict[str, Any]:
    return {"ok": True, "total": view.pager.total, "limit": view.pager.limit, "offset": view.pager.offset,
            "claim_groups": [claim_group_json(g) for g in view.groups]}


@dataclass(frozen=True, slots=True)
class AppearanceItem:
    """One article carrying the grouped claim: when, where, and the attribution it gave."""

    article: ArticleRow
    first: bool
    stance: str                                   # "attributed", "hedged" or "fact"
    attribution: str
    sources: tuple[str, ...]
    claims: tuple[Any, ...]                       # ClaimMember records of this article
    conflicting: bool                             # on one side of the group's attribution conflict

    @property
    def path(self) -> str:
        return article_path(self.article.ref) + "#claims"


@dataclass(frozen=True, slots=True)
class ClaimGroupPageView:
    group: ClaimGroup
    first: ArticleRow
    appearances: tuple[AppearanceItem, ...]
    stances: tuple[tuple[str, int], ...]


def claim_group_view(store: Store, group: ClaimGroup) -> ClaimGroupPageView:
    rows = browse.article_rows(store, {group.first_seen, *(a.article for a in group.articles)})
    by_article: dict[str, list[Any]] = {}
    for m in group.members:
        by_article.setdefault(m.article, []).append(m)
    items = []
    for a in group.articles:
        row = rows.get(a.article)
        art = ArticleRow.from_index(row) if row else ArticleRow(id=a.article, ref=a.ref, outlet=a.outlet,
                                                                published=a.published, missing=True)
        items.append(AppearanceItem(art, a.article == group.first_seen, a.stance, a.attribution, a.sources,
                                    tuple(by_article.get(a.article, ())),
                                    group.attribution_conflict and a.stance in ("attributed", "fact")))
    stances: dict[str, int] = {}
    for a in group.articles:
        stances[a.stance] = stances.get(a.stance, 0) + 1
    return ClaimGroupPageView(group, article_row(rows, group.first_seen), tuple(items), tuple(stances.items()))


def claim_group_detail_json(view: ClaimGroupPageView) -> dict[str, Any]:
    return {"ok": True, "claim_group": claim_group_json(view.group),
            "timeline": [{"article": i.article.ref, "outlet": i.article.outlet, "published": i.article.published,
                          "first": i.first, "stance": i.stance, "attribution": i.attribution,
                          "sources": list(i.sources), "claims": [m.claim for m in i.claims]}
                         for i in view.appearances]}


@dataclass(frozen=True, slots=True)
class SourcesView:
    sources: tuple[SourceSummary, ...]
    pager: Pager
    total_claims: int
    edge_counts: tuple[tuple[str, int], ...]      # provenance graph edges per kind
    node_counts: tuple[tuple[str, int], ...]
    copies: tuple[tuple[str | None, str | None, int], ...]   # (copying outlet, copied outlet, pairs), capped
    cites: tuple[tuple[str, str, int], ...]       # (outlet, source, claims), capped


def sources_view(summaries: Sequence[SourceSummary], graph: Any,
                 links: Sequence[tuple[str | None, str | None, int]], *, limit: int, offset: int,
                 cap: int = 100) -> SourcesView:
    page = tuple(summaries[offset:offset + limit])
    edges: dict[str, int] = {}
    for _, _, d in graph.edges(data=True):
        edges[str(d.get("kind"))] = edges.get(str(d.get("kind")), 0) + 1
    nodes: dict[str, int] = {}
    for _, d in graph.nodes(data=True):
        nodes[str(d.get("kind"))] = nodes.get(str(d.get("kind")), 0) + 1
    cites = sorted(((o.outlet, s.source, o.claims) for s in summaries for o in s.outlets),
                   key=lambda t: (-t[2], t[0].casefold(), t[1].casefold()))
    copies = sorted(links, key=lambda t: -t[2])
    return SourcesView(page, pager("/sources", {}, limit=limit, offset=offset, shown=len(page),
                                   total=len(summaries)),
                       sum(s.claims for s in summaries), tuple(sorted(edges.items())), tuple(sorted(nodes.items())),
                       tuple(copies[:cap]), tuple(cites[:cap]))


def sources_json(view: SourcesView) -> dict[str, Any]:
    return {"ok": True, "total": view.pager.total, "limit": view.pager.limit, "offset": view.pager.offset,
            "sources": [{**s.to_dict(), "claims_url": source_claims_url(s.source)} for s in view.sources]}


# -- semantic search over claims ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ClaimIndex:
    """Every embedded claim of the corpus (from the ``claim_vectors`` stage), for semantic search."""

    refs: tuple[str, ...]
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    matrix: Any  # (n, dim) float32, unit rows
    encoder: str = "all-MiniLM-L6-v2"   # what the claims were embedded with: queries are embedded the same way


@dataclass(frozen=True, slots=True)
class StoredClaimIndex:
    """The claim embeddings stay in the database, which finds the nearest (PostgreSQL: pgvector HNSW)."""

    claims: int
    encoder: str = "all-MiniLM-L6-v2"


def claim_index(store: Store) -> ClaimIndex | StoredClaimIndex | None:
    """Load the stored claim embeddings once (the app caches it until the database changes)."""
    import numpy as np

    from narratrace.vectors import unpack_vectors

    indexed = store.claim_vector_count()
    if indexed is not None:  # nothing to hold in memory: every query goes to the database's index
        first = next((unpack_vectors(d) for _, d in store.stage_data("claim_vectors") if d), None)
        return StoredClaimIndex(indexed, first.model) if indexed and first is not None else None
    ref = {row["id"]: row["ref"] for row in store.article_index()}
    refs: list[str] = []
    ids: list[str] = []
    texts: list[str] = []
    mats = []
    encoders: set[str] = set()
    for article_id, data in store.stage_data("claim_vectors"):
        if not data:
            continue
        vectors = unpack_vectors(data)
        if len(vectors) == 0:
            continue
        refs += [ref.get(article_id, article_id)] * len(vectors)
        ids += list(vectors.ids)
        texts += list(vectors.texts)
        mats.append(np.asarray(vectors.matrix, dtype=np.float32))
        encoders.add(vectors.model)
    if not mats:
        return None
    # one analyze embeds every claim with one encoder; a corpus analysed in parts says which came last
    return ClaimIndex(tuple(refs), tuple(ids), tuple(texts), np.vstack(mats), sorted(encoders)[-1])


@dataclass(frozen=True, slots=True)
class SemanticHit:
    ref: str
    claim: str
    text: str
    score: float
    path: str


def semantic_claim_search(index: ClaimIndex | StoredClaimIndex | None, query: str, *, limit: int,
                          store: Store | None = None) -> list[SemanticHit]:
    """Claims closest in meaning to ``query`` (cosine, the query embedded as the claims were), best first."""
    import numpy as np

    from narratrace.vectors import encode

    if index is None or not query.strip():
        return []
    if isinstance(index, StoredClaimIndex):
        if store is None:
            raise ValueError("a StoredClaimIndex is searched through its store")
        return [SemanticHit(ref, cid, text, round(score, 4), article_path(ref))
                for ref, cid, text, score in store.nearest_claims(encode([query], model=index.encoder)[0], limit)]
    scores = index.matrix @ encode([query], model=index.encoder)[0]
    top = np.argsort(-scores, kind="stable")[:limit]
    return [SemanticHit(index.refs[i], index.ids[i], index.texts[i], round(float(scores[i]), 4),
                        article_path(index.refs[i])) for i in top]


# -- what the store holds (the pages and their links appear only then) ------------------------------

def has_claims(store: Store) -> bool:
    return bool(store.db.execute("SELECT EXISTS(SELECT 1 FROM annotations WHERE kind = 'claim')").fetchone()[0])


def has_claim_groups(store: Store) -> bool:
    return bool(store.db.execute("SELECT EXISTS(SELECT 1 FROM claim_groups)").fetchone()[0])


def article_claims_json(store: Store, article: Article) -> dict[str, Any]:
    """The claims keys of an article's JSON."""
    return {"claims": export_claims(store, {article.id: article.ref}, article_id=article.id),
            "claim_groups": [g.id for g in claim_groups(store, article_id=article.id)]}


ARTICLE_FIELDS: dict[str, tuple[Any, Any]] = {
    "claims": (list[dict[str, Any]], Field(default_factory=list, description="its claims (export contract)")),
    "claim_groups": (list[str], Field(default_factory=list, description="ids of the claim groups it is in")),
}


# -- response models -----------------------------------------------------------------------------

class ClaimPage(PageOut):
    claims: list[dict[str, Any]] = Field(description="claims in the export contract's shape (article by ref)")


class ClaimGroupPage(PageOut):
    claim_groups: list[dict[str, Any]] = Field(description="claim groups in the export contract's shape")


class ClaimGroupDetail(Out):
    ok: bool = True
    claim_group: dict[str, Any] = Field(description="the group in the export contract's shape, with its members")
    timeline: list[dict[str, Any]] = Field(description="appearances in order: article, outlet, published, "
                                                       "stance, attribution, sources, claims")


class SourcePage(PageOut):
    sources: list[dict[str, Any]] = Field(description="cited sources, most cited first: source, kind, names, "
                                                      "claims, articles (refs), outlets")


# -- the pages -------------------------------------------------------------------------------------

def make_pages(context: PageContext) -> APIRouter:
    """The claims pages and their JSON twins, their links, and the claims layer of an article's page."""
    router = APIRouter()
    cache = context.cache()
    context.nav += [NavItem("/sources", "Cited sources", available=has_claims, order=30),
                    NavItem("/claim-groups", "Claim groups", available=has_claim_groups, order=31)]
    context.search_links.append(NavItem("/search/claims", "search claims by meaning", available=has_claims))
    context.tables += [TableItem(CLAIMS_TABLE, has_claims, order=10), TableItem(SOURCES_TABLE, has_claims, order=20)]
    context.article_panels.append(Panel(view=article_claims, template="article_claims.html", json=article_claims_json,
                                        fields=ARTICLE_FIELDS, kinds=("claim",), order=10))
    context.filters.update(claim_group_path=claim_group_path, source_claims_url=source_claims_url,
                           kind=lambda x: claims_report.SOURCE_KIND_LABELS.get(x, x),
                           stance=lambda x: claims_report.STANCE_LABELS.get(x, x),
                           firsthow=lambda x: claims_report.FIRST_SEEN_LABELS.get(x, x))

    def groups() -> list[Any]:
        """Every claim group (most articles first)."""
        return cache.get("claim_groups", lambda s: claim_groups(s))  # type: ignore[no-any-return]

    def group_of(group_id: str) -> Any:
        found = groups()  # before: the cache holds a lock that is not reentrant
        index = cache.get("claim_group_index", lambda s: {g.id: g for g in found})
        group = index.get(group_id)
        if group is None:
            raise NotFound(f"no claim group {group_id!r}")
        return group

    def graph() -> Any:
        """The provenance graph of the whole corpus."""
        from narratrace.provenance.graph import build_graph

        return cache.get("graph", build_graph)

    def sources() -> list[Any]:
        """Cited sources, most cited first (``narratrace.provenance.graph.sources_summary``)."""
        from narratrace.provenance.graph import sources_summary

        g = graph()
        return cache.get("sources", lambda s: sources_summary(s, graph=g))  # type: ignore[no-any-return]

    def links() -> list[tuple[str | None, str | None, int]]:
        """Pairs per (copy's outlet, original's outlet) over the whole corpus."""
        return cache.get("links", outlet_links)  # type: ignore[no-any-return]

    def need_claims() -> None:
        if not cache.get("has_claims", has_claims):
            raise NotFound("this corpus has no claims (run `narratrace analyze` with the claims stage)")

    @router.get("/search/claims", response_class=HTMLResponse, include_in_schema=False)
    def claim_search_page(q: str = Query("", max_length=500), limit: int = limit_q(20)) -> HTMLResponse:
        index = cache.get("claim_index", claim_index)
        if index is None:
            raise NotFound("no claim embeddings in this corpus: run `narratrace analyze` (claims stages) first")
        hits = semantic_claim_search(index, q, limit=limit, store=context.store())
        return context.page("search_claims.html", json_url=f"/api/search/claims?q={quote(q)}", hits=hits, query=q,
                            title=f"Claims like: {q}" if q else "Search claims by meaning")

    @router.get("/claim-groups", response_class=HTMLResponse, include_in_schema=False)
    def claim_groups_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        need_claims()
        view = claim_groups_view(groups(), limit=limit, offset=offset)
        return context.page("claim_groups.html", json_url=twin(request, "/api/claim-groups"), v=view,
                            title="Claim groups")

    @router.get("/claim-groups/{group_id}", response_class=HTMLResponse, include_in_schema=False)
    def claim_group_page(group_id: str) -> HTMLResponse:
        view = claim_group_view(context.store(), group_of(group_id))
        return context.page("claim_group.html", json_url="/api" + claim_group_path(group_id), v=view,
                            title=f"Claim group {group_id}")

    @router.get("/sources", response_class=HTMLResponse, include_in_schema=False)
    def sources_page(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        need_claims()
        view = sources_view(sources(), graph(), links(), limit=limit, offset=offset)
        return context.page("sources.html", json_url=twin(request, "/api/sources"), v=view, title="Cited sources")

    @router.get("/api/search/claims", tags=["search"])
    def api_claim_search(q: str = Query(..., max_length=500, description="a claim, in any wording"),
                         limit: int = limit_q(20)) -> dict[str, Any]:
        """Semantic search: the claims closest in meaning (sentence embeddings, cosine), best first."""
        index = cache.get("claim_index", claim_index)
        if index is None:
            raise NotFound("no claim embeddings in this corpus: run `narratrace analyze` (claims stages) first")
        hits = semantic_claim_search(index, q, limit=limit, store=context.store())
        return {"ok": True, "query": q, "limit": limit,
                "hits": [{"article": h.ref, "claim": h.claim, "text": h.text, "score": h.score} for h in hits]}

    @router.get("/api/claims", response_model=ClaimPage, tags=["claims"])
    def api_claims(source: str | None = Query(None, max_length=500, description="cited source (as written or "
                                                                                "canonical, any case)"),
                   article: str | None = Query(None, max_length=1000, description="ref or id of an article"),
                   limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Claims with their attribution (export contract), optionally of one source or one article."""
        return claims_json(context.store(), article=article or None, source=source or None, limit=limit,
                           offset=offset)

    @router.get("/api/claim-groups", response_model=ClaimGroupPage, tags=["claims"])
    def api_claim_groups(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Claim groups: the same claim across articles, first appearance, attributions, conflicts."""
        return claim_groups_json(claim_groups_view(groups(), limit=limit, offset=offset))

    @router.get("/api/claim-groups/{group_id}", response_model=ClaimGroupDetail, tags=["claims"])
    def api_claim_group(group_id: str) -> dict[str, Any]:
        """One claim group with the timeline of its appearances (the claim group page's data)."""
        return claim_group_detail_json(claim_group_view(context.store(), group_of(group_id)))

    @router.get("/api/sources", response_model=SourcePage, tags=["claims"])
    def api_sources(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Cited sources, most cited first: how often, in which articles, by which outlets."""
        return sources_json(sources_view(sources(), graph(), links(), limit=limit, offset=offset))

    return router
