"""The attribution evaluation, and the labelled set from the example corpus it runs on."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import pytest

from narratrace.ingest import build_article, read_file
from narratrace.model import Article
from narratrace.claims import evaluate, extract_claims, predictions_from_claims

GOLD = Path(__file__).parent / "data" / "attribution" / "examples.jsonl"
#: Figures measured when the set was labelled (exact match); a drop below them is a regression.
FLOORS = {"source": 0.90, "cue": 0.88}


def _gold() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@functools.cache
def _articles(examples_dir: Path) -> dict[str, Article]:
    out = {}
    for path in sorted(examples_dir.iterdir()):
        for rec in read_file(path):
            art = build_article(rec)  # type: ignore[arg-type]
            if isinstance(art, Article):
                out[art.ref] = art
    return out


def test_claims_evaluation_gold_set_matches_the_corpus(examples_dir: Path) -> None:
    gold = _gold()
    arts = _articles(examples_dir)
    assert sum(len(g["attributions"]) for g in gold) >= 25
    for g in gold:
        text = arts[g["ref"]].text
        assert hashlib.sha256(text.encode()).hexdigest() == g["text_sha256"], g["ref"]
        for a in g["attributions"]:
            assert text[a["cue_start"]:a["cue_end"]] == a["cue"]
            if a["source"] is not None:
                assert text[a["source_start"]:a["source_end"]] == a["source"]


def test_claims_evaluation_figures_on_the_example_set(examples_dir: Path) -> None:
    arts = _articles(examples_dir)
    gold = _gold()
    preds = []
    for g in gold:
        art = arts[g["ref"]]
        preds.append(predictions_from_claims(art.ref, [c.data(art.id) for c in extract_claims(art).claims]))
    exact = evaluate(preds, gold)
    overlap = evaluate(preds, gold, match="overlap")
    for role, floor in FLOORS.items():
        assert exact[role]["f1"] >= floor, (role, exact)
        assert overlap[role]["f1"] >= exact[role]["f1"]


def test_claims_evaluation_exact_and_overlap_matching() -> None:
    gold = [{"ref": "a", "attributions": [
        {"source_start": 0, "source_end": 10, "cue_start": 11, "cue_end": 15},
        {"source_start": None, "source_end": None, "cue_start": 40, "cue_end": 48},
        {"source_start": 50, "source_end": 60, "cue_start": 61, "cue_end": 65}]}]
    pred = [{"ref": "a", "attributions": [
        {"source_start": 0, "source_end": 10, "cue_start": 11, "cue_end": 15},   # both exact
        {"source_start": 52, "source_end": 60, "cue_start": 70, "cue_end": 74},  # source overlaps, cue wrong
        {"source_start": 80, "source_end": 90, "cue_start": 91, "cue_end": 95}]}]  # nothing
    exact = evaluate(pred, gold)
    assert exact["source"] == {"p": round(1 / 3, 4), "r": 0.5, "f1": 0.4}
    assert exact["cue"] == {"p": round(1 / 3, 4), "r": round(1 / 3, 4), "f1": round(1 / 3, 4)}
    overlap = evaluate(pred, gold, match="overlap")
    assert overlap["source"] == {"p": round(2 / 3, 4), "r": 1.0, "f1": 0.8}
    assert evaluate([], gold)["cue"] == {"p": 0.0, "r": 0.0, "f1": 0.0}
    with pytest.raises(ValueError):
        evaluate(pred, gold, match="fuzzy")


def test_claims_evaluation_predictions_count_carried_attributions_once() -> None:
    claims = [{"source_start": 0, "source_end": 5, "cue_start": 6, "cue_end": 10, "carried": False},
              {"source_start": 0, "source_end": 5, "cue_start": 6, "cue_end": 10, "carried": True},
              {"source_start": None, "source_end": None, "cue_start": None, "cue_end": None}]
    assert predictions_from_claims("a", claims) == {"ref": "a", "attributions": [
        {"source_start": 0, "source_end": 5, "cue_start": 6, "cue_end": 10}]}
