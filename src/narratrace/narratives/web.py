"""The narratives and stories pages, and what an article's page shows of them.

``make_pages`` (``Analysis.pages``) serves ``/narratives``, ``/stories``, ``/stories/map`` (the story map,
:mod:`narratrace.narratives.map`, drawn by ``/static/narratives/map.js``), ``/stories/{id}`` and their
twins under ``/api``, links them from every page's navigation once the store holds narrative labels
(stories), and draws on an article's page its narratives with their evidence sentences highlighted and
the stories it belongs to (:func:`article_narratives`). Thin layers over :mod:`narratrace.narratives.views`
and :mod:`narratrace.narratives.store`; as in the rest of the web app, text is never joined with markup:
highlighted text is a list of :class:`Piece` s the templates escape one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from narratrace.errors import NotFound
from narratrace.model import Article
from narratrace.narratives import store as narratives_sql
from narratrace.narratives.map import StoryMap, build_map
from narratrace.narratives.map import script_source as map_script
from narratrace.narratives.stories import Story
from narratrace.narratives.views import NarrativesView, Timeline, build_view, timeline
from narratrace.sections import ArticleRow
from narratrace.store import Store, browse
from narratrace.web.pages import (ARTICLE_TEXT_LIMIT, NavItem, PageContext, Pager, Panel, article_json, article_path,
                                  article_row, limit_q, offset_q, pager, twin)
from narratrace.web.schemas import ArticleOut, Out, PageOut

__all__ = ["EVIDENCE_LIMIT", "ArticleNarrative", "NarrativePage", "NarrativesPage", "NarrativesPanel", "Piece",
           "StoriesPage", "StoryDetail", "StoryMapOut", "StoryPage", "StoryPageView", "article_narratives",
           "article_narratives_json",
           "has_narratives", "has_stories", "make_pages", "narratives_json", "narratives_page", "stories_json",
           "stories_page", "story_json", "story_page", "story_path"]

EVIDENCE_LIMIT = 100
"""Articles with their evidence sentences listed per narrative."""


def story_path(story_id: str) -> str:
    return "/stories/" + quote(story_id, safe="")


# -- highlighted text -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of text and the labels covering it (the template escapes ``text`` and ``title``)."""

    text: str
    labels: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return "; ".join(self.labels)


def _pieces(text: str, spans: Sequence[tuple[int, int, str]]) -> tuple[Piece, ...]:
    """``text`` cut at every span boundary; the pieces' texts joined give ``text`` back."""
    n = len(text)
    clipped = [(max(0, min(s, n)), max(0, min(e, n)), label) for s, e, label in spans]
    clipped = [c for c in clipped if c[1] > c[0]]
    cuts = sorted({0, n, *(c[0] for c in clipped), *(c[1] for c in clipped)})
    return tuple(Piece(text[a:b], tuple(dict.fromkeys(lab for s, e, lab in clipped if s <= a and e >= b)))
                 for a, b in zip(cuts, cuts[1:]))


# -- the article page's layers ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ArticleNarrative:
    narrative: str
    subnarrative: str | None
    score: float
    sentences: tuple[tuple[int, int, str], ...]   # (start, end, text) of the evidence

    @property
    def short_subnarrative(self) -> str | None:
        return self.subnarrative.removeprefix(self.narrative + ": ") if self.subnarrative else None


def _article_narratives(store: Store, article_id: str, text: str) -> tuple[ArticleNarrative, ...]:
    """The ``narratives`` stage's labels of one article, from its ``narrative`` annotations (evidence)."""
    by_label: dict[tuple[str, str | None], tuple[float, list[tuple[int, int, str]]]] = {}
    for _, ann in store.annotations_of_kind("narrative", article_id=article_id):
        d = ann.data if isinstance(ann.data, Mapping) else {}
        narrative = str(d.get("narrative") or ann.label or "")
        if not narrative:
            continue
        sub = d.get("subnarrative")
        score = d.get("score")
        entry = by_label.setdefault((narrative, str(sub) if sub else None),
                                    (float(score) if isinstance(score, (int, float)) else 0.0, []))
        entry[1].append((ann.start, ann.end, " ".join(text[ann.start:ann.end].split())))
    return tuple(ArticleNarrative(n, s, score, tuple(sorted(spans)))
                 for (n, s), (score, spans) in sorted(by_label.items(), key=lambda kv: (-kv[1][0], kv[0][0])))


