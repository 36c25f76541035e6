"""The report's claims sections: sources, claims per article, claim groups, provenance graph."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from narratrace.model import Annotation, Article, Passage, RepublicationPair, article_id_for, content_hash
from narratrace.claims.report import ClaimsSection, segment_claims
from narratrace.report import build_report, render_html, render_json
from narratrace.sections import Limits
from narratrace.claims.groups import ClaimGroup, ClaimMember, GroupArticle
from narratrace.store import Store
from narratrace.claims.store import save_claim_groups

from scripts_check import check_scripts


def cv(report: object) -> ClaimsSection:
    """The report's claims section, or an empty one when the report has none."""
    view = report.view("claims")  # type: ignore[attr-defined]
    return view if view is not None else ClaimsSection(None, (), 0, (), 0, (), 0, None)


HOSTILE = "<script>alert(1)</script>"

WIRE = ("Russia's Foreign Intelligence Service (SVR) reportedly said that militants are trained at al-Tanf. "
        "The weather was fine. "
        f"A channel called {HOSTILE} claimed that the base is closed.")
DAILY = ("Militants are trained at al-Tanf for Ukraine. "
         "According to the SVR, 60 militants left the base last week.")
QUIET = "Nothing to see here, no claims at all."


def make_article(ref: str, text: str, **meta: str) -> Article:
    return Article(id=article_id_for(ref), ref=ref, text=text, content_hash=content_hash(text, **meta), **meta)


A = make_article("wire-tanf", WIRE, title="Militants at al-Tanf", outlet="Gulf Wire", published="2024-03-05")
B = make_article("daily-tanf", DAILY, title="Tanf", outlet=f"Daily {HOSTILE}", published="2024-03-07")
C = make_article("quiet", QUIET, title="Quiet", outlet="Gulf Wire", published="2024-03-08")


def span(text: str, sub: str, *, end_of: str | None = None) -> tuple[int, int]:
    start = text.index(sub)
    return start, (text.index(end_of, start) + len(end_of) if end_of else start + len(sub))


def claim(art: Article, first: str, last: str, *, source: str | None = None, canonical: str | None = None,
          kind: str = "government", cue: str | None = None, hedges: tuple[str, ...] = (),
          quote: str = "indirect", **extra: Any) -> Annotation:
    start, end = span(art.text, first, end_of=last)
    src = span(art.text, source) if source and source in art.text[start:end] else None
    cue_span = span(art.text[start:end], cue) if cue else None
    data: dict[str, Any] = {
        "id": f"c-{art.id[:10]}-{start}", "score": 0.9, "source": source,
        "source_canonical": canonical if source else None, "source_kind": kind if source else "none",
        "source_start": src[0] if src else None, "source_end": src[1] if src else None,
        "cue": cue, "cue_start": start + cue_span[0] if cue_span else None,
        "cue_end": start + cue_span[1] if cue_span else None,
        "quote": quote if source else "none", "hedges": list(hedges),
        "hedge_spans": [list(span(art.text, h)) for h in hedges], "carried": False,
        "entities": [], "numbers": [], "dates": []}
    data.update(extra)
    return Annotation("claim", start, end, None, data)


CLAIMS = {
    A.id: [
        claim(A, "Russia's Foreign", "al-Tanf.", source="Russia's Foreign Intelligence Service (SVR)",
              canonical="SVR", cue="said", hedges=("reportedly",)),
        claim(A, "A channel called", "is closed.", source=f"A channel called {HOSTILE}", kind="social_media",
              cue="claimed"),
    ],
    B.id: [
        claim(B, "Militants are trained", "for Ukraine."),
        claim(B, "According to the SVR", "last week.", source="the SVR", canonical="SVR", cue="According to"),
    ],
}


