"""The report's claims sections: cited sources, each article's claims highlighted, claim groups with their
timeline and attribution conflicts, and a drawing of the provenance graph (outlets | articles | sources)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from narratrace.model import Annotation
from narratrace.sections import ArticleRow, Card, Count, Limits, NavLink, Section, SectionContext, opt_str, span_or_none
from narratrace.sections import day_of as _day
from narratrace.claims.store import claim_groups
from narratrace.store import Store

if TYPE_CHECKING:
    import networkx as nx

    from narratrace.claims.model import ClaimGroup, GroupArticle
    from narratrace.provenance.graph import SourceSummary

@dataclass(frozen=True, slots=True)
class ClaimsOverview:
    """Counts over every claim in the store (not only the claims shown)."""

    claims: int
    attributed: int
    hedged: int
    articles: int                        # articles with at least one claim
    sources: int                         # distinct cited sources
    groups: int                          # claim groups
    conflicts: int                       # claim groups with an attribution conflict

    @property
    def unattributed(self) -> int:
        return self.claims - self.attributed

@dataclass(frozen=True, slots=True)
class ClaimView:
    """One claim of an article with its attribution, as the claims stage stored it."""

    id: str                              # the claims stage's claim id
    anchor: str                          # page anchor of its label in the article's text
    index: int                           # 1-based within its article
    start: int
    end: int
    text: str
    score: float | None
    source: str | None                   # as written in the article
    source_name: str | None              # canonical if resolved, else as written; None when unattributed
    source_kind: str
    source_anchor: str | None            # its row of the sources table
    cue: str | None
    quote: str                           # "direct", "indirect" or "none"
    hedges: tuple[str, ...]
    carried: bool                        # attribution carried over from an earlier sentence
    group_id: str | None = None          # the claim group it belongs to, when that group is shown
    group_anchor: str | None = None

    @property
    def attributed(self) -> bool:
        return self.source_name is not None

    @property
    def as_written(self) -> str | None:
        """The source as written when it differs from the name shown."""
        if self.source and self.source_name and _squash(self.source) != _squash(self.source_name):
            return self.source
        return None

    @property
    def summary(self) -> str:
        """The label in words (the tooltip of the label)."""
        parts = [f"claim {self.index}"]
        if self.source_name:
            parts.append(f"source: {self.source_name} ({_kind_label(self.source_kind)})")
            if self.as_written:
                parts.append(f"as written: {self.as_written}")
        else:
            parts.append("unattributed")
        if self.cue:
            parts.append(f"cue: {self.cue}")
        if self.quote in QUOTE_LABELS:
            parts.append(QUOTE_LABELS[self.quote])
        if self.hedges:
            parts.append("hedges: " + ", ".join(self.hedges))
        if self.carried:
            parts.append("attribution carried over from an earlier sentence")
        if self.score is not None:
            parts.append(f"check-worthiness {self.score:.2f}")
        return "; ".join(parts)

@dataclass(frozen=True, slots=True)
class ClaimSegment:
    """A stretch ``[start, end)`` of an article's text and the claim, source, cue and hedge covering it."""

    text: str
    start: int
    end: int
    claim: int | None = None             # 1-based index of the claim covering it
    attributed: bool = False             # whether that claim has a source
    source: int | None = None            # claim whose source span covers it
    cue: int | None = None               # claim whose cue covers it
    hedge: int | None = None             # claim whose hedge covers it
    opens: tuple[int, ...] = ()          # claims starting here: their labels come before the text

    @property
    def css(self) -> str:
        parts = ["seg"]
        if self.claim:
            parts += ["claim", "attr" if self.attributed else "unattr"]
        if self.source:
            parts.append("src")
        if self.cue:
            parts.append("cue")
        if self.hedge:
            parts.append("hedge")
        return " ".join(parts)

@dataclass(frozen=True, slots=True)
class ArticleClaimsView:
    """An article's text with its claims highlighted and labelled."""

    article: ArticleRow
    anchor: str
    claims: tuple[ClaimView, ...]        # the claims shown (those starting in the text shown)
    segments: tuple[ClaimSegment, ...]
    chars_not_shown: int                 # text beyond Limits.claim_chars
    claims_not_shown: int                # claims starting beyond the text shown

    def claim(self, index: int) -> ClaimView:
        """The claim with this 1-based index (as in :attr:`ClaimSegment.opens`)."""
        return next(c for c in self.claims if c.index == index)

    @property
    def attributed(self) -> int:
        return sum(1 for c in self.claims if c.attributed)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.source_name for c in self.claims if c.source_name))

