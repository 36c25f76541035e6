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
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.evaluation import Benchmark, PublishedFigure, Task, in_split
from narratrace.errors import InputError

__all__ = ["ClaimRetrievalData", "agreement_bands", "average_precision", "choose_agreement", "choose_lead",
           "evaluate_matching",
           "evaluate_matching_end_to_end",
           "read_claim_retrieval", "train_matching"]

DEFAULT_CACHE = "bench/.cache/matching"


@dataclass(frozen=True, slots=True)
class _Scored:
    key: str
    score: float


@dataclass(frozen=True, slots=True)
class ClaimRetrievalData:
    queries: dict[str, str]                 # tweet_id -> text
    qrels: dict[str, set[str]]              # tweet_id -> relevant vclaim ids
    vclaims: list[dict[str, Any]]           # sorted by vclaim_id
    # Queries judged to repeat no verified claim: every qrels row of theirs has relevance 0. They
    # have no MAP; end to end, every match listed for them is wrong (the tiers' precision).
    negatives: dict[str, str] = field(default_factory=dict)


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
    """Queries of ``split`` (with at least one relevant vclaim), their qrels, the whole collection, and the
    negatives (queries whose qrels rows all say 0: judged to repeat no verified claim)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder in the CheckThat! claim-retrieval format", path=str(folder))
    queries_file = _one(folder, ["*Queries*.tsv", "*queries*.tsv"], "queries file")
    qrels_file = _one(folder, ["*QRELs*.tsv", "*qrels*.tsv", "*QRELS*.tsv"], "qrels file")
    qrels: dict[str, set[str]] = {}
    judged: set[str] = set()
    with open(qrels_file, encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if not row:
                continue
            if len(row) < 4:
                raise InputError(f"{qrels_file}:{n}: expected 4 tab-separated columns", path=str(qrels_file))
            judged.add(row[0])
            if row[3].strip() not in ("0", ""):
                qrels.setdefault(row[0], set()).add(row[2])
    queries: dict[str, str] = {}
    negatives: dict[str, str] = {}
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
            elif qid in judged and in_split(qid, split):
                negatives[qid] = text
    if limit is not None:
        queries = dict(list(queries.items())[:limit])
        negatives = dict(list(negatives.items())[:limit])
    vclaims = sorted(_vclaims(folder), key=lambda v: str(v.get("vclaim_id")))
    ids = {str(v.get("vclaim_id")) for v in vclaims}
    missing = {c for q in queries for c in qrels[q]} - ids
    if missing:
        raise InputError(f"qrels name {len(missing)} vclaims that are not in the collection, "
                         f"e.g. {sorted(missing)[0]}", path=str(folder))
    return ClaimRetrievalData(queries, {q: qrels[q] for q in queries}, vclaims, negatives)


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
    from narratrace.factchecks.matching import Matcher, MatchOptions, clean_query, load_reranker, post_date

    store = _store_for(data, cache)
    matcher = Matcher(store, reranker=reranker or load_reranker(model), options=MatchOptions())
    qids = list(data.queries)
    vectors = embed_cached([clean_query(data.queries[q]) for q in qids], cache, label="queries")
    # a query is ranked as the stage ranks a post: with its own date, when its signature gives one
    return {q: matcher.rank(data.queries[q], vectors[i], k=k, published=post_date(data.queries[q]))
            for i, q in enumerate(qids)}, matcher


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
    says where queries were lost: no claim extracted (and of those, not matched as a whole text
    either), claims but no match, matched.

    The negatives (queries judged to repeat no verified claim) are ingested too. ``tiers`` counts,
    per tier, the (document, fact-check) pairs listed (each at its best tier) and how many are
    right; their precision is in the measures as ``match_precision`` and ``possible_precision``."""
    from narratrace.evaluation import analyze_texts

    found = read_claim_retrieval(data, split=split, limit=limit)
    if not found.queries:
        raise InputError(f"no queries with qrels in split {split!r} of {data}", path=str(data))
    config = {"factcheck_matches": {"model": model}} if model else {}
    export = analyze_texts([*found.queries.items(), *found.negatives.items()], config=config,
                           prepare=lambda s: _fill(s, found, cache))
    best: dict[str, dict[str, float]] = {}
    tier_of: dict[tuple[str, str], str] = {}
    for m in export["factcheck_matches"]:
        key = str(m["factcheck"]["key"]).removeprefix("vclaim:")
        scores = best.setdefault(m["article"], {})
        scores[key] = max(scores.get(key, 0.0), float(m["score"]))
        pair = (m["article"], key)
        if tier_of.get(pair) != "match":
            tier_of[pair] = m.get("tier", "match")
    runs = {q: sorted(best.get(q, {}), key=lambda k: -best[q][k]) for q in found.queries}
    with_claims = {c["article"] for c in export["claims"]}
    right = sum(1 for q in found.queries if runs[q][:1] and runs[q][0] in found.qrels[q])
    losses = {"queries": len(found.queries),
              "no_claim": sum(1 for q in found.queries if q not in with_claims),
              "no_claim_no_match": sum(1 for q in found.queries if q not in with_claims and not runs[q]),
              "claims_no_match": sum(1 for q in found.queries if q in with_claims and not runs[q]),
              "matched": sum(1 for q in found.queries if runs[q]),
              "matched_right_at_1": right}
    tiers = {t: {"listed": 0, "right": 0} for t in ("match", "possible")}
    for (doc, key), t in tier_of.items():
        tiers[t]["listed"] += 1
        tiers[t]["right"] += key in found.qrels.get(doc, ())
    if found.negatives:
        losses["negatives"] = len(found.negatives)
        losses["negatives_with_match"] = sum(1 for q in found.negatives if any(tier_of.get((q, k)) == "match"
                                                                              for k in best.get(q, {})))
    measures: dict[str, Any] = _measures(runs, found.qrels)
    for t, counts in tiers.items():
        if counts["listed"]:
            measures[f"{t}_precision"] = round(counts["right"] / counts["listed"], 4)
    return {"n": len(found.queries), "model": model or "hybrid-v1", "measures": measures, "losses": losses,
            "tiers": tiers}


