"""The reviewed entity roles as a SemEval-2025 Task 10 subtask-1 folder, which ``narratrace train
framing --data DIR`` reads.

The format gives every mention a main role *and* at least one fine role of it. Reviewers confirm,
reject or pick another main role; they do not pick fine roles. So only confirmed roles are
exported, with the fine roles the analysis gave them (the answer the reviewer saw and confirmed);
a corrected role (its fine roles unknown), a rejected one (the right role unknown) and a
confirmed one whose answer changed since are skipped, each with its reason. Every mention of the
entity in the article carries the role, as in the task's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narratrace.store.reviews import ReviewItem

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["write_semeval_framing"]


def write_semeval_framing(store: Store, reviewed: Sequence[tuple[Any, ReviewItem | None, str]], out: Path
                          ) -> dict[str, Any]:
    """``raw-documents/<id>.txt`` and ``subtask-1-annotations.txt`` (file, mention, start, end
    inclusive, main role, fine roles) for the confirmed roles."""
    from narratrace.framing.data import ANNOTATIONS
    from narratrace.framing.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    skipped: list[dict[str, str]] = []
    lines: list[tuple[str, int, str]] = []
    docs: set[str] = set()
    framed: dict[str, dict[Any, Any]] = {}
    for review, item, status in reviewed:
        if review.verdict == "reject":
            skipped.append({"key": review.item_key, "reason": "rejected: the reviews do not say which role is right"})
            continue
        if review.verdict == "correct":
            skipped.append({"key": review.item_key, "reason": "corrected main role: the format needs fine roles, "
                            "which reviewers do not give"})
            continue
        if status != "reviewed" or item is None:
            skipped.append({"key": review.item_key, "reason": f"{status}: the fine roles the reviewer confirmed are "
                            "no longer the analysis's answer"})
            continue
        main = str(review.label)
        fines = [str(f) for f in (item.answer.get("fine_roles") or ())]
        try:
            ok = bool(fines) and all(taxonomy.main_of(f) == main for f in fines)
        except Exception:  # noqa: BLE001 - an unknown fine role: not exportable, said below
            ok = False
        if not ok:
            skipped.append({"key": review.item_key, "reason": f"fine roles {fines} are not fine roles of {main}"})
            continue
        aid = review.article_id
        if aid not in framed:
            framed[aid] = {a.data.get("entity"): a for a in store.annotations(aid, stage="framing")
                           if a.kind == "framing"}
        text = store.article(aid).text
        ann = framed[aid].get(review.item_key.split(":", 2)[2])
        spans = [tuple(sp) for sp in (ann.data.get("spans") or ()) if len(sp) == 2] if ann is not None else []
        kept = 0
        for s, e in spans or [(item.start, item.end)]:
            mention = text[int(s):int(e)]
            if not mention or "\t" in mention or "\n" in mention or "\r" in mention:
                continue  # the format's one line per mention cannot hold it
            lines.append((f"{aid}.txt", int(s), "\t".join([f"{aid}.txt", mention, str(s), str(int(e) - 1), main, *fines])))
            kept += 1
        if kept:
            docs.add(aid)
        else:
            skipped.append({"key": review.item_key, "reason": "no mention of the entity fits on one line"})
    folder = out / "raw-documents"
    folder.mkdir(parents=True, exist_ok=True)
    for aid in sorted(docs):
        with open(folder / f"{aid}.txt", "w", encoding="utf-8", newline="") as fh:
            fh.write(store.article(aid).text)
    with open(out / ANNOTATIONS, "w", encoding="utf-8", newline="") as fh:
        fh.writelines(line + "\n" for _, _, line in sorted(set(lines)))
    return {"written": {"documents": len(docs), "mentions": len(set(lines))}, "skipped": skipped}
