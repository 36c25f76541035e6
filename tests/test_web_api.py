"""The web app without a server: pages, JSON API, pagination, errors, safety, the write endpoint.

Runs the real thing (FastAPI's TestClient over httpx) against a throwaway store built from
examples/corpus plus two hostile articles (markup in title, text, outlet and ref) and a hostile
article the narratives and techniques stages label, with examples/factchecks.jsonld imported
before ``analyze`` (as ``make demo`` does).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import lxml.html
import pytest
from fastapi.testclient import TestClient

from narratrace import analyze, export_corpus
from narratrace.errors import ConfigError, StoreError
from narratrace.factchecks import import_factchecks
from narratrace.ingest import ingest
from narratrace.model import Annotation
from narratrace.provenance.graph import build_graph, sources_summary
from narratrace.store import Store, is_postgres_url, open_store
from narratrace.web import create_app
from narratrace.web.app import MAX_LIMIT

from textgen import article

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "corpus"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE_ORIGINAL = "hostile-original"
HOSTILE_COPY = f"weird/ref {IMG}?a=1#b"
HOSTILE_OUTLET = f"{SCRIPT} Post"
TOKEN = "s3cret-token"
FACTCHECKS = ROOT / "examples" / "factchecks.jsonld"
NARRATIVE_REF = "alarm-wire-war-fears"
NARRATIVE_OUTLET = f"Alarm {IMG} Wire"
NARRATIVE_TEXT = (f"Kyiv asked NATO for more weapons to fight Russia, and officials said {SCRIPT} nothing more.\n\n"
                  "Every new shipment of weapons brings us closer to World War Three. This conflict could spiral "
                  "into a catastrophe for the whole of Europe. Experts warn that the escalation may soon be "
                  f"impossible to stop.\n\nResidents said they had never seen such fear {IMG} in the capital, the "
                  "biggest wave of panic in years.")


def build_web_store(path: Path) -> Path:
    """examples/corpus, a hostile original, its hostile copy and a hostile narrative article, with the
    example fact-checks imported, ingested and analysed."""
    body = article(7001, paragraphs=6)
    lines = [
        {"id": HOSTILE_ORIGINAL, "title": f"Harbour {SCRIPT} news", "outlet": HOSTILE_OUTLET,
         "published": "2025-01-01", "url": "javascript:alert(1)",
         "text": f"Harbour news {SCRIPT} today.\n\n{body}\n\nEnd {IMG} of story."},
        {"id": HOSTILE_COPY, "title": f"Copied {IMG}", "outlet": IMG, "published": "2025-01-02",
         "author": SCRIPT, "text": f"Shared by our partners {IMG}.\n\nHarbour news {SCRIPT} today.\n\n{body}\n\n"
                                   f"End {IMG} of story."},
        # labelled by the narratives stage (taxonomy example sentences) and rich in technique spans
        {"id": NARRATIVE_REF, "title": f"War fears {SCRIPT} grow", "outlet": NARRATIVE_OUTLET,
         "published": "2025-04-07", "text": NARRATIVE_TEXT},
    ]
    src = path.parent / "hostile.jsonl"
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    with Store(path) as store:
        ingest(store, [EXAMPLES, src], workers=1)
        import_factchecks(store, FACTCHECKS)  # as `make demo` does, so claims get fact-check matches
        analyze(store)
    return path


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_web_store(tmp_path_factory.mktemp("web") / "web.db")


def _into_postgres(pg_server: str, source: Path) -> str:
    """A new PostgreSQL database holding a copy of the SQLite store (``narratrace migrate``'s code)."""
    from conftest import new_pg_database

    from narratrace.store.transfer import copy_corpus

    _, url = new_pg_database(pg_server)
    with Store(source, readonly=True) as src, open_store(url) as dst:
        copy_corpus(src, dst)
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, sqlite_db: Path) -> str:
    """The web store on each backend: the SQLite file, or a PostgreSQL copy of it."""
    if request.param == "sqlite":
        return str(sqlite_db)
    return _into_postgres(request.getfixturevalue("pg_server"), sqlite_db)


@pytest.fixture(scope="module")
def client(db: str) -> Iterator[TestClient]:
    with TestClient(create_app(str(db))) as c:
        yield c


@pytest.fixture(scope="module")
def export(db: str) -> dict:
    with open_store(db, readonly=True) as store:
        return export_corpus(store)