@dataclass(frozen=True, slots=True)
class CitingArticle:
    """An article citing a source: how many of its claims, and where the first one is on the page."""

    article: ArticleRow
    claims: int
    link: str | None                     # anchor of its first claim citing the source (None if not shown)

@dataclass(frozen=True, slots=True)
class SourceView:
    """A cited source: who cites it, how often (numbers as in ``narratrace sources``)."""

    anchor: str
    source: str                          # canonical form (else as first written)
    kind: str
    names: tuple[str, ...]               # other forms as written
    claims: int
    articles: int
    outlets: tuple[Count, ...]           # citing outlets, claims per outlet, most first
    cited_in: tuple[CitingArticle, ...]
    cited_in_not_shown: int
    is_outlet: bool                      # an outlet of the corpus has the same name

@dataclass(frozen=True, slots=True)
class AppearanceClaim:
    """One claim of an article in a claim group, as the article puts it."""

    text: str
    link: str | None                     # anchor of the claim in the article's text, when shown
    source: str | None                   # as written
    source_name: str | None
    source_kind: str
    cue: str | None
    quote: str
    hedges: tuple[str, ...]

@dataclass(frozen=True, slots=True)
class Appearance:
    """One article carrying a grouped claim, and the attribution it gave."""

    article: ArticleRow
    first: bool
    stance: str                          # "attributed", "hedged" or "fact"
    attribution: str                     # the source(s) named, or "none"
    sources: tuple[str, ...]
    claims: tuple[AppearanceClaim, ...]
    link: str | None                     # anchor of the article's claims view, when shown

@dataclass(frozen=True, slots=True)
class ConflictSide:
    """Outlets (or article refs) attributing a claim to the same sources, or stating it as fact."""

    who: tuple[str, ...]
    sources: tuple[str, ...]             # empty for "states it as fact" and "hedges it"
    hedges: tuple[str, ...] = ()

@dataclass(frozen=True, slots=True)
class TimelineDot:
    x: float
    y: float
    stance: str
    label: str                           # tooltip
    link: str | None

@dataclass(frozen=True, slots=True)
class Timeline:
    """Appearances of a claim group on a date axis, geometry in SVG user units."""

    dots: tuple[TimelineDot, ...]
    width: int
    height: int
    axis_y: float
    x0: float
    x1: float
    date_from: str
    date_to: str
    undated: int                         # appearances without a date (not on the axis)

@dataclass(frozen=True, slots=True)
class ClaimGroupView:
    id: str
    anchor: str
    label: str
    first: ArticleRow
    first_published: str | None
    first_seen_how: str                  # "republication", "date", "credit" or "order"
    cohesion: float
    conflict: bool
    attributed: tuple[ConflictSide, ...]
    as_fact: tuple[ConflictSide, ...]
    hedged: tuple[ConflictSide, ...]
    stances: tuple[Count, ...]
    appearances: tuple[Appearance, ...]
    appearances_not_shown: int
    timeline: Timeline | None
    undated: int = 0                     # of all its articles, those without a publication date

@dataclass(frozen=True, slots=True)
class GraphNode:
    key: str                             # node id in the provenance graph
    kind: str                            # "outlet", "article", "source" or "url"
    label: str                           # shortened
    title: str                           # tooltip
    x: float
    y: float
    r: float
    degree: int
    link: str | None

@dataclass(frozen=True, slots=True)
class GraphEdge:
    kind: str                            # "publishes", "copies", "cites" or "links_to"
    d: str                               # SVG path data (numbers only)
    width: float
    title: str

@dataclass(frozen=True, slots=True)
class EdgeCount:
    kind: str
    description: str
    count: int                           # in the whole graph
    shown: int                           # in the drawing

