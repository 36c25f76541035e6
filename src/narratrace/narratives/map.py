"""The story map: every article a point, placed by what it says, coloured by story or narrative.

An article's vector is the mean of its stored sentence vectors (the ``sentence_vectors`` stage),
scaled to unit length; the map is their projection on the first two principal components
(:func:`project`: an eigen-decomposition of the covariance, with each axis's sign fixed, so the
same corpus always gives the same map; nothing random). Articles without stored vectors (another
language, a stage not run) are counted, never placed at a made-up spot. ``static/map.js`` draws
it (hover: title, outlet, date, story, narratives; the legend filters; colour by story or
narrative); :func:`build_map` is the plain data it reads (``to_dict``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from narratrace.narratives import store as sql
from narratrace.sections import day_of

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["LEGEND_GROUPS", "MAP_POINTS", "SCRIPT", "MapGroup", "MapPoint", "StoryMap", "article_vectors",
           "build_map", "project", "script_source"]

SCRIPT = Path(__file__).parent / "static" / "map.js"
MAP_POINTS = 5000
"""Points drawn at most (those of the largest stories first); the page says how many it left out."""
LEGEND_GROUPS = 12
"""Stories (or narratives) with a colour of their own; the rest share "other"."""
OTHER, NONE = "\u0001other", "\u0001none"


def script_source() -> str:
    """The drawing code (``static/map.js``), for a page that inlines it."""
    return SCRIPT.read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class MapPoint:
    ref: str
    title: str | None
    outlet: str | None
    date: str | None
    x: float
    y: float
    story: str | None              # story id (a story of more than one article), or None
    story_label: str | None
    narratives: tuple[str, ...]    # narrative labels, best first
    href: str | None = None
    story_group: str = NONE        # its legend entry when coloured by story
    narrative_group: str = NONE    # ... and by narrative

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "title": self.title, "outlet": self.outlet, "date": self.date, "x": self.x,
                "y": self.y, "story": self.story, "story_label": self.story_label,
                "narratives": list(self.narratives), "href": self.href,
                "story_group": self.story_group, "narrative_group": self.narrative_group}


@dataclass(frozen=True, slots=True)
class MapGroup:
    """A legend entry: a story or narrative (``key``), or ``other``/``none``, with its points."""

    key: str
    label: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "count": self.count}


@dataclass(frozen=True, slots=True)
class StoryMap:
    points: tuple[MapPoint, ...]
    stories: tuple[MapGroup, ...]        # legend when coloured by story
    narratives: tuple[MapGroup, ...]     # legend when coloured by narrative
    articles: int                        # in the corpus
    placed: int                          # with sentence vectors (projected)
    explained: tuple[float, float]       # share of the variance along each axis

    @property
    def not_placed(self) -> int:
        return self.articles - self.placed

    @property
    def not_shown(self) -> int:
        return self.placed - len(self.points)

    def to_dict(self) -> dict[str, Any]:
        return {"articles": self.articles, "placed": self.placed, "not_placed": self.not_placed,
                "shown": len(self.points), "not_shown": self.not_shown,
                "explained": [round(v, 4) for v in self.explained],
                "method": "PCA of the mean sentence vector of each article",
                "stories": [g.to_dict() for g in self.stories], "narratives": [g.to_dict() for g in self.narratives],
                "points": [p.to_dict() for p in self.points]}


def article_vectors(store: Store, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """``(ids, matrix)``: the unit-length mean sentence vector of each article that has stored vectors.

    Vectors of one encoder only (the one most articles were embedded with): two encoders' spaces
    are not comparable, so articles embedded by another are left out like those without vectors.
    """
    from narratrace.vectors import load_sentence_vectors

    found: dict[str, tuple[str, np.ndarray]] = {}
    for n in range(0, len(ids), 500):
        for aid, v in load_sentence_vectors(store, ids[n:n + 500]).items():
            if len(v) and v.matrix.ndim == 2:
                mean = np.asarray(v.matrix, dtype=np.float32).mean(axis=0)
                norm = float(np.linalg.norm(mean))
                if np.isfinite(norm) and norm > 0:
                    found[aid] = (f"{v.model}/{mean.shape[0]}", mean / norm)
    if not found:
        return [], np.zeros((0, 0), dtype=np.float32)
    space = Counter(s for s, _ in found.values()).most_common(1)[0][0]
    kept = [a for a in ids if a in found and found[a][0] == space]
    return kept, np.stack([found[a][1] for a in kept])


def project(matrix: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """The rows of ``matrix`` on its first two principal components, scaled into [-1, 1], and the share
    of the variance each axis holds. Deterministic: the axes' signs are fixed (the largest loading
    of each is positive). Fewer than three rows, or no variance: points on a line or at the centre."""
    n = matrix.shape[0]
    out = np.zeros((n, 2), dtype=np.float64)
    if n < 2:
        return out, (0.0, 0.0)
    x = matrix.astype(np.float64) - matrix.astype(np.float64).mean(axis=0)
    cov = x.T @ x / max(n - 1, 1)
    values, vectors = np.linalg.eigh(cov)          # ascending
    order = np.argsort(values)[::-1][:2]
    axes = vectors[:, order]
    for k in range(axes.shape[1]):
        if axes[np.argmax(np.abs(axes[:, k])), k] < 0:
            axes[:, k] = -axes[:, k]
    coords = x @ axes
    total = float(values.clip(min=0).sum())
    explained = tuple(float(max(values[i], 0.0)) / total if total > 0 else 0.0 for i in order)
    out[:, :coords.shape[1]] = coords
    scale = float(np.abs(out).max())
    if scale > 0:
        out /= scale
    return out, (explained + (0.0, 0.0))[:2]  # type: ignore[return-value]


def _groups(keys: Sequence[str], labels: Mapping[str, str], other: str,
            none: str) -> tuple[list[str], tuple[MapGroup, ...]]:
    """Each point's legend entry, and the legend: the largest groups, then "other", then "none"."""
    counts = Counter(k for k in keys if k != NONE)
    top = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], labels.get(kv[0], kv[0])))[:LEGEND_GROUPS]]
    chosen = set(top)
    assigned = [k if k in chosen or k == NONE else OTHER for k in keys]
    tally = Counter(assigned)
    legend = [MapGroup(k, labels.get(k, k), tally[k]) for k in top]
    if tally[OTHER]:
        legend.append(MapGroup(OTHER, other, tally[OTHER]))
    if tally[NONE]:
        legend.append(MapGroup(NONE, none, tally[NONE]))
    return assigned, tuple(legend)


