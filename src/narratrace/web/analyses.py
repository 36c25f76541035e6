"""What the analysis pages show: narratives and stories, persuasion techniques, entity framing, fact-checks.

Thin layers over the areas' own read functions (:mod:`narratrace.narratives.views`,
:mod:`narratrace.techniques.report` and ``.corpus``, :mod:`narratrace.framing.views`,
:mod:`narratrace.factchecks.report`, :mod:`narratrace.narratives.store` and ``.factchecks``);
nothing here analyses text or writes SQL of its own beyond the availability probes. As in
:mod:`narratrace.web.views`, text is never joined with markup: highlighted text is a list of
pieces the templates escape one by one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from narratrace.errors import NotFound
from narratrace.factchecks.report import FactcheckSection, MatchView, safe_link
from narratrace.framing.views import EntityRole, OutletRole, entity_roles, outlet_roles
from narratrace.narratives.stories import Story
from narratrace.narratives.views import NarrativesView, Timeline, timeline
from narratrace.sections import ArticleRow
from narratrace.store import Store, browse
from narratrace.narratives import store as narratives_sql
from narratrace.factchecks.store import factcheck_matches
from narratrace.techniques.corpus import KIND as TECHNIQUE_KIND
from narratrace.techniques.corpus import TechniqueCounts
from narratrace.techniques.labels import TECHNIQUES, display_name
from narratrace.techniques.report import (TechniqueKey, TechniqueSegment, TechniquesSection, segment_techniques,
                                 technique_css_class)
from narratrace.web.views import ARTICLE_TEXT_LIMIT, Pager, _pager, _row, article_json, article_path

__all__ = ["Available", "ArticleAnalyses", "FactchecksPage", "NarrativesPage", "StoriesPage", "StoryPage",
           "TechniquesPage", "article_analyses", "article_analyses_json", "available", "factchecks_json",
           "factchecks_page", "narratives_json", "narratives_page", "outlet_framing", "outlet_framing_json",
           "stories_json", "stories_page", "story_json", "story_page", "story_path", "techniques_json",
           "techniques_page"]

OUTLET_ROLES_LIMIT = 200
"""Outlet–entity rows on an outlet's page."""
EVIDENCE_LIMIT = 100
"""Articles with their evidence sentences listed per narrative."""


def story_path(story_id: str) -> str:
    return "/stories/" + quote(story_id, safe="")


# -- which analyses have results (the nav shows their pages only then) ----------------------------

@dataclass(frozen=True, slots=True)
class Available:
    narratives: bool = False
    stories: bool = False
    techniques: bool = False
    framing: bool = False
    factchecks: bool = False      # some claim matches an imported fact-check


def available(store: Store) -> Available:
    def exists(sql: str, *args: Any) -> bool:
        return bool(store.db.execute(f"SELECT EXISTS({sql})", args).fetchone()[0])

    kinds = "SELECT 1 FROM annotations WHERE kind = ?"
    return Available(narratives=exists(kinds, "narrative"), stories=exists("SELECT 1 FROM stories"),
                     techniques=exists(kinds, TECHNIQUE_KIND), framing=exists(kinds, "framing"),
                     factchecks=exists("SELECT 1 FROM factcheck_matches"))


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


@dataclass(frozen=True, slots=True)
class ClaimMatches:
    claim_id: str
    text: str
    matches: tuple[MatchView, ...]


@dataclass(frozen=True, slots=True)
class ArticleAnalyses:
    narratives: tuple[ArticleNarrative, ...]
    narrative_pieces: tuple[Piece, ...]
    techniques: tuple[TechniqueKey, ...]                   # the legend: techniques used here, with counts
    technique_segments: tuple[TechniqueSegment, ...]
    technique_hits: tuple[dict[str, Any], ...]
    roles: tuple[EntityRole, ...]
    factchecks: tuple[ClaimMatches, ...]
    stories: tuple[Story, ...]
    chars_not_shown: int


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


