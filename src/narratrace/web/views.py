"""What each page of the corpus itself shows, as plain data, and the JSON the API returns for it.

Handlers in :mod:`narratrace.web.app` parse parameters, call one function here and
render the result; the functions read the store through :mod:`narratrace.store.browse`
and reuse the report's view code (:func:`narratrace.sections.segment_text`,
:class:`~narratrace.sections.ArticleRow`), so a page and the HTML report show the same
evidence the same way. Text is never joined with markup here: highlighted text is a list
of :class:`~narratrace.sections.Segment` records that the templates escape one by one.
The analyses' pages are their own (``<analysis>/web.py``); what they add to an article's or
an outlet's page are :class:`~narratrace.web.pages.Panel` s, drawn here by :func:`panel_views`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from narratrace.errors import NotFound
from narratrace.pipeline import in_run_order
from narratrace.model import Article, RepublicationPair
from narratrace.sections import AdditionSummary, ArticleRow, Segment, addition_summary, segment_text
from narratrace.store import Store
from narratrace.store import browse
from narratrace.store.browse import ArticleFilter, CorpusStats
from narratrace.web.pages import (ARTICLE_TEXT_LIMIT, GroupItem, Pager, Panel, article_json, article_path, article_row,
                                  group_items, group_json, outlet_path, pager, pair_json, refs_of)

__all__ = [
    "ARTICLE_TEXT_LIMIT",
    "RELATIONS_JSON_LIMIT",
    "RELATIONS_LIMIT",
    "SEARCH_MAX",
    "SEARCH_WINDOW",
    "ArticleItem",
    "ArticleView",
    "GroupItem",
    "HitItem",
    "OutletView",
    "OutletsView",
    "OverviewView",
    "Pager",
    "PairItem",
    "Relation",
    "SearchView",
    "SkippedView",
    "article_detail_json",
    "article_json",
    "article_path",
    "article_view",
    "articles_json",
    "group_json",
    "outlet_json",
    "outlet_path",
    "outlet_view",
    "outlets_json",
    "outlets_view",
    "overview_json",
    "overview_view",
    "pair_json",
    "panel_views",
    "panels_json",
    "search_json",
    "search_view",
    "skipped_json",
    "skipped_view",
    "stats_json",
]

RELATIONS_LIMIT = 200
"""Republication pairs listed on an article's page (a wire story may be copied thousands of times)."""
RELATIONS_JSON_LIMIT = 1000
"""Republication pairs in an article's JSON."""
SEARCH_MAX = 1000
"""Deepest search result reachable by paging."""
SEARCH_WINDOW = 5000
"""A query matching more articles is ranked among its this many most recently ingested matches.

BM25 must score every match it ranks (about 2 µs each); this bounds a common word's cost on
a large corpus (the page says when it applies). ``None`` ranks every match."""
OVERVIEW_GROUPS = 10


def stats_json(stats: CorpusStats, *, cap: int = 100) -> dict[str, Any]:
    return {"articles": stats.articles, "republications": stats.pairs, "republication_groups": stats.groups,
            "skipped": stats.skipped, "date_from": stats.date_from, "date_to": stats.date_to,
            "undated": stats.undated,
            "outlets": [{"value": o, "count": n} for o, n in stats.outlets[:cap]],
            "languages": [{"value": lang, "count": n} for lang, n in stats.languages[:cap]],
            "coverage": [{"stage": stage, "analysed": analysed, "not_analysed": sum(reasons.values()),
                          "reasons": dict(reasons)} for stage, (analysed, reasons) in in_run_order(stats.coverage)]}


# -- overview --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ArticleItem:
    """A row of an article list: the article and how many pairs it is in, as copy and as original."""

    article: ArticleRow
    as_copy: int = 0
    as_original: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)   # the index row (for JSON)


@dataclass(frozen=True, slots=True)
class OverviewView:
    stats: CorpusStats
    filters: ArticleFilter
    articles: tuple[ArticleItem, ...]
    pager: Pager
    groups: tuple[GroupItem, ...]
    outlets: tuple[tuple[str | None, int], ...]      # the outlet facet, capped
    outlets_not_shown: int


def _items(store: Store, rows: Sequence[Mapping[str, Any]]) -> tuple[ArticleItem, ...]:
    counts = browse.pair_counts(store, (r["id"] for r in rows))
    return tuple(ArticleItem(ArticleRow.from_index(r), *counts.get(r["id"], (0, 0)), data=r) for r in rows)


