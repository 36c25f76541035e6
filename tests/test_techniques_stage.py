"""The techniques stage in the pipeline, its export, CLI command and report section."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import lxml.html
import pytest
from click.testing import CliRunner

from narratrace.cli import cli
from narratrace.errors import ConfigError
from narratrace.export import export_corpus
from narratrace.ingest import build_article
from narratrace.ingest.record import Record
from narratrace.pipeline import DEFAULT_STAGES, Pipeline, registered_stages
from narratrace.store import Store
from narratrace.techniques.corpus import export_techniques, technique_counts
from narratrace.techniques.report import build_section, segment_techniques

TEXTS = {
    "a1": ("The Dravia regime sent its thugs again. <script>alert(1)</script> Its barbaric raids "
           "guarantee an outbreak of violence in our towns.", "Outlet A"),
    "a2": ("The Dravia regime lies. Everyone knows the truth about the Dravia regime and the Dravia regime.",
           "Outlet A"),
    "a3": ("The weather service extended flood warnings for the lower river on Thursday.", "Outlet B"),
}


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "t.db")
    arts = []
    for ref, (text, outlet) in TEXTS.items():
        art = build_article(Record(ref=ref, text=text, source=ref, kind="txt", outlet=outlet, language="en"))
        arts.append(art)
    store.write_articles(arts)
    Pipeline(("techniques",)).run(store)
    return store


def test_techniques_stage_is_registered_after_claims() -> None:
    info = registered_stages()["techniques"]
    assert info.level == "article" and "article.techniques" in info.produces
    assert DEFAULT_STAGES.index("techniques") > DEFAULT_STAGES.index("claims")


def test_techniques_stage_annotations_and_rerun(tmp_path: Path) -> None:
    store = _store(tmp_path)
    by_article = {}
    for aid, ann in store.annotations_of_kind("technique"):
        by_article.setdefault(store.article(aid).ref, []).append(ann)
    a1 = {(a.label, store.article_index()[0]["id"]) for a in by_article["a1"]}
    assert {lab for lab, _ in a1} >= {"Name_Calling,Labeling", "Loaded_Language", "Appeal_to_fear-prejudice"}
    assert all(0.5 <= a.data["score"] <= 1 for anns in by_article.values() for a in anns)
    assert "a3" not in by_article  # neutral news: nothing
    assert Pipeline(("techniques",)).run(store).done["techniques"] == 0  # done before: skipped


def test_techniques_stage_rejects_bad_config() -> None:
    with pytest.raises(ConfigError):
        Pipeline(("techniques",), config={"techniques": {"min_score": 2}}).run(Store(":memory:"))
    with pytest.raises(ConfigError, match="no techniques model"):
        Pipeline(("techniques",), config={"techniques": {"model": "nope"}}).run(
            Store(":memory:"))


def test_techniques_stage_skips_other_languages(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    german = Record(ref="de", text="Das Regime lügt.", source="de", kind="txt", language="de")
    store.write_articles([build_article(german)])
    report = Pipeline(("techniques",)).run(store)
    assert report.not_analysed["techniques"] == {"language de": 1} and report.done["techniques"] == 0
    assert list(store.stage_data("techniques")) == [] and not list(store.annotations_of_kind("technique"))
    assert store.stage_coverage()["techniques"] == (0, {"language de": 1})


def test_techniques_export_contract(tmp_path: Path) -> None:
    store = _store(tmp_path)
    items = export_techniques(store)
    assert items and {"article", "start", "end", "technique", "score"} <= set(items[0])
    first = next(i for i in items if i["article"] == "a1" and i["technique"] == "Name_Calling,Labeling")
    assert TEXTS["a1"][0][first["start"]:first["end"]] == "Dravia regime" == first["text"]


def test_techniques_in_the_corpus_export(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert export_corpus(store)["techniques"] == export_techniques(store)


def test_techniques_counts_per_outlet(tmp_path: Path) -> None:
    counts = technique_counts(_store(tmp_path))
    assert counts.analysed == 3
    assert counts.outlet_articles == {"Outlet A": 2, "Outlet B": 1}
    assert counts.per_outlet["Outlet A"]["Repetition"] >= 2 and not counts.per_outlet["Outlet B"]
    assert counts.per_narrative == {}  # no narratives stage run: no rows, no error


def test_techniques_counts_per_narrative(tmp_path: Path) -> None:
    from narratrace.model import Annotation
    from narratrace.report import _environment
    from narratrace.sections import ArticleRow

    store = _store(tmp_path)
    rows = {d["ref"]: d for d in store.article_index()}
    a1, a2 = store.article(rows["a1"]["id"]), store.article(rows["a2"]["id"])
    narrative = "URW: Discrediting Ukraine"
    store.save_stage_results("narratives", "test", [
        (a.id, a.content_hash, None, [Annotation("narrative", 0, 10, narrative, {"narrative": narrative})])
        for a in (a1, a2)])
    counts = technique_counts(store)
    assert counts.narrative_articles == {narrative: 2}
    assert sum(counts.per_narrative[narrative].values()) == sum(
        sum(counts.per_article[a.id].values()) for a in (a1, a2))
    by_id = {d["id"]: ArticleRow.from_index(d) for d in store.article_index()}
    section = build_section(store, lambda aid: by_id[aid])
    assert section is not None and [r.key for r in section.narratives] == [narrative]
    html = _environment().get_template("report_techniques.html").render(s=SimpleNamespace(view=section))
    assert "Per narrative" in html and "URW: Discrediting Ukraine" in html


def test_techniques_cli(tmp_path: Path) -> None:
    _store(tmp_path).close()
    db = str(tmp_path / "t.db")
    runner = CliRunner()
    out = runner.invoke(cli, ["techniques", "--db", db])
    assert out.exit_code == 0, out.output
    assert "a1" in out.output and "Name calling" in out.output
    one = runner.invoke(cli, ["techniques", "--db", db, "--article", "a1"])
    assert "Dravia regime" in one.output and "a2" not in one.output
    data = json.loads(runner.invoke(cli, ["techniques", "--db", db, "--json"]).output)
    assert [a["ref"] for a in data] == ["a1", "a2", "a3"] and data[0]["counts"]
    missing = runner.invoke(cli, ["techniques", "--db", db, "--article", "zz"])
    assert missing.exit_code != 0 and "no article" in missing.output


def test_techniques_segments_rebuild_the_text() -> None:
    from narratrace.model import Annotation

    text = "abc defgh ijk"
    anns = [Annotation("technique", 0, 9, "Doubt", {"score": 0.6}),
            Annotation("technique", 4, 9, "Loaded_Language", {"score": 0.7})]
    segs = segment_techniques(text, anns)
    assert "".join(s.text for s in segs) == text
    inner = next(s for s in segs if s.text == "defgh")
    assert inner.css.startswith("tq8") and "tqm" in inner.css and "Doubt (0.60)" in inner.tooltip


def test_techniques_report_section_escapes_and_counts(tmp_path: Path) -> None:
    from narratrace.report import _environment
    from narratrace.sections import ArticleRow

    store = _store(tmp_path)
    rows = {d["id"]: ArticleRow.from_index(d) for d in store.article_index()}
    section = build_section(store, lambda aid: rows[aid])
    assert section is not None and section.analysed == 3 and len(section.articles) == 2
    html = _environment().get_template("report_techniques.html").render(s=SimpleNamespace(view=section))
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//script") and "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    marks = doc.xpath('//section[@id="techniques"]//mark')
    assert any(m.text_content() == "Dravia regime" and "Name calling" in m.get("title") for m in marks)
    outlet_rows = [r.text_content() for r in doc.xpath('//table[@class="tqcounts"]//tr')]
    assert any("Outlet A" in r for r in outlet_rows)
    from narratrace.report import build_report, render_html

    report = build_report(store)  # the report draws the section it gets from the registry
    assert report.view("techniques") == section and '<section id="techniques">' in render_html(report)


def test_techniques_report_section_absent_without_the_stage(store: Store) -> None:
    assert build_section(store, lambda aid: aid) is None


def test_techniques_in_the_full_report(tmp_path: Path) -> None:
    from narratrace.report import build_report, render_html, render_json

    store = _store(tmp_path)
    report = build_report(store)
    doc = lxml.html.fromstring(render_html(report))
    assert doc.xpath('//section[@id="techniques"]') and doc.xpath('//nav/a[@href="#techniques"]')
    assert render_json(report)["techniques"]["analysed"] == 3