@dataclass(frozen=True, slots=True)
class GraphView:
    """The provenance graph drawn in columns: outlets | articles | cited sources and links."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    width: int
    height: int
    columns: tuple[tuple[float, str], ...]   # (x, heading)
    node_counts: tuple[Count, ...]       # per kind, in the whole graph
    edge_counts: tuple[EdgeCount, ...]
    nodes_not_shown: int

QUOTE_LABELS = {"direct": "direct quote", "indirect": "indirect quote"}

SOURCE_KIND_LABELS = {"person": "person", "organisation": "organisation", "government": "government body",
                      "media": "media outlet", "social_media": "social media", "anonymous": "anonymous",
                      "none": "none"}

STANCES = ("attributed", "hedged", "fact")

STANCE_LABELS = {"attributed": "attributed", "hedged": "hedged, no source", "fact": "stated as fact"}

FIRST_SEEN_LABELS = {"date": "earliest publication date", "republication": "the others republish it",
                     "credit": "earliest date, as a copy's credit line gives it",
                     "order": "first ingested; no earlier date"}

EDGE_DESCRIPTIONS = {"publishes": "outlet → article", "copies": "copy → original (republication)",
                     "cites": "article → cited source (attribution)", "links_to": "article → linked page"}

_NODE_ORDER = {"outlet": 0, "article": 1, "source": 2, "url": 3}

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

def _kind_label(kind: str) -> str:
    return SOURCE_KIND_LABELS.get(kind, kind)

def _source_key(name: str) -> str:
    """How the provenance graph identifies a source: whitespace squashed, case folded."""
    return " ".join(name.split()).casefold()

def _squash(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", name.casefold())

def _anchor(prefix: str, key: str) -> str:
    return f"{prefix}-{_UNSAFE.sub('-', key).strip('-')[:64] or 'x'}"

def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"

@dataclass(frozen=True, slots=True)
class _Claim:
    """A claim annotation read defensively (stored data is not trusted to have the right types)."""

    article_id: str
    id: str
    anchor: str
    index: int
    start: int
    end: int
    score: float | None
    source: str | None
    source_name: str | None
    source_kind: str
    cue: str | None
    quote: str
    hedges: tuple[str, ...]
    carried: bool
    source_span: tuple[int, int] | None
    cue_span: tuple[int, int] | None
    hedge_spans: tuple[tuple[int, int], ...]

    @classmethod
    def read(cls, article_id: str, index: int, ann: Annotation) -> _Claim:
        d = ann.data if isinstance(ann.data, Mapping) else {}
        source = opt_str(d.get("source"))
        kind = opt_str(d.get("source_kind")) or ("organisation" if source else "none")
        name = None
        if source and kind != "none":
            name = " ".join((opt_str(d.get("source_canonical")) or source).split())
        hedges = d.get("hedges")
        spans = d.get("hedge_spans")
        score = d.get("score")
        return cls(
            article_id=article_id, id=opt_str(d.get("id")) or f"c-{article_id[:10]}-{ann.start}",
            anchor=_anchor("claim", f"{article_id}-{index}"), index=index, start=ann.start, end=ann.end,
            score=float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
            source=source, source_name=name, source_kind=kind if name else "none", cue=opt_str(d.get("cue")),
            quote=opt_str(d.get("quote")) or "none",
            hedges=tuple(h for h in (opt_str(x) for x in hedges) if h) if isinstance(hedges, list) else (),
            carried=bool(d.get("carried")),
            source_span=span_or_none(d.get("source_start"), d.get("source_end")),
            cue_span=span_or_none(d.get("cue_start"), d.get("cue_end")),
            hedge_spans=tuple(s for s in (span_or_none(*h) for h in spans if isinstance(h, list) and len(h) == 2)
                              if s) if isinstance(spans, list) else ())

def segment_claims(text: str, claims: Iterable[tuple[int, int, int, bool]],
                   marks: Iterable[tuple[int, int, str, int]] = ()) -> list[ClaimSegment]:
    """Cut ``text`` at the boundaries of claims and of their source, cue and hedge spans.

    ``claims`` are ``(start, end, index, attributed)``; ``marks`` are ``(start, end, kind,
    claim index)`` with ``kind`` one of ``"source"``, ``"cue"``, ``"hedge"``. Offsets are
    clipped to the text; empty and inverted spans are ignored; where spans of one kind
    overlap, the one listed first wins. The segments' texts joined give ``text`` back
    exactly; a claim's label goes before the segment where the claim starts (``opens``).
    """
    n = len(text)
    ranges: list[tuple[int, int, str, int, bool]] = []
    for s, e, idx, attributed in claims:
        ranges.append((s, e, "claim", idx, attributed))
    for s, e, kind, idx in marks:
        ranges.append((s, e, kind, idx, False))
    starts: dict[int, list[tuple[int, str, int, bool, int]]] = {}
    bounds = {0, n}
    for order, (raw_s, raw_e, kind, idx, attributed) in enumerate(ranges):
        s, e = max(0, min(int(raw_s), n)), max(0, min(int(raw_e), n))
        if e <= s:
            continue
        starts.setdefault(s, []).append((e, kind, idx, attributed, order))
        bounds.update((s, e))
    cuts = sorted(bounds)
    active: list[tuple[int, str, int, bool, int]] = []
    out: list[ClaimSegment] = []
    for a, b in zip(cuts, cuts[1:]):
        opened = starts.get(a, [])
        active = sorted([r for r in active if r[0] > a] + opened, key=lambda r: r[4])
        first: dict[str, tuple[int, bool]] = {}
        for _, kind, idx, attributed, _ in active:
            first.setdefault(kind, (idx, attributed))
        claim = first.get("claim")
        out.append(ClaimSegment(
            text[a:b], a, b, claim=claim[0] if claim else None, attributed=bool(claim and claim[1]),
            source=first["source"][0] if "source" in first else None,
            cue=first["cue"][0] if "cue" in first else None,
            hedge=first["hedge"][0] if "hedge" in first else None,
            opens=tuple(sorted({idx for _, kind, idx, _, _ in opened if kind == "claim"}))))
    return out

@dataclass(slots=True)
class _Cites:
    """Claims of one article citing one source, and the first one's anchor when it is shown."""

    claims: int = 0
    link: str | None = None