def overview_view(store: Store, stats: CorpusStats, flt: ArticleFilter, *, limit: int, offset: int) -> OverviewView:
    unfiltered = flt == ArticleFilter()
    total, rows = browse.article_page(store, flt, limit=limit, offset=offset, count=not unfiltered)
    if unfiltered:
        total = stats.articles
    _, groups = browse.group_page(store, limit=OVERVIEW_GROUPS, offset=0)
    params = {"outlet": flt.outlet, "language": flt.language, "date_from": flt.date_from, "date_to": flt.date_to}
    return OverviewView(
        stats=stats, filters=flt, articles=_items(store, rows),
        pager=pager("/", params, limit=limit, offset=offset, shown=len(rows), total=total),
        groups=group_items(store, groups), outlets=stats.outlets[:30],
        outlets_not_shown=max(0, len(stats.outlets) - 30))


def overview_json(view: OverviewView) -> dict[str, Any]:
    f = view.filters
    refs = {g.group.original: g.original.ref for g in view.groups}
    return {
        "ok": True, "stats": stats_json(view.stats),
        "filters": {"outlet": f.outlet, "language": f.language, "date_from": f.date_from, "date_to": f.date_to},
        "articles": {"ok": True, "total": view.pager.total, "limit": view.pager.limit, "offset": view.pager.offset,
                     "articles": [article_json(i.data) for i in view.articles]},
        "republication_groups": [group_json(g.group, refs) for g in view.groups],
    }


# -- article ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Relation:
    """One republication pair seen from an article: the other article and the evidence."""

    role: str                    # the article's role in the pair: "copy" or "original"
    other: ArticleRow
    similarity: float
    copy_share: float
    original_share: float
    reason: str
    evidence: str
    passages: int
    additions: tuple[AdditionSummary, ...]
    edits: int
    selected: bool


@dataclass(frozen=True, slots=True)
class ArticleView:
    article: ArticleRow
    author: str | None
    segments: tuple[Segment, ...]
    chars_not_shown: int
    relations: tuple[Relation, ...]
    relations_not_shown: int
    selected: Relation | None
    group: GroupItem | None
    annotations: tuple[tuple[str, str | None, str], ...]     # (kind, label, text) of other stages' findings
    layers: tuple[str, ...]                                   # "passage", "addition", "edit" present
    panels: tuple[tuple[Panel, Any], ...] = ()                # what the analyses show of it (panel_views)
    not_analysed: tuple[tuple[str, str], ...] = ()            # (reason, stages): "language ru", "claims, framing"


def panel_views(panels: Iterable[Panel], store: Store, subject: Any) -> tuple[tuple[Panel, Any], ...]:
    """Each panel with what it shows of ``subject`` (an Article, an outlet's name), those with nothing left out."""
    found = ((p, p.view(store, subject)) for p in panels if p.view is not None)
    return tuple((p, v) for p, v in found if v is not None)


def panels_json(panels: Iterable[Panel], store: Store, subject: Any) -> dict[str, Any]:
    """The panels' keys of the page's JSON."""
    out: dict[str, Any] = {}
    for p in panels:
        if p.json is not None:
            out.update(p.json(store, subject))
    return out


def _highlight(article: Article, pair: RepublicationPair | None) -> list[tuple[int, int, str, Any]]:
    if pair is None:
        return []
    ranges: list[tuple[int, int, str, Any]]
    if pair.copy == article.id:
        ranges = [(p.copy_start, p.copy_end, "passage", i + 1) for i, p in enumerate(pair.passages)]
        ranges += [(a.start, a.end, "addition", a.label or "addition") for a in pair.additions]
        ranges += [(e.copy_start, e.copy_end, "edit", i + 1) for i, e in enumerate(pair.edits)]
    else:
        ranges = [(p.original_start, p.original_end, "passage", i + 1) for i, p in enumerate(pair.passages)]
        ranges += [(e.original_start, e.original_end, "edit", i + 1) for i, e in enumerate(pair.edits)]
    return ranges


def _pair_with(store: Store, article_id: str, other_ref: str) -> list[RepublicationPair]:
    try:
        other = store.article(other_ref).id
    except NotFound:
        return []
    for original, copy in ((other, article_id), (article_id, other)):
        try:
            return [browse.pair(store, original, copy)]
        except NotFound:
            continue
    return []


