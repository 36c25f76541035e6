"""What reviewers review of the fact-check matching: each claim's best match, and its CheckThat! export.

One item per matched claim: the fact-check the stage ranked first for it. A reviewer confirms or
rejects that match, or corrects it by picking another of the fact-checks matched to the same
article, or "none" (the claim repeats no imported fact-check). The certainty is the match score's
distance from the default model's threshold (0.5, the *match* tier's floor).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from narratrace.store.reviews import ReviewItem, ReviewKind, answer_fingerprint

if TYPE_CHECKING:
    from narratrace.store import Store

__all__ = ["REVIEW", "match_items", "write_checkthat"]

STAGE = "factcheck_matches"
NONE = "none"

REVIEW = ReviewKind(
    "factcheck", "Fact-check matches", "", label_name="fact-check", label_in_key=False, score_field=None,
    threshold=0.5, spans_editable=False, items="narratrace.factchecks.reviews:match_items",
    benchmark="checkthat-matching", benchmark_writer="narratrace.factchecks.reviews:write_checkthat")
"""A claim and the fact-check it was matched to: confirm, reject, or pick another of the article's
candidate fact-checks, or none."""


def _title(fc: dict[str, Any]) -> str:
    claim = " ".join(str(fc.get("claim") or fc.get("key") or "").split())
    claim = claim if len(claim) <= 160 else claim[:159] + "…"
    said = ", ".join(str(x) for x in (fc.get("publisher"), fc.get("rating")) if x)
    return f"{claim} ({said})" if said else claim


def _claim_spans(store: Store, article_ids: Sequence[str]) -> dict[tuple[str, str], tuple[int, int]]:
    out: dict[tuple[str, str], tuple[int, int]] = {}
    ids = list(dict.fromkeys(article_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        for aid, start, end, data in store.db.execute(
                f'SELECT article_id, start, "end", data FROM annotations WHERE kind = \'claim\' AND article_id IN '
                f"({','.join('?' * len(chunk))})", tuple(chunk)):
            cid = (json.loads(data) if data else {}).get("id")
            if cid:
                out[(aid, str(cid))] = (int(start), int(end))
    return out


def match_items(store: Store, kind: ReviewKind, *, article_ids: Sequence[str] | None,
                outlet: str | None) -> Iterator[ReviewItem]:
    """Each matched claim's best match, with the article's candidate fact-checks as options."""
    sql = ("SELECT m.article_id, m.claim_id, m.factcheck_key, m.score, m.data, a.ref, a.title, a.outlet, a.text, "
           "r.version FROM factcheck_matches m JOIN articles a ON a.id = m.article_id "
           "LEFT JOIN stage_results r ON r.article_id = m.article_id AND r.stage = ? WHERE 1 = 1")
    args: list[Any] = [STAGE]
    if outlet is not None:
        sql += " AND a.outlet = ?"
        args.append(outlet)
    if article_ids is not None:
        sql += f" AND m.article_id IN ({','.join('?' * len(article_ids))})"
        args += list(article_ids)
    rows = list(store.db.execute(sql + " ORDER BY a.rowid, m.claim_id, m.rank", tuple(args)))
    spans = _claim_spans(store, [r[0] for r in rows])
    candidates: dict[str, dict[str, str]] = {}
    for aid, _cid, key, _score, data, *_ in rows:
        candidates.setdefault(aid, {}).setdefault(key, _title((json.loads(data) or {}).get("factcheck") or {"key": key}))
    seen: set[str] = set()
    for aid, cid, key, score, data, ref, title, art_outlet, text, version in rows:
        item_key = f"{kind.name}:{aid}:{cid}"
        if item_key in seen:  # the claim's best match comes first (rank order)
            continue
        seen.add(item_key)
        match = json.loads(data) if data else {}
        start, end = spans.get((aid, cid), (0, 0))
        claim = (text or "")[start:end] if end > start else str(match.get("claim_text") or "")
        answer = {"tier": match.get("tier") or "match"}
        options = (*candidates[aid].items(), (NONE, "none of these: the claim repeats no imported fact-check"))
        yield ReviewItem(kind.name, item_key, aid, ref, title, art_outlet, STAGE, str(version or ""), start, end, key,
                         claim, float(score), answer, answer_fingerprint(key, start, end, answer), kind.threshold,
                         options)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write_checkthat(store: Store, reviewed: Sequence[tuple[Any, ReviewItem | None, str]], out: Path
                    ) -> dict[str, Any]:
    """The reviewed matches as a CheckThat! 2022 Task 2A folder: ``queries.tsv`` (claim id, claim),
    ``qrels.tsv`` (claim id, 0, fact-check key, relevance) and ``vclaims.jsonl`` (every fact-check a
    query names). A confirmed match is relevant (1); a correction names the relevant fact-check, or
    with "none" marks the claim as repeating none (its candidates judged 0: a CheckThat! negative). A
    rejection says which fact-check is wrong but not whether another is right: it is skipped."""
    from narratrace.factchecks.store import factchecks_by_key

    queries: dict[str, str] = {}
    qrels: list[tuple[str, str, int]] = []
    skipped: list[dict[str, str]] = []
    for review, item, status in reviewed:
        if review.verdict == "reject":
            skipped.append({"key": review.item_key, "reason": "a rejection does not say which fact-check (if any) "
                            "the claim repeats; the format has no 'not this one' judgement"})
            continue
        chosen = review.label if review.verdict == "confirm" else review.correction.get("label")
        qid = review.item_key.split(":", 2)[2]
        text = _one_line(review.text)
        if not text or not chosen:
            skipped.append({"key": review.item_key, "reason": "no claim text or no fact-check in the review"})
            continue
        queries[qid] = text
        if chosen == NONE:
            others = [v for v, _ in (item.options if item else ()) if v != NONE] or [str(review.label)]
            qrels += [(qid, key, 0) for key in others]
        else:
            qrels.append((qid, str(chosen), 1))
    records = factchecks_by_key(store, {k for _, k, _ in qrels})
    missing = {k for _, k, _ in qrels} - set(records)
    if missing:  # a fact-check removed from the store since: its queries cannot be written
        gone = {q for q, k, _ in qrels if k in missing}
        skipped += [{"key": f"factcheck:?:{q}", "reason": "names a fact-check no longer in the store"} for q in sorted(gone)]
        qrels = [r for r in qrels if r[0] not in gone]
        queries = {q: t for q, t in queries.items() if q not in gone}
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "queries.tsv", "w", encoding="utf-8", newline="") as fh:
        for qid, text in sorted(queries.items()):
            fh.write(f"{qid}\t{text}\n")
    with open(out / "qrels.tsv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        for qid, key, rel in sorted(qrels):
            writer.writerow([qid, 0, key, rel])
    with open(out / "vclaims.jsonl", "w", encoding="utf-8") as fh:
        for key in sorted(records):
            fc = records[key]
            fh.write(json.dumps({"vclaim_id": key, "vclaim": fc.claim, "title": fc.title or "",
                                 "date": fc.published or "", "page_url": fc.url or ""}, ensure_ascii=False) + "\n")
    return {"written": {"queries": len(queries), "relevant": sum(1 for r in qrels if r[2]),
                        "negatives": len({q for q, _, r in qrels} - {q for q, _, r in qrels if r}),
                        "vclaims": len(records)},
            "skipped": skipped}
