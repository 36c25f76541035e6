"""What each page shows, as plain data, and the JSON the API returns for it.

Handlers in :mod:`narratrace.web.app` parse parameters, call one function here and
render the result; the functions read the store through :mod:`narratrace.store.browse`
and reuse the report's view code (:func:`narratrace.report.segment_text`,
:class:`~narratrace.report.ArticleRow`, the group and side-by-side views), so a page
and the HTML report show the same evidence the same way. Text is never joined with
markup here: highlighted text is a list of :class:`~narratrace.report.Segment`
records that the templates escape one by one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from narratrace.errors import NotFound
from narratrace.claims.export import export_claims
from narratrace.model import Article, RepublicationGroup, RepublicationPair
from narratrace.claims import report as claims_report
from narratrace.republications import report as republications_report
from narratrace.republications.report import AdditionSummary, GroupView, PairView, Segment, addition_summary, segment_text
from narratrace.sections import ArticleRow, Limits, opt_str, span_or_none
from narratrace.claims.store import claim_groups
from narratrace.store import Store
from narratrace.store import browse
from narratrace.store.browse import ArticleFilter, CorpusStats

if TYPE_CHECKING:
    from narratrace.provenance.graph import SourceSummary
    from narratrace.claims.model import ClaimGroup

__all__ = [
    "ArticleClaims",
    "ClaimGroupPageView",
    "ClaimGroupsView",
    "SourcesView",
    "article_claims",
    "claim_group_detail_json",
    "claim_group_json",
    "claim_group_path",
    "claim_group_view",
    "claim_groups_json",
    "claim_groups_view",
    "claims_json",
    "source_claims_url",
    "sources_json",
    "sources_view",
    "ARTICLE_TEXT_LIMIT",
    "RELATIONS_JSON_LIMIT",
    "RELATIONS_LIMIT",
    "LIMITS",
    "SEARCH_MAX",
    "SEARCH_WINDOW",
    "ArticleItem",
    "ArticleView",
    "GroupItem",
    "GroupPageView",
    "GroupsView",
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
    "group_detail_json",
    "group_json",
    "group_view",
    "groups_json",
    "groups_view",
    "outlet_json",
    "outlet_path",
    "outlet_view",
    "outlets_json",
    "outlets_view",
    "overview_json",
    "overview_view",
    "pair_json",
    "pairs_json",
    "search_json",
    "search_view",
    "skipped_json",
    "skipped_view",
    "stats_json",
]

LIMITS = Limits(members=100, side_chars=50_000)
"""Caps of a group page: copies listed, characters per side of the side-by-side view."""
ARTICLE_TEXT_LIMIT = 200_000
"""Characters of an article's text shown (highlighted) on its page; the JSON has it all."""
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


def _pager(path: str, params: Mapping[str, str | None], *, limit: int, offset: int, shown: int,
           total: int | None, more: bool = False) -> Pager:
    kept = tuple((k, v) for k, v in params.items() if v is not None and v != "")
    return Pager(path, kept, limit, offset, shown, total, more)


# -- JSON in the export contract's shapes --------------------------------------------------------

def article_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ("id", "ref", "title", "outlet", "published", "published_how", "language",
                                    "chars", "url", "author")}


def pair_json(pair: RepublicationPair, refs: Mapping[str, str]) -> dict[str, Any]:
    d = pair.to_dict()
    d["original"], d["copy"] = refs.get(pair.original, pair.original), refs.get(pair.copy, pair.copy)
    return d


def group_json(group: RepublicationGroup, refs: Mapping[str, str]) -> dict[str, Any]:
    return {"id": group.id, "original": refs.get(group.original, group.original),
            "members": [refs.get(m, m) for m in group.members], "reason": group.reason}


def _refs(store: Store, ids: Iterable[str]) -> dict[str, str]:
    return {i: r["ref"] for i, r in browse.article_rows(store, ids).items()}


def stats_json(stats: CorpusStats, *, cap: int = 100) -> dict[str, Any]:
    return {"articles": stats.articles, "republications": stats.pairs, "republication_groups": stats.groups,
            "skipped": stats.skipped, "date_from": stats.date_from, "date_to": stats.date_to,
            "undated": stats.undated,
            "outlets": [{"value": o, "count": n} for o, n in stats.outlets[:cap]],
            "languages": [{"value": lang, "count": n} for lang, n in stats.languages[:cap]]}


