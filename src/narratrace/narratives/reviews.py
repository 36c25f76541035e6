"""The reviewed narrative labels as a SemEval-2025 Task 10 subtask-2 folder, which ``narratrace train
narratives --data DIR`` reads.

The format gives each document its whole set of narratives and subnarratives, so an article is
exported only when every label the analysis gave it is reviewed: confirmed labels and corrected
ones (the reviewer's label) are its labels, rejected ones none. A subnarrative brings its
narrative; a narrative alone is written with its "<narrative>: Other" subnarrative, as the task
writes it. An article whose every label was rejected is skipped: the reviews say what it does not
carry, not what it does. A label outside the taxonomy is skipped too. Labels the analysis never
proposed cannot be in the export.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narratrace.store.reviews import ReviewItem, unreviewed_items

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["write_semeval_narratives"]


def write_semeval_narratives(store: Store, reviewed: Sequence[tuple[Any, ReviewItem | None, str]], out: Path
                             ) -> dict[str, Any]:
    """``raw-documents/<id>.txt`` and ``subtask-2-annotations.txt`` (file, narratives, subnarratives;
    ``;``-separated, one subnarrative per narrative position) per fully reviewed article."""
    from narratrace.errors import ConfigError
    from narratrace.narratives.evaluation import ANNOTATIONS
    from narratrace.narratives.store import REVIEW
    from narratrace.narratives.taxonomy import OTHER, load_taxonomies, other_of

    taxonomy = load_taxonomies()
    skipped: list[dict[str, str]] = []
    missing = unreviewed_items(store, REVIEW, reviewed)
    by_article: dict[str, list[Any]] = {}
    for review, _, _ in reviewed:
        by_article.setdefault(review.article_id, []).append(review)
    rows: list[str] = []
    folder = out / "raw-documents"
    folder.mkdir(parents=True, exist_ok=True)
    for aid, reviews in sorted(by_article.items()):
        left = missing.get(aid, [])
        if left:
            skipped += [{"key": r.item_key, "reason": f"{len(left)} other narrative label(s) of the article are not "
                         "reviewed; the format lists a document's every label"} for r in reviews]
            continue
        pairs: list[tuple[str, str]] = []
        for r in reviews:
            if r.verdict == "reject":
                continue
            label = str(r.correction.get("label") if r.verdict == "correct" else r.label)
            if label == OTHER:
                pairs.append((OTHER, OTHER))
                continue
            try:
                found = taxonomy.get(label)
            except ConfigError:
                skipped.append({"key": r.item_key, "reason": f"{label!r} is not a label of the taxonomy"})
                continue
            pairs.append((found.parent, label) if found.parent else (label, other_of(label)))
        pairs = sorted(set(pairs))
        if not pairs:
            skipped += [{"key": r.item_key, "reason": "every label of the article rejected: the reviews do not say "
                         "which narrative (if any) it carries"} for r in reviews]
            continue
        with open(folder / f"{aid}.txt", "w", encoding="utf-8", newline="") as fh:
            fh.write(store.article(aid).text)
        rows.append(f"{aid}.txt\t{';'.join(n for n, _ in pairs)}\t{';'.join(s for _, s in pairs)}")
    with open(out / ANNOTATIONS, "w", encoding="utf-8", newline="") as fh:
        fh.writelines(row + "\n" for row in rows)
    return {"written": {"documents": len(rows)}, "skipped": skipped}