@dataclass(frozen=True, slots=True)
class NarrativesPanel:
    """What an article's page shows of the narratives analysis (its JSON has the evidence offsets)."""

    narratives: tuple[ArticleNarrative, ...]
    narrative_pieces: tuple[Piece, ...]
    stories: tuple[Story, ...]
    chars_not_shown: int


def article_narratives(store: Store, article: Article, *, limit: int = ARTICLE_TEXT_LIMIT) -> NarrativesPanel:
    text = article.text
    cut = text[:limit]
    narratives = _article_narratives(store, article.id, text)
    spans = [(s, e, n.subnarrative or n.narrative) for n in narratives for s, e, _ in n.sentences]
    return NarrativesPanel(narratives=narratives, narrative_pieces=_pieces(cut, spans) if spans else (),
                           stories=tuple(narratives_sql.stories(store, article.id)),
                           chars_not_shown=len(text) - len(cut))


def article_narratives_json(store: Store, article: Article) -> dict[str, Any]:
    """The narratives keys of an article's JSON (offsets are into the article's whole text)."""
    narratives = _article_narratives(store, article.id, article.text)
    return {
        "narratives": [{"narrative": n.narrative, "subnarrative": n.subnarrative, "score": n.score,
                        "evidence": [{"start": s, "end": e, "text": t} for s, e, t in n.sentences]}
                       for n in narratives],
        "stories": [{"id": s.id, "label": s.label, "start": s.start, "end": s.end, "dated": s.dated, "articles": len(s.articles)}
                    for s in narratives_sql.stories(store, article.id)],
    }


ARTICLE_FIELDS: dict[str, tuple[Any, Any]] = {
    "narratives": (list[dict[str, Any]], Field(default_factory=list,
                                               description="narratives with their evidence sentences (offsets)")),
    "stories": (list[dict[str, Any]], Field(default_factory=list, description="the stories it belongs to")),
}


# -- narratives -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NarrativesPage:
    view: NarrativesView
    narratives: tuple[Any, ...]          # NarrativeView records of this page
    pager: Pager
    evidence_limit: int = EVIDENCE_LIMIT


def narratives_page(view: NarrativesView | None, *, limit: int, offset: int) -> NarrativesPage:
    """``view`` is :func:`narratrace.narratives.views.build_view` (cached by the caller)."""
    if view is None or not view.narratives:
        raise NotFound("no narratives in this corpus (run `narratrace analyze` with the narratives stage)")
    page = view.narratives[offset:offset + limit]
    return NarrativesPage(view, page, pager("/narratives", {}, limit=limit, offset=offset, shown=len(page),
                                            total=len(view.narratives)))


def narratives_json(p: NarrativesPage) -> dict[str, Any]:
    return {"ok": True, "analysed": p.view.analysed, "total": p.pager.total, "limit": p.pager.limit,
            "offset": p.pager.offset,
            "narratives": [{"narrative": n.label, "articles": n.articles,
                            "subnarratives": [{"subnarrative": s, "articles": c} for s, c in n.subnarratives],
                            "evidence": [{"article": e.article.ref, "outlet": e.article.outlet,
                                          "published": e.article.published, "subnarrative": e.subnarrative,
                                          "score": e.score, "sentences": list(e.sentences)} for e in n.evidence]}
                           for n in p.narratives],
            "topics": [{"id": t.id, "label": t.label, "articles": [a.ref for a in t.articles], "claims": t.claims,
                        "representatives": list(t.representatives), "nearest_label": t.nearest_label,
                        "nearest_similarity": t.nearest_similarity} for t in p.view.topics]}


# -- stories ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StoriesPage:
    stories: tuple[Story, ...]
    pager: Pager
    multi: int                            # stories of more than one article


