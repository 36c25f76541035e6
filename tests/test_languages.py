"""Languages: codes, detection that never guesses English, and stages that say what they did not analyse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from narratrace.ingest import ingest
from narratrace.ingest.heuristics import detect_language
from narratrace.languages import UNDETERMINED, describe_reasons, dominant_script, normalize, supports
from narratrace.pipeline import Pipeline, registered_stages, stage_languages
from narratrace.store import Store

ENGLISH = ("Ukraine prepares provocation, intelligence service claims\n\n"
           "The Russian Foreign Intelligence Service said on Tuesday that Kyiv was preparing a provocation "
           "with chemical weapons in the Kharkiv region. According to the service, Western instructors arrived "
           "in the city last week. The Ukrainian Foreign Ministry denied the claim and called it disinformation.\n")
RUSSIAN = ("Украина готовит провокацию, заявила разведка\n\n"
           "Служба внешней разведки России заявила во вторник, что Киев готовит провокацию с химическим "
           "оружием в Харьковской области. По словам разведки, западные инструкторы прибыли в город на "
           "прошлой неделе. МИД Украины опроверг это заявление и назвал его дезинформацией.\n")


def test_normalize_keeps_the_primary_subtag_and_names_the_unknown() -> None:
    assert normalize("en-GB") == "en"
    assert normalize("PT_br") == "pt"
    for unknown in (None, "", "un", "xx", "zxx", "12", "english-language"):
        assert normalize(unknown) == UNDETERMINED


def test_supports_never_takes_the_undetermined_for_a_listed_language() -> None:
    assert supports(None, "und")  # a stage that reads no language analyses everything
    assert supports(["en"], "en-US")
    assert not supports(["en"], None)
    assert not supports(["en"], "ru")
    assert supports(["*"], "ru") and not supports(["*"], None)  # "*": every determined language
    assert describe_reasons({"language bg": 4, "language und": 1, "empty text": 2}) == \
        "language: bg 4, und 1; empty text: 2"


def test_detection_falls_back_to_script_and_langid_and_else_says_und() -> None:
    assert detect_language(ENGLISH) == "en"
    assert detect_language(RUSSIAN) == "ru"
    assert detect_language("नाटो ने कहा") == "hi"  # Devanagari: a script that names its language
    assert detect_language("Министерството на отбраната съобщи") == "bg"
    for unsure in ("Путин", "12345 67", "ok", "!!!"):
        assert detect_language(unsure) == UNDETERMINED
    assert dominant_script("Путин и NATO")[0] == "CYRILLIC"


def test_stages_inherit_the_languages_of_what_they_read() -> None:
    stages = registered_stages()
    names = ["fingerprints", "claims", "claim_vectors", "claim_groups", "republications"]
    found = stage_languages([stages[n] for n in names])
    assert found["fingerprints"] is None and found["republications"] is None
    assert found["claims"] == ("en", "ru", "bg", "pt", "hi")
    assert found["claim_vectors"] == ("en",) and found["claim_groups"] == ("en",)  # MiniLM reads English
    narrower = stage_languages([stages[n] for n in names], {"claims": {"languages": ["en"]}}, "static")
    assert narrower["claims"] == ("en",)


@pytest.fixture()
def mixed_store(tmp_path: Path) -> Store:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "en.txt").write_text(ENGLISH, encoding="utf-8")
    (folder / "ru.txt").write_text(RUSSIAN, encoding="utf-8")
    (folder / "und.txt").write_text("Путин\n", encoding="utf-8")
    store = Store(str(tmp_path / "t.db"))
    ingest(store, [str(folder)])
    return store


def test_an_article_in_another_language_is_recorded_as_not_analysed(mixed_store: Store) -> None:
    store = mixed_store
    languages = {row["ref"]: row["language"] for row in store.article_index()}
    assert languages == {"en": "en", "ru": "ru", "und": "und"}
    names = ["fingerprints", "claims", "claim_vectors", "claim_groups"]
    report = Pipeline(names, workers=1).run(store)
    assert report.done["fingerprints"] == 3 and report.not_analysed["fingerprints"] == {}
    assert report.done["claims"] == 2  # English by its parse, Russian by its cue lexicon
    assert report.not_analysed["claims"] == {"language und": 1}
    # the default encoder (MiniLM) is English-only: stages that read vectors say so, a corpus stage too
    assert report.not_analysed["claim_groups"] == {"language ru": 1, "language und": 1}
    ids = {row["ref"]: row["id"] for row in store.article_index()}
    assert store.annotations(ids["und"], stage="claims") == []  # nobody knows its language: not English
    assert [a for a in store.annotations(ids["en"], stage="claims") if a.kind == "claim"]
    assert [a for a in store.annotations(ids["ru"], stage="claims") if a.kind == "claim"]
    assert [aid for aid, _ in store.stage_data("claims")] == [ids["en"], ids["ru"]]  # readers see the analysed
    assert [aid for aid, _ in store.stage_data("claim_vectors")] == [ids["en"]]
    coverage = store.stage_coverage()
    assert coverage["claims"] == (2, {"language und": 1})
    assert coverage["fingerprints"] == (3, {})
    again = Pipeline(names, workers=1).run(store)  # done is done, analysed or not
    assert sum(again.done.values()) == 0 and not any(again.not_analysed.values())


def test_the_export_report_and_web_say_what_was_not_analysed(mixed_store: Store) -> None:
    from narratrace.export import export_corpus
    from narratrace.report import build_report, render_html

    Pipeline(["fingerprints", "claims"], workers=1).run(mixed_store)
    data = json.loads(json.dumps(export_corpus(mixed_store)))
    assert data["coverage"]["claims"] == {"analysed": 2, "not_analysed": {"language und": 1}}
    assert data["coverage"]["fingerprints"] == {"analysed": 3, "not_analysed": {}}
    by_ref = {a["ref"]: a for a in data["articles"]}
    assert by_ref["und"]["not_analysed"] == {"claims": "language und"}
    assert by_ref["en"]["not_analysed"] == {}
    report = build_report(mixed_store)
    row = next(c for c in report.overview.coverage if c.stage == "claims")
    assert (row.analysed, row.not_analysed, row.reasons) == (2, 1, "language: und 1")
    assert "language: und 1" in render_html(report)


def test_the_web_overview_counts_articles_not_analysed(mixed_store: Store) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from narratrace.web.app import create_app

    Pipeline(["fingerprints", "claims", "claim_vectors"], workers=1).run(mixed_store)
    path = mixed_store.path
    mixed_store.close()
    client = TestClient(create_app(path))
    page = client.get("/")
    assert page.status_code == 200 and "not analysed (language)" in page.text
    russian = client.get("/articles/ru")
    assert "language ru: claim_vectors" in russian.text and "language ru: claims" not in russian.text
    listed = {a["ref"]: a["not_analysed"] for a in client.get("/api/articles").json()["articles"]}
    assert listed == {"en": {}, "ru": {"claim_vectors": "language ru"},
                      "und": {"claims": "language und", "claim_vectors": "language und"}}
    stats = client.get("/api/overview").json()["stats"]
    vectors = next(c for c in stats["coverage"] if c["stage"] == "claim_vectors")
    assert vectors == {"stage": "claim_vectors", "analysed": 1, "not_analysed": 2,
                       "reasons": {"language ru": 1, "language und": 1}}


HINDI = ("नाटो ने चेतावनी दी\n\nनाटो ने कहा कि रूस युद्ध की तैयारी कर रहा है। नाटो के महासचिव ने यह बयान "
         "ब्रसेल्स में दिया।\n")


def test_search_matches_and_highlights_whole_hindi_words(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "hi"
    folder.mkdir()
    (folder / "hi.txt").write_text(HINDI, encoding="utf-8")
    ingest(store, [str(folder)])
    (hit,) = store.search("नाटो")
    assert "[नाटो]" in hit.snippet and "[नाट]" not in hit.snippet  # the vowel sign is part of the word
    assert store.search("नाट") == []  # a word's stem without its vowel sign is another word


def test_a_russian_article_and_its_english_translation_form_one_claim_group(mixed_store: Store) -> None:
    """With the multilingual encoder, claims of both languages meet in one vector space."""
    from narratrace.claims.store import claim_groups

    stages = ["fingerprints", "sentence_vectors", "claims", "claim_vectors", "claim_groups"]
    report = Pipeline(stages, workers=1, encoder="e5-int8").run(mixed_store)
    assert report.not_analysed["claim_groups"] == {"language und": 1}  # Russian is analysed now
    refs = {row["id"]: row["ref"] for row in mixed_store.article_index()}
    groups = [g for g in claim_groups(mixed_store) if {refs[a.article] for a in g.articles} == {"en", "ru"}]
    assert groups, [(g.label, [refs[a.article] for a in g.articles]) for g in claim_groups(mixed_store)]
    texts = {m.text for g in groups for m in g.members}
    assert any("Kharkiv" in t for t in texts) and any("Харьков" in t for t in texts)


def test_not_analysed_is_recorded_on_both_store_backends(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ru.txt").write_text(RUSSIAN, encoding="utf-8")
    (folder / "und.txt").write_text("Путин\n", encoding="utf-8")
    ingest(store, [str(folder)])
    report = Pipeline(["fingerprints", "claims", "claim_vectors", "claim_groups"], workers=1).run(store)
    assert report.not_analysed["claim_groups"] == {"language ru": 1, "language und": 1}
    assert store.stage_coverage()["claims"] == (1, {"language und": 1})
    assert len(list(store.stage_data("claims"))) == 1 and list(store.stage_data("claim_vectors")) == []
    again = Pipeline(["fingerprints", "claims", "claim_vectors", "claim_groups"], workers=1).run(store)
    assert sum(again.done.values()) == 0


def test_a_stage_may_say_it_cannot_analyse_an_article(mixed_store: Store) -> None:
    """StageOutput(not_analysed=...) is recorded like a language the stage declared (a model that
    reads English only, say), not as an analysed empty result."""
    from narratrace import pipeline as pipeline_module
    from narratrace.pipeline import StageOutput, stage

    @stage("test_english_model_only", version="t1", level="article", requires=["article.text"])
    def make_toy() -> object:
        def run(article: object) -> StageOutput:
            text = getattr(article, "text", "")
            return StageOutput(data={"words": len(text.split())}) if text.isascii() else \
                StageOutput(not_analysed="language of the model: en")
        return run

    try:
        report = Pipeline(["test_english_model_only"], workers=1).run(mixed_store)
        assert report.done["test_english_model_only"] == 1
        assert report.not_analysed["test_english_model_only"] == {"language of the model: en": 2}
        assert mixed_store.stage_coverage()["test_english_model_only"] == (1, {"language of the model: en": 2})
        assert sum(Pipeline(["test_english_model_only"], workers=1).run(mixed_store).done.values()) == 0
    finally:
        pipeline_module._REGISTRY.pop("test_english_model_only", None)  # other tests list every stage


RUSSIAN_FRAMING = ("НАТО обвинили в провокации\n\n"
                   "Министр заявил, что НАТО готовит провокацию у границы. По его словам, НАТО направило "
                   "инструкторов в Харьков, а жители города страдают от обстрелов.\n")


def test_framing_reads_every_language_with_the_multilingual_encoder(tmp_path: Path) -> None:
    """The default framing model is swapped for its twin fitted on e5's vectors in an e5 run, so a
    Russian article gets roles; with the default encoder, and with a model fitted on MiniLM's
    vectors, the Russian article is recorded as not analysed, never framed."""
    from narratrace.cards import shipped_models_dir
    from narratrace.framing.model import MULTILINGUAL_MODEL, load_framing_model
    from narratrace.vectors import space_of

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "ru.txt").write_text(RUSSIAN_FRAMING, encoding="utf-8")
    (folder / "en.txt").write_text(ENGLISH, encoding="utf-8")
    stages = ["claims", "sentence_vectors", "framing"]
    loaded, _ = load_framing_model(MULTILINGUAL_MODEL)
    assert space_of(loaded.encoder) == "e5-int8"  # fitted on e5's vectors, not MiniLM's
    runs = {"e5": ({}, "e5-int8"), "default": ({}, None),
            "minilm model, e5 run": ({"framing": {"model": str(shipped_models_dir() / "framing" / "exemplars-v2")}},
                                     "e5-int8")}
    found = {}
    for name, (config, encoder) in runs.items():
        store = Store(str(tmp_path / f"{len(found)}.db"))
        ingest(store, [str(folder)])
        Pipeline(stages, config=config, workers=1, encoder=encoder).run(store)
        refs = {row["id"]: row["ref"] for row in store.article_index()}
        framed = {(refs[aid], a.data["entity"]) for aid, a in store.annotations_of_kind("framing")}
        found[name] = (framed, store.not_analysed())
        store.close()
    framed, skipped = found["e5"]
    assert ("ru", "НАТО") in framed and skipped == {}
    for name in ("default", "minilm model, e5 run"):
        framed, skipped = found[name]
        assert not any(ref == "ru" for ref, _ in framed), name
        assert [s.get("framing") for s in skipped.values()] == ["language ru"], name


def test_a_corpus_stage_is_handed_only_the_articles_it_reads(mixed_store: Store) -> None:
    """A corpus stage that reads English only never gets the Russian and undetermined articles as new
    ones (a matching stage spent minutes on results that were then dropped); they are recorded as not
    analysed all the same."""
    from narratrace import pipeline as pipeline_module
    from narratrace.pipeline import stage

    handed: list[list[str]] = []

    def save(store: Store, name: str, version: str, ids: list[str]) -> None:
        store.mark_stage_done(name, version, ids)

    @stage("test_english_corpus_stage", version="t1", level="corpus", requires=["article.text"], save=save,
           default_config={"languages": ["en"]})
    def make_toy(*, languages: list[str]) -> object:
        def run(corpus: object, *, new_ids: list[str], **_: object) -> list[str]:
            handed.append(list(new_ids))
            return list(new_ids)
        return run

    try:
        ids = {row["ref"]: row["id"] for row in mixed_store.article_index()}
        report = Pipeline(["test_english_corpus_stage"], workers=1).run(mixed_store)
        assert handed == [[ids["en"]]]
        assert report.done["test_english_corpus_stage"] == 1
        assert report.not_analysed["test_english_corpus_stage"] == {"language ru": 1, "language und": 1}
        assert sum(Pipeline(["test_english_corpus_stage"], workers=1).run(mixed_store).done.values()) == 0
        assert handed == [[ids["en"]]]
    finally:
        pipeline_module._REGISTRY.pop("test_english_corpus_stage", None)  # other tests list every stage
