#!/usr/bin/env python
"""Scale benchmark: local engine vs Spark ``local[2]`` on generated corpora of 10k, 100k (1M) articles.

    .venv/bin/python bench/scale.py [--sizes 10000,100000,1000000] [--stages all|A,B] [--partitions 8]
                                    [--keep DIR] [--store-articles N]

For each size a deterministic corpus with planted copies (``narratrace.spark.synthetic``) is
written as JSONL, then, timed as separate processes whose whole process tree is sampled for
peak RSS (the JVM included):

* baseline, the local engine: ``narratrace ingest`` + the pipeline on SQLite, one stage after the
  other (each stage's wall time);
* ``narratrace spark analyze`` on ``local[2]`` (each step's wall time from the manifest, its shuffle
  from Spark's event log by job group).

``--stages all`` (the default) runs every default stage, with examples/factchecks.jsonld as the
fact-checks of both engines; ``--stages fingerprints,republications`` is the earlier, cheaper run.
Printed: articles/s and peak memory of both, the ratio Spark / local, per stage the rate of both
engines and Spark's shuffle per 1,000 articles, and for the capacity plan (docs/scale.md):
exploded band-key rows and bytes, Spark's total shuffle bytes, candidates and pairs, and output
sizes per 1,000 articles. A size is skipped with a reason when the time budget cannot hold it; then,
if a smaller size was measured in the same run, its per-stage figures are printed **extrapolated**
from the largest measured size, labelled as such: each stage's rate held (time linear in articles),
but claim_groups, whose pairs grow with the square of the claims, scaled by ``(n / measured)²`` on
both engines (an upper bound for Spark, whose fixed costs do not grow at all).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
BIN = Path(sys.executable).parent
REPUBLICATION_STAGES = "fingerprints,republications"
FACTCHECKS = ROOT / "examples" / "factchecks.jsonld"
#: Exploded band-key row as Spark's UnsafeRow holds it: null bitmap + seq + key, 8 bytes each.
KEY_ROW_BYTES = 24
#: Seconds per article of both engines together, measured at 100k (203 s local + 181 s Spark on 2 cores),
#: for the republication stages; every stage costs about 100 times that (spaCy's parse, the encoder).
SECONDS_PER_ARTICLE = 3.84e-3
#: Every stage, both engines: 1,408 s for 2,000 generated articles (tests/test_spark_scale.py, 2 shared cores).
SECONDS_PER_ARTICLE_ALL = 0.7
#: Stages whose time grows with the square of the corpus (all pairs of claims), for the extrapolation.
QUADRATIC = ("claim_groups",)
#: Peak RSS per article of the local engine at 100k (1,992 MiB): it holds every fingerprint in memory.
LOCAL_RSS_PER_ARTICLE = 1992 * 2**20 / 100_000
#: A size whose estimated time is above this is skipped, with the reason printed.
TIME_BUDGET_S = 3600


def run_measured(cmd: list[str], env: dict[str, str] | None = None, stdout: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of ``cmd`` and all its children, sampled every 0.2 s."""
    import psutil

    start = time.perf_counter()
    sink = stdout.open("wb") if stdout else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.PIPE, env=env)
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
    if stdout:
        sink.close()  # type: ignore[union-attr]
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()[-3000:] if proc.stderr else ''}")
    return seconds, peak


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.name.endswith(".crc"))


