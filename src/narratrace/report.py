"""The corpus report: what was ingested, which articles republish which, who says what.

:func:`build_report` reads a :class:`~narratrace.store.Store` and returns a
:class:`Report`, plain data holding everything the page shows; :func:`render_html`
turns it into one self-contained HTML file (inline CSS and SVG, no scripts, no
network) and :func:`render_json` into its JSON twin.

Sections: overview, republication groups, side-by-side views, and, when the claims
stage has run, the cited sources (as :func:`narratrace.provenance.graph.sources_summary`
counts them), each article's text with its claims, sources, cues and hedges
highlighted (:func:`segment_claims`), claim groups with their timeline and attribution
conflicts, and a drawing of the provenance graph (the best-connected nodes, in columns
outlets | articles | sources). A section is left out when its data does not exist.

All article text and metadata are treated as hostile: the template autoescapes
everything, and highlighted text is built by cutting the text at offsets into
:class:`Segment` records that the template escapes one by one; no markup is ever
inserted into raw text.

Large corpora are capped (see :class:`Limits`): the page says what it left out.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from narratrace.analyses import registered_analyses, resolve
from narratrace.sections import Section, SectionContext, template_dirs
from narratrace.model import Annotation, Article, RepublicationGroup, RepublicationPair
from narratrace.store import Store
from narratrace.claims.store import claim_groups

if TYPE_CHECKING:
    import networkx as nx

    from narratrace.provenance.graph import SourceSummary
    from narratrace.claims.model import ClaimGroup, GroupArticle

__all__ = [
    "AdditionSummary",
    "Appearance",
    "AppearanceClaim",
    "ArticleClaimsView",
    "ArticleRow",
    "Bar",
    "CitingArticle",
    "ClaimGroupView",
    "ClaimSegment",
    "ClaimView",
    "ClaimsOverview",
    "ConflictSide",
    "Count",
    "EdgeCount",
    "GraphEdge",
    "GraphNode",
    "GraphView",
    "GroupView",
    "Limits",
    "Marker",
    "MemberView",
    "Overview",
    "PairView",
    "Report",
    "Segment",
    "SideView",
    "SkipRow",
    "SourceView",
    "Timeline",
    "TimelineDot",
    "addition_summary",
    "build_report",
    "group_view",
    "opt_str",
    "pair_view",
    "render_html",
    "render_json",
    "segment_claims",
    "segment_text",
    "span_or_none",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

TEMPLATES = Path(__file__).parent / "templates"
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
ADDITION_LABELS = ("preamble", "insertion", "footer")


# -- plain data ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Limits:
    """How much of a large corpus the report shows (the page says what it left out)."""

    articles: int = 1000          # rows of the articles table
    groups: int = 500             # republication groups listed
    members: int = 100            # copies listed per group
    pair_views: int = 200         # side-by-side views
    side_chars: int = 20_000      # characters of text per side of a side-by-side view
    skipped: int = 1000           # rows of the skipped-inputs table
    outlets: int = 30             # bars of the articles-per-outlet chart
    languages: int = 20           # rows of the languages list
    date_bars: int = 400          # bars of the articles-per-date chart
    claim_articles: int = 200     # articles shown with their claims highlighted
    claim_chars: int = 20_000     # characters of text per article with claims
    sources: int = 300            # rows of the sources table
    source_articles: int = 30     # citing articles listed per source
    claim_groups: int = 200       # claim groups listed
    group_articles: int = 50      # appearances listed per claim group
    graph_nodes: int = 60         # nodes drawn in the provenance graph (best connected first)


@dataclass(frozen=True, slots=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar of the articles-per-date chart, geometry in SVG user units."""

    label: str
    count: int
    x: float
    y: float
    width: float
    height: float
    tick: bool  # whether the label is printed under the axis


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """What the report shows of one article (no text)."""

    id: str
    ref: str
    title: str | None = None
    outlet: str | None = None
    published: str | None = None
    published_how: str | None = None
    language: str | None = None
    chars: int = 0
    url: str | None = None
    missing: bool = False  # referenced by a pair or group but not in the store

    @property
    def link(self) -> str | None:
        """The URL if it is safe to make a link of it (http/https only)."""
        if self.url and re.match(r"^https?://[^\s]+$", self.url, re.IGNORECASE):
            return self.url
        return None

    @classmethod
    def from_index(cls, d: Mapping[str, Any]) -> ArticleRow:
        return cls(id=d["id"], ref=d["ref"], title=d.get("title"), outlet=d.get("outlet"),
                   published=d.get("published"), published_how=d.get("published_how"),
                   language=d.get("language"), chars=int(d.get("chars") or 0), url=d.get("url"))


