"""The spread graph over time: components, every link of each, dates and undated articles, the report section."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from claimkit import add, article, claim
from narratrace.model import Passage, RepublicationPair
from narratrace.provenance.spread import safe_url, spread_components, spread_view
from narratrace.report import build_report, render_html
from narratrace.store import Store

from scripts_check import check_scripts

ORIG = ("The Foreign Intelligence Service of Russia (SVR RF) warned that ISIS fighters are sent to Ukraine. "
        "Igor Konashenkov said that 200 mercenaries arrived last week.")
COPY = "By The Cradle. The SVR said ISIS fighters are sent to Ukraine from Syria. The Cradle reported that US forces moved."
AGAIN = "Republished. The SVR said ISIS fighters are sent to Ukraine from Syria, a blog repeats without a date."
CHANNEL = "A Telegram channel claimed that NATO officers arrived in Iraq on March 9."
HOSTILE = "<img src=x onerror=alert(1)>"


def _pair(original: str, copy: str, share: float, evidence: str = "date") -> RepublicationPair:
    return RepublicationPair(original=original, copy=copy, similarity=share, copy_share=share, original_share=share,
                             passages=(Passage(0, 10, 0, 10),), reason="test", evidence=evidence)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "spread.db")
    orig = article("orig", ORIG, outlet="The Cradle", url="https://thecradle.co/a1", published="2022-03-05")
    copy = article("copy", COPY, outlet="Global Research", url="https://globalresearch.ca/a2", published="2022-03-06",
                   meta={"links": ["https://www.thecradle.co/a1/"]})
    again = article("again", AGAIN, outlet=f"Blog {HOSTILE}", url="javascript:alert(1)")  # no date
    channel = article("channel", CHANNEL, url="https://www.southfront.org/x", published="2022-03-09")
    bare = article("bare", "Nothing is cited here at all, not one source.")
    svr = dict(canonical="SVR", kind="government")
    add(s, orig, [claim(orig, "The Foreign Intelligence", to="sent to Ukraine.", cue="warned",
                        source="The Foreign Intelligence Service of Russia (SVR RF)", **svr),
                  claim(orig, "Igor Konashenkov said", to="last week.", source="Igor Konashenkov", kind="person",
                        cue="said")])
    add(s, copy, [claim(copy, "The SVR said", to="from Syria.", source="The SVR", cue="said", **svr),
                  claim(copy, "The Cradle reported", to="moved.", source="The Cradle", kind="media", cue="reported")])
    add(s, again, [])
    add(s, channel, [claim(channel, "A Telegram channel claimed", to="March 9.", source="A Telegram channel",
                           kind="social_media", cue="claimed")])
    add(s, bare, [])
    s.save_republications("republications", "test", pairs=[_pair(orig.id, copy.id, 0.7, "credit"),
                                                            _pair(copy.id, again.id, 0.4)], groups=[], compared=[])
    yield s
    s.close()


def _ids(store: Store) -> dict[str, str]:
    return {f"article:{row['id']}": row["ref"] for row in store.article_index()}


def test_provenance_spread_components_hold_every_link_largest_first(store: Store) -> None:
    comps = spread_components(store)
    assert [c.index for c in comps] == [1, 2, 3]
    refs = _ids(store)
    name = {**refs, **{n.key: n.label for c in comps for n in c.nodes if n.kind == "source"}}
    first = comps[0]
    assert {refs[n.key] for n in first.nodes if n.kind == "article"} == {"orig", "copy", "again"}
    edges = {(e.kind, name[e.source], name[e.target], e.share) for e in first.edges}
    assert edges == {("copies", "orig", "copy", 0.7), ("copies", "copy", "again", 0.4),   # original -> copy
                     ("links", "orig", "copy", None),                                      # linked -> linking
                     ("cites", "SVR", "orig", None), ("cites", "Igor Konashenkov", "orig", None),
                     ("cites", "SVR", "copy", None), ("cites", "The Cradle", "copy", None)}
    assert first.sources == 3 and first.articles == 3 and first.dated == 2 and first.undated == 1
    dates = {n.ref: n.date for n in first.nodes if n.kind == "article"}
    assert dates == {"orig": "2022-03-05", "copy": "2022-03-06", "again": None}  # undated stays undated
    # then the single articles: the one with a citation before the one with nothing
    assert [[n.ref for n in c.nodes if n.kind == "article"] for c in comps[1:]] == [["channel"], ["bare"]]
    assert [(e.kind, name[e.source]) for e in comps[1].edges] == [("cites", "A Telegram channel")]
    assert comps[2].edges == ()


def test_provenance_spread_links_only_safe_urls(store: Store) -> None:
    (first, *_) = spread_components(store)
    hrefs = {n.ref: n.href for n in first.nodes if n.kind == "article"}
    assert hrefs == {"orig": "https://thecradle.co/a1", "copy": "https://globalresearch.ca/a2", "again": None}
    assert safe_url("javascript:alert(1)") is None and safe_url('https://x.org/"><b>') is None
    custom = spread_components(store, href=lambda a: "/articles/" + a["ref"])
    assert {n.href for n in custom[0].nodes if n.kind == "article"} == {"/articles/orig", "/articles/copy",
                                                                          "/articles/again"}


def test_provenance_spread_view_is_a_window_of_the_components(store: Store) -> None:
    view = spread_view(store, offset=1, limit=1)
    assert view.total == 3 and view.multi == 1 and view.copies == 2 and view.offset == 1
    assert [c.index for c in view.components] == [2]
    data = view.to_dict()
    assert data["shown"] == 1 and data["components"][0]["links"] == {"copies": 0, "links": 0, "cites": 1}
    assert spread_view(store, offset=5, limit=3).components == ()


def test_provenance_spread_report_section_is_self_contained(store: Store) -> None:
    html = render_html(build_report(store))
    doc = lxml.html.fromstring(html)
    (section,) = doc.xpath('//section[@id="spread"]')
    assert doc.xpath('//nav/a[@href="#spread"]')
    assert "3 components (1 of more than one article, 2 copy links in all)" in " ".join(section.text_content().split())
    data_blocks = check_scripts(html)  # the drawing code inline, the data as JSON; no script from anywhere
    assert not doc.xpath("//script[@src] | //link[@href]")
    (block,) = [b for b in data_blocks if b.get("id") == "nt-spread-report-data"]
    data = json.loads(block.text)
    assert data == json.loads(json.dumps(spread_view(store, limit=30).to_dict()))
    assert sum(len(c["edges"]) for c in data["components"]) == 8
    # hostile text is data, escaped for the script element, never markup
    assert HOSTILE not in html and "Blog \\u003cimg src=x onerror=alert(1)\\u003e" in html
    assert section.xpath('.//script[not(@type)]') and doc.xpath('//div[@class="nt-spread"][@data-source]')


def test_provenance_spread_empty_corpus_has_no_section(tmp_path: Path) -> None:
    with Store(tmp_path / "empty.db") as s:
        report = build_report(s)
        assert report.view("provenance") is None
        assert 'id="spread"' not in render_html(report)
        assert spread_components(s) == []