@dataclass(frozen=True, slots=True)
class _ClaimSections:
    overview: ClaimsOverview | None = None
    sources: tuple[SourceView, ...] = ()
    sources_not_shown: int = 0
    articles: tuple[ArticleClaimsView, ...] = ()
    articles_not_shown: int = 0
    groups: tuple[ClaimGroupView, ...] = ()
    groups_not_shown: int = 0
    graph: GraphView | None = None

def _claim_sections(store: Store, row: Callable[[str], ArticleRow], limits: Limits) -> _ClaimSections:
    """Everything the claims sections show; empty when the store holds no claims and no claim groups."""
    groups = claim_groups(store)
    shown_groups = groups[:limits.claim_groups]
    group_anchor = {g.id: _anchor("claim-group", str(i + 1)) for i, g in enumerate(shown_groups)}
    group_of = {m.claim: g.id for g in shown_groups for m in g.members}

    # One pass over every claim: counts, who cites whom, and the claims of the articles shown.
    shown: dict[str, list[_Claim]] = {}
    cites: dict[str, dict[str, _Cites]] = {}
    total = attributed = hedged = 0
    articles = 0
    last: str | None = None
    index = 0
    for aid, ann in store.annotations_of_kind("claim"):
        if aid != last:
            last, index = aid, 0
            articles += 1
            if len(shown) < limits.claim_articles:
                shown[aid] = []
        index += 1
        c = _Claim.read(aid, index, ann)
        total += 1
        hedged += bool(c.hedges)
        if aid in shown:
            shown[aid].append(c)
        if c.source_name:
            attributed += 1
            entry = cites.setdefault(_source_key(c.source_name), {}).setdefault(aid, _Cites())
            entry.claims += 1
            if entry.link is None and aid in shown and c.start < limits.claim_chars:
                entry.link = c.anchor
    if not total and not groups:
        return _ClaimSections()

    summaries = []
    graph = None
    if total:
        from narratrace.provenance.graph import build_graph, sources_summary

        graph = build_graph(store)
        summaries = sources_summary(store, graph=graph)
    source_anchor = {_source_key(s.source): _anchor("source", str(i + 1))
                     for i, s in enumerate(summaries[:limits.sources])}

    texts = {a.id: a.text for a in store.articles(list(shown))} if shown else {}
    article_views = []
    claim_link: dict[str, str] = {}
    for aid, claims in shown.items():
        view = _article_claims(row(aid), texts.get(aid, ""), claims, source_anchor, group_of, group_anchor,
                               limits.claim_chars)
        claim_link.update((c.id, c.anchor) for c in view.claims)
        article_views.append(view)
    article_link = {v.article.id: v.anchor for v in article_views}

    source_views = tuple(_source_view(s, source_anchor[_source_key(s.source)],
                                      cites.get(_source_key(s.source), {}), row, limits)
                         for s in summaries[:limits.sources])
    group_views = tuple(_claim_group_view(g, group_anchor[g.id], row, claim_link, article_link, limits)
                        for g in shown_groups)
    overview = ClaimsOverview(claims=total, attributed=attributed, hedged=hedged, articles=articles,
                              sources=len(summaries), groups=len(groups),
                              conflicts=sum(1 for g in groups if g.attribution_conflict))
    return _ClaimSections(
        overview=overview, sources=source_views, sources_not_shown=max(0, len(summaries) - limits.sources),
        articles=tuple(article_views), articles_not_shown=articles - len(article_views),
        groups=group_views, groups_not_shown=max(0, len(groups) - len(shown_groups)),
        graph=_graph_view(graph, limits, article_link, source_anchor) if graph is not None else None)