def group() -> ClaimGroup:
    a0, b0 = CLAIMS[A.id][0], CLAIMS[B.id][0]

    def member(art: Article, ann: Annotation, sim: float) -> ClaimMember:
        d = ann.data
        return ClaimMember(art.id, art.ref, art.outlet, art.published, d["id"], ann.start, ann.end,
                           art.text[ann.start:ann.end], d["source"], d["source_canonical"], d["source_kind"],
                           d["cue"], d["quote"], tuple(d["hedges"]), sim)

    return ClaimGroup(
        id="cg-1", label="Russia's Foreign Intelligence Service (SVR) reportedly said that militants are trained…",
        first_seen=A.id, first_claim=a0.data["id"], first_published=A.published,
        members=(member(A, a0, 1.0), member(B, b0, 0.83)),
        articles=(GroupArticle(A.id, A.ref, A.outlet, A.published, "SVR", ("SVR",), "attributed", (a0.data["id"],)),
                  GroupArticle(B.id, B.ref, B.outlet, B.published, "none", (), "fact", (b0.data["id"],))),
        attribution_conflict=True, cohesion=0.83, first_seen_how="date")


@pytest.fixture()
def store() -> Iterator[Store]:
    s = Store(":memory:")
    s.write_articles([A, B, C])
    s.save_stage_results("claims", "v1", [(A.id, A.content_hash, None, CLAIMS[A.id]),
                                          (B.id, B.content_hash, None, CLAIMS[B.id]),
                                          (C.id, C.content_hash, None, [])])
    s.save_republications("republications", "v1", pairs=[RepublicationPair(
        original=A.id, copy=B.id, similarity=0.5, copy_share=0.4, original_share=0.3,
        passages=(Passage(0, 10, 0, 10),), reason="earlier", evidence="date")], groups=[], compared=[])
    save_claim_groups(s, "claim_groups", "v1", groups=[group()], compared=[])
    yield s
    s.close()


@pytest.fixture()
def doc(store: Store) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(render_html(build_report(store)))


def ctext(doc: lxml.html.HtmlElement, art: Article) -> lxml.html.HtmlElement:
    (el,) = doc.xpath(f'//details[@id="claims-{art.id}"]//div[contains(@class, "ctext")]')
    return el


def segs(container: lxml.html.HtmlElement, attr: str | None = None, value: int | None = None) -> str:
    path = './/span[contains(concat(" ", @class, " "), " seg ")]'
    if attr:
        path += f'[@{attr}="{value}"]'
    return "".join(s.text_content() for s in container.xpath(path))


def label(container: lxml.html.HtmlElement, n: int) -> lxml.html.HtmlElement:
    (el,) = [x for x in container.xpath('.//span[contains(@class, "clabel")]')
             if x.xpath('./span[@class="cno"]')[0].text_content() == str(n)]
    return el


def test_report_claims_highlight_the_claim_text(doc: lxml.html.HtmlElement) -> None:
    for art in (A, B):
        text = ctext(doc, art)
        assert segs(text) == art.text  # nothing lost, nothing inserted into the article's text
        for n, ann in enumerate(CLAIMS[art.id], start=1):
            assert segs(text, "data-c", n) == art.text[ann.start:ann.end]
        # text outside claims is not highlighted
        outside = [s.text_content() for s in text.xpath('.//span[contains(@class, "seg")][not(@data-c)]')]
        assert "".join(outside).strip() == ("The weather was fine." if art is A else "")
    # the article without claims gets no claims view
    assert not doc.xpath(f'//details[@id="claims-{C.id}"]')


def test_report_claims_label_source_kind_cue_quote(doc: lxml.html.HtmlElement) -> None:
    text = ctext(doc, A)
    first = label(text, 1)
    assert first.xpath('.//a[@class="csrc"]')[0].text_content() == "SVR"  # canonical, linked to its source row
    words = first.text_content()
    assert "government body" in words and "“said”" in words and "indirect quote" in words
    assert "hedged: reportedly" in words
    assert "as written “Russia's Foreign Intelligence Service (SVR)”" in words
    assert "claim group" in words
    # the source span is highlighted as such, inside the claim
    assert segs(text, "data-src", 1) == "Russia's Foreign Intelligence Service (SVR)"
    assert segs(text, "data-cue", 1) == "said"
    for el in text.xpath('.//span[@data-src="1"]'):
        assert {"claim", "attr", "src"} <= set(el.get("class").split())
    # a claim without a source says so
    unattributed = label(ctext(doc, B), 1)
    assert "unattributed" in unattributed.text_content()
    assert "unattr" in unattributed.get("class").split()
    assert all("unattr" in s.get("class").split() for s in ctext(doc, B).xpath('.//span[@data-c="1"]'))


