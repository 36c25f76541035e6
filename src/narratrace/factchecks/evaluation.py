"""Matching: does a claim find the fact-checks that already checked it? (CheckThat! 2022 Task 2A format)

Data: a folder holding ``*Queries*.tsv`` (``tweet_id<TAB>text``), ``*QRELs*.tsv``
(``tweet_id<TAB>0<TAB>vclaim_id<TAB>1``) and the verified-claims collection as ``vclaims.jsonl``, a
``vclaims/`` folder of ``<vclaim_id>.json`` files, or ``vclaims.tar.gz`` (objects with
``vclaim_id``, ``vclaim``, ``title``, ``date``, optional ``page_url``). The collection goes into a
throwaway in-memory store as fact-checks (claim = ``vclaim``, title = ``title``), so the scored
code is exactly what ``narratrace match`` and the ``factcheck_matches`` stage run.

Measures, as the CheckThat! scorer defines them: AP@k sums the precision at each relevant
vclaim in the top k and divides by the number of relevant vclaims of the query; MAP@k is its
mean over queries; Recall@k is the share of a query's relevant vclaims in its top k (mean over
queries); MRR the mean reciprocal rank of the first relevant one. Queries are split with
``in_split(tweet_id, split)``. Beside the measures: precision and recall of the "match" threshold,
and how well the score is calibrated over each query's top 5 (Brier score, and the expected
calibration error over ten equal-width bins).

Embeddings of the collection and the queries are cached under ``bench/.cache/matching`` (option
``cache``; ``cache=None`` embeds every time).
"""

from __future__ import annotations

import csv
import json
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.evaluation import Benchmark, PublishedFigure, Task, in_split
from narratrace.errors import InputError

__all__ = ["ClaimRetrievalData", "average_precision", "evaluate_matching", "evaluate_matching_end_to_end",
           "read_claim_retrieval", "train_matching"]

DEFAULT_CACHE = "bench/.cache/matching"


@dataclass(frozen=True, slots=True)
class ClaimRetrievalData:
    queries: dict[str, str]                 # tweet_id -> text
    qrels: dict[str, set[str]]              # tweet_id -> relevant vclaim ids
    vclaims: list[dict[str, Any]]           # sorted by vclaim_id


def _one(folder: Path, patterns: Sequence[str], what: str) -> Path:
    for pattern in patterns:
        found = sorted(folder.rglob(pattern))
        if found:
            return found[0]
    raise InputError(f"{folder} has no {what} ({' or '.join(patterns)})", path=str(folder))


def _vclaims(folder: Path) -> Iterator[dict[str, Any]]:
    jsonl = sorted(folder.rglob("vclaims.jsonl"))
    if jsonl:
        with open(jsonl[0], encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)
        return
    dirs = [d for d in sorted(folder.rglob("vclaims")) if d.is_dir()]
    if dirs:
        for file in sorted(dirs[0].glob("*.json")):
            yield json.loads(file.read_text(encoding="utf-8"))
        return
    tars = sorted(folder.rglob("vclaims.tar.gz"))
    if tars:
        with tarfile.open(tars[0]) as tar:
            for member in tar:
                if member.isfile() and member.name.endswith(".json"):
                    fh = tar.extractfile(member)
                    if fh is not None:
                        yield json.loads(fh.read().decode("utf-8"))
        return
    raise InputError(f"{folder} has no verified claims (vclaims.jsonl, vclaims/ or vclaims.tar.gz)", path=str(folder))