def _article_claims(article: ArticleRow, text: str, claims: Sequence[_Claim], source_anchor: Mapping[str, str],
                    group_of: Mapping[str, str], group_anchor: Mapping[str, str], limit: int) -> ArticleClaimsView:
    n = min(len(text), limit)
    views = []
    marks: list[tuple[int, int, str, int]] = []
    for c in claims:
        if c.start >= n or c.end <= c.start:
            continue
        gid = group_of.get(c.id)
        views.append(ClaimView(
            id=c.id, anchor=c.anchor, index=c.index, start=c.start, end=c.end, text=text[c.start:c.end],
            score=c.score, source=c.source, source_name=c.source_name, source_kind=c.source_kind,
            source_anchor=source_anchor.get(_source_key(c.source_name)) if c.source_name else None,
            cue=c.cue, quote=c.quote, hedges=c.hedges, carried=c.carried,
            group_id=gid, group_anchor=group_anchor.get(gid) if gid else None))
        if c.source_span:
            marks.append((*c.source_span, "source", c.index))
        if c.cue_span:
            marks.append((*c.cue_span, "cue", c.index))
        marks += [(s, e, "hedge", c.index) for s, e in c.hedge_spans]
    segments = segment_claims(text[:n], [(c.start, c.end, c.index, c.attributed) for c in views], marks)
    return ArticleClaimsView(article=article, anchor=_anchor("claims", article.id), claims=tuple(views),
                             segments=tuple(segments), chars_not_shown=len(text) - n,
                             claims_not_shown=len(claims) - len(views))

def _source_view(s: SourceSummary, anchor: str, cites: Mapping[str, _Cites], row: Callable[[str], ArticleRow],
                 limits: Limits) -> SourceView:
    citing = sorted(cites.items(), key=lambda kv: -kv[1].claims)  # stable: ingestion order among equals
    key = _squash(s.source)
    return SourceView(
        anchor=anchor, source=s.source, kind=s.kind,
        names=tuple(n for n in s.names if _squash(n) != key), claims=s.claims, articles=len(s.articles),
        outlets=tuple(Count(o.outlet, o.claims) for o in s.outlets),
        cited_in=tuple(CitingArticle(row(aid), c.claims, c.link) for aid, c in citing[:limits.source_articles]),
        cited_in_not_shown=max(0, len(citing) - limits.source_articles), is_outlet=s.is_outlet)

