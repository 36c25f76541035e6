#!/usr/bin/env python
"""Techniques benchmark: articles/s of the ``techniques`` stage on 2 cores.

    .venv/bin/python bench/techniques.py [--model NAME|DIR ...] [--cores 2] [--repeat 3] [--json]

Corpora: the example corpus (``examples/corpus``), the seed articles (``../shared/corpora/seeds``,
skipped if absent) and, with ``--ptc DIR``, the articles of a PTC folder (research data: only
timed, nothing is kept). Each model given with ``--model`` (default: the shipped ``rules-v1``;
add a trained model directory to compare) runs the stage's function on every article of each
corpus ``--repeat`` times after one warm-up pass (model loading is timed apart). Baseline, in
the same run: the ``claims`` stage (spaCy parse + rules) on the same articles, the per-article
stage that precedes ``techniques`` in the default pipeline.

The process is pinned to ``--cores`` CPUs. Prints a table (and one JSON object with ``--json``;
the table then goes to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

from narratrace.ingest import build_article, read_file  # noqa: E402
from narratrace.model import Article  # noqa: E402
from narratrace.pipeline import registered_stages  # noqa: E402


def pin(cores: int) -> list[int]:
    cpus = sorted(os.sched_getaffinity(0))[:cores] if hasattr(os, "sched_getaffinity") else []
    if cpus:
        os.sched_setaffinity(0, cpus)
    return cpus


def load_dir(path: Path) -> list[Article]:
    out = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        for item in read_file(file):
            art = build_article(item) if not hasattr(item, "reason") else item
            if isinstance(art, Article):
                out.append(art)
    return out


def load_ptc(path: Path) -> list[Article]:
    from narratrace.model import article_id_for
    from narratrace.techniques.ptc import read_ptc

    return [Article(id=article_id_for(a.id), ref=a.id, text=a.text, language="en") for a in read_ptc(path)]


def time_stage(name: str, config: dict[str, Any], articles: list[Article], repeat: int) -> dict[str, Any]:
    info = registered_stages()[name]
    started = time.perf_counter()
    fn = info.factory(**{**info.default_config, **config})
    load_s = time.perf_counter() - started
    for art in articles:  # warm-up (caches, lazy loads)
        fn(art)
    times = []
    spans = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        spans = sum(len(fn(art).annotations) for art in articles)
        times.append(time.perf_counter() - t0)
    best = min(times)
    words = sum(len(a.text.split()) for a in articles)
    return {"stage": name, "config": config, "articles": len(articles), "words": words, "load_s": round(load_s, 2),
            "seconds": round(best, 3), "articles_per_s": round(len(articles) / best, 1) if best else None,
            "words_per_s": round(words / best) if best else None, "annotations": spans}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", default=None, help="techniques model NAME or DIR (repeatable)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ptc", type=Path, default=None, help="also time the articles of this PTC folder")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cpus = pin(args.cores)
    corpora = {"examples": load_dir(ROOT / "examples" / "corpus")}
    seeds = ROOT.parent / "shared" / "corpora" / "seeds"
    if seeds.is_dir():
        corpora["seeds"] = load_dir(seeds)
    if args.ptc:
        corpora["ptc"] = load_ptc(args.ptc)
    out: dict[str, Any] = {"cores": args.cores, "cpus": cpus, "results": []}
    report = sys.stderr if args.json else sys.stdout
    print(f"techniques benchmark on {args.cores} cores (cpus {cpus}), best of {args.repeat}", file=report)
    print(f"{'corpus':10s} {'stage / model':34s} {'articles':>8s} {'art/s':>8s} {'words/s':>9s} "
          f"{'load s':>7s} {'spans':>6s}", file=report)
    for cname, articles in corpora.items():
        runs = [("techniques", {"model": m}) for m in (args.model or ["rules-v1"])]
        if not args.skip_baseline:
            runs.append(("claims", {}))
        rows = []
        for stage_name, config in runs:
            r = time_stage(stage_name, config, articles, args.repeat)
            r["corpus"] = cname
            rows.append(r)
            label = stage_name + (f" / {Path(str(config['model'])).name}" if config.get("model") else " (baseline)")
            print(f"{cname:10s} {label:34s} {r['articles']:8d} {r['articles_per_s']:8.1f} {r['words_per_s']:9d} "
                  f"{r['load_s']:7.2f} {r['annotations']:6d}", file=report)
        base = next((r for r in rows if r["stage"] == "claims"), None)
        for r in rows:
            if base and r is not base and base["seconds"]:
                r["speed_vs_claims"] = round(base["seconds"] / r["seconds"], 1) if r["seconds"] else None
                print(f"{'':10s} {r['stage']} / {r['config'].get('model')}: {r['speed_vs_claims']}x the claims "
                      f"stage's speed", file=report)
        out["results"] += rows
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