@pytest.fixture()
def writable(db: str, sqlite_db: Path, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A copy of the store for tests that write (on the same backend)."""
    if is_postgres_url(db):
        return _into_postgres(request.getfixturevalue("pg_server"), sqlite_db)
    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    return str(copy)


def _ref_path(ref: str) -> str:
    return quote(ref, safe="")


def pages(export: dict) -> list[str]:
    group = export["republication_groups"][0]
    outlet = next(a["outlet"] for a in export["articles"] if a["outlet"])
    return ["/", "/?outlet=" + quote(outlet), "/?language=en&date_from=2025-04-03&date_to=2025-04-04",
            "/?limit=3&offset=3", "/groups", f"/groups/{group['id']}",
            f"/groups/{group['id']}?copy={quote(next(m for m in group['members'] if m != group['original']))}",
            "/articles/" + _ref_path(group["original"]), "/articles/" + _ref_path(HOSTILE_COPY),
            "/articles/" + _ref_path(HOSTILE_ORIGINAL), "/search?q=drones", "/search?q=", "/search?q=harbour+news",
            "/outlets", "/outlets/" + _ref_path(outlet), "/outlets/" + _ref_path(HOSTILE_OUTLET), "/skipped",
            "/sources", "/sources?limit=3&offset=3", "/claim-groups", "/claim-groups?limit=2&offset=2",
            *{"/claim-groups/" + _ref_path(g["id"]) for g in export["claim_groups"][:1]
              + [g for g in export["claim_groups"] if g["attribution_conflict"]][:1]},
            "/narratives", "/stories", "/stories?limit=2&offset=2", "/stories/" + _ref_path(export["stories"][0]["id"]),
            "/techniques", "/techniques?limit=1&offset=1", "/factchecks", "/factchecks?limit=2&offset=1",
            "/articles/" + NARRATIVE_REF, "/outlets/" + _ref_path(NARRATIVE_OUTLET),
            "/provenance", "/provenance?limit=2&offset=1", "/stories/map"]


def test_web_api_every_page_renders_html_with_a_json_twin(client: TestClient, export: dict) -> None:
    for url in pages(export):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp
        assert "script-src 'self';" in csp  # the analyses' own drawing code only: nothing inline, nothing from elsewhere
        twin = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)">', r.text)
        assert twin, url
        j = client.get(twin.group(1).replace("&amp;", "&"))
        assert j.status_code == 200, (url, twin.group(1), j.text[:300])
        assert j.json()["ok"] is True


def test_web_api_lists_mirror_the_export_contract(client: TestClient, export: dict) -> None:
    arts = client.get("/api/articles", params={"limit": MAX_LIMIT}).json()
    assert arts["total"] == len(export["articles"])
    assert sorted(arts["articles"], key=lambda a: a["ref"]) == sorted(export["articles"], key=lambda a: a["ref"])
    reps = client.get("/api/republications", params={"limit": MAX_LIMIT}).json()
    assert reps["republications"] == export["republications"] and reps["total"] == len(export["republications"])
    groups = client.get("/api/groups").json()
    assert groups["republication_groups"] == export["republication_groups"]
    skipped = client.get("/api/skipped").json()["skipped"]
    assert [{"path": s["path"], "reason": s["reason"]} for s in skipped] == export["skipped"]


def test_web_api_pagination_covers_everything_once(client: TestClient, export: dict) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = client.get("/api/articles", params={"limit": 4, "offset": offset}).json()
        assert page["limit"] == 4 and page["offset"] == offset and page["total"] == len(export["articles"])
        if not page["articles"]:
            break
        seen += [a["ref"] for a in page["articles"]]
        offset += 4
    assert sorted(seen) == sorted(a["ref"] for a in export["articles"])
    dates = [a["published"] or "" for a in client.get("/api/articles", params={"limit": 100}).json()["articles"]]
    assert dates == sorted(dates, reverse=True)  # newest first


@pytest.mark.parametrize("params", [{"limit": MAX_LIMIT + 1}, {"limit": 0}, {"offset": -1},
                                    {"date_from": "yesterday"}, {"limit": "ten"}])
def test_web_api_bad_parameters_are_clear_422s(client: TestClient, params: dict) -> None:
    r = client.get("/api/articles", params=params)
    assert r.status_code == 422
    body = r.json()
    assert body["ok"] is False and body["status"] == 422 and body["error"] and body["errors"]
    page = client.get("/", params=params)
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")


def test_web_api_filters(client: TestClient, export: dict) -> None:
    outlet = next(a["outlet"] for a in export["articles"] if a["outlet"])
    got = client.get("/api/articles", params={"outlet": outlet}).json()["articles"]
    assert got and {a["ref"] for a in got} == {a["ref"] for a in export["articles"] if a["outlet"] == outlet}
    got = client.get("/api/articles", params={"language": "de"}).json()["articles"]
    assert {a["ref"] for a in got} == {a["ref"] for a in export["articles"] if a["language"] == "de"}
    got = client.get("/api/articles", params={"date_from": "2025-04-03", "date_to": "2025-04-04"}).json()
    want = {a["ref"] for a in export["articles"]
            if a["published"] and "2025-04-03" <= a["published"][:10] <= "2025-04-04"}
    assert {a["ref"] for a in got["articles"]} == want and got["total"] == len(want)
    empty = client.get("/api/articles", params={"outlet": "", "language": ""}).json()  # an empty form field
    assert empty["total"] == len(export["articles"])
    overview = client.get("/api/overview", params={"language": "de"}).json()
    assert overview["filters"]["language"] == "de" and overview["stats"]["articles"] == len(export["articles"])


def test_web_api_article_detail(client: TestClient, export: dict, db: str) -> None:
    group = export["republication_groups"][0]
    r = client.get("/api/articles/" + _ref_path(group["original"]))
    assert r.status_code == 200
    d = r.json()
    with open_store(db, readonly=True) as store:
        art = store.article(group["original"])
    assert d["article"]["text"] == art.text and d["article"]["ref"] == art.ref
    assert d["republication_group"] == group
    assert {p["copy"] for p in d["republications"] if p["original"] == art.ref} >= set(group["members"]) - {art.ref}
    assert client.get("/api/articles/" + art.id).json()["article"]["ref"] == art.ref  # by id too
    hostile = client.get("/api/articles/" + _ref_path(HOSTILE_COPY)).json()
    assert hostile["article"]["ref"] == HOSTILE_COPY and hostile["republications"][0]["original"] == HOSTILE_ORIGINAL
    g = client.get(f"/api/groups/{group['id']}").json()
    assert g["republication_group"] == group and {a["ref"] for a in g["articles"]} == set(group["members"])


@pytest.mark.parametrize("url", ["/articles/nope", "/api/articles/nope", "/groups/999999", "/api/groups/999999",
                                 "/outlets/No%20Such%20Outlet", "/api/outlets/nobody", "/no/such/page", "/api/nope",
                                 "/articles/harbour-courier-drones?with=nope"])
def test_web_api_unknown_things_are_404(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 404
    if url.startswith("/api"):
        assert r.json() == {"ok": False, "error": r.json()["error"], "errors": [], "status": 404}
    else:
        assert r.headers["content-type"].startswith("text/html") and "404" in r.text


@pytest.mark.parametrize("url", ["/articles/..%2F..%2F..%2Fetc%2Fpasswd", "/api/articles/../../../etc/passwd",
                                 "/api/articles/%2e%2e/%2e%2e/pyproject.toml", "/static/../../pyproject.toml",
                                 "/static/..%2F..%2Fpyproject.toml", "/outlets/..%2F..%2F..%2Fetc%2Fpasswd",
                                 "/articles/%2Fetc%2Fpasswd", "/static/narratrace.css/../../../pyproject.toml",
                                 "/api/articles/%00", "/groups/..%2F1"])
def test_web_api_no_path_traversal(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code in (404, 422), (url, r.status_code)
    assert "root:" not in r.text and "[project]" not in r.text and "build-system" not in r.text


def test_web_api_hostile_content_is_escaped(client: TestClient, export: dict) -> None:
    urls = ["/articles/" + _ref_path(HOSTILE_COPY), "/articles/" + _ref_path(HOSTILE_ORIGINAL), "/",
            "/search?q=harbour+news", "/outlets/" + _ref_path(HOSTILE_OUTLET), "/outlets"]
    group = next(g for g in export["republication_groups"] if HOSTILE_COPY in g["members"])
    urls.append(f"/groups/{group['id']}")
    for url in urls:
        html = client.get(url).text
        assert SCRIPT not in html and "<img" not in html and "<script" not in html.lower(), url
        assert "&lt;script&gt;" in html or "&lt;img" in html, url  # shown as text
        tree = lxml.html.fromstring(html)
        assert not tree.xpath("//script | //img | //iframe | //object"), url
        assert not [a for el in tree.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")], url
        assert not [h for h in tree.xpath("//@href | //@src") if not re.match(r"^(/|\?|#|https?://|data:,$)", h)], url


def _fingerprint(db: str) -> object:
    """What changes when anything is written: the file's bytes, or PostgreSQL's count of write transactions."""
    if is_postgres_url(db):
        with open_store(db, readonly=True) as store:
            return store.data_version()
    return hashlib.sha256(Path(db).read_bytes()).hexdigest()


def test_web_api_read_only(db: str, export: dict) -> None:
    before = _fingerprint(db)
    with TestClient(create_app(str(db))) as c:
        for url in pages(export):
            assert c.get(url).status_code == 200
        assert c.post("/api/articles", json={"articles": [{"text": "x"}]}).status_code == 403
    assert _fingerprint(db) == before


def test_web_api_write_needs_the_token(writable: str) -> None:
    doc = {"articles": [{"id": "up-1", "text": article(42), "outlet": "Upload Times"}]}
    with TestClient(create_app(str(writable))) as c:
        r = c.post("/api/articles", json=doc, headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 403 and r.json()["ok"] is False and "token" in r.json()["error"]
    with TestClient(create_app(str(writable), write_token=TOKEN)) as c:
        assert c.post("/api/articles", json=doc).status_code == 401
        r = c.post("/api/articles", json=doc, headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert c.post("/api/articles", json=doc, headers={"Authorization": TOKEN}).status_code == 401
        assert c.get("/api/articles/up-1").status_code == 404


def test_web_api_upload_ingests_and_analyses(writable: str) -> None:
    text = article(4242)
    docs = {"articles": [
        {"id": "up-original", "text": text, "outlet": "Upload Times", "published": "2025-05-01", "title": "Up"},
        {"id": "up-copy", "text": "Republished with permission.\n\n" + text, "outlet": "Copy Daily",
         "published": "2025-05-03"},
        {"id": "no-text", "title": "nothing here"},
        {"id": "up-original", "text": "again"},
    ]}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(str(writable), write_token=TOKEN)) as c:
        before = c.get("/api/overview").json()["stats"]["articles"]
        r = c.post("/api/articles", json=docs, headers=auth)
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["ok"] and d["added"] == 2 and d["refs"] == ["up-original", "up-copy"]
        assert len(d["skipped"]) == 2 and d["analysis"]["republications"] >= 2 and not d["failed"]
        assert c.get("/api/overview").json()["stats"]["articles"] == before + 2  # the cache saw the write
        detail = c.get("/api/articles/up-copy").json()
        assert detail["republications"][0]["original"] == "up-original"
        assert c.get("/articles/up-copy").status_code == 200
        again = c.post("/api/articles", json={"articles": docs["articles"][:2]}, headers=auth).json()
        assert again["added"] == 0 and again["unchanged"] == 2


@pytest.mark.parametrize("body, status", [(b"{not json", 400), (b'{"articles": []}', 422), (b"[1, 2]", 422),
                                          (b'{"articles": [{"text": "x"}], "extra": 1}', 422)])
def test_web_api_upload_rejects_bad_bodies(writable: str, body: bytes, status: int) -> None:
    with TestClient(create_app(str(writable), write_token=TOKEN)) as c:
        r = c.post("/api/articles", content=body, headers={"Authorization": f"Bearer {TOKEN}",
                                                           "Content-Type": "application/json"})
        assert r.status_code == status and r.json()["ok"] is False and r.json()["status"] == status


def test_web_api_request_size_limit(writable: str) -> None:
    big = b'{"articles": [{"text": "' + b"a" * (6 * 1024 * 1024) + b'"}]}'
    auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    with TestClient(create_app(str(writable), write_token=TOKEN)) as c:
        r = c.post("/api/articles", content=big, headers=auth)
        assert r.status_code == 413 and r.json()["status"] == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
            for i in range(0, len(big), 1 << 20):
                yield big[i:i + (1 << 20)]

        r = c.post("/api/articles", content=chunks(), headers=auth)
        assert r.status_code == 413 and r.json()["ok"] is False
        r = c.post("/api/articles", content=b"{}", headers={**auth, "Content-Length": "lots"})
        assert r.status_code == 400


def test_web_api_search(client: TestClient) -> None:
    d = client.get("/api/search", params={"q": "drones", "limit": 2}).json()
    assert d["ok"] and len(d["hits"]) == 2 and d["hits"][0]["score"] >= d["hits"][1]["score"]
    nxt = client.get("/api/search", params={"q": "drones", "limit": 2, "offset": 2}).json()
    assert not {h["ref"] for h in d["hits"]} & {h["ref"] for h in nxt["hits"]}
    assert client.get("/api/search", params={"q": '" OR * NEAR('}).json()["hits"] == []
    assert client.get("/api/search").status_code == 422


def test_web_api_outlet(client: TestClient, export: dict) -> None:
    group = export["republication_groups"][0]
    refs = {a["ref"]: a for a in export["articles"]}
    outlet = refs[group["original"]]["outlet"]
    d = client.get("/api/outlets/" + _ref_path(outlet)).json()
    assert d["outlet"] == outlet and d["articles"]["total"] == sum(a["outlet"] == outlet for a in export["articles"])
    assert sum(c["count"] for c in d["copied_by"]) >= 1
    listing = client.get("/api/outlets").json()
    assert sum(o["count"] for o in listing["outlets"]) == len(export["articles"])


def test_web_api_openapi_and_no_external_docs(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/api/articles", "/api/articles/{ref}", "/api/republications", "/api/groups", "/api/search",
                 "/api/outlets", "/api/overview", "/api/skipped"):
        assert path in schema["paths"], path
    assert "requestBody" in schema["paths"]["/api/articles"]["post"]
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    assert client.delete("/api/articles").json()["status"] == 405


def test_web_api_create_app_needs_a_database(tmp_path: Path, db: str) -> None:
    with pytest.raises(StoreError, match="no database"):
        create_app(str(tmp_path / "missing.db"))
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        create_app(str(tmp_path / "junk.db"))
    sqlite3.connect(tmp_path / "empty.db").close()
    (tmp_path / "empty.db").write_bytes(b"")
    with pytest.raises(StoreError):
        create_app(str(tmp_path / "empty.db"))
    with pytest.raises(ConfigError):
        create_app(str(db), write_token=" ")


def test_web_api_cli_serve_runs_uvicorn(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from narratrace.cli import cli
    from narratrace.web import server

    seen: dict = {}

    class Server:
        def run(self, sockets: list) -> None:
            seen["address"] = sockets[0].getsockname()

    monkeypatch.setattr(server, "server_for", lambda app, **kw: seen.update(app=app) or Server())
    result = CliRunner().invoke(cli, ["serve", "--db", str(db), "--port", "0", "--token", TOKEN])
    assert result.exit_code == 0, result.output
    host, port = seen["address"][:2]
    assert host == "127.0.0.1" and port > 0 and f"on http://127.0.0.1:{port}/" in result.output
    assert seen["app"].state.corpus.write_token == TOKEN
    missing = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "none.db")])
    assert missing.exit_code != 0 and "no database" in missing.output


def test_web_api_search_pages_match_the_store_and_window(client: TestClient, db: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from narratrace.store.browse import search_page
    from narratrace.web import views

    with open_store(db, readonly=True) as store:
        full = store.search("drones", limit=50)
        page, windowed = search_page(store, "drones", limit=3, offset=2)
        assert [h.ref for h in page] == [h.ref for h in full[2:5]] and not windowed
        newest, windowed = search_page(store, "drones", limit=50, window=2)
        assert windowed and len(newest) == 2
    monkeypatch.setattr(views, "SEARCH_WINDOW", 2)
    d = client.get("/api/search", params={"q": "drones"}).json()
    assert d["windowed"] is True and len(d["hits"]) == 2
    assert "most recently ingested" in client.get("/search", params={"q": "drones"}).text


def test_web_api_article_pairs_are_capped(client: TestClient, export: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    from narratrace.web import views

    group = export["republication_groups"][0]
    original = group["original"]
    copies = [p["copy"] for p in export["republications"] if p["original"] == original]
    assert len(copies) >= 2
    monkeypatch.setattr(views, "RELATIONS_LIMIT", 1)
    html = client.get("/articles/" + _ref_path(original)).text
    assert f"{len(copies) - 1} more pairs not shown" in html
    # a pair beyond the listed ones can still be highlighted
    assert client.get("/articles/" + _ref_path(original), params={"with": copies[-1]}).status_code == 200
    monkeypatch.setattr(views, "RELATIONS_JSON_LIMIT", 1)
    d = client.get("/api/articles/" + _ref_path(original)).json()
    assert len(d["republications"]) == 1 and d["republications_not_shown"] == len(copies) - 1


def test_web_api_cached_pages_work_on_a_fresh_thread(db: str) -> None:
    """/outlets reads only cached facets: a worker thread's first request must still open its connection."""
    with TestClient(create_app(str(db))) as c:
        assert c.get("/outlets").status_code == 200
        assert c.get("/api/outlets").json()["ok"] is True


# -- claims, claim groups, cited sources, provenance ---------------------------------------------------

def test_web_api_claims_exist_in_the_test_corpus(export: dict) -> None:
    assert export["claims"] and export["claim_groups"]
    assert any(g["attribution_conflict"] for g in export["claim_groups"])


def test_web_api_claim_groups_mirror_the_export(client: TestClient, export: dict) -> None:
    j = client.get("/api/claim-groups", params={"limit": MAX_LIMIT}).json()
    assert j["total"] == len(export["claim_groups"])
    assert j["claim_groups"] == export["claim_groups"]
    seen = []
    for offset in range(0, j["total"], 5):
        page = client.get("/api/claim-groups", params={"limit": 5, "offset": offset}).json()
        assert page["limit"] == 5 and page["offset"] == offset
        seen += [g["id"] for g in page["claim_groups"]]
    assert seen == [g["id"] for g in export["claim_groups"]]
    for g in export["claim_groups"][:3]:
        d = client.get("/api/claim-groups/" + _ref_path(g["id"])).json()
        assert d["claim_group"] == g
        assert [t["article"] for t in d["timeline"]] == g["articles"]
        assert [t["stance"] for t in d["timeline"]] == [a["stance"] for a in g["attributions"]]
        assert sum(t["first"] for t in d["timeline"]) == 1
    assert client.get("/api/claim-groups/no-such-group").status_code == 404
    assert client.get("/claim-groups/no-such-group").status_code == 404


def test_web_api_claim_group_page(client: TestClient, export: dict) -> None:
    g = next(g for g in export["claim_groups"] if g["attribution_conflict"])
    html = client.get("/claim-groups/" + _ref_path(g["id"])).text
    tree = lxml.html.fromstring(html)
    assert tree.xpath("//*[contains(@class, 'conflict-box')]")  # the conflict is highlighted
    rows = tree.xpath("//table[contains(@class, 'appearances')]/tbody/tr")
    assert len(rows) == len(g["articles"])
    assert tree.xpath("//table[contains(@class, 'appearances')]//tr[contains(@class, 'conflicting')]")
    links = tree.xpath("//table[contains(@class, 'appearances')]//a[starts-with(@href, '/articles/')]/@href")
    assert {h.split("#")[0] for h in links} == {"/articles/" + _ref_path(r) for r in g["articles"]}
    first = tree.xpath("//dl[contains(@class, 'meta-grid')]//code[contains(@class, 'ref')]/text()")
    assert g["first_seen"] in first
    listing = client.get("/claim-groups", params={"limit": MAX_LIMIT}).text
    assert ('href="/claim-groups/' + g["id"] + '"') in listing


def test_web_api_sources_and_claims_by_source(client: TestClient, export: dict, db: str) -> None:
    with open_store(db, readonly=True) as store:
        summary = [s.to_dict() for s in sources_summary(store, graph=build_graph(store))]
    j = client.get("/api/sources", params={"limit": MAX_LIMIT}).json()
    assert j["total"] == len(summary) > 0
    assert [{k: v for k, v in s.items() if k != "claims_url"} for s in j["sources"]] == summary
    top = j["sources"][0]
    claims = client.get(top["claims_url"] + f"&limit={MAX_LIMIT}").json()
    wanted = [c for c in export["claims"] if top["source"].casefold() in
              {str(c["source"] or "").casefold(), str(c["source_canonical"] or "").casefold()}]
    assert claims["total"] == len(wanted) > 0 and claims["claims"] == wanted
    page = client.get("/api/claims", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == len(export["claims"]) and page["claims"] == export["claims"][1:3]
    ref = export["claims"][0]["article"]
    mine = client.get("/api/claims", params={"article": ref, "limit": MAX_LIMIT}).json()["claims"]
    assert mine == [c for c in export["claims"] if c["article"] == ref]
    assert client.get("/api/claims", params={"article": "no-such-article"}).status_code == 404
    html = client.get("/sources").text
    assert top["source"] in lxml.html.fromstring(html).text_content()
    assert 'id="provenance"' in html and "provenance-cites" in html


def test_web_api_provenance(client: TestClient, export: dict) -> None:
    j = client.get("/api/provenance").json()
    assert j["ok"] is True
    assert {"nodes": j["nodes"], "edges": j["edges"]} == export["provenance"]


def test_web_api_article_claims_layer(client: TestClient, export: dict) -> None:
    grouped = {m["article"]: g["id"] for g in export["claim_groups"] for m in g["members"]}
    ref = next(iter(grouped))
    html = client.get("/articles/" + _ref_path(ref)).text
    tree = lxml.html.fromstring(html)
    n = sum(1 for c in export["claims"] if c["article"] == ref)
    assert len(tree.xpath("//section[@id='claims']//span[contains(@class, 'clabel')]")) == n
    assert tree.xpath("//input[@id='claims-c']") and tree.xpath("//label[@for='claims-c']")
    groups = set(tree.xpath("//section[@id='claims']//a[contains(@class, 'cgrp')]/@href"))
    assert "/claim-groups/" + grouped[ref] in groups
    assert groups <= {"/claim-groups/" + g["id"] for g in export["claim_groups"]}
    text = "".join(tree.xpath("//div[contains(@class, 'claims-text')]//span[contains(@class, 'seg')]/text()"))
    full = client.get("/api/articles/" + _ref_path(ref)).json()
    assert text == full["article"]["text"]  # the segments give the text back exactly
    assert [c["id"] for c in full["claims"]] == [c["id"] for c in export["claims"] if c["article"] == ref]
    assert grouped[ref] in full["claim_groups"]
    nav = tree.xpath("//header//nav//a/@href")
    assert "/sources" in nav and "/claim-groups" in nav


def test_web_api_no_claims_shows_none_of_it(writable: str, export: dict) -> None:
    with open_store(writable) as store, store._transaction():
        store.db.execute("DELETE FROM annotations WHERE kind = 'claim'")
        store.db.execute("DELETE FROM claim_group_articles")
        store.db.execute("DELETE FROM claim_groups")
    ref = export["claims"][0]["article"]
    with TestClient(create_app(str(writable))) as c:
        for url in ["/", "/groups", "/articles/" + _ref_path(ref), "/outlets"]:
            r = c.get(url)
            assert r.status_code == 200, url
            tree = lxml.html.fromstring(r.text)
            assert not {"/sources", "/claim-groups"} & set(tree.xpath("//header//nav//a/@href")), url
            assert not tree.xpath("//section[@id='claims'] | //*[contains(@class, 'clabel')]"), url
        assert c.get("/sources").status_code == 404
        assert c.get("/claim-groups").status_code == 404
        assert c.get("/api/claim-groups").json()["total"] == 0
        assert c.get("/api/sources").json()["total"] == 0
        assert c.get("/api/claims").json()["total"] == 0
        assert c.get("/api/articles/" + _ref_path(ref)).json()["claims"] == []


def test_web_api_hostile_source_name_is_escaped(writable: str) -> None:
    with open_store(writable) as store:
        art = store.article(HOSTILE_ORIGINAL)
        start = art.text.index("Harbour news")
        end = art.text.index("today.") + len("today.")
        data = {"id": "c-hostile-1", "score": 0.9, "source": SCRIPT, "source_canonical": SCRIPT,
                "source_kind": "person", "source_start": start, "source_end": start + 7, "cue": IMG,
                "quote": "direct", "hedges": [f"allegedly {IMG}"], "hedge_spans": [[start + 8, start + 12]],
                "carried": False}
        store.save_stage_results("claims", "v1", [(art.id, art.content_hash, None,
                                                   [Annotation("claim", start, end, None, data)])])
    with TestClient(create_app(str(writable))) as c:
        for url in ["/articles/" + _ref_path(HOSTILE_ORIGINAL), "/sources", "/sources?limit=500"]:
            html = c.get(url).text
            assert "<script" not in html.lower() and "<img" not in html, url
            tree = lxml.html.fromstring(html)
            assert not tree.xpath("//script | //img | //iframe | //object"), url
            assert not [a for el in tree.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
            assert not [h for h in tree.xpath("//@href") if not re.match(r"^(/|\?|#|https?://|data:,$)", h)], url
        article = lxml.html.fromstring(c.get("/articles/" + _ref_path(HOSTILE_ORIGINAL)).text)
        label = article.xpath("//section[@id='claims']//span[contains(@class, 'clabel')]")[0]
        assert SCRIPT in label.text_content() and IMG in label.text_content()
        src = article.xpath("//div[contains(@class, 'claims-text')]//span[contains(concat(' ', @class, ' '), ' src ')]")
        assert [s.text_content() for s in src] == ["Harbour"]  # the source span as written, highlighted
        sources = c.get("/api/sources", params={"limit": MAX_LIMIT}).json()["sources"]
        hostile = next(s for s in sources if s["source"] == SCRIPT)
        assert hostile["claims_url"] == "/api/claims?" + "source=" + quote(SCRIPT, safe="").replace("%20", "+")
        claims = c.get(hostile["claims_url"]).json()
        assert claims["total"] == 1 and claims["claims"][0]["source"] == SCRIPT
        assert claims["claims"][0]["cue"] == IMG
        page = lxml.html.fromstring(c.get("/sources", params={"limit": MAX_LIMIT}).text)
        assert SCRIPT in page.text_content()


def test_web_api_semantic_claim_search(client: TestClient) -> None:
    r = client.get("/api/search/claims", params={"q": "drones were smuggled through the port of Kessport", "limit": 5})
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert len(hits) == 5
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert "drone" in hits[0]["text"].lower() and hits[0]["score"] > 0.5
    page = client.get("/search/claims", params={"q": "drones were smuggled through the port"})
    assert page.status_code == 200 and hits[0]["article"] in page.text
    assert "search claims by meaning" in client.get("/search", params={"q": "drones"}).text


# -- the analysis pages: narratives and stories, techniques, framing, fact-checks ----------------------

DEBUNKED_CLAIM = "The drones found at Kessport were intended for attacks on civilian infrastructure"
WAR_NARRATIVE = "URW: Amplifying war-related fears"
EVIDENCE = "Every new shipment of weapons brings us closer to World War Three."


def _tree(client: TestClient, url: str) -> Any:
    r = client.get(url)
    assert r.status_code == 200, (url, r.text[:300])
    return lxml.html.fromstring(r.text)


def test_web_api_analyses_ran_on_the_test_corpus(export: dict) -> None:
    assert any(n["article"] == NARRATIVE_REF and n["narrative"] == WAR_NARRATIVE for n in export["narratives"])
    assert any(len(s["articles"]) > 1 for s in export["stories"])
    assert any(t["article"] == NARRATIVE_REF and t["text"] == "never seen" for t in export["techniques"])
    assert export["framing"] and export["factcheck_matches"]


def test_web_api_nav_shows_the_analysis_pages(client: TestClient) -> None:
    nav = set(_tree(client, "/").xpath("//header//nav//a/@href"))
    assert {"/narratives", "/stories", "/techniques", "/factchecks"} <= nav


def test_web_api_narratives_page(client: TestClient, export: dict) -> None:
    tree = _tree(client, "/narratives")
    section = next(s for s in tree.xpath("//section[contains(@class, 'narrative')]")
                   if s.xpath("string(h2)").startswith(WAR_NARRATIVE))
    carriers = {n["article"] for n in export["narratives"] if n["narrative"] == WAR_NARRATIVE}
    assert f"{len(carriers)} article" in section.xpath("string(h2)")
    assert NARRATIVE_REF in section.xpath(".//code[@class='ref']/text()")
    assert EVIDENCE in [m.text_content() for m in section.xpath(".//mark[contains(@class, 'nev')]")]
    assert "By continuing the war we risk WWIII" in section.text_content()   # its subnarrative
    j = client.get("/api/narratives").json()
    war = next(n for n in j["narratives"] if n["narrative"] == WAR_NARRATIVE)
    assert war["articles"] == len(carriers)
    assert EVIDENCE in next(e for e in war["evidence"] if e["article"] == NARRATIVE_REF)["sentences"]
    assert client.get("/api/narratives", params={"offset": 500}).json()["narratives"] == []


def test_web_api_article_narratives_and_techniques_highlighted(client: TestClient, export: dict) -> None:
    url = "/articles/" + NARRATIVE_REF
    html = client.get(url).text
    assert SCRIPT not in html and "<img" not in html
    tree = lxml.html.fromstring(html)
    narr = tree.xpath("//section[@id='narratives']")[0]
    assert WAR_NARRATIVE in narr.xpath("string(.//ul)")
    marks = [m.text_content() for m in narr.xpath(".//div[contains(@class, 'narratives-text')]/mark")]
    assert EVIDENCE in marks
    # the whole text, escaped, markup shown as text
    assert narr.xpath("string(.//div[contains(@class, 'narratives-text')])") == NARRATIVE_TEXT
    tq = tree.xpath("//section[@id='techniques']")[0]
    text = tq.xpath(".//div[contains(@class, 'techniques-text')]")[0]
    assert text.text_content() == NARRATIVE_TEXT
    spans = {m.text_content(): m.get("title") for m in text.xpath("./mark")}
    assert "never seen" in spans and "Exaggeration" in spans["never seen"]
    mine = [t for t in export["techniques"] if t["article"] == NARRATIVE_REF]
    assert {t["text"] for t in mine} <= set(spans)
    legend = [c.text_content() for c in tq.xpath(".//p[@class='tq-legend']/span")]
    counts: dict[str, int] = {}
    for t in mine:
        counts[t["technique"]] = counts.get(t["technique"], 0) + 1
    assert sorted(int(x.split()[-1]) for x in legend) == sorted(counts.values())
    j = client.get("/api" + url).json()
    assert j["technique_counts"] == counts
    assert [(t["start"], t["end"], t["technique"]) for t in j["techniques"]] == \
        [(t["start"], t["end"], t["technique"]) for t in mine]
    assert j["narratives"][0]["narrative"] == WAR_NARRATIVE
    assert EVIDENCE in [e["text"] for e in j["narratives"][0]["evidence"]]
    assert j["stories"] and j["stories"][0]["id"] in {s["id"] for s in export["stories"] if NARRATIVE_REF in s["articles"]}
    # the generic annotation table no longer repeats what the sections show
    assert not tree.xpath("//section[@id='annotations']//code[text()='technique' or text()='narrative']")


def test_web_api_stories(client: TestClient, export: dict) -> None:
    biggest = max(export["stories"], key=lambda s: len(s["articles"]))
    tree = _tree(client, "/stories")
    row = next(r for r in tree.xpath("//table[contains(@class, 'stories')]//tbody/tr")
               if r.xpath("string(td[1])") == biggest["label"])
    assert row.xpath("string(td[2])") == str(len(biggest["articles"]))
    assert biggest["start"] in row.xpath("string(td[3])") and biggest["end"] in row.xpath("string(td[3])")
    j = client.get("/api/stories", params={"limit": MAX_LIMIT}).json()
    assert j["total"] == len(export["stories"]) and j["stories"][0]["id"] == biggest["id"]
    seen = [s["id"] for off in range(0, j["total"], 2)
            for s in client.get("/api/stories", params={"limit": 2, "offset": off}).json()["stories"]]
    assert sorted(seen) == sorted(s["id"] for s in export["stories"])
    page = _tree(client, "/stories/" + _ref_path(biggest["id"]))
    assert page.xpath("//table[contains(@class, 'story-articles')]//code[@class='ref']/text()") == biggest["articles"]
    detail = client.get("/api/stories/" + _ref_path(biggest["id"])).json()
    assert [a["ref"] for a in detail["articles"]] == biggest["articles"] and detail["story"]["label"] == biggest["label"]
    assert client.get("/stories/st-nope").status_code == 404
    assert client.get("/api/stories/st-nope").json()["status"] == 404


def test_web_api_techniques_page(client: TestClient, export: dict) -> None:
    totals: dict[str, int] = {}
    for t in export["techniques"]:
        totals[t["technique"]] = totals.get(t["technique"], 0) + 1
    j = client.get("/api/techniques").json()
    assert {t["technique"]: t["count"] for t in j["techniques"] if t["count"]} == totals
    assert j["spans"] == len(export["techniques"])
    mine = next(o for o in j["outlets"] if o["outlet"] == NARRATIVE_OUTLET)
    assert mine["spans"] == sum(1 for t in export["techniques"] if t["article"] == NARRATIVE_REF)
    assert j["articles"][0]["article"] == NARRATIVE_REF  # most spans first
    html = client.get("/techniques").text
    assert "<img" not in html and "<script" not in html.lower()
    tree = lxml.html.fromstring(html)
    rows = {r.xpath("string(td[1])"): r.xpath("string(td[2])")
            for r in tree.xpath("//table[@class='tq-totals']//tbody/tr")}
    assert rows["Exaggeration / minimisation"] == str(totals["Exaggeration,Minimisation"])
    outlets = [r.xpath("string(td[1])") for r in tree.xpath("//section[@id='per-outlet']//tbody/tr")]
    assert NARRATIVE_OUTLET in outlets  # the hostile outlet name, as text
    assert tree.xpath("//section[@id='per-article']//a/@href")[0] == "/articles/" + NARRATIVE_REF + "#techniques"


def test_web_api_article_and_outlet_framing(client: TestClient, export: dict) -> None:
    role = export["framing"][0]
    tree = _tree(client, "/articles/" + _ref_path(role["article"]))
    rows = [[td.text_content().strip() for td in tr.xpath("td")]
            for tr in tree.xpath("//section[@id='framing']//tbody/tr")]
    assert len(rows) == sum(1 for r in export["framing"] if r["article"] == role["article"])
    row = next(r for r in rows if r[0].startswith(role["entity"]) and r[1] == role["main_role"].lower())
    assert row[2] == ", ".join(role["fine_roles"])
    art = client.get("/api/articles/" + _ref_path(role["article"])).json()
    assert art["framing"][0]["entity"] == role["entity"] and art["framing"][0]["main_role"] == role["main_role"]
    text = art["article"]["text"]
    assert " ".join(text[role["evidence"]["start"]:role["evidence"]["end"]].split()) == row[4]
    # the outlet page: how the outlet casts each entity, counted per article
    outlet = "Daily Meridian"
    refs = {a["ref"] for a in export["articles"] if a["outlet"] == outlet}
    mine = [r for r in export["framing"] if r["article"] in refs]
    assert mine
    j = client.get("/api/outlets/" + _ref_path(outlet)).json()
    entity = mine[0]["entity"]
    casts = next(f for f in j["framing"] if f["entity"] == entity)
    assert casts["articles"] == len({r["article"] for r in mine if r["entity"] == entity})
    assert casts["sentence"].startswith(f"{outlet} casts {entity} as {casts['role'].lower()} in {casts['count']} of ")
    page = _tree(client, "/outlets/" + _ref_path(outlet))
    assert casts["sentence"] in page.xpath("string(//section[@id='framing'])")
    hostile = client.get("/api/outlets/" + _ref_path(HOSTILE_OUTLET)).json()["framing"]
    assert hostile and all(f["outlet"] == HOSTILE_OUTLET for f in hostile)
    section = _tree(client, "/outlets/" + _ref_path(HOSTILE_OUTLET)).xpath("//section[@id='framing']")[0]
    assert hostile[0]["sentence"] in section.text_content()   # the outlet's markup shown as text


def test_web_api_factchecks_page_and_article_matches(client: TestClient, export: dict) -> None:
    tree = _tree(client, "/factchecks")
    row = next(r for r in tree.xpath("//table[@class='debunked']//tbody/tr")
               if r.xpath("string(td[1])").startswith(DEBUNKED_CLAIM))
    assert row.xpath("string(td[2])").strip() == "False" and row.xpath("string(td[3])") == "2025-04-03"
    assert "veloria-today-drones-repost" in row.xpath(".//td[4]//code/text()")
    assert row.xpath("string(td[5])").strip() == "Veloria Today"   # repeated after the debunk date
    assert row.xpath("td[1]/a/@href")[0].startswith("https://factdesk.example/")
    j = client.get("/api/factchecks").json()
    d = next(x for x in j["debunked"] if x["claim"].startswith(DEBUNKED_CLAIM))
    assert d["outlets_after"] == ["Veloria Today"] and d["debunked_on"] == "2025-04-03"
    assert j["matched_claims"] == len({m["claim"] for m in export["factcheck_matches"]}) == j["total"]
    # each tier's measured precision, on the page and in its JSON twin, as in the export
    assert [t["tier"] for t in j["tiers"]] == ["match", "possible"] and j["tiers"] == export["factcheck_tiers"]
    assert "Measured precision, end to end" in tree.xpath("string(//main)")
    seen = [c["claim"] for off in range(0, j["total"], 2)
            for c in client.get("/api/factchecks", params={"limit": 2, "offset": off}).json()["claims"]]
    assert sorted(seen) == sorted({m["claim"] for m in export["factcheck_matches"]})
    # the article page: each claim with its matched fact-checks (rating, publisher link, score)
    ref = "veloria-today-drones-repost"
    art = _tree(client, "/articles/" + ref)
    section = art.xpath("//section[@id='factchecks']")[0]
    mine = [m for m in export["factcheck_matches"] if m["article"] == ref]
    assert len(section.xpath(".//div[@class='fcmatch']")) == len(mine)
    match = next(m for m in mine if m["factcheck"]["claim"].startswith(DEBUNKED_CLAIM))
    div = next(x for x in section.xpath(".//div[@class='fcmatch']") if DEBUNKED_CLAIM in x.text_content())
    assert div.xpath("a/@href") == [match["factcheck"]["url"]] and div.xpath("string(a)") == "Coastal Fact Desk"
    assert div.xpath("string(span[contains(@class, 'verdict')])") == "False"
    assert f"score {match['score']:.2f}" in div.text_content()
    api = client.get("/api/articles/" + ref).json()["factcheck_matches"]
    assert sorted(m["claim"] for m in api) == sorted({m["claim"] for m in mine})


def test_web_api_hostile_content_on_analysis_pages(writable: str) -> None:
    """Hostile text in fact-checks (a javascript: URL, markup) and articles stays inert on the new pages."""
    with open_store(writable) as store, store._transaction():
        con = store.db
        rowid, data = con.execute("SELECT rowid, data FROM factcheck_matches ORDER BY rowid LIMIT 1").fetchone()
        d = json.loads(data)
        d["factcheck"].update(url="javascript:alert(1)", publisher=SCRIPT, claim=IMG, rating=SCRIPT, verdict="false")
        con.execute("UPDATE factcheck_matches SET data = ? WHERE rowid = ?", (json.dumps(d), rowid))
        ref = con.execute("SELECT ref FROM articles WHERE id = ?", (d["article"],)).fetchone()[0]
    with TestClient(create_app(str(writable))) as c:
        story = c.get("/api/articles/" + NARRATIVE_REF).json()["stories"][0]["id"]
        for url in ["/articles/" + _ref_path(ref), "/factchecks", "/factchecks?limit=500", "/narratives",
                    "/techniques", "/articles/" + NARRATIVE_REF, "/stories/" + _ref_path(story), "/stories",
                    "/outlets/" + _ref_path(NARRATIVE_OUTLET)]:
            html = c.get(url).text
            assert SCRIPT not in html and "<img" not in html and "<script" not in html.lower(), url
            tree = lxml.html.fromstring(html)
            assert not tree.xpath("//script | //img | //iframe | //object"), url
            assert not [a for el in tree.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
            assert not [h for h in tree.xpath("//@href | //@src") if not re.match(r"^(/|\?|#|https?://|data:,$)", h)], url
        page = lxml.html.fromstring(c.get("/articles/" + _ref_path(ref)).text)
        div = next(x for x in page.xpath("//section[@id='factchecks']//div[@class='fcmatch']") if IMG in x.text_content())
        assert not div.xpath(".//a") and SCRIPT in div.text_content()   # no link, the publisher as text
        assert c.get("/api/articles/" + _ref_path(ref)).json()["factcheck_matches"]  # the data itself is kept


def test_web_api_no_analyses_shows_none_of_them(writable: str) -> None:
    with open_store(writable) as store, store._transaction():
        con = store.db
        con.execute("DELETE FROM annotations WHERE kind IN ('narrative', 'technique', 'framing')")
        con.execute("DELETE FROM stage_results WHERE stage IN ('narratives', 'techniques', 'framing')")
        con.execute("DELETE FROM story_articles")
        con.execute("DELETE FROM stories")
        con.execute("DELETE FROM narrative_topics")
        con.execute("DELETE FROM factcheck_matches")
        con.execute("DELETE FROM factchecks")
    with TestClient(create_app(str(writable))) as c:
        for url in ["/", "/articles/" + NARRATIVE_REF, "/outlets/Daily%20Meridian"]:
            tree = _tree(c, url)
            assert not {"/narratives", "/stories", "/techniques", "/factchecks"} & set(
                tree.xpath("//header//nav//a/@href")), url
            assert not tree.xpath("//section[@id='narratives' or @id='techniques' or @id='framing' "
                                  "or @id='factchecks']"), url
        for url in ["/narratives", "/stories", "/techniques", "/factchecks", "/api/narratives", "/api/stories",
                    "/api/techniques", "/api/factchecks"]:
            assert c.get(url).status_code == 404, url
        j = c.get("/api/articles/" + NARRATIVE_REF).json()
        assert j["narratives"] == j["techniques"] == j["framing"] == j["factcheck_matches"] == j["stories"] == []
