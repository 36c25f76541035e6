"""The reviewed technique spans as a PTC folder (SemEval-2020 Task 11), which ``narratrace train
techniques --data DIR`` reads.

In PTC, text without a label is text without a technique, so an article is exported only when
every technique span the analysis found in it is reviewed: confirmed spans (with their technique)
and corrected ones (the reviewer's technique and edges) are its labels, rejected ones none. What
the analysis never proposed cannot be in the labels: a PTC folder exported from reviews holds the
spans reviewers kept, not every technique a full annotation would find.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narratrace.store.reviews import ReviewItem, unreviewed_items
from narratrace.techniques.labels import TECHNIQUES

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["write_ptc"]


def write_ptc(store: Store, reviewed: Sequence[tuple[Any, ReviewItem | None, str]], out: Path) -> dict[str, Any]:
    """``article<ID>.txt`` and ``article<ID>.task2-TC.labels`` (``ID<TAB>technique<TAB>start<TAB>end``)
    per fully reviewed article; the rest skipped with the reason."""
    from narratrace.techniques.store import REVIEW

    skipped: list[dict[str, str]] = []
    missing = unreviewed_items(store, REVIEW, reviewed)
    by_article: dict[str, list[Any]] = {}
    for review, _, _ in reviewed:
        by_article.setdefault(review.article_id, []).append(review)
    out.mkdir(parents=True, exist_ok=True)
    articles = labels = 0
    for aid, reviews in sorted(by_article.items()):
        left = missing.get(aid, [])
        if left:
            skipped += [{"key": r.item_key, "reason": f"{len(left)} other technique span(s) of the article are not "
                         "reviewed; in PTC unlabelled text means 'no technique'"} for r in reviews]
            continue
        article = store.article(aid)
        rows = []
        for r in reviews:
            if r.verdict == "reject":
                continue
            fix = r.correction if r.verdict == "correct" else {}
            technique = fix.get("label", r.label)
            start, end = fix.get("start", r.start), fix.get("end", r.end)
            if technique not in TECHNIQUES or not (isinstance(start, int) and isinstance(end, int)
                                                   and 0 <= start < end <= len(article.text)):
                skipped.append({"key": r.item_key, "reason": "no SemEval-2020 technique or span in the review"})
                continue
            rows.append((start, end, technique))
        with open(out / f"article{aid}.txt", "w", encoding="utf-8", newline="") as fh:
            fh.write(article.text)
        with open(out / f"article{aid}.task2-TC.labels", "w", encoding="utf-8", newline="") as fh:
            fh.writelines(f"{aid}\t{t}\t{s}\t{e}\n" for s, e, t in sorted(set(rows)))
        articles += 1
        labels += len(set(rows))
    return {"written": {"articles": articles, "labels": labels}, "skipped": skipped}