#: The grid :func:`choose_lead` searches, and what it asks of the band it adds.
LEAD_GRID = (0.02, 0.03, 0.05, 0.07, 0.1, 0.15)
LEAD_RATIOS = (1.0, 1.5, 2.0, 3.0, 4.0)
LEAD_PRECISION = 0.7
LEAD_MIN_QUERIES = 20


def lead_bands(ranked: Mapping[str, Sequence[Any]], qrels: Mapping[str, set[str]], *, possible: float = 0.2
               ) -> list[dict[str, Any]]:
    """For each ``(lead, ratio)`` of the grid: the queries whose best candidate (``ranked[q]``: candidates
    with ``.key`` and ``.score``, best first) scores in ``[lead, possible)`` and at least ``ratio`` times
    the second, and how many of those best candidates are right."""
    out = []
    for lead in LEAD_GRID:
        for ratio in LEAD_RATIOS:
            n = right = 0
            for q, cands in ranked.items():
                if not cands:
                    continue
                best, second = cands[0].score, (cands[1].score if len(cands) > 1 else 0.0)
                if lead <= best < possible and best >= ratio * second:
                    n += 1
                    right += cands[0].key.removeprefix("vclaim:") in qrels[q]
            out.append({"lead": lead, "ratio": ratio, "n": n, "right": right,
                        "precision": round(right / n, 4) if n else 0.0})
    return out


def choose_lead(ranked: Mapping[str, Sequence[Any]], qrels: Mapping[str, set[str]], *, possible: float = 0.2,
                target: float = LEAD_PRECISION, min_queries: int = LEAD_MIN_QUERIES) -> dict[str, Any] | None:
    """The lead rule of a short text (see ``factcheck_matches``) set on data: of the grid's bands whose
    precision reaches ``target`` over at least ``min_queries`` queries, the one that lists the most
    (then the more precise); None when no band qualifies. ``target`` 0.7 is the possible tier's
    precision on the CheckThat! held-out queries before the rule existed, so the rule adds no band
    less precise than the tier it joins."""
    fit = [b for b in lead_bands(ranked, qrels, possible=possible)
           if b["n"] >= min_queries and b["precision"] >= target]
    return max(fit, key=lambda b: (b["n"], b["precision"]), default=None)


#: The ratios :func:`choose_agreement` tries, and what it asks of the band it adds: the precision of the
#: possible tier it joins, measured end to end on the CheckThat! 2022 2A English train split with the
#: lead rule and before the agreement rule (226 of 362 right, 0.62), over at least 20 queries.
AGREE_RATIOS = (1.0, 1.1, 1.2, 1.3, 1.5, 2.0, 3.0)
AGREE_PRECISION = 0.62
AGREE_MIN_QUERIES = 20


