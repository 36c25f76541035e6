"""What the two tiers of a fact-check match mean, and how precise each was measured to be.

The figures are the shipped default's (``hybrid-v1`` with the stage's default configuration), end to
end: documents ingested, ``analyze`` run, the export's matches judged, each (document, fact-check)
pair once at its best tier (``narratrace evaluate matching --end-to-end``, which prints ``tiers``).
They are stated where a match is shown: the report, the fact-checks page and its JSON twin, and the
export (``factcheck_tiers``). docs/stages.md (factcheck_matches) says how each was set. A model
trained with ``narratrace train matching`` has its own precision: measure it the same way.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TIERS", "tiers_note"]


def _measured(label: str, data: str, right: int, listed: int) -> dict[str, Any]:
    return {"label": label, "data": data, "listed": listed, "right": right,
            "precision": round(right / listed, 3) if listed else None}


_CHECKTHAT = ("CheckThat! tweets", "CheckThat! 2022 Task 2A English, the 209 held-out tweets")
_NEWS = ("our news articles", "tests/data/factchecks/news: 18 news articles written for this project, 6 of which "
                          "repeat no fact-checked claim")
_POSTS = ("our posts", "tests/data/factchecks/retrieval: 24 posts written for this project")

#: Each tier: the scores it takes and its measured precision (2026-12-07, factcheck_matches.v5).
TIERS: tuple[dict[str, Any], ...] = (
    {"tier": "match",
     "rule": "score at least 0.5 (a claim, or a short text as a whole); a sentence that no claim covers at least 0.8",
     "measured": [_measured(*_CHECKTHAT, 150, 155), _measured(*_NEWS, 12, 13), _measured(*_POSTS, 24, 25)]},
    {"tier": "possible",
     "rule": "score 0.2 to 0.5 (a claim, or a short text as a whole); a short text's best fact-check also from "
             "0.02 when it scores at least twice the second",
     "measured": [_measured(*_CHECKTHAT, 42, 87), _measured(*_NEWS, 0, 7), _measured(*_POSTS, 0, 5)]},
)


def tiers_note() -> str:
    """One sentence for the report and the web page: each tier's rule and its measured precision."""
    def figures(tier: dict[str, Any]) -> str:
        return ", ".join(f"{m['right']} of {m['listed']} right on {m['label']}" for m in tier["measured"])

    match, possible = TIERS
    return (f"Measured precision, end to end: a match (score 0.5 or more) was {figures(match)}; a possible match "
            f"(0.2 to 0.5, or a post's clear best from 0.02) {figures(possible)}: a lead to read, not a finding.")
