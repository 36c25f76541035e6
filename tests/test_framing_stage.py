"""The framing stage in the pipeline, its export, CLI and report section (on articles written here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.errors import ConfigError
from narratrace.export import export_corpus
from narratrace.framing.views import entity_roles, outlet_roles
from narratrace.ingest import ingest
from narratrace.pipeline import DEFAULT_STAGES, Pipeline, registered_stages
from narratrace.report import build_report, render_html
from narratrace.store import Store

ARTICLES = [
    {"id": "a1", "outlet": "Harbour Post", "title": "Kestrian regime shells Varn again",
     "text": "Kestrian regime shells Varn again\n\nThe Kestria regime shelled the town of Varn on Monday, "
             "killing four civilians. Kestria has attacked Varn every week since March. "
             "Residents of Varn said the attack destroyed the market. "
             "The Red Cross evacuated forty families from Varn. The Red Cross said it would return on Friday."},
    {"id": "a2", "outlet": "Harbour Post", "title": "Kestria sends mercenaries to the border",
     "text": "Kestria sends mercenaries to the border\n\nKestria sent hundreds of mercenaries to the border "
             "this week, officials said. Kestria plotted the operation in secret for months. "
             "The mercenaries are a threat to <b>Varn</b> and to the villages nearby, where people fear "
             "new attacks on Varn."},
]


@pytest.fixture(scope="module")
def framed(tmp_path_factory: pytest.TempPathFactory) -> Store:
    tmp = tmp_path_factory.mktemp("framing")
    (tmp / "feed.jsonl").write_text("\n".join(json.dumps(a) for a in ARTICLES) + "\n", encoding="utf-8")
    store = Store(tmp / "f.db")
    ingest(store, [tmp / "feed.jsonl"])
    report = Pipeline(["claims", "framing"]).run(store)
    assert report.done == {"claims": 2, "framing": 2} and not report.failed
    return store


def test_framing_stage_is_registered_after_claims() -> None:
    info = registered_stages()["framing"]
    assert info.level == "corpus"
    assert "article.entities" in info.requires and info.produces == ("article.framing",)
    assert DEFAULT_STAGES.index("framing") > DEFAULT_STAGES.index("claims")
    Pipeline(["claims", "framing"]).check()
    with pytest.raises(ConfigError, match="requires"):
        Pipeline(["framing"])


def test_framing_stage_bad_config_and_model_are_config_errors(tmp_path: Path) -> None:
    info = registered_stages()["framing"]
    with pytest.raises(ConfigError, match="min_score"):
        info.factory(**{**info.default_config, "min_score": 2})
    with pytest.raises(ConfigError, match="no framing model"):
        info.factory(**{**info.default_config, "model": str(tmp_path / "nothing-here")})


def test_framing_stage_annotations_and_roles(framed: Store) -> None:
    roles = entity_roles(framed)
    by = {(r.ref, r.entity): r for r in roles}
    assert by[("a1", "Kestria")].main_role == "Antagonist"
    assert by[("a2", "Kestria")].main_role == "Antagonist"
    assert by[("a1", "Varn")].main_role == "Innocent"
    for r in roles:
        text = framed.article(r.article_id).text
        assert r.evidence_start <= r.mention_start < r.mention_end <= r.evidence_end
        assert text[r.mention_start:r.mention_end] in (r.entity, text[r.mention_start:r.mention_end])
        assert r.fine_roles and 0.0 <= r.score <= 1.0
    # a rerun does nothing: results are keyed by stage version and content hash
    assert Pipeline(["claims", "framing"]).run(framed).done == {"claims": 0, "framing": 0}


def test_framing_outlet_summary(framed: Store) -> None:
    summary = {o.entity: o for o in outlet_roles(entity_roles(framed))}
    k = summary["Kestria"]
    assert (k.outlet, k.role, k.count, k.articles) == ("Harbour Post", "Antagonist", 2, 2)
    assert k.sentence == "Harbour Post casts Kestria as antagonist in 2 of 2 articles"


def test_framing_export_contract(framed: Store) -> None:
    data = export_corpus(framed)
    assert data["framing"]
    for item in data["framing"]:
        assert {"article", "entity", "main_role", "fine_roles", "evidence"} <= set(item)
        assert item["article"] in {"a1", "a2"}
        assert set(item["evidence"]) == {"start", "end"} and item["evidence"]["start"] < item["evidence"]["end"]
        assert isinstance(item["fine_roles"], list)


def test_framing_cli(framed: Store) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["framing", "--db", framed.path])
    assert out.exit_code == 0, out.output
    assert "Harbour Post casts Kestria as antagonist in 2 of 2 articles" in out.output
    out = runner.invoke(cli, ["framing", "--db", framed.path, "--article", "a2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert {r["ref"] for r in data["roles"]} == {"a2"} and data["outlets"]
    out = runner.invoke(cli, ["framing", "--db", framed.path, "--article", "nope"])
    assert out.exit_code != 0 and "nope" in out.output
    out = runner.invoke(cli, ["framing", "--db", framed.path, "--outlet", "No Such Outlet"])
    assert out.exit_code != 0 and "No Such Outlet" in out.output


def test_framing_report_section_escapes_text(framed: Store) -> None:
    report = build_report(framed)
    assert report.view("framing") is not None and report.view("framing").roles >= 3
    html = render_html(report)
    assert 'id="framing"' in html and "casts Kestria as antagonist in 2 of 2 articles" in html
    assert "<b>Varn</b>" not in html and "&lt;b&gt;Varn&lt;/b&gt;" in html


def test_framing_report_section_absent_without_the_stage(store: Store) -> None:
    assert build_report(store).view("framing") is None


def test_a_mention_cast_otherwise_is_exported_and_shown_escaped(tmp_path: Path) -> None:
    """'Farmers in Varn blamed Kestria': in an article that casts Kestria as Antagonist, that mention
    carries its own role (the parse: object of blame) in the export, the article's JSON and page, and
    the HTML report."""
    from fastapi.testclient import TestClient

    from narratrace.web import create_app

    text = ("Kestria shelled Varn again. Kestria attacked the market. Kestria plotted the raid for months. "
            "Farmers in <i>Varn</i> blamed Kestria for the fire. Kestria sent more guns.")
    (tmp_path / "f.jsonl").write_text(json.dumps({"id": "t1", "outlet": "Lindholt Herald", "title": "Raid",
                                                  "text": text}) + "\n", encoding="utf-8")
    with Store(tmp_path / "f.db") as store:
        ingest(store, [tmp_path / "f.jsonl"])
        Pipeline(["claims", "framing"]).run(store)
        stored = store.article("t1").text
        [item] = [it for it in export_corpus(store)["framing"] if it["entity"] == "Kestria"]
        blamed = stored.index("Kestria", stored.index("blamed"))
        assert item["main_role"] == "Antagonist"
        own = [m for m in item["mentions"] if "main_role" in m]
        assert own == [{"start": blamed, "end": blamed + 7, "main_role": "Innocent", "parse": "object of blame"}]
        [role] = [r for r in entity_roles(store, article="t1") if r.entity == "Kestria"]
        assert role.mention_roles[0]["main_role"] == "Innocent"
        assert "<i>Varn</i> blamed Kestria" in role.mention_roles[0]["context"]
        report_html = render_html(build_report(store))  # the HTML report shows it too, escaped
        assert "Cast otherwise at" in report_html and "object of blame" in report_html
        assert "<i>Varn</i>" not in report_html and "&lt;i&gt;Varn&lt;/i&gt;" in report_html
    with TestClient(create_app(str(tmp_path / "f.db"))) as client:
        data = client.get("/api/articles/t1").json()
        [kestria] = [r for r in data["framing"] if r["entity"] == "Kestria"]
        assert kestria["mention_roles"][0]["parse"] == "object of blame"
        html = client.get("/articles/t1").text
        assert "Cast otherwise at" in html and "object of blame" in html
        assert "<i>Varn</i>" not in html and "&lt;i&gt;Varn&lt;/i&gt;" in html


def test_framing_stage_on_both_cores_frames_as_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Framing (a corpus stage, 14 ms an article) ran in one process; with its chunks spread over forked
    workers each article gets exactly the items one process gives it."""
    import narratrace.workers as workers

    forked = []
    real = workers.fork_pool
    monkeypatch.setattr(workers, "fork_pool", lambda *a, **k: forked.append(a[0]) or real(*a, **k))
    (tmp_path / "feed.jsonl").write_text("\n".join(json.dumps(a) for a in ARTICLES) + "\n", encoding="utf-8")
    items = []
    for n in (1, 2):
        store = Store(tmp_path / f"w{n}.db")
        ingest(store, [tmp_path / "feed.jsonl"])
        report = Pipeline(["claims", "framing"], workers=n, config={"framing": {"chunk": 1}}).run(store)
        assert report.done == {"claims": 2, "framing": 2} and not report.failed
        items.append({aid: [(a.start, a.end, a.label, dict(a.data)) for a in store.annotations(aid, stage="framing")]
                      for aid in (row["id"] for row in store.article_index())})
    assert forked == [2]  # the two-worker run forked for framing (claims stays in-process for 2 articles)
    assert items[0] == items[1] and sum(map(len, items[0].values())) >= 2