# -- overview --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ArticleItem:
    """A row of an article list: the article and how many pairs it is in, as copy and as original."""

    article: ArticleRow
    as_copy: int = 0
    as_original: int = 0
    data: Mapping[str, Any] = field(default_factory=dict)   # the index row (for JSON)


@dataclass(frozen=True, slots=True)
class GroupItem:
    group: RepublicationGroup
    original: ArticleRow
    size: int


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


def _group_items(store: Store, groups: Sequence[RepublicationGroup]) -> tuple[GroupItem, ...]:
    rows = browse.article_rows(store, (g.original for g in groups))
    return tuple(GroupItem(g, _row(rows, g.original), len(set(g.members) | {g.original})) for g in groups)


def _row(rows: Mapping[str, Mapping[str, Any]], article_id: str) -> ArticleRow:
    d = rows.get(article_id)
    return ArticleRow.from_index(d) if d else ArticleRow(id=article_id, ref=article_id, missing=True)


def overview_view(store: Store, stats: CorpusStats, flt: ArticleFilter, *, limit: int, offset: int) -> OverviewView:
    unfiltered = flt == ArticleFilter()
    total, rows = browse.article_page(store, flt, limit=limit, offset=offset, count=not unfiltered)
    if unfiltered:
        total = stats.articles
    _, groups = browse.group_page(store, limit=OVERVIEW_GROUPS, offset=0)
    params = {"outlet": flt.outlet, "language": flt.language, "date_from": flt.date_from, "date_to": flt.date_to}
    return OverviewView(
        stats=stats, filters=flt, articles=_items(store, rows),
        pager=_pager("/", params, limit=limit, offset=offset, shown=len(rows), total=total),
        groups=_group_items(store, groups), outlets=stats.outlets[:30],
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
    claims: ArticleClaims | None = None                       # the claims layer (None: no claims)


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


def article_view(store: Store, ref: str, *, with_ref: str | None = None) -> ArticleView:
    """An article with one of its republication pairs highlighted (``with_ref`` names the other side)."""
    article = store.article(ref)
    pairs = browse.pairs_of(store, article.id, limit=RELATIONS_LIMIT)
    in_pairs = sum(browse.pair_counts(store, [article.id]).get(article.id, (0, 0)))
    others = browse.article_rows(store, [p.original if p.copy == article.id else p.copy for p in pairs])
    chosen: RepublicationPair | None = pairs[0] if pairs else None
    if with_ref is not None:
        match = [p for p in pairs if _row(others, p.original if p.copy == article.id else p.copy).ref == with_ref]
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
            role=role, other=_row(others, p.original if role == "copy" else p.copy),
            similarity=p.similarity, copy_share=p.copy_share, original_share=p.original_share, reason=p.reason,
            evidence=p.evidence, passages=len(p.passages), additions=addition_summary(p), edits=len(p.edits),
            selected=p is chosen))
    n = min(len(article.text), ARTICLE_TEXT_LIMIT)
    ranges = _highlight(article, chosen)
    group = browse.group_of(store, article.id)
    row = browse.article_rows(store, [article.id])[article.id]
    annotations = tuple((a.kind, a.label, article.text[a.start:a.end][:300])
                        for a in store.annotations(article.id)
                        if not a.kind.startswith("republication.")
                        and a.kind not in ("claim", "narrative", "technique", "framing"))  # shown in their sections
    return ArticleView(
        article=ArticleRow.from_index(row), author=article.author,
        segments=tuple(segment_text(article.text[:n], ranges)), chars_not_shown=len(article.text) - n,
        relations=tuple(relations), relations_not_shown=max(0, in_pairs - len(relations)),
        selected=next((r for r in relations if r.selected), None),
        group=_group_items(store, [group])[0] if group else None, annotations=annotations,
        layers=tuple(k for k in ("passage", "addition", "edit") if any(r[2] == k for r in ranges)),
        claims=article_claims(store, article))


