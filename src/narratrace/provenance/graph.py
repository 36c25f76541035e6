"""Provenance graph: who publishes, who copies whom, who cites which source.

:func:`build_graph` reads a :class:`~narratrace.store.Store` (articles, republication
pairs, the claims stage's annotations) into a ``networkx.MultiDiGraph``::

    node id              kind      attributes
    outlet:<name>        outlet    label, articles (count), derived ("url" if taken from the URL host)
    article:<id>         article   label, ref, title, published, outlet, url
    source:<name>        source    label, source_kind, names (as written), claim_count, outlet_node (the
                                   node of the corpus outlet of the same name, if any)
    url:<url>            url       label (a link target that is not an article of the corpus)

    edge (key = kind)    from -> to                attributes
    publishes            outlet -> article
    copies               copy article -> original  similarity, copy_share, evidence, reason, original_date
    cites                article -> source         count, claims (ids), cues, as_written, source_kind
    links_to             article -> article | url  url, text

``links_to`` comes from ``Article.meta["links"]`` (a list of URLs or ``{"url", "text"}``
objects). HTML ingestion does not keep hyperlinks yet (trafilatura runs with
``include_links=False``), so on corpora ingested today this edge kind is empty.

:func:`graph_to_json` / :func:`graph_from_json` and :func:`write_graphml` /
:func:`read_graphml` serialise it; :func:`sources_summary` answers "who is cited, how
often, by which outlets" and :func:`provenance_of` "where does this article's text and
its claims come from".
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from narratrace.model import Article
from narratrace.store import Store

__all__ = ["EDGE_KINDS", "NODE_KINDS", "OutletCitations", "SourceSummary", "build_graph", "graph_from_json",
           "graph_to_json", "provenance_of", "read_graphml", "sources_summary", "write_graphml"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

NODE_KINDS = ("outlet", "article", "source", "url")
EDGE_KINDS = ("publishes", "copies", "cites", "links_to")
#: Attributes holding lists: JSON strings in GraphML (which has no list type).
_LIST_ATTRS = ("claims", "cues", "names")
_SPACES = re.compile(r"\s+")
_SQUASH = re.compile(r"[^0-9a-z]+")


def _clean(name: str) -> str:
    return _SPACES.sub(" ", name).strip()


def _squash(name: str) -> str:
    s = _SQUASH.sub("", name.casefold())
    return s[3:] if s.startswith("the") and len(s) > 6 else s


def _host(url: str | None) -> str | None:
    m = re.match(r"^[a-z][a-z0-9+.-]*://([^/?#]+)", (url or "").strip().lower())
    if not m:
        return None
    host = m.group(1).rsplit("@", 1)[-1].split(":", 1)[0]
    return host.removeprefix("www.") or None


def _url_key(url: str) -> str:
    """A URL without scheme, ``www.``, fragment and trailing slash, to match links to articles."""
    u = url.strip().split("#", 1)[0]
    u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u, flags=re.IGNORECASE)
    u = u.removeprefix("www.")
    return u.rstrip("/").lower()


def _links(article: Article) -> list[tuple[str, str | None]]:
    raw = article.meta.get("links") if isinstance(article.meta, Mapping) else None
    out = []
    for item in raw or ():
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, Mapping):
            url = item.get("url") or item.get("href")
            if isinstance(url, str):
                text = item.get("text")
                out.append((url, text if isinstance(text, str) else None))
    return [(u.strip(), t) for u, t in out if u.strip()]


def build_graph(store: Store, *, claims_stage: str = "claims") -> nx.MultiDiGraph:
    """The provenance graph of everything in ``store`` (see the module docstring)."""
    g = nx.MultiDiGraph()
    outlets: dict[str, str] = {}  # squashed outlet name -> node id
    by_url: dict[str, str] = {}
    articles = list(store.articles())
    for art in articles:
        node = f"article:{art.id}"
        g.add_node(node, kind="article", label=art.title or art.ref, ref=art.ref, title=art.title,
                   published=art.published, outlet=art.outlet, url=art.url)
        if art.url:
            by_url.setdefault(_url_key(art.url), node)
        name, derived = (art.outlet, None) if art.outlet else (_host(art.url), "url")
        if name:
            name = _clean(name)
            outlet = outlets.setdefault(_squash(name) or name, f"outlet:{name}")
            if outlet not in g:
                g.add_node(outlet, kind="outlet", label=name, articles=0, derived=derived)
            g.nodes[outlet]["articles"] += 1
            g.add_edge(outlet, node, key="publishes", kind="publishes")
    for pair in store.republication_pairs():
        g.add_edge(f"article:{pair.copy}", f"article:{pair.original}", key="copies", kind="copies",
                   similarity=round(pair.similarity, 4), copy_share=round(pair.copy_share, 4),
                   evidence=pair.evidence, reason=pair.reason, original_date=pair.original_date)
    sources: dict[str, str] = {}
    kinds: dict[str, Counter[str]] = {}
    for art in articles:
        cites: dict[str, dict[str, Any]] = {}
        for ann in store.annotations(art.id, stage=claims_stage):
            if ann.kind != "claim":
                continue
            d = ann.data
            written = d.get("source")
            kind = str(d.get("source_kind") or "none")
            if not written or kind == "none":
                continue
            name = _clean(str(d.get("source_canonical") or written))
            key = name.casefold()
            node = sources.setdefault(key, f"source:{name}")
            if node not in g:
                g.add_node(node, kind="source", label=name, source_kind=kind, names=[], claim_count=0,
                           outlet_node=None)
            attrs = g.nodes[node]
            attrs["claim_count"] += 1
            if _clean(str(written)) not in attrs["names"]:
                attrs["names"].append(_clean(str(written)))
            kinds.setdefault(node, Counter())[kind] += 1
            edge = cites.setdefault(node, {"count": 0, "claims": [], "cues": [], "as_written": _clean(str(written)),
                                           "source_kind": kind})
            edge["count"] += 1
            edge["claims"].append(str(d.get("id") or f"c-{art.id[:10]}-{ann.start}"))
            cue = d.get("cue")
            if cue and cue not in edge["cues"]:
                edge["cues"].append(str(cue))
        for node, attrs in cites.items():
            g.add_edge(f"article:{art.id}", node, key="cites", kind="cites", **attrs)
        for url, text in _links(art):
            target = by_url.get(_url_key(url))
            if target is None:
                target = f"url:{url}"
                if target not in g:
                    g.add_node(target, kind="url", label=url)
            if target != f"article:{art.id}":
                g.add_edge(f"article:{art.id}", target, key=f"links_to:{url}", kind="links_to", url=url, text=text)
    for node, counts in kinds.items():
        g.nodes[node]["source_kind"] = counts.most_common(1)[0][0]
        g.nodes[node]["outlet_node"] = outlets.get(_squash(g.nodes[node]["label"]))
    log.info("provenance graph: %d nodes, %d edges", g.number_of_nodes(), g.number_of_edges())
    return g


# -- serialisation -----------------------------------------------------------------------------
def graph_to_json(g: nx.MultiDiGraph) -> dict[str, list[dict[str, Any]]]:
    """``{"nodes": [{"id", "kind", "label", ...}], "edges": [{"from", "to", "kind", ...}]}``, sorted."""
    nodes = [{"id": n, **{k: v for k, v in attrs.items()}} for n, attrs in sorted(g.nodes(data=True))]
    edges = [{"from": u, "to": v, **{k: val for k, val in attrs.items()}}
             for u, v, attrs in sorted(g.edges(data=True), key=lambda e: (e[0], e[1], e[2]["kind"],
                                                                        str(e[2].get("url") or "")))]
    return {"nodes": nodes, "edges": edges}


def graph_from_json(data: Mapping[str, Iterable[Mapping[str, Any]]]) -> nx.MultiDiGraph:
    """Inverse of :func:`graph_to_json`."""
    g = nx.MultiDiGraph()
    for node in data["nodes"]:
        attrs = {k: v for k, v in node.items() if k != "id"}
        g.add_node(node["id"], **attrs)
    for edge in data["edges"]:
        attrs = {k: v for k, v in edge.items() if k not in ("from", "to")}
        g.add_edge(edge["from"], edge["to"], key=_edge_key(attrs), **attrs)
    return g


def _edge_key(attrs: Mapping[str, Any]) -> str:
    return f"links_to:{attrs.get('url')}" if attrs.get("kind") == "links_to" else str(attrs.get("kind"))


def write_graphml(g: nx.MultiDiGraph, path: str | Path) -> None:
    """GraphML for Gephi, yEd, Cytoscape: ``None`` attributes are left out, lists become JSON strings."""
    out = nx.MultiDiGraph()
    for n, attrs in g.nodes(data=True):
        out.add_node(n, **_graphml_attrs(attrs))
    for u, v, key, attrs in g.edges(keys=True, data=True):
        out.add_edge(u, v, key=key, **_graphml_attrs(attrs))
    nx.write_graphml(out, str(path), encoding="utf-8")


def _graphml_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in attrs.items():
        if v is None:
            continue
        out[k] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, tuple, dict)) else v
    return out


def read_graphml(path: str | Path) -> nx.MultiDiGraph:
    """A graph written by :func:`write_graphml`, with list attributes decoded again."""
    g = nx.read_graphml(str(path), force_multigraph=True)
    out = nx.MultiDiGraph()
    for n, attrs in g.nodes(data=True):
        out.add_node(n, **_decode(attrs))
    for u, v, attrs in g.edges(data=True):
        decoded = _decode(attrs)
        out.add_edge(u, v, key=_edge_key(decoded), **decoded)
    return out


def _decode(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (json.loads(v) if k in _LIST_ATTRS and isinstance(v, str) else v) for k, v in attrs.items()}


# -- queries -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class OutletCitations:
    """How one outlet cites a source: in which articles, how many claims."""

    outlet: str
    claims: int
    articles: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"outlet": self.outlet, "claims": self.claims, "articles": list(self.articles)}


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """A cited source: how often, by which outlets and articles (refs), under which names."""

    source: str
    kind: str
    names: tuple[str, ...]
    claims: int
    articles: tuple[str, ...]
    outlets: tuple[OutletCitations, ...]
    is_outlet: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "names": list(self.names), "claims": self.claims,
                "articles": list(self.articles), "outlets": [o.to_dict() for o in self.outlets],
                "is_outlet": self.is_outlet}


def sources_summary(store: Store, *, graph: nx.MultiDiGraph | None = None,
                    claims_stage: str = "claims") -> list[SourceSummary]:
    """Every cited source, most cited first: claims, articles (refs) and outlets citing it.

    Articles without an outlet are counted under ``"(unknown outlet)"``.
    """
    g = graph if graph is not None else build_graph(store, claims_stage=claims_stage)
    out = []
    for node, attrs in g.nodes(data=True):
        if attrs.get("kind") != "source":
            continue
        per_outlet: dict[str, tuple[int, list[str]]] = {}
        refs: list[str] = []
        total = 0
        for article, _, edge in g.in_edges(node, data=True):
            if edge.get("kind") != "cites":
                continue
            ref = str(g.nodes[article].get("ref") or article)
            count = int(edge.get("count") or 0)
            total += count
            refs.append(ref)
            publishers = [g.nodes[u]["label"] for u, _, e in g.in_edges(article, data=True)
                          if e.get("kind") == "publishes"] or ["(unknown outlet)"]
            for outlet in publishers:
                n, arts = per_outlet.get(outlet, (0, []))
                per_outlet[outlet] = (n + count, arts + [ref])
        outlets = tuple(OutletCitations(o, n, tuple(sorted(a))) for o, (n, a) in
                        sorted(per_outlet.items(), key=lambda kv: (-kv[1][0], kv[0])))
        out.append(SourceSummary(str(attrs.get("label")), str(attrs.get("source_kind") or "none"),
                                 tuple(attrs.get("names") or ()), total, tuple(sorted(refs)), outlets,
                                 attrs.get("outlet_node") is not None))
    out.sort(key=lambda s: (-s.claims, -len(s.outlets), s.source.casefold()))
    return out


def provenance_of(g: nx.MultiDiGraph, article_id: str) -> dict[str, Any]:
    """Where an article comes from: the articles it copies (transitively) and the sources it and they cite.

    ``{"article": ref, "copies": [refs, nearest first], "sources": [{"source", "via": ref}]}``
    """
    start = f"article:{article_id}"
    if start not in g:
        from narratrace.errors import NotFound

        raise NotFound(f"no article {article_id!r} in the provenance graph")
    chain: list[str] = []
    seen = {start}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            for _, original, edge in g.out_edges(node, data=True):
                if edge.get("kind") == "copies" and original not in seen:
                    seen.add(original)
                    chain.append(original)
                    nxt.append(original)
        frontier = nxt
    sources = []
    for node in [start, *chain]:
        for _, src, edge in g.out_edges(node, data=True):
            if edge.get("kind") == "cites":
                sources.append({"source": g.nodes[src]["label"], "via": g.nodes[node].get("ref"),
                                "claims": int(edge.get("count") or 0)})
    return {"article": g.nodes[start].get("ref"), "copies": [g.nodes[n].get("ref") for n in chain],
            "sources": sources}


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    """The provenance graph's part of the JSON export (nodes and edges)."""
    return {"provenance": graph_to_json(build_graph(store))}