def _sorted_stories(stories: Sequence[Story]) -> list[Story]:
    return sorted(stories, key=lambda s: -len(s.articles))


def stories_page(stories: Sequence[Story], *, limit: int, offset: int) -> StoriesPage:
    """``stories`` is :func:`narratrace.narratives.store.stories` (cached by the caller)."""
    if not stories:
        raise NotFound("no stories in this corpus (run `narratrace analyze` with the stories stage)")
    ordered = _sorted_stories(stories)
    page = tuple(ordered[offset:offset + limit])
    return StoriesPage(page, pager("/stories", {}, limit=limit, offset=offset, shown=len(page), total=len(ordered)),
                       sum(1 for s in stories if len(s.articles) > 1))


def _story_json(s: Story) -> dict[str, Any]:
    return {"id": s.id, "label": s.label, "start": s.start, "end": s.end, "articles": len(s.articles),
            "terms": list(s.terms), "entities": list(s.entities)}


def stories_json(p: StoriesPage) -> dict[str, Any]:
    return {"ok": True, "total": p.pager.total, "limit": p.pager.limit, "offset": p.pager.offset,
            "stories": [_story_json(s) for s in p.stories]}


@dataclass(frozen=True, slots=True)
class StoryPageView:
    story: Story
    articles: tuple[ArticleRow, ...]
    rows: tuple[Mapping[str, Any], ...]
    timeline: Timeline | None
    pager: Pager


def story_page(store: Store, stories: Sequence[Story], story_id: str, *, limit: int, offset: int) -> StoryPageView:
    story = next((s for s in stories if s.id == story_id), None)
    if story is None:
        raise NotFound(f"no story {story_id!r}")
    rows = browse.article_rows(store, story.articles)
    members = story.articles[offset:offset + limit]
    return StoryPageView(story, tuple(article_row(rows, a) for a in members),
                         tuple(rows[a] for a in members if a in rows),
                         timeline([rows[a] for a in story.articles if a in rows]),
                         pager(story_path(story.id), {}, limit=limit, offset=offset, shown=len(members),
                               total=len(story.articles)))


def story_json(p: StoryPageView) -> dict[str, Any]:
    return {"ok": True, "story": _story_json(p.story), "total": p.pager.total, "limit": p.pager.limit,
            "offset": p.pager.offset, "articles": [article_json(r) for r in p.rows]}


# -- what the store holds (the pages and their links appear only then) ------------------------------

def has_narratives(store: Store) -> bool:
    return bool(store.db.execute("SELECT EXISTS(SELECT 1 FROM annotations WHERE kind = ?)",
                                 ("narrative",)).fetchone()[0])


def has_stories(store: Store) -> bool:
    return bool(store.db.execute("SELECT EXISTS(SELECT 1 FROM stories)").fetchone()[0])


# -- response models -----------------------------------------------------------------------------

class NarrativePage(PageOut):
    analysed: int = Field(description="articles the narratives stage classified")
    narratives: list[dict[str, Any]]
    topics: list[dict[str, Any]] = Field(description="candidate narratives the taxonomy does not cover")


class StoryPage(PageOut):
    stories: list[dict[str, Any]]


class StoryMapOut(Out):
    ok: bool = True
    articles: int = Field(description="articles in the corpus")
    placed: int = Field(description="articles with sentence vectors, placed on the map")
    not_placed: int
    shown: int = Field(description="points drawn (the largest stories' articles first)")
    not_shown: int
    explained: list[float] = Field(description="share of the variance along each axis")
    method: str
    stories: list[dict[str, Any]] = Field(description="legend when coloured by story: key, label, count")
    narratives: list[dict[str, Any]] = Field(description="legend when coloured by narrative: key, label, count")
    points: list[dict[str, Any]] = Field(description="ref, title, outlet, date, x, y (in [-1, 1]), story, story_label, "
                                                     "narratives, href, story_group, narrative_group")


class StoryDetail(PageOut):
    story: dict[str, Any]
    articles: list[ArticleOut]


# -- the pages -------------------------------------------------------------------------------------

