"""A sweep of every GET route the app serves (its own and each analysis's, read from the app's routes,
so a new page is swept without being listed here): each declared query parameter given hostile values
(negative and 64-bit-overflowing numbers, FTS5 syntax, NUL, unicode, very long text, markup, bytes
that are not UTF-8) and each path parameter hostile segments. Every answer is below 500 with no
traceback, JSON where JSON is declared, and no article content (markup in titles, texts, outlets,
authors, URLs: ``</textarea>``, ``<script>``, attribute breakers, ``javascript:``) unescaped in HTML.
The store has the hostile articles of test_web_api plus one breaking out of attributes and textareas."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from narratrace import analyze
from narratrace.ingest import ingest
from narratrace.store import Store
from narratrace.web import create_app

from test_web_api import TOKEN, build_web_store

ESCAPE = '</textarea><script>alert("t")</script>'
ATTR = '" onmouseover="alert(2)" x="'
EVIL = {"id": "evil-attr", "title": f"Attr {ATTR} title", "outlet": f"Out {ATTR}", "author": ESCAPE,
        "url": "javascript:alert(3)//http://x", "published": "2025-02-02",
        "text": f"Officials said {ESCAPE} the harbour closed. Visit javascript:alert(4) now.\n\n"
                f"The minister said {ATTR} nothing. See <a href=\"javascript:alert(5)\">here</a>.\n\n"
                + "More words about the harbour closure and the port workers strike. " * 10}

HUGE = "9" * 30
VALUES = ["-1", "0", HUGE, "-" + HUGE, "abc", "", '"', "*", "NEAR(a b)", "a\x00b", "x" * 6000,
          "<script>alert(9)</script>", "😀", "1e309", "RAW"]
SEGMENTS = ["x", "-1", HUGE, "%00", quote("<script>alert(9)</script>", safe=""), "%ED%A0%80", "..%2F..",
            "evil-attr"]
#: What must never appear in an HTML page: the markup of the hostile articles and parameters, live.
LIVE = ("<script>alert", "<img src=x", 'onmouseover="alert', "</textarea><", 'href="javascript:', 'src="javascript:')
PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = build_web_store(tmp_path_factory.mktemp("sweep") / "web.db")
    extra = db.parent / "evil.jsonl"
    extra.write_text(json.dumps(EVIL) + "\n", encoding="utf-8")
    with Store(db) as store:
        ingest(store, [extra], workers=1)
        analyze(store)
    with TestClient(create_app(str(db), write_token=TOKEN), raise_server_exceptions=False,
                    headers={"Authorization": f"Bearer {TOKEN}"}) as c:  # the review pages too
        yield c


def _routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an analysis's router, included as it is
            yield from _routes(route.original_router.routes)
        elif hasattr(route, "routes"):
            yield from _routes(route.routes)


def _requests(route: APIRoute) -> Iterator[str]:
    names = [p.alias for p in route.dependant.query_params]
    for segment in SEGMENTS if PATH_PARAM.search(route.path) else [""]:
        path = PATH_PARAM.sub(segment, route.path)
        yield path
        if segment not in ("", "x", "evil-attr"):
            continue
        for name in names:
            for value in VALUES:
                if value == "RAW":  # bytes that are not UTF-8, a bad escape, the parameter twice
                    yield f"{path}?{name}=%ff%fe%ZZ&{name}=2"
                else:
                    yield f"{path}?{quote(name)}={quote(value, safe='')}"


def _check(client: TestClient, url: str) -> list[str]:
    r = client.get(url)
    problems = []
    if r.status_code >= 500:
        problems.append(f"status {r.status_code}")
    if "Traceback" in r.text:
        problems.append("a traceback")
    kind = r.headers.get("content-type", "")
    if kind.startswith("application/json"):
        try:
            r.json()
        except ValueError:
            problems.append("JSON declared, not sent")
    if kind.startswith("text/html"):
        problems += [f"live {m!r}" for m in LIVE if m in r.text]
    return [f"{url[:120]}: {p}" for p in problems]


def test_web_sweep_every_get_route_answers_hostile_parameters(client: TestClient) -> None:
    routes = [r for r in _routes(client.app.routes) if "GET" in r.methods]  # type: ignore[attr-defined]
    paths = {r.path for r in routes}
    assert {"/", "/articles/{ref:path}", "/api/search", "/tables/claims", "/narratives", "/provenance",
            "/reviews"} <= paths  # the analyses' routes are swept too
    problems: list[str] = []
    swept = 0
    for route in routes:
        for url in _requests(route):
            swept += 1
            problems += _check(client, url)
    assert swept > 3000
    assert problems == [], problems[:20]


def test_web_sweep_hostile_article_is_shown_escaped(client: TestClient) -> None:
    """The attribute- and textarea-breaking article is on its pages, inert."""
    for url in ("/articles/evil-attr", "/", "/search?q=harbour", "/outlets/" + quote(EVIL["outlet"], safe=""),
                "/tables/claims?article=evil-attr"):
        r = client.get(url)
        assert r.status_code == 200, url
        assert "onmouseover=&#34;alert(2)&#34;" in r.text, url  # there, escaped
        assert not [m for m in LIVE if m in r.text], url
    page = client.get("/articles/evil-attr").text
    assert "&lt;/textarea&gt;&lt;script&gt;" in page and "javascript:alert(3)" in page
    assert 'href="javascript:' not in page  # the URL is shown, not linked
