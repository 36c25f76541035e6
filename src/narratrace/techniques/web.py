"""The persuasion techniques page, and the technique spans of an article's page.

``make_pages`` (``Analysis.pages``) serves ``/techniques`` and ``/api/techniques`` (counts per technique,
outlet, narrative and article; the report's section without article texts), links it from every page's
navigation once the store holds technique spans, and draws an article's spans highlighted on its page
(:func:`article_techniques`, cut by :func:`narratrace.techniques.report.segment_techniques`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import Field

from narratrace.errors import NotFound
from narratrace.model import Article
from narratrace.sections import ArticleRow
from narratrace.store import Store, browse
from narratrace.techniques.corpus import KIND as TECHNIQUE_KIND
from narratrace.techniques.corpus import TechniqueCounts, export_techniques, technique_counts
from narratrace.techniques.labels import TECHNIQUES, display_name
from narratrace.techniques.store import TECHNIQUES_TABLE
from narratrace.techniques.report import (TechniqueKey, TechniqueSegment, TechniquesSection, build_section,
                                          segment_techniques, technique_css_class)
from narratrace.web.pages import (ARTICLE_TEXT_LIMIT, NavItem, PageContext, Pager, Panel, TableItem, article_path,
                                  article_row, limit_q, offset_q, pager, twin)
from narratrace.web.schemas import PageOut

__all__ = ["TechniqueArticle", "TechniquePage", "TechniquesPage", "TechniquesPanel", "article_techniques",
           "article_techniques_json", "has_techniques", "make_pages", "techniques_json", "techniques_page"]


@dataclass(frozen=True, slots=True)
class TechniquesPanel:
    """What an article's page shows of its technique spans."""

    legend: tuple[TechniqueKey, ...]                   # the techniques used here, with counts
    technique_segments: tuple[TechniqueSegment, ...]
    technique_hits: tuple[dict[str, Any], ...]
    chars_not_shown: int


def _legend(anns: Sequence[Any]) -> tuple[TechniqueKey, ...]:
    """The techniques of ``anns``, in the taxonomy's order, with their counts."""
    counts = Counter(str(a.label) for a in anns)
    return tuple(TechniqueKey(t, display_name(t), technique_css_class(t), counts[t])
                 for t in (*TECHNIQUES, *sorted(set(counts) - set(TECHNIQUES))) if counts[t])


def article_techniques(store: Store, article: Article, *, limit: int = ARTICLE_TEXT_LIMIT) -> TechniquesPanel:
    text = article.text
    cut = text[:limit]
    anns = [a for _, a in store.annotations_of_kind(TECHNIQUE_KIND, article_id=article.id)]
    hits = tuple(export_techniques(store, {article.id: article.ref}, article_id=article.id)) if anns else ()
    return TechniquesPanel(legend=_legend(anns),
                           technique_segments=tuple(segment_techniques(cut, anns)) if anns else (),
                           technique_hits=hits, chars_not_shown=len(text) - len(cut))


def article_techniques_json(store: Store, article: Article) -> dict[str, Any]:
    """The techniques keys of an article's JSON (offsets are into the article's whole text)."""
    anns = [a for _, a in store.annotations_of_kind(TECHNIQUE_KIND, article_id=article.id)]
    hits = export_techniques(store, {article.id: article.ref}, article_id=article.id) if anns else []
    return {"techniques": [{k: h[k] for k in ("start", "end", "technique", "score", "text")} for h in hits],
            "technique_counts": {k.technique: k.count for k in _legend(anns)}}


ARTICLE_FIELDS: dict[str, tuple[Any, Any]] = {
    "techniques": (list[dict[str, Any]], Field(default_factory=list, description="persuasion technique spans")),
    "technique_counts": (dict[str, int], Field(default_factory=dict, description="spans per technique")),
}


@dataclass(frozen=True, slots=True)
class TechniqueArticle:
    article: ArticleRow
    counts: tuple[TechniqueKey, ...]
    total: int

    @property
    def path(self) -> str:
        return article_path(self.article.ref) + "#techniques"


@dataclass(frozen=True, slots=True)
class TechniquesPage:
    section: TechniquesSection
    articles: tuple[TechniqueArticle, ...]
    pager: Pager