def article_view(store: Store, ref: str, *, with_ref: str | None = None, panels: Sequence[Panel] = ()) -> ArticleView:
    """An article with one of its republication pairs highlighted (``with_ref`` names the other side), and what
    the analyses' ``panels`` show of it."""
    article = store.article(ref)
    pairs = browse.pairs_of(store, article.id, limit=RELATIONS_LIMIT)
    in_pairs = sum(browse.pair_counts(store, [article.id]).get(article.id, (0, 0)))
    others = browse.article_rows(store, [p.original if p.copy == article.id else p.copy for p in pairs])
    chosen: RepublicationPair | None = pairs[0] if pairs else None
    if with_ref is not None:
        match = [p for p in pairs
                 if article_row(others, p.original if p.copy == article.id else p.copy).ref == with_ref]
        if not match:  # a pair beyond the listed ones
            match = _pair_with(store, article.id, with_ref)
            if match:
                pairs.append(match[0])
                others.update(browse.article_rows(store, [match[0].original, match[0].copy]))
        if not match:
            raise NotFound(f"article {article.ref!r} is in no republication pair with {with_ref!r}")
        chosen = match[0]
    relations = []
    for p in pairs:
        role = "copy" if p.copy == article.id else "original"
        relations.append(Relation(
            role=role, other=article_row(others, p.original if role == "copy" else p.copy),
            similarity=p.similarity, copy_share=p.copy_share, original_share=p.original_share, reason=p.reason,
            evidence=p.evidence, passages=len(p.passages), additions=addition_summary(p), edits=len(p.edits),
            selected=p is chosen))
    n = min(len(article.text), ARTICLE_TEXT_LIMIT)
    ranges = _highlight(article, chosen)
    group = browse.group_of(store, article.id)
    row = browse.article_rows(store, [article.id])[article.id]
    shown = {kind for p in panels for kind in p.kinds}  # shown in their panels
    annotations = tuple((a.kind, a.label, article.text[a.start:a.end][:300])
                        for a in store.annotations(article.id)
                        if not a.kind.startswith("republication.") and a.kind not in shown)
    by_reason: dict[str, list[str]] = {}
    for stage, reason in in_run_order(row.get("not_analysed") or {}):
        by_reason.setdefault(reason, []).append(stage)
    return ArticleView(
        not_analysed=tuple((reason, ", ".join(stages)) for reason, stages in by_reason.items()),
        article=ArticleRow.from_index(row), author=article.author,
        segments=tuple(segment_text(article.text[:n], ranges)), chars_not_shown=len(article.text) - n,
        relations=tuple(relations), relations_not_shown=max(0, in_pairs - len(relations)),
        selected=next((r for r in relations if r.selected), None),
        group=group_items(store, [group])[0] if group else None, annotations=annotations,
        layers=tuple(k for k in ("passage", "addition", "edit") if any(r[2] == k for r in ranges)),
        panels=panel_views(panels, store, article))


def article_detail_json(store: Store, ref: str, *, panels: Sequence[Panel] = ()) -> dict[str, Any]:
    """An article's JSON: its text, pairs, group and annotations, and the ``panels``' keys."""
    article = store.article(ref)
    pairs = browse.pairs_of(store, article.id, limit=RELATIONS_JSON_LIMIT)
    in_pairs = sum(browse.pair_counts(store, [article.id]).get(article.id, (0, 0)))
    group = browse.group_of(store, article.id)
    ids = {article.id, *(i for p in pairs for i in (p.original, p.copy)), *(group.members if group else ())}
    if group:
        ids.add(group.original)
    refs = refs_of(store, ids)
    row = browse.article_rows(store, [article.id])[article.id]
    text = {**article_json(row), "text": article.text,
            "paragraphs": [list(s) for s in article.paragraphs], "sentences": [list(s) for s in article.sentences]}
    return {"ok": True, "article": text, "republications": [pair_json(p, refs) for p in pairs],
            "republications_not_shown": max(0, in_pairs - len(pairs)),
            "republication_group": group_json(group, refs) if group else None,
            "annotations": [a.to_dict() for a in store.annotations(article.id)],
            **panels_json(panels, store, article)}


# -- search --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HitItem:
    ref: str
    title: str | None
    outlet: str | None
    published: str | None
    score: float
    snippet: tuple[tuple[str, bool], ...]     # (text, matched)

    @property
    def path(self) -> str:
        return article_path(self.ref)


@dataclass(frozen=True, slots=True)
class SearchView:
    query: str
    hits: tuple[HitItem, ...]
    pager: Pager
    raw: tuple[Any, ...] = ()                 # the store's SearchHit records (for JSON)
    windowed: bool = False                    # more than SEARCH_WINDOW matches: ranked among the newest


_MARK = re.compile(r"\[([^\[\]]*)\]")


def _snippet(text: str) -> tuple[tuple[str, bool], ...]:
    """Cut FTS5's ``[match]`` markers into (text, matched) parts; the template escapes each."""
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in _MARK.finditer(text):
        if m.start() > pos:
            parts.append((text[pos:m.start()], False))
        parts.append((m.group(1), True))
        pos = m.end()
    if pos < len(text):
        parts.append((text[pos:], False))
    return tuple(parts)


def search_view(store: Store, query: str, *, limit: int, offset: int) -> SearchView:
    limit = max(0, min(limit, SEARCH_MAX - offset))
    hits, windowed = browse.search_page(store, query, limit=limit + 1, offset=offset, window=SEARCH_WINDOW)
    more, hits = len(hits) > limit, hits[:limit]
    items = tuple(HitItem(h.ref, h.title, h.outlet, h.published, h.score, _snippet(h.snippet)) for h in hits)
    return SearchView(query, items, pager("/search", {"q": query}, limit=limit, offset=offset, shown=len(hits),
                                          total=None, more=more), tuple(hits), windowed)


