"""Stories: articles about the same event, clustered incrementally in the order they arrive.

Each article is represented by its *lead vector* (the normalised mean of the MiniLM embeddings of
its first sentences, where a news article says who did what, where and when), its named actors
and places (the claims stage's entities), and its publication date. Articles are taken in
ingestion order; each joins the story it fits best or starts a new one, so a story never changes
when later articles arrive except by gaining members (single-pass "leader" clustering):

``fit = cosine(lead, story centroid) + entity_bonus × min(shared entities, entity_cap)``

It joins when ``fit >= threshold`` and its date lies within ``window_days`` of the story's span
(an undated article or story is not held back by dates). A republication (a copy of a member) joins
its original's story whatever the fit. A story is labelled by its key terms (c-TF-IDF over its
articles' titles and leads, :mod:`narratrace.narratives.terms`) and its date span.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from narratrace.cosines import has_map, to_reference
from narratrace.narratives.terms import key_terms

__all__ = ["Story", "StoryInput", "StoryOptions", "cluster_stories", "span_known"]


@dataclass(frozen=True, slots=True)
class StoryOptions:
    threshold: float = 0.62
    entity_bonus: float = 0.04
    entity_cap: int = 3
    window_days: int = 10
    min_articles: int = 1
    space: str = ""               # the vectors' space: its cosines are read on the MiniLM scale


@dataclass(frozen=True, slots=True)
class StoryInput:
    """What clustering needs of one article."""

    article: str
    vector: np.ndarray
    published: str | None = None
    entities: frozenset[str] = frozenset()
    text: str = ""                # title and lead, for the key terms
    copy_of: tuple[str, ...] = ()  # articles this one republishes


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    label: str
    terms: tuple[str, ...]
    articles: tuple[str, ...]
    start: str | None
    end: str | None
    entities: tuple[str, ...] = ()
    cohesion: float = 1.0
    dated: int = 0                # how many of its articles have a publication date

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "terms": list(self.terms), "articles": list(self.articles),
                "start": self.start, "end": self.end, "dated": self.dated, "entities": list(self.entities),
                "cohesion": round(self.cohesion, 4)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Story:
        return cls(d["id"], d["label"], tuple(d.get("terms") or ()), tuple(d["articles"]), d.get("start"),
                   d.get("end"), tuple(d.get("entities") or ()), float(d.get("cohesion", 1.0)),
                   int(d.get("dated", 0)))


def span_known(dated: int, articles: int) -> bool:
    """A story's date span is stated only when at least half of its articles are dated: one dated
    article of eight says when that article appeared, not when the story ran."""
    return dated > 0 and 2 * dated >= articles


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@dataclass(slots=True)
class _Open:
    members: list[int] = field(default_factory=list)
    total: np.ndarray | None = None
    entities: Counter[str] = field(default_factory=Counter)
    first: date | None = None
    last: date | None = None
    dated: int = 0

    def add(self, i: int, item: StoryInput) -> None:
        self.members.append(i)
        self.dated += _day(item.published) is not None
        self.total = item.vector.copy() if self.total is None else self.total + item.vector
        self.entities.update(item.entities)
        d = _day(item.published)
        if d:
            self.first = min(self.first or d, d)
            self.last = max(self.last or d, d)


def cluster_stories(items: Sequence[StoryInput], options: StoryOptions = StoryOptions()) -> list[Story]:
    """Stories over ``items`` (in arrival order), most articles first."""
    stories: list[_Open] = []
    story_of: dict[str, int] = {}
    dim = len(items[0].vector) if items else 0
    centroids = np.zeros((max(16, len(items)), dim), dtype=np.float32)  # unit centroids, one row per story
    far = -(10 ** 6)
    first = np.full(len(centroids), far, dtype=np.int64)   # day numbers; `far` = undated
    last = np.full(len(centroids), far, dtype=np.int64)
    slack = options.entity_bonus * options.entity_cap
    mapped = has_map(options.space)
    for i, item in enumerate(items):
        chosen = next((story_of[o] for o in item.copy_of if o in story_of), None)
        if chosen is None and stories:
            k = len(stories)
            cos = centroids[:k] @ item.vector
            if mapped:  # leads are means of sentences: the passage-level map
                cos = to_reference(cos, options.space, "passage")
            d = _day(item.published)
            if d:
                n = d.toordinal()
                dated = first[:k] != far
                cos = np.where(dated & ((first[:k] - n > options.window_days) | (n - last[:k] > options.window_days)),
                               -np.inf, cos)
            best, best_fit = None, -1.0
            for c in np.flatnonzero(cos >= options.threshold - slack):
                shared = sum(1 for e in item.entities if stories[c].entities[e] > 0)
                fit = float(cos[c]) + options.entity_bonus * min(shared, options.entity_cap)
                if fit > best_fit:
                    best, best_fit = int(c), fit
            if best is not None and best_fit >= options.threshold:
                chosen = best
        if chosen is None:
            stories.append(_Open())
            chosen = len(stories) - 1
        st = stories[chosen]
        st.add(i, item)
        centroids[chosen] = st.total / max(float(np.linalg.norm(st.total)), 1e-9)  # type: ignore[arg-type]
        if st.first:
            first[chosen], last[chosen] = st.first.toordinal(), st.last.toordinal()  # type: ignore[union-attr]
        story_of[item.article] = chosen
    kept = [s for s in stories if len(s.members) >= options.min_articles]
    terms = key_terms([[items[i].text for i in s.members] for s in kept], top=4)
    out = []
    for s, t in zip(kept, terms):
        vecs = np.stack([items[i].vector for i in s.members])
        k = len(s.members)
        tot = vecs.sum(0)
        cohesion = float((tot @ tot - k) / (k * (k - 1))) if k > 1 else 1.0
        first = items[s.members[0]].article
        # ties by name: entity sets are frozensets, whose order changes with each process's hash seed
        ranked = sorted(s.entities.items(), key=lambda en: (-en[1], en[0]))[:5]
        common = [e for e, n in ranked if n > 1 or k == 1]
        known = span_known(s.dated, k) and s.first is not None
        out.append(Story(id="st-" + first[:12], label=" · ".join(t) or first, terms=tuple(t),
                         articles=tuple(items[i].article for i in s.members),
                         start=s.first.isoformat() if known and s.first else None,
                         end=s.last.isoformat() if known and s.last else None, entities=tuple(common),
                         cohesion=cohesion, dated=s.dated))
    out.sort(key=lambda st: (-len(st.articles), st.start or "9999", st.id))
    return out
