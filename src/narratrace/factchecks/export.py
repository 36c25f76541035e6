"""The ``factcheck_matches`` key of the JSON export (contract of issue 6)."""

from __future__ import annotations

from typing import Any

from narratrace.store import Store

__all__ = ["export_factcheck_matches"]


def export_factcheck_matches(store: Store) -> list[dict[str, Any]]:
    """``[{"claim": claim id, "factcheck": {"key", "url", "publisher", "rating", "claim"}, "score"}]``, plus the
    article ref, the fact-check's verdict, numeric rating score and date, the match rank and its tier
    (``match``, or ``possible`` below the threshold)."""
    from narratrace.factchecks.store import factcheck_matches

    ref = {row["id"]: row["ref"] for row in store.article_index()}
    out = []
    for m in factcheck_matches(store):
        f = m["factcheck"]
        out.append({"claim": m["claim"], "article": ref.get(m["article"], m["article"]),
                    "factcheck": {"key": f.get("key"), "url": f.get("url"), "publisher": f.get("publisher"), "rating": f.get("rating"),
                                  "claim": f.get("claim"), "verdict": f.get("verdict"),
                                  "rating_score": f.get("rating_score"), "published": f.get("published"),
                                  "claimant": f.get("claimant"), "language": f.get("language")},
                    "score": m["score"], "rank": m["rank"], "tier": m.get("tier", "match")})
    return out


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    """``factcheck_matches``, and ``factcheck_tiers``: what each tier means and its measured precision."""
    from narratrace.factchecks.tiers import TIERS

    return {"factcheck_matches": export_factcheck_matches(store), "factcheck_tiers": list(TIERS)}
