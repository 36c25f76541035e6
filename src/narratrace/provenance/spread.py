"""The spread graph: who copied and cited whom, and when (the report's and the web's picture of it).

The provenance graph (:func:`narratrace.provenance.graph.build_graph`) is cut into **components**:
articles joined by copy links (republication pairs) and by links between articles, with the
sources their claims cite. Each component is drawn on a time axis by ``static/spread.js``
(x = publication date, one lane per outlet, undated articles in their own lane, cited sources in
a lane of their own at their first citation) with every one of its links:

    edge kind   from -> to                     arrows point the way the text travelled
    copies      original -> copy               share = the copy's share of characters copied
    links       linked article -> linking one
    cites       cited source -> citing article count = claims attributed to it

Components are ordered largest first (articles, then links); :func:`spread_components` returns
them all, :func:`spread_view` one window of them, as plain data (``to_dict`` is what the page
embeds and what ``/api/provenance/spread`` returns). Nothing here writes or trusts markup:
titles, outlets and refs are data the script sets as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from narratrace.sections import day_of
from narratrace.store import Store

__all__ = ["SCRIPT", "SpreadComponent", "SpreadEdge", "SpreadNode", "SpreadView", "safe_url", "script_source",
           "story_index",
           "spread_components", "spread_view"]

SCRIPT = Path(__file__).parent / "static" / "spread.js"
"""The drawing code, inlined in the report and served by the web app at ``/static/provenance/spread.js``."""

_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is a plain http(s) URL, else None (never a ``javascript:`` link)."""
    return url if url and _SAFE_URL.match(url) else None


def script_source() -> str:
    """The drawing code (``static/spread.js``), for a page that inlines it."""
    return SCRIPT.read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class SpreadNode:
    """An article (``kind="article"``) or a cited source (``kind="source"``) of one component."""

    key: str                       # the node id in the provenance graph
    kind: str
    label: str
    ref: str | None = None
    title: str | None = None
    outlet: str | None = None
    date: str | None = None        # YYYY-MM-DD, or None: undated (drawn in the undated lane)
    published: str | None = None   # as stored
    date_from: str | None = None   # an undated original dated by a copy's credit line: that copy's label
    href: str | None = None        # the article's page (web) or its http(s) URL (report)
    stories: tuple[str, ...] = ()  # ids of the stories it belongs to
    source_kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "label": self.label, "ref": self.ref, "title": self.title,
                "outlet": self.outlet, "date": self.date, "published": self.published, "date_from": self.date_from,
                "href": self.href,
                "stories": list(self.stories), "source_kind": self.source_kind}


@dataclass(frozen=True, slots=True)
class SpreadEdge:
    """A link drawn as an arrow ``source -> target`` (node keys)."""

    source: str
    target: str
    kind: str                      # "copies", "links" or "cites"
    share: float | None = None     # copies: the copy's share of copied characters
    evidence: str | None = None    # copies: how the original was told ("credit", "date", "order")
    count: int | None = None       # cites: claims attributed to the source

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "kind": self.kind, "share": self.share,
                "evidence": self.evidence, "count": self.count}


@dataclass(frozen=True, slots=True)
class SpreadComponent:
    """Articles joined by copy links and links, with the sources they cite, and every link between them."""

    index: int                     # 1-based rank, largest first
    articles: int
    dated: int
    sources: int
    nodes: tuple[SpreadNode, ...]
    edges: tuple[SpreadEdge, ...]

    @property
    def undated(self) -> int:
        return self.articles - self.dated

    def count(self, kind: str) -> int:
        return sum(1 for e in self.edges if e.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "articles": self.articles, "dated": self.dated, "undated": self.undated,
                "sources": self.sources, "links": {k: self.count(k) for k in ("copies", "links", "cites")},
                "nodes": [n.to_dict() for n in self.nodes], "edges": [e.to_dict() for e in self.edges]}


@dataclass(frozen=True, slots=True)
class SpreadView:
    """One window of the components: ``components`` are numbers ``offset + 1 ..`` of ``total``."""

    components: tuple[SpreadComponent, ...]
    offset: int
    total: int                     # components in the corpus
    multi: int                     # of those, components of more than one article
    copies: int                    # copy links in the corpus
    stories: Mapping[str, str] = field(default_factory=dict)  # story id -> label, for the stories shown

    def to_dict(self) -> dict[str, Any]:
        return {"offset": self.offset, "total": self.total, "multi": self.multi, "copies": self.copies,
                "shown": len(self.components), "stories": dict(self.stories),
                "components": [c.to_dict() for c in self.components]}


def story_index(store: Store) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """Article id -> ids of its stories (of more than one article), and story id -> label."""
    from narratrace.narratives import store as narratives_sql  # the stories this corpus has, if any

    members: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    for story in narratives_sql.stories(store):
        if len(story.articles) < 2:
            continue
        labels[story.id] = story.label
        for article in story.articles:
            members.setdefault(article, []).append(story.id)
    return {a: tuple(s) for a, s in members.items()}, labels


