#!/usr/bin/env python
"""Encoders side by side: sentences/s and quality proxies of each, with ratios to a baseline.

    PYTHONPATH=src HF_HUB_OFFLINE=1 .venv/bin/python bench/encoders.py [--sentences 2000]
        [--encoders static,minilm] [--baseline minilm] [--extra DIR ...] [--narratives-trained]
        [--no-cache] [--update-card] [--json OUT]

Texts are read at bench time from ``../shared/data`` (never copied into the repository):

* speed: the first ``--sentences`` sentences of at least 4 words of the PTC (SemEval-2020 Task 11)
  training articles, real-length English news sentences, split by ``narratrace.text``. Each encoder
  is loaded and warmed up untimed, then encodes the whole list; a fast encoder repeats the pass
  until 3 s have gone by and the median pass counts. The encoders take turns for ``--rounds``
  rounds (the machine is shared: the 1-minute load average is recorded) and the median round
  counts. torch gets ``--cores`` threads; the static encoder runs in one thread.
* fact-check retrieval: CheckThat! 2022 Task 2A English (train queries; the collection of 14,231
  verified claims), dense retrieval only: a query (the tweet as ``narratrace match`` cleans it) scores
  each verified claim by the larger cosine to its claim text and to its title, as the
  ``factcheck_matches`` stage's ``cos_max`` feature. MAP@5, MAP@1, Recall@10, MRR, on all 997
  queries and on the ``heldout`` fifth that ``docs/quality.md`` uses.
* narratives: ``narratrace evaluate narratives`` on SemEval-2025 Task 10 dev/EN with the encoder
  swapped in (the shipped zero-shot model, its thresholds set on MiniLM's cosine scale); with
  ``--narratives-trained`` also a linear model trained on train/EN with that encoder.

The retrieval and narratives vectors are cached under ``bench/.cache/encoders`` keyed by the
encoder's version (its weights' SHA-256) and the texts (``--no-cache`` embeds again); timings are
never cached. ``--update-card`` writes the figures into the static encoder's ``card.json``.

``--gates`` also runs the quality gates of ``tests/quality_floors.json`` whose task embeds text
(narratives, framing, matching, techniques) with each encoder swapped in for MiniLM, each encoder
in a child process, and prints every measure against its floor. The shipped models of those tasks
were fitted or tuned on MiniLM's vectors, so this says what the encoder alone does to them
before anything is refitted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.pop("NARRATRACE_CACHE", None)  # the narratives cache is keyed by text only, not by encoder

import numpy as np  # noqa: E402

CACHE = ROOT / "bench" / ".cache" / "encoders"


def news_sentences(data: Path, n: int) -> list[str]:
    from narratrace.text import normalize_text, sentence_spans

    folder = data / "ptc-semeval2020-task11" / "datasets" / "train-articles"
    out: list[str] = []
    for file in sorted(folder.glob("article*.txt")):
        text = normalize_text(file.read_text(encoding="utf-8"))
        for s in sentence_spans(text):
            sentence = " ".join(text[s.start:s.end].split())
            if len(sentence.split()) >= 4:
                out.append(sentence)
                if len(out) >= n:
                    return out
    if not out:
        raise SystemExit(f"no sentences under {folder}")
    return out


class MiniLMDynamicInt8:
    """Candidate measured here, not shipped: MiniLM with torch's dynamic int8 quantization of its
    linear layers (made at load time from the same weights; no new dependency)."""

    dim = 384

    def __init__(self) -> None:
        import warnings

        import torch

        from narratrace.vectors import MiniLMEncoder

        base = MiniLMEncoder()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated in favour of torchao
            self._model = torch.ao.quantization.quantize_dynamic(base._model, {torch.nn.Linear}, dtype=torch.qint8)
        self.name = "minilm-int8"
        self.version = base.version + "+qint8-dynamic"

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                             convert_to_numpy=True, show_progress_bar=False), dtype=np.float32)


CANDIDATES = {"minilm-int8": MiniLMDynamicInt8}


def speed(enc: Any, texts: Sequence[str], *, min_seconds: float = 3.0) -> dict[str, Any]:
    enc.encode(list(texts[:64]))  # warm-up (first-call costs), untimed
    passes: list[float] = []
    total = 0.0
    while not passes or total < min_seconds:
        t = time.perf_counter()
        enc.encode(list(texts))
        dt = time.perf_counter() - t
        passes.append(dt)
        total += dt
    dt = statistics.median(passes)
    words = sum(len(t.split()) for t in texts)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None  # other jobs on a shared machine
    return {"sentences": len(texts), "words": words, "passes": len(passes), "seconds": round(dt, 3),
            "load_average_1min": round(load, 2) if load is not None else None,
            "sentences_per_s": round(len(texts) / dt, 1), "words_per_s": round(words / dt, 1)}


def cached_encode(enc: Any, texts: Sequence[str], label: str, use_cache: bool) -> np.ndarray:
    """Unit rows; an empty text gets a zero row (as ``factchecks.embedding.embed``)."""
    h = hashlib.sha256(enc.version.encode())
    for t in texts:
        h.update(b"\0" + t.encode("utf-8"))
    path = CACHE / f"{label}-{h.hexdigest()[:20]}.npy"
    if use_cache and path.is_file():
        return np.load(path)
    out = np.zeros((len(texts), enc.dim), dtype=np.float32)
    keep = [i for i, t in enumerate(texts) if t and t.strip()]
    if keep:
        out[keep] = enc.encode([texts[i] for i in keep])
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, out)
    return out


def retrieval(enc: Any, data: Path, use_cache: bool) -> dict[str, Any]:
    from narratrace.evaluation import in_split
    from narratrace.evaluation.matching import _measures, read_claim_retrieval
    from narratrace.factchecks.matching import clean_query

    found = read_claim_retrieval(data / "checkthat-claim-retrieval-en")
    ids = [str(v["vclaim_id"]) for v in found.vclaims]
    # the texts that evaluation.matching embeds, so that the hybrid run below reuses these vectors
    claims = cached_encode(enc, [str(v.get("vclaim") or "") for v in found.vclaims], "vclaims-vclaim", use_cache)
    titles = cached_encode(enc, [str(v.get("title") or "") for v in found.vclaims], "vclaims-title", use_cache)
    qids = list(found.queries)
    queries = cached_encode(enc, [clean_query(found.queries[q]) for q in qids], "queries", use_cache)
    scores = np.maximum(queries @ claims.T, queries @ titles.T)
    top = np.argsort(-scores, axis=1, kind="stable")[:, :20]
    runs = {q: [ids[j] for j in top[i]] for i, q in enumerate(qids)}
    held = {q: r for q, r in runs.items() if in_split(q, "heldout")}
    return {"all": {"n": len(runs), **_measures(runs, found.qrels)},
            "heldout": {"n": len(held), **_measures(held, {q: found.qrels[q] for q in held})}}


def hybrid(enc: Any, data: Path, use_cache: bool) -> dict[str, Any]:
    """``narratrace evaluate matching --split heldout`` (BM25 + dense, the hybrid-v1 re-ranker, whose
    weights were fit on MiniLM's features) with the encoder swapped in."""
    import narratrace.factchecks.embedding as fe
    from narratrace.evaluation import run_evaluation

    original = fe.embed_cached

    def swapped(texts: Sequence[str], cache: Any, *, label: str = "texts") -> np.ndarray:
        v = cached_encode(enc, list(texts), label, use_cache)
        # the fact-check store holds 384-d rows; zero padding leaves every cosine as it is
        return np.pad(v, ((0, 0), (0, max(0, 384 - v.shape[1]))))

    fe.embed_cached = swapped  # type: ignore[assignment]
    try:
        r = run_evaluation("matching", data / "checkthat-claim-retrieval-en", split="heldout", cache=None)
    finally:
        fe.embed_cached = original  # type: ignore[assignment]
    return {"n": r["n"], **{k: r["measures"][k] for k in ("map_at_1", "map_at_5", "recall_at_10", "mrr")},
            "bm25_alone_map_at_5": r["baselines"]["bm25"]["map_at_5"]}


def narratives(enc: Any, data: Path, *, trained: bool) -> dict[str, Any]:
    import narratrace.vectors as nv
    from narratrace.evaluation import run_evaluation, run_training
    from narratrace.narratives import classifier

    original = nv._load_encoder

    classifier._embed_cached.cache_clear()
    classifier._load.cache_clear()
    nv._load_encoder = lambda name: enc  # type: ignore[assignment]  # every encoder name, MiniLM's included
    try:
        root = data / "semeval2025-task10"
        zero = run_evaluation("narratives", root / "dev" / "EN")
        out: dict[str, Any] = {"zero_shot": {"n": zero["n"], **zero["measures"]["f1_samples"],
                                             "seconds": zero["seconds"]}}
        if trained:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                run_training("narratives", root / "train" / "EN", tmp, split="all")
                lin = run_evaluation("narratives", root / "dev" / "EN", model=tmp)
            out["trained_linear"] = {"n": lin["n"], **lin["measures"]["f1_samples"]}
        return out
    finally:
        nv._load_encoder = original  # type: ignore[assignment]
        classifier._embed_cached.cache_clear()
        classifier._load.cache_clear()


def gates_child(name: str) -> None:
    """(In a child process, so that no model or cache of another encoder is left over.) Run every
    gate of ``tests/quality_floors.json`` that can use an encoder, with ``name`` swapped in for
    MiniLM, and print ``{gate: {measure: [value, floor]}}`` as JSON on stdout."""
    import narratrace.vectors as nv
    from narratrace.evaluation import flatten_measures, run_evaluation

    enc = CANDIDATES[name]() if name in CANDIDATES else nv.load_encoder(name)
    nv._load_encoder = lambda _name: enc  # type: ignore[assignment]  # every encoder name, MiniLM's included
    os.chdir(ROOT)
    floors = json.loads((ROOT / "tests" / "quality_floors.json").read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    for gate in floors["gates"]:
        if gate["task"] not in ENCODER_GATES or (gate.get("requires") and not Path(gate["requires"]).exists()):
            continue
        measured = flatten_measures(run_evaluation(gate["task"], gate["data"], **gate.get("options", {}))["measures"])
        out[f"{gate['task']}:{Path(gate['data']).stem}"] = {m: [measured.get(m), f] for m, f in gate["floors"].items()}
    print(json.dumps(out))


ENCODER_GATES = ("narratives", "framing", "matching", "techniques")


def gates(name: str) -> dict[str, Any]:
    import subprocess

    done = subprocess.run([sys.executable, __file__, "--gates-child", name], capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    if done.returncode:
        raise SystemExit(f"gates with {name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ratios(value: Any, base: Any) -> Any:
    if isinstance(value, dict) and isinstance(base, dict):
        return {k: ratios(v, base[k]) for k, v in value.items()
                if k in base and k not in ("n", "passes", "sentences", "words", "load_average_1min")}
    if isinstance(value, (int, float)) and isinstance(base, (int, float)) and base:
        return round(value / base, 3)
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--encoders", default="static,minilm",
                    help=f"comma-separated: static, minilm, or a candidate measured only here ({', '.join(CANDIDATES)})")
    ap.add_argument("--extra", type=Path, action="append", default=[], help="another static model directory")
    ap.add_argument("--baseline", default="minilm")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="speed passes per encoder, taken in turns; the median counts")
    ap.add_argument("--no-narratives", action="store_true")
    ap.add_argument("--narratives-trained", action="store_true", help="also train a linear model per encoder")
    ap.add_argument("--no-retrieval", action="store_true")
    ap.add_argument("--no-cache", action="store_true")
    ap.add_argument("--update-card", action="store_true", help="write the figures into the static encoder's card")
    ap.add_argument("--gates", action="store_true",
                    help=f"also run the quality gates that embed ({', '.join(ENCODER_GATES)}) with each encoder")
    ap.add_argument("--gates-child", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.gates_child:
        gates_child(args.gates_child)
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, set(range(min(args.cores, os.cpu_count() or 1))))
    import torch

    torch.set_num_threads(args.cores)
    from narratrace.vectors import load_encoder

    texts = news_sentences(args.data, args.sentences)
    names = [n for n in args.encoders.split(",") if n] + [str(p) for p in args.extra]
    results: dict[str, dict[str, Any]] = {}
    loaded: dict[str, Any] = {}
    for name in names:
        t = time.perf_counter()
        loaded[name] = CANDIDATES[name]() if name in CANDIDATES else load_encoder(name)
        results[name] = {"version": loaded[name].version, "dim": loaded[name].dim,
                         "load_seconds": round(time.perf_counter() - t, 2)}
    # Speed first, the encoders taking turns (--rounds), so that they share the machine's load alike.
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _ in range(args.rounds):
        for name in names:
            rounds[name].append(speed(loaded[name], texts))
    for name in names:
        best = sorted(rounds[name], key=lambda r: r["sentences_per_s"])[len(rounds[name]) // 2]  # the median round
        results[name]["speed"] = {**best, "rounds": [r["sentences_per_s"] for r in rounds[name]]}
        print(f"{name}: {best['sentences_per_s']:,.0f} sentences/s ({best['words_per_s']:,.0f} words/s, "
              f"{loaded[name].dim} dims; rounds {results[name]['speed']['rounds']}, "
              f"load average {best['load_average_1min']})", file=sys.stderr, flush=True)
    for name in names:
        enc, row = loaded[name], results[name]
        if not args.no_retrieval:
            row["retrieval"] = retrieval(enc, args.data, not args.no_cache)
            print(f"{name}: MAP@5 {row['retrieval']['all']['map_at_5']:.4f} (all), "
                  f"{row['retrieval']['heldout']['map_at_5']:.4f} (heldout)", file=sys.stderr, flush=True)
            row["hybrid"] = hybrid(enc, args.data, not args.no_cache)
            print(f"{name}: hybrid MAP@5 {row['hybrid']['map_at_5']:.4f} (heldout)", file=sys.stderr, flush=True)
        if not args.no_narratives:
            row["narratives"] = narratives(enc, args.data, trained=args.narratives_trained)
            print(f"{name}: narratives {row['narratives']}", file=sys.stderr, flush=True)
        if args.gates:
            row["gates"] = gates(name)
            below = {g: {m: v for m, v in ms.items() if v[0] is None or v[0] < v[1]} for g, ms in row["gates"].items()}
            print(f"{name}: gates below their floors: {({g: m for g, m in below.items() if m}) or 'none'}",
                  file=sys.stderr, flush=True)
    base = results.get(args.baseline)
    report: dict[str, Any] = {"texts": {"speed": "PTC train articles, first sentences of >= 4 words",
                                        "sentences": len(texts)},
                              "cores": args.cores, "baseline": args.baseline, "encoders": results}
    if base is not None:
        report["ratios"] = {n: {k: ratios(r[k], base[k]) for k in ("speed", "retrieval", "hybrid", "narratives")
                                if k in r and k in base} for n, r in results.items() if n != args.baseline}
    _print_table(report)
    if args.gates:
        _print_gates(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.update_card and "static" in results:
        _update_card(report)


def _print_table(report: dict[str, Any]) -> None:
    base = report["baseline"]
    rows = [("sentences/s", ("speed", "sentences_per_s")), ("words/s", ("speed", "words_per_s")),
            ("MAP@5 (997)", ("retrieval", "all", "map_at_5")), ("MAP@1 (997)", ("retrieval", "all", "map_at_1")),
            ("Recall@10 (997)", ("retrieval", "all", "recall_at_10")),
            ("MAP@5 (heldout)", ("retrieval", "heldout", "map_at_5")),
            ("hybrid MAP@5 (heldout)", ("hybrid", "map_at_5")), ("hybrid MAP@1 (heldout)", ("hybrid", "map_at_1")),
            ("narr. F1 zero-shot", ("narratives", "zero_shot", "narratives")),
            ("subnarr. F1 zero-shot", ("narratives", "zero_shot", "subnarratives")),
            ("narr. F1 linear", ("narratives", "trained_linear", "narratives")),
            ("subnarr. F1 linear", ("narratives", "trained_linear", "subnarratives"))]

    def get(row: dict[str, Any], path: Sequence[str]) -> Any:
        for p in path:
            if not isinstance(row, dict) or p not in row:
                return None
            row = row[p]
        return row

    names = list(report["encoders"])
    print(f"{'':24s}" + "".join(f"{Path(n).name:>14s}" for n in names) + "".join(
        f"{Path(n).name + '/' + base:>20s}" for n in names if n != base))
    for label, path in rows:
        values = [get(report["encoders"][n], path) for n in names]
        if all(v is None for v in values):
            continue
        b = get(report["encoders"].get(base, {}), path)
        cells = "".join(f"{v:>14,.4f}" if isinstance(v, float) and v < 10 else
                        (f"{v:>14,.0f}" if v is not None else f"{'-':>14s}") for v in values)
        cells += "".join(f"{(v / b if v is not None and b else float('nan')):>20.3f}"
                         for n, v in zip(names, values) if n != base)
        print(f"{label:24s}{cells}")


def _print_gates(report: dict[str, Any]) -> None:
    names = list(report["encoders"])
    print(f"\n{'quality gate (value / floor)':56s}" + "".join(f"{Path(n).name:>14s}" for n in names))
    first = report["encoders"][names[0]]["gates"]
    for gate, measures in first.items():
        for measure, (_, floor) in measures.items():
            cells = ""
            for n in names:
                value = report["encoders"][n]["gates"].get(gate, {}).get(measure, [None])[0]
                mark = "" if value is not None and value >= floor else " !"
                cells += f"{(f'{value:.3f}' if value is not None else '-') + mark:>14s}"
            print(f"{(gate + ' ' + measure + f' ({floor})')[:56]:56s}{cells}")
    print("(! = below its floor)")


def _update_card(report: dict[str, Any]) -> None:
    from narratrace.cards import add_measures, load_card
    from narratrace.vectors import static_model_dir

    path = static_model_dir()
    load_card(path)
    rows = report["encoders"]
    static = rows["static"]
    values: dict[str, Any] = {"sentences_per_s": static["speed"]["sentences_per_s"],
                              "words_per_s": static["speed"]["words_per_s"]}
    if "retrieval" in static:
        values["checkthat_dense"] = {k: static["retrieval"]["all"][k] for k in ("map_at_1", "map_at_5", "recall_at_10",
                                                                               "mrr")}
    if "hybrid" in static:
        values["checkthat_hybrid_heldout"] = {k: static["hybrid"][k] for k in ("map_at_1", "map_at_5", "recall_at_10")}
    if "narratives" in static:
        values["narratives_zero_shot"] = {k: static["narratives"]["zero_shot"][k]
                                          for k in ("narratives", "subnarratives")}
    measures = {"data": "speed: PTC train sentences; retrieval: CheckThat! 2022 2A EN train (997 queries, dense only); "
                        "narratives: SemEval-2025 Task 10 dev/EN (zero-shot-v1)",
                "split": "all", "n": static["speed"]["sentences"], "cores": report["cores"],
                "measured": time.strftime("%Y-%m-%d", time.gmtime()), "command": "python bench/encoders.py --update-card",
                "values": values}
    base = rows.get(report["baseline"])
    if base is not None:
        measures["baseline"] = {"name": report["baseline"], "version": base["version"],
                                "sentences_per_s": base["speed"]["sentences_per_s"],
                                **({"checkthat_dense_map_at_5": base["retrieval"]["all"]["map_at_5"]}
                                   if "retrieval" in base else {}),
                                **({"checkthat_hybrid_heldout_map_at_5": base["hybrid"]["map_at_5"]}
                                   if "hybrid" in base else {}),
                                **({"narratives_zero_shot": {k: base["narratives"]["zero_shot"][k]
                                                             for k in ("narratives", "subnarratives")}}
                                   if "narratives" in base else {})}
    add_measures(path, measures)
    print(f"updated {path / 'card.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