@dataclass(frozen=True, slots=True)
class Overview:
    articles: int
    outlets: int
    languages: int
    date_from: str | None
    date_to: str | None
    undated: int
    pairs: int
    groups: int
    skipped: int
    date_unit: str                       # "day", "month" or "year"
    by_date: tuple[Count, ...]           # one per period, gaps filled with zeros
    by_outlet: tuple[Count, ...]         # most articles first, capped; None outlet = "(unknown)"
    outlets_not_shown: int
    articles_not_shown_by_outlet: int
    by_language: tuple[Count, ...]
    chart: tuple[Bar, ...]
    chart_width: int
    chart_height: int
    chart_max: int
    date_periods_not_shown: int


@dataclass(frozen=True, slots=True)
class AdditionSummary:
    label: str
    count: int
    chars: int


@dataclass(frozen=True, slots=True)
class MemberView:
    """One copy in a group, with the evidence of the pair that makes it a copy."""

    article: ArticleRow
    copied_from: ArticleRow | None      # set when the pair's original is not the group's original
    pair: int | None                    # PairView.index when the side-by-side view is in the report
    similarity: float | None
    copy_share: float | None
    additions: tuple[AdditionSummary, ...]
    edits: int
    edited_sentences: int


@dataclass(frozen=True, slots=True)
class GroupView:
    id: int
    original: ArticleRow
    reason: str
    members: tuple[MemberView, ...]      # copies only (the original is ``original``)
    members_not_shown: int