def _claim_group_view(g: ClaimGroup, anchor: str, row: Callable[[str], ArticleRow], claim_link: Mapping[str, str],
                      article_link: Mapping[str, str], limits: Limits) -> ClaimGroupView:
    members: dict[str, list[AppearanceClaim]] = {}
    for m in g.members:
        name = (m.source_canonical or m.source) if m.source and m.source_kind != "none" else None
        members.setdefault(m.article, []).append(AppearanceClaim(
            text=m.text, link=claim_link.get(m.claim), source=m.source, source_name=name, source_kind=m.source_kind,
            cue=m.cue, quote=m.quote, hedges=m.hedges))
    appearances = tuple(
        Appearance(article=row(a.article), first=a.article == g.first_seen, stance=a.stance,
                   attribution=a.attribution, sources=a.sources, claims=tuple(members.get(a.article, ())),
                   link=article_link.get(a.article))
        for a in g.articles[:limits.group_articles])

    def who(a: GroupArticle) -> str:
        return a.outlet or a.ref

    by_sources: dict[tuple[str, ...], list[str]] = {}
    fact: list[str] = []
    hedged: dict[str, list[str]] = {}
    for a in g.articles:
        if a.stance == "attributed":
            by_sources.setdefault(a.sources, []).append(who(a))
        elif a.stance == "hedged":
            hedged.setdefault(who(a), []).extend(h for m in g.members if m.article == a.article for h in m.hedges)
        else:
            fact.append(who(a))
    stances = Counter(a.stance for a in g.articles)
    return ClaimGroupView(
        id=g.id, anchor=anchor, label=g.label, first=row(g.first_seen), first_published=g.first_published,
        first_seen_how=g.first_seen_how, cohesion=g.cohesion, conflict=g.attribution_conflict,
        attributed=tuple(ConflictSide(tuple(dict.fromkeys(w)), srcs) for srcs, w in by_sources.items()),
        as_fact=(ConflictSide(tuple(dict.fromkeys(fact)), ()),) if fact else (),
        hedged=tuple(ConflictSide((w,), (), tuple(dict.fromkeys(h))) for w, h in hedged.items()),
        stances=tuple(Count(s, stances[s]) for s in STANCES if stances[s]),
        appearances=appearances, appearances_not_shown=max(0, len(g.articles) - len(appearances)),
        timeline=_timeline(appearances), undated=sum(1 for a in g.articles if _day(a.published) is None))

def _timeline(appearances: Sequence[Appearance], width: int = 640) -> Timeline | None:
    """Dots on a date axis, one per article, stacked when several share a day (None below two dates)."""
    dated = [(d, a) for a in appearances if (d := _day(a.article.published)) is not None]
    if len(dated) < 2:
        return None
    days = sorted({d for d, _ in dated})
    x0, x1 = 40.0, width - 40.0
    span = (days[-1] - days[0]).days

    def x_of(d: date) -> float:
        return round((x0 + x1) / 2 if not span else x0 + (x1 - x0) * (d - days[0]).days / span, 1)

    per_day = Counter(d for d, _ in dated)
    step = 13.0
    axis_y = 10.0 + step * max(per_day.values())
    stacked: Counter[date] = Counter()
    dots = []
    for d, a in dated:
        k = stacked[d]
        stacked[d] += 1
        label = f"{d.isoformat()} · {a.article.outlet or a.article.ref} · " + (
            f"attributes it to {a.attribution}" if a.stance == "attributed"
            else "hedged, no source" if a.stance == "hedged" else "states it as fact")
        dots.append(TimelineDot(x=x_of(d), y=round(axis_y - 7 - k * step, 1), stance=a.stance, label=label,
                                link=a.link))
    return Timeline(dots=tuple(dots), width=width, height=int(axis_y + 22), axis_y=axis_y, x0=x0, x1=x1,
                    date_from=days[0].isoformat(), date_to=days[-1].isoformat(),
                    undated=len(appearances) - len(dated))

