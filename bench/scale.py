#!/usr/bin/env python
"""Scale benchmark: local engine vs Spark ``local[2]`` on generated corpora of 10k, 100k (1M) articles.

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--partitions 8] [--keep DIR] [--store-articles N]

For each size a deterministic corpus with planted copies (``narratrace.spark.synthetic``) is
written as JSONL, then, timed as separate processes whose whole process tree is sampled for
peak RSS (the JVM included):

* baseline, the local engine: ``narratrace ingest`` + the pipeline with the stages
  ``fingerprints,republications`` on SQLite;
* ``narratrace spark analyze --stages fingerprints,republications`` on ``local[2]``.

Printed: articles/s and peak memory of both, the ratio Spark / local, and for the capacity plan
(docs/scale.md): exploded band-key rows and bytes, Spark's total shuffle bytes (from its event
log), candidates and pairs, and output sizes per 1,000 articles. 1M is skipped with a reason
when the machine's time budget cannot hold it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
BIN = Path(sys.executable).parent
STAGES = "fingerprints,republications"
#: Exploded band-key row as Spark's UnsafeRow holds it: null bitmap + seq + key, 8 bytes each.
KEY_ROW_BYTES = 24
#: Seconds per article of both engines together, measured at 100k (203 s local + 181 s Spark on 2 cores).
SECONDS_PER_ARTICLE = 3.84e-3
#: Peak RSS per article of the local engine at 100k (1,992 MiB): it holds every fingerprint in memory.
LOCAL_RSS_PER_ARTICLE = 1992 * 2**20 / 100_000
#: A size whose estimated time is above this is skipped, with the reason printed.
TIME_BUDGET_S = 3600


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of ``cmd`` and all its children, sampled every 0.2 s."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    parent = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [parent, *parent.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.2)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()[-3000:] if proc.stderr else ''}")
    return seconds, peak


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.name.endswith(".crc"))


def shuffle_bytes(event_dir: Path) -> int:
    """Total ``Shuffle Bytes Written`` of every task in Spark's event log(s)."""
    total = 0
    for log in (p for p in event_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        for line in log.read_text(errors="replace").splitlines():
            if '"SparkListenerTaskEnd"' in line:
                metrics = json.loads(line).get("Task Metrics") or {}
                total += (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
    return total


def local_engine(corpus: Path, work: Path) -> dict[str, float]:
    db = work / "local.db"
    t1, m1 = run_measured([str(BIN / "narratrace"), "ingest", str(corpus), "--db", str(db), "-q"])
    code = ("import sys; from narratrace.store import Store; from narratrace.pipeline import Pipeline\n"
            f"s = Store(sys.argv[1]); Pipeline({STAGES.split(',')!r}).run(s); s.close()")
    t2, m2 = run_measured([sys.executable, "-c", code, str(db)])
    return {"seconds": t1 + t2, "ingest_s": t1, "analyze_s": t2, "peak_rss": max(m1, m2), "bytes": size_of(db)}


def spark_engine(corpus: Path, work: Path, partitions: int) -> dict[str, float]:
    out, events = work / "spark-out", work / "events"
    events.mkdir()
    env = {**os.environ, "PYSPARK_SUBMIT_ARGS": f"--conf spark.eventLog.enabled=true --conf "
                                               f"spark.eventLog.dir=file://{events} --conf spark.eventLog.compress=false pyspark-shell"}
    seconds, peak = run_measured([str(BIN / "narratrace"), "spark", "analyze", str(corpus), "-o", str(out),
                                  "--stages", STAGES, "--partitions", str(partitions)], env=env)
    manifest = json.loads((out / "_manifest.json").read_text())
    tables = {t: size_of(out / t) for t in ("articles", "stage_results", "republication_pairs",
                                              "republication_groups")}
    return {"seconds": seconds, "peak_rss": peak, "key_rows": manifest["republications"]["key_rows"],
            "candidates": manifest["republications"]["candidates"], "pairs": manifest["republications"]["pairs"],
            "shuffle_bytes": shuffle_bytes(events), "tables": tables}


def store_section(args: argparse.Namespace) -> None:
    """PostgreSQL vs SQLite (baseline): ingest rate and the web UI's overview and search p95 (bench/store_backends.py)."""
    if args.store_articles <= 0:
        print("\nstore backends: skipped (--store-articles 0)")
        return
    import store_backends

    store_args = store_backends.parser().parse_args(["--articles", str(args.store_articles)])
    print()
    print(store_backends.report(store_backends.run(store_args)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated corpus sizes")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--keep", default=None, help="keep corpora and outputs under this directory")
    parser.add_argument("--store-articles", type=int, default=100_000,
                        help="corpus size of the PostgreSQL vs SQLite section (0 skips it)")
    args = parser.parse_args()
    from narratrace.spark.synthetic import write_corpus

    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="narratrace-scale-"))
    print(f"machine: {os.cpu_count()} cores; Spark master local[2], {args.partitions} shuffle partitions; "
          f"stages {STAGES}; baseline: the local engine (ingest + pipeline on SQLite)")
    for n in (int(s) for s in args.sizes.split(",")):
        if n * SECONDS_PER_ARTICLE > TIME_BUDGET_S:
            print(f"\n{n:,} articles: skipped - both engines would need about {n * SECONDS_PER_ARTICLE / 60:.0f} min "
                  f"on this {os.cpu_count()}-core machine ({SECONDS_PER_ARTICLE * 1e3:.2f} ms/article measured at "
                  f"100k), over the {TIME_BUDGET_S // 60}-min budget, and the local engine would peak near "
                  f"{n * LOCAL_RSS_PER_ARTICLE / 2**30:.0f} GiB")
            continue
        work = base / f"n{n}"
        shutil.rmtree(work, ignore_errors=True)
        corpus = write_corpus(work / "corpus", n, files=max(4, n // 5000), seed=1)
        local = local_engine(work / "corpus", work)
        spark = spark_engine(work / "corpus", work, args.partitions)
        per_k = 1000 / n
        print(f"\n{n:,} articles ({corpus.copies:,} planted copies, {size_of(work / 'corpus') / 2**20:.0f} MiB JSONL)")
        print(f"  local  : {n / local['seconds']:8.0f} articles/s ({local['seconds']:.1f} s = ingest "
              f"{local['ingest_s']:.1f} + analyze {local['analyze_s']:.1f}), peak RSS {local['peak_rss'] / 2**20:.0f} MiB")
        print(f"  spark  : {n / spark['seconds']:8.0f} articles/s ({spark['seconds']:.1f} s), "
              f"peak RSS {spark['peak_rss'] / 2**20:.0f} MiB (driver + JVM + Python workers)")
        print(f"  ratio spark/local: time {spark['seconds'] / local['seconds']:.2f}x, "
              f"memory {spark['peak_rss'] / local['peak_rss']:.2f}x")
        print(f"  band keys: {spark['key_rows']:,} rows ({spark['key_rows'] * per_k:,.0f} per 1k articles), "
              f"{spark['key_rows'] * KEY_ROW_BYTES / 2**20:.1f} MiB as rows ({KEY_ROW_BYTES} B/row); "
              f"Spark shuffle written in total: {spark['shuffle_bytes'] / 2**20:.1f} MiB "
              f"({spark['shuffle_bytes'] * per_k / 2**20:.2f} MiB per 1k articles)")
        print(f"  candidates {spark['candidates']:,}, verified pairs {spark['pairs']:,}")
        sizes = ", ".join(f"{t} {b * per_k / 2**10:.0f} KiB" for t, b in spark["tables"].items())
        print(f"  output per 1k articles: Parquet {sizes}; SQLite (local) {local['bytes'] * per_k / 2**10:.0f} KiB")
    store_section(args)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