def test_report_claims_mark_hedges(doc: lxml.html.HtmlElement) -> None:
    text = ctext(doc, A)
    assert segs(text, "data-hedge", 1) == "reportedly"
    (hedge,) = text.xpath('.//span[@data-hedge]')
    assert "hedge" in hedge.get("class").split()
    assert not ctext(doc, B).xpath('.//span[@data-hedge]')


def test_report_claims_escape_hostile_text(store: Store) -> None:
    html = render_html(build_report(store))
    assert "<script>alert(1)" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//img | //iframe | //object | //embed | //foreignObject")
    check_scripts(html)  # only the pictures' own drawing code and their JSON data
    assert not [e for e in doc.iter() if any(k.startswith("on") for k in e.attrib)]
    # the hostile source is shown as text: in the claim label, the sources table and the graph
    assert f"A channel called {HOSTILE}" in label(ctext(doc, A), 2).text_content()
    assert any(HOSTILE in r.text_content() for r in doc.xpath('//section[@id="sources"]//tbody/tr'))
    assert any(HOSTILE in t.text_content() for t in doc.xpath('//svg[contains(@class, "graph")]//title'))
    assert segs(ctext(doc, A), "data-c", 2) == WIRE[CLAIMS[A.id][1].start:CLAIMS[A.id][1].end]


def test_report_claims_links_resolve(doc: lxml.html.HtmlElement) -> None:
    ids = set(doc.xpath("//@id"))
    hrefs = doc.xpath("//a/@href")
    assert hrefs and all(h.startswith("#") for h in hrefs)
    assert {h[1:] for h in hrefs} <= ids
    nav = [a.text_content() for a in doc.xpath("//header//nav/a")]
    assert "Sources (2)" in nav and "Claims (4)" in nav and "Claim groups (1)" in nav and "Provenance graph" in nav


def test_report_sources_table(store: Store, doc: lxml.html.HtmlElement) -> None:
    rows = doc.xpath('//section[@id="sources"]//tbody/tr')
    cells = [[c.text_content().strip() for c in r.xpath("./td")] for r in rows]
    assert rows[0].xpath("./td[1]/b")[0].text_content() == "SVR"  # most claims first
    svr = cells[0]
    assert svr[1:4] == ["government body", "2", "2"]
    assert "Gulf Wire" in svr[4] and f"Daily {HOSTILE}" in svr[4]
    assert "as written" in svr[0] and "the SVR" in svr[0]
    # each citing article links to its first claim citing the source
    links = rows[0].xpath("./td[6]//a/@href")
    assert links == [f"#claim-{A.id}-1", f"#claim-{B.id}-2"]
    report = build_report(store)
    assert [(s.source, s.claims, s.articles) for s in cv(report).sources] == [
        ("SVR", 2, 2), (f"A channel called {HOSTILE}", 1, 1)]


def test_report_claim_groups_timeline_and_conflict(doc: lxml.html.HtmlElement) -> None:
    (g,) = doc.xpath('//section[@id="claim-groups"]//article')
    assert "conflict" in g.get("class").split()
    (index,) = doc.xpath('//p[@class="conflict-index"]')
    assert index.xpath(".//a/@href") == [f"#{g.get('id')}"]
    box = " ".join(g.xpath('.//p[@class="conflict-box"]')[0].text_content().split())
    assert "Gulf Wire attributes this to SVR" in box
    assert f"Daily {HOSTILE} states it as fact" in box
    assert "wire-tanf" in g.xpath('.//p[@class="first-line"]')[0].text_content()
    rows = g.xpath('.//table[@class="appearances"]/tbody/tr')
    got = [[" ".join(c.text_content().split()) for c in r.xpath("./td")] for r in rows]
    assert got[0][0].startswith("2024-03-05") and got[0][1] == "Gulf Wire first"
    assert got[0][3] == "attributed SVR" and got[1][3] == "stated as fact"
    assert rows[0].xpath(".//a/@href")[0] == f"#claims-{A.id}"
    dots = g.xpath('.//svg[contains(@class, "timeline")]//circle')
    assert [d.get("class") for d in dots] == ["dot st-attributed", "dot st-fact"]
    assert float(dots[0].get("cx")) < float(dots[1].get("cx"))


