#!/usr/bin/env python
"""Entity framing benchmark: articles/s of the ``framing`` stage on 2 cores.

    .venv/bin/python bench/framing.py [--cores 2] [--repeat 3] [--json]

Corpora: the seed articles (``../shared/corpora/seeds``, skipped if absent) and the example
corpus (``examples/corpus``). Each is ingested into a fresh store and the ``claims`` stage runs
first (untimed: framing reads its entity annotations). The framing stage is then timed on its
own, ``--repeat`` times on a fresh copy of its input (the first run also loads MiniLM and spaCy;
it is reported apart as ``first``). Baseline in the same run: the classifier alone (MiniLM
features + logistic regressions, no parse votes), to show what the parse costs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from narratrace.framing.model import load_framing_model  # noqa: E402
from narratrace.ingest import ingest  # noqa: E402
from narratrace.pipeline import Pipeline  # noqa: E402
from narratrace.framing.stage import frame_entities  # noqa: E402
from narratrace.store import Store  # noqa: E402


def pin(cores: int) -> list[int]:
    cpus = sorted(os.sched_getaffinity(0))[:cores] if hasattr(os, "sched_getaffinity") else []
    if cpus:
        os.sched_setaffinity(0, cpus)
    import torch

    torch.set_num_threads(max(1, cores))
    return cpus


def run(name: str, path: Path, repeat: int, tmp: Path) -> dict[str, Any]:
    store = Store(tmp / f"{name}.db")
    ingest(store, [path])
    Pipeline(["claims"]).run(store)
    batch = [(a, store.annotations(a.id, stage="claims")) for a in store.articles()]
    model, _ = load_framing_model(None)
    out: dict[str, Any] = {"corpus": name, "articles": len(batch)}
    times = []
    for i in range(repeat + 1):
        t = time.perf_counter()
        results = frame_entities(batch)
        times.append(time.perf_counter() - t)
    out["first_s"] = round(times[0], 2)
    best = min(times[1:]) if repeat else times[0]
    out["articles_per_s"] = round(len(batch) / best, 2)
    out["roles"] = sum(len(a) for _, a in results)
    out["mentions"] = sum(int(d.get("entities") or 0) for d, _ in results)
    saved = model.rule_weight
    object.__setattr__(model, "rule_weight", 0.0)  # baseline: the classifier without the parse
    try:
        t = time.perf_counter()
        frame_entities(batch)
        out["baseline_no_parse_articles_per_s"] = round(len(batch) / (time.perf_counter() - t), 2)
    finally:
        object.__setattr__(model, "rule_weight", saved)
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cpus = pin(args.cores)
    corpora = [("examples", ROOT / "examples" / "corpus")]
    seeds = ROOT.parent / "shared" / "corpora" / "seeds"
    if seeds.is_dir():
        corpora.insert(0, ("seeds", seeds))
    else:
        print(f"seeds skipped: {seeds} not present", file=sys.stderr)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in corpora:
            rows.append(run(name, path, args.repeat, Path(tmp)))
    result = {"cores": len(cpus) or args.cores, "results": rows}
    out = sys.stderr if args.json else sys.stdout
    print(f"framing stage on {result['cores']} cores (best of {args.repeat} after a warm-up run)", file=out)
    for r in rows:
        print(f"  {r['corpus']:9s} {r['articles']:3d} articles  {r['articles_per_s']:6.2f} articles/s  "
              f"(classifier only {r['baseline_no_parse_articles_per_s']:.2f}/s; first run {r['first_s']} s "
              f"with model loads; {r['roles']} roles for {r['mentions']} entities)", file=out)
    if args.json:
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