def shuffle_bytes(event_dir: Path) -> dict[str, int]:
    """``Shuffle Bytes Written`` of every task in Spark's event log(s), per job group (the engine tags
    each step's jobs with its stage name) and in total (``"*"``)."""
    group_of_stage: dict[int, str] = {}
    per_stage: dict[int, int] = {}
    for log in (p for p in event_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        for line in log.read_text(errors="replace").splitlines():
            if '"SparkListenerJobStart"' in line:
                event = json.loads(line)
                group = (event.get("Properties") or {}).get("spark.jobGroup.id") or "other"
                for stage_id in event.get("Stage IDs") or ():
                    group_of_stage[int(stage_id)] = group
            elif '"SparkListenerTaskEnd"' in line:
                event = json.loads(line)
                metrics = event.get("Task Metrics") or {}
                written = (metrics.get("Shuffle Write Metrics") or {}).get("Shuffle Bytes Written", 0)
                per_stage[int(event.get("Stage ID", -1))] = per_stage.get(int(event.get("Stage ID", -1)), 0) + written
    out: dict[str, int] = {"*": sum(per_stage.values())}
    for stage_id, written in per_stage.items():
        group = group_of_stage.get(stage_id, "other")
        out[group] = out.get(group, 0) + written
    return out


_LOCAL_STAGES = """
import json, sys, time
from narratrace.pipeline import Pipeline
from narratrace.store import Store
stages, seconds = sys.argv[2].split(","), {}
store = Store(sys.argv[1])
for n, name in enumerate(stages):  # the pipeline up to each stage: the earlier ones find nothing to do
    start = time.perf_counter()
    Pipeline(stages[:n + 1], workers=1).run(store)
    seconds[name] = time.perf_counter() - start
store.close()
print(json.dumps(seconds))
"""


def local_engine(corpus: Path, work: Path, stages: str) -> dict[str, Any]:
    db = work / "local.db"
    if "factcheck_matches" in stages:
        subprocess.run([str(BIN / "narratrace"), "factchecks", "import", str(FACTCHECKS), "--db", str(db), "-q"],
                       check=True, stdout=subprocess.DEVNULL)
    t1, m1 = run_measured([str(BIN / "narratrace"), "ingest", str(corpus), "--db", str(db), "-q"])
    out = work / "local-stages.json"
    t2, m2 = run_measured([sys.executable, "-c", _LOCAL_STAGES, str(db), stages], stdout=out)
    return {"seconds": t1 + t2, "ingest_s": t1, "analyze_s": t2, "peak_rss": max(m1, m2), "bytes": size_of(db),
            "stages": json.loads(out.read_text())}


def spark_engine(corpus: Path, work: Path, partitions: int, stages: str) -> dict[str, Any]:
    out, events = work / "spark-out", work / "events"
    events.mkdir()
    extra: list[str] = []
    if "factcheck_matches" in stages:
        reference = work / "reference.db"
        subprocess.run([str(BIN / "narratrace"), "factchecks", "import", str(FACTCHECKS), "--db", str(reference),
                        "-q"], check=True, stdout=subprocess.DEVNULL)
        extra = ["--reference", str(reference)]
    env = {**os.environ, "PYSPARK_SUBMIT_ARGS": f"--conf spark.eventLog.enabled=true --conf "
                                               f"spark.eventLog.dir=file://{events} --conf spark.eventLog.compress=false pyspark-shell"}
    seconds, peak = run_measured([str(BIN / "narratrace"), "spark", "analyze", str(corpus), "-o", str(out),
                                  "--stages", stages, "--partitions", str(partitions), *extra], env=env)
    manifest = json.loads((out / "_manifest.json").read_text())
    tables = {t: size_of(out / t) for t in manifest["rows"] if (out / t).exists() and t != "skipped"}
    shuffle = shuffle_bytes(events)
    return {"seconds": seconds, "peak_rss": peak, "key_rows": manifest["republications"]["key_rows"],
            "candidates": manifest["republications"]["candidates"], "pairs": manifest["republications"]["pairs"],
            "shuffle_bytes": shuffle["*"], "shuffle": shuffle, "tables": tables, "steps": manifest.get("seconds", {})}


def store_section(args: argparse.Namespace) -> None:
    """PostgreSQL vs SQLite (baseline): ingest rate and the web UI's overview and search p95 (bench/store_backends.py)."""
    if args.store_articles <= 0:
        print("\nstore backends: skipped (--store-articles 0)")
        return
    import store_backends

    store_args = store_backends.parser().parse_args(["--articles", str(args.store_articles)])
    print()
    print(store_backends.report(store_backends.run(store_args)), flush=True)


def extrapolate(n: int, measured: int, local: dict[str, Any], spark: dict[str, Any], stages: str) -> None:
    """Per-stage rates at ``n`` articles EXTRAPOLATED from the run at ``measured`` (see the module docstring)."""
    def seconds(t: float, name: str) -> float:
        return t * (n / measured) ** (2 if name in QUADRATIC else 1)
    print(f"  EXTRAPOLATED from the {measured:,}-article run above (not measured): per stage, articles/s on 2 cores")
    total_l, total_s = seconds(local["ingest_s"], "parse"), seconds(spark["steps"].get("parse", 0.0), "parse")
    for name in stages.split(","):
        ls = seconds(local["stages"].get(name, 0.0), name)
        ss = seconds(spark["steps"].get(name, 0.0), name)
        total_l, total_s = total_l + ls, total_s + ss
        print(f"    {name:<20} local {n / max(ls, 1e-9):9.1f}  spark {n / max(ss, 1e-9):9.1f}"
              f"{'  (grows with the square of the corpus)' if name in QUADRATIC else ''}")
    print(f"  EXTRAPOLATED totals: local {total_l / 60:.0f} min, spark {total_s / 60:.0f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated corpus sizes")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--stages", default="all", help="'all' (every default stage) or comma-separated stages")
    parser.add_argument("--keep", default=None, help="keep corpora and outputs under this directory")
    parser.add_argument("--store-articles", type=int, default=100_000,
                        help="corpus size of the PostgreSQL vs SQLite section (0 skips it)")
    args = parser.parse_args()
    from narratrace.pipeline import default_stages
    from narratrace.spark.synthetic import write_corpus

    stages = ",".join(default_stages()) if args.stages == "all" else args.stages
    per_article = SECONDS_PER_ARTICLE if stages == REPUBLICATION_STAGES else SECONDS_PER_ARTICLE_ALL
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="narratrace-scale-"))
    print(f"machine: {os.cpu_count()} cores; Spark master local[2], {args.partitions} shuffle partitions; "
          f"stages {stages}; baseline: the local engine (ingest + pipeline on SQLite)")
    measured: tuple[int, dict[str, Any], dict[str, Any]] | None = None
    for n in (int(s) for s in args.sizes.split(",")):
        if n * per_article > TIME_BUDGET_S:
            print(f"\n{n:,} articles: skipped - both engines would need about {n * per_article / 60:.0f} min "
                  f"on this {os.cpu_count()}-core machine ({per_article * 1e3:.2f} ms/article), over the "
                  f"{TIME_BUDGET_S // 60}-min budget, and the local engine would peak near "
                  f"{n * LOCAL_RSS_PER_ARTICLE / 2**30:.0f} GiB")
            if measured:
                extrapolate(n, *measured, stages)
            continue
        work = base / f"n{n}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        # every stage: the generator's English mode, so the stages that read English have work
        corpus = write_corpus(work / "corpus", n, files=max(4, n // 5000), seed=1,
                              english=stages != REPUBLICATION_STAGES)
        local = local_engine(work / "corpus", work, stages)
        spark = spark_engine(work / "corpus", work, args.partitions, stages)
        per_k = 1000 / n
        print(f"\n{n:,} articles ({corpus.copies:,} planted copies, {size_of(work / 'corpus') / 2**20:.0f} MiB JSONL)")
        print(f"  local  : {n / local['seconds']:8.1f} articles/s ({local['seconds']:.1f} s = ingest "
              f"{local['ingest_s']:.1f} + analyze {local['analyze_s']:.1f}), peak RSS {local['peak_rss'] / 2**20:.0f} MiB")
        print(f"  spark  : {n / spark['seconds']:8.1f} articles/s ({spark['seconds']:.1f} s), "
              f"peak RSS {spark['peak_rss'] / 2**20:.0f} MiB (driver + JVM + Python workers)")
        print(f"  ratio spark/local: time {spark['seconds'] / local['seconds']:.2f}x, "
              f"memory {spark['peak_rss'] / local['peak_rss']:.2f}x")
        print(f"  per stage (articles/s on 2 cores; Spark shuffle written per 1k articles):")
        print(f"    {'parse/ingest':<20} local {n / local['ingest_s']:9.1f}  spark {n / max(spark['steps'].get('parse', 0), 1e-9):9.1f}"
              f"  shuffle {spark['shuffle'].get('parse', 0) * per_k / 2**10:8.1f} KiB")
        for name in stages.split(","):
            ls, ss = local["stages"].get(name, 0.0), spark["steps"].get(name, 0.0)
            print(f"    {name:<20} local {n / max(ls, 1e-9):9.1f}  spark {n / max(ss, 1e-9):9.1f}"
                  f"  shuffle {spark['shuffle'].get(name, 0) * per_k / 2**10:8.1f} KiB")
        print(f"  band keys: {spark['key_rows']:,} rows ({spark['key_rows'] * per_k:,.0f} per 1k articles), "
              f"{spark['key_rows'] * KEY_ROW_BYTES / 2**20:.1f} MiB as rows ({KEY_ROW_BYTES} B/row); "
              f"Spark shuffle written in total: {spark['shuffle_bytes'] / 2**20:.1f} MiB "
              f"({spark['shuffle_bytes'] * per_k / 2**20:.2f} MiB per 1k articles)")
        print(f"  candidates {spark['candidates']:,}, verified pairs {spark['pairs']:,}")
        sizes = ", ".join(f"{t} {b * per_k / 2**10:.0f} KiB" for t, b in spark["tables"].items())
        print(f"  output per 1k articles: Parquet {sizes}; SQLite (local) {local['bytes'] * per_k / 2**10:.0f} KiB")
        measured = (n, local, spark)
    store_section(args)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
