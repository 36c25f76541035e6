"""Hostile requests (issue 17): each is a 4xx in the error shape, never a 500 or a reset connection.

In-process (TestClient) for what the app answers; on loopback (uvicorn in a thread, or
``narratrace serve`` in a subprocess) for what only a real server shows: connections kept
after an error, slow headers cut off, a port already in use.
"""

from __future__ import annotations

import http.client
import json
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from narratrace.model import Article
from narratrace.store import Store
from narratrace.republications import web as views  # groups_json moved with the republication pages
from narratrace.web import create_app

from test_web_api import TOKEN, build_web_store

AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
HUGE = "99999999999999999999999999"


@pytest.fixture(scope="module")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_web_store(tmp_path_factory.mktemp("hostile") / "web.db")


@pytest.fixture(scope="module")
def client(web_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(web_db))) as c:
        yield c


@pytest.fixture()
def writer(web_db: Path, tmp_path: Path) -> Iterator[TestClient]:
    copy = tmp_path / "copy.db"
    shutil.copy(web_db, copy)
    with TestClient(create_app(str(copy), write_token=TOKEN)) as c:
        yield c


def _is_error(r: object, status: int) -> None:
    body = r.json()  # type: ignore[attr-defined]
    assert body == {"ok": False, "error": body["error"], "errors": body["errors"], "status": status}
    assert body["error"]


# -- 5. ids past 64 bits ------------------------------------------------------------------------------

TABLES = ("claims", "sources", "techniques", "framing", "factcheck-matches")
TABLE_VALUES = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "%00", "%", "_", "\\", "' OR 1=1 --",
                "%ff%fe", "%ED%A0%80", "\u202e", "x" * 500]


@pytest.mark.parametrize("table", TABLES)
def test_web_hostile_table_filters_are_inert(client: TestClient, table: str) -> None:
    """Any value in a table's filters (markup, SQL, wildcards, invalid UTF-8, a lone surrogate) is a plain
    filter value: the page, its JSON and its exports answer, and the page shows the value as text."""
    params = [p["name"] for p in client.get("/openapi.json").json()["paths"][f"/api/tables/{table}"]["get"]["parameters"]]
    names = [p for p in params if p not in ("sort", "limit", "offset", "date_from", "date_to", "min_score")]
    for value in TABLE_VALUES:
        for name in names:
            query = f"{name}={value if value.startswith('%') else quote(value, safe='')}"
            page = client.get(f"/tables/{table}?{query}")
            assert page.status_code == 200, (name, value, page.text[:300])
            assert "<script" not in page.text.lower() and "<img" not in page.text, (name, value)
            api = client.get(f"/api/tables/{table}?{query}")
            assert api.status_code == 200 and api.json()["ok"], (name, value)
        export = client.get(f"/tables/{table}.csv?{names[0]}={quote(value, safe='')}")
        assert export.status_code == 200 and export.text.startswith(("article,", "source,")), value
    for bad in ("sort=title%3B%20DROP%20TABLE%20articles", "min_score=1e999", "date_from=2025-02-30x", "limit=501",
                "q=" + "x" * 501):
        if bad.split("=")[0] not in params:
            continue
        r = client.get(f"/api/tables/{table}?{bad}")
        assert r.status_code == 422, bad
        _is_error(r, 422)
        assert client.get(f"/tables/{table}?{bad}").status_code == 422, bad
    assert client.get(f"/tables/{table}?format=xml").status_code == 422


@pytest.mark.parametrize("group_id", [HUGE, "-" + HUGE, str(2 ** 63), str(-(2 ** 63) - 1)])
def test_web_hostile_group_id_past_64_bits_is_404(client: TestClient, group_id: str) -> None:
    r = client.get(f"/api/groups/{group_id}")
    assert r.status_code == 404
    _is_error(r, 404)
    page = client.get(f"/groups/{group_id}")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def test_web_hostile_largest_64_bit_group_id_is_a_plain_404(client: TestClient) -> None:
    assert client.get(f"/api/groups/{2 ** 63 - 1}").status_code == 404


# -- 6. search queries with NUL and other control characters ------------------------------------------

