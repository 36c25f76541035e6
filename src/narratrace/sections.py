"""What an analysis shows in the HTML report: one :class:`Section`, drawn by the analysis's own template.

The report (:mod:`narratrace.report`) asks every registered analysis for its section
(``Analysis.section``: ``(store, context) -> Section | None``) and draws them in registry order:
``{% include s.template %}`` with ``s`` the section and ``r`` the report. Each analysis ships its
templates in ``<package>/templates/`` (autoescaped: article text is hostile). ``nav`` links
appear in the report's table of contents.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from narratrace.model import RepublicationPair

__all__ = ["ADDITION_LABELS", "AdditionSummary", "ArticleRow", "Card", "Count", "day_of", "Limits", "Marker", "NavLink",
           "Section", "SectionBuilder", "SectionContext", "Segment", "addition_summary", "opt_str", "segment_text",
           "span_or_none", "template_dirs"]


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


# -- an article's text cut at republication evidence (the report's side-by-side view, the web's article page)

ADDITION_LABELS = ("preamble", "insertion", "footer")

@dataclass(frozen=True, slots=True)
class AdditionSummary:
    label: str
    count: int
    chars: int

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


@dataclass(frozen=True, slots=True)
class Count:
    key: str
    count: int


_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def day_of(published: str | None) -> date | None:
    """The date a ``published`` value starts with, or None."""
    m = _DATE.match(published or "")
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Card:
    """A number in the report's overview: ``value`` big, ``label`` under it."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class NavLink:
    anchor: str     # id of an element in the section's template
    label: str


@dataclass(frozen=True, slots=True)
class SectionContext:
    """What the report gives every section builder: how to show an article, and the report's limits."""

    row: Callable[[str], ArticleRow]
    limits: Limits


@dataclass(frozen=True, slots=True)
class Section:
    name: str                        # the analysis's name
    template: str                    # a template file in one of :func:`template_dirs`
    view: Any                        # the plain data the template draws (a frozen dataclass)
    nav: tuple[NavLink, ...] = ()
    cards: tuple[Card, ...] = ()                                  # shown in the overview
    filters: Mapping[str, Callable[[Any], Any]] = field(default_factory=dict)  # Jinja filters its template uses

    def to_dict(self) -> dict[str, Any]:
        view = dataclasses.asdict(self.view) if dataclasses.is_dataclass(self.view) else self.view
        return {"name": self.name, "view": view, "nav": [dataclasses.asdict(n) for n in self.nav]}


class SectionBuilder(Protocol):
    def __call__(self, store: Any, context: SectionContext) -> Section | None: ...


def template_dirs() -> list[str]:
    """``templates/`` of every registered analysis package that has one, in registry order."""
    import importlib

    from narratrace.analyses import registered_analyses

    dirs = []
    for analysis in registered_analyses():
        module = (analysis.section or analysis.pages or "").partition(":")[0]
        if not module:
            continue
        package = importlib.import_module(module.rsplit(".", 1)[0] if "." in module else module)
        for base in getattr(package, "__path__", [Path(package.__file__ or "").parent]):
            if (Path(base) / "templates").is_dir() and str(Path(base) / "templates") not in dirs:
                dirs.append(str(Path(base) / "templates"))
    return dirs