def test_report_provenance_graph(store: Store, doc: lxml.html.HtmlElement) -> None:
    (svg,) = doc.xpath('//section[@id="provenance"]//svg')
    kinds = [g.get("class") for g in svg.xpath('.//g[contains(@class, "node")]')]
    assert sorted(kinds) == sorted(["node n-outlet"] * 2 + ["node n-article"] * 3 + ["node n-source"] * 2)
    edges = [p.get("class") for p in svg.xpath('.//path[contains(@class, "edge")]')]
    assert edges.count("edge e-cites") == 3 and edges.count("edge e-copies") == 1
    counts = {r.xpath("./td")[0].text_content().strip(): r.xpath("./td")[2].text_content()
              for r in doc.xpath('//table[@class="edgecounts"]/tbody/tr')}
    assert counts["cites"] == "3" and counts["copies"] == "1" and counts["publishes"] == "3"
    # capped: only the best-connected nodes are drawn, and the page says so
    report = build_report(store, limits=Limits(graph_nodes=3))
    assert cv(report).graph is not None and len(cv(report).graph.nodes) == 3 and cv(report).graph.nodes_not_shown == 4
    assert "The 3 best-connected of 7 nodes are drawn." in render_html(report)


def test_report_claims_sections_absent_without_claims() -> None:
    with Store(":memory:") as s:
        s.write_articles([A, B, C])
        report = build_report(s)
        html = render_html(report)
    assert cv(report).claims is None and cv(report).sources == () and cv(report).claim_articles == ()
    assert cv(report).claim_groups == () and cv(report).graph is None
    doc = lxml.html.fromstring(html)
    for section in ("sources", "claims", "claim-groups", "provenance"):
        assert not doc.xpath(f'//*[@id="{section}"]')
        assert not doc.xpath(f'//a[@href="#{section}"]')
    for spread in doc.xpath('//section[@id="spread"]'):  # the spread graph's legend names cited sources too
        spread.drop_tree()
    assert "cited sources" not in lxml.html.tostring(doc, encoding=str)


def test_report_claims_without_groups_or_sources(store: Store) -> None:
    """Claims but no claim groups and no attributed claim: only the claims per article."""
    with Store(":memory:") as s:
        s.write_articles([B])
        s.save_stage_results("claims", "v1", [(B.id, B.content_hash, None, CLAIMS[B.id][:1])])
        report = build_report(s)
    assert cv(report).claims is not None and cv(report).claims.claims == 1 and cv(report).claims.attributed == 0
    assert len(cv(report).claim_articles) == 1 and cv(report).sources == () and cv(report).claim_groups == ()
    assert cv(report).graph is None  # nothing but "publishes" edges: no drawing
    doc = lxml.html.fromstring(render_html(report))
    assert doc.xpath('//section[@id="claims"]') and not doc.xpath('//section[@id="sources"]')


def test_report_claims_caps(store: Store) -> None:
    report = build_report(store, limits=Limits(claim_articles=1, claim_chars=60, claim_groups=0, sources=1))
    (view,) = cv(report).claim_articles
    assert view.article.id == A.id and cv(report).claim_articles_not_shown == 1
    assert "".join(s.text for s in view.segments) == WIRE[:60]
    assert view.chars_not_shown == len(WIRE) - 60 and view.claims_not_shown == 1
    assert len(cv(report).sources) == 1 and cv(report).sources_not_shown == 1
    assert cv(report).claim_groups == () and cv(report).claim_groups_not_shown == 1
    html = render_html(report)
    assert "1 more articles with claims not shown" in html
    assert "with 1 more claims not shown" in html
    assert "1 more sources not shown" in html
    assert "1 more claim groups not shown" in html
    # a citing article whose claims are not shown is listed without a link
    (svr,) = cv(report).sources
    assert [(c.article.ref, c.link) for c in svr.cited_in] == [("wire-tanf", f"claim-{A.id}-1"), ("daily-tanf", None)]


