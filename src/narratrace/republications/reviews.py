"""What reviewers review of the republication detection: each copy pair (B copies A).

One item per pair of articles (keyed by the two ids in sorted order, so that a pair whose
direction flips after re-analysis is the same item, and its review *needs review again*). A
reviewer confirms or rejects that the copy republishes the original, or corrects it: ``reversed``
(the other one is the original) or ``independent`` (neither copies the other). The certainty is
the pair's larger text share's distance from the stage's ``min_share`` (0.3), below which no pair
is kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from narratrace.store.reviews import ReviewItem, ReviewKind, answer_fingerprint

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["REVIEW", "pair_items"]

STAGE = "republications"
MIN_SHARE = 0.3  # make_republications's default: a pair sharing less of either article is not kept

REVIEW = ReviewKind(
    "republication", "Republication pairs", "", label_name="relation", choices=("reversed", "independent"),
    label_in_key=False, score_field=None, threshold=MIN_SHARE, spans_editable=False,
    items="narratrace.republications.reviews:pair_items")
"""A pair of articles of which one copies the other: confirm, reject, or correct (reversed, independent)."""


def pair_items(store: Store, kind: ReviewKind, *, article_ids: Sequence[str] | None,
               outlet: str | None) -> Iterator[ReviewItem]:
    """Every stored pair, shown at the copy's first shared passage; filters match either article."""
    sql = ("SELECT p.original, p.copy, p.data, o.ref, o.outlet, c.ref, c.title, c.outlet, c.text, r.version "
           "FROM republication_pairs p JOIN articles o ON o.id = p.original JOIN articles c ON c.id = p.copy "
           "LEFT JOIN stage_results r ON r.article_id = p.copy AND r.stage = ? WHERE 1 = 1")
    args: list[Any] = [STAGE]
    if outlet is not None:
        sql += " AND (c.outlet = ? OR o.outlet = ?)"
        args += [outlet, outlet]
    if article_ids is not None:
        marks = ",".join("?" * len(article_ids))
        sql += f" AND (p.copy IN ({marks}) OR p.original IN ({marks}))"
        args += [*article_ids, *article_ids]
    seen: set[str] = set()
    for original, copy, data, oref, ooutlet, cref, ctitle, coutlet, ctext, version in store.db.execute(
            sql + " ORDER BY c.rowid, o.rowid", tuple(args)):
        key = f"{kind.name}:{min(original, copy)}:{max(original, copy)}"
        if key in seen:
            continue
        seen.add(key)
        pair = json.loads(data) if data else {}
        passages = pair.get("shared_passages") or [{}]
        start, end = int(passages[0].get("copy_start") or 0), int(passages[0].get("copy_end") or 0)
        share = max(float(pair.get("copy_share") or 0.0), float(pair.get("original_share") or 0.0))
        answer = {"copy": cref, "original": oref, "original_outlet": ooutlet}
        yield ReviewItem(kind.name, key, copy, cref, ctitle, coutlet, STAGE, str(version or ""), start, end, "copies",
                         (ctext or "")[start:end], share, answer, answer_fingerprint("copies", 0, 0, answer),
                         kind.threshold)
