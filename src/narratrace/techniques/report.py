"""The report's persuasion-technique section: highlighted texts with a legend, and counts per
article, per outlet and per narrative (built here, drawn by ``templates/report_techniques.html``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from narratrace.model import Annotation
from narratrace.store import Store
from narratrace.techniques.corpus import KIND, technique_counts
from narratrace.techniques.labels import TECHNIQUES, display_name
from narratrace.sections import NavLink, Section, SectionContext

__all__ = ["technique_css_class", "ArticleTechniquesView", "CountRow", "TechniqueKey", "TechniqueSegment", "TechniquesSection",
           "build_section", "segment_techniques"]

MAX_ARTICLES = 200      # articles shown highlighted
MAX_CHARS = 20_000      # characters of text per article shown


@dataclass(frozen=True, slots=True)
class TechniqueKey:
    technique: str
    name: str
    css: str          # "tq3": one colour per technique
    count: int


@dataclass(frozen=True, slots=True)
class TechniqueSegment:
    text: str
    css: str                 # "" for plain text
    tooltip: str
    techniques: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleTechniquesView:
    article: Any             # report.ArticleRow
    anchor: str
    segments: tuple[TechniqueSegment, ...]
    counts: tuple[TechniqueKey, ...]
    chars_not_shown: int


@dataclass(frozen=True, slots=True)
class CountRow:
    key: str
    articles: int
    counts: tuple[int, ...]  # aligned with the legend
    total: int
    top: str                 # the most used technique's name, or ""


@dataclass(frozen=True, slots=True)
class TechniquesSection:
    legend: tuple[TechniqueKey, ...]
    articles: tuple[ArticleTechniquesView, ...]
    articles_not_shown: int
    outlets: tuple[CountRow, ...]
    narratives: tuple[CountRow, ...]
    analysed: int
    total: int


def technique_css_class(technique: str) -> str:
    return f"tq{TECHNIQUES.index(technique)}" if technique in TECHNIQUES else "tqx"


def segment_techniques(text: str, annotations: Sequence[Annotation]) -> list[TechniqueSegment]:
    """``text`` cut at every technique boundary; a stretch covered by several techniques shows the
    one of the shortest span (a word inside a long appeal) and names all of them in its tooltip.
    The segments' texts joined give ``text`` back."""
    n = len(text)
    spans = [(max(0, min(a.start, n)), max(0, min(a.end, n)), str(a.label), float(a.data.get("score") or 0))
             for a in annotations]
    spans = [s for s in spans if s[1] > s[0]]
    cuts = sorted({0, n, *(s[0] for s in spans), *(s[1] for s in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        covering = sorted((s for s in spans if s[0] <= a and s[1] >= b), key=lambda s: (s[1] - s[0], s[2]))
        if not covering:
            out.append(TechniqueSegment(text[a:b], "", ""))
            continue
        names = tuple(dict.fromkeys(display_name(s[2]) for s in covering))
        tip = "; ".join(f"{display_name(s[2])} ({s[3]:.2f})" for s in covering)
        css = technique_css_class(covering[0][2]) + (" tqm" if len(names) > 1 else "")
        out.append(TechniqueSegment(text[a:b], css, tip, names))
    return out


def _row(key: str, articles: int, counts: dict[str, int]) -> CountRow:
    values = tuple(counts.get(t, 0) for t in TECHNIQUES)
    top = max(counts.items(), key=lambda kv: (kv[1], kv[0]))[0] if counts else ""
    return CountRow(key, articles, values, sum(values), display_name(top) if top else "")


def build_section(store: Store, row: Callable[[str], Any], *, max_articles: int = MAX_ARTICLES,
                  max_chars: int = MAX_CHARS) -> TechniquesSection | None:
    """The section's data, or None when the ``techniques`` stage has not run on this store."""
    counts = technique_counts(store)
    if not counts.analysed:
        return None
    legend = tuple(TechniqueKey(t, display_name(t), technique_css_class(t), counts.total.get(t, 0)) for t in TECHNIQUES)
    with_hits = [aid for aid, c in counts.per_article.items() if c]
    order = {r["id"]: i for i, r in enumerate(store.article_index())}
    with_hits.sort(key=lambda a: order.get(a, len(order)))
    shown = with_hits[:max_articles]
    texts = {a.id: a.text for a in store.articles(shown)} if shown else {}
    views = []
    for aid in shown:
        text = texts.get(aid, "")
        cut = text[:max_chars]
        anns = [a for _, a in store.annotations_of_kind(KIND, article_id=aid)]
        c = Counter(str(a.label) for a in anns)
        keys = tuple(TechniqueKey(t, display_name(t), technique_css_class(t), c[t]) for t in TECHNIQUES if c[t])
        views.append(ArticleTechniquesView(row(aid), f"tq-{aid[:12]}", tuple(segment_techniques(cut, anns)), keys,
                                           len(text) - len(cut)))
    outlets = tuple(sorted((_row(o, counts.outlet_articles.get(o, 0), c) for o, c in counts.per_outlet.items()),
                           key=lambda r: (-r.total, r.key)))
    narratives = tuple(sorted((_row(nm, counts.narrative_articles.get(nm, 0), c)
                               for nm, c in counts.per_narrative.items()), key=lambda r: (-r.total, r.key)))
    return TechniquesSection(legend, tuple(views), len(with_hits) - len(shown), outlets, narratives,
                             counts.analysed, sum(counts.total.values()))


def build_report_section(store: Store, context: SectionContext) -> Section | None:
    view = build_section(store, context.row)
    return None if view is None else Section("techniques", "report_techniques.html", view,
                                             (NavLink("techniques", f"Techniques ({view.total:,})"),))
