#!/usr/bin/env python
"""Where narratrace's time goes, without cProfile's overhead: per-component wall times.

    .venv/bin/python bench/breakdown.py [--db bench/.cache/bench.db] [--corpus JSONL] [--sample 2000]

* ingest, per article (on ``--sample`` records of the JSONL): JSON parsing, each step of
  ``build_article`` and ``Store.write_articles`` into a scratch database.
* fingerprints, per article: reading articles back from SQLite, tokenising, sampling.
* republications on the whole database written by ``bench/republication.py`` (after a run):
  loading fingerprints, ``candidate_pairs``, then for every candidate pair loading both
  articles, ``align``, ``find_credits`` of both texts, the whole ``compare``, and
  serialising the pair as ``save_republications`` does.

It reads the database and never writes it; it calls narratrace's own functions.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", type=Path, default=HERE / ".cache" / "bench.db")
    ap.add_argument("--corpus", type=Path, default=None, help="JSONL (default: the newest in bench/.cache)")
    ap.add_argument("--sample", type=int, default=2000, help="articles for the per-article timings")
    ap.add_argument("--max-candidates", type=int, default=None, help="time only the first K candidate pairs")
    args = ap.parse_args()

    import numpy as np

    from narratrace.ingest import build_article
    from narratrace.ingest import heuristics
    from narratrace.ingest.readers import read_jsonl
    from narratrace.model import Article, content_hash
    from narratrace.republications import detect as rep
    from narratrace.republications.shingles import Tokens
    from narratrace.store import Store
    from narratrace.text import normalize_text, paragraph_spans, sentence_spans

    corpus = args.corpus or max((HERE / ".cache").glob("corpus-*.jsonl"), key=lambda p: p.stat().st_mtime)
    T: dict[str, float] = defaultdict(float)

    def tick(key: str, t0: float) -> float:
        t1 = time.perf_counter()
        T[key] += t1 - t0
        return t1

    # ---- ingest, per article -----------------------------------------------------------
    records = []
    t = time.perf_counter()
    for rec in read_jsonl(corpus):
        records.append(rec)
        if len(records) >= args.sample:
            break
    t = tick("ingest: read_jsonl (json + Record)", t)
    n = len(records)
    arts = []
    for r in records:
        t = time.perf_counter()
        text = normalize_text(r.text)
        t = tick("ingest: normalize_text", t)
        r2 = heuristics.infer_metadata(dataclasses.replace(r, text=text))
        t = tick("ingest: infer_metadata (analyze_header)", t)
        heuristics.find_credits(text)
        t = tick("  of which find_credits(full text) [re-run alone]", t)
        heuristics.detect_language(text)
        t = tick("ingest: detect_language (pycld2)", t)
        paras = paragraph_spans(text)
        t = tick("ingest: paragraph_spans", t)
        sentence_spans(text, paras)
        t = tick("ingest: sentence_spans", t)
        content_hash(text, title=r2.title, url=r2.url, outlet=r2.outlet, author=r2.author, published=r2.published)
        t = tick("ingest: content_hash", t)
        arts.append(build_article(r))
        t = tick("ingest: build_article (all of the above again, as ingest calls it)", t)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "scratch.db")
        t = time.perf_counter()
        for i in range(0, n, 500):
            store.write_articles(arts[i:i + 500])
        t = tick("ingest: Store.write_articles (rows + FTS5, 500/txn)", t)
        t = time.perf_counter()
        for a in arts:
            store.article_states([a.ref])
        t = tick("ingest: _claim_ref's article_states() SELECT per record", t)
        # ---- fingerprints, per article -------------------------------------------------
        ids = [a.id for a in arts]
        t = time.perf_counter()
        loaded = list(store.articles(ids))
        t = tick("fingerprints: Store.articles() read back (JSON spans -> Span objects)", t)
        fingerprint = rep.make_fingerprints(k=rep.FINGERPRINT_K, sample=rep.FINGERPRINT_SAMPLE)
        t = time.perf_counter()
        for a in loaded:
            fingerprint(a)
        t = tick("fingerprints: the stage function (tokenise + hash + sample), word cache cold", t)
        for a in loaded:
            fingerprint(a)
        t = tick("fingerprints: the stage function again, word cache warm", t)
        store.close()
    per_article = {k: v / n * 1e6 for k, v in T.items()}
    print(f"per-article timings on {n:,} articles of {corpus.name} (µs per article):")
    for k, v in per_article.items():
        print(f"  {v:9.1f}  {k}")

    # ---- republications on the whole database -------------------------------------------
    if not args.db.exists():
        print(f"no database at {args.db}; run bench/republication.py first", file=sys.stderr)
        return
    R: dict[str, float] = defaultdict(float)
    store = Store(args.db)
    t = time.perf_counter()
    index = store.article_index()
    position = {row["id"]: i for i, row in enumerate(index)}
    fps = [np.empty(0, dtype=np.uint64)] * len(index)
    for aid, data in store.stage_data("fingerprints"):
        if aid in position and data:
            fps[position[aid]] = np.frombuffer(data, dtype="<u8")
    t1 = time.perf_counter()
    R["article_index + load fingerprints"] = t1 - t
    cands = rep.candidate_pairs(fps, np.ones(len(index), dtype=bool))
    t2 = time.perf_counter()
    R["candidate_pairs"] = t2 - t1
    if args.max_candidates:
        cands = cands[:args.max_candidates]
    cache: dict[str, tuple[Article, Tokens]] = {}
    seq = {row["id"]: int(row["seq"]) for row in index}
    kept = 0
    for i, j, _ in cands:
        pair_arts = []
        for k in (i, j):
            aid = index[k]["id"]
            if aid not in cache:
                t = time.perf_counter()
                a = next(iter(store.articles([aid])))
                t = tick_r(R, "load article (1 SELECT + JSON spans)", t)
                cache[aid] = (a, Tokens(a.text))
                tick_r(R, "Tokens(text) of loaded article", t)
            pair_arts.append(cache[aid])
        (a, ta), (b, tb) = pair_arts
        t = time.perf_counter()
        rep.align(ta, tb)
        t = tick_r(R, "align (alone)", t)
        heuristics.find_credits(a.text)
        heuristics.find_credits(b.text)
        t = tick_r(R, "find_credits of both texts (alone, once each)", t)
        pair = rep.compare(a, b, ta, tb, a_seq=seq[a.id], b_seq=seq[b.id])
        t = tick_r(R, "compare (align + choose_original + additions + edits), whole", t)
        if pair is not None:
            kept += 1
            json.dumps(pair.to_dict())
            tick_r(R, "pair.to_dict + json.dumps (as save_republications)", t)
    store.close()
    print(f"\nrepublications stage on {args.db} ({len(index):,} articles, {len(cands):,} candidates, "
          f"{kept:,} pairs; articles loaded {len(cache):,}):")
    for k, v in R.items():
        per = f"{v / len(cands) * 1e3:8.3f} ms/candidate" if "candidate_pairs" not in k and "index" not in k else ""
        print(f"  {v:8.1f} s  {per}  {k}")


def tick_r(R: dict[str, float], key: str, t0: float) -> float:
    t1 = time.perf_counter()
    R[key] += t1 - t0
    return t1


if __name__ == "__main__":
    main()
