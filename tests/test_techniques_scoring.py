"""The official SemEval-2020 Task 11 measures, checked against hand-computed values."""

from __future__ import annotations

import pytest

from narratrace.techniques.scoring import merge_spans, si_scores, tc_scores


def test_techniques_merge_spans_merges_overlaps_only() -> None:
    assert merge_spans([(5, 10), (0, 6), (10, 12), (20, 20)]) == [(0, 10), (10, 12)]


def test_techniques_si_partial_overlap_credit() -> None:
    # gold [0,10) and [20,30); predicted [5,15) overlaps the first by 5 chars, [40,50) nothing
    scores = si_scores({"a": [(5, 15), (40, 50)]}, {"a": [(0, 10), (20, 30)]})
    assert scores["precision"] == pytest.approx((5 / 10) / 2)       # credit 0.5 over 2 predicted spans
    assert scores["recall"] == pytest.approx((5 / 10) / 2)          # credit 0.5 over 2 gold spans
    assert scores["f1"] == pytest.approx(0.25)


def test_techniques_si_merges_overlapping_gold_and_predictions() -> None:
    # overlapping gold spans count once; overlapping predictions are merged before scoring
    scores = si_scores({"a": [(0, 6), (4, 10)]}, {"a": [(0, 8), (2, 10)]})
    assert (scores["predicted"], scores["gold"]) == (1, 1)
    assert scores["f1"] == pytest.approx(1.0)


def test_techniques_si_counts_articles_without_predictions_and_missing_gold() -> None:
    scores = si_scores({"a": [(0, 10)]}, {"a": [(0, 10)], "b": [(0, 5)]})
    assert scores["precision"] == pytest.approx(1.0) and scores["recall"] == pytest.approx(0.5)
    assert si_scores({}, {"a": [(0, 4)]})["f1"] == 0.0


def test_techniques_tc_best_alignment_on_a_span_with_two_labels() -> None:
    pairs = [(["Doubt", "Loaded_Language"], ["Loaded_Language", "Doubt"]),   # order does not matter
             (["Repetition"], ["Loaded_Language"])]
    scores = tc_scores(pairs)
    assert scores["micro_f1"] == pytest.approx(2 / 3, abs=1e-4) and scores["instances"] == 3
    assert scores["per_class"]["Repetition"]["precision"] == 0.0
    assert scores["per_class"]["Loaded_Language"]["recall"] == pytest.approx(0.5)


def test_techniques_tc_rejects_wrong_number_of_predictions() -> None:
    with pytest.raises(ValueError):
        tc_scores([(["Doubt"], ["Doubt", "Slogans"])])
