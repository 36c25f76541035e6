"""The web app in a real browser: Debian's chromium driven by playwright, against uvicorn on loopback.

Every page loads without console errors, a click-through flow works (overview -> republication
group -> original article -> back), hostile content fires no dialog, highlight layers toggle.
Screenshots go to test-artifacts/web/. Skipped only where chromium is missing outside CI.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright import sync_api

from narratrace.web import create_app
from narratrace.web.server import served_in_thread

from test_web_api import (HOSTILE_COPY, HOSTILE_ORIGINAL, HOSTILE_OUTLET, NARRATIVE_OUTLET, NARRATIVE_REF,
                          _into_postgres, build_web_store)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"

if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    if os.environ.get("CI"):
        pytest.fail(f"CI must have chromium at {CHROMIUM} (make's set-up installs it)", pytrace=False)
    pytest.skip("chromium is not installed (make test installs it)", allow_module_level=True)



@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_web_store(tmp_path_factory.mktemp("browser") / "web.db")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def base_url(request: pytest.FixtureRequest, sqlite_db: Path) -> Iterator[str]:
    """The app served by uvicorn over each backend (PostgreSQL: a migrated copy of the SQLite store)."""
    db = str(sqlite_db) if request.param == "sqlite" else _into_postgres(request.getfixturevalue("pg_server"), sqlite_db)
    with served_in_thread(create_app(str(db))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


class Watched:
    """A page that records console errors, page errors, failed requests and dialogs."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
                     if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def tab(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.close()


def _links(tab: Watched, base_url: str) -> dict[str, str]:
    """Pages reached from the overview: one of each kind."""
    page = tab.page
    page.goto(base_url + "/")
    group = page.locator("#groups a[href^='/groups/']").first.get_attribute("href")
    article = page.locator("table.articles a[href^='/articles/']").first.get_attribute("href")
    outlet = page.locator("#outlets a[href^='/outlets/']").first.get_attribute("href")
    assert group and article and outlet
    assert page.locator("header nav a[href='/claim-groups']").count() == 1  # the claims analysis ran
    claim_group = _first_claim_group(tab, base_url)
    return {"overview": "/", "groups": "/groups", "group": group, "article": article, "outlets": "/outlets",
            "outlet": outlet, "search": "/search?q=drones", "search-empty": "/search", "skipped": "/skipped",
            "filtered": "/?language=en&date_from=2025-04-03&date_to=2025-04-05&limit=5",
            "hostile-copy": "/articles/" + quote(HOSTILE_COPY, safe=""),
            "hostile-original": "/articles/" + quote(HOSTILE_ORIGINAL, safe=""),
            "hostile-outlet": "/outlets/" + quote(HOSTILE_OUTLET, safe=""), "hostile-search": "/search?q=harbour+news",
            "sources": "/sources", "claim-groups": "/claim-groups",
            "claim-group": claim_group, **_analysis_links(tab, base_url)}


def _analysis_links(tab: Watched, base_url: str) -> dict[str, str]:
    """The analysis pages, reached through the nav (they appear there only with results)."""
    page = tab.page
    page.goto(base_url + "/")
    for href in ("/narratives", "/stories", "/techniques", "/factchecks"):
        assert page.locator(f"header nav a[href='{href}']").count() == 1, href
    page.goto(base_url + "/stories")
    story = page.locator("table.stories a[href^='/stories/']").first.get_attribute("href")
    assert story
    return {"narratives": "/narratives", "stories": "/stories", "story": story, "techniques": "/techniques",
            "factchecks": "/factchecks", "hostile-narrative": "/articles/" + NARRATIVE_REF,
            "hostile-narrative-outlet": "/outlets/" + quote(NARRATIVE_OUTLET, safe="")}


def _first_claim_group(tab: Watched, base_url: str) -> str:
    tab.page.goto(base_url + "/claim-groups")
    href = tab.page.locator("table.claim-groups a[href^='/claim-groups/']").first.get_attribute("href")
    assert href
    return href


def test_web_browser_every_page_loads_without_errors(tab: Watched, base_url: str) -> None:
    for name, path in _links(tab, base_url).items():
        response = tab.page.goto(base_url + path)
        assert response is not None and response.status == 200, (name, path)
        assert tab.page.locator("h1").first.inner_text().strip(), name
        tab.shot(name)
    assert tab.problems == []
    assert tab.dialogs == []


def test_web_browser_click_through_group_to_original_and_back(tab: Watched, base_url: str) -> None:
    page = tab.page
    page.goto(base_url + "/")
    tab.shot("flow-1-overview")
    page.locator("#groups a[href^='/groups/']").first.click()
    page.wait_for_url("**/groups/*")
    group_url = page.url
    assert page.locator(".original-line .badge.original").is_visible()
    assert "Why this is the original" in page.locator(".reason").first.inner_text()
    assert page.locator(".side-original .seg.p").count() > 0 and page.locator(".side-copy .seg.p").count() > 0
    tab.shot("flow-2-group")
    original_ref = page.locator(".original-line code.ref").inner_text()
    page.locator(".original-line a").first.click()
    page.wait_for_url("**/articles/*")
    assert page.locator("dl.meta-grid code.ref").inner_text() == original_ref
    assert page.locator("dl.meta-grid .badge.original").count() == 1  # marked as the original
    tab.shot("flow-3-original")
    article_url = page.url
    # from a claim of the original, to its claim group (the same claim in other articles)
    claim_link = page.locator("#claims .clabel a.cgrp").first
    assert claim_link.is_visible()
    claim_link.click()
    page.wait_for_url("**/claim-groups/*")
    assert page.locator("table.appearances tbody tr").count() >= 2
    assert page.locator("table.appearances .badge.first").count() == 1
    assert original_ref in page.locator("table.appearances").inner_text()  # the original carries the claim
    tab.shot("flow-3b-claim-group")
    page.go_back()
    page.wait_for_url(article_url)
    page.go_back()
    page.wait_for_url(group_url)
    assert page.locator(".original-line code.ref").inner_text() == original_ref
    # and to another copy side by side
    other = page.locator("table.members a[href*='copy=']")
    if other.count():
        other.first.click()
        page.wait_for_url("**copy=*")
        assert page.locator("tr.selected").count() == 1
    tab.shot("flow-4-back-to-group")
    assert tab.problems == []


def test_web_browser_hostile_content_is_inert(tab: Watched, base_url: str) -> None:
    page = tab.page
    for path in ["/articles/" + quote(HOSTILE_COPY, safe=""), "/articles/" + quote(HOSTILE_ORIGINAL, safe=""),
                 "/outlets/" + quote(HOSTILE_OUTLET, safe=""), "/search?q=harbour+news", "/",
                 "/articles/" + NARRATIVE_REF, "/outlets/" + quote(NARRATIVE_OUTLET, safe=""), "/narratives",
                 "/techniques", "/factchecks", "/stories"]:
        page.goto(base_url + path)
        page.wait_for_load_state("load")
        assert page.locator("script").count() == 0 and page.locator("img").count() == 0, path
    page.goto(base_url + "/articles/" + quote(HOSTILE_COPY, safe=""))
    assert "<img src=x onerror=alert(1)>" in page.locator("h1").inner_text()
    assert "<script>alert(1)</script>" in page.locator(".article-text").inner_text()
    page.locator("table.relations a, table.relations code.ref").first.click()  # the hostile original, via its link
    page.wait_for_load_state("load")
    tab.shot("hostile")
    assert tab.dialogs == []
    assert tab.problems == []


def test_web_browser_highlight_layers_toggle(tab: Watched, base_url: str) -> None:
    page = tab.page
    page.goto(base_url + "/articles/" + quote(HOSTILE_COPY, safe=""))
    seg = page.locator(".article-text .seg.p").first
    shaded = seg.evaluate("e => getComputedStyle(e).backgroundColor")
    assert shaded not in ("rgba(0, 0, 0, 0)", "transparent")
    page.locator("label[for='show-p']").click()
    assert seg.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    assert page.locator(".article-text .pno").first.is_hidden()
    added = page.locator(".article-text .seg.a").first
    assert added.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"  # other layers stay
    tab.shot("layers-passages-off")
    page.locator("label[for='show-p']").click()
    assert seg.evaluate("e => getComputedStyle(e).backgroundColor") == shaded


def test_web_browser_claims_layer_toggles(tab: Watched, base_url: str) -> None:
    page = tab.page
    page.goto(base_url + "/claim-groups")
    page.locator("table.claim-groups a[href^='/claim-groups/']").first.click()
    page.wait_for_url("**/claim-groups/*")
    page.locator("table.appearances a[href^='/articles/']").first.click()
    page.wait_for_url("**/articles/*")
    seg = page.locator(".claims-text .seg.claim").first
    shaded = seg.evaluate("e => getComputedStyle(e).backgroundColor")
    assert shaded not in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.locator(".claims-text .clabel").first.is_visible()
    page.locator("label[for='claims-c']").click()
    assert seg.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    assert page.locator(".claims-text .clabel").first.is_hidden()
    tab.shot("claims-layer-off")
    page.locator("label[for='claims-c']").click()
    assert seg.evaluate("e => getComputedStyle(e).backgroundColor") == shaded
    page.goto(base_url + "/sources")
    assert page.locator("#provenance").is_visible()
    tab.shot("sources")
    assert tab.problems == [] and tab.dialogs == []


def test_web_browser_analysis_layers_toggle(tab: Watched, base_url: str) -> None:
    """Technique spans and narrative evidence are highlighted in the article text; checkboxes hide them."""
    page = tab.page
    page.goto(base_url + "/techniques")
    page.locator("#per-article a[href^='/articles/']").first.click()
    page.wait_for_url("**/articles/*")
    assert "<script>alert(1)</script>" in page.locator(".techniques-text").inner_text()  # text, not markup
    span = page.locator(".techniques-text mark.tq", has_text="never seen").first
    shaded = span.evaluate("e => getComputedStyle(e).backgroundColor")
    assert shaded not in ("rgba(0, 0, 0, 0)", "transparent")
    assert "Exaggeration" in (span.get_attribute("title") or "")
    page.locator("label[for='tq-t']").click()
    assert span.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    page.locator("label[for='tq-t']").click()
    assert span.evaluate("e => getComputedStyle(e).backgroundColor") == shaded
    evidence = page.locator(".narratives-text mark.nev").first
    assert evidence.evaluate("e => getComputedStyle(e).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    page.locator("label[for='narr-n']").click()
    assert evidence.evaluate("e => getComputedStyle(e).backgroundColor") == "rgba(0, 0, 0, 0)"
    tab.shot("analysis-layers")
    # from the fact-checks page to an article repeating a debunked claim
    page.goto(base_url + "/factchecks")
    page.locator("table.debunked td a[href^='/articles/']").first.click()
    page.wait_for_url("**/articles/*")
    assert page.locator("#factchecks .fcmatch a[href^='https://']").count() >= 1
    tab.shot("article-factchecks")
    assert tab.problems == [] and tab.dialogs == []


def test_web_browser_tables_facet_narrows_and_annotations_start_closed(tab: Watched, base_url: str) -> None:
    """From the nav to a table; a facet value narrows it and shows a removable filter; hostile cells stay
    text; an article's raw annotations are behind a closed disclosure that opens on a click."""
    page = tab.page
    page.goto(base_url + "/")
    page.locator("header nav a[href='/tables']").click()
    page.wait_for_url("**/tables")
    page.locator("a[href='/tables/framing']").click()
    page.wait_for_url("**/tables/framing")
    rows = page.locator("table.data-table tbody tr")
    before = rows.count()
    value = page.locator("section[data-facet='role'] li").last
    name = value.locator("a").first.inner_text()
    count = int(value.locator(".count").inner_text().replace(",", ""))
    assert 0 < count < before
    value.locator("a").first.click()
    page.wait_for_url("**role=*")
    assert rows.count() == count
    roles = page.locator("table.data-table tbody tr td:nth-child(7)").all_inner_texts()
    assert roles and set(roles) == {name}
    assert name in page.locator(".active-filter").inner_text()
    tab.shot("table-framing-facet")
    page.locator(".active-filter a.remove").click()
    page.wait_for_url("**/tables/framing")
    assert rows.count() == before
    page.goto(base_url + "/tables/techniques?outlet=" + quote(NARRATIVE_OUTLET, safe=""))
    assert page.locator("script").count() == 0 and page.locator("img").count() == 0
    assert NARRATIVE_OUTLET in page.locator("table.data-table tbody").inner_text()  # shown as text
    page.goto(base_url + "/articles/" + NARRATIVE_REF)
    details = page.locator("#annotations details")
    assert details.count() == 1 and details.get_attribute("open") is None
    assert page.locator("#annotations table").is_hidden()
    page.locator("#annotations summary").click()
    assert page.locator("#annotations table").is_visible()
    tab.shot("article-annotations-open")
    assert tab.problems == [] and tab.dialogs == []
