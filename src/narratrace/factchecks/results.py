"""What the ``factcheck_matches`` stage stores: one match of a claim to a fact-check, and the stage's result.

Kept apart from the stage so that the package's store reads and writes them without importing the
stage (which imports the store).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ClaimMatch", "FactcheckMatchResult"]


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """One claim of an article matched to one fact-check."""

    article_id: str
    claim_id: str
    claim_text: str
    factcheck_key: str
    rank: int
    score: float
    factcheck: Mapping[str, Any]      # FactCheck.to_dict() at matching time
    tier: str = "match"               # "match" (score >= threshold) or "possible" (>= possible)

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article_id, "claim": self.claim_id, "claim_text": self.claim_text,
                "factcheck_key": self.factcheck_key, "rank": self.rank, "score": round(self.score, 4),
                "tier": self.tier, "factcheck": dict(self.factcheck)}


@dataclass(frozen=True, slots=True)
class FactcheckMatchResult:
    matches: tuple[ClaimMatch, ...]
    compared: tuple[str, ...]
    claims: int = 0
    factchecks: int = 0
