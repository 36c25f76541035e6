#!/usr/bin/env python
"""minilm-int8 (ONNX, onnxruntime) against the torch MiniLM: sentences/s, cosine agreement, batch invariance.

    HF_HUB_OFFLINE=1 PYTHONPATH=src .venv/bin/python bench/minilm_int8.py [--sentences 2000]
        [--rounds 3] [--model-dir DIR] [--update-card] [--json OUT]

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


def batched(enc: Any, texts: Sequence[str], batch: int) -> np.ndarray:
    """The rejected alternative: texts sorted by length, padded batches through the same session."""
    encodings = [enc._tokenizer.encode(t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
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
    ap.add_argument("--update-card", action="store_true", help="write the figures into the encoder's card.json")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if args.sentences < 2:
        raise SystemExit("--sentences: at least 2")
    texts = news_sentences(args.data, args.sentences)
    words = sum(len(t.split()) for t in texts)
    print(f"{len(texts)} sentences, {words} words", file=sys.stderr, flush=True)

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


def _update_card(model_dir: Path, report: dict[str, Any]) -> None:
    import importlib.util

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
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location("build_encoder_onnx", ROOT / "tools" / "build_encoder_onnx.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.write_readme(model_dir)
    print(f"measures written to {card_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
