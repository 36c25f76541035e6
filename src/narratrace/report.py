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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from narratrace.analyses import registered_analyses, resolve
from narratrace.pipeline import in_run_order
from narratrace.languages import UNDETERMINED, describe_reasons
from narratrace.languages import normalize as normalize_language
from narratrace.sections import ArticleRow, Count, Limits, Section, SectionContext, day_of as _day, template_dirs
from narratrace.model import RepublicationGroup, RepublicationPair
from narratrace.store import Store
from narratrace.text import display_text

if TYPE_CHECKING:

    pass

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
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


# -- plain data ----------------------------------------------------------------------------------




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
    coverage: tuple[CoverageRow, ...] = ()


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """What one stage analysed, and what it did not and why (``"language: ru 12, und 3"``)."""

    stage: str
    analysed: int
    not_analysed: int
    reasons: str


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
    skipped: tuple[SkipRow, ...]
    skipped_not_shown: int
    articles: tuple[ArticleRow, ...]
    articles_not_shown: int
    limits: Limits = field(default_factory=Limits)
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

    return Report(
        title=display_text(title or "") or "narratrace report",  # a --title from a shell: any bytes
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        store=display_text(store.path),
        overview=replace(_overview(index, pairs, groups, skipped, limits), coverage=tuple(
            CoverageRow(stage, analysed, sum(reasons.values()), describe_reasons(reasons))
            for stage, (analysed, reasons) in in_run_order(store.stage_coverage()))),
        skipped=tuple(SkipRow(s.path, s.reason, s.code) for s in skipped[:limits.skipped]),
        skipped_not_shown=max(0, len(skipped) - limits.skipped),
        articles=tuple(rows[d["id"]] for d in index[:limits.articles]),
        articles_not_shown=max(0, len(index) - limits.articles),
        limits=limits,
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




def _overview(index: Sequence[Mapping[str, Any]], pairs: Sequence[RepublicationPair],
              groups: Sequence[RepublicationGroup], skipped: Sequence[Any], limits: Limits) -> Overview:
    days = [_day(d.get("published")) for d in index]
    dated = sorted(d for d in days if d is not None)
    outlets = Counter(d.get("outlet") or "(unknown)" for d in index)
    languages = Counter(d.get("language") if normalize_language(d.get("language")) != UNDETERMINED
                        else "(unknown)" for d in index)
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
    # 11px digits are about 6.5px wide: five days' "2025-04-03" labels under 60px bars ran into each other
    label_px = 6.5 * max(len(c.key) for c in counts) + 8.0
    step = min((width - left - 10.0) / len(counts), max(60.0, label_px))  # few periods: bars left-aligned
    gap = min(2.0, step * 0.2)
    n = len(counts)
    every = max(1, -(-n // 8), math.ceil(label_px / step))  # at most ~9 labels, never closer than one's width
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


# -- rendering -----------------------------------------------------------------------------------

def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(TEMPLATES), *template_dirs()]), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda x: "–" if x is None else f"{100 * x:.0f}%"
    env.filters["num"] = lambda x: f"{x:,}"
    env.filters["token"] = lambda x: _UNSAFE.sub("-", str(x)).strip("-") or "x"  # for class names
    return env


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts, no external resources)."""
    env = _environment()
    for section in report.sections:
        env.filters.update(section.filters)  # the labels an analysis's template uses
    return env.get_template("report.html").render(r=report, o=report.overview)


def render_json(report: Report) -> dict[str, Any]:
    """The report as JSON-serialisable data (the HTML page's twin)."""
    return report.to_dict()
