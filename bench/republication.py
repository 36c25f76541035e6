#!/usr/bin/env python
"""Republication benchmark: narratrace end to end vs datasketch MinHashLSH, same corpus, same run.

    .venv/bin/python bench/republication.py [--articles N] [--seed S] [--workdir DIR] [--json]
                                            [--baseline-sample M] [--profile] [--skip-baseline]

1. Generates (once, cached in the workdir) a deterministic synthetic news corpus with
   planted copies of four kinds (exact, 5 % words substituted, preamble + credit footer,
   partial 50 % excerpt with an own opening) and per-outlet boilerplate footers shared by
   thousands of articles, which must not create pairs. Written as JSONL
   (id, outlet, published, title, text) plus a truth file.
2. Times narratrace end to end in a child process: fresh ``Store(workdir/'bench.db')``,
   ``ingest``, ``Pipeline().run`` (split into ingest / fingerprints / republications).
3. Times a plain datasketch baseline in another child process: ``MinHash(num_perm=128)``
   over 5-word shingles + ``MinHashLSH(threshold=0.5)``, insert all, query each, from
   reading the JSONL to the candidate pair list (no alignment).
4. Scores both against the planted truth and prints a table (and one JSON object with
   ``--json``; the human-readable report then goes to stderr).

Each system runs in its own process so that its peak memory (max RSS) is its own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
GEN_VERSION = 1
KINDS = ("exact", "substituted", "preamble_footer", "partial")
BASELINE_LABEL = "vs datasketch MinHashLSH (128 perms, 5-word shingles), same corpus, same run"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# =========================================================================================
# Synthetic corpus
# =========================================================================================
# Function words with rough relative frequencies (English-like glue between content words).
FUNCTION_WORDS = {
    "the": 6.0, "of": 3.4, "and": 3.0, "to": 3.0, "a": 2.5, "in": 2.2, "that": 1.2, "is": 1.0,
    "for": 1.0, "on": 0.9, "was": 0.9, "with": 0.8, "it": 0.8, "as": 0.7, "said": 0.7, "by": 0.6,
    "at": 0.6, "he": 0.5, "from": 0.5, "this": 0.5, "has": 0.5, "are": 0.5, "they": 0.4, "be": 0.4,
    "have": 0.4, "had": 0.4, "not": 0.4, "but": 0.4, "an": 0.4, "she": 0.3, "or": 0.3, "which": 0.3,
    "were": 0.3, "their": 0.3, "its": 0.3, "will": 0.3, "would": 0.2, "after": 0.2, "more": 0.2,
    "been": 0.2, "who": 0.2, "about": 0.2, "also": 0.2, "than": 0.15, "into": 0.15, "over": 0.15,
    "new": 0.15, "his": 0.3, "her": 0.2, "we": 0.15, "there": 0.12, "could": 0.12, "one": 0.12,
    "two": 0.1, "last": 0.1, "first": 0.1, "year": 0.1, "people": 0.1, "government": 0.08,
    "other": 0.1, "some": 0.1, "when": 0.12, "all": 0.12, "up": 0.1, "out": 0.1, "no": 0.08,
    "if": 0.1, "so": 0.08, "what": 0.08, "can": 0.1, "may": 0.08, "between": 0.06, "because": 0.06,
    "while": 0.06, "during": 0.05, "under": 0.05, "against": 0.05, "before": 0.05, "since": 0.05,
}
OUTLET_NOUNS = ["Herald", "Courier", "Gazette", "Tribune", "Ledger", "Post", "Chronicle", "Observer",
                "Times", "Journal", "Monitor", "Dispatch", "Bulletin", "Wire", "Standard", "Sentinel",
                "Express", "Record", "Review", "Register", "Mirror", "Examiner", "Beacon", "Star"]
FOOTERS = [  # 20-26 words each; shared by every article of an outlet
    "Subscribe to our newsletter for the top stories from {o} every morning. Follow us on social "
    "media and send your news tips to our newsroom.",
    "Support independent journalism and subscribe to {o} today for unlimited access to our reporting, "
    "the daily briefing and the weekend edition.",
    "Sign up for the daily newsletter of {o} to receive breaking news alerts, analysis and the best "
    "of our journalism straight to your inbox.",
    "Did you find this story useful? Become a member of {o} to read every article without limits and "
    "help us keep local reporting alive.",
]
SYLLABLES_C = ["b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "kr", "l", "m", "n",
               "p", "pr", "r", "s", "sh", "st", "t", "tr", "v", "w", "z", "th", "pl", "sl"]
SYLLABLES_V = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou", "ar", "en", "or", "il", "an", "el"]


class CorpusGenerator:
    """Deterministic (seeded) prose-like articles over a Zipf vocabulary of invented words."""

    def __init__(self, seed: int, *, vocab_size: int = 40_000, n_outlets: int = 80) -> None:
        import numpy as np

        self.np = np
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        # content vocabulary: unique invented words, every 9th a proper noun (capitalised)
        words: list[str] = []
        seen: set[str] = set(FUNCTION_WORDS)
        while len(words) < vocab_size:
            n_syl = int(rng.choice([1, 2, 2, 2, 3, 3, 4]))
            w = "".join(SYLLABLES_C[int(rng.integers(len(SYLLABLES_C)))] +
                        SYLLABLES_V[int(rng.integers(len(SYLLABLES_V)))] for _ in range(n_syl))
            if rng.random() < 0.3:
                w += SYLLABLES_C[int(rng.integers(len(SYLLABLES_C)))]
            if len(w) < 3 or w in seen:
                continue
            seen.add(w)
            words.append(w.capitalize() if len(words) % 9 == 4 else w)
        fn = list(FUNCTION_WORDS)
        self.n_fn = len(fn)
        self.vocab = np.array(fn + words, dtype=object)
        self.content = words
        fw = np.array([FUNCTION_WORDS[w] for w in fn])
        self.fn_cdf = np.cumsum(fw / fw.sum())
        # Zipf continuing after the function words (rank 1 content word ~ rank 90 overall)
        ranks = np.arange(len(fn) + 1, len(fn) + vocab_size + 1, dtype=np.float64)
        cw = 1.0 / ranks ** 1.07
        self.ct_cdf = np.cumsum(cw / cw.sum())
        self.fn_cdf[-1] = self.ct_cdf[-1] = 1.0
        # outlets: Zipf-ish sizes (the largest has ~20 % of articles, the smallest < 0.2 %)
        names: list[str] = []
        while len(names) < n_outlets:
            place = self.content[int(rng.integers(2000, vocab_size))].capitalize()
            name = f"The {place} {OUTLET_NOUNS[int(rng.integers(len(OUTLET_NOUNS)))]}"
            if name not in names:
                names.append(name)
        self.outlets = names
        ow = 1.0 / np.arange(1, n_outlets + 1, dtype=np.float64) ** 1.1
        self.outlet_p = ow / ow.sum()
        self.footers = [FOOTERS[int(rng.integers(len(FOOTERS)))].format(o=o) for o in names]
        self.staff = [[self._name() for _ in range(int(rng.integers(4, 16)))] for _ in names]

    # -- pieces ----------------------------------------------------------------------------
    def _name(self) -> str:
        rng = self.rng
        first = self.content[int(rng.integers(len(self.content)))].capitalize()
        last = self.content[int(rng.integers(len(self.content)))].capitalize()
        return f"{first} {last}"

    def _tokens(self, n: int) -> list[str]:
        np, rng = self.np, self.rng
        is_fn = rng.random(n) < 0.42
        fi = np.searchsorted(self.fn_cdf, rng.random(n))
        ci = np.searchsorted(self.ct_cdf, rng.random(n)) + self.n_fn
        toks = self.vocab[np.where(is_fn, fi, ci)].tolist()
        for p in np.flatnonzero(rng.random(n) < 0.008).tolist():
            toks[p] = str(int(rng.integers(2, 2500)))
        for p in np.flatnonzero(rng.random(n) < 0.06).tolist():
            toks[p] = toks[p] + ","
        return toks

    def sentences(self, n_words: int) -> list[str]:
        """Sentences totalling about ``n_words`` words (8-28 words each)."""
        rng = self.rng
        lens = rng.integers(8, 29, size=max(1, n_words // 8 + 2)).tolist()
        total, k = 0, 0
        while total < n_words and k < len(lens):
            total += lens[k]
            k += 1
        lens = lens[:k]
        toks = self._tokens(sum(lens))
        ends = rng.random(k)
        out = []
        pos = 0
        for i, ln in enumerate(lens):
            s = toks[pos:pos + ln]
            pos += ln
            s[0] = s[0][:1].upper() + s[0][1:]
            last = s[-1].rstrip(",")
            s[-1] = last + ("?" if ends[i] < 0.02 else ".")
            out.append(" ".join(s))
        return out

    def paragraphs(self, n_words: int) -> list[str]:
        """Sentences grouped into paragraphs of 1-4 sentences (news style)."""
        sents = self.sentences(n_words)
        paras = []
        i = 0
        while i < len(sents):
            n = int(self.rng.integers(1, 5))
            paras.append(" ".join(sents[i:i + n]))
            i += n
        return paras

    def title(self) -> str:
        n = int(self.rng.integers(5, 11))
        idx = self.np.searchsorted(self.ct_cdf, self.rng.random(n)) + self.n_fn
        return " ".join(w[:1].upper() + w[1:] for w in self.vocab[idx].tolist())

    def substitute(self, text: str, rate: float) -> str:
        """Replace ``rate`` of the words of ``text`` by random other vocabulary words."""
        matches = list(re.finditer(r"\w+", text))
        n = max(1, round(rate * len(matches)))
        picks = sorted(self.rng.choice(len(matches), size=n, replace=False).tolist())
        repl = self._tokens(n)
        out = []
        pos = 0
        for p, r in zip(picks, repl):
            m = matches[p]
            r = r.rstrip(",")
            if r.lower() == m.group().lower():
                r = self.content[int(self.rng.integers(len(self.content)))]
            if m.group()[:1].isupper():
                r = r[:1].upper() + r[1:]
            out.append(text[pos:m.start()])
            out.append(r)
            pos = m.end()
        out.append(text[pos:])
        return "".join(out)


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def generate_corpus(n_articles: int, seed: int, jsonl: Path, truth_path: Path) -> None:
    """Write ``n_articles`` articles (originals + planted copies) as JSONL and the truth file."""
    gen = CorpusGenerator(seed)
    np, rng = gen.np, gen.rng
    n_four = max(1, round(n_articles * 0.0225))        # originals with one copy of each kind
    n_multi = max(1, round(n_articles * 0.0015))       # originals with 3-8 copies of mixed kinds
    multi_sizes = rng.integers(3, 9, size=n_multi).tolist()
    n_orig = n_articles - 4 * n_four - sum(multi_sizes)
    if n_orig < 2 * (n_four + n_multi):
        raise SystemExit(f"--articles {n_articles} is too small for the planted copies")
    perm = rng.permutation(n_orig).tolist()
    plan: dict[int, list[str]] = {i: list(KINDS) for i in perm[:n_four]}
    for i, size in zip(perm[n_four:n_four + n_multi], multi_sizes):
        plan[i] = [KINDS[int(k)] for k in rng.integers(0, len(KINDS), size=size)]
    refs = [f"art-{k:07d}" for k in rng.permutation(n_articles).tolist()]
    year0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    n_outlets = len(gen.outlets)
    records: list[tuple[str, str, dict]] = []   # (published, ref, record)
    groups = []
    kind_counts = {k: 0 for k in KINDS}
    ref_i = 0
    t0 = time.perf_counter()

    def new_ref() -> str:
        nonlocal ref_i
        ref_i += 1
        return refs[ref_i - 1]

    for i in range(n_orig):
        if i and i % 20000 == 0:
            log(f"generated {i:,}/{n_orig:,} originals ({time.perf_counter() - t0:.0f} s)")
        o = int(rng.choice(n_outlets, p=gen.outlet_p))
        when = year0 + timedelta(seconds=int(rng.integers(0, 350 * 86400)))
        body = gen.paragraphs(int(rng.integers(300, 701)))
        byline = f"By {gen.staff[o][int(rng.integers(len(gen.staff[o])))]}"
        text = "\n\n".join([byline, *body, gen.footers[o]])
        title = gen.title()
        ref = new_ref()
        records.append((_iso(when), ref, {"id": ref, "outlet": gen.outlets[o], "published": _iso(when),
                                          "title": title, "text": text}))
        if i not in plan:
            continue
        copies = []
        for kind in plan[i]:
            c = int(rng.choice(n_outlets, p=gen.outlet_p))
            while c == o:
                c = int(rng.choice(n_outlets, p=gen.outlet_p))
            if rng.random() < 0.1:   # same calendar day when possible, always later
                cwhen = when + timedelta(seconds=int(rng.integers(60, 6 * 3600)))
            else:
                cwhen = when + timedelta(days=int(rng.integers(1, 8)), seconds=int(rng.integers(0, 86400)))
            ctitle = title if kind == "exact" else gen.title()
            if kind == "exact":
                ctext = text
            elif kind == "substituted":
                ctext = gen.substitute("\n\n".join(body), 0.05) + "\n\n" + gen.footers[c]
            elif kind == "preamble_footer":
                pre = " ".join(gen.sentences(int(rng.integers(30, 70)))[:int(rng.integers(2, 5))])
                ctext = (pre + "\n\n" + "\n\n".join(body) + "\n\n"
                         + f"This article was first published by {gen.outlets[o]}.\n"
                         + f"© {cwhen.year} {gen.outlets[c]}. All rights reserved.")
            else:  # partial: contiguous 50 % of the paragraphs + an own opening paragraph
                half = math.ceil(len(body) / 2)
                start = int(rng.integers(0, len(body) - half + 1))
                own = " ".join(gen.sentences(int(rng.integers(40, 80))))
                ctext = "\n\n".join([own, *body[start:start + half], gen.footers[c]])
            cref = new_ref()
            records.append((_iso(cwhen), cref, {"id": cref, "outlet": gen.outlets[c], "published": _iso(cwhen),
                                                "title": ctitle, "text": ctext}))
            copies.append([cref, kind])
            kind_counts[kind] += 1
        groups.append({"original": ref, "copies": copies})
    assert ref_i == n_articles, (ref_i, n_articles)
    records.sort(key=lambda r: (r[0], r[1]))      # a feed archive: chronological
    tmp = jsonl.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for _, _, rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    words = [len(re.findall(r"\w+", r[2]["text"])) for r in records[:: max(1, len(records) // 5000)]]
    outlet_sizes: dict[str, int] = {}
    for _, _, rec in records:
        outlet_sizes[rec["outlet"]] = outlet_sizes.get(rec["outlet"], 0) + 1
    truth = {"generator_version": GEN_VERSION, "articles": n_articles, "seed": seed, "originals": n_orig,
             "planted_groups": len(groups), "planted_copies": sum(kind_counts.values()),
             "copies_by_kind": kind_counts, "words_per_article_sample": {
                 "min": min(words), "mean": round(sum(words) / len(words), 1), "max": max(words)},
             "outlets": len(outlet_sizes), "largest_outlet": max(outlet_sizes.values()),
             "smallest_outlet": min(outlet_sizes.values()),
             "outlets_over_200": sum(v > 200 for v in outlet_sizes.values()),
             "groups": groups}
    truth_path.write_text(json.dumps(truth), encoding="utf-8")
    os.replace(tmp, jsonl)
    log(f"corpus written: {jsonl} ({jsonl.stat().st_size / 1e6:.0f} MB, {time.perf_counter() - t0:.0f} s)")


def ensure_corpus(n: int, seed: int, workdir: Path) -> tuple[Path, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    stem = f"corpus-n{n}-s{seed}-g{GEN_VERSION}"
    jsonl, truth = workdir / f"{stem}.jsonl", workdir / f"{stem}.truth.json"
    if jsonl.exists() and truth.exists():
        log(f"reusing corpus {jsonl}")
    else:
        log(f"generating corpus of {n:,} articles (seed {seed}) -> {jsonl}")
        generate_corpus(n, seed, jsonl, truth)
    return jsonl, truth


# =========================================================================================
# Workers (each in its own process)
# =========================================================================================
def _max_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _accepts(fn, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def worker_narratrace(corpus: Path, workdir: Path, out: Path, profile: bool, workers: int | None) -> None:
    import logging

    import narratrace
    import narratrace.ingest.heuristics as heuristics
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline
    from narratrace.store import Store

    shims = []
    if not hasattr(heuristics, "find_credits"):
        # republications.choose_original imports it; without it every verified pair raises ImportError.
        heuristics.find_credits = lambda text: iter(())  # type: ignore[attr-defined]
        shims.append("narratrace.ingest.heuristics.find_credits is missing in src: the bench replaced it "
                     "with a stub that finds no credit line (direction then comes from dates/order)")
        log("WARNING: " + shims[-1])

    captured: list[str] = []

    class _Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record.getMessage())

    rep_log = logging.getLogger("narratrace.republications.detect")
    rep_log.setLevel(logging.INFO)
    rep_log.addHandler(_Capture())

    db = workdir / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
    marks: dict[str, float] = {}
    last_log = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if stage == "fingerprints":
            marks["fingerprints_end"] = now
        if now - last_log[0] > 30:
            last_log[0] = now
            log(f"narratrace {stage}: {done:,}/{total:,}")

    ingest_kw: dict = {}
    pipe_kw: dict = {}
    if workers is not None:
        if _accepts(ingest, "workers"):
            ingest_kw["workers"] = workers
        if _accepts(Pipeline.__init__, "workers"):
            pipe_kw["workers"] = workers
    if prof:
        prof.enable()
    t0 = time.perf_counter()
    store = Store(db)
    ingest_report = ingest(store, [corpus], **ingest_kw)
    t1 = time.perf_counter()
    log(f"narratrace ingest: {ingest_report.added:,} articles in {t1 - t0:.1f} s")
    # Republication detection only: the claims stages (spaCy, embeddings) are benchmarked by
    # bench/claims.py; at a few articles/s they would dominate this run by hours.
    pipeline = Pipeline(("fingerprints", "republications"), **pipe_kw)
    run_report = pipeline.run(store, progress=progress)
    t2 = time.perf_counter()
    if prof:
        prof.disable()
    t_fp_end = marks.get("fingerprints_end", t1)
    log(f"narratrace pipeline: {t2 - t1:.1f} s")
    index = {row["id"]: row["ref"] for row in store.article_index()}
    t3 = time.perf_counter()
    pairs = [[index[p.original], index[p.copy], p.evidence, round(p.similarity, 4)]
             for p in store.republication_pairs()]
    t4 = time.perf_counter()
    n_articles = store.count_articles()
    n_groups = len(store.republication_groups())
    store.close()
    db_mb = sum(Path(f"{db}{s}").stat().st_size for s in ("", "-wal", "-shm") if Path(f"{db}{s}").exists()) / 1e6
    result = {
        "version": getattr(narratrace, "__version__", "?"), "articles": n_articles,
        "ingest": ingest_report.to_dict() | {"skipped": len(ingest_report.skipped)},
        "run": {"done": run_report.done, "failed": len(run_report.failed),
                "failed_examples": [str(e) for e in run_report.failed[:5]]},
        "seconds": {"ingest": t1 - t0, "fingerprints": t_fp_end - t1, "republications": t2 - t_fp_end,
                    "total": t2 - t0, "read_pairs": t4 - t3},
        "log": captured, "pairs": pairs, "groups": n_groups, "db_mb": db_mb,
        "max_rss_mb": _max_rss_mb(), "shims": shims,
        "workers": {"requested": workers, "ingest_kw": ingest_kw, "pipeline_kw": pipe_kw,
                    "pipeline_workers": getattr(pipeline, "workers", None)}}
    if prof:
        import io
        import pstats

        stats_path = workdir / f"narratrace-n{n_articles}.pstats"
        prof.dump_stats(stats_path)
        buf = io.StringIO()
        st = pstats.Stats(prof, stream=buf).strip_dirs()
        st.sort_stats("tottime").print_stats(30)
        st.sort_stats("cumulative").print_stats(45)
        (workdir / f"narratrace-n{n_articles}.profile.txt").write_text(buf.getvalue())
        result["profile"] = {"pstats": str(stats_path),
                             "text": str(workdir / f"narratrace-n{n_articles}.profile.txt")}
    out.write_text(json.dumps(result))


_WORD = re.compile(r"\w+")


def worker_datasketch(corpus: Path, out: Path, sample: list[str] | None) -> None:
    from datasketch import MinHash, MinHashLSH

    import datasketch

    keep = set(sample) if sample is not None else None
    t0 = time.perf_counter()
    keys: list[str] = []
    sketches = []
    with corpus.open("rb") as fh:
        for line in fh:
            obj = json.loads(line)
            if keep is not None and obj["id"] not in keep:
                continue
            words = _WORD.findall(obj["text"].lower())
            shingles = {" ".join(words[i:i + 5]) for i in range(len(words) - 4)}
            m = MinHash(num_perm=128)
            m.update_batch([s.encode("utf-8") for s in shingles])
            keys.append(obj["id"])
            sketches.append(m)
            if len(keys) % 20000 == 0:
                log(f"datasketch: {len(keys):,} sketches ({time.perf_counter() - t0:.0f} s)")
    t1 = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for key, m in zip(keys, sketches):
        lsh.insert(key, m)
    t2 = time.perf_counter()
    pairs: set[tuple[str, str]] = set()
    for key, m in zip(keys, sketches):
        for other in lsh.query(m):
            if other != key:
                pairs.add((key, other) if key < other else (other, key))
    t3 = time.perf_counter()
    out.write_text(json.dumps({
        "version": datasketch.__version__, "articles": len(keys),
        "seconds": {"read_shingle_minhash": t1 - t0, "lsh_insert": t2 - t1, "lsh_query": t3 - t2,
                    "total": t3 - t0},
        "pairs": sorted(pairs), "max_rss_mb": _max_rss_mb()}))


# =========================================================================================
# Scoring and report
# =========================================================================================
def score(pairs: list[tuple[str, str]] | list[list], truth: dict, subset: set[str] | None = None,
          directed: bool = False) -> dict:
    """Recall of planted original-copy pairs, precision against all pairs inside planted groups."""
    oc: dict[frozenset, tuple[str, str, str]] = {}
    within: set[frozenset] = set()
    for g in truth["groups"]:
        members = [g["original"]] + [c for c, _ in g["copies"]]
        if subset is not None:
            members = [m for m in members if m in subset]
        for c, kind in g["copies"]:
            if subset is None or (c in subset and g["original"] in subset):
                oc[frozenset((g["original"], c))] = (g["original"], c, kind)
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                within.add(frozenset((members[x], members[y])))
    detected: dict[frozenset, tuple[str, str]] = {}
    for p in pairs:
        detected.setdefault(frozenset((p[0], p[1])), (p[0], p[1]))
    correct = [k for k in detected if k in within]
    false = [detected[k] for k in detected if k not in within]
    by_kind = {k: [0, 0] for k in KINDS}
    for key, (_, _, kind) in oc.items():
        by_kind[kind][1] += 1
        if key in detected:
            by_kind[kind][0] += 1
    found_oc = [k for k in oc if k in detected]
    res = {
        "detected_pairs": len(detected), "correct_pairs": len(correct), "false_pairs": len(false),
        "copy_copy_pairs": sum(1 for k in correct if k not in oc),
        "planted_pairs": len(oc), "found_planted": len(found_oc),
        "recall": len(found_oc) / len(oc) if oc else float("nan"),
        "precision": len(correct) / len(detected) if detected else float("nan"),
        "recall_within_groups": len(correct) / len(within) if within else float("nan"),
        "recall_by_kind": {k: (f / t if t else float("nan")) for k, (f, t) in by_kind.items()},
        "false_examples": false[:10],
    }
    if directed:
        right = sum(1 for k in found_oc if detected[k][0] == oc[k][0])
        res["direction_accuracy"] = right / len(found_oc) if found_oc else float("nan")
        res["direction_wrong"] = len(found_oc) - right
    return res


def src_digest() -> str:
    """sha256 of narratrace's source files as measured (others edit src/ concurrently)."""
    import hashlib

    import narratrace

    root = Path(narratrace.__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 ** 2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, {platform.system()}"


def run_worker(args: list[str]) -> float:
    """Run a worker process; returns the CPU seconds (user + sys) of its whole process tree."""
    import resource

    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, stdout=sys.stderr)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"worker failed ({proc.returncode}): {' '.join(cmd)}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _json_safe(obj):
    """NaN (a rate with nothing to divide) becomes null, so the output is strict JSON."""
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def fmt_pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.2f} %"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=100_000, help="corpus size (default 100000)")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument("--workdir", type=Path, default=HERE / ".cache", help="default bench/.cache")
    ap.add_argument("--json", action="store_true", help="print one JSON object on stdout (report to stderr)")
    ap.add_argument("--baseline-sample", type=int, default=None, metavar="M",
                    help="time datasketch on a random subset of M articles only")
    ap.add_argument("--skip-baseline", action="store_true", help="run narratrace only")
    ap.add_argument("--skip-narratrace", action="store_true", help="run the datasketch baseline only")
    ap.add_argument("--workers", type=int, default=None,
                    help="pass workers=N to narratrace's ingest() and Pipeline() (default: narratrace's own "
                         "default, which uses a process pool on several cores)")
    ap.add_argument("--profile", action="store_true",
                    help="run narratrace under cProfile (timings inflated; implies --workers 1 unless given, "
                         "so the work happens in the profiled process); writes .pstats and a top list")
    ap.add_argument("--worker", choices=["narratrace", "datasketch"], help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--sample-file", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    workdir = args.workdir.resolve()

    if args.worker == "narratrace":
        worker_narratrace(args.corpus, workdir, args.out, args.profile, args.workers)
        return
    if args.worker == "datasketch":
        sample = json.loads(args.sample_file.read_text()) if args.sample_file else None
        worker_datasketch(args.corpus, args.out, sample)
        return

    report_stream = sys.stderr if args.json else sys.stdout
    jsonl, truth_path = ensure_corpus(args.articles, args.seed, workdir)
    truth = json.loads(truth_path.read_text())
    tag = f"n{args.articles}-s{args.seed}"
    result: dict = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
                    "corpus": {k: v for k, v in truth.items() if k != "groups"} | {"path": str(jsonl)},
                    "label": BASELINE_LABEL, "narratrace_src_sha256": src_digest()}

    nt = None
    if not args.skip_narratrace:
        log("running narratrace (ingest + Pipeline().run) ...")
        workers = 1 if args.profile and args.workers is None else args.workers
        out = workdir / f"narratrace-{tag}{'-w%d' % workers if workers is not None else ''}.json"
        cpu = run_worker(["--worker", "narratrace", "--corpus", str(jsonl), "--workdir", str(workdir),
                          "--out", str(out)] + (["--profile"] if args.profile else [])
                         + (["--workers", str(workers)] if workers is not None else []))
        nt = json.loads(out.read_text())
        nt["cpu_seconds"] = cpu
        nt["score"] = score(nt["pairs"], truth, directed=True)
        evidence: dict[str, int] = {}
        for pair in nt["pairs"]:
            evidence[pair[2]] = evidence.get(pair[2], 0) + 1
        nt["score"]["evidence"] = evidence
        result["narratrace"] = {k: v for k, v in nt.items() if k != "pairs"}

    ds = None
    subset = None
    if not args.skip_baseline:
        sample_args: list[str] = []
        if args.baseline_sample and args.baseline_sample < args.articles:
            import numpy as np

            refs = [json.loads(line)["id"] for line in jsonl.open("rb")]
            rng = np.random.default_rng(args.seed + 1)
            subset = set(refs[i] for i in rng.choice(len(refs), size=args.baseline_sample, replace=False))
            sample_file = workdir / f"baseline-sample-{tag}-m{args.baseline_sample}.json"
            sample_file.write_text(json.dumps(sorted(subset)))
            sample_args = ["--sample-file", str(sample_file)]
        log("running datasketch baseline ...")
        out = workdir / f"datasketch-{tag}{'-m%d' % len(subset) if subset is not None else ''}.json"
        cpu = run_worker(["--worker", "datasketch", "--corpus", str(jsonl), "--out", str(out)] + sample_args)
        ds = json.loads(out.read_text())
        ds["cpu_seconds"] = cpu
        ds["score"] = score(ds["pairs"], truth, subset=subset)
        ds["sample"] = len(subset) if subset is not None else None
        result["datasketch"] = {k: v for k, v in ds.items() if k != "pairs"}

    # ---- report ------------------------------------------------------------------------
    def p(line: str = "") -> None:
        print(line, file=report_stream)

    c = truth
    p()
    p(f"narratrace republication benchmark — {result['date']}")
    p(f"machine: {result['machine']}; narratrace src sha256 {result['narratrace_src_sha256']}")
    p(f"corpus: {c['articles']:,} articles (seed {c['seed']}), {c['originals']:,} originals, "
      f"{c['planted_copies']:,} planted copies in {c['planted_groups']:,} groups "
      f"({', '.join(f'{k} {v:,}' for k, v in c['copies_by_kind'].items())}); "
      f"~{c['words_per_article_sample']['mean']:.0f} words/article; {c['outlets']} outlets "
      f"({c['largest_outlet']:,} .. {c['smallest_outlet']:,} articles each, shared footer per outlet)")
    rows = []
    if nt:
        s = nt["seconds"]
        sc = nt["score"]
        for w in nt["shims"]:
            p(f"WARNING: {w}")
        if nt["run"]["failed"]:
            p(f"WARNING: {nt['run']['failed']} stage failures, e.g. {nt['run']['failed_examples'][:2]}")
        p()
        w = nt["workers"]
        p(f"narratrace: ingest {s['ingest']:.1f} s | fingerprints {s['fingerprints']:.1f} s | "
          f"republications {s['republications']:.1f} s | total {s['total']:.1f} s "
          f"(max RSS of the main process {nt['max_rss_mb']:.0f} MB, db {nt['db_mb']:.0f} MB)")
        p(f"narratrace workers: Pipeline.workers={w['pipeline_workers']}"
          + (f", passed {w['ingest_kw'] | w['pipeline_kw']}" if w["requested"] is not None else
             " (narratrace's default; ingest uses its default too)")
          + f"; CPU time of the whole process tree {nt['cpu_seconds']:.1f} s "
          f"(= {nt['cpu_seconds'] / s['total']:.2f} cores busy on average, on {os.cpu_count()} cores)")
        if nt["log"]:
            p(f"narratrace log: {'; '.join(nt['log'])}")
        rows.append(("narratrace (ingest + fingerprints + republications)", nt["articles"], s["total"],
                     nt["cpu_seconds"], sc["recall"], sc["precision"]))
        rows.append(("  narratrace detection only (fingerprints + republications)", nt["articles"],
                     s["fingerprints"] + s["republications"], None, sc["recall"], sc["precision"]))
    if ds:
        s = ds["seconds"]
        p(f"datasketch: read+shingle+MinHash {s['read_shingle_minhash']:.1f} s | LSH insert "
          f"{s['lsh_insert']:.1f} s | LSH query {s['lsh_query']:.1f} s | total {s['total']:.1f} s "
          f"(max RSS {ds['max_rss_mb']:.0f} MB)"
          + (f" — measured on a random sample of {ds['sample']:,} articles" if ds["sample"] else ""))
        rows.append(("datasketch MinHashLSH" + (f" (sample of {ds['sample']:,})" if ds["sample"] else ""),
                     ds["articles"], s["total"], ds["cpu_seconds"], ds["score"]["recall"], ds["score"]["precision"]))
    p()
    head = (f"{'system':<60} {'articles':>9} {'seconds':>9} {'articles/s':>11} {'CPU s':>8} {'art/CPU-s':>10} "
            f"{'recall':>9} {'precision':>10}")
    p(head)
    p("-" * len(head))
    for name, n, sec, cpu, rec, prec in rows:
        cpu_s = f"{cpu:>8.1f} {n / cpu:>10.1f}" if cpu else f"{'':>8} {'':>10}"
        p(f"{name:<60} {n:>9,} {sec:>9.1f} {n / sec:>11.1f} {cpu_s} {fmt_pct(rec):>9} {fmt_pct(prec):>10}")
    p("-" * len(head))
    if nt and ds:
        nt_rate = nt["articles"] / nt["seconds"]["total"]
        det_rate = nt["articles"] / (nt["seconds"]["fingerprints"] + nt["seconds"]["republications"])
        ds_rate = ds["articles"] / ds["seconds"]["total"]
        cpu_ratio = (nt["articles"] / nt["cpu_seconds"]) / (ds["articles"] / ds["cpu_seconds"])
        result["ratio"] = {"end_to_end": nt_rate / ds_rate, "detection_only": det_rate / ds_rate,
                           "per_cpu_second": cpu_ratio,
                           "narratrace_articles_per_s": nt_rate, "datasketch_articles_per_s": ds_rate,
                           "baseline_sample": ds["sample"]}
        p(f"narratrace articles/s ÷ datasketch articles/s = {nt_rate:.1f} / {ds_rate:.1f} = "
          f"{nt_rate / ds_rate:.2f}x  ({BASELINE_LABEL})")
        p(f"  detection only (excluding ingest): {det_rate:.1f} / {ds_rate:.1f} = {det_rate / ds_rate:.2f}x")
        p(f"  per CPU-second (whole process trees; datasketch runs in one process): {cpu_ratio:.2f}x")
        if ds["sample"]:
            p(f"  NOTE: datasketch throughput and recall/precision were measured on a random sample of "
              f"{ds['sample']:,} of {c['articles']:,} articles (truth restricted to pairs inside the sample).")
    p()
    for name, res in (("narratrace", nt), ("datasketch", ds)):
        if not res:
            continue
        sc = res["score"]
        kinds = ", ".join(f"{k} {fmt_pct(v)}" for k, v in sc["recall_by_kind"].items())
        p(f"{name}: recall {sc['found_planted']:,}/{sc['planted_pairs']:,} original→copy pairs "
          f"({kinds}); {sc['detected_pairs']:,} pairs detected, {sc['correct_pairs']:,} inside planted "
          f"groups ({sc['copy_copy_pairs']:,} copy↔copy), {sc['false_pairs']:,} false")
        if "direction_accuracy" in sc:
            p(f"{name}: direction (original correctly identified) {fmt_pct(sc['direction_accuracy'])} "
              f"of found original→copy pairs ({sc['direction_wrong']:,} wrong); evidence used over all "
              f"detected pairs: {', '.join(f'{k} {v:,}' for k, v in sorted(sc['evidence'].items()))}")
        if sc["false_examples"]:
            p(f"{name}: false pairs e.g. {sc['false_examples'][:3]}")
    if nt and nt.get("profile"):
        p(f"profile: {nt['profile']['text']} (timings above are inflated by cProfile)")
    variant = (f"-w{args.workers}" if args.workers is not None else "") \
        + ("-narratrace-only" if args.skip_baseline else "") + ("-baseline-only" if args.skip_narratrace else "") \
        + (f"-baseline-m{ds['sample']}" if ds and ds["sample"] else "") + ("-profiled" if args.profile else "")
    result_path = workdir / f"results-{tag}{variant}.json"
    result = _json_safe(result)
    result_path.write_text(json.dumps(result, indent=2, allow_nan=False))
    p(f"results: {result_path}")
    if args.json:
        print(json.dumps(result, allow_nan=False))


if __name__ == "__main__":
    main()