def _claim_matches(rows: Sequence[Mapping[str, Any]]) -> tuple[ClaimMatches, ...]:
    """Stored matches grouped by claim, best first, as the report's :class:`MatchView` (links http(s) only)."""
    by_claim: dict[str, list[Mapping[str, Any]]] = {}
    for m in rows:
        by_claim.setdefault(str(m["claim"]), []).append(m)
    out = []
    for cid, ms in by_claim.items():
        views = []
        for m in sorted(ms, key=lambda m: -float(m["score"])):
            f = m.get("factcheck") or {}
            views.append(MatchView(f.get("claim") or "", f.get("rating"), f.get("verdict") or "unrated",
                                   f.get("publisher"), f.get("url"), safe_link(f.get("url")), f.get("published"),
                                   float(m["score"])))
        out.append(ClaimMatches(cid, str(ms[0].get("claim_text") or ""), tuple(views)))
    return tuple(out)


def article_analyses(store: Store, ref: str, *, limit: int = ARTICLE_TEXT_LIMIT) -> ArticleAnalyses:
    article = store.article(ref)
    text = article.text
    cut = text[:limit]
    narratives = _article_narratives(store, article.id, text)
    spans = [(s, e, n.subnarrative or n.narrative) for n in narratives for s, e, _ in n.sentences]
    anns = [a for _, a in store.annotations_of_kind(TECHNIQUE_KIND, article_id=article.id)]
    counts = Counter(str(a.label) for a in anns)
    legend = tuple(TechniqueKey(t, display_name(t), technique_css_class(t), counts[t])
                   for t in (*TECHNIQUES, *sorted(set(counts) - set(TECHNIQUES))) if counts[t])
    from narratrace.techniques.corpus import export_techniques

    hits = tuple(export_techniques(store, {article.id: article.ref}, article_id=article.id)) if anns else ()
    return ArticleAnalyses(
        narratives=narratives, narrative_pieces=_pieces(cut, spans) if spans else (),
        techniques=legend, technique_segments=tuple(segment_techniques(cut, anns)) if anns else (),
        technique_hits=hits, roles=tuple(entity_roles(store, article=article.id)),
        factchecks=_claim_matches(factcheck_matches(store, article.id)),
        stories=tuple(narratives_sql.stories(store, article.id)), chars_not_shown=len(text) - len(cut))


def _match_json(m: MatchView) -> dict[str, Any]:
    return {"claim": m.claim, "rating": m.rating, "verdict": m.verdict, "publisher": m.publisher, "url": m.url,
            "published": m.published, "score": round(m.score, 4)}


def _role_json(r: EntityRole) -> dict[str, Any]:
    return {"entity": r.entity, "entity_label": r.entity_label, "main_role": r.main_role,
            "fine_roles": list(r.fine_roles), "score": r.score, "mention": {"start": r.mention_start,
                                                                              "end": r.mention_end},
            "evidence": {"start": r.evidence_start, "end": r.evidence_end, "text": r.evidence},
            "mentions": r.mentions}