def make_pages(context: PageContext) -> APIRouter:
    """The narratives and stories pages and their JSON twins, their links, and an article's narratives."""
    router = APIRouter()
    cache = context.cache()
    context.nav += [NavItem("/narratives", "Narratives", available=has_narratives, order=40),
                    NavItem("/stories", "Stories", available=has_stories, order=41),
                    NavItem("/stories/map", "Story map", available=has_stories, order=42)]
    context.article_panels.append(Panel(view=article_narratives, template="article_narratives.html",
                                        facts="article_stories.html", json=article_narratives_json,
                                        fields=ARTICLE_FIELDS, kinds=("narrative",), order=20))
    context.filters["story_path"] = story_path

    def narratives() -> Any:
        """The narratives and stories view (``narratrace.narratives.views.build_view``)."""
        return cache.get("narratives", lambda s: build_view(s, max_stories=0, max_evidence=EVIDENCE_LIMIT))

    def stories() -> list[Any]:
        """Every story (``narratrace.narratives.store.stories``)."""
        return cache.get("stories", narratives_sql.stories)  # type: ignore[no-any-return]

    @router.get("/narratives", response_class=HTMLResponse, include_in_schema=False)
    def narratives_html(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = narratives_page(narratives(), limit=limit, offset=offset)
        return context.page("narratives.html", json_url=twin(request, "/api/narratives"), v=view,
                            has_stories=cache.get("has_stories", has_stories), title="Narratives")

    @router.get("/stories", response_class=HTMLResponse, include_in_schema=False)
    def stories_html(request: Request, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = stories_page(stories(), limit=limit, offset=offset)
        return context.page("stories.html", json_url=twin(request, "/api/stories"), v=view, title="Stories")

    def story_map() -> StoryMap:
        """The story map (``narratrace.narratives.map.build_map``), with links to the articles' pages."""
        found = cache.get("map", lambda s: build_map(s, href=lambda row: article_path(str(row["ref"]))))
        if found is None:
            raise NotFound("no article has sentence vectors to place on a map (run `narratrace analyze`)")
        return found  # type: ignore[no-any-return]

    @router.get("/stories/map", response_class=HTMLResponse, include_in_schema=False)
    def story_map_html() -> HTMLResponse:
        return context.page("story_map.html", json_url="/api/stories/map", m=story_map(),
                            has_narratives=cache.get("has_narratives", has_narratives), title="Story map")

    @router.get("/api/stories/map", response_model=StoryMapOut, tags=["narratives"])
    def api_story_map() -> dict[str, Any]:
        """Every article placed by what it says (PCA of its mean sentence vector), with its story and
        narratives: the story map page's data."""
        return {"ok": True, **story_map().to_dict()}

    @router.get("/static/narratives/map.js", include_in_schema=False)
    def story_map_script() -> Response:
        return Response(map_script(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/stories/{story_id}", response_class=HTMLResponse, include_in_schema=False)
    def story_html(request: Request, story_id: str, limit: int = limit_q(), offset: int = offset_q) -> HTMLResponse:
        view = story_page(context.store(), stories(), story_id, limit=limit, offset=offset)
        return context.page("story.html", json_url=twin(request, "/api" + story_path(story_id)), v=view,
                            title=view.story.label)

    @router.get("/api/narratives", response_model=NarrativePage, tags=["narratives"])
    def api_narratives(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Narratives of the taxonomy found in the corpus: articles, subnarratives, evidence sentences."""
        return narratives_json(narratives_page(narratives(), limit=limit, offset=offset))

    @router.get("/api/stories", response_model=StoryPage, tags=["narratives"])
    def api_stories(limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """Stories (articles about the same event), most articles first: label, date span, size."""
        return stories_json(stories_page(stories(), limit=limit, offset=offset))

    @router.get("/api/stories/{story_id}", response_model=StoryDetail, tags=["narratives"])
    def api_story(story_id: str, limit: int = limit_q(), offset: int = offset_q) -> dict[str, Any]:
        """One story with one page of its articles."""
        return story_json(story_page(context.store(), stories(), story_id, limit=limit, offset=offset))

    return router
