"""The review page in headless Chromium: load the queue with the token, reject a span, correct a role.

The store is the web tests' one (the example corpus plus hostile articles whose titles and texts are
markup), served by uvicorn with a token; what the page stores is read back from the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_web_browser import Watched, browser  # noqa: F401  (the module's Chromium, shared)
from test_web_api import build_web_store

from narratrace.export import export_corpus
from narratrace.reviews.store import reviews
from narratrace.store import Store
from narratrace.web import create_app
from narratrace.web.server import served_in_thread

TOKEN = "browser-review-token"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    db = build_web_store(tmp_path_factory.mktemp("review-browser") / "web.db")
    with served_in_thread(create_app(str(db), write_token=TOKEN)) as url:
        yield url, db


@pytest.fixture()
def tab(browser: Any) -> Iterator[Watched]:  # noqa: F811
    w = Watched(browser)
    yield w
    w.close()


def _wait_reviewed(page: Any, key: str, verdict: str) -> None:
    page.wait_for_function("([k, v]) => [...document.querySelectorAll('#nt-review-queue li')]"
                           ".some(e => e.dataset.key === k && e.dataset.reviewed === v)", arg=[key, verdict])


def _load(page: Any, kind: str, token: str = TOKEN) -> None:
    page.fill("#nt-review-token", token)
    page.fill("#nt-review-reviewer", "ana <b>")
    page.select_option("#nt-review-kind", kind)
    page.click("#nt-review-login button[type=submit]")


def test_reviews_browser_reject_a_span_and_correct_a_role(tab: Watched, served: tuple[str, Path]) -> None:
    base, db = served
    page = tab.page
    page.goto(f"{base}/reviews")
    _load(page, "technique")
    page.wait_for_selector("#nt-review-queue li.nt-review-item")
    first = page.locator("#nt-review-queue li.nt-review-item").first
    span_key = first.get_attribute("data-key")
    first.locator("button.nt-review-reject").click()
    _wait_reviewed(page, span_key, "reject")

    _load(page, "role")
    page.wait_for_function("() => document.querySelector('#nt-review-queue li')?.dataset.kind === 'role'")
    role = page.locator("#nt-review-queue li.nt-review-item").first
    role_key = role.get_attribute("data-key")
    current = role.locator("select.nt-review-label").input_value()
    other = next(r for r in ("Protagonist", "Antagonist", "Innocent") if r != current)
    role.locator("select.nt-review-label").select_option(other)
    role.locator("button.nt-review-correct").click()
    _wait_reviewed(page, role_key, "correct")
    assert not tab.problems and not tab.dialogs, (tab.problems, tab.dialogs)

    with Store(db) as store:
        stored = {(r.kind, r.item_key): r for r in reviews(store)}
        exported = export_corpus(store)["reviews"]
    assert stored[("technique", span_key)].verdict == "reject"
    assert stored[("role", role_key)].verdict == "correct"
    assert stored[("role", role_key)].correction == {"label": other}
    assert stored[("role", role_key)].reviewer == "ana <b>"
    assert {(r["kind"], r["key"], r["verdict"]) for r in exported} >= {
        ("technique", span_key, "reject"), ("role", role_key, "correct")}

    # reviewed items leave the queue
    _load(page, "technique")
    page.wait_for_selector("#nt-review-queue li.nt-review-item")
    keys = page.eval_on_selector_all("#nt-review-queue li", "els => els.map(e => e.dataset.key)")
    assert span_key not in keys


def test_reviews_browser_needs_the_token_and_keeps_hostile_text_inert(tab: Watched, served: tuple[str, Path]) -> None:
    base, _ = served
    page = tab.page
    page.goto(f"{base}/reviews")
    _load(page, "", token="wrong")
    page.wait_for_function("() => document.getElementById('nt-review-status').textContent.startsWith('not loaded')")
    assert page.locator("#nt-review-queue li").count() == 0
    _load(page, "")
    page.wait_for_selector("#nt-review-queue li.nt-review-item")
    # every item's text and title is text: the hostile articles' markup made no element and ran nothing
    assert page.eval_on_selector_all("#nt-review-queue img, #nt-review-queue script, #nt-review-queue iframe",
                                     "els => els.length") == 0
    assert not tab.dialogs and not [p for p in tab.problems if "page error" in p], tab.problems


def test_reviews_browser_correct_a_republication_assign_and_see_who_reviewed_what(
        tab: Watched, served: tuple[str, Path]) -> None:
    """A copy pair of the hostile articles is corrected to 'independent' from its own select; the role
    queue's first two items are assigned, 'only mine' shows them; the log table shows the reviews as
    text (the hostile copy's passage and the reviewer's name make no element)."""
    base, db = served
    page = tab.page
    page.goto(f"{base}/reviews")
    _load(page, "republication")
    page.wait_for_function("() => document.querySelector('#nt-review-queue li')?.dataset.kind === 'republication'")
    pairs = page.locator("#nt-review-queue li.nt-review-item")
    keys = page.eval_on_selector_all("#nt-review-queue li", "els => els.map(e => e.dataset.key)")
    hostile = next(k for k in keys if "alert(1)" in page.locator(f"#nt-review-queue li[data-key='{k}']").inner_text())
    pair = page.locator(f"#nt-review-queue li[data-key='{hostile}']")
    pair.locator("select.nt-review-label").select_option("independent")
    pair.locator("button.nt-review-correct").click()
    _wait_reviewed(page, hostile, "correct")
    assert pairs.count() >= 1

    page.fill("#nt-review-assign-count", "2")
    page.fill("#nt-review-assign-to", "ana <b>")
    page.select_option("#nt-review-kind", "role")
    page.click("#nt-review-assign-bulk button[type=submit]")
    page.wait_for_function("() => document.getElementById('nt-review-status').textContent.includes('assigned to')")
    page.check("#nt-review-mine")
    page.click("#nt-review-login button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('#nt-review-queue li').length === 2 && "
                           "[...document.querySelectorAll('#nt-review-queue li')].every(e => e.dataset.assignee === 'ana <b>')")
    page.uncheck("#nt-review-mine")

    page.click("#nt-review-log-load")
    page.wait_for_selector("#nt-review-log tbody tr")
    rows = page.eval_on_selector_all("#nt-review-log tbody tr", "els => els.map(e => [...e.cells].map(c => c.textContent))")
    assert any(r[1] == "ana <b>" and r[2] == "republication" and r[5] == "correct" and "independent" in r[6] for r in rows)
    assert page.locator("#nt-review-assigned tbody tr").count() >= 2
    assert page.eval_on_selector_all("#nt-review-log img, #nt-review-log script, #nt-review-log b, "
                                     "#nt-review-queue img, #nt-review-queue script, #nt-review-queue b",
                                     "els => els.length") == 0
    assert not tab.dialogs and not [p for p in tab.problems if "page error" in p], tab.problems
    with Store(db) as store:
        stored = {(r.kind, r.item_key): r for r in reviews(store)}
    assert stored[("republication", hostile)].correction == {"label": "independent"}