def article_detail_json(store: Store, ref: str) -> dict[str, Any]:
    article = store.article(ref)
    pairs = browse.pairs_of(store, article.id, limit=RELATIONS_JSON_LIMIT)
    in_pairs = sum(browse.pair_counts(store, [article.id]).get(article.id, (0, 0)))
    group = browse.group_of(store, article.id)
    ids = {article.id, *(i for p in pairs for i in (p.original, p.copy)), *(group.members if group else ())}
    if group:
        ids.add(group.original)
    refs = _refs(store, ids)
    row = browse.article_rows(store, [article.id])[article.id]
    text = {**article_json(row), "text": article.text,
            "paragraphs": [list(s) for s in article.paragraphs], "sentences": [list(s) for s in article.sentences]}
    return {"ok": True, "article": text, "republications": [pair_json(p, refs) for p in pairs],
            "republications_not_shown": max(0, in_pairs - len(pairs)),
            "republication_group": group_json(group, refs) if group else None,
            "annotations": [a.to_dict() for a in store.annotations(article.id)],
            "claims": export_claims(store, {article.id: article.ref}, article_id=article.id),
            "claim_groups": [g.id for g in claim_groups(store, article_id=article.id)]}


# -- republication groups ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GroupPageView:
    view: GroupView                  # members with their evidence (the report's view)
    size: int
    pair: PairView | None            # the selected copy side by side with what it copies
    selected: str | None             # ref of the copy shown side by side

    @property
    def layers(self) -> tuple[str, ...]:
        """The highlight kinds the side-by-side view has ("passage", "addition", "edit")."""
        segs = [seg for side in ((self.pair.left, self.pair.right) if self.pair else ()) if side
                for seg in side.segments]
        return tuple(k for k, present in (("passage", any(x.passage for x in segs)),
                                          ("addition", any(x.addition for x in segs)),
                                          ("edit", any(x.edit or any(m.kind == "edit-point" for m in x.markers)
                                                       for x in segs))) if present)


def _group_parts(store: Store, group_id: int) -> tuple[RepublicationGroup, list[str], list[RepublicationPair],
                                                       dict[str, dict[str, Any]]]:
    group = browse.group(store, group_id)
    copies = [m for m in dict.fromkeys(group.members) if m != group.original]
    shown = copies[:LIMITS.members]
    pairs = browse.pairs_of_copies(store, shown)
    rows = browse.article_rows(store, {group.original, *shown, *(p.original for p in pairs)})
    return group, copies, pairs, rows


def group_view(store: Store, group_id: int, *, copy_ref: str | None = None) -> GroupPageView:
    group, copies, pairs, rows = _group_parts(store, group_id)

    def row(article_id: str) -> ArticleRow:
        return _row(rows, article_id)

    view = republications_report.group_view(group, pairs, row, {}, LIMITS)
    selected = view.members[0] if view.members else None
    if copy_ref is not None:
        selected = next((m for m in view.members if m.article.ref == copy_ref), None)
        if selected is None:
            raise NotFound(f"group {group_id} lists no copy {copy_ref!r}")
    side_by_side = None
    if selected is not None:
        candidates = [p for p in pairs if p.copy == selected.article.id]
        chosen = (next((p for p in candidates if p.original == group.original), None)
                  or next((p for p in candidates if p.original in group.members), None)
                  or (candidates[0] if candidates else None))
        if chosen is not None:
            texts = {a.id: a for a in store.articles([chosen.original, chosen.copy])}
            side_by_side = republications_report.pair_view(1, chosen, row, texts, LIMITS)
    return GroupPageView(view=view, size=len(copies) + 1, pair=side_by_side,
                         selected=selected.article.ref if selected else None)


def group_detail_json(store: Store, group_id: int) -> dict[str, Any]:
    group, copies, pairs, rows = _group_parts(store, group_id)
    refs = {i: r["ref"] for i, r in rows.items()}
    refs.update(_refs(store, [m for m in group.members if m not in refs]))
    members = [group.original, *copies[:LIMITS.members]]
    return {"ok": True, "republication_group": group_json(group, refs),
            "articles": [article_json(rows[m]) for m in members if m in rows],
            "republications": [pair_json(p, refs) for p in pairs],
            "members_not_shown": max(0, len(copies) - LIMITS.members)}


@dataclass(frozen=True, slots=True)
class GroupsView:
    groups: tuple[GroupItem, ...]
    pager: Pager


def groups_view(store: Store, *, limit: int, offset: int) -> GroupsView:
    total, groups = browse.group_page(store, limit=limit, offset=offset)
    return GroupsView(_group_items(store, groups),
                      _pager("/groups", {}, limit=limit, offset=offset, shown=len(groups), total=total))


def groups_json(store: Store, *, limit: int, offset: int) -> dict[str, Any]:
    total, groups = browse.group_page(store, limit=limit, offset=offset)
    refs = _refs(store, {i for g in groups for i in (g.original, *g.members)})
    return {"ok": True, "total": total, "limit": limit, "offset": offset,
            "republication_groups": [group_json(g, refs) for g in groups]}


