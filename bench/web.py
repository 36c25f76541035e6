#!/usr/bin/env python
"""Web app benchmark: page latency on a 100,000-article corpus under a bounded concurrent load.

    .venv/bin/python bench/web.py [--articles N] [--seed S] [--workdir DIR] [--clients C]
                                  [--requests R] [--seconds T] [--pages KINDS] [--json]

The load test of issue 17 (32 clients for 30 s on the main pages, mixed, of 10,000 articles):

    .venv/bin/python bench/web.py --articles 10000 --clients 32 --seconds 30 --requests 0 --pages mixed

1. Builds (once, cached in the workdir as ``web-n<N>-s<S>.db``) a store from the synthetic
   corpus of ``bench/republication.py`` (same generator and cached JSONL): ingest, then
   every analysis stage, so republication pairs and groups exist.
2. Starts ``narratrace serve`` (uvicorn, one process) on 127.0.0.1 with a free port: the
   server runs in its own process, so the load generator does not share its CPU time.
3. For each page kind -- the overview (first page, deeper pages, filtered by outlet,
   language and date), an article page (articles in republication groups, and random
   ones), a search page (words of high, middle and low frequency), the republication
   groups (list and group pages), the outlets (list and outlet pages), ``api`` (the JSON
   twins of all of these) and ``mixed`` (every page of the kinds before ``api``, drawn at
   random) -- C client threads (keep-alive connections, loopback only) send requests until R
   requests were answered (R = 0: no cap) or T seconds passed, whichever comes first. The
   first requests of each kind are a warm-up and are not counted. Every answer must be 200:
   any other status, and any connection error (the client reconnects), is an error.
4. Prints p50 / p95 / p99 / max latency and throughput per kind, against the target
   p95 < 100 ms (and one JSON object with ``--json``; the table then goes to stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_P95_MS = 100.0
WARMUP = 20


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def build_store(n: int, seed: int, workdir: Path) -> Path:
    """The analysed store of the synthetic corpus (built once; a marker file says it is complete)."""
    sys.path.insert(0, str(HERE))
    from republication import ensure_corpus  # the same generator and cache as the republication bench

    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline
    from narratrace.store import Store

    db = workdir / f"web-n{n}-s{seed}.db"
    done = workdir / f"web-n{n}-s{seed}.done"
    if db.exists() and done.exists():
        with Store(db) as store:  # applies any newer migration (indexes) to a cached store
            log(f"reusing store {db} ({store.count_articles():,} articles)")
        return db
    jsonl, _ = ensure_corpus(n, seed, workdir)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    t0 = time.perf_counter()
    with Store(db) as store:
        report = ingest(store, [jsonl])
        log(f"ingested {report.added:,} articles in {time.perf_counter() - t0:.0f} s")
        # Republication only: the claims stages parse every sentence (a few articles/s on
        # 2 cores, see bench/claims.py), far too slow to build 100k articles here.
        run = Pipeline(("fingerprints", "republications")).run(store)
        log(f"analysed in {time.perf_counter() - t0:.0f} s total: {run.done}; "
            f"{len(store.republication_groups()):,} groups")
    done.write_text("ok\n")
    return db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "narratrace.cli", "serve", "--db", str(db), "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if k != "NARRATRACE_WRITE_TOKEN"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])  # this tree
    errors = (db.parent / f"{db.stem}.serve.log").open("wb")  # a file: a pipe nobody reads could fill up
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {Path(errors.name).read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start within 60 s")


def sample_urls(db: Path, rng: random.Random) -> dict[str, list[str]]:
    """URLs of each page kind, drawn from the store (read-only)."""
    from narratrace.store import Store
    from narratrace.store.browse import corpus_stats, group_page

    with Store(db, readonly=True) as store:
        stats = corpus_stats(store)
        outlets = [o for o, _ in stats.outlets if o]
        langs = [lang for lang, _ in stats.languages if lang]
        _, groups = group_page(store, limit=100_000, offset=0)
        in_groups = [m for g in rng.sample(groups, min(200, len(groups))) for m in g.members]
        top = int(store.db.execute("SELECT max(rowid) FROM articles").fetchone()[0])
        picked = rng.sample(range(1, top + 1), min(400, top))
        marks = ",".join("?" * len(picked))
        ids = [r[0] for r in store.db.execute(f"SELECT ref FROM articles WHERE rowid IN ({marks}) ORDER BY rowid",
                                              picked)]
        rng.shuffle(ids)
        grouped_refs = [r[0] for r in store.db.execute(
            f"SELECT ref FROM articles WHERE id IN ({','.join('?' * len(in_groups))}) ORDER BY rowid", in_groups)]
        rng.shuffle(grouped_refs)
        # search words: from article titles, by how many articles hold them
        titles = store.db.execute(f"SELECT title FROM articles WHERE rowid IN ({marks}) ORDER BY rowid", picked)
        words = sorted({w.lower() for (t,) in titles for w in (t or "").split() if w.isalpha() and len(w) > 3})
        freq = []
        for w in rng.sample(words, min(120, len(words))):
            n = store.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?",
                                 (f'"{w}"',)).fetchone()[0]
            freq.append((n, w))
        freq.sort()
    third = max(1, len(freq) // 3)
    rare, middle, common = freq[:third], freq[third:2 * third], freq[2 * third:]
    lo, hi = stats.date_from or "2024-01-01", stats.date_to or "2024-12-31"
    overview = ["/", "/?offset=500", "/?offset=5000"]
    overview += [f"/?outlet={quote(o)}" for o in rng.sample(outlets, min(10, len(outlets)))]
    overview += [f"/?language={quote(lang)}" for lang in langs[:3]]
    overview += [f"/?date_from={lo}&date_to={lo[:8]}28", f"/?outlet={quote(outlets[0])}&date_from={hi[:8]}01"]
    search = [f"/search?q={quote(w)}" for _, w in rare + middle + common]
    search += [f"/search?q={quote(a)}+{quote(b)}" for (_, a), (_, b) in zip(middle, common)]
    group_urls = ["/groups", "/groups?offset=50", f"/groups?offset={max(0, len(groups) - 50)}"]
    group_urls += [f"/groups/{g.id}" for g in rng.sample(groups, min(100, len(groups)))]
    outlet_urls = ["/outlets", "/outlets?offset=100"] + [f"/outlets/{quote(o, safe='')}"
                                                         for o in rng.sample(outlets, min(50, len(outlets)))]
    pages = {
        "overview": overview,
        "article": [f"/articles/{quote(r, safe='')}" for r in grouped_refs[:300] + ids[:300]],
        "search": search,
        "groups": group_urls,
        "outlets": outlet_urls,
    }
    pages["api"] = ["/api" + ("/overview" + u[1:] if u.startswith("/?") or u == "/" else u)
                    for kind in pages.values() for u in kind]
    pages["mixed"] = [u for kind in ("overview", "article", "search", "groups", "outlets") for u in pages[kind]]
    return {**pages, "_search_words": [f"{w}:{n}" for n, w in freq]}


def load(base: str, urls: list[str], *, clients: int, requests: int, seconds: float,
         rng: random.Random) -> dict[str, Any]:
    """``clients`` threads, each with one keep-alive connection (``http.client``: the lightest
    client, so that the load generator leaves the server as much of the machine as it can)."""
    import http.client
    from urllib.parse import urlsplit

    host, port = urlsplit(base).hostname or "127.0.0.1", urlsplit(base).port or 80
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    counter = [0]
    seeds = [rng.random() for _ in range(clients)]
    deadline = [0.0]

    def go() -> None:  # runs once, when every client has warmed up: the clock starts
        deadline[0] = time.perf_counter() + seconds

    start = threading.Barrier(clients + 1, action=go)

    def get(conn: http.client.HTTPConnection, url: str) -> int:
        conn.request("GET", url)
        resp = conn.getresponse()
        resp.read()
        return resp.status

    def client(i: int) -> None:
        r = random.Random(seeds[i])
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            for _ in range(WARMUP // clients + 1):
                get(conn, r.choice(urls))
            start.wait()
            while time.perf_counter() < deadline[0]:
                with lock:
                    if requests and counter[0] >= requests:
                        return
                    counter[0] += 1
                url = r.choice(urls)
                t0 = time.perf_counter()
                try:
                    status: int | str = get(conn, url)
                except (OSError, http.client.HTTPException) as exc:  # reset, refused, timed out: an error
                    status = type(exc).__name__
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=60)
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    if status != 200:
                        errors.append(f"{status} {url}")
        finally:
            conn.close()

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(client, i) for i in range(clients)]
        start.wait()
        t0 = time.perf_counter()
        for f in futures:
            f.result()
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return 1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {"requests": len(latencies), "errors": len(errors), "error_examples": errors[:5],
            "seconds": round(wall, 2), "rps": round(len(latencies) / wall, 1) if wall else 0.0,
            "p50_ms": round(pct(0.50), 1), "p95_ms": round(pct(0.95), 1), "p99_ms": round(pct(0.99), 1),
            "max_ms": round(1000 * latencies[-1], 1) if latencies else None, "urls": len(urls)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=HERE / ".cache")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    ap.add_argument("--requests", type=int, default=2000, help="requests per page kind (at most; 0: no cap)")
    ap.add_argument("--seconds", type=float, default=30.0, help="time per page kind (at most)")
    ap.add_argument("--pages", default="overview,article,search",
                    help="page kinds to load, comma-separated: overview, article, search, groups, outlets, api, mixed")
    ap.add_argument("--workers", type=int, default=1, help="server processes (narratrace serve --workers)")
    ap.add_argument("--json", action="store_true", help="print one JSON object (the table goes to stderr)")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    args.workdir.mkdir(parents=True, exist_ok=True)
    db = build_store(args.articles, args.seed, args.workdir)
    rng = random.Random(args.seed)
    urls = sample_urls(db, rng)
    port = free_port()
    server = start_server(db, port, args.workers)
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {}
    try:
        for kind in [k.strip() for k in args.pages.split(",") if k.strip()]:
            log(f"{kind}: {len(urls[kind])} urls, {args.clients} clients, "
                f"up to {args.requests or 'any number of'} requests / {args.seconds:.0f} s")
            results[kind] = load(base, urls[kind], clients=args.clients, requests=args.requests,
                                 seconds=args.seconds, rng=rng)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()

    out = sys.stderr if args.json else sys.stdout
    with __import__("narratrace.store", fromlist=["Store"]).Store(db, readonly=True) as store:
        n = store.count_articles()
    print(f"\nnarratrace web bench: {n:,} articles, {args.clients} concurrent clients on loopback, "
          f"uvicorn {args.workers} process(es), {os.cpu_count()} CPUs", file=out)
    print(f"{'page':<10} {'requests':>9} {'errors':>7} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}  target p95 < {TARGET_P95_MS:.0f} ms", file=out)
    for kind, r in results.items():
        ok = "ok" if r["p95_ms"] < TARGET_P95_MS and not r["errors"] else "MISSED"
        print(f"{kind:<10} {r['requests']:>9} {r['errors']:>7} {r['rps']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} "
              f"{r['p99_ms']:>8} {r['max_ms']:>8}  {ok}", file=out)
    if args.json:
        print(json.dumps({"articles": n, "clients": args.clients, "cpus": os.cpu_count(), "results": results,
                          "target_p95_ms": TARGET_P95_MS, "search_words": urls["_search_words"]}))
    if any(r["errors"] for r in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
