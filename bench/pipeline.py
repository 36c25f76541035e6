#!/usr/bin/env python
"""Whole-pipeline benchmark: seconds per default stage of ``analyze``, articles/s overall.

    .venv/bin/python bench/pipeline.py [--cores 2] [--json]

Corpus: ``examples/corpus`` plus ``../shared/corpora/seeds`` when present (20 articles, about
9,000 words), ingested into an in-memory store. The models are loaded first (untimed; their
load times are printed apart), then each stage of ``DEFAULT_STAGES`` runs on its own, in order,
and is timed, so the table says where ``analyze`` spends its time. Baseline in the same run: the
``claims`` stage, the first learned stage of the pipeline (the other benches compare with it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(min(args.cores, os.cpu_count() or 1))))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(args.cores)
    from narratrace.ingest import ingest
    from narratrace.parsing import load_english
    from narratrace.pipeline import DEFAULT_STAGES, Pipeline
    from narratrace.claims.groups import load_encoder
    from narratrace.store import Store

    loads = {}
    for name, load in (("spaCy", load_english), ("MiniLM", load_encoder)):
        started = time.perf_counter()
        load()
        loads[name] = round(time.perf_counter() - started, 2)
    paths = [str(ROOT / "examples" / "corpus")]
    seeds = ROOT.parent / "shared" / "corpora" / "seeds"
    if seeds.is_dir():
        paths.append(str(seeds))
    store = Store(":memory:")
    ingest(store, paths)
    articles = store.count_articles()
    words = sum(len(a.text.split()) for a in store.articles())
    rows = []
    for i, name in enumerate(DEFAULT_STAGES):
        started = time.perf_counter()
        Pipeline(DEFAULT_STAGES[: i + 1], workers=args.cores).run(store)  # earlier stages are done: no-ops
        rows.append({"stage": name, "seconds": round(time.perf_counter() - started, 2)})
    total = sum(r["seconds"] for r in rows)
    claims = next(r["seconds"] for r in rows if r["stage"] == "claims")
    out = {"articles": articles, "words": words, "cores": args.cores, "model_loads_s": loads, "stages": rows,
           "total_s": round(total, 2), "articles_per_s": round(articles / total, 3),
           "words_per_s": round(words / total), "total_vs_claims": round(total / claims, 2)}
    table = sys.stderr if args.json else sys.stdout
    print(f"{articles} articles, {words} words, {args.cores} cores; model loads {loads} (untimed)", file=table)
    for r in rows:
        print(f"  {r['stage']:22s} {r['seconds']:7.2f} s  ({r['seconds'] / claims:5.2f}× claims)", file=table)
    print(f"  {'all stages':22s} {total:7.2f} s  = {out['articles_per_s']} articles/s, {out['words_per_s']} words/s",
          file=table)
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