@pytest.mark.parametrize("q", ["\x00", "drones\x00", "\x00drones", "dro\x00nes", "\x01\x1f\x7f", '"\x00"', "\t\n"])
def test_web_hostile_control_characters_in_search_are_dropped(client: TestClient, q: str) -> None:
    r = client.get("/api/search", params={"q": q})
    assert r.status_code == 200, r.text
    words = "".join(c if c.isprintable() and c != '"' else " " for c in q).split()
    expected = client.get("/api/search", params={"q": " ".join(words)}).json()["hits"] if words else []
    assert r.json()["hits"] == expected
    page = client.get("/search", params={"q": q})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


def test_web_hostile_nul_in_search_finds_the_words_around_it(client: TestClient) -> None:
    plain = client.get("/api/search", params={"q": "drones"}).json()["hits"]
    assert plain and client.get("/api/search", params={"q": "drones\x00"}).json()["hits"] == plain


def test_web_hostile_store_search_drops_control_characters(store: Store) -> None:
    from narratrace.ingest import build_article
    from narratrace.ingest.record import Record

    built = build_article(Record(ref="d", text="Drones over the harbour again tonight.", source="t", kind="txt"))
    assert isinstance(built, Article)
    store.write_articles([built])
    for q in ("\x00", "harbour\x00", "\x00harbour\x1f", '"harbour"\x00'):
        hits = store.search(q)
        page, _ = store.search_page(q, limit=5)
        assert [h.ref for h in hits] == [h.ref for h in page] == ([] if q == "\x00" else ["d"]), q


# -- 7. upload bodies ---------------------------------------------------------------------------------

