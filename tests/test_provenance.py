"""The provenance graph: nodes, edges, JSON and GraphML round trips, the sources summary."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from claimkit import add, article, claim
from narratrace.errors import NotFound
from narratrace.ingest import ingest
from narratrace.model import Passage, RepublicationPair
from narratrace.pipeline import analyze
from narratrace.provenance.graph import (build_graph, graph_from_json, graph_to_json, provenance_of, read_graphml,
                                   sources_summary, write_graphml)
from narratrace.store import Store

ORIG = ("The Foreign Intelligence Service of Russia (SVR RF) warned that ISIS fighters are sent to Ukraine. "
        "The SVR RF warned that the militants will arrive through Poland. "
        "Igor Konashenkov said that 200 mercenaries arrived last week.")
COPY = ("By The Cradle. The SVR said ISIS fighters are sent to Ukraine from Syria. "
        "The Cradle reported that US forces moved detainees. Ukraine is a large country in Europe.")
CHANNEL = "A Telegram channel claimed that NATO officers arrived in Iraq on March 9."


@pytest.fixture
def graph_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "prov.db")
    orig = article("orig", ORIG, outlet="The Cradle", url="https://thecradle.co/a1", published="2022-03-05")
    copy = article("copy", COPY, outlet="Global Research", url="https://globalresearch.ca/a2",
                   published="2022-03-06",
                   meta={"links": ["https://www.thecradle.co/a1/", {"url": "https://example.org/x", "text": "report"}]})
    channel = article("channel", CHANNEL, url="https://www.southfront.org/x")
    bare = article("bare", "Nothing is cited here at all, not one source.")
    svr = dict(canonical="SVR", kind="government")
    add(store, orig, [claim(orig, "The Foreign Intelligence", to="sent to Ukraine.", cue="warned",
                            source="The Foreign Intelligence Service of Russia (SVR RF)", **svr),
                      claim(orig, "The SVR RF warned", to="through Poland.", source="The SVR RF", cue="warned", **svr),
                      claim(orig, "Igor Konashenkov said", to="last week.", source="Igor Konashenkov", kind="person",
                            cue="said")])
    add(store, copy, [claim(copy, "The SVR said", to="from Syria.", source="The SVR", cue="said", **svr),
                      claim(copy, "The Cradle reported", to="detainees.", source="The Cradle", kind="media",
                            cue="reported"),
                      claim(copy, "Ukraine is a large country in Europe.")])
    add(store, channel, [claim(channel, "A Telegram channel claimed", to="March 9.", source="A Telegram channel",
                               kind="social_media", cue="claimed")])
    add(store, bare, [])
    store.save_republications("republications", "test", pairs=[RepublicationPair(
        original=orig.id, copy=copy.id, similarity=0.8, copy_share=0.7, original_share=0.6,
        passages=(Passage(0, 10, 15, 25),), reason="copy credits The Cradle", evidence="credit")],
        groups=[], compared=[])
    yield store
    store.close()


def _edges(g: nx.MultiDiGraph, kind: str) -> set[tuple[str, str]]:
    def name(n: str) -> str:
        return g.nodes[n].get("ref") or n
    return {(name(u), name(v)) for u, v, d in g.edges(data=True) if d["kind"] == kind}


def test_provenance_graph_has_outlets_articles_sources_and_edges(graph_store: Store) -> None:
    g = build_graph(graph_store)
    kinds: dict[str, set[str]] = {}
    for n, d in g.nodes(data=True):
        kinds.setdefault(d["kind"], set()).add(d["label"] if d["kind"] != "article" else d["ref"])
    assert kinds == {"outlet": {"The Cradle", "Global Research", "southfront.org"},
                     "article": {"orig", "copy", "channel", "bare"},
                     "source": {"SVR", "Igor Konashenkov", "The Cradle", "A Telegram channel"},
                     "url": {"https://example.org/x"}}
    assert _edges(g, "publishes") == {("outlet:The Cradle", "orig"), ("outlet:Global Research", "copy"),
                                      ("outlet:southfront.org", "channel")}
    assert g.nodes["outlet:southfront.org"]["derived"] == "url"
    assert _edges(g, "copies") == {("copy", "orig")}
    (copies,) = [d for _, _, d in g.edges(data=True) if d["kind"] == "copies"]
    assert copies["evidence"] == "credit" and copies["similarity"] == 0.8
    assert _edges(g, "cites") == {("orig", "source:SVR"), ("orig", "source:Igor Konashenkov"),
                                  ("copy", "source:SVR"), ("copy", "source:The Cradle"),
                                  ("channel", "source:A Telegram channel")}
    orig_svr = g.get_edge_data(f"article:{graph_store.article('orig').id}", "source:SVR")["cites"]
    assert orig_svr["count"] == 2 and orig_svr["cues"] == ["warned"] and len(orig_svr["claims"]) == 2
    assert g.nodes["source:SVR"]["names"] == ["The Foreign Intelligence Service of Russia (SVR RF)", "The SVR RF",
                                              "The SVR"]
    assert g.nodes["source:SVR"]["claim_count"] == 3
    assert g.nodes["source:The Cradle"]["outlet_node"] == "outlet:The Cradle"  # a cited source is also an outlet
    assert _edges(g, "links_to") == {("copy", "orig"), ("copy", "url:https://example.org/x")}


def test_provenance_json_round_trip(graph_store: Store) -> None:
    g = build_graph(graph_store)
    data = graph_to_json(g)
    assert set(data) == {"nodes", "edges"}
    assert all({"from", "to", "kind"} <= set(e) for e in data["edges"])
    assert all({"id", "kind", "label"} <= set(n) for n in data["nodes"])
    assert [e["kind"] for e in data["edges"]].count("cites") == 5
    text = json.dumps(data)
    back = graph_from_json(json.loads(text))
    assert graph_to_json(back) == data
    assert back.number_of_edges() == g.number_of_edges() == 3 + 1 + 5 + 2


def test_provenance_graphml_round_trip(graph_store: Store, tmp_path: Path) -> None:
    g = build_graph(graph_store)
    path = tmp_path / "prov.graphml"
    write_graphml(g, path)
    raw = nx.read_graphml(path, force_multigraph=True)  # what Gephi / yEd read
    assert raw.number_of_nodes() == g.number_of_nodes() and raw.number_of_edges() == g.number_of_edges()
    back = read_graphml(path)

    def without_none(data: dict) -> dict:
        return {k: [{a: v for a, v in item.items() if v is not None} for item in items] for k, items in data.items()}

    assert graph_to_json(back) == without_none(graph_to_json(g))


def test_provenance_sources_summary(graph_store: Store) -> None:
    summary = sources_summary(graph_store)
    assert [s.source for s in summary] == ["SVR", "A Telegram channel", "Igor Konashenkov", "The Cradle"]
    svr = summary[0]
    assert svr.claims == 3 and svr.kind == "government" and svr.articles == ("copy", "orig")
    assert [(o.outlet, o.claims, o.articles) for o in svr.outlets] == [("The Cradle", 2, ("orig",)),
                                                                         ("Global Research", 1, ("copy",))]
    assert summary[1].outlets[0].outlet == "southfront.org"
    cradle = summary[3]
    assert cradle.is_outlet and cradle.kind == "media"
    assert json.loads(json.dumps([s.to_dict() for s in summary]))[0]["outlets"][0]["outlet"] == "The Cradle"


def test_provenance_of_follows_copies_to_the_sources(graph_store: Store) -> None:
    g = build_graph(graph_store)
    found = provenance_of(g, graph_store.article("copy").id)
    assert found["article"] == "copy" and found["copies"] == ["orig"]
    assert {(s["source"], s["via"]) for s in found["sources"]} == {
        ("SVR", "copy"), ("The Cradle", "copy"), ("SVR", "orig"), ("Igor Konashenkov", "orig")}
    with pytest.raises(NotFound):
        provenance_of(g, "nope")


def test_provenance_examples_corpus_copies_and_no_links(tmp_path: Path, examples_dir: Path) -> None:
    store = Store(tmp_path / "ex.db")
    ingest(store, [examples_dir])
    analyze(store, stages=("fingerprints", "republications"))
    g = build_graph(store)
    assert {c for c, o in _edges(g, "copies") if o == "harbour-courier-drones"} == {
        "northern-ledger-repost", "veloria-today-drones-repost", "daily-meridian-analysis"}
    articles = [n for n, d in g.nodes(data=True) if d["kind"] == "article"]
    assert len(articles) == store.count_articles() == 15
    published = {v for _, v, d in g.edges(data=True) if d["kind"] == "publishes"}
    known = {n for n in articles if g.nodes[n]["outlet"] or g.nodes[n]["url"]}
    assert published == known and len(known) >= 7  # outlet from metadata, else the URL's host
    assert _edges(g, "links_to") == set()  # the example pages cite nothing in their running text
    assert sources_summary(store, graph=g) == []  # no claims stage has run


def test_provenance_html_links_become_links_to_edges(tmp_path: Path) -> None:
    body = " ".join(["The ministry statement was published on Tuesday and described the seized cargo."] * 6)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "citing.html").write_text(
        "<html><head><title>Citing</title><link rel='canonical' href='https://news.example/a/1'></head><body>"
        f"<article><h1>Citing</h1><p>{body} As <a href='https://wire.example/report'>the wire reported</a>, "
        "more is expected. <a href='/authors/jo/'>Jo</a></p></article></body></html>", encoding="utf-8")
    store = Store(tmp_path / "l.db")
    ingest(store, [tmp_path / "in"])
    g = build_graph(store)
    assert _edges(g, "links_to") == {("citing", "url:https://wire.example/report")}
