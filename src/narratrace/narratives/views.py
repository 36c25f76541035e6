"""What exports, the CLI and the report show of stories and narratives (read from a Store).

Timelines count articles per day (per ISO week when the dates span more than ``DAILY_MAX_DAYS``),
stacked by outlet, and are drawn as inline SVG by ``templates/report_narratives.html``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from narratrace.narratives import store as sql
from narratrace.narratives.map import StoryMap, build_map
from narratrace.narratives.map import script_source as map_script
from narratrace.sections import ArticleRow, NavLink, Section, SectionContext

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["NarrativesView", "Timeline", "build_view", "export_narratives", "export_stories", "narrative_summary",
           "timeline"]

DAILY_MAX_DAYS = 60
MAX_OUTLETS = 6
CHART_W, CHART_H = 560, 110


def safe_link(url: object) -> str | None:
    """``url`` when it is a plain http(s) URL (the report's links to articles), else None."""
    return ArticleRow(id="", ref="", url=url).link if isinstance(url, str) else None


def _refs(store: Store) -> dict[str, str]:
    return {row["id"]: row["ref"] for row in store.article_index()}


def export_stories(store: Store, ref: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """``[{"id", "label", "articles": [ref], "start", "end", "terms", "entities"}]``."""
    ref = ref if ref is not None else _refs(store)
    return [{"id": s.id, "label": s.label, "articles": [ref.get(a, a) for a in s.articles], "start": s.start,
             "end": s.end, "dated": s.dated, "terms": list(s.terms), "entities": list(s.entities)} for s in sql.stories(store)]


def export_narratives(store: Store, ref: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """``[{"article": ref, "narrative", "subnarrative", "score", "evidence": [{"start", "end"}]}]``."""
    ref = ref if ref is not None else _refs(store)
    out = []
    for aid, r in sql.article_narratives(store):
        for h in r.hits:
            out.append({"article": ref.get(aid, aid), **h.to_dict(), "model": r.model})
    return out


def export_topics(store: Store, ref: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    ref = ref if ref is not None else _refs(store)
    out = []
    for t in sql.narrative_topics(store):
        d = t.to_dict()
        d["articles"] = [ref.get(a, a) for a in t.articles]
        for key in ("claims", "representatives"):
            d[key] = [{**c, "article": ref.get(c["article"], c["article"])} for c in d[key]]
        out.append(d)
    return out


def narrative_summary(store: Store) -> dict[str, Any]:
    """Counts per narrative and subnarrative, and the discovered topics (the ``narratives`` command)."""
    per: dict[str, set[str]] = {}
    sub: dict[str, set[str]] = {}
    analysed = 0
    for aid, r in sql.article_narratives(store):
        analysed += 1
        for h in r.hits:
            per.setdefault(h.narrative, set()).add(aid)
            if h.subnarrative:
                sub.setdefault(h.subnarrative, set()).add(aid)
    not_analysed = store.stage_coverage().get("narratives", (0, {}))[1]
    return {"articles": analysed, "not_analysed": not_analysed,
            "narratives": [{"narrative": n, "articles": len(a),
                            "subnarratives": [{"subnarrative": s, "articles": len(b)}
                                              for s, b in sorted(sub.items(), key=lambda kv: -len(kv[1]))
                                              if s.startswith(n + ": ")]}
                           for n, a in sorted(per.items(), key=lambda kv: (-len(kv[1]), kv[0]))],
            "topics": export_topics(store)}


# -- timelines -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    series: int          # outlet index (colour)
    title: str


@dataclass(frozen=True, slots=True)
class Timeline:
    unit: str                         # "day" or "week"
    bars: tuple[Bar, ...]
    outlets: tuple[str, ...]          # legend, by series index
    ticks: tuple[tuple[float, str], ...]
    undated: int
    width: int = CHART_W
    height: int = CHART_H
    max_count: int = 0
    articles: int = 0                 # dated and undated: the legend says "N of M articles undated"


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def timeline(rows: Sequence[Mapping[str, Any]]) -> Timeline | None:
    """Articles (index rows with ``published`` and ``outlet``) per day or week, stacked by outlet."""
    dated = [(d, str(r.get("outlet") or "unknown outlet")) for r in rows if (d := _day(r.get("published")))]
    undated = len(rows) - len(dated)
    if not dated:
        return Timeline("day", (), (), (), undated, articles=len(rows)) if rows else None
    first, last = min(d for d, _ in dated), max(d for d, _ in dated)
    weekly = (last - first).days > DAILY_MAX_DAYS
    def period(d: date) -> date:
        return d - timedelta(days=d.weekday()) if weekly else d
    start, end = period(first), period(last)
    step = 7 if weekly else 1
    n = (end - start).days // step + 1
    top = [o for o, _ in Counter(o for _, o in dated).most_common(MAX_OUTLETS)]
    def series(o: str) -> int:
        return top.index(o) if o in top else len(top)
    outlets = tuple(top) + (("other outlets",) if any(o not in top for _, o in dated) else ())
    counts: Counter[tuple[int, int]] = Counter(((period(d) - start).days // step, series(o)) for d, o in dated)
    per_period: Counter[int] = Counter()
    for (p, _), c in counts.items():
        per_period[p] += c
    peak = max(per_period.values())
    slot = (CHART_W - 40) / n
    scale = (CHART_H - 24) / peak
    bars = []
    height_so_far: Counter[int] = Counter()
    for (p, s), c in sorted(counts.items()):
        h = c * scale
        y = CHART_H - 18 - height_so_far[p] - h
        height_so_far[p] += h
        day = start + timedelta(days=p * step)
        label = f"{'week of ' if weekly else ''}{day.isoformat()}: {c} article(s) from {outlets[s]}"
        bars.append(Bar(round(30 + p * slot + slot * 0.1, 1), round(y, 1), round(max(slot * 0.8, 1.0), 1),
                        round(h, 1), s, label))
    every = max(1, n // 6)
    ticks = tuple((round(30 + p * slot + slot / 2, 1), (start + timedelta(days=p * step)).isoformat())
                  for p in range(0, n, every))
    return Timeline("week" if weekly else "day", tuple(bars), outlets, ticks, undated, max_count=peak,
                    articles=len(rows))


# -- the report section ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ArticleRef:
    ref: str
    title: str | None
    outlet: str | None
    published: str | None


@dataclass(frozen=True, slots=True)
class StoryView:
    id: str
    label: str
    start: str | None
    end: str | None
    entities: tuple[str, ...]
    articles: tuple[ArticleRef, ...]
    timeline: Timeline | None
    dated: int = 0


@dataclass(frozen=True, slots=True)
class EvidenceView:
    article: ArticleRef
    subnarrative: str | None
    score: float
    sentences: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NarrativeView:
    label: str
    anchor: str
    articles: int
    subnarratives: tuple[tuple[str, int], ...]
    evidence: tuple[EvidenceView, ...]
    timeline: Timeline | None


@dataclass(frozen=True, slots=True)
class TopicView:
    id: str
    label: str
    articles: tuple[ArticleRef, ...]
    claims: int
    representatives: tuple[str, ...]
    nearest_label: str | None
    nearest_similarity: float


@dataclass(frozen=True, slots=True)
class NarrativesView:
    stories: tuple[StoryView, ...]
    stories_not_shown: int
    narratives: tuple[NarrativeView, ...]
    topics: tuple[TopicView, ...]
    analysed: int
    map: StoryMap | None = None              # the story map (the report's; the web draws its own page)


def build_view(store: Store, *, max_stories: int = 30, max_evidence: int = 20) -> NarrativesView | None:
    """The report's stories and narratives sections; None when neither stage has run."""
    results = sql.article_narratives(store)
    stories = sql.stories(store)
    if not results and not stories:
        return None
    index = {row["id"]: row for row in store.article_index()}
    def aref(aid: str) -> ArticleRef:
        row = index.get(aid, {})
        return ArticleRef(str(row.get("ref") or aid), row.get("title"), row.get("outlet"), row.get("published"))
    story_views = tuple(StoryView(s.id, s.label, s.start, s.end, s.entities, tuple(aref(a) for a in s.articles),
                                  timeline([index[a] for a in s.articles if a in index]), s.dated)
                        for s in stories if len(s.articles) > 1)
    by_narrative: dict[str, list[tuple[str, Any]]] = {}
    for aid, r in results:
        for h in r.hits:
            by_narrative.setdefault(h.narrative, []).append((aid, h))
    texts: dict[str, str] = {}
    needed = {aid for hits in by_narrative.values() for aid, _ in hits[:max_evidence]}
    for art in store.articles(needed) if needed else ():
        texts[art.id] = art.text
    narrative_views = []
    for n, hits in sorted(by_narrative.items(), key=lambda kv: (-len({a for a, _ in kv[1]}), kv[0])):
        article_ids = list(dict.fromkeys(a for a, _ in hits))
        subs = Counter(h.subnarrative for _, h in hits if h.subnarrative)
        evidence = tuple(EvidenceView(aref(aid), h.subnarrative, h.score,
                                      tuple(" ".join(texts.get(aid, "")[e.start:e.end].split()) for e in h.evidence))
                         for aid, h in hits[:max_evidence])
        anchor = "narrative-" + "".join(ch if ch.isalnum() else "-" for ch in n.lower()).strip("-")
        narrative_views.append(NarrativeView(n, anchor, len(article_ids),
                                             tuple((s.removeprefix(n + ": "), c) for s, c in subs.most_common()),
                                             evidence, timeline([index[a] for a in article_ids if a in index])))
    topics = tuple(TopicView(t.id, t.label, tuple(aref(a) for a in t.articles), len(t.claims),
                             tuple(" ".join(c.text.split()) for c in t.representatives), t.nearest_label,
                             t.nearest_similarity) for t in sql.narrative_topics(store))
    shown = story_views[:max_stories]
    return NarrativesView(shown, len(story_views) - len(shown), tuple(narrative_views), topics, len(results))


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    """The narratives' part of the JSON export: stories, then narrative labels."""
    return {"stories": export_stories(store, ref), "narratives": export_narratives(store, ref)}


def _inline_map_script(name: str) -> Markup:
    """The story map's drawing code, inlined in the report (it holds no ``</script``)."""
    source = map_script()
    if "</script" in source.lower():
        raise ValueError(f"{name}: the drawing code must not contain '</script'")
    return Markup(source)


def build_report_section(store: Store, context: SectionContext) -> Section | None:
    view = build_view(store)
    if view is None:
        return None
    story_map = build_map(store, href=lambda row: safe_link(row.get("url")))
    view = replace(view, map=story_map)
    return Section("narratives", "report_narratives.html", view,
                   ((NavLink("story-map", "Story map"),) if story_map else ())
                   + (NavLink("stories", f"Stories ({len(view.stories):,})"),
                      NavLink("narratives", f"Narratives ({len(view.narratives):,})")),
                   filters={"narratives_script": _inline_map_script})