def test_report_claims_survive_malformed_data() -> None:
    bad = [Annotation("claim", 0, 10, None, {"source": 5, "source_kind": ["x"], "hedges": "reportedly",
                                             "hedge_spans": [[3, "x"], [1], "y", [2, 1]], "source_start": "0",
                                             "source_end": 4, "score": "high", "quote": None}),
           Annotation("claim", 30, 500, None, {"id": '"><b>x</b>', "source": f"{HOSTILE}", "source_kind": "person",
                                               "cue_start": True, "cue_end": 3})]
    with Store(":memory:") as s:
        s.write_articles([A])
        s.save_stage_results("claims", "v1", [(A.id, A.content_hash, None, bad)])
        report = build_report(s)
    (view,) = cv(report).claim_articles
    assert [(c.source_name, c.source_kind, c.hedges, c.score) for c in view.claims] == [
        ("5", "organisation", (), None), (HOSTILE, "person", (), None)]
    assert "".join(seg.text for seg in view.segments) == WIRE
    assert view.claims[1].anchor == f"claim-{A.id}-2"  # anchors never come from stored data
    html = render_html(report)
    assert "<script>alert" not in html.lower() and "<b>x" not in html
    check_scripts(html)


def test_report_claims_json_twin(store: Store) -> None:
    data = json.loads(json.dumps(render_json(build_report(store))))
    assert data["claims"]["claims"]["claims"] == 4 and data["claims"]["claims"]["attributed"] == 3 and data["claims"]["claims"]["conflicts"] == 1
    assert data["claims"]["sources"][0]["source"] == "SVR"
    (wire, daily) = data["claims"]["claim_articles"]
    assert "".join(s["text"] for s in wire["segments"]) == WIRE
    assert wire["claims"][0]["source_name"] == "SVR" and wire["claims"][0]["hedges"] == ["reportedly"]
    assert data["claims"]["claim_groups"][0]["conflict"] is True
    assert {e["kind"]: e["count"] for e in data["claims"]["graph"]["edge_counts"]}["cites"] == 3


def test_report_segment_claims_clips_and_overlaps() -> None:
    text = "abcdefghij"
    out = segment_claims(text, [(1, 6, 1, True), (4, 99, 2, False), (7, 7, 3, False)],
                         [(2, 3, "source", 1), (5, 8, "hedge", 2), (-3, 1, "cue", 1), (9, 4, "source", 2)])
    assert "".join(s.text for s in out) == text
    got = [(s.text, s.claim, s.attributed, s.source, s.cue, s.hedge, s.opens) for s in out]
    assert got == [
        ("a", None, False, None, 1, None, ()),
        ("b", 1, True, None, None, None, (1,)),
        ("c", 1, True, 1, None, None, ()),
        ("d", 1, True, None, None, None, ()),
        ("e", 1, True, None, None, None, (2,)),  # overlapping claims: the first listed covers, both labels show
        ("f", 1, True, None, None, 2, ()),
        ("gh", 2, False, None, None, 2, ()),
        ("ij", 2, False, None, None, None, ()),
    ]
    assert [s.css for s in out[:3]] == ["seg cue", "seg claim attr", "seg claim attr src"]
    assert segment_claims("", [(0, 3, 1, True)]) == []


def test_report_claim_group_says_how_many_articles_are_undated(tmp_path: Path) -> None:
    g = group()
    g = dataclasses.replace(g, articles=(g.articles[0], dataclasses.replace(g.articles[1], published=None)))
    with Store(tmp_path / "undated.db") as s:
        s.write_articles([A, dataclasses.replace(B, published=None), C])
        s.save_stage_results("claims", "v1", [(A.id, A.content_hash, None, CLAIMS[A.id]),
                                              (B.id, B.content_hash, None, CLAIMS[B.id])])
        save_claim_groups(s, "claim_groups", "v1", groups=[g], compared=[])
        report = build_report(s)
    (view,) = cv(report).claim_groups
    assert view.undated == 1 and view.timeline is None  # one date: no time axis, but it says why
    doc = lxml.html.fromstring(render_html(report))
    text = " ".join(doc.xpath('string(//section[@id="claim-groups"])').split())
    assert "1 of 2 articles undated: no time axis." in text
    from fastapi.testclient import TestClient

    from narratrace.web import create_app

    with TestClient(create_app(str(tmp_path / "undated.db"))) as client:
        page = lxml.html.fromstring(client.get("/claim-groups/cg-1").text)
    assert "1 of 2 articles undated." in " ".join(page.xpath('string(//section[@id="timeline"])').split())
