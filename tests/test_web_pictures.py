"""The pictures in a real browser: the spread graph (/provenance), the story map (/stories/map), and the report's.

They draw what their page embeds (every link of a component, every point), their filters redraw,
and hostile titles and outlets stay text. Same set-up as tests/test_web_browser.py (Debian's
chromium driven by playwright, uvicorn on loopback, the web store with hostile articles).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from narratrace.report import build_report, render_html
from narratrace.store import Store

from test_web_api import HOSTILE_COPY, HOSTILE_OUTLET, IMG, NARRATIVE_REF, SCRIPT
from test_web_browser import Watched, base_url, browser, sqlite_db, tab  # noqa: F401  (fixtures)


def _data(tab: Watched, block: str) -> Any:
    return json.loads(tab.page.locator(f"script#{block}").text_content() or "null")


def _drawn(tab: Watched, kind: str | None = None) -> int:
    return tab.page.locator("svg.nt-spread-svg path.nt-link" + (f".nt-{kind}" if kind else "")).count()


def _only_our_scripts(tab: Watched, src: str) -> None:
    scripts = tab.page.locator("script")
    found = [(scripts.nth(i).get_attribute("type"), scripts.nth(i).get_attribute("src")) for i in range(scripts.count())]
    assert sorted(found, key=str) == sorted([("application/json", None), (None, src)], key=str), found


def _expected_with_outlet(comp: dict[str, Any], outlet: str) -> int:
    """The links the outlet filter keeps: those touching an article of that outlet."""
    nodes = {n["key"]: n for n in comp["nodes"]}

    def of(key: str) -> bool:
        return nodes[key]["kind"] == "article" and nodes[key]["outlet"] == outlet
    return sum(1 for e in comp["edges"] if of(e["source"]) or of(e["target"]))


def _expected_in_story(comp: dict[str, Any], story: str) -> int:
    """The links the story filter keeps: those whose articles are all in the story."""
    nodes = {n["key"]: n for n in comp["nodes"]}

    def ok(key: str) -> bool:
        return nodes[key]["kind"] != "article" or story in nodes[key]["stories"]
    return sum(1 for e in comp["edges"] if ok(e["source"]) and ok(e["target"]))


def test_web_pictures_spread_draws_every_link_and_filters_redraw(tab: Watched, base_url: str) -> None:  # noqa: F811
    page = tab.page
    page.goto(base_url + "/provenance")
    page.wait_for_selector("svg.nt-spread-svg")
    data = _data(tab, "nt-spread-data")
    comp = data["components"][0]
    counts = {k: sum(1 for e in comp["edges"] if e["kind"] == k) for k in ("copies", "links", "cites")}
    assert counts["copies"] >= 2 and counts["cites"] >= 1
    assert _drawn(tab) == len(comp["edges"]) and {k: _drawn(tab, k) for k in counts} == counts
    assert page.locator("svg.nt-spread-svg .nt-node").count() == len(comp["nodes"])
    assert page.locator("svg.nt-spread-svg").get_attribute("data-links") == str(len(comp["edges"]))
    status = page.locator(".nt-status").inner_text()
    assert f"{counts['copies']} of {counts['copies']} copy links" in status
    assert f"component 1 of {data['total']}" in page.locator(".nt-where").inner_text()
    tab.shot("spread-1-all")
    # link kinds: citations off
    page.locator(".nt-kind-cites").uncheck()
    assert _drawn(tab) == counts["copies"] + counts["links"] and _drawn(tab, "cites") == 0
    page.locator(".nt-kind-cites").check()
    assert _drawn(tab) == len(comp["edges"])
    # minimum copied share: only the copies that copied that much stay
    page.locator(".nt-share").fill("80")
    assert _drawn(tab, "copies") == sum(1 for e in comp["edges"] if e["kind"] == "copies" and e["share"] >= 0.8)
    assert _drawn(tab, "copies") < counts["copies"]
    page.locator(".nt-share").fill("0")
    # an outlet: the links that touch its articles
    outlet = next(n["outlet"] for n in comp["nodes"] if n["kind"] == "article" and n["outlet"])
    page.locator(".nt-outlet").select_option(label=outlet)
    assert _drawn(tab) == _expected_with_outlet(comp, outlet) < len(comp["edges"])
    tab.shot("spread-2-outlet")
    page.locator(".nt-outlet").select_option("")
    assert _drawn(tab) == len(comp["edges"])
    # a story: the links among its articles (and their citations)
    story = next(s for n in comp["nodes"] for s in n["stories"])
    page.locator(".nt-story").select_option(story)
    assert _drawn(tab) == _expected_in_story(comp, story) >= 1
    page.locator(".nt-story").select_option("")
    # the next component, with every one of its links
    page.locator(".nt-next").click()
    assert _drawn(tab) == len(data["components"][1]["edges"])
    assert page.locator(".nt-outlet").input_value() == ""  # filters start again on a new component
    page.locator(".nt-prev").click()
    # details of an article, with a link to its page
    page.locator("svg.nt-spread-svg circle.nt-article").first.hover()
    link = page.locator(".nt-details a").first
    assert (link.get_attribute("href") or "").startswith("/articles/")
    assert tab.problems == [] and tab.dialogs == []


def test_web_pictures_spread_hostile_content_stays_text(tab: Watched, base_url: str) -> None:  # noqa: F811
    page = tab.page
    api = page.request.get(base_url + "/api/provenance/spread?limit=500").json()
    (comp,) = [c for c in api["components"] if any(n["ref"] == HOSTILE_COPY for n in c["nodes"])]
    page.goto(base_url + f"/provenance?offset={comp['index'] - 1}&limit=1")
    page.wait_for_selector("svg.nt-spread-svg")
    _only_our_scripts(tab, "/static/provenance/spread.js")
    assert page.locator("img").count() == 0 and page.locator("svg.nt-spread-svg script").count() == 0
    assert _drawn(tab) == len(comp["edges"]) and _drawn(tab, "copies") >= 1
    lanes = page.locator("svg.nt-spread-svg text.nt-lane-label title").all_text_contents()
    assert HOSTILE_OUTLET in lanes and IMG in lanes  # the outlets' names, as text
    page.locator(f"svg.nt-spread-svg circle[data-ref='{HOSTILE_COPY}']").hover()
    assert f"Copied {IMG}" in page.locator(".nt-details").inner_text()
    page.locator(".nt-outlet").select_option(label=HOSTILE_OUTLET)
    assert _drawn(tab) == _expected_with_outlet(comp, HOSTILE_OUTLET) >= 1
    tab.shot("spread-hostile")
    assert tab.dialogs == [] and tab.problems == []


def test_web_pictures_map_draws_every_point_and_the_legend_filters(tab: Watched, base_url: str) -> None:  # noqa: F811
    page = tab.page
    page.goto(base_url + "/stories/map")
    page.wait_for_selector("svg.nt-map-svg")
    _only_our_scripts(tab, "/static/narratives/map.js")
    data = _data(tab, "nt-map-data")
    points = page.locator("svg.nt-map-svg circle.nt-point")
    assert points.count() == len(data["points"]) == data["shown"] > 3
    legend = page.locator(".nt-legend-item")
    assert legend.count() == len(data["stories"])
    first = data["stories"][0]
    legend.first.click()
    assert points.count() == len(data["points"]) - first["count"]
    assert page.locator(f"svg.nt-map-svg circle[data-group='{first['key']}']").count() == 0
    tab.shot("map-legend-off")
    legend.first.click()
    assert points.count() == len(data["points"])
    page.locator(".nt-colour-by").select_option("narrative")
    assert legend.count() == len(data["narratives"])
    assert {page.locator(".nt-legend-item").nth(i).get_attribute("data-key") for i in range(legend.count())} \
        == {g["key"] for g in data["narratives"]}
    # a hostile article's title is text in the details, and the point links to its page
    page.locator(f"svg.nt-map-svg circle[data-ref='{NARRATIVE_REF}']").hover()
    assert f"War fears {SCRIPT} grow" in page.locator(".nt-map .nt-details").inner_text()
    assert page.locator(".nt-map .nt-details a").get_attribute("href") == "/articles/" + quote(NARRATIVE_REF, safe="")
    assert page.locator("img").count() == 0
    tab.shot("map")
    assert tab.problems == [] and tab.dialogs == []


def test_web_pictures_report_draws_offline(tab: Watched, sqlite_db: Path, tmp_path: Path) -> None:  # noqa: F811
    with Store(sqlite_db, readonly=True) as store:
        html = render_html(build_report(store))
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    requests: list[str] = []
    tab.page.on("request", lambda r: requests.append(r.url))
    tab.page.goto(path.as_uri())
    spread = _data(tab, "nt-spread-report-data")
    assert _drawn(tab) == len(spread["components"][0]["edges"])
    story_map = _data(tab, "nt-map-report-data")
    assert tab.page.locator("svg.nt-map-svg circle.nt-point").count() == len(story_map["points"])
    assert tab.page.locator("img").count() == 0
    assert requests == [path.as_uri()]  # nothing fetched: the report is self-contained
    tab.shot("report-pictures")
    assert tab.problems == [] and tab.dialogs == []
