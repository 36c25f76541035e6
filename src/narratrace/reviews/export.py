"""The reviews' part of the JSON export: every item's latest review, with its status now."""

from __future__ import annotations

from typing import Any

from narratrace.reviews.queue import review_status
from narratrace.store import Store

__all__ = ["export_section"]


def export_section(store: Store, ref: dict[str, str]) -> dict[str, Any]:
    out = []
    for review, status in review_status(store):
        out.append({**review.to_dict(), "article": ref.get(review.article_id, review.article_id), "status": status})
    out.sort(key=lambda r: (r["kind"], r["key"]))
    return {"reviews": out}