def agreement_bands(ranked: Mapping[str, Sequence[Any]], nearest: Mapping[str, Collection[int]],
                    qrels: Mapping[str, set[str]], *, possible: float = 0.2, lead: float | None = None,
                    lead_ratio: float = 2.0) -> list[dict[str, Any]]:
    """For each ratio of :data:`AGREE_RATIOS`: the queries whose best candidate (``ranked[q]``: candidates
    with ``.rowid``, ``.key`` and ``.score``, best first) scores under ``possible``, is not listed by the
    lead rule already, and agrees with a sentence (``nearest[q]``: the nearest fact-check of each of its
    sentences; see ``factcheck_matches``) at that ratio; and how many of those best candidates are right."""
    from narratrace.factchecks.stage import agrees, is_lead

    out = []
    for ratio in AGREE_RATIOS:
        n = right = 0
        for q, cands in ranked.items():
            if not cands or cands[0].score >= possible or is_lead(cands, lead, lead_ratio):
                continue
            if agrees(cands, nearest.get(q, ()), ratio):
                n += 1
                right += cands[0].key.removeprefix("vclaim:") in qrels[q]
        out.append({"ratio": ratio, "n": n, "right": right, "precision": round(right / n, 4) if n else 0.0})
    return out


def choose_agreement(ranked: Mapping[str, Sequence[Any]], nearest: Mapping[str, Collection[int]],
                     qrels: Mapping[str, set[str]], *, possible: float = 0.2, lead: float | None = None,
                     lead_ratio: float = 2.0, target: float = AGREE_PRECISION,
                     min_queries: int = AGREE_MIN_QUERIES) -> dict[str, Any] | None:
    """The sentence-agreement ratio of a short text (see ``factcheck_matches``) set on data: of the bands of
    :func:`agreement_bands` whose precision reaches ``target`` over at least ``min_queries`` queries, the
    one that lists the most (then the more precise); None when no band qualifies."""
    fit = [b for b in agreement_bands(ranked, nearest, qrels, possible=possible, lead=lead, lead_ratio=lead_ratio)
           if b["n"] >= min_queries and b["precision"] >= target]
    return max(fit, key=lambda b: (b["n"], b["precision"]), default=None)


def train_matching(data: str | Path, out: str | Path, *, split: str = "train", seed: int = 13,
                   cache: str | Path | None = DEFAULT_CACHE, c: float = 1.0, fine_tune: bool = False,
                   epochs: int | None = None, max_minutes: float | None = None,
                   on_epoch: Any = None, **options: Any) -> dict[str, Any]:
    """Fit the re-ranker (logistic regression over the fused candidates' features) on ``split``;
    write ``weights.json`` and the card, with measures on the other split. ``fine_tune``: instead,
    fine-tune MiniLM as a bi-encoder that re-scores hybrid-v1's best candidates
    (:func:`narratrace.factchecks.finetuned.train_fine_tuned`)."""
    if fine_tune:
        return _fine_tune_matching(Path(data), Path(out), split=split, seed=seed, cache=cache, epochs=epochs,
                                   max_minutes=max_minutes, on_epoch=on_epoch)
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
    top2 = {q: sorted(((cand.key, float(s)) for cand, s in
                       zip(cands, reranker.score(np.asarray([[c.features[f] for f in FEATURES] for c in cands])))),
                      key=lambda kv: -kv[1])[:2] if cands else [] for q, cands in ranked.items()}
    lead = choose_lead({q: [_Scored(k, s) for k, s in v] for q, v in top2.items()}, found.qrels)
    if lead is not None:
        reranker = Reranker(reranker.coef, reranker.intercept, FEATURES, out.name, lead=lead["lead"],
                            lead_ratio=lead["ratio"])
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
                            + (f"Lead rule of a short text set on the training queries: best candidate at "
                               f"{lead['lead']} or more and {lead['ratio']} times the second ({lead['n']} queries, "
                               f"precision {lead['precision']}). " if lead else "No lead rule (no band reached "
                               f"precision {LEAD_PRECISION} on the training queries). ")
                            + f"Made with: narratrace train matching --data {data} --out {out} --split {split}")