def pairs_json(store: Store, *, limit: int, offset: int) -> dict[str, Any]:
    total, pairs = browse.pair_page(store, limit=limit, offset=offset)
    refs = _refs(store, {i for p in pairs for i in (p.original, p.copy)})
    return {"ok": True, "total": total, "limit": limit, "offset": offset,
            "republications": [pair_json(p, refs) for p in pairs]}


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
    return SearchView(query, items, _pager("/search", {"q": query}, limit=limit, offset=offset, shown=len(hits),
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
    return tuple(PairItem(_row(arts, r.original), _row(arts, r.copy), r.similarity, r.copy_share, r.reason,
                          r.evidence) for r in rows)


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
        pager=_pager(outlet_path(name), {}, limit=limit, offset=offset, shown=len(rows), total=total),
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
    return OutletsView(page, _pager("/outlets", {}, limit=limit, offset=offset, shown=len(page),
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
    return SkippedView(tuple(rows), _pager("/skipped", {}, limit=limit, offset=offset, shown=len(rows), total=total))


def skipped_json(view: SkippedView) -> dict[str, Any]:
    return {"ok": True, "total": view.pager.total, "limit": view.pager.limit, "offset": view.pager.offset,
            "skipped": [{"path": p, "reason": r, "code": c} for p, r, c in view.skipped]}


def articles_json(store: Store, flt: ArticleFilter, *, limit: int, offset: int) -> dict[str, Any]:
    total, rows = browse.article_page(store, flt, limit=limit, offset=offset)
    return {"ok": True, "total": total, "limit": limit, "offset": offset,
            "articles": [article_json(r) for r in rows]}


# -- claims, claim groups, cited sources, provenance -------------------------------------------------

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
    claims = export_claims(store, article_id=article_id, source=source or None)
    return {"ok": True, "total": len(claims), "limit": limit, "offset": offset,
            "claims": claims[offset:offset + limit]}


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
    return ClaimGroupsView(page, _pager("/claim-groups", {}, limit=limit, offset=offset, shown=len(page),
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
    return ClaimGroupPageView(group, _row(rows, group.first_seen), tuple(items), tuple(stances.items()))


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
    return SourcesView(page, _pager("/sources", {}, limit=limit, offset=offset, shown=len(page),
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


@dataclass(frozen=True, slots=True)
class StoredClaimIndex:
    """The claim embeddings stay in the database, which finds the nearest (PostgreSQL: pgvector HNSW)."""

    claims: int


def claim_index(store: Store) -> ClaimIndex | StoredClaimIndex | None:
    """Load the stored claim embeddings once (the app caches it until the database changes)."""
    import numpy as np

    from narratrace.vectors import unpack_vectors

    indexed = store.claim_vector_count()
    if indexed is not None:  # nothing to hold in memory: every query goes to the database's index
        return StoredClaimIndex(indexed) if indexed else None
    ref = {row["id"]: row["ref"] for row in store.article_index()}
    refs: list[str] = []
    ids: list[str] = []
    texts: list[str] = []
    mats = []
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
    if not mats:
        return None
    return ClaimIndex(tuple(refs), tuple(ids), tuple(texts), np.vstack(mats))


@dataclass(frozen=True, slots=True)
class SemanticHit:
    ref: str
    claim: str
    text: str
    score: float
    path: str


def semantic_claim_search(index: ClaimIndex | StoredClaimIndex | None, query: str, *, limit: int,
                          store: Store | None = None) -> list[SemanticHit]:
    """Claims closest in meaning to ``query`` (all-MiniLM-L6-v2 cosine), best first."""
    import numpy as np

    from narratrace.vectors import encode

    if index is None or not query.strip():
        return []
    if isinstance(index, StoredClaimIndex):
        if store is None:
            raise ValueError("a StoredClaimIndex is searched through its store")
        return [SemanticHit(ref, cid, text, round(score, 4), article_path(ref))
                for ref, cid, text, score in store.nearest_claims(encode([query])[0], limit)]
    scores = index.matrix @ encode([query])[0]
    top = np.argsort(-scores, kind="stable")[:limit]
    return [SemanticHit(index.refs[i], index.ids[i], index.texts[i], round(float(scores[i]), 4),
                        article_path(index.refs[i])) for i in top]
