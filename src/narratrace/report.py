"""The corpus report: what was ingested and which articles republish which.

:func:`build_report` reads a :class:`~narratrace.store.Store` and returns a
:class:`Report`, plain data holding everything the page shows; :func:`render_html`
turns it into one self-contained HTML file (inline CSS and SVG, no scripts, no
network) and :func:`render_json` into its JSON twin.

All article text and metadata are treated as hostile: the template autoescapes
everything, and highlighted text is built by cutting the text at offsets into
:class:`Segment` records that the template escapes one by one; no markup is ever
inserted into raw text.

Large corpora are capped (see :class:`Limits`): the page says what it left out.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import jinja2

from .model import Article, RepublicationGroup, RepublicationPair
from .store import Store

__all__ = [
    "AdditionSummary",
    "ArticleRow",
    "Bar",
    "Count",
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
    "build_report",
    "render_html",
    "render_json",
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

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


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
    pair_views = tuple(_pair_view(i + 1, p, row, texts, limits) for i, p in enumerate(shown))
    view_of = {(p.original, p.copy): v.index for p, v in zip(shown, pair_views)}

    group_views = tuple(_group_view(g, pairs, row, view_of, limits) for g in groups[:limits.groups])

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
    )


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


def _addition_summary(pair: RepublicationPair) -> tuple[AdditionSummary, ...]:
    counts: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    for a in pair.additions:
        label = a.label or "addition"
        counts[label] += 1
        chars[label] += max(0, a.end - a.start)
    order = {label: i for i, label in enumerate(ADDITION_LABELS)}
    return tuple(AdditionSummary(label, counts[label], chars[label])
                 for label in sorted(counts, key=lambda k: (order.get(k, len(order)), k)))


def _group_view(group: RepublicationGroup, pairs: Sequence[RepublicationPair], row: Callable[[str], ArticleRow],
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
            additions=_addition_summary(pair), edits=len(pair.edits),
            edited_sentences=len(pair.edited_sentences)))
    return GroupView(id=group.id, original=row(group.original), reason=group.reason,
                     members=tuple(members), members_not_shown=max(0, len(copies) - limits.members))


def _pair_view(index: int, pair: RepublicationPair, row: Callable[[str], ArticleRow], texts: Mapping[str, Article],
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
        additions=_addition_summary(pair), edits=len(pair.edits),
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


# -- rendering -----------------------------------------------------------------------------------

def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * x:.0f}%"
    env.filters["num"] = lambda x: f"{x:,}"
    return env


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external resources)."""
    return _environment().get_template("report.html").render(r=report, o=report.overview)


def render_json(report: Report) -> dict[str, Any]:
    """The report as JSON-serialisable data (the HTML page's twin)."""
    return report.to_dict()