def spread_components(store: Store, *, graph: nx.MultiDiGraph | None = None,
                      href: Callable[[Mapping[str, Any]], str | None] | None = None,
                      stories: Mapping[str, Sequence[str]] | None = None) -> list[SpreadComponent]:
    """Every component of the corpus, largest first (see the module docstring).

    ``href(article node attributes)`` gives an article's link (default: its http(s) URL);
    ``stories`` maps article ids to their story ids (default: read from the store).
    """
    if graph is None:
        from narratrace.provenance.graph import build_graph

        graph = build_graph(store)
    if stories is None:
        stories = story_index(store)[0]
    link = href or (lambda attrs: safe_url(attrs.get("url")))
    articles = [n for n, a in graph.nodes(data=True) if a.get("kind") == "article"]
    joined = nx.Graph()
    joined.add_nodes_from(articles)
    for u, v, a in graph.edges(data=True):
        if a.get("kind") in ("copies", "links_to") and u in joined and v in joined and u != v:
            joined.add_edge(u, v)
    parts = []
    for members in nx.connected_components(joined):
        parts.append(_component(graph, sorted(members), link, stories))
    parts.sort(key=lambda c: (-c.articles, -len(c.edges), _first_date(c), c.nodes[0].ref or ""))
    return [SpreadComponent(i, c.articles, c.dated, c.sources, c.nodes, c.edges) for i, c in enumerate(parts, 1)]


def _first_date(c: SpreadComponent) -> str:
    return min((n.date for n in c.nodes if n.kind == "article" and n.date), default="9999")


def _component(graph: nx.MultiDiGraph, members: Sequence[str], link: Callable[[Mapping[str, Any]], str | None],
               stories: Mapping[str, Sequence[str]]) -> SpreadComponent:
    inside = set(members)
    nodes: list[SpreadNode] = []
    edges: list[SpreadEdge] = []
    sources: dict[str, SpreadNode] = {}
    dated = 0
    for key in members:
        a = graph.nodes[key]
        day = day_of(a.get("published"))
        date_from = None
        if day is None:  # an undated original that a copy's credit line dates ("The Cradle 5 March 2022")
            for copy, _, e in sorted(graph.in_edges(key, data=True), key=lambda edge: edge[0]):
                credited = day_of(e.get("original_date")) if e.get("kind") == "copies" else None
                if credited is not None:
                    c = graph.nodes[copy]
                    day, date_from = credited, str(c.get("ref") or c.get("title") or copy.removeprefix("article:"))
                    break
        dated += day is not None
        article_id = key.removeprefix("article:")
        nodes.append(SpreadNode(key, "article", str(a.get("title") or a.get("ref") or article_id),
                                ref=_text(a.get("ref")), title=_text(a.get("title")), outlet=_text(a.get("outlet")),
                                date=day.isoformat() if day else None, published=_text(a.get("published")),
                                date_from=date_from, href=link(a), stories=tuple(stories.get(article_id, ()))))
        for _, target, e in graph.out_edges(key, data=True):
            kind = e.get("kind")
            if kind == "copies" and target in inside:   # stored copy -> original; drawn original -> copy
                edges.append(SpreadEdge(target, key, "copies", share=_num(e.get("copy_share")),
                                        evidence=_text(e.get("evidence"))))
            elif kind == "links_to" and target in inside and target != key:
                edges.append(SpreadEdge(target, key, "links"))
            elif kind == "cites":
                s = graph.nodes[target]
                if target not in sources:
                    label = str(s.get("label") or target.removeprefix("source:"))
                    sources[target] = SpreadNode(target, "source", label,
                                                 source_kind=_text(s.get("source_kind")))
                edges.append(SpreadEdge(target, key, "cites", count=int(e.get("count") or 0)))
    edges.sort(key=lambda e: (("copies", "links", "cites").index(e.kind), e.source, e.target))
    return SpreadComponent(0, len(members), dated, len(sources),
                           tuple(nodes) + tuple(sources[k] for k in sorted(sources)),
                           tuple(edges))


def _text(value: Any) -> str | None:
    return str(value) if value is not None and str(value).strip() else None


def _num(value: Any) -> float | None:
    return round(float(value), 4) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def spread_view(store: Store, *, offset: int = 0, limit: int = 1,
                components: Sequence[SpreadComponent] | None = None,
                story_labels: Mapping[str, str] | None = None) -> SpreadView:
    """Components ``offset + 1 .. offset + limit`` of the corpus (all computed when not given)."""
    found = list(components) if components is not None else spread_components(store)
    if story_labels is None:
        story_labels = story_index(store)[1]
    shown = tuple(found[offset:offset + limit])
    used = {s for c in shown for n in c.nodes for s in n.stories}
    return SpreadView(shown, offset, len(found), sum(1 for c in found if c.articles > 1),
                      sum(c.count("copies") for c in found),
                      {s: story_labels[s] for s in sorted(used) if s in story_labels})

