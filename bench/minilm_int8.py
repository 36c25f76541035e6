#!/usr/bin/env python
"""minilm-int8 (ONNX, onnxruntime) against the torch MiniLM: sentences/s, cosine agreement, batch invariance.

    HF_HUB_OFFLINE=1 PYTHONPATH=src .venv/bin/python bench/minilm_int8.py [--sentences 2000]
        [--rounds 3] [--model-dir DIR] [--candidate DIR [--batches 1,8,16,32]] [--update-card] [--json OUT]

Texts are read at bench time from ``../shared/data`` (never copied into the repository): the first
``--sentences`` sentences of at least 4 words of the PTC (SemEval-2020 Task 11) training articles,
split by ``narratrace.text``, as ``bench/encoders.py`` reads them. In one run:

* speed, one process, one thread: the torch MiniLM (``vectors.MiniLMEncoder``, batch 64 as the
  stages call it, ``torch.set_num_threads(1)``) and ``minilm-int8`` (``intra_op_num_threads=1``)
  each encode the whole list; they take turns for ``--rounds`` rounds and the median counts. Each is
  loaded and warmed up untimed. The machine may be shared: the 1-minute load average is recorded.
* speed, one process, two threads (torch 2 threads; ``NARRATRACE_ENCODER_THREADS=2``), and two
  processes of one thread each (as a pipeline's pool runs them), each encoding half the list,
  started together: sentences/s is the whole list over the wall time from the start to the last
  one's end. Process start-up and model loading are not timed.
* agreement: the cosine of each sentence's int8 vector to its torch vector (mean, min, 1st
  percentile, share at or above 0.95 and 0.98).
* batch invariance of the shipped encoder (it runs texts one at a time): the vectors of 200
  sentences encoded together, in reverse order and one by one, and with two threads, compared as
  bytes.
* the alternative it was chosen over: sorting the texts by length and running padded batches of
  8 and 32 through the same session, timed, and compared with the one-at-a-time vectors (dynamic
  quantisation scales a whole batch's activations together, so the vectors change with the batch).

``--update-card`` writes the figures into the encoder's ``card.json`` ``measures`` (and its
README); the card is not part of the weights' hash, so the encoder's version does not change.

``--candidate DIR`` measures a statically quantised build (``tools/build_encoder_onnx.py --static``)
instead (:func:`candidate`): its cosine to the torch MiniLM next to the shipped encoder's, its batch
invariance (each text alone against padded batches of mixed lengths, sorted and reversed), and its
speed in batches sorted by length (``--batches``) against the shipped encoder one text at a time,
in one thread, taking turns for ``--rounds`` rounds. Ratios are given for wall time and for this
process's CPU time: on a shared machine the wall time of a one-thread process also counts the time
it waited for a core, and that wait changes from one pass to the next.

    PYTHONPATH=src .venv/bin/python bench/minilm_int8.py --candidate build/minilm-int8s-v1 [--update-card]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402


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
    if len(out) < n:
        raise SystemExit(f"only {len(out)} sentences under {folder}, {n} wanted")
    return out


def load(kind: str, threads: int, model_dir: str | None) -> Any:
    from narratrace import vectors

    if kind == "torch":
        import torch

        torch.set_num_threads(threads)
        return vectors.MiniLMEncoder()
    return vectors.Int8MiniLMEncoder(model_dir, threads=threads)


def timed(enc: Any, texts: Sequence[str]) -> tuple[float, np.ndarray]:
    t = time.perf_counter()
    v = enc.encode(list(texts))
    return time.perf_counter() - t, v


def _child(kind: str, model_dir: str | None, texts: list[str], ready: Any, go: Any, results: Any) -> None:
    enc = load(kind, 1, model_dir)
    enc.encode(texts[:32])  # warm-up, untimed
    ready.put(os.getpid())
    go.wait()
    start = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
    enc.encode(texts)
    results.put((start, time.monotonic()))


def two_processes(kind: str, model_dir: str | None, texts: Sequence[str]) -> float:
    """Sentences/s of two one-thread processes, each encoding half of ``texts``, started together."""
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    half = len(texts) // 2
    parts = [list(texts[:half]), list(texts[half:])]
    procs = [ctx.Process(target=_child, args=(kind, model_dir, part, ready, go, results)) for part in parts]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=600)
    go.set()
    spans = [results.get(timeout=1200) for _ in procs]
    for p in procs:
        p.join()
    return len(texts) / (max(e for _, e in spans) - min(s for s, _ in spans))


def batched(enc: Any, texts: Sequence[str], batch: int, *, by_length: bool = True) -> np.ndarray:
    """Texts sorted by length (unless not ``by_length``: in the given order, so lengths mix), in padded
    batches through the encoder's session: the shipped model's rejected alternative, the candidate's way."""
    encodings = [enc._tokenizer.encode(t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids)) if by_length else list(range(len(texts)))
    out = np.zeros((len(texts), enc.dim), dtype=np.float32)
    for k in range(0, len(order), batch):
        rows = order[k:k + batch]
        width = max(len(encodings[i].ids) for i in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, i in enumerate(rows):
            ids[r, :len(encodings[i].ids)] = encodings[i].ids
            mask[r, :len(encodings[i].ids)] = 1
        hidden = enc._session.run([enc._output], {"input_ids": ids, "attention_mask": mask,
                                                  "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--sentences", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3, help="one-thread passes per encoder, taken in turns")
    ap.add_argument("--model-dir", help="an int8 encoder directory (default: the shipped minilm-int8-v1)")
    ap.add_argument("--candidate", type=Path, metavar="DIR",
                    help="measure a statically quantised build (tools/build_encoder_onnx.py --static) batched, "
                         "against the shipped minilm-int8 one at a time, instead of the shipped one against torch")
    ap.add_argument("--batches", default="1,8,16,32", help="--candidate: the batch sizes timed")
    ap.add_argument("--update-card", action="store_true",
                    help="write the figures into the encoder's card.json (the candidate's, with --candidate)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.sentences < 2:
        raise SystemExit("--sentences: at least 2")
    texts = news_sentences(args.data, args.sentences)
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} sentences, {words} words", file=sys.stderr, flush=True)
    if args.candidate:
        report = candidate(texts, args.candidate, args.model_dir, rounds=args.rounds,
                           batches=[int(b) for b in args.batches.split(",")])
        report = {"texts": "PTC (SemEval-2020 Task 11) train articles, first sentences of >= 4 words",
                  "sentences": len(texts), "words": words, **report}
        print(json.dumps(report, indent=1))
        if args.json:
            args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        if args.update_card:
            _update_candidate_card(args.candidate, report)
        return

    torch_enc, int8_enc = load("torch", 1, None), load("int8", 1, args.model_dir)
    for enc in (torch_enc, int8_enc):
        enc.encode(texts[:64])  # warm-up, untimed
    rounds: dict[str, list[float]] = {"torch": [], "int8": []}
    vectors: dict[str, np.ndarray] = {}
    loads = []
    for _ in range(args.rounds):
        for name, enc in (("torch", torch_enc), ("int8", int8_enc)):
            dt, vectors[name] = timed(enc, texts)
            rounds[name].append(round(len(texts) / dt, 1))
            loads.append(os.getloadavg()[0])
            print(f"{name} 1 thread: {rounds[name][-1]} sentences/s", file=sys.stderr, flush=True)
    one_thread = {name: statistics.median(r) for name, r in rounds.items()}

    cos = np.sum(vectors["int8"] * vectors["torch"], axis=1)
    agreement = {"mean": round(float(cos.mean()), 4), "min": round(float(cos.min()), 4),
                 "p01": round(float(np.percentile(cos, 1)), 4),
                 "share_at_least_0_95": round(float((cos >= 0.95).mean()), 4),
                 "share_at_least_0_98": round(float((cos >= 0.98).mean()), 4)}
    print(f"cosine int8 vs torch: {agreement}", file=sys.stderr, flush=True)

    # Two threads in one process.
    import torch

    torch.set_num_threads(2)
    dt_torch2, _ = timed(torch_enc, texts)
    torch.set_num_threads(1)
    int8_two = load("int8", 2, args.model_dir)
    int8_two.encode(texts[:64])
    dt_int8_2, v_int8_2 = timed(int8_two, texts)
    two_threads = {"torch": round(len(texts) / dt_torch2, 1), "int8": round(len(texts) / dt_int8_2, 1)}
    print(f"2 threads: {two_threads}", file=sys.stderr, flush=True)

    # Two processes of one thread.
    procs = {name: round(two_processes(name, args.model_dir, texts), 1) for name in ("torch", "int8")}
    print(f"2 processes: {procs}", file=sys.stderr, flush=True)

    # Batch invariance of the shipped encoder.
    sample = texts[:200]
    together = int8_enc.encode(sample)
    reverse = int8_enc.encode(sample[::-1])[::-1]
    singles = np.vstack([int8_enc.encode([t]) for t in sample])
    invariance = {"n": len(sample), "together_equals_one_by_one": bool(np.array_equal(together, singles)),
                  "reverse_order_equals": bool(np.array_equal(together, reverse)),
                  "two_threads_equal_one_thread": bool(np.array_equal(v_int8_2, vectors["int8"])),
                  "two_threads_max_abs_diff": float(f"{np.abs(v_int8_2 - vectors['int8']).max():.3g}")}
    print(f"invariance: {invariance}", file=sys.stderr, flush=True)

    # The rejected alternative: padded batches sorted by length.
    alternative: dict[str, Any] = {}
    for size in (8, 32):
        t = time.perf_counter()
        b = batched(int8_enc, texts, size)
        dt = time.perf_counter() - t
        b_rev = batched(int8_enc, texts[::-1], size)[::-1]
        alternative[f"batch_{size}"] = {
            "sentences_per_s": round(len(texts) / dt, 1),
            "max_abs_diff_vs_one_at_a_time": float(f"{np.abs(b - vectors['int8']).max():.3g}"),
            "max_abs_diff_other_order": float(f"{np.abs(b - b_rev).max():.3g}"),
            "cosine_vs_torch_mean": round(float(np.sum(b * vectors["torch"], axis=1).mean()), 4)}
    print(f"padded batches (not shipped): {alternative}", file=sys.stderr, flush=True)

    report = {
        "texts": "PTC (SemEval-2020 Task 11) train articles, first sentences of >= 4 words", "sentences": len(texts),
        "words": words, "cpu_count": os.cpu_count(), "load_average_1min": round(statistics.median(loads), 2),
        "int8_version": int8_enc.version, "torch_version": torch_enc.version,
        "one_thread": {"torch": one_thread["torch"], "int8": one_thread["int8"],
                       "speedup": round(one_thread["int8"] / one_thread["torch"], 2), "rounds": rounds},
        "two_threads": two_threads, "two_processes": procs,
        "cosine_vs_torch": agreement, "invariance": invariance, "padded_batches_not_shipped": alternative,
    }
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.update_card:
        _update_card(Path(int8_enc.path), report)


def clocked(fn: Any) -> tuple[float, float]:
    """Wall and CPU seconds of ``fn()`` (this process's CPU time: on a shared machine it counts only
    the time this one-thread process ran, not the time it waited for a core)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def agreement_with(v: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    cos = np.sum(v * ref, axis=1)
    return {"mean": round(float(cos.mean()), 4), "min": round(float(cos.min()), 4),
            "p01": round(float(np.percentile(cos, 1)), 4), "share_at_least_0_98": round(float((cos >= 0.98).mean()), 4)}


def candidate(texts: Sequence[str], model_dir: Path, shipped_dir: str | None, *, rounds: int,
              batches: Sequence[int]) -> dict[str, Any]:
    """A statically quantised build, batched, against the shipped ``minilm-int8``, one text at a time.

    * agreement: cosine of the candidate's vectors (batches of 16 sorted by length) and of the shipped
      encoder's to the torch MiniLM's (one one-thread pass), and of the two to each other.
    * batch invariance, on the first 200 texts: each alone (a batch of one), against padded batches of
      16 in the given order (mixed lengths), sorted batches of 32 and batches of 16 in reverse order
      (max abs difference per coordinate, and whether the bytes are equal).
    * speed, one thread, one process: the shipped encoder over all texts, then the candidate in sorted
      batches of each size in ``batches``, in turns for ``rounds`` rounds; the ratios are the medians'
      (wall time and CPU time). Then timed in pairs (:func:`paired`), batches of 16: chunks of 96 of the
      whole list sorted by length, and chunks of 100 as given (about two articles' sentences).
    """
    import torch

    from narratrace import vectors

    torch.set_num_threads(1)
    loads = [os.getloadavg()[0]]
    reference = vectors.MiniLMEncoder().encode(list(texts))
    shipped = load("int8", 1, shipped_dir)
    cand = vectors.Int8MiniLMEncoder(model_dir, name="candidate", threads=1)
    shipped.encode(texts[:64]), batched(cand, texts[:64], 16)  # warm-up, untimed
    v_shipped, v_cand = shipped.encode(texts), batched(cand, texts, 16)
    agreement = {"candidate_vs_torch": agreement_with(v_cand, reference),
                 "shipped_vs_torch": agreement_with(v_shipped, reference),
                 "candidate_vs_shipped": agreement_with(v_cand, v_shipped)}
    print(f"agreement: {agreement}", file=sys.stderr, flush=True)

    sample = list(texts[:200])
    alone = batched(cand, sample, 1)  # each text alone, pooled as the batches are
    others = {"mixed_lengths_16": batched(cand, sample, 16, by_length=False),
              "sorted_32": batched(cand, sample, 32),
              "reverse_order_16": batched(cand, sample[::-1], 16, by_length=False)[::-1]}
    # The encoder's own one-at-a-time path pools in another order (a float32 rounding apart).
    invariance: dict[str, Any] = {"n": len(sample), "encoder_pooling_max_abs_diff":
                                  float(f"{np.abs(cand.encode(sample) - alone).max():.3g}")}
    for key, v in others.items():
        invariance[f"{key}_max_abs_diff"] = float(f"{np.abs(v - alone).max():.3g}")
        invariance[f"{key}_equal"] = bool(np.array_equal(v, alone))
    print(f"invariance: {invariance}", file=sys.stderr, flush=True)

    base: list[tuple[float, float]] = []
    timings: dict[int, list[tuple[float, float]]] = {b: [] for b in batches}
    for _ in range(rounds):
        base.append(clocked(lambda: shipped.encode(texts)))
        for b in batches:
            timings[b].append(clocked(lambda: batched(cand, texts, b)))
        loads.append(os.getloadavg()[0])
        print(f"round: shipped {len(texts) / base[-1][0]:.0f} sentences/s, "
              + ", ".join(f"batch {b} x{base[-1][0] / t[-1][0]:.2f} (cpu x{base[-1][1] / t[-1][1]:.2f})"
                          for b, t in timings.items()), file=sys.stderr, flush=True)
    wall = statistics.median(t for t, _ in base)
    cpu = statistics.median(c for _, c in base)
    speed: dict[str, Any] = {"shipped_one_at_a_time": {"sentences_per_s_wall": round(len(texts) / wall, 1),
                                                       "sentences_per_s_cpu": round(len(texts) / cpu, 1)}}
    for b, t in timings.items():
        speed[f"candidate_batch_{b}"] = {
            "sentences_per_s_wall": round(len(texts) / statistics.median(w for w, _ in t), 1),
            "ratio_wall": round(wall / statistics.median(w for w, _ in t), 2),
            "ratio_cpu": round(cpu / statistics.median(c for _, c in t), 2),
            "ratio_cpu_per_round": [round(c0 / c, 2) for (_, c0), (_, c) in zip(base, t)]}
    pairs = {"sorted_list_chunks_of_96": paired(shipped, cand, texts, chunk=96, batch=16, whole_list_sorted=True),
             "chunks_of_100_as_given": paired(shipped, cand, texts, chunk=100, batch=16, whole_list_sorted=False)}
    loads.append(os.getloadavg()[0])
    print(f"paired: {pairs}", file=sys.stderr, flush=True)
    return {"candidate_version": cand.version, "shipped_version": shipped.version, "rounds": rounds,
            "cpu_count": os.cpu_count(), "load_average_1min": round(statistics.median(loads), 2),
            "cosine": agreement, "invariance": invariance, "speed_1_thread": speed, "paired_1_thread": pairs}


def paired(shipped: Any, cand: Any, texts: Sequence[str], *, chunk: int, batch: int, whole_list_sorted: bool,
           passes: int = 2) -> dict[str, Any]:
    """Speed ratio timed in pairs: for each ``chunk`` of texts the shipped encoder (one at a time) and the
    candidate (``batched``) run back to back, in alternating order, so a change of the machine's load
    hits both of a pair. ``whole_list_sorted``: the chunks are cut from the whole list sorted by length
    (a caller with many texts, batches of near-equal length); else from the list as given, each chunk
    sorted on its own (a caller with ``chunk`` texts, more padding)."""
    if whole_list_sorted:
        lengths = [len(cand._tokenizer.encode(t).ids) for t in texts]
        texts = [texts[i] for i in sorted(range(len(texts)), key=lambda i: lengths[i])]
    totals = {"shipped": [0.0, 0.0], "candidate": [0.0, 0.0]}
    wall_ratios, cpu_ratios = [], []
    for n in range(passes):
        for k in range(0, len(texts), chunk):
            part = list(texts[k:k + chunk])
            runs = [("shipped", lambda: shipped.encode(part)), ("candidate", lambda: batched(cand, part, batch))]
            if (k // chunk + n) % 2:
                runs.reverse()
            got = {name: clocked(fn) for name, fn in runs}
            for name, (w, c) in got.items():
                totals[name][0] += w
                totals[name][1] += c
            wall_ratios.append(got["shipped"][0] / got["candidate"][0])
            cpu_ratios.append(got["shipped"][1] / got["candidate"][1])
    return {"chunk": chunk, "batch": batch, "whole_list_sorted": whole_list_sorted, "pairs": len(wall_ratios),
            "ratio_wall": round(totals["shipped"][0] / totals["candidate"][0], 2),
            "ratio_cpu": round(totals["shipped"][1] / totals["candidate"][1], 2),
            "median_pair_ratio_wall": round(statistics.median(wall_ratios), 2),
            "pair_ratio_wall_quartiles": [round(float(q), 2) for q in np.percentile(wall_ratios, [25, 75])],
            "median_pair_ratio_cpu": round(statistics.median(cpu_ratios), 2)}


def _update_candidate_card(model_dir: Path, report: dict[str, Any]) -> None:
    card_path = model_dir / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    best = max((k for k in report["speed_1_thread"] if k.startswith("candidate_")),
               key=lambda k: report["speed_1_thread"][k]["ratio_cpu"])
    invariant = all(v for k, v in report["invariance"].items() if k.endswith("_equal"))
    card["measures"] = {
        "data": "speed and agreement: " + report["texts"], "split": "all", "n": report["sentences"],
        "cores": report["cpu_count"], "load_average_1min": report["load_average_1min"],
        "measured": date.today().isoformat(), "command": "python bench/minilm_int8.py --candidate DIR --update-card",
        "values": {"cosine_vs_minilm_mean": report["cosine"]["candidate_vs_torch"]["mean"],
                   "cosine_vs_minilm_min": report["cosine"]["candidate_vs_torch"]["min"],
                   "cosine_vs_minilm_p01": report["cosine"]["candidate_vs_torch"]["p01"],
                   "batch_invariant": invariant,
                   "fastest": best, "speed_vs_minilm_int8_cpu": report["speed_1_thread"][best]["ratio_cpu"],
                   "speed_vs_minilm_int8_wall": report["speed_1_thread"][best]["ratio_wall"],
                   "paired_speed_vs_minilm_int8_wall": {k: v["ratio_wall"] for k, v in report["paired_1_thread"].items()}},
        "report": report,
    }
    _write_card(model_dir, card)


def _write_card(model_dir: Path, card: dict[str, Any]) -> None:
    import importlib.util

    card_path = model_dir / "card.json"
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("build_encoder_onnx", ROOT / "tools" / "build_encoder_onnx.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.write_readme(model_dir)
    print(f"measures written to {card_path}", file=sys.stderr)


def _update_card(model_dir: Path, report: dict[str, Any]) -> None:
    card_path = model_dir / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["measures"] = {
        "data": "speed and agreement: " + report["texts"], "split": "all", "n": report["sentences"],
        "cores": report["cpu_count"], "load_average_1min": report["load_average_1min"],
        "measured": date.today().isoformat(), "command": "python bench/minilm_int8.py --update-card",
        "values": {"sentences_per_s_1_thread": report["one_thread"]["int8"],
                   "sentences_per_s_2_threads": report["two_threads"]["int8"],
                   "sentences_per_s_2_processes": report["two_processes"]["int8"],
                   "speedup_vs_minilm_1_thread": report["one_thread"]["speedup"],
                   "cosine_vs_minilm_mean": report["cosine_vs_torch"]["mean"],
                   "cosine_vs_minilm_min": report["cosine_vs_torch"]["min"],
                   "cosine_vs_minilm_p01": report["cosine_vs_torch"]["p01"],
                   "batch_invariant": report["invariance"]["together_equals_one_by_one"]
                   and report["invariance"]["reverse_order_equals"]},
        "baseline": {"name": "minilm", "version": report["torch_version"],
                     "sentences_per_s_1_thread": report["one_thread"]["torch"],
                     "sentences_per_s_2_threads": report["two_threads"]["torch"],
                     "sentences_per_s_2_processes": report["two_processes"]["torch"]},
        "padded_batches_not_shipped": report["padded_batches_not_shipped"],
    }
    _write_card(model_dir, card)


if __name__ == "__main__":
    main()
