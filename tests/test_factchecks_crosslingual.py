"""Fact-check matching across languages with the multilingual encoder (texts written for this project)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from narratrace.cosines import from_reference, to_reference
from narratrace.factchecks import import_factchecks
from narratrace.factchecks.matching import Matcher
from narratrace.factchecks.store import factchecks_by_rowid
from narratrace.store import Store
from narratrace.vectors import use_encoder

DATA = Path(__file__).parent / "data" / "crosslingual"
CLAIMS = [json.loads(line) for line in (DATA / "claims.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def e5_store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(tmp_path_factory.mktemp("xl") / "fc.db")
    with use_encoder("e5-int8"):
        report = import_factchecks(store, DATA / "factchecks.json")
    assert report.added == 8
    return store


def _best(store: Store, text: str, language: str | None) -> tuple[str, float]:
    with use_encoder("e5-int8"):
        (best, *_) = Matcher(store).rank(text, language=language)
    return factchecks_by_rowid(store, [best.rowid])[best.rowid].url, best.score


def test_translations_match_their_english_fact_check_and_near_misses_do_not(e5_store: Store) -> None:
    wrong = []
    for item in (c for c in CLAIMS if "limit" not in c):
        url, score = _best(e5_store, item["text"], item["language"])
        if item["checks"] and (url != item["checks"] or score < 0.5):
            wrong.append(("missed", item["text"], url, round(score, 3)))
        if not item["checks"] and score >= 0.5:
            wrong.append(("false match", item["text"], url, round(score, 3)))
    assert not wrong, wrong


def test_without_the_claims_language_lexical_evidence_is_required(e5_store: Store) -> None:
    """The same-language model wants shared words: a Bulgarian translation alone does not reach it."""
    item = CLAIMS[0]
    _, crossed = _best(e5_store, item["text"], item["language"])
    _, unknown = _best(e5_store, item["text"], None)
    assert crossed >= 0.5 > unknown


def test_cosine_maps_are_monotone_and_invert() -> None:
    cos = np.linspace(0.7, 1.0, 31)
    mapped = to_reference(cos, "e5-int8")
    assert np.all(np.diff(mapped) >= 0) and mapped[0] < 0.05 and mapped[-1] == pytest.approx(1.0)
    assert to_reference(0.42, "all-MiniLM-L6-v2") == pytest.approx(0.42)  # the reference space is unchanged
    assert float(to_reference(from_reference(0.62, "e5-int8"), "e5-int8")) == pytest.approx(0.62, abs=1e-6)


def test_analyze_matches_a_bulgarian_article_to_an_english_fact_check(tmp_path: Path) -> None:
    """Through ingest -> analyze -> export, as a user gets it."""
    from narratrace.export import export_corpus
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "bg.txt").write_text(
        "НАТО и Полша\n\nСлужбата за външно разузнаване на Русия заяви в сряда, че НАТО се готви да разположи "
        "ядрени оръжия в Полша. Според службата решението вече е взето във Вашингтон. Министерството на "
        "отбраната на Полша отхвърли твърдението.\n", encoding="utf-8")
    store = Store(tmp_path / "c.db")
    ingest(store, [folder])
    with use_encoder("e5-int8"):
        import_factchecks(store, DATA / "factchecks.json")
    stages = ["fingerprints", "sentence_vectors", "claims", "claim_vectors", "factcheck_matches"]
    report = Pipeline(stages, workers=1, encoder="e5-int8").run(store)
    assert report.done["factcheck_matches"] == 1 and not report.not_analysed.get("factcheck_matches")
    matches = export_corpus(store)["factcheck_matches"]
    # the claim matches; the short text as a whole may list the same fact-check again as a possible lead
    assert {m["factcheck"]["url"] for m in matches} == {"https://factdesk.example/nato-poland"}, matches
    best = max(matches, key=lambda m: m["score"])
    assert best["article"] == "bg" and best["score"] >= 0.5 and best["tier"] == "match", matches