@dataclass(frozen=True, slots=True)
class Marker:
    """Something shown before a segment's text: a passage number, an addition label, an edit point."""

    kind: str    # "passage", "addition" or "edit-point"
    value: str


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch ``[start, end)`` of an article's text and what covers it."""

    text: str
    start: int
    end: int
    passage: int | None = None           # 1-based passage number
    addition: str | None = None          # addition label
    edit: int | None = None              # 1-based edit number
    markers: tuple[Marker, ...] = ()

    @property
    def css(self) -> str:
        return " ".join(["seg", *(["p"] if self.passage else []), *(["a"] if self.addition else []),
                         *(["e"] if self.edit else [])])

    @property
    def tooltip(self) -> str:
        parts = []
        if self.passage:
            parts.append(f"shared passage {self.passage}")
        if self.addition:
            parts.append(f"added by the copy: {self.addition}")
        if self.edit:
            parts.append(f"edit {self.edit}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class SideView:
    """One side of a side-by-side view: the text cut into segments."""

    article: ArticleRow
    segments: tuple[Segment, ...]
    chars_not_shown: int                 # text beyond Limits.side_chars


@dataclass(frozen=True, slots=True)
class PairView:
    index: int                           # 1-based; the page anchor is ``pair-<index>``
    original: ArticleRow
    copy: ArticleRow
    similarity: float
    copy_share: float
    original_share: float
    reason: str
    evidence: str
    passages: int
    additions: tuple[AdditionSummary, ...]
    edits: int
    edited_sentences: int
    left: SideView | None                # None when the text is not available
    right: SideView | None

    @property
    def anchor(self) -> str:
        return f"pair-{self.index}"


@dataclass(frozen=True, slots=True)
class SkipRow:
    path: str
    reason: str
    code: str


# -- claims, sources, claim groups, provenance (issue 3) ------------------------------------------

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
    first_seen_how: str                  # "date", "republication" or "order"
    cohesion: float
    conflict: bool
    attributed: tuple[ConflictSide, ...]
    as_fact: tuple[ConflictSide, ...]
    hedged: tuple[ConflictSide, ...]
    stances: tuple[Count, ...]
    appearances: tuple[Appearance, ...]
    appearances_not_shown: int
    timeline: Timeline | None


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


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the report page shows."""

    title: str
    generated_at: str
    store: str
    overview: Overview
    groups: tuple[GroupView, ...]
    groups_not_shown: int
    pairs: tuple[PairView, ...]
    pairs_not_shown: int
    skipped: tuple[SkipRow, ...]
    skipped_not_shown: int
    articles: tuple[ArticleRow, ...]
    articles_not_shown: int
    limits: Limits = field(default_factory=Limits)
    claims: ClaimsOverview | None = None             # None when the store holds no claims
    sources: tuple[SourceView, ...] = ()
    sources_not_shown: int = 0
    claim_articles: tuple[ArticleClaimsView, ...] = ()
    claim_articles_not_shown: int = 0
    claim_groups: tuple[ClaimGroupView, ...] = ()
    claim_groups_not_shown: int = 0
    graph: GraphView | None = None
    sections: tuple[Section, ...] = ()   # what each registered analysis shows (Analysis.section)

    def view(self, name: str) -> Any:
        """The data of analysis ``name``'s section, or None when it has nothing to show."""
        return next((s.view for s in self.sections if s.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(dataclasses.replace(self, sections=()))
        out.pop("sections")
        out.update({s.name: s.to_dict()["view"] for s in self.sections})
        return out


# -- building ------------------------------------------------------------------------------------

def build_report(store: Store, *, title: str | None = None, limits: Limits | None = None) -> Report:
    """Read everything the report shows from ``store`` (texts only for the pairs shown side by side)."""
    limits = limits or Limits()
    index = store.article_index()
    rows = {d["id"]: ArticleRow.from_index(d) for d in index}
    pairs = store.republication_pairs()
    groups = store.republication_groups()
    skipped = store.skipped()

    def row(article_id: str) -> ArticleRow:
        return rows.get(article_id) or ArticleRow(id=article_id, ref=article_id, missing=True)

    ordered = _order_pairs(pairs, groups)
    shown = ordered[:limits.pair_views]
    needed = {i for p in shown for i in (p.original, p.copy)}
    texts = {a.id: a for a in store.articles(needed)} if needed else {}
    pair_views = tuple(pair_view(i + 1, p, row, texts, limits) for i, p in enumerate(shown))
    view_of = {(p.original, p.copy): v.index for p, v in zip(shown, pair_views)}

    group_views = tuple(group_view(g, pairs, row, view_of, limits) for g in groups[:limits.groups])
    claims = _claim_sections(store, row, limits)

    return Report(
        title=title or "narratrace report",
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        store=store.path,
        overview=_overview(index, pairs, groups, skipped, limits),
        groups=group_views,
        groups_not_shown=max(0, len(groups) - limits.groups),
        pairs=pair_views,
        pairs_not_shown=max(0, len(ordered) - len(shown)),
        skipped=tuple(SkipRow(s.path, s.reason, s.code) for s in skipped[:limits.skipped]),
        skipped_not_shown=max(0, len(skipped) - limits.skipped),
        articles=tuple(rows[d["id"]] for d in index[:limits.articles]),
        articles_not_shown=max(0, len(index) - limits.articles),
        limits=limits,
        claims=claims.overview,
        sources=claims.sources,
        sources_not_shown=claims.sources_not_shown,
        claim_articles=claims.articles,
        claim_articles_not_shown=claims.articles_not_shown,
        claim_groups=claims.groups,
        claim_groups_not_shown=claims.groups_not_shown,
        graph=claims.graph,
        sections=build_sections(store, SectionContext(row=row, limits=limits)),
    )


def build_sections(store: Store, context: SectionContext) -> tuple[Section, ...]:
    """Each registered analysis's report section, in registry order (those with nothing to show left out)."""
    out = []
    for analysis in registered_analyses():
        if analysis.section:
            section = resolve(analysis.section)(store, context)
            if section is not None:
                out.append(section)
    return tuple(out)


def _order_pairs(pairs: Sequence[RepublicationPair],
                 groups: Sequence[RepublicationGroup]) -> list[RepublicationPair]:
    """Pairs in group order (the pairs of group 1 first), then pairs outside any group."""
    rank: dict[str, tuple[int, int]] = {}
    for gi, g in enumerate(groups):
        for mi, m in enumerate(g.members):
            rank.setdefault(m, (gi, mi))
    last = (len(groups), 0)
    keyed = sorted(enumerate(pairs), key=lambda ip: (rank.get(ip[1].copy, last), ip[0]))
    return [p for _, p in keyed]


def addition_summary(pair: RepublicationPair) -> tuple[AdditionSummary, ...]:
    counts: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    for a in pair.additions:
        label = a.label or "addition"
        counts[label] += 1
        chars[label] += max(0, a.end - a.start)
    order = {label: i for i, label in enumerate(ADDITION_LABELS)}
    return tuple(AdditionSummary(label, counts[label], chars[label])
                 for label in sorted(counts, key=lambda k: (order.get(k, len(order)), k)))


def group_view(group: RepublicationGroup, pairs: Sequence[RepublicationPair], row: Callable[[str], ArticleRow],
                view_of: Mapping[tuple[str, str], int], limits: Limits) -> GroupView:
    by_copy: dict[str, list[RepublicationPair]] = {}
    for p in pairs:
        by_copy.setdefault(p.copy, []).append(p)
    copies = [m for m in dict.fromkeys(group.members) if m != group.original]
    members = []
    for m in copies[:limits.members]:
        candidates = by_copy.get(m, [])
        # the pair with the group's original, else one with another member, else any
        pair = next((p for p in candidates if p.original == group.original), None) \
            or next((p for p in candidates if p.original in group.members), None) \
            or (candidates[0] if candidates else None)
        if pair is None:
            members.append(MemberView(row(m), None, None, None, None, (), 0, 0))
            continue
        members.append(MemberView(
            article=row(m),
            copied_from=row(pair.original) if pair.original != group.original else None,
            pair=view_of.get((pair.original, pair.copy)),
            similarity=pair.similarity, copy_share=pair.copy_share,
            additions=addition_summary(pair), edits=len(pair.edits),
            edited_sentences=len(pair.edited_sentences)))
    return GroupView(id=group.id, original=row(group.original), reason=group.reason,
                     members=tuple(members), members_not_shown=max(0, len(copies) - limits.members))


def pair_view(index: int, pair: RepublicationPair, row: Callable[[str], ArticleRow], texts: Mapping[str, Article],
               limits: Limits) -> PairView:
    orig, copy = texts.get(pair.original), texts.get(pair.copy)
    left = right = None
    if orig is not None:
        ranges = [(p.original_start, p.original_end, "passage", i + 1) for i, p in enumerate(pair.passages)]
        ranges += [(e.original_start, e.original_end, "edit", i + 1) for i, e in enumerate(pair.edits)]
        left = _side(row(orig.id), orig.text, ranges, limits.side_chars)
    if copy is not None:
        ranges = [(p.copy_start, p.copy_end, "passage", i + 1) for i, p in enumerate(pair.passages)]
        ranges += [(a.start, a.end, "addition", a.label or "addition") for a in pair.additions]
        ranges += [(e.copy_start, e.copy_end, "edit", i + 1) for i, e in enumerate(pair.edits)]
        right = _side(row(copy.id), copy.text, ranges, limits.side_chars)
    return PairView(
        index=index, original=row(pair.original), copy=row(pair.copy),
        similarity=pair.similarity, copy_share=pair.copy_share, original_share=pair.original_share,
        reason=pair.reason, evidence=pair.evidence, passages=len(pair.passages),
        additions=addition_summary(pair), edits=len(pair.edits),
        edited_sentences=len(pair.edited_sentences), left=left, right=right)


def _side(article: ArticleRow, text: str, ranges: Iterable[tuple[int, int, str, Any]],
          limit: int) -> SideView:
    n = min(len(text), limit)
    return SideView(article, tuple(segment_text(text[:n], ranges)), len(text) - n)


def segment_text(text: str, ranges: Iterable[tuple[int, int, str, Any]]) -> list[Segment]:
    """Cut ``text`` at the boundaries of ``(start, end, kind, value)`` ranges.

    ``kind`` is ``"passage"``, ``"addition"`` or ``"edit"``. Offsets are clipped to the
    text; inverted ranges are ignored; an empty edit becomes an ``edit-point`` marker.
    The segments' texts joined give ``text`` back exactly. Where ranges of one kind
    overlap, the one listed first wins.
    """
    n = len(text)
    starts: dict[int, list[tuple[int, str, Any, int]]] = {}
    points: dict[int, list[Marker]] = {}
    bounds = {0, n}
    for order, (raw_s, raw_e, kind, value) in enumerate(ranges):
        s, e = max(0, min(int(raw_s), n)), max(0, min(int(raw_e), n))
        if e < s or raw_e < raw_s:
            continue
        if s == e:
            if kind == "edit" and raw_s == raw_e and 0 <= raw_s <= n:
                points.setdefault(s, []).append(Marker("edit-point", str(value)))
                bounds.add(s)
            continue
        starts.setdefault(s, []).append((e, kind, value, order))
        bounds.update((s, e))
    active: list[tuple[int, str, Any, int]] = []
    out: list[Segment] = []
    cuts = sorted(bounds)
    for i, a in enumerate(cuts):
        active = [r for r in active if r[0] > a]
        opened = sorted(starts.get(a, ()), key=lambda r: r[3])
        active = sorted(active + opened, key=lambda r: r[3])
        markers = [Marker(k, str(v)) for _, k, v, _ in opened if k in ("passage", "addition")]
        markers += points.get(a, [])
        b = cuts[i + 1] if i + 1 < len(cuts) else a
        if b == a and not markers:
            continue
        first: dict[str, Any] = {}
        for _, kind, value, _ in active:
            first.setdefault(kind, value)
        out.append(Segment(text[a:b], a, b, passage=first.get("passage"), addition=first.get("addition"),
                           edit=first.get("edit"), markers=tuple(markers)))
    return out


def _day(published: str | None) -> date | None:
    m = _DATE.match(published or "")
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def _overview(index: Sequence[Mapping[str, Any]], pairs: Sequence[RepublicationPair],
              groups: Sequence[RepublicationGroup], skipped: Sequence[Any], limits: Limits) -> Overview:
    days = [_day(d.get("published")) for d in index]
    dated = sorted(d for d in days if d is not None)
    outlets = Counter(d.get("outlet") or "(unknown)" for d in index)
    languages = Counter(d.get("language") or "(unknown)" for d in index)
    unit, by_date = _by_period(dated)
    dropped = max(0, len(by_date) - limits.date_bars)
    by_date = by_date[dropped:]
    top = outlets.most_common(limits.outlets)
    width, height = 900, 220
    bars, top_count = _chart(by_date, width, height)
    return Overview(
        articles=len(index),
        outlets=len([o for o in outlets if o != "(unknown)"]),
        languages=len([lang for lang in languages if lang != "(unknown)"]),
        date_from=dated[0].isoformat() if dated else None,
        date_to=dated[-1].isoformat() if dated else None,
        undated=len(index) - len(dated),
        pairs=len(pairs), groups=len(groups), skipped=len(skipped),
        date_unit=unit, by_date=tuple(by_date),
        by_outlet=tuple(Count(k, v) for k, v in top),
        outlets_not_shown=max(0, len(outlets) - len(top)),
        articles_not_shown_by_outlet=len(index) - sum(v for _, v in top),
        by_language=tuple(Count(k, v) for k, v in languages.most_common(limits.languages)),
        chart=tuple(bars), chart_width=width, chart_height=height, chart_max=top_count,
        date_periods_not_shown=dropped,
    )


def _by_period(dated: Sequence[date]) -> tuple[str, list[Count]]:
    """Counts per day (spans up to ~3 months), month (up to 5 years) or year, gaps filled."""
    if not dated:
        return "day", []
    lo, hi = dated[0], dated[-1]
    months = (hi.year - lo.year) * 12 + hi.month - lo.month
    if (hi - lo).days <= 92:
        unit, key = "day", lambda d: d.isoformat()
    elif months <= 60:
        unit, key = "month", lambda d: f"{d.year:04d}-{d.month:02d}"
    else:
        unit, key = "year", lambda d: f"{d.year:04d}"
    counts = Counter(key(d) for d in dated)
    labels: list[str] = []
    if unit == "day":
        labels = [date.fromordinal(o).isoformat() for o in range(lo.toordinal(), hi.toordinal() + 1)]
    elif unit == "month":
        y, m = lo.year, lo.month
        while (y, m) <= (hi.year, hi.month):
            labels.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    elif hi.year - lo.year <= 400:
        labels = [f"{y:04d}" for y in range(lo.year, hi.year + 1)]
    else:  # absurd spans (bad dates): only the years that occur
        labels = sorted(counts)
    return unit, [Count(label, counts.get(label, 0)) for label in labels]


def _chart(counts: Sequence[Count], width: int, height: int) -> tuple[list[Bar], int]:
    if not counts:
        return [], 0
    top = max(c.count for c in counts) or 1
    left, bottom, plot_h = 40.0, 30.0, height - 30.0 - 10.0
    step = min((width - left - 10.0) / len(counts), 60.0)  # few periods: narrow bars, left-aligned
    gap = min(2.0, step * 0.2)
    n = len(counts)
    every = max(1, -(-n // 8))  # at most ~9 labels under the axis
    ticks = set(range(0, n, every))
    if n - 1 not in ticks:
        last = max(ticks)
        if last and (n - 1) - last < every * 0.6:
            ticks.discard(last)  # keep the last period's label, without overlapping the one before
        ticks.add(n - 1)
    bars = []
    for i, c in enumerate(counts):
        h = plot_h * c.count / top
        bars.append(Bar(c.key, c.count, x=round(left + i * step + gap / 2, 2),
                        y=round(height - bottom - h, 2), width=round(max(step - gap, 0.5), 2),
                        height=round(h, 2), tick=i in ticks))
    return bars, top


# -- claims, sources, claim groups, provenance graph ---------------------------------------------

QUOTE_LABELS = {"direct": "direct quote", "indirect": "indirect quote"}
SOURCE_KIND_LABELS = {"person": "person", "organisation": "organisation", "government": "government body",
                      "media": "media outlet", "social_media": "social media", "anonymous": "anonymous",
                      "none": "none"}
STANCES = ("attributed", "hedged", "fact")
STANCE_LABELS = {"attributed": "attributed", "hedged": "hedged, no source", "fact": "stated as fact"}
FIRST_SEEN_LABELS = {"date": "earliest publication date", "republication": "the others republish it",
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


def opt_str(value: Any) -> str | None:
    """A stored value as a non-empty string, or None (stored data is not trusted to be typed)."""
    if value is None or isinstance(value, (dict, list, tuple, bool)):
        return None
    text = str(value).strip()
    return text or None


def span_or_none(start: Any, end: Any) -> tuple[int, int] | None:
    """``(start, end)`` when both are ints and the span is non-empty, else None."""
    if isinstance(start, int) and isinstance(end, int) and not isinstance(start, bool) \
            and not isinstance(end, bool) and 0 <= start < end:
        return start, end
    return None


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
        timeline=_timeline(appearances))


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


# -- rendering -----------------------------------------------------------------------------------

def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(TEMPLATES), *template_dirs()]), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * x:.0f}%"
    env.filters["num"] = lambda x: f"{x:,}"
    env.filters["kind"] = _kind_label
    env.filters["stance"] = lambda x: STANCE_LABELS.get(x, x)
    env.filters["firsthow"] = lambda x: FIRST_SEEN_LABELS.get(x, x)
    env.filters["token"] = lambda x: _UNSAFE.sub("-", str(x)).strip("-") or "x"  # for class names
    return env


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external resources)."""
    return _environment().get_template("report.html").render(r=report, o=report.overview)


def render_json(report: Report) -> dict[str, Any]:
    """The report as JSON-serialisable data (the HTML page's twin)."""
    return report.to_dict()