def search_json(view: SearchView) -> dict[str, Any]:
    return {"ok": True, "query": view.query, "total": None, "limit": view.pager.limit, "offset": view.pager.offset,
            "windowed": view.windowed,
            "hits": [{k: getattr(h, k) for k in ("ref", "title", "outlet", "published", "snippet", "score")}
                     for h in view.raw]}


# -- sources (outlets) -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PairItem:
    original: ArticleRow
    copy: ArticleRow
    similarity: float
    copy_share: float
    reason: str
    evidence: str


@dataclass(frozen=True, slots=True)
class OutletView:
    name: str
    articles: tuple[ArticleItem, ...]
    pager: Pager
    copied_from: tuple[tuple[str | None, int], ...]
    copied_by: tuple[tuple[str | None, int], ...]
    copies: tuple[PairItem, ...]            # its latest articles that copy others (capped)
    copies_total: int
    originals: tuple[PairItem, ...]         # its latest articles that others copied (capped)
    originals_total: int


def _pair_items(store: Store, rows: Sequence[browse.PairRow]) -> tuple[PairItem, ...]:
    arts = browse.article_rows(store, {i for r in rows for i in (r.original, r.copy)})
    return tuple(PairItem(article_row(arts, r.original), article_row(arts, r.copy), r.similarity, r.copy_share,
                          r.reason, r.evidence) for r in rows)


def outlet_view(store: Store, name: str, links: Sequence[tuple[str | None, str | None, int]], *, limit: int,
                offset: int, pairs: int = 20) -> OutletView:
    """One outlet; ``links`` is :func:`narratrace.store.browse.outlet_links` (cached by the caller)."""
    total, rows = browse.article_page(store, ArticleFilter(outlet=name), limit=limit, offset=offset)
    if not total:
        raise NotFound(f"no article of outlet {name!r}")
    copied_from = tuple((o, n) for c, o, n in links if c == name)
    copied_by = tuple((c, n) for c, o, n in links if o == name)
    return OutletView(
        name=name, articles=_items(store, rows),
        pager=pager(outlet_path(name), {}, limit=limit, offset=offset, shown=len(rows), total=total),
        copied_from=copied_from, copied_by=copied_by,
        copies=_pair_items(store, browse.outlet_page(store, name, "copy", limit=pairs)),
        copies_total=sum(n for _, n in copied_from),
        originals=_pair_items(store, browse.outlet_page(store, name, "original", limit=pairs)),
        originals_total=sum(n for _, n in copied_by))


def outlet_json(view: OutletView) -> dict[str, Any]:
    return {"ok": True, "outlet": view.name,
            "articles": {"ok": True, "total": view.pager.total, "limit": view.pager.limit,
                         "offset": view.pager.offset, "articles": [article_json(i.data) for i in view.articles]},
            "copied_from": [{"value": o, "count": n} for o, n in view.copied_from],
            "copied_by": [{"value": o, "count": n} for o, n in view.copied_by]}


@dataclass(frozen=True, slots=True)
class OutletsView:
    outlets: tuple[tuple[str | None, int], ...]
    pager: Pager


def outlets_view(stats: CorpusStats, *, limit: int, offset: int) -> OutletsView:
    page = stats.outlets[offset:offset + limit]
    return OutletsView(page, pager("/outlets", {}, limit=limit, offset=offset, shown=len(page),
                                   total=len(stats.outlets)))


def outlets_json(view: OutletsView) -> dict[str, Any]:
    return {"ok": True, "total": view.pager.total, "limit": view.pager.limit, "offset": view.pager.offset,
            "outlets": [{"value": o, "count": n} for o, n in view.outlets]}


# -- skipped inputs --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SkippedView:
    skipped: tuple[tuple[str, str, str], ...]
    pager: Pager


def skipped_view(store: Store, *, limit: int, offset: int) -> SkippedView:
    total, rows = browse.skipped_page(store, limit=limit, offset=offset)
    return SkippedView(tuple(rows), pager("/skipped", {}, limit=limit, offset=offset, shown=len(rows), total=total))


def skipped_json(view: SkippedView) -> dict[str, Any]:
    return {"ok": True, "total": view.pager.total, "limit": view.pager.limit, "offset": view.pager.offset,
            "skipped": [{"path": p, "reason": r, "code": c} for p, r, c in view.skipped]}


def articles_json(store: Store, flt: ArticleFilter, *, limit: int, offset: int) -> dict[str, Any]:
    total, rows = browse.article_page(store, flt, limit=limit, offset=offset)
    return {"ok": True, "total": total, "limit": limit, "offset": offset,
            "articles": [article_json(r) for r in rows]}
