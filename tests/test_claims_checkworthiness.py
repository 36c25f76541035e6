"""Check-worthiness scores of sentences written for these tests."""

from __future__ import annotations

import pytest

from narratrace.claims.checkworthiness import WEIGHTS, is_boilerplate
from narratrace.claims.extract import score_sentences

FACTUAL = [
    "The navy seized 3 cargo ships off Kessport on 4 May 2025.",
    "Customs officers found components for at least 40 drones in three containers last week.",
    "The ministry said that 14 sailors had been questioned by harbour police on Tuesday.",
    "More than 6,500 foreign fighters from 62 states have arrived in Veloria since March.",
]
NOT_WORTH_CHECKING = [
    "Please enter your comment!",
    "LEAVE A REPLY",
    "Copyright © The Harbour Courier 2025. All rights reserved.",
    "What happens next?",
    "Read more",
    "We think this is a shameful decision.",
    "Imagine a port without ships.",
    "It is no secret that the fate of these people is in their own hands.",
    "Thanks.",
]


def test_claims_checkworthiness_factual_sentences_score_high() -> None:
    scores = score_sentences(FACTUAL)
    assert all(s >= 0.7 for s in scores), list(zip(FACTUAL, scores))


def test_claims_checkworthiness_questions_opinion_boilerplate_score_low() -> None:
    scores = score_sentences(NOT_WORTH_CHECKING)
    assert all(s < 0.5 for s in scores), list(zip(NOT_WORTH_CHECKING, scores))


def test_claims_checkworthiness_boilerplate_is_zero() -> None:
    assert score_sentences(["Please enter your name here", "All rights reserved."]) == [0.0, 0.0]
    assert is_boilerplate("The original source of this article is The Cradle")
    assert not is_boilerplate("The ministry said 40 drones were found.")


def test_claims_checkworthiness_speculation_without_a_source_costs() -> None:
    plain, speculative, attributed = score_sentences([
        "The navy moved 3 ships to Kessport on Monday.",
        "The navy could move 3 ships to Kessport on Monday.",
        "The admiral said the navy could move 3 ships to Kessport on Monday.",
    ])
    assert speculative < plain and speculative < attributed


@pytest.mark.parametrize("feature", ["named", "number", "date", "event_verb", "attributed"])
def test_claims_checkworthiness_weights_point_the_right_way(feature: str) -> None:
    assert WEIGHTS[feature] > 0
    assert all(WEIGHTS[f] < 0 for f in ("question", "imperative", "speculation", "opinion", "short"))


def test_checkworthiness_trained_threshold_is_the_stage_cut_off() -> None:
    """A trained model's tuned threshold (rarely 0.5) becomes 0.5 in the claims stage, where the cut-off
    is 0.5: a sentence the model calls check-worthy is a claim in the export too."""
    from narratrace.claims.checkworthiness import CheckFeatures, CheckModel

    feats = CheckFeatures(words=12, named=1, numbers=1, dates=0, event_verb=True, attributed=False, anonymous=False,
                          hedged=False, question=False, first_second=False, first_second_opinion=False,
                          imperative=False, speculation=False, deontic=False, opinion=False, boilerplate=False,
                          has_verb=True)
    for bias, threshold in ((-0.575, 0.36), (0.0, 0.5), (0.8, 0.7)):
        model = CheckModel({"bias": bias}, threshold)
        p = model.score(feats, "x")
        staged = model.stage_score(feats, "x")
        assert (p >= threshold) == (staged >= 0.5)
        assert 0.0 <= staged <= 1.0
    assert CheckModel({"bias": 0.0}, 0.5).stage_score(feats, "x") == CheckModel({"bias": 0.0}, 0.5).score(feats, "x")