def article_analyses_json(a: ArticleAnalyses) -> dict[str, Any]:
    """The article JSON's analysis keys (offsets are into the article's whole text)."""
    return {
        "narratives": [{"narrative": n.narrative, "subnarrative": n.subnarrative, "score": n.score,
                        "evidence": [{"start": s, "end": e, "text": t} for s, e, t in n.sentences]}
                       for n in a.narratives],
        "stories": [{"id": s.id, "label": s.label, "start": s.start, "end": s.end, "articles": len(s.articles)}
                    for s in a.stories],
        "techniques": [{k: h[k] for k in ("start", "end", "technique", "score", "text")} for h in a.technique_hits],
        "technique_counts": {k.technique: k.count for k in a.techniques},
        "framing": [_role_json(r) for r in a.roles],
        "factcheck_matches": [{"claim": c.claim_id, "text": c.text, "matches": [_match_json(m) for m in c.matches]}
                              for c in a.factchecks],
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
    return NarrativesPage(view, page, _pager("/narratives", {}, limit=limit, offset=offset, shown=len(page),
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
    return StoriesPage(page, _pager("/stories", {}, limit=limit, offset=offset, shown=len(page), total=len(ordered)),
                       sum(1 for s in stories if len(s.articles) > 1))


def _story_json(s: Story) -> dict[str, Any]:
    return {"id": s.id, "label": s.label, "start": s.start, "end": s.end, "articles": len(s.articles),
            "terms": list(s.terms), "entities": list(s.entities)}


def stories_json(p: StoriesPage) -> dict[str, Any]:
    return {"ok": True, "total": p.pager.total, "limit": p.pager.limit, "offset": p.pager.offset,
            "stories": [_story_json(s) for s in p.stories]}


@dataclass(frozen=True, slots=True)
class StoryPage:
    story: Story
    articles: tuple[ArticleRow, ...]
    rows: tuple[Mapping[str, Any], ...]
    timeline: Timeline | None
    pager: Pager


def story_page(store: Store, stories: Sequence[Story], story_id: str, *, limit: int, offset: int) -> StoryPage:
    story = next((s for s in stories if s.id == story_id), None)
    if story is None:
        raise NotFound(f"no story {story_id!r}")
    rows = browse.article_rows(store, story.articles)
    members = story.articles[offset:offset + limit]
    return StoryPage(story, tuple(_row(rows, a) for a in members), tuple(rows[a] for a in members if a in rows),
                     timeline([rows[a] for a in story.articles if a in rows]),
                     _pager(story_path(story.id), {}, limit=limit, offset=offset, shown=len(members),
                            total=len(story.articles)))


def story_json(p: StoryPage) -> dict[str, Any]:
    return {"ok": True, "story": _story_json(p.story), "total": p.pager.total, "limit": p.pager.limit,
            "offset": p.pager.offset, "articles": [article_json(r) for r in p.rows]}


# -- techniques -------------------------------------------------------------------------------------

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
    items = tuple(TechniqueArticle(_row(rows, a), tuple(TechniqueKey(t, display_name(t), technique_css_class(t), n)
                                                        for t, n in sorted(c.items(), key=lambda kv: -kv[1])),
                                   sum(c.values())) for a, c in page)
    return TechniquesPage(section, items, _pager("/techniques", {}, limit=limit, offset=offset, shown=len(page),
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


# -- framing (outlet page) ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OutletFraming:
    roles: tuple[OutletRole, ...]
    not_shown: int


def outlet_framing(store: Store, outlet: str, *, limit: int = OUTLET_ROLES_LIMIT) -> OutletFraming | None:
    """How the outlet casts each entity across its articles (None: no entity role in them)."""
    roles = outlet_roles(entity_roles(store, outlet=outlet))
    if not roles:
        return None
    return OutletFraming(tuple(roles[:limit]), max(0, len(roles) - limit))


def outlet_framing_json(f: OutletFraming | None) -> list[dict[str, Any]]:
    return [r.to_dict() for r in f.roles] if f else []


# -- fact-checks ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FactchecksPage:
    section: FactcheckSection
    claims: tuple[Any, ...]               # MatchedClaimView records of this page
    pager: Pager


def factchecks_page(section: FactcheckSection | None, *, limit: int, offset: int) -> FactchecksPage:
    """``section`` is :func:`narratrace.factchecks.report.build_factcheck_section` (cached by the caller)."""
    if section is None:
        raise NotFound("no fact-checks in this corpus (run `narratrace factchecks import FILE`, then `analyze`)")
    page = section.claims[offset:offset + limit]
    return FactchecksPage(section, page, _pager("/factchecks", {}, limit=limit, offset=offset, shown=len(page),
                                                total=len(section.claims)))


def factchecks_json(p: FactchecksPage) -> dict[str, Any]:
    s = p.section
    return {"ok": True, "factchecks": s.factchecks, "matched_claims": s.matched_claims,
            "debunked": [{"claim": d.claim, "rating": d.rating, "verdict": d.verdict, "publisher": d.publisher,
                          "url": d.url, "debunked_on": d.debunked_on, "outlets_after": list(d.outlets_after),
                          "repeats": [{"article": r.article_ref, "outlet": r.outlet, "published": r.published,
                                       "after_debunk": r.after_debunk, "claim_text": r.claim_text,
                                       "score": r.score} for r in d.repeats]} for d in s.debunked],
            "total": p.pager.total, "limit": p.pager.limit, "offset": p.pager.offset,
            "claims": [{"article": c.article_ref, "outlet": c.outlet, "published": c.published, "claim": c.claim_id,
                        "text": c.text, "matches": [_match_json(m) for m in c.matches]} for c in p.claims]}