def _fine_tune_matching(data: Path, out: Path, *, split: str, seed: int, cache: str | Path | None,
                        epochs: int | None, max_minutes: float | None, on_epoch: Any = None) -> dict[str, Any]:
    """MiniLM fine-tuned as a bi-encoder that re-scores hybrid-v1's best candidates
    (:mod:`narratrace.factchecks.finetuned`), a tenth of the queries (by a hash of their ids) kept for
    picking the epoch and fitting the combination; the card records data, base model, options, history,
    training minutes and the measures on the other split with their speed."""
    import shutil
    import time
    from dataclasses import asdict

    from narratrace.cards import data_sha256, resolve_model, write_card
    from narratrace.factchecks.finetuned import PairOptions, Ranked, fit_pairs
    from narratrace.factchecks.matching import DEFAULT_MODEL, clean_query, load_reranker
    from narratrace.finetune import base_version, dev_split

    options = PairOptions(seed=seed, max_minutes=max_minutes, **({"epochs": epochs} if epochs else {}))
    found = read_claim_retrieval(data, split=split)
    if not found.queries:
        raise InputError(f"no training queries in split {split!r} of {data}", path=str(data))
    ranked, matcher = _rank_all(found, None, cache, k=max(options.rescore_top, options.hard_negatives + 5),
                                reranker=load_reranker(None))
    key_rowid = {k: int(r) for k, r in zip(matcher.table.keys, matcher.table.rowids.tolist())}
    texts = matcher._claim_texts(list(key_rowid.values()))  # what the matcher re-scores: claim and title
    qids = list(found.queries)
    parts = dev_split(qids)
    train_q, dev_q = [qids[i] for i in parts.train], [qids[i] for i in parts.dev]
    started = time.monotonic()
    rescorer, history, pairs = fit_pairs(
        {q: clean_query(found.queries[q]) for q in qids}, {k: texts[r] for k, r in key_rowid.items()},
        {q: {f"vclaim:{v}" for v in found.qrels[q]} for q in qids},
        {q: Ranked(tuple(c.key for c in ranked[q]), tuple(c.score for c in ranked[q])) for q in qids},
        train_q, dev_q, options=options, on_epoch=on_epoch)
    minutes = round((time.monotonic() - started) / 60, 2)
    rescorer.save(out, history=history)
    shutil.copyfile(resolve_model("matching", DEFAULT_MODEL) / "weights.json", out / "weights.json")  # the base score
    licence = "research-only (CheckThat! lab data)" if "checkthat" in str(data).lower() else "see the data's README"
    combine = rescorer.combination()
    card: dict[str, Any] = {
        "task": "matching", "name": out.name, "kind": "fine-tuned", "seed": seed,
        "data": {"path": str(data), "sha256": data_sha256(data), "licence": licence, "split": split,
                 "n": len(qids), "train": len(train_q), "dev": len(dev_q), "pairs": pairs},
        "notes": f"{base_version()} fine-tuned as a bi-encoder (multiple-negatives ranking loss, in-batch and "
                 f"hybrid-v1 hard negatives) on {pairs} (query, fact-check) pairs, {len(history) - 1} epoch(s) in "
                 f"{minutes} min; re-scores hybrid-v1's best {options.rescore_top} candidates: sigmoid("
                 f"{combine['a']:.3f}*logit(hybrid) + {combine['b']:.3f}*cosine + {combine['intercept']:.3f}), fitted "
                 f"on the {len(dev_q)} development queries. Made with: narratrace train matching --data {data} "
                 f"--out {out} --split {split} --fine-tune" + (f" --max-minutes {max_minutes:g}" if max_minutes else ""),
        "extra": {"base": base_version(), "options": asdict(options), "history": history, "combine": combine,
                  "training_minutes": minutes}}
    write_card(out, **card)  # resolvable, so it can be scored on what it did not see
    measures: dict[str, Any] = {}
    other = "heldout" if split == "train" else ("train" if split == "heldout" else None)
    if other is not None:
        begun = time.monotonic()
        ev = evaluate_matching(data, model=str(out), split=other, cache=cache)
        seconds = time.monotonic() - begun
        measures = {"data": str(data), "split": other, "n": ev["n"], "values": ev["measures"],
                    "at_threshold": ev["at_threshold"],
                    "queries_per_second": round(ev["n"] / seconds, 1) if seconds > 0 else None}
    return write_card(out, **card, measures=measures)


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
    fine_tunes=True,
)