def read_claim_retrieval(folder: str | Path, *, split: str = "all", limit: int | None = None) -> ClaimRetrievalData:
    """Queries of ``split`` (with at least one qrel), their qrels, and the whole collection."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder in the CheckThat! claim-retrieval format", path=str(folder))
    queries_file = _one(folder, ["*Queries*.tsv", "*queries*.tsv"], "queries file")
    qrels_file = _one(folder, ["*QRELs*.tsv", "*qrels*.tsv", "*QRELS*.tsv"], "qrels file")
    qrels: dict[str, set[str]] = {}
    with open(qrels_file, encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not row:
                continue
            if len(row) < 4:
                raise InputError(f"{qrels_file}:{n}: expected 4 tab-separated columns", path=str(qrels_file))
            if row[3].strip() not in ("0", ""):
                qrels.setdefault(row[0], set()).add(row[2])
    queries: dict[str, str] = {}
    with open(queries_file, encoding="utf-8", newline="") as fh:
        for n, line in enumerate(fh, start=1):
            parts = line.rstrip("\n").split("\t", 1)
            if len(parts) != 2:
                if line.strip():
                    raise InputError(f"{queries_file}:{n}: expected tweet_id<TAB>text", path=str(queries_file))
                continue
            qid, text = parts
            if qid in qrels and in_split(qid, split):
                queries[qid] = text
    if limit is not None:
        queries = dict(list(queries.items())[:limit])
    vclaims = sorted(_vclaims(folder), key=lambda v: str(v.get("vclaim_id")))
    ids = {str(v.get("vclaim_id")) for v in vclaims}
    missing = {c for q in queries for c in qrels[q]} - ids
    if missing:
        raise InputError(f"qrels name {len(missing)} vclaims that are not in the collection, "
                         f"e.g. {sorted(missing)[0]}", path=str(folder))
    return ClaimRetrievalData(queries, {q: qrels[q] for q in queries}, vclaims)


def average_precision(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """CheckThat! AP@k: precision at each relevant hit in the top k, summed, over the number relevant."""
    hits, total = 0, 0.0
    for i, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / i
    return total / len(relevant) if relevant else 0.0


def _measures(runs: Mapping[str, Sequence[str]], qrels: Mapping[str, set[str]]) -> dict[str, float]:
    n = len(runs) or 1

    def mean(f: Any) -> float:
        return round(sum(f(q) for q in runs) / n, 4)

    def rr(q: str) -> float:
        return next((1 / i for i, v in enumerate(runs[q], start=1) if v in qrels[q]), 0.0)

    return {"map_at_1": mean(lambda q: average_precision(runs[q], qrels[q], 1)),
            "map_at_5": mean(lambda q: average_precision(runs[q], qrels[q], 5)),
            "map_at_10": mean(lambda q: average_precision(runs[q], qrels[q], 10)),
            "recall_at_10": mean(lambda q: len(set(runs[q][:10]) & qrels[q]) / len(qrels[q])),
            "mrr": mean(rr)}


def _store_for(data: ClaimRetrievalData, cache: str | Path | None) -> Any:
    """An in-memory store holding the collection as fact-checks, with their (cached) vectors."""
    from narratrace.store import Store

    store = Store(":memory:")
    _fill(store, data, cache)
    return store


def _fill(store: Any, data: ClaimRetrievalData, cache: str | Path | None) -> None:
    """The collection imported into ``store`` as fact-checks, with their (cached) vectors."""
    from narratrace.factchecks.embedding import embed_cached
    from narratrace.factchecks.readers import FactCheck, from_vclaim
    from narratrace.factchecks.store import forget_vectors, save_vectors, upsert_factchecks
    from narratrace.vectors import active_encoder, stored_name

    records = []  # what `factchecks import` makes of the same objects (an empty one keeps its place)
    for v in data.vclaims:
        record = from_vclaim(v, str(v["vclaim_id"]))
        records.append(record if isinstance(record, FactCheck)
                       else FactCheck(claim="(empty)", publisher="vclaims", key=f"vclaim:{v['vclaim_id']}"))
    upsert_factchecks(store, records)
    claims = embed_cached([str(v.get("vclaim") or "") for v in data.vclaims], cache, label="vclaims-vclaim")
    titles = embed_cached([str(v.get("title") or "") for v in data.vclaims], cache, label="vclaims-title")
    rowid = dict(store.db.execute("SELECT key, rowid FROM factchecks"))
    forget_vectors(store, stored_name(active_encoder()))  # records whose vectors these are
    save_vectors(store, [(rowid[r.key], claims[i], titles[i] if r.title else None) for i, r in enumerate(records)])


def _rank_all(data: ClaimRetrievalData, model: str | Path | None, cache: str | Path | None,
              k: int, reranker: Any = None) -> tuple[dict[str, list[Any]], Any]:
    from narratrace.factchecks.embedding import embed_cached
    from narratrace.factchecks.matching import Matcher, MatchOptions, clean_query, load_reranker

    store = _store_for(data, cache)
    matcher = Matcher(store, reranker=reranker or load_reranker(model), options=MatchOptions())
    qids = list(data.queries)
    vectors = embed_cached([clean_query(data.queries[q]) for q in qids], cache, label="queries")
    return {q: matcher.rank(data.queries[q], vectors[i], k=k) for i, q in enumerate(qids)}, matcher


def evaluate_matching(data: str | Path, *, model: str | None = None, split: str = "all", limit: int | None = None,
                      cache: str | Path | None = DEFAULT_CACHE, **options: Any) -> dict[str, Any]:
    """``{"n", "measures": {map_at_1, map_at_5, map_at_10, recall_at_10, mrr}, "model", "baselines"}``.

    ``baselines`` scores the two retrievers alone on the same queries (BM25 via FTS5, MiniLM cosine)."""
    found = read_claim_retrieval(data, split=split, limit=limit)
    if not found.queries:
        raise InputError(f"no queries with qrels in split {split!r} of {data}", path=str(data))
    ranked, matcher = _rank_all(found, model, cache, k=10_000)  # the whole fused pool, best first
    key_to_id = {k: k.removeprefix("vclaim:") for k in matcher.table.keys}
    runs, bm25_runs, dense_runs = {}, {}, {}
    for q, cands in ranked.items():
        runs[q] = [key_to_id[c.key] for c in cands[:20]]
        bm25_runs[q] = [key_to_id[c.key] for c in sorted(cands, key=lambda c: -c.features["bm25_rr"])
                        if c.features["bm25_rr"] > 0][:20]
        dense_runs[q] = [key_to_id[c.key] for c in sorted(cands, key=lambda c: -c.features["cos_max"])][:20]
    threshold = matcher.reranker.threshold
    calib = [(c.score, key_to_id[c.key] in found.qrels[q]) for q, cands in ranked.items() for c in cands[:5]]
    above = [rel for s, rel in calib if s >= threshold]
    scores = np.asarray([s for s, _ in calib], dtype=np.float64)
    truth = np.asarray([r for _, r in calib], dtype=np.float64)
    bins = np.minimum((scores * 10).astype(int), 9)
    ece = sum(abs(scores[bins == b].mean() - truth[bins == b].mean()) * (bins == b).sum()
              for b in range(10) if (bins == b).any()) / max(len(calib), 1)
    return {"n": len(found.queries), "model": matcher.reranker.name,
            "measures": _measures(runs, found.qrels),
            "at_threshold": {"threshold": threshold, "precision": round(sum(above) / len(above), 4) if above else 0.0,
                             "recall": round(sum(above) / sum(len(v) for v in found.qrels.values()), 4)},
            "calibration_top5": {"brier": round(float(((scores - truth) ** 2).mean()), 4) if len(calib) else 0.0,
                                 "ece": round(float(ece), 4)},
            "baselines": {"bm25": _measures(bm25_runs, found.qrels),
                                       "minilm": _measures(dense_runs, found.qrels)}}


def evaluate_matching_end_to_end(data: str | Path, *, model: str | None = None, split: str = "all",
                                 limit: int | None = None, cache: str | Path | None = DEFAULT_CACHE,
                                 **options: Any) -> dict[str, Any]:
    """The measures of :func:`evaluate_matching` on what a user gets: each query (a tweet) ingested as
    a document, the collection imported as fact-checks, ``analyze`` with the default stages, and
    the exported ``factcheck_matches`` ranked per document (a fact-check matched by several of its
    claims counts once, at its best score). A query whose export has no match scores 0. ``losses``
    says where queries were lost: no claim extracted, claims but no match, matched."""
    from narratrace.evaluation import analyze_texts

    found = read_claim_retrieval(data, split=split, limit=limit)
    if not found.queries:
        raise InputError(f"no queries with qrels in split {split!r} of {data}", path=str(data))
    config = {"factcheck_matches": {"model": model}} if model else {}
    export = analyze_texts(list(found.queries.items()), config=config, prepare=lambda s: _fill(s, found, cache))
    best: dict[str, dict[str, float]] = {}
    for m in export["factcheck_matches"]:
        key = str(m["factcheck"]["key"]).removeprefix("vclaim:")
        scores = best.setdefault(m["article"], {})
        scores[key] = max(scores.get(key, 0.0), float(m["score"]))
    runs = {q: sorted(best.get(q, {}), key=lambda k: -best[q][k]) for q in found.queries}
    with_claims = {c["article"] for c in export["claims"]}
    right = sum(1 for q in found.queries if runs[q][:1] and runs[q][0] in found.qrels[q])
    losses = {"queries": len(found.queries),
              "no_claim": sum(1 for q in found.queries if q not in with_claims),
              "claims_no_match": sum(1 for q in found.queries if q in with_claims and not runs[q]),
              "matched": sum(1 for q in found.queries if runs[q]),
              "matched_right_at_1": right}
    return {"n": len(found.queries), "model": model or "hybrid-v1", "measures": _measures(runs, found.qrels),
            "losses": losses}


def train_matching(data: str | Path, out: str | Path, *, split: str = "train", seed: int = 13,
                   cache: str | Path | None = DEFAULT_CACHE, c: float = 1.0, **options: Any) -> dict[str, Any]:
    """Fit the re-ranker (logistic regression over the fused candidates' features) on ``split``;
    write ``weights.json`` and the card, with measures on the other split."""
    from sklearn.linear_model import LogisticRegression

    from narratrace.factchecks.matching import FEATURES, Reranker, load_reranker
    from narratrace.cards import data_sha256, write_card

    found = read_claim_retrieval(data, split=split)
    if not found.queries:
        raise InputError(f"no training queries in split {split!r} of {data}", path=str(data))
    ranked, matcher = _rank_all(found, None, cache, k=10_000, reranker=load_reranker(None))
    xs, ys = [], []
    for q, cands in ranked.items():
        for cand in cands:
            xs.append([cand.features[f] for f in FEATURES])
            ys.append(cand.key.removeprefix("vclaim:") in found.qrels[q])
    y = np.asarray(ys, dtype=bool)
    if y.all() or not y.any():
        raise InputError("training data gives only one class of candidates; add queries or vclaims", path=str(data))
    model = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    model.fit(np.asarray(xs), y)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    reranker = Reranker(tuple(float(v) for v in model.coef_[0]), float(model.intercept_[0]), FEATURES, out.name)
    (out / "weights.json").write_text(json.dumps(reranker.to_dict(), indent=2) + "\n", encoding="utf-8")
    other = "heldout" if split == "train" else ("train" if split == "heldout" else None)
    licence = "research-only (CheckThat! lab data)" if "checkthat" in str(data).lower() else "see the data's README"
    trained_on = {"path": str(data), "sha256": data_sha256(data), "licence": licence, "split": split,
                  "n": len(found.queries), "candidates": len(ys), "positives": int(y.sum())}
    write_card(out, task="matching", name=out.name, kind="trained", data=trained_on, seed=seed)
    measures: dict[str, Any] = {}
    if other is not None:
        ev = evaluate_matching(data, model=str(out), split=other, cache=cache)
        measures = {"data": str(data), "split": other, "n": ev["n"], "values": ev["measures"],
                    "at_threshold": ev["at_threshold"]}
    return write_card(out, task="matching", name=out.name, kind="trained", data=trained_on,
                      measures=measures, seed=seed,
                      notes=f"Logistic regression (C={c}) over the fused candidates' features {list(FEATURES)}. "
                            f"Made with: narratrace train matching --data {data} --out {out} --split {split}")


TASK = Task(
    name="matching",
    summary="claim -> previously fact-checked claims: BM25 (FTS5) + MiniLM, fused and re-ranked (factcheck_matches)",
    data_format="CheckThat! 2022 Task 2A folder: *Queries*.tsv (tweet_id<TAB>text), *QRELs*.tsv "
                "(tweet_id 0 vclaim_id 1), vclaims.jsonl | vclaims/*.json | vclaims.tar.gz",
    evaluate=evaluate_matching,
    train=train_matching,
    end_to_end=evaluate_matching_end_to_end,
    published=(PublishedFigure("map_at_5", "MAP@5", 0.929,
                               "CheckThat! 2020 Task 2 best (Buster.ai) on the 2020 test set (not verified here); "
                               "CheckThat! 2022 BM25 baseline 0.8179 (CodaLab)"),
               PublishedFigure("map_at_1", "MAP@1", None, "no verified figure"),
               PublishedFigure("recall_at_10", "Recall@10", None, "no verified figure")),
    benchmark=Benchmark("CheckThat! 2022 Task 2A English, train queries (held-out 20 %)",
                        "checkthat-claim-retrieval-en", eval_split="heldout"),
    stage="factcheck_matches",
    default_model="hybrid-v1",
)