def _ranked_articles(counts: TechniqueCounts) -> list[tuple[str, dict[str, int]]]:
    return sorted(((a, c) for a, c in counts.per_article.items() if c), key=lambda ac: -sum(ac[1].values()))


def techniques_page(store: Store, section: TechniquesSection | None, counts: TechniqueCounts, *, limit: int,
                    offset: int) -> TechniquesPage:
    """``section`` is :func:`narratrace.techniques.report.build_section` without article texts and
    ``counts`` :func:`narratrace.techniques.corpus.technique_counts` (both cached by the caller)."""
    if section is None:
        raise NotFound("no persuasion techniques in this corpus (run `narratrace analyze` with the techniques stage)")
    ranked = _ranked_articles(counts)
    page = ranked[offset:offset + limit]
    rows = browse.article_rows(store, (a for a, _ in page))
    items = tuple(TechniqueArticle(article_row(rows, a),
                                   tuple(TechniqueKey(t, display_name(t), technique_css_class(t), n)
                                         for t, n in sorted(c.items(), key=lambda kv: -kv[1])),
                                   sum(c.values())) for a, c in page)
    return TechniquesPage(section, items, pager("/techniques", {}, limit=limit, offset=offset, shown=len(page),
                                                total=len(ranked)))


def techniques_json(p: TechniquesPage) -> dict[str, Any]:
    s = p.section

    def rows(rs: Sequence[Any], key: str) -> list[dict[str, Any]]:
        return [{key: r.key, "articles": r.articles, "spans": r.total,
                 "counts": {k.technique: v for k, v in zip(s.legend, r.counts) if v}} for r in rs]

    return {"ok": True, "analysed": s.analysed, "spans": s.total,
            "techniques": [{"technique": k.technique, "name": k.name, "count": k.count} for k in s.legend],
            "outlets": rows(s.outlets, "outlet"), "narratives": rows(s.narratives, "narrative"),
            "total": p.pager.total, "limit": p.pager.limit, "offset": p.pager.offset,
            "articles": [{"article": i.article.ref, "outlet": i.article.outlet, "spans": i.total,
                          "counts": {k.technique: k.count for k in i.counts}} for i in p.articles]}


# -- what the store holds (the page and its link appear only then) -----------------------------------

def has_techniques(store: Store) -> bool:
    return bool(store.db.execute("SELECT EXISTS(SELECT 1 FROM annotations WHERE kind = ?)",
                                 (TECHNIQUE_KIND,)).fetchone()[0])


# -- response models -----------------------------------------------------------------------------

class TechniquePage(PageOut):
    analysed: int
    spans: int
    techniques: list[dict[str, Any]]
    outlets: list[dict[str, Any]]
    narratives: list[dict[str, Any]]
    articles: list[dict[str, Any]]


# -- the pages -------------------------------------------------------------------------------------

def make_pages(context: PageContext) -> APIRouter:
    """The techniques page and its JSON twin, its link, and an article's technique spans."""
    router = APIRouter()
    cache = context.cache()
    context.nav.append(NavItem("/techniques", "Techniques", available=has_techniques, order=50))
    context.article_panels.append(Panel(view=article_techniques, template="article_techniques.html",
                                        json=article_techniques_json, fields=ARTICLE_FIELDS,
                                        kinds=(TECHNIQUE_KIND,), order=30))
    context.tables.append(TableItem(TECHNIQUES_TABLE, has_techniques, order=30))

    def techniques() -> tuple[Any, Any]:
        """Technique counts and the report's techniques section without article texts."""
        return cache.get("techniques", lambda s: (  # type: ignore[no-any-return]
            build_section(s, lambda aid: aid, max_articles=0), technique_counts(s)))

    @router.get("/techniques", response_class=HTMLResponse, include_in_schema=False)
    def techniques_html(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        section, counts = techniques()
        view = techniques_page(context.store(), section, counts, limit=limit, offset=offset)
        return context.page("techniques.html", json_url=twin(request, "/api/techniques"), v=view,
                            title="Persuasion techniques")

    @router.get("/api/techniques", response_model=TechniquePage, tags=["techniques"])
    def api_techniques(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Persuasion techniques: counts per technique, per outlet, per narrative, and per article (paged)."""
        section, counts = techniques()
        return techniques_json(techniques_page(context.store(), section, counts, limit=limit, offset=offset))

    return router
