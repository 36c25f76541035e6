"""Fact-check matching latency per claim with 100,000 fact-checks stored (p50 / p95).

    .venv/bin/python bench/matching.py [--factchecks 100000] [--queries 200]

The fact-checks are synthetic: claim texts generated from templates with two invented proper names
each out of 20,000 (so FTS5 sees both very common and rare terms, as in real claims), and random
unit vectors in place of MiniLM embeddings (embedding 100,000 texts takes about 13 minutes on 2
cores; the matching cost does not depend on what the vectors hold).
The queries are real MiniLM embeddings of generated claims. Reported per claim:

* ``stage``: what the ``factcheck_matches`` stage pays (the claim's vector is already stored):
  BM25 top 50 from FTS5 + cosine against 2 x 100,000 vectors + features + re-ranking;
* ``cli``: what ``narratrace match "text"`` pays per claim once loaded (embedding the text too);
* baselines in the same run: BM25 over all the claim's words (no pruning of common words) and the
  numpy cosine scan alone.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from narratrace.factchecks.embedding import embed  # noqa: E402
from narratrace.factchecks.matching import Matcher, MatchOptions, content_words, load_reranker  # noqa: E402
from narratrace.factchecks.readers import FactCheck  # noqa: E402
from narratrace.store import Store  # noqa: E402
from narratrace.factchecks.store import bm25_search, load_table, save_vectors, upsert_factchecks  # noqa: E402

SUBJECTS = ["The government", "The health ministry", "A viral video", "The mayor of Arlen", "Customs officers",
            "The central bank", "A famous singer", "The opposition leader", "Scientists", "The army", "Farmers",
            "The football federation", "A popular blog", "The energy company", "Teachers", "The prime minister",
            "Police in Kessport", "An online post", "The European agency", "A local newspaper"]
VERBS = ["banned", "approved", "secretly funded", "cancelled", "doubled", "hid", "announced", "closed", "invented",
         "sold", "bought", "poisoned", "tested", "withdrew", "imported", "smuggled", "confirmed", "denied"]
OBJECTS = ["vaccines", "5G towers", "the minimum wage", "bread prices", "drone parts", "school holidays",
           "fuel subsidies", "the election results", "migrant boats", "tap water", "the bridge toll", "bank notes",
           "solar panels", "the national park", "hospital beds", "train tickets", "chemical fertiliser",
           "microchips", "wind farms", "the pension age"]
PLACES = ["in Veloria", "in Marrenland", "across the coast", "in the capital", "at the port", "in 40 schools",
          "in the north", "near the border", "in every city", "on the islands"]
WHEN = ["last week", "in 2019", "this spring", "overnight", "since January", "for ten years", "in secret", ""]


def _names(rng: random.Random, n: int = 20_000) -> list[str]:
    """Invented proper names (people, towns, products), so claims do not share one small vocabulary."""
    syllables = ["ka", "lo", "ve", "ri", "an", "tor", "mel", "sun", "dra", "pe", "ix", "qua", "ben", "os", "ul", "zer"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize() for _ in range(n)]


_NAMES = _names(random.Random(3))


def synthetic(n: int, rng: random.Random) -> list[FactCheck]:
    out = []
    for i in range(n):
        text = (f"{rng.choice(SUBJECTS)} of {rng.choice(_NAMES)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                f"{rng.choice(PLACES)} with {rng.choice(_NAMES)} {rng.choice(WHEN)}")
        text = f"{text.strip()} ({rng.randrange(1, 10_000)} cases reported)."
        out.append(FactCheck(claim=text, url=f"https://synthetic.example/check/{i}", publisher="Synthetic Desk",
                             rating=rng.choice(["False", "Misleading", "True"]), verdict="false",
                             published=f"20{rng.randrange(15, 25)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 10)}",
                             title=None if i % 3 else f"Did {text[:60]}?"))
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--factchecks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")
        records = synthetic(args.factchecks, rng)
        t = time.perf_counter()
        for n in range(0, len(records), 5000):
            upsert_factchecks(store, records[n:n + 5000])
        t_import = time.perf_counter() - t
        vecs = np.random.default_rng(7).standard_normal((len(records), 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        rowids = [r for (r,) in store.db.execute("SELECT rowid FROM factchecks ORDER BY rowid")]
        save_vectors(store, [(r, vecs[i], vecs[-i] if i % 3 == 0 else None) for i, r in enumerate(rowids)])
        t = time.perf_counter()
        table = load_table(store)
        t_load = time.perf_counter() - t
        matcher = Matcher(store, reranker=load_reranker(None), options=MatchOptions(), table=table)
        queries = [r.claim.replace("(", "").replace(")", "") for r in synthetic(args.queries, random.Random(11))]
        t = time.perf_counter()
        qvecs = embed(queries)
        embed_each = (time.perf_counter() - t) / len(queries)
        t = time.perf_counter()
        matcher.rank(queries[0], qvecs[0])  # first call also counts the words' document frequencies
        t_first = time.perf_counter() - t
        for q, v in zip(queries[1:5], qvecs[1:5]):  # warm-up
            matcher.rank(q, v)
        stage, bm25, scan = [], [], []
        for q, v in zip(queries, qvecs):
            t0 = time.perf_counter()
            matcher.rank(q, v)
            t1 = time.perf_counter()
            bm25_search(store, content_words(q), limit=50)
            t2 = time.perf_counter()
            sims = np.maximum(table.vectors @ v, table.title_vectors @ v)
            np.argpartition(-sims, 49)[:50]
            t3 = time.perf_counter()
            stage.append((t1 - t0) * 1000)
            bm25.append((t2 - t1) * 1000)
            scan.append((t3 - t2) * 1000)
        cli = []
        for q in queries[:50]:
            t0 = time.perf_counter()
            matcher.rank(q)
            cli.append((time.perf_counter() - t0) * 1000)
        store.close()
    print(f"fact-checks stored: {args.factchecks:,} (import {t_import:.1f} s without embedding; "
          f"vectors loaded in {t_load:.2f} s)")
    print(f"queries: {len(queries)} (MiniLM embedding {embed_each * 1000:.1f} ms per claim in a batch; "
          f"first match {t_first:.2f} s, counting document frequencies)")
    print(f"{'per claim':34s} {'p50 ms':>8s} {'p95 ms':>8s} {'mean ms':>8s}")
    for name, values in (("stage (stored claim vector)", stage), ("cli match (embeds the text)", cli),
                         ("baseline: BM25 all words, top 50", bm25), ("baseline: numpy cosine scan top 50", scan)):
        print(f"{name:34s} {pct(values, 50):8.1f} {pct(values, 95):8.1f} {statistics.mean(values):8.1f}")
    print(f"stage throughput: {1000 / statistics.mean(stage):.0f} claims/s on this machine")


if __name__ == "__main__":
    main()