def _graph_view(g: nx.MultiDiGraph, limits: Limits, article_link: Mapping[str, str],
                source_anchor: Mapping[str, str]) -> GraphView | None:
    """The graph drawn in columns (outlets | articles | sources and links), the best-connected nodes only."""
    edge_kinds = Counter(str(d.get("kind")) for _, _, d in g.edges(data=True))
    if not any(edge_kinds[k] for k in ("copies", "cites", "links_to")):
        return None
    degree = dict(g.degree())
    nodes = dict(g.nodes(data=True))

    def kind(n: str) -> str:
        return str(nodes[n].get("kind"))

    def label(n: str) -> str:
        return str(nodes[n].get("ref") or nodes[n].get("label") or n)

    ranked = sorted(nodes, key=lambda n: (-degree[n], _NODE_ORDER.get(kind(n), 9), label(n), n))
    keep = set(ranked[:limits.graph_nodes])
    edges = [(u, v, d) for u, v, d in g.edges(data=True) if u in keep and v in keep]

    outlets = sorted((n for n in keep if kind(n) == "outlet"),
                     key=lambda n: (-int(nodes[n].get("articles") or 0), label(n).casefold(), n))
    outlet_pos = {n: i for i, n in enumerate(outlets)}
    publisher: dict[str, int] = {}
    for u, v, d in edges:
        if d.get("kind") == "publishes":
            publisher[v] = min(publisher.get(v, len(outlets)), outlet_pos[u])
    articles = sorted((n for n in keep if kind(n) == "article"),
                      key=lambda n: (publisher.get(n, len(outlets)), str(nodes[n].get("published") or "9999"),
                                     label(n), n))
    article_pos = {n: i for i, n in enumerate(articles)}
    neighbours: dict[str, list[int]] = {}
    for u, v, _ in edges:
        for a, b in ((u, v), (v, u)):
            if a in article_pos and kind(b) in ("source", "url"):
                neighbours.setdefault(b, []).append(article_pos[a])
    right = sorted((n for n in keep if kind(n) in ("source", "url")),
                   key=lambda n: (sum(neighbours.get(n, [])) / len(neighbours[n]) if neighbours.get(n)
                                  else len(articles), _NODE_ORDER[kind(n)], label(n).casefold(), n))
    columns = ((200.0, "Outlets", outlets), (430.0, "Articles", articles), (740.0, "Cited sources and links", right))
    row_h, top = 20.0, 40.0
    tallest = max(len(c[2]) for c in columns)
    height = int(top + tallest * row_h + 12)
    pos: dict[str, tuple[float, float, float]] = {}
    for x, _, col in columns:  # each column spread over the full height, so that fans open up
        step = tallest * row_h / max(len(col), 1)
        for i, n in enumerate(col):
            pos[n] = (x, round(top + (i + 0.5) * step, 1), round(3.5 + min(5.5, 1.2 * math.sqrt(degree[n])), 1))

    edges = [(u, v, d) for u, v, d in edges if u in pos and v in pos]  # nodes of unknown kinds are not drawn
    out_nodes = []
    for x, _, col in columns:
        for n in col:
            k, attrs = kind(n), nodes[n]
            anchor = None
            if k == "outlet":
                short, title = _shorten(label(n), 28), f"{label(n)}: {attrs.get('articles') or 0} article(s)"
            elif k == "article":
                short = _shorten(label(n), 30)
                title = " · ".join(str(v) for v in (label(n), attrs.get("title"), attrs.get("outlet"),
                                                      attrs.get("published")) if v)
                anchor = article_link.get(n.removeprefix("article:"))
            elif k == "source":
                names = [str(x) for x in attrs.get("names") or () if _squash(str(x)) != _squash(label(n))]
                written = f"; as written: {'; '.join(names)}" if names else ""
                short = _shorten(label(n), 34)
                title = (f"{label(n)} ({_kind_label(str(attrs.get('source_kind') or 'none'))}): "
                         f"{attrs.get('claim_count') or 0} claim(s){written}")
                anchor = source_anchor.get(_source_key(label(n)))
            else:
                short, title = _shorten(label(n), 34), f"linked page: {label(n)}"
            link = f"#{anchor}" if anchor else None
            px, py, r = pos[n]
            out_nodes.append(GraphNode(key=n, kind=k, label=short, title=title, x=px, y=py, r=r, degree=degree[n],
                                       link=link))

    out_edges = []
    for u, v, d in edges:
        k = str(d.get("kind"))
        (xu, yu, ru), (xv, yv, rv) = pos[u], pos[v]
        width = 1.0
        if k in ("copies", "links_to") and kind(u) == kind(v) == "article":
            side = -1 if k == "copies" else 1   # copies bulge left, links to articles bulge right
            bulge = 18 + min(90.0, 0.3 * abs(yv - yu))
            path = (f"M{xu + side * ru:.1f},{yu:.1f} C{xu + side * bulge:.1f},{yu:.1f} "
                    f"{xv + side * bulge:.1f},{yv:.1f} {xv + side * rv:.1f},{yv:.1f}")
        else:
            sx, ex = (ru, -rv) if xv > xu else (-ru, rv)
            path = f"M{xu + sx:.1f},{yu:.1f} L{xv + ex:.1f},{yv:.1f}"
        if k == "publishes":
            title = f"{label(u)} publishes {label(v)}"
        elif k == "copies":
            sim = d.get("similarity")
            title = f"{label(u)} copies {label(v)}" + (f" (similarity {100 * sim:.0f}%)"
                                                         if isinstance(sim, (int, float)) else "")
        elif k == "cites":
            count = int(d.get("count") or 0)
            width = round(1.0 + min(3.0, math.log2(max(count, 1))), 1)
            cues = ", ".join(str(c) for c in d.get("cues") or ())
            title = f"{label(u)} cites {label(v)}: {count} claim(s)" + (f" ({cues})" if cues else "")
        else:
            title = f"{label(u)} links to {d.get('url') or label(v)}"
        out_edges.append(GraphEdge(kind=k, d=path, width=width, title=title))

    shown = Counter(e.kind for e in out_edges)
    return GraphView(
        nodes=tuple(out_nodes), edges=tuple(sorted(out_edges, key=lambda e: EDGE_ORDER.get(e.kind, 9))),
        width=1000, height=height, columns=tuple((x, h) for x, h, _ in columns),
        node_counts=tuple(Count(k, n) for k, n in sorted(Counter(kind(n) for n in nodes).items(),
                                                         key=lambda kv: _NODE_ORDER.get(kv[0], 9))),
        edge_counts=tuple(EdgeCount(k, EDGE_DESCRIPTIONS.get(k, k), edge_kinds[k], shown[k])
                          for k in (*EDGE_DESCRIPTIONS, *sorted(set(edge_kinds) - set(EDGE_DESCRIPTIONS)))),
        nodes_not_shown=len(nodes) - len(keep))

