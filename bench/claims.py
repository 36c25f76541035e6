#!/usr/bin/env python
"""Claims benchmark: articles/s of claims, claim_vectors and claim_groups on 2 cores.

    .venv/bin/python bench/claims.py [--articles N] [--cores 2] [--json] [--skip-synthetic]

Corpora: the example corpus (``examples/corpus``), the seed articles
(``../shared/corpora/seeds``, skipped if absent) and N synthetic articles (default 200,
32 sentences each, made by ``tests/textgen.py``). Each corpus is ingested into a fresh
store, republication detection runs (untimed), then each stage runs on its own and is timed:

* ``claims`` (the article stage of issue 3) if it is registered; otherwise the reason is
  printed and every sentence of six words or more stands in as a claim (no source, no
  entities), so that the next two stages have realistic numbers of claims to work on;
* ``claim_vectors`` (all-MiniLM-L6-v2 on CPU; the model load is timed apart, once);
* ``claim_groups`` (regrouping over every stored vector).

The process is pinned to ``--cores`` CPUs (``sched_setaffinity``) and torch to as many
threads. Prints a table (and one JSON object on stdout with ``--json``; the table then
goes to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))  # textgen

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from narratrace import pipeline  # noqa: E402
from narratrace.ingest import Record, build_article, ingest  # noqa: E402
from narratrace.model import Annotation, Article  # noqa: E402
from narratrace.store import Store  # noqa: E402
from narratrace.claims.store import claim_groups

_DIGITS = re.compile(r"\d[\d,.]*")


def pin(cores: int) -> list[int]:
    cpus = sorted(os.sched_getaffinity(0))[:cores] if hasattr(os, "sched_getaffinity") else []
    if cpus:
        os.sched_setaffinity(0, cpus)
    import torch

    torch.set_num_threads(max(1, cores))
    return cpus


def synthetic(n: int) -> list[Article]:
    import textgen

    out = []
    for i in range(n):
        art = build_article(Record(ref=f"syn-{i:05d}", text=textgen.article(1000 + i), source=f"syn#{i}",
                                   kind="jsonl", title=f"Synthetic {i}", outlet=f"Outlet {i % 20}",
                                   published=f"2024-01-{1 + i % 28:02d}"))
        assert isinstance(art, Article)
        out.append(art)
    return out


def stand_in_claims(store: Store) -> int:
    """Every sentence of six words or more as a claim without attribution (claims stage absent)."""
    rows = []
    total = 0
    for art in store.articles():
        anns = []
        for s in art.sentences:
            text = art.text[s.start:s.end]
            if len(text.split()) >= 6:
                anns.append(Annotation("claim", s.start, s.end, None, {
                    "id": f"c-{art.id[:10]}-{s.start}", "score": 0.5, "source": None, "source_kind": "none",
                    "quote": "none", "hedges": [], "entities": [], "numbers": _DIGITS.findall(text), "dates": []}))
        total += len(anns)
        rows.append((art.id, art.content_hash, None, anns))
    store.save_stage_results("claims", "stand-in", rows)
    return total


def count_claims(store: Store) -> int:
    return sum(1 for art in store.articles() for a in store.annotations(art.id, stage="claims") if a.kind == "claim")


def run_corpus(name: str, store: Store, has_claims: bool) -> dict[str, Any]:
    pipeline.Pipeline(("fingerprints", "republications"), workers=1).run(store)
    n = store.count_articles()
    row: dict[str, Any] = {"corpus": name, "articles": n}
    if has_claims:
        t = time.perf_counter()
        pipeline.Pipeline(("claims",), workers=1).run(store)
        row["claims_s"] = time.perf_counter() - t
        row["claims"] = count_claims(store)
        names: tuple[str, ...] = ("claims",)
    else:
        row["claims_s"] = None
        row["claims"] = stand_in_claims(store)
        names = ()
    for stage in ("claim_vectors", "claim_groups"):
        names = names + (stage,)
        t = time.perf_counter()
        pipeline.Pipeline(names, workers=1).run(store)
        row[f"{stage}_s"] = time.perf_counter() - t
    row["groups"] = len(claim_groups(store))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=200, help="synthetic articles (default 200)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip-synthetic", action="store_true")
    args = ap.parse_args()
    out = sys.stderr if args.json else sys.stdout
    cpus = pin(args.cores)
    stages = pipeline.registered_stages()
    has_claims = "claims" in stages
    if not has_claims:
        print("claims: not timed: no stage 'claims' is registered (src/narratrace/stages/claims.py is not there "
              "yet); every sentence of 6+ words stands in as a claim without source or entities", file=out)
        # the stand-in annotations play the claims stage's part for Pipeline.check
        pipeline.ARTICLE_FIELDS = pipeline.ARTICLE_FIELDS + ("article.claims", "article.entities")
    from narratrace.claims.groups import load_encoder

    t = time.perf_counter()
    load_encoder()
    load_s = time.perf_counter() - t
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        corpora: list[tuple[str, Any]] = [("examples", ROOT / "examples" / "corpus")]
        seeds = ROOT.parent / "shared" / "corpora" / "seeds"
        if seeds.is_dir():
            corpora.append(("seeds", seeds))
        else:
            print(f"seeds: skipped ({seeds} not present)", file=out)
        if not args.skip_synthetic:
            corpora.append((f"synthetic-{args.articles}", None))
        for name, path in corpora:
            store = Store(Path(tmp) / f"{name}.db")
            if path is None:
                store.write_articles(synthetic(args.articles))
            else:
                ingest(store, [path])
            rows.append(run_corpus(name, store, has_claims))
            store.close()
    print(f"\nclaims benchmark: {len(cpus) or '?'} cores {cpus}, torch threads {args.cores}; model load "
          f"{load_s:.1f} s (once per process, not in the figures below)", file=out)
    head = (f"{'corpus':<16} {'articles':>8} {'claims':>7} {'claims art/s':>12} {'vectors art/s':>13} "
            f"{'claims/s':>9} {'groups art/s':>12} {'groups':>6}")
    print(head, file=out)
    print("-" * len(head), file=out)
    for r in rows:
        claims_rate = f"{r['articles'] / r['claims_s']:.1f}" if r["claims_s"] else "n/a"
        print(f"{r['corpus']:<16} {r['articles']:>8} {r['claims']:>7} {claims_rate:>12} "
              f"{r['articles'] / r['claim_vectors_s']:>13.1f} {r['claims'] / r['claim_vectors_s']:>9.1f} "
              f"{r['articles'] / r['claim_groups_s']:>12.1f} {r['groups']:>6}", file=out)
    if args.json:
        print(json.dumps({"cores": args.cores, "model_load_s": round(load_s, 2), "claims_stage": has_claims,
                          "rows": rows}))


if __name__ == "__main__":
    main()
