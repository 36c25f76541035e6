"""The HTML report: what it shows, that highlights cover the right text, that it is safe and self-contained."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest

from narratrace.model import (Annotation, Article, Edit, Passage, RepublicationGroup, RepublicationPair,
                              Skipped, Span, article_id_for, content_hash)
from narratrace.report import build_report, render_html, render_json
from narratrace.republications.report import segment_text
from narratrace.sections import Limits
from narratrace.store import Store

from scripts_check import check_scripts

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(1)>"

ORIGINAL = ("Heavy rain flooded the lower town on Tuesday night, forcing two hundred residents from their homes.\n\n"
            "The mayor said shelters had been opened at the sports hall. "
            "\"We expect the water to recede by Thursday,\" she said.\n\n"
            "Engineers are inspecting the dam.")
COPY = ("EXCLUSIVE via our partners.\n\n"
        "Heavy rain flooded the lower town on Tuesday night, forcing nearly 200 residents from their homes.\n\n"
        "The mayor said shelters had been opened at the sports hall. "
        "Volunteers brought blankets. "
        "\"We expect the water to recede by Thursday,\" she said.\n\n"
        "Engineers are inspecting the dam.\n\n"
        f"Subscribe for more {HOSTILE} news.")


def make_article(ref: str, text: str, **meta: str) -> Article:
    return Article(id=article_id_for(ref), ref=ref, text=text, content_hash=content_hash(text, **meta), **meta)


def span_of(text: str, sub: str, *, end_of: str | None = None) -> tuple[int, int]:
    start = text.index(sub)
    end = text.index(end_of, start) + len(end_of) if end_of else start + len(sub)
    return start, end


ORIG = make_article("herald-flood", ORIGINAL, title="Floods force 200 from homes", outlet="Valley Herald",
                    published="2024-03-05", published_how="html:meta", language="en",
                    url="https://valleyherald.example/flood")
COPIED = make_article("daily-flood", COPY, title=f"Flood {HOSTILE} chaos", outlet=f"Daily {HOSTILE}",
                      published="2024-03-07", published_how="text:date-line", language="en",
                      url="javascript:alert(1)")
OTHER = make_article("wire-markets", "Markets were calm.", title="Markets", outlet="Wire",
                     published="2024-03-07T09:00:00+00:00", language="de")

PASSAGES = (
    Passage(*span_of(ORIGINAL, "Heavy rain", end_of="homes."), *span_of(COPY, "Heavy rain", end_of="homes.")),
    Passage(*span_of(ORIGINAL, "The mayor said", end_of="hall. "), *span_of(COPY, "The mayor said", end_of="hall. ")),
    Passage(*span_of(ORIGINAL, "\"We expect", end_of="the dam."), *span_of(COPY, "\"We expect", end_of="the dam.")),
)
ADDITIONS = (
    Annotation("republication.added", *span_of(COPY, "EXCLUSIVE via our partners."), label="preamble"),
    Annotation("republication.added", *span_of(COPY, "Volunteers brought blankets. "), label="insertion"),
    Annotation("republication.added", COPY.index("Subscribe"), len(COPY), label="footer"),
)
EDITS = (Edit(*span_of(ORIGINAL, "two hundred"), *span_of(COPY, "nearly 200")),)
REASON = "earliest publication date: 2024-03-05 (from html meta)"


@pytest.fixture()
def store() -> Iterator[Store]:
    s = Store(":memory:")
    s.write_articles([ORIG, COPIED, OTHER], skips=[Skipped("inbox/bad.html", f"no text {HOSTILE}", "NT201")])
    pair = RepublicationPair(original=ORIG.id, copy=COPIED.id, similarity=0.82, copy_share=0.71,
                             original_share=0.97, passages=PASSAGES, additions=ADDITIONS, edits=EDITS,
                             edited_sentences=(Span(PASSAGES[0].copy_start, PASSAGES[0].copy_end),),
                             reason="published two days earlier", evidence="date")
    s.save_republications("republications", "v1", pairs=[pair],
                          groups=[RepublicationGroup(1, ORIG.id, (ORIG.id, COPIED.id), REASON)], compared=[])
    yield s
    s.close()


@pytest.fixture()
def html(store: Store) -> str:
    return render_html(build_report(store, title="Test report"))


def side(doc: lxml.html.HtmlElement, pair: int, role: str) -> lxml.html.HtmlElement:
    (el,) = doc.xpath(f'//details[@id="pair-{pair}"]//div[contains(@class, "side-{role}")]//div[@class="text"]')
    return el


def seg_text(container: lxml.html.HtmlElement, attr: str | None = None, value: str | None = None) -> str:
    path = './/span[contains(concat(" ", @class, " "), " seg ")]'
    if attr:
        path += f'[@{attr}="{value}"]'
    return "".join(s.text_content() for s in container.xpath(path))


def test_report_marks_original_with_reason(html: str) -> None:
    doc = lxml.html.fromstring(html)
    (group,) = doc.xpath('//article[@id="group-1"]')
    (line,) = group.xpath('.//p[@class="original-line"]')
    assert line.xpath('.//span[@class="badge original"]')[0].text_content() == "original"
    assert line.xpath('.//code[@class="ref"]')[0].text_content() == "herald-flood"
    assert REASON in group.text_content()
    # the copy is listed with its evidence, not as an original
    (row,) = group.xpath(".//table[@class='members']/tbody/tr")
    cells = [c.text_content().strip() for c in row.xpath("./td")]
    assert cells[0] == "copy"
    assert "daily-flood" in cells[1]
    assert cells[2:4] == ["82%", "71%"]
    assert "preamble" in cells[4] and "insertion" in cells[4] and "footer" in cells[4]
    assert cells[5] == "1"
    assert row.xpath('.//a/@href') == ["#pair-1"]


def test_report_passages_highlight_the_shared_text(html: str) -> None:
    doc = lxml.html.fromstring(html)
    left, right = side(doc, 1, "original"), side(doc, 1, "copy")
    # every character is in exactly one segment, in order: nothing lost, nothing inserted
    assert seg_text(left) == ORIGINAL
    assert seg_text(right) == COPY
    for n, p in enumerate(PASSAGES, start=1):
        assert seg_text(left, "data-p", str(n)) == ORIGINAL[p.original_start:p.original_end]
        assert seg_text(right, "data-p", str(n)) == COPY[p.copy_start:p.copy_end]
        # the passage number is shown once on each side, so the reader can match them
        for container in (left, right):
            assert [m.text_content() for m in container.xpath('.//span[@class="pno"]')].count(str(n)) == 1
    # text outside passages is not highlighted as shared
    assert "EXCLUSIVE" not in seg_text(right, "data-p", "1")


def test_report_additions_are_marked_and_labelled(html: str) -> None:
    doc = lxml.html.fromstring(html)
    right = side(doc, 1, "copy")
    for a in ADDITIONS:
        assert seg_text(right, "data-a", a.label) == COPY[a.start:a.end]
    labels = [t.text_content() for t in right.xpath('.//span[@class="atag"]')]
    assert labels == ["preamble", "insertion", "footer"]
    assert not side(doc, 1, "original").xpath('.//span[@data-a]')


def test_report_edits_are_marked_on_both_sides(html: str) -> None:
    doc = lxml.html.fromstring(html)
    assert seg_text(side(doc, 1, "original"), "data-e", "1") == "two hundred"
    assert seg_text(side(doc, 1, "copy"), "data-e", "1") == "nearly 200"
    # an edit inside a passage is both: still shared, and changed
    (seg,) = side(doc, 1, "copy").xpath('.//span[@data-e="1"]')
    assert seg.get("class").split() == ["seg", "p", "e"]


def test_report_escapes_hostile_text(html: str) -> None:
    assert "<script>alert(1)" not in html.lower() and "alert(1)</script>" not in html.lower()
    assert "<img" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//img | //iframe | //object | //embed")
    check_scripts(html)  # only the pictures' own drawing code and their JSON data
    assert not [e for e in doc.iter() if any(k.startswith("on") for k in e.attrib)]
    # a javascript: URL is shown as text, never as a link
    assert not [h for h in doc.xpath("//a/@href") if "javascript" in h.lower()]
    assert "javascript:alert(1)" in doc.text_content()
    # hostile text survives as text: the copy side reads exactly as the article
    assert seg_text(side(doc, 1, "copy")) == COPY


def test_report_has_no_external_resources(html: str) -> None:
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//link | //img | //iframe | //@src | //@srcset")
    check_scripts(html)  # inline drawing code and JSON data, nothing loaded
    style = " ".join(doc.xpath("//style/text()"))
    assert "url(" not in style and "@import" not in style
    links = [h for h in doc.xpath("//a/@href")]
    assert all(h.startswith("#") or h == ORIG.url for h in links), links
    # the only absolute URLs left are article URLs shown to the reader
    # (and the SVG namespace the drawing code names, which is not fetched)
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) - {"http://www.w3.org/2000/svg"} == {ORIG.url}


def test_report_overview_counts(store: Store) -> None:
    report = build_report(store)
    o = report.overview
    assert (o.articles, o.outlets, o.languages, o.pairs, o.groups, o.skipped) == (3, 3, 2, 1, 1, 1)
    assert (o.date_from, o.date_to, o.date_unit) == ("2024-03-05", "2024-03-07", "day")
    # a day without articles is still a bar, so the timeline is not distorted
    assert [(c.key, c.count) for c in o.by_date] == [("2024-03-05", 1), ("2024-03-06", 0), ("2024-03-07", 2)]
    assert len(o.chart) == 3 and o.chart_max == 2
    assert {c.key: c.count for c in o.by_outlet} == {"Valley Herald": 1, f"Daily {HOSTILE}": 1, "Wire": 1}
    html = render_html(report)
    doc = lxml.html.fromstring(html)
    assert len(doc.xpath("//svg//rect")) == 3
    rows = [[c.text_content().strip() for c in tr.xpath("./td")] for tr in doc.xpath('//section[@id="articles"]//tbody/tr')]
    assert rows[0] == ["herald-flood", "Floods force 200 from homes", "Valley Herald", "2024-03-05 (html:meta)",
                       "en", str(len(ORIGINAL))]
    skipped = doc.xpath('//section[@id="skipped"]//tbody/tr')[0].text_content()
    assert "inbox/bad.html" in skipped and "NT201" in skipped


def test_report_empty_corpus_renders(tmp_path: Path) -> None:
    with Store(tmp_path / "r.db") as empty:
        report = build_report(empty)
    html = render_html(report)
    assert report.overview.articles == 0 and report.view("republications").pairs == () and report.view("republications").groups == ()
    doc = lxml.html.fromstring(html)
    assert doc.xpath("//title")[0].text_content() == "narratrace report"
    assert "The corpus is empty." in html
    assert "No republication found." in html
    assert not doc.xpath("//svg")
    json.dumps(render_json(report))


def test_report_json_twin(store: Store) -> None:
    data = json.loads(json.dumps(render_json(build_report(store))))
    assert data["republications"]["groups"][0]["original"]["ref"] == "herald-flood"
    assert data["republications"]["groups"][0]["reason"] == REASON
    (pair,) = data["republications"]["pairs"]
    assert (pair["original"]["ref"], pair["copy"]["ref"]) == ("herald-flood", "daily-flood")
    assert "".join(s["text"] for s in pair["right"]["segments"]) == COPY


def test_report_caps_large_corpora() -> None:
    with Store(":memory:") as s:
        arts = [make_article(f"a{i}", f"Story number {i} about the weather today.", outlet=f"o{i % 7}",
                             published=f"2024-0{1 + i % 9}-1{i % 10}") for i in range(30)]
        s.write_articles(arts)
        pairs = [RepublicationPair(original=arts[0].id, copy=a.id, similarity=0.9, copy_share=0.8,
                                   original_share=0.8, passages=(Passage(0, 12, 0, 12),)) for a in arts[1:6]]
        s.save_republications("republications", "v1", pairs=pairs, compared=[],
                              groups=[RepublicationGroup(1, arts[0].id, tuple(a.id for a in arts[:6]), "first")])
        limits = Limits(articles=10, pair_views=2, members=3, side_chars=8, outlets=3)
        report = build_report(s, limits=limits)
    assert len(report.articles) == 10 and report.articles_not_shown == 20
    assert len(report.view("republications").pairs) == 2 and report.view("republications").pairs_not_shown == 3
    assert len(report.view("republications").groups[0].members) == 3 and report.view("republications").groups[0].members_not_shown == 2
    assert report.view("republications").pairs[0].left is not None and report.view("republications").pairs[0].left.chars_not_shown > 0
    assert "".join(x.text for x in report.view("republications").pairs[0].left.segments) == arts[0].text[:8]
    assert report.overview.date_unit == "month"
    assert len(report.overview.by_outlet) == 3 and report.overview.outlets_not_shown == 4
    html = render_html(report)
    assert "20 more not shown" in html
    assert "3 more pairs not shown" in html
    assert "2 more copies not shown" in html
    assert "more characters not shown" in html


def test_report_segment_text_clips_and_marks_points() -> None:
    text = "abcdefghij"
    segs = segment_text(text, [(2, 5, "passage", 1), (4, 99, "addition", "footer"), (7, 7, "edit", 1),
                               (6, 3, "passage", 2), (-4, 1, "edit", 2)])
    assert "".join(s.text for s in segs) == text
    got = [(s.text, s.passage, s.addition, s.edit, [m.kind for m in s.markers]) for s in segs]
    assert got == [
        ("a", None, None, 2, []),
        ("b", None, None, None, []),
        ("cd", 1, None, None, ["passage"]),
        ("e", 1, "footer", None, ["addition"]),
        ("fg", None, "footer", None, []),
        ("hij", None, "footer", None, ["edit-point"]),
    ]
    assert segment_text("", []) == []
    # an edit point at the very end of the text still shows
    (end,) = segment_text("ab", [(2, 2, "edit", 1)])[1:]
    assert (end.text, [m.kind for m in end.markers]) == ("", ["edit-point"])


@pytest.mark.parametrize("days", [2, 5, 9, 31, 92])
def test_report_day_labels_do_not_overlap(days: int) -> None:
    """Five days' labels ("2025-04-03", 11px, about 65px wide) were drawn under 60px bars, into each other."""
    from datetime import date, timedelta

    from narratrace.report import Count, _chart

    counts = [Count((date(2025, 4, 2) + timedelta(d)).isoformat(), d % 3 + 1) for d in range(days)]
    bars, _ = _chart(counts, 900, 160)
    centres = [b.x + b.width / 2 for b in bars if b.tick]
    assert centres[0] == bars[0].x + bars[0].width / 2 and bars[-1].tick  # the first and last days are labelled
    assert all(b - a >= 6.5 * 10 for a, b in zip(centres, centres[1:])), centres