BAD_BODIES = {
    "random bytes": random.Random(17).randbytes(4096),
    "latin-1": '{"articles": [{"id": "é", "text": "été"}]}'.encode("latin-1"),
    "deep array": b"[" * 100_000 + b"]" * 100_000,
    "deep in articles": b'{"articles": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "deep in one article": b'{"articles": [{"text": "x y z", "meta": ' + b"[" * 5000 + b"]" * 5000 + b"}]}",
    "long number": b'{"articles": [{"text": "x", "id": ' + b"1" * 5000 + b"}]}",
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_web_hostile_bad_upload_bodies_are_400(writer: TestClient, name: str) -> None:
    r = writer.post("/api/articles", content=BAD_BODIES[name], headers=AUTH)
    assert r.status_code == 400, r.text[:300]
    _is_error(r, 400)


def test_web_hostile_upload_with_lone_surrogate_is_a_skip(writer: TestClient) -> None:
    body = b'{"articles": [{"id": "bad", "text": "bad \\ud800 text"}, {"id": "fine", "text": "' + \
        b"Harbour officials said the new cranes arrived on Monday after a long delay. " * 3 + b'"}]}'
    r = writer.post("/api/articles", content=body, headers=AUTH)
    assert r.status_code == 200, r.text[:300]
    out = r.json()
    assert out["refs"] == ["fine"] and out["added"] == 1
    assert [(s["code"], "lone surrogate" in s["reason"]) for s in out["skipped"]] == [("NT210", True)]
    assert writer.get("/api/articles/fine").status_code == 200
    assert writer.get("/api/articles/bad").status_code == 404


# -- a real server: the connection outlives an error; slow headers are cut off --------------------------

@contextmanager
def running(app: object, **timeouts: float) -> Iterator[int]:
    """``app`` served by uvicorn (``narratrace serve``'s configuration) on a free loopback port."""
    from narratrace.web import server

    sock = server.listen("127.0.0.1", 0)
    srv = server.server_for(app, **timeouts)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield int(sock.getsockname()[1])
    finally:
        srv.should_exit = True
        thread.join(10)
        sock.close()


def test_web_hostile_errors_keep_the_connection(web_db: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "copy.db"
    shutil.copy(web_db, copy)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "groups_json", broken)
    with running(create_app(str(copy), write_token=TOKEN)) as port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for body in (BAD_BODIES["random bytes"], b'{"articles": [{"text": "\\ud800"}]}', BAD_BODIES["deep array"]):
            conn.request("POST", "/api/articles", body=body, headers=AUTH)
            r = conn.getresponse()
            answer = json.loads(r.read())
            assert r.status in (200, 400) and answer["ok"] is (r.status == 200)
            conn.request("GET", "/api")  # the same connection
            again = conn.getresponse()
            assert again.status == 200 and json.loads(again.read())["ok"] is True
        conn.request("GET", "/api/groups")  # an unexpected error: a 500 in the error shape, connection kept
        r = conn.getresponse()
        assert r.status == 500 and json.loads(r.read())["status"] == 500
        conn.request("GET", "/api")
        assert conn.getresponse().status == 200
        conn.close()


def test_web_hostile_slow_headers_are_cut_off(web_db: Path) -> None:
    with running(create_app(str(web_db)), header_timeout=0.5, keep_alive=1) as port:
        slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        silent = socket.create_connection(("127.0.0.1", port), timeout=10)
        started = time.monotonic()
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        time.sleep(0.3)
        slow.sendall(b"X-Drip: 1\r\n")  # a byte now and then does not reset the deadline
        answer = slow.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408") and slow.recv(4096) == b""
        assert silent.recv(4096).startswith(b"HTTP/1.1 408")
        assert time.monotonic() - started < 3
        idle = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        idle.request("GET", "/api")
        assert idle.getresponse().read()
        time.sleep(1.5)  # the keep-alive timeout closes an idle connection
        assert idle.sock is not None and idle.sock.recv(10) == b""
        fine = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        fine.request("GET", "/api")
        assert fine.getresponse().status == 200
        for c in (slow, silent, idle, fine):
            c.close()


# -- 8. serve on a port in use --------------------------------------------------------------------------

def test_web_hostile_serve_on_a_port_in_use_fails_before_serving(web_db: Path) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "narratrace.cli", "serve", "--db", str(web_db),
                                 "--port", str(port)], capture_output=True, text=True, timeout=120)
    finally:
        taken.close()
    assert result.returncode != 0 and time.monotonic() - started < 60
    assert "serving" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{port}: the port is already in use" in result.stderr
    assert "Traceback" not in result.stderr


# -- found by the schema-driven fuzz tests (test_web_fuzz.py) -------------------------------------------

def test_web_hostile_405_names_every_method_of_the_path(client: TestClient) -> None:
    r = client.options("/api/articles")  # GET and POST are two routes: Starlette named the first one's only
    assert r.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["allow"].split(",")}
    _is_error(r, 405)


def test_web_hostile_app_serves_again_after_its_lifespan_ends(web_db: Path) -> None:
    """schemathesis runs the app's lifespan around each call: its end closed every reader, and this
    thread's next request got the closed one ("Cannot operate on a closed database")."""
    app = create_app(str(web_db))
    corpus = app.state.corpus
    before = corpus.reader()
    corpus.close()  # what the lifespan's end does
    after = corpus.reader()
    assert after is not before and after.count_articles() > 0
    with TestClient(app) as c:
        assert c.get("/api/articles").status_code == 200


def test_web_hostile_openapi_documents_the_error_shape(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            for status in ("404", "422"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (method, path, status)


@pytest.mark.parametrize("path", ["/", "/articles", "/api/overview", "/search?q=drones", "/no/such/page"])
def test_web_head_answers_as_get_without_a_body(client: TestClient, path: str) -> None:
    """Link checkers and uptime monitors send HEAD: the page's status and headers, no body (was 405)."""
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
    assert client.request("HEAD", "/api/reviews").status_code == client.get("/api/reviews").status_code


def test_web_json_twin_link_keeps_only_the_pages_own_parameters(client: TestClient) -> None:
    """The "JSON" link of a page carries its query on, but not parameters the page does not know
    (a visitor appending thousands of them made the page grow with them)."""
    import re

    junk = "&".join(f"junk{i}=x" for i in range(2000))
    page = client.get(f"/search?q=drones&limit=5&{junk}")
    assert page.status_code == 200
    link = re.search(r'<link rel="alternate" type="application/json" href="([^"]*)"', page.text)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/api/search?") and "junk" not in href
    assert sorted(href.split("?", 1)[1].split("&")) == ["limit=5", "q=drones"]
    assert len(page.text) < 60_000
    assert client.get(href).status_code == 200
    plain = client.get(f"/?{junk}")
    assert 'href="/api/overview"' in plain.text
