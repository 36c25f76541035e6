"""The pictures on real articles: the five seeds (004 reposts 003) with the example corpus, analysed.

What each page embeds is what its script draws, so the assertions read the embedded data: the
spread graph holds the copy 003 -> 004 with both dates (003's from 004's credit line), and the story map places the
five seeds together, apart from the example corpus's articles.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from fastapi.testclient import TestClient

from conftest import EXAMPLES, SEEDS
from narratrace import analyze
from narratrace.ingest import ingest
from narratrace.report import build_report, render_html
from narratrace.store import Store
from narratrace.web import create_app

from scripts_check import check_scripts

SEED_REFS = [f"00{i}_" for i in range(5)]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SEEDS.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the seed corpus at {SEEDS}")
        pytest.skip("../shared/corpora/seeds not present")
    path = tmp_path_factory.mktemp("seeds") / "seeds.db"
    with Store(path) as store:
        ingest(store, [SEEDS, EXAMPLES], workers=1)
        analyze(store)
    return path


@pytest.fixture(scope="module")
def client(db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(str(db))) as c:
        yield c


def _embedded(html: str, block: str) -> Any:
    scripts = {s.get("id"): s for s in check_scripts(html, inline=False)}
    return json.loads(scripts[block].text)


def _seed(ref: str | None) -> bool:
    return bool(ref) and any(str(ref).startswith(p) for p in SEED_REFS)


def test_pictures_seeds_spread_shows_the_repost_with_its_dates(client: TestClient) -> None:
    page = client.get("/provenance?limit=500")
    assert page.status_code == 200
    data = _embedded(page.text, "nt-spread-data")
    (comp,) = [c for c in data["components"] if any(str(n["ref"]).startswith("003_") for n in c["nodes"])]
    nodes = {n["key"]: n for n in comp["nodes"]}
    by_ref = {str(n["ref"])[:4]: n for n in comp["nodes"] if n["kind"] == "article"}
    assert set(by_ref) == {"003_", "004_"}
    copies = [(nodes[e["source"]]["ref"][:4], nodes[e["target"]]["ref"][:4], e["evidence"]) for e in comp["edges"]
              if e["kind"] == "copies"]
    assert copies == [("003_", "004_", "credit")]   # drawn original -> copy, the credit line named the original
    # both dates: 004's own, and 003's as 004's credit gives it ("By The Cradle" / "The Cradle 5 March 2022");
    # 003 itself carries no date, and the node says where its date comes from
    assert by_ref["004_"]["date"] == "2022-03-06" and by_ref["004_"]["date_from"] is None
    assert by_ref["003_"]["published"] is None
    assert by_ref["003_"]["date"] == "2022-03-05" and by_ref["003_"]["date_from"].startswith("004_")
    assert comp["dated"] == 2 and comp["undated"] == 0
    assert all(n["href"] == "/articles/" + n["ref"] for n in by_ref.values())
    # every citation of the two articles is in the picture
    assert comp["links"]["cites"] == sum(1 for e in comp["edges"] if e["kind"] == "cites") > 0
    assert client.get("/api/provenance/spread?limit=500").json()["components"] == data["components"]


def test_pictures_seeds_map_places_the_seeds_together(client: TestClient) -> None:
    page = client.get("/stories/map")
    assert page.status_code == 200
    data = _embedded(page.text, "nt-map-data")
    seeds = [p for p in data["points"] if _seed(p["ref"])]
    others = [p for p in data["points"] if not _seed(p["ref"])]
    assert len(seeds) == 5 and len(others) >= 10
    assert len({p["story"] for p in seeds}) == 1 and seeds[0]["story"] is not None
    assert not any(p["story"] == seeds[0]["story"] for p in others)

    def gap(a: dict[str, Any], b: dict[str, Any]) -> float:
        return float(((a["x"] - b["x"]) ** 2 + (a["y"] - b["y"]) ** 2) ** 0.5)
    spread = max(gap(a, b) for a in seeds for b in seeds)
    assert spread < min(gap(a, b) for a in seeds for b in others)
    assert client.get("/api/stories/map").json()["points"] == data["points"]


def test_pictures_seeds_report_has_both_pictures(db: Path) -> None:
    with Store(db, readonly=True) as store:
        html = render_html(build_report(store))
    doc = lxml.html.fromstring(html)
    assert doc.xpath('//section[@id="spread"]') and doc.xpath('//section[@id="story-map"]')
    blocks = {b.get("id"): json.loads(b.text) for b in check_scripts(html)}
    assert set(blocks) == {"nt-spread-report-data", "nt-map-report-data"}
    assert not doc.xpath("//script[@src] | //link[@href] | //img | //iframe")
    assert len([p for p in blocks["nt-map-report-data"]["points"] if _seed(p["ref"])]) == 5


def test_pictures_seeds_article_page_links_to_its_component(client: TestClient) -> None:
    ref = next(a["ref"] for a in client.get("/api/articles?limit=100").json()["articles"] if a["ref"].startswith("004_"))
    fact = client.get(f"/api/articles/{ref}").json()["spread"]
    assert fact is not None and (fact["articles"], fact["copies"]) == (2, 1)
    page = lxml.html.fromstring(client.get(f"/articles/{ref}").text)
    (link,) = page.xpath('//dl[contains(@class, "meta-grid")]//dt[text()="Spread"]/following-sibling::dd[1]/a')
    assert link.get("href") == fact["page"]
    data = _embedded(client.get(fact["page"]).text, "nt-spread-data")
    assert [c["index"] for c in data["components"]] == [fact["component"]]
    assert ref in {n["ref"] for n in data["components"][0]["nodes"]}