EDGE_ORDER = {"publishes": 0, "links_to": 1, "copies": 2, "cites": 3}


@dataclass(frozen=True, slots=True)
class ClaimsSection:
    """What the claims sections of the report show (``overview`` None: no claims, only groups)."""

    claims: ClaimsOverview | None
    sources: tuple[SourceView, ...]
    sources_not_shown: int
    claim_articles: tuple[ArticleClaimsView, ...]
    claim_articles_not_shown: int
    claim_groups: tuple[ClaimGroupView, ...]
    claim_groups_not_shown: int
    graph: GraphView | None


def build_report_section(store: Store, context: SectionContext) -> Section | None:
    """The sources, claims, claim groups and provenance graph sections; None when there are no claims."""
    found = _claim_sections(store, context.row, context.limits)
    if found.overview is None and not found.groups and not found.groups_not_shown:
        return None
    view = ClaimsSection(found.overview, found.sources, found.sources_not_shown, found.articles,
                         found.articles_not_shown, found.groups, found.groups_not_shown, found.graph)
    o = found.overview
    nav: list[NavLink] = []
    cards: list[Card] = []
    if view.sources or view.sources_not_shown:
        nav.append(NavLink("sources", f"Sources ({o.sources if o else 0:,})"))
    if view.claim_articles or view.claim_articles_not_shown:
        nav.append(NavLink("claims", f"Claims ({o.claims if o else 0:,})"))
    if view.claim_groups or view.claim_groups_not_shown:
        nav.append(NavLink("claim-groups", f"Claim groups ({o.groups if o else len(view.claim_groups):,})"))
    if view.graph:
        nav.append(NavLink("provenance", "Provenance graph"))
    if o:
        cards = [Card(f"{o.claims:,}", f"claims in {o.articles:,} articles"),
                 Card(f"{o.attributed:,}", f"attributed · {o.unattributed:,} not"),
                 Card(f"{o.sources:,}", "cited sources"),
                 Card(f"{o.groups:,}", "claim groups" + (f" · {o.conflicts:,} with conflicting attribution"
                                                          if o.conflicts else ""))]
    return Section("claims", "report_claims.html", view, tuple(nav), tuple(cards),
                   {"kind": _kind_label, "stance": lambda x: STANCE_LABELS.get(x, x),
                    "firsthow": lambda x: FIRST_SEEN_LABELS.get(x, x)})
