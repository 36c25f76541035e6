"""Republication: are the copy pairs of a corpus found, and is the right article named the original?

Labelled pairs format (JSONL, one object per line, refs as ingestion assigns them: the file name
without extension, or a JSONL/CSV record's id)::

    {"original": "harbour-courier-drones", "copy": "northern-ledger-repost", "note": "why (optional)"}

The labels must list *every* pair of articles of the corpus that share republished text (a group
of four copies is six pairs); any other pair of the corpus is a negative. Measures: precision,
recall and F1 of the unordered pairs found, and ``direction``: the share of correctly found pairs
whose original is the labelled one. The corpus (``--corpus``, default ``examples/corpus``) is
ingested into a temporary in-memory store and run through ``fingerprints`` and ``republications``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from narratrace.errors import InputError
from narratrace.evaluation import PublishedFigure, Task

__all__ = ["TASK", "read_pairs"]


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """``(original, copy)`` refs of a labelled pairs file."""
    pairs = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            pairs.append((str(item["original"]), str(item["copy"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{number}: expected {{\"original\": REF, \"copy\": REF}} ({exc})",
                             path=str(path)) from None
    return pairs


def evaluate(data: Path, *, model: str | None = None, split: str = "all", limit: int | None = None,
             corpus: str | Path | None = None, **_options: Any) -> dict[str, Any]:
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline
    from narratrace.store import Store

    if data.is_dir():
        raise InputError(f"{data}: give the labelled pairs file (JSONL), and the articles with --corpus",
                         path=str(data))
    gold = read_pairs(data)
    corpus_path = Path(corpus or "examples/corpus")
    if not corpus_path.exists():
        raise InputError(f"no corpus at {corpus_path}", path=str(corpus_path))
    with Store(":memory:") as store:
        ingest(store, [str(corpus_path)])
        Pipeline(["fingerprints", "republications"], workers=1).run(store)
        refs = {a["id"]: a["ref"] for a in store.article_index()}
        missing = sorted({r for pair in gold for r in pair} - set(refs.values()))
        if missing:
            raise InputError(f"labelled refs not in the corpus {corpus_path}: {missing[:5]}", path=str(data))
        found = [(refs[p.original], refs[p.copy]) for p in store.republication_pairs()]
    gold_set = {frozenset(p) for p in gold}
    found_set = {frozenset(p) for p in found}
    hits = gold_set & found_set
    precision = len(hits) / len(found_set) if found_set else 0.0
    recall = len(hits) / len(gold_set) if gold_set else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    gold_original = {frozenset(p): p[0] for p in gold}
    right = sum(1 for original, copy in found if frozenset((original, copy)) in hits
                and gold_original[frozenset((original, copy))] == original)
    return {"n": len(refs), "model": "shingles-v1",
            "measures": {"pairs": {"p": round(precision, 4), "r": round(recall, 4), "f1": round(f1, 4)},
                         "direction": round(right / len(hits), 4) if hits else 0.0},
            "gold_pairs": len(gold_set), "found_pairs": len(found_set)}


TASK = Task(
    name="republication",
    summary="copy pairs across outlets and which one is the original (fingerprints + alignment)",
    data_format="labelled pairs JSONL ({\"original\": REF, \"copy\": REF} per line) with --corpus DIR",
    evaluate=evaluate,
    published=(PublishedFigure("pairs.f1", "copy-pair F1", None, "no public benchmark of news republication"),),
    stage="republications",
    default_model="shingles-v1",
    config_key=None,
)
