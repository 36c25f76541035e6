"""Throughput of narrative classification and story / discovery clustering (articles/s).

Classification: the example corpus (and the seeds when ../shared is present), embedded with MiniLM
and classified by the shipped zero-shot model; the embedding share is reported separately, since it
is the cost (the classifier itself is a matrix product). Clustering: ``cluster_stories`` on N
synthetic lead vectors (planted events of 2–6 articles), and HDBSCAN discovery on N synthetic claims.

    .venv/bin/python bench/narratives.py [--articles 5000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def classification() -> dict[str, float]:
    from narratrace.ingest import build_article, read_file
    from narratrace.model import Article
    from narratrace.narratives.classifier import document_units, embed, load_model

    articles = []
    for folder in (ROOT / "examples" / "corpus", ROOT.parent / "shared" / "corpora" / "seeds"):
        for file in sorted(folder.glob("*")) if folder.is_dir() else ():
            for item in read_file(file):
                art = build_article(item) if not hasattr(item, "reason") else item
                if isinstance(art, Article):
                    articles.append(art)
    model = load_model()
    model.predict(embed(["warm up"]), [])  # load MiniLM and the prototypes outside the timing
    units = [document_units(a.text, a.sentences) for a in articles]
    t0 = time.perf_counter()
    vectors = embed([a.text[u.start:u.end] for a, us in zip(articles, units) for u in us])
    t1 = time.perf_counter()
    pos = 0
    for us in units:
        model.predict(vectors[pos:pos + len(us)], us)
        pos += len(us)
    t2 = time.perf_counter()
    n, s = len(articles), sum(map(len, units))
    return {"articles": n, "sentences": s, "embed_s": round(t1 - t0, 2), "classify_s": round(t2 - t1, 3),
            "articles_per_s": round(n / (t2 - t0), 2), "sentences_per_s": round(s / (t1 - t0), 1),
            "embedding_share": round((t1 - t0) / (t2 - t0), 3)}


def clustering(n: int, seed: int = 1) -> dict[str, float]:
    from narratrace.narratives.discovery import TopicClaim, discover
    from narratrace.narratives.stories import StoryInput, cluster_stories

    rng = np.random.default_rng(seed)
    items, truth, k = [], [], 0
    while len(items) < n:
        centre = rng.normal(size=384)
        size = int(rng.integers(2, 7))
        day = int(rng.integers(1, 28))
        for _ in range(size):
            v = centre + rng.normal(scale=0.35, size=384)
            items.append(StoryInput(f"a{len(items)}", (v / np.linalg.norm(v)).astype(np.float32),
                                    f"2024-03-{day:02d}", text=f"event{k} words"))
            truth.append(k)
        k += 1
    items, truth = items[:n], truth[:n]
    t0 = time.perf_counter()
    stories = cluster_stories(items)
    t1 = time.perf_counter()
    found = {a: i for i, s in enumerate(stories) for a in s.articles}
    pairs = [(i, j) for i in range(min(n, 2000)) for j in range(i + 1, min(i + 7, n))]
    tp = sum(1 for i, j in pairs if truth[i] == truth[j] and found[items[i].article] == found[items[j].article])
    gold = sum(1 for i, j in pairs if truth[i] == truth[j])
    pred = sum(1 for i, j in pairs if found[items[i].article] == found[items[j].article])
    claims = [TopicClaim(it.article, f"c{i}", 0, 1, it.text, 0.0) for i, it in enumerate(items)]
    t2 = time.perf_counter()
    topics = discover(claims, np.stack([it.vector for it in items]), np.zeros((n, 0)), [])
    t3 = time.perf_counter()
    return {"articles": n, "stories": len(stories), "planted": k, "stories_s": round(t1 - t0, 2),
            "stories_articles_per_s": round(n / (t1 - t0), 1), "pair_precision": round(tp / max(pred, 1), 3),
            "pair_recall": round(tp / max(gold, 1), 3), "discovery_s": round(t3 - t2, 2),
            "discovery_claims_per_s": round(n / (t3 - t2), 1), "topics": len(topics)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = {"cpus": os.cpu_count(), "classification": classification(), "clustering": clustering(args.articles)}
    if args.json:
        print(json.dumps(result))
        return
    c, s = result["classification"], result["clustering"]
    print(f"classification: {c['articles']} articles, {c['sentences']} sentences: {c['articles_per_s']} articles/s "
          f"({c['sentences_per_s']} sentences/s embedded; embedding is {100 * c['embedding_share']:.1f}% of the time, "
          f"zero-shot scoring {c['classify_s']} s in all)")
    print(f"stories: {s['articles']} articles -> {s['stories']} stories ({s['planted']} planted) in {s['stories_s']} s: "
          f"{s['stories_articles_per_s']} articles/s; pairwise P {s['pair_precision']} R {s['pair_recall']}")
    print(f"discovery: HDBSCAN on {s['articles']} claims in {s['discovery_s']} s: {s['discovery_claims_per_s']} claims/s, "
          f"{s['topics']} topics")


if __name__ == "__main__":
    main()