def build_map(store: Store, *, limit: int = MAP_POINTS,
              href: Callable[[Mapping[str, Any]], str | None] | None = None) -> StoryMap | None:
    """The story map of ``store``; None when no article has sentence vectors."""
    index = store.article_index()
    ids, matrix = article_vectors(store, [row["id"] for row in index])
    if not ids:
        return None
    coords, explained = project(matrix)
    rows = {row["id"]: row for row in index}
    story_of: dict[str, str] = {}
    story_label: dict[str, str] = {}
    story_size: dict[str, int] = {}
    for story in sql.stories(store):
        if len(story.articles) < 2:
            continue
        story_label[story.id] = story.label
        story_size[story.id] = len(story.articles)
        for a in story.articles:
            story_of.setdefault(a, story.id)
    narratives_of = {aid: tuple(dict.fromkeys(h.narrative for h in sorted(r.hits, key=lambda h: -h.score)))
                     for aid, r in sql.article_narratives(store) if not r.skipped}
    order = sorted(range(len(ids)), key=lambda i: (-story_size.get(story_of.get(ids[i], ""), 1), i))[:max(0, limit)]
    order.sort()
    shown = [ids[i] for i in order]
    by_story, story_legend = _groups([story_of.get(a, NONE) for a in shown], story_label, "other stories",
                                     "no story of two or more articles")
    by_narrative, narrative_legend = _groups([(narratives_of.get(a) or (NONE,))[0] for a in shown], {},
                                             "other narratives", "no narrative")
    link = href or (lambda row: None)
    points = []
    for k, i in enumerate(order):
        aid = ids[i]
        row = rows[aid]
        day = day_of(row.get("published"))
        points.append(MapPoint(str(row.get("ref") or aid), row.get("title"), row.get("outlet"),
                               day.isoformat() if day else None, round(float(coords[i, 0]), 4),
                               round(float(coords[i, 1]), 4), story_of.get(aid),
                               story_label.get(story_of.get(aid, "")), narratives_of.get(aid, ()),
                               link(row), by_story[k], by_narrative[k]))
    return StoryMap(tuple(points), story_legend, narrative_legend, len(index), len(ids), explained)
