"""The analyses' tables in the web app: filters, facet counts, sorting, pages and CSV/JSON exports.

Runs on the web tests' store (examples/corpus, hostile articles, the example fact-checks) plus one
article whose ref, title and outlet are spreadsheet formulas, on both backends.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import lxml.html
import pytest
from fastapi.testclient import TestClient

from narratrace import analyze
from narratrace.ingest import ingest
from narratrace.store import Store
from narratrace.store.tables import FACET_LIMIT
from narratrace.web import create_app
from narratrace.web.tables import csv_cell, csv_lines

from test_web_api import IMG, NARRATIVE_OUTLET, SCRIPT, _into_postgres, build_web_store

TABLES = ("claims", "sources", "techniques", "framing", "factcheck-matches")
FORMULA_REF = "=cmd|' /C calc'!A0"
FORMULA_OUTLET = "@SUM(1+1)*cmd|' /C calc'!A0"
FORMULA_TEXT = ("The Ministry of Coastal Security said on Tuesday that customs officers had found drone parts in "
                "three containers at Kessport. \"We will not allow our port to be used for smuggling,\" the "
                "minister, Mara Kettil, told reporters.\n\nAccording to the harbour authority, the containers "
                "arrived from Marrenland last week, and officials said more inspections would follow.")


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build_web_store(tmp_path_factory.mktemp("tables") / "web.db")
    src = path.parent / "formula.jsonl"
    src.write_text(json.dumps({"id": FORMULA_REF, "title": "+SUM(A1)", "outlet": FORMULA_OUTLET,
                               "published": "2025-04-08", "text": FORMULA_TEXT}) + "\n", encoding="utf-8")
    with Store(path) as store:
        ingest(store, [src], workers=1)
        analyze(store)
    return path


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def client(request: pytest.FixtureRequest, sqlite_db: Path) -> Iterator[TestClient]:
    db = str(sqlite_db) if request.param == "sqlite" else _into_postgres(request.getfixturevalue("pg_server"), sqlite_db)
    with TestClient(create_app(db)) as c:
        yield c


def _all(client: TestClient, table: str, **params: str) -> dict[str, Any]:
    r = client.get(f"/api/tables/{table}", params={**params, "limit": "500"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["total"] == len(out["rows"]) or out["total"] > 500
    return out


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _cell(value: Any) -> str:
    """A JSON value as the CSV export writes it (formulas neutralised)."""
    if value is None:
        return ""
    return str(csv_cell(value))


# -- the list of tables ------------------------------------------------------------------------------

def test_web_tables_are_listed_with_their_rows(client: TestClient) -> None:
    listed = {t["name"]: t for t in client.get("/api/tables").json()["tables"]}
    assert set(listed) == set(TABLES)
    for name in TABLES:
        assert listed[name]["rows"] == client.get(f"/api/tables/{name}").json()["total"] > 0
    html = client.get("/").text
    assert 'href="/tables"' in html  # in the nav
    page = client.get("/tables").text
    for name in TABLES:
        assert f'href="/tables/{name}"' in page


def test_web_tables_without_results_answer_404(tmp_path: Path) -> None:
    Store(tmp_path / "empty.db").close()
    with TestClient(create_app(str(tmp_path / "empty.db"))) as c:
        assert c.get("/api/tables").json()["tables"] == []
        assert 'href="/tables"' not in c.get("/").text
        for name in TABLES:
            assert c.get(f"/api/tables/{name}").status_code == 404
            assert c.get(f"/tables/{name}").status_code == 404
            assert c.get(f"/tables/{name}.csv").status_code == 404


# -- filters and facets ------------------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_web_tables_facet_counts_agree_with_the_filtered_rows(client: TestClient, table: str) -> None:
    full = _all(client, table)
    assert full["facets"], table
    narrowed = False
    for facet, values in full["facets"].items():
        assert values == sorted(values, key=lambda v: -v["count"]), facet
        if table != "sources" and len(values) < FACET_LIMIT:  # one value per row: the counts add up to the rows
            assert sum(v["count"] for v in values) == full["total"], facet
        for v in [v for v in values if v["value"] is not None][:3]:
            sub = _all(client, table, **{facet: str(v["value"])})
            assert sub["total"] == v["count"] == len(sub["rows"]), (facet, v)
            assert sub["filters"] == {facet: str(v["value"])}
            if facet in sub["rows"][0]:
                assert {str(r[facet]) for r in sub["rows"]} == {str(v["value"])}, (facet, v)
            # the facet of the active filter shows the chosen value alone, selected
            assert sub["facets"][facet] == [{"value": v["value"], "count": v["count"], "selected": True}]
            narrowed |= sub["total"] < full["total"]
    assert narrowed, table


def test_web_tables_filters_combine_and_narrow(client: TestClient) -> None:
    full = _all(client, "claims")
    outlet = next(v["value"] for v in full["facets"]["outlet"] if v["value"])
    kind = next(v["value"] for v in _all(client, "claims", outlet=outlet)["facets"]["kind"] if v["value"] != "none")
    both = _all(client, "claims", outlet=outlet, kind=kind)
    assert 0 < both["total"] < full["total"]
    assert all(r["outlet"] == outlet and r["kind"] == kind for r in both["rows"])
    # text search (case-insensitive), dates (inclusive) and a lowest score
    word = both["rows"][0]["claim"].split()[-1].strip(".,\"'").upper()
    found = _all(client, "claims", q=word)
    assert found["total"] >= 1 and all(word.lower() in r["claim"].lower() for r in found["rows"])
    day = sorted(r["published"] for r in full["rows"] if r["published"])[len(full["rows"]) // 2][:10]
    dated = _all(client, "claims", date_from=day, date_to=day)
    assert dated["total"] == sum(1 for r in full["rows"] if (r["published"] or "")[:10] == day) > 0
    scored = _all(client, "claims", min_score="0.7")
    assert 0 < scored["total"] < full["total"] and all(r["score"] >= 0.7 for r in scored["rows"])
    hedged = [r for r in full["rows"] if r["hedges"]]
    hedge = hedged[0]["hedges"].split(", ")[0]
    assert _all(client, "claims", hedge=hedge)["rows"] == [r for r in full["rows"] if hedge in (r["hedges"] or "").split(", ")]
    assert _all(client, "claims", sort="hedges")["rows"][-1]["hedges"] is None  # no hedge: NULL, last
    # a filter that matches nothing, and wildcard characters taken literally
    assert _all(client, "claims", q="%")["total"] == sum(1 for r in full["rows"] if "%" in r["claim"])
    assert _all(client, "claims", outlet="no such outlet")["total"] == 0


def test_web_tables_claim_group_and_story_filters(client: TestClient) -> None:
    groups = client.get("/api/claim-groups", params={"limit": "1"}).json()["claim_groups"]
    group = groups[0]
    rows = _all(client, "claims", group=group["id"])["rows"]
    assert sorted(r["id"] for r in rows) == sorted(m["claim"] for m in group["members"])
    story = client.get("/api/stories").json()["stories"][0]
    refs = {a["ref"] for a in client.get(f"/api/stories/{story['id']}", params={"limit": "500"}).json()["articles"]}
    spans = _all(client, "framing", story=story["id"])["rows"]
    assert spans and {r["article"] for r in spans} <= refs
    fine = _all(client, "framing", fine_role="Victim")["rows"]
    assert fine and all("Victim" in r["fine_roles"] for r in fine)


# -- sorting and paging ------------------------------------------------------------------------------

@pytest.mark.parametrize(("table", "column"), [("claims", "score"), ("claims", "source"), ("sources", "claims"),
                                               ("framing", "entity"), ("factcheck-matches", "score"),
                                               ("techniques", "technique")])
def test_web_tables_sort_order(client: TestClient, table: str, column: str) -> None:
    for desc in (False, True):
        rows = _all(client, table, sort=("-" if desc else "") + column)["rows"]
        values = [r[column] for r in rows]
        present = [v for v in values if v is not None]
        assert values == present + [None] * (len(values) - len(present)), "NULL comes last"
        assert present == sorted(present, reverse=desc), (column, desc)
        assert len(set(present)) > 1, column


def test_web_tables_default_sort_and_bad_sort(client: TestClient) -> None:
    sources = _all(client, "sources")
    assert sources["sort"] == "-claims"
    counts = [r["claims"] for r in sources["rows"]]
    assert counts == sorted(counts, reverse=True)
    assert client.get("/api/tables/claims", params={"sort": "text; DROP TABLE articles"}).status_code == 422
    assert client.get("/api/tables/claims", params={"sort": "id"}).status_code == 422  # not sortable
    assert client.get("/api/tables/claims", params={"min_score": "nan"}).status_code == 422
    assert client.get("/api/tables/claims", params={"date_from": "2025-4-1"}).status_code == 422


def test_web_tables_pages_cover_the_selection_once(client: TestClient) -> None:
    full = _all(client, "claims", sort="score")
    seen = []
    for offset in range(0, full["total"], 40):
        page = client.get("/api/tables/claims", params={"sort": "score", "limit": "40", "offset": str(offset)}).json()
        assert page["total"] == full["total"] and page["offset"] == offset
        seen += page["rows"]
    assert seen == full["rows"]
    html = client.get("/tables/claims", params={"sort": "score", "limit": "40", "offset": "40"}).text
    assert f"41–80 of {full['total']:,} rows" in html
    assert 'rel="next" href="/tables/claims?sort=score&amp;limit=40&amp;offset=80"' in html


# -- exports -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("table", TABLES)
def test_web_tables_csv_export_has_exactly_the_filtered_rows(client: TestClient, table: str) -> None:
    full = _all(client, table)
    facet, values = next(iter(full["facets"].items()))
    value = next(v for v in values if v["value"] is not None)["value"]
    params = {facet: str(value), "sort": full["sort"]}
    selected = _all(client, table, **params)
    r = client.get(f"/tables/{table}.csv", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = _csv_rows(r.text)
    assert len(rows) == selected["total"] == len(selected["rows"])
    assert list(rows[0]) == [c["name"] for c in selected["columns"]]
    expected = [{k: _cell(v) for k, v in row.items()} for row in selected["rows"]]
    assert rows == expected
    assert client.get(f"/tables/{table}", params={**params, "format": "csv"}).text == r.text
    exported = client.get(f"/tables/{table}.json", params=params).json()
    assert exported["total"] == selected["total"] and exported["rows"] == selected["rows"]
    assert client.get(f"/tables/{table}", params={**params, "format": "json"}).json() == exported


def test_web_tables_csv_neutralises_formulas(client: TestClient) -> None:
    mine = _all(client, "claims", article=FORMULA_REF)
    assert mine["total"] > 0 and all(r["outlet"] == FORMULA_OUTLET for r in mine["rows"])
    text = client.get("/tables/claims.csv", params={"article": FORMULA_REF}).text
    rows = _csv_rows(text)
    assert len(rows) == mine["total"]
    for row in rows:
        assert row["article"] == "'" + FORMULA_REF and row["outlet"] == "'" + FORMULA_OUTLET
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())
    assert "\r\n" in text and '"' in text  # quoted cells (commas and quotes in the claims)
    # every table's export of the whole corpus: no cell a spreadsheet would run
    for table in TABLES:
        for row in _csv_rows(client.get(f"/tables/{table}.csv").text):
            assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values()), table


def test_web_tables_csv_cells_unit() -> None:
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("@A1") == "'@A1" and csv_cell("+x") == "'+x"
    assert csv_cell("-2") == "'-2" and csv_cell("\t=x") == "'\t=x" and csv_cell("a=b") == "a=b"
    assert csv_cell(-2.5) == -2.5 and csv_cell(None) is None
    from narratrace.store.tables import TableColumn
    cols = (TableColumn("a", "x"), TableColumn("b", "y"))
    text = "".join(csv_lines(cols, [{"a": 'say "hi",\nthere', "b": "=HYPERLINK(\"http://x\")"}] * 3, every=2))
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["a", "b"], *[['say "hi",\nthere', "'=HYPERLINK(\"http://x\")"]] * 3]


# -- the pages ---------------------------------------------------------------------------------------

def _safe(html: str, where: str) -> lxml.html.HtmlElement:
    assert SCRIPT not in html and "<img" not in html and "<script" not in html.lower(), where
    tree = lxml.html.fromstring(html)
    assert not tree.xpath("//script | //img | //iframe | //object"), where
    assert not [a for el in tree.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")], where
    assert not [h for h in tree.xpath("//@href | //@src") if not re.match(r"^(/|\?|#|https?://|data:,$)", h)], where
    return tree


@pytest.mark.parametrize("table", TABLES)
def test_web_tables_pages_escape_everything(client: TestClient, table: str) -> None:
    first = client.get(f"/api/tables/{table}").json()["columns"][0]["name"]
    for params in ({}, {"outlet": NARRATIVE_OUTLET}, {"q": SCRIPT, "entity": IMG, "source": SCRIPT},
                   {"article": FORMULA_REF, "sort": "-" + first}):
        params = {k: v for k, v in params.items() if k in {f for f in _filters(client, table)} | {"sort"}}
        r = client.get(f"/tables/{table}", params=params)
        assert r.status_code == 200, (table, params, r.text[:300])
        _safe(r.text, f"{table} {params}")
        if params:
            assert "&lt;" in r.text or FORMULA_REF.replace("'", "&#39;") in r.text, params  # shown, as text


def _filters(client: TestClient, table: str) -> set[str]:
    doc = client.get("/openapi.json").json()
    return {p["name"] for p in doc["paths"][f"/api/tables/{table}"]["get"]["parameters"]}


def test_web_tables_page_facet_links_narrow_the_table(client: TestClient) -> None:
    tree = _safe(client.get("/tables/framing", params={"limit": "500"}).text, "framing")
    rows = len(tree.xpath("//table[@data-table='framing']/tbody/tr"))
    link = tree.xpath("//section[@data-facet='role']//a")[-1]
    count = int(link.getparent().xpath("span[@class='count']")[0].text.replace(",", ""))
    assert "limit=500" in link.get("href")  # the page size is kept
    narrowed = lxml.html.fromstring(client.get(link.get("href")).text)
    assert len(narrowed.xpath("//table[@data-table='framing']/tbody/tr")) == count < rows
    chip = narrowed.xpath("//span[contains(@class, 'active-filter')]")[0]
    assert link.text in chip.text_content()
    again = lxml.html.fromstring(client.get(chip.xpath("a")[0].get("href")).text)  # removed: the whole table
    assert len(again.xpath("//table[@data-table='framing']/tbody/tr")) == rows


def test_web_tables_openapi_lists_each_filter(client: TestClient) -> None:
    params = _filters(client, "claims")
    assert {"outlet", "language", "date_from", "date_to", "q", "source", "kind", "group", "sort", "limit",
            "offset"} <= params
    assert {"technique", "story"} <= _filters(client, "techniques")
    assert {"role", "entity", "fine_role"} <= _filters(client, "framing")
    assert {"verdict", "publisher", "tier"} <= _filters(client, "factcheck-matches")


def test_web_tables_outlet_link_in_rows_is_a_filter(client: TestClient) -> None:
    tree = _safe(client.get("/tables/claims", params={"article": FORMULA_REF}).text, "formula")
    hrefs = tree.xpath("//table[@data-table='claims']/tbody/tr[1]/td/a/@href")
    assert "/articles/" + quote(FORMULA_REF, safe="") in hrefs
    assert any(h.startswith("/tables/claims?") and "outlet=" in h for h in hrefs)
