"""Technique spans by a fine-tuned MiniLM (``narratrace train techniques --fine-tune``): the strong option.

A BIO token tagger over the 14 techniques (:class:`narratrace.finetune.TokenClassifier`: tag ``O``,
``B-<technique>`` and ``I-<technique>`` for each word piece, one softmax), so one network finds the
spans (SI) and names their technique (TC). MiniLM reads ``max_length`` (256) word pieces at most and
an article is longer, so an article is cut into *windows* of consecutive sentences
(:func:`windows`: the sentences of :func:`~narratrace.techniques.base.sentences_of`, as many as fit;
a longer sentence is cut at word pieces), and each window is tagged on its own. Offsets come from
the tokenizer's offset mapping, so every span is a ``[start, end)`` of the article's own text.

Decoding (:func:`decode_spans`): a word piece is *inside* when ``1 - P(O)`` reaches ``threshold``;
runs of inside pieces become spans, a new span starting where the ``B-`` tags outweigh the ``I-``
ones (two techniques side by side); spans are trimmed as PTC's (no leading/trailing space or
``.,:;``). A span's technique is the one with the most ``B-`` + ``I-`` probability over its pieces;
:meth:`FineTunedTechniqueModel.classify` ranks given spans the same way (the TC setting). The
threshold is chosen on the development tenth of the training articles, never on held-out ones.

It reads the text, not the run's vectors, and MiniLM reads English: ``languages`` is ``("en",)``
whatever the run's encoder (the stage meets it with its ``languages`` config).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import ConfigError, InputError
from narratrace.model import Span
from narratrace.techniques.base import Hit, sentences_of, trim
from narratrace.techniques.labels import TECHNIQUES

__all__ = ["FINE_TUNE", "FineTunedTechniqueModel", "KIND", "THRESHOLDS", "decode_spans", "train_fine_tuned",
           "windows"]

KIND = "fine-tuned"
MODEL_FILE = "model.json"
#: Options fixed before any held-out figure was seen: windows of up to 256 word pieces (MiniLM's
#: trained length), batches of 8 (no accumulation: more steps in the few epochs 2 shared cores allow),
#: 3 epochs at most at 8e-5 (the 29 tag outputs start from nothing; docs/decisions.md).
FINE_TUNE = {"max_length": 256, "epochs": 3, "learning_rate": 8e-5, "batch_size": 8, "accumulate": 1,
             "patience": 1}
THRESHOLDS = tuple(round(0.1 + 0.05 * k, 2) for k in range(13))  # 0.10 .. 0.70
_WORD = re.compile(r"\w")


def windows(text: str, sentences: Sequence[tuple[int, int]], tokenizer: Any, max_tokens: int) -> list[tuple[int, int]]:
    """``[start, end)`` character ranges of ``text``: consecutive ``sentences`` grouped while their
    word pieces fit ``max_tokens`` (a longer sentence cut between word pieces into pieces that fit)."""
    sentences = [(a, b) for a, b in sentences if b > a and text[a:b].strip()]
    if not sentences:
        return []
    enc = tokenizer([text[a:b] for a, b in sentences], add_special_tokens=False, return_offsets_mapping=True,
                    verbose=False)
    out: list[tuple[int, int]] = []
    used = 0
    for (a, b), offsets in zip(sentences, enc["offset_mapping"]):
        n = len(offsets)
        if n > max_tokens:  # cut it: each piece from a word piece's start to the last piece's end
            for k in range(0, n, max_tokens):
                part = offsets[k:k + max_tokens]
                out.append((a + part[0][0], a + part[-1][1]))
            used = max_tokens
        elif out and used + n <= max_tokens and out[-1][1] <= a:
            out[-1] = (out[-1][0], b)
            used += n
        else:
            out.append((a, b))
            used = n
    return out


def decode_spans(text: str, offsets: np.ndarray, probs: np.ndarray, threshold: float, n_labels: int
                 ) -> list[tuple[int, int, int, float]]:
    """``(start, end, label index, score)`` spans from one window's tagged word pieces (absolute
    ``offsets``, ``probs`` over ``O``, ``B-*``, ``I-*``); score: the mean of ``1 - P(O)`` over the span."""
    inside = 1.0 - probs[:, 0] if len(probs) else np.zeros(0)
    begins = probs[:, 1:1 + n_labels].sum(1) if len(probs) else np.zeros(0)
    continues = probs[:, 1 + n_labels:].sum(1) if len(probs) else np.zeros(0)
    runs: list[list[int]] = []
    for i in range(len(probs)):
        if inside[i] < threshold:
            continue
        touching = bool(runs) and runs[-1][-1] == i - 1
        if touching and begins[i] <= continues[i]:
            runs[-1].append(i)
        else:
            runs.append([i])
    out = []
    for run in runs:
        a, b = trim(text, int(offsets[run[0], 0]), int(offsets[run[-1], 1]))
        if b <= a or not _WORD.search(text[a:b]):
            continue
        mass = probs[run, 1:1 + n_labels] + probs[run, 1 + n_labels:]
        out.append((a, b, int(np.argmax(mass.sum(0))), float(inside[run].mean())))
    return out


class FineTunedTechniqueModel:
    """A :class:`~narratrace.finetune.TokenClassifier` over windows of sentences (see the module docstring)."""

    #: ``detect`` has applied the model's own threshold: every hit it returns counts.
    min_score = 0.0
    reads_text = True
    #: What it reads: MiniLM was trained on English, and so was its fine-tuning.
    languages: tuple[str, ...] = ("en",)

    def __init__(self, classifier: Any, *, threshold: float = 0.5, name: str = KIND) -> None:
        unknown = [x for x in classifier.labels if x not in TECHNIQUES]
        if unknown:
            raise ConfigError(f"techniques model {name}: unknown classes {unknown[:3]}")
        self.name = name
        self.classifier = classifier
        self.labels: list[str] = list(classifier.labels)
        self.threshold = float(threshold)
        self.max_tokens = int(classifier.options.max_length) - 2  # [CLS] and [SEP]
        self._last: tuple[tuple[str, tuple[tuple[int, int], ...] | None], list[tuple[np.ndarray, np.ndarray]]] | None \
            = None

    def window_probabilities(self, text: str, sentences: Sequence[Span] | None = None
                             ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per window of ``text``, its word pieces' absolute offsets and tag probabilities (the last
        text's are kept: ``evaluate`` detects, then classifies the gold spans of the same article)."""
        key = (text, tuple((s.start, s.end) for s in sentences) if sentences else None)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        ranges = windows(text, sentences_of(text, sentences), self.classifier.tokenizer, self.max_tokens)
        tagged = self.classifier.tag_probabilities([text[a:b] for a, b in ranges]) if ranges else []
        found = [(offsets + a, p) for (a, _), (offsets, p) in zip(ranges, tagged)]
        self._last = (key, found)
        return found

    def spans(self, text: str, tagged: Sequence[tuple[np.ndarray, np.ndarray]], threshold: float | None = None
              ) -> list[tuple[int, int, int, float]]:
        t = self.threshold if threshold is None else threshold
        return [s for offsets, p in tagged for s in decode_spans(text, offsets, p, t, len(self.labels))]

    def detect(self, text: str, sentences: Sequence[Span] | None = None) -> list[Hit]:
        if not text.strip():
            return []
        found = self.spans(text, self.window_probabilities(text, sentences))
        return [Hit(a, b, self.labels[k], score) for a, b, k, score in found]

    def classify(self, text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[str, float]]]:
        """Every technique for each given span, best first: the ``B-`` + ``I-`` probability of each
        technique summed over the word pieces the span overlaps, normalised."""
        if not spans:
            return []
        tagged = self.window_probabilities(text)
        n = len(self.labels)
        out = []
        for start, end in spans:
            mass = np.zeros(n, dtype=np.float64)
            for offsets, p in tagged:
                rows = (offsets[:, 0] < end) & (offsets[:, 1] > start)
                if rows.any():
                    mass += (p[rows, 1:1 + n] + p[rows, 1 + n:]).sum(0)
            total = float(mass.sum())
            share = mass / total if total > 0 else np.full(n, 1.0 / n)
            out.append(sorted(zip(self.labels, map(float, share)), key=lambda kv: -kv[1]))
        return out

    def save(self, out: Path, **meta: Any) -> None:
        """``classifier.pt``/``classifier.json`` (the network) and ``model.json`` (decoding)."""
        self.classifier.save(out)
        (out / MODEL_FILE).write_text(json.dumps({
            "kind": KIND, "name": self.name, "labels": self.labels, "threshold": self.threshold, **meta},
            indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path, *, name: str | None = None) -> FineTunedTechniqueModel:
        from narratrace.finetune import TokenClassifier

        root = Path(path)
        try:
            meta = json.loads((root / MODEL_FILE).read_text(encoding="utf-8"))
            threshold = float(meta["threshold"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{root} is not a fine-tuned techniques model (model.json): {exc}") from None
        if meta.get("kind") != KIND:
            raise ConfigError(f"techniques model {root}: model.json says kind {meta.get('kind')!r}, not {KIND!r}")
        classifier = TokenClassifier.load(root)
        if list(classifier.labels) != list(meta.get("labels", classifier.labels)):
            raise ConfigError(f"techniques model {root}: model.json and classifier.json disagree on the labels")
        return cls(classifier, threshold=threshold, name=name or str(meta.get("name") or root.name))


def _examples(articles: Sequence[Any], tokenizer: Any, max_tokens: int
              ) -> tuple[list[str], list[list[tuple[int, int, int]]]]:
    """Each article's windows with their technique spans ``(start, end, label index)`` in window
    offsets (a span the window cuts keeps its part inside)."""
    index = {t: i for i, t in enumerate(TECHNIQUES)}
    texts: list[str] = []
    spans: list[list[tuple[int, int, int]]] = []
    for a in articles:
        for start, end in windows(a.text, sentences_of(a.text), tokenizer, max_tokens):
            texts.append(a.text[start:end])
            spans.append([(max(lab.start, start) - start, min(lab.end, end) - start, index[lab.technique])
                          for lab in a.labels if lab.start < end and start < lab.end])
    return texts, spans


def _licence(data: Path) -> str:
    from narratrace.techniques.learned import _licence as licence

    return licence(data)


def train_fine_tuned(data: Path, out: Path, *, split: str = "train", seed: int = 13, epochs: int | None = None,
                     max_minutes: float | None = None, on_epoch: Callable[[dict[str, Any]], None] | None = None,
                     **_: Any) -> dict[str, Any]:
    """MiniLM fine-tuned as a BIO tagger on windows of the ``split`` articles of a PTC folder; a tenth
    of the articles (:func:`~narratrace.finetune.dev_split`, by id) picks the epoch and the threshold.
    The card records the data's sha256, the base model and its version, the options, the history,
    the training minutes and, trained on ``train``, the measures on the held-out articles with their
    speed (articles per second)."""
    from dataclasses import asdict

    from narratrace.cards import data_sha256, write_card
    from narratrace.evaluation import SPLITS
    from narratrace.finetune import FineTuneOptions, _tokenizer, base_version, dev_split, fine_tune_tokens
    from narratrace.techniques.ptc import read_ptc
    from narratrace.techniques.scoring import si_scores

    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}")
    if out.exists() and out.is_dir() and any(out.iterdir()) and not (out / "card.json").is_file():
        raise ConfigError(f"{out} exists and is not a model directory; choose an empty or new folder")
    articles = [a for a in read_ptc(data, split=split) if a.text.strip()]
    if len(articles) < 2 or not any(a.labels for a in articles):
        raise InputError(f"fine-tuning needs two PTC articles with labels in split {split!r} of {data}",
                         path=str(data))
    options = FineTuneOptions(**{**FINE_TUNE, "seed": seed, "max_minutes": max_minutes,
                                 **({"epochs": epochs} if epochs else {})})
    max_tokens = options.max_length - 2
    parts = dev_split([a.id for a in articles])
    train_docs, dev_docs = [articles[i] for i in parts.train], [articles[i] for i in parts.dev]
    tokenizer = _tokenizer()
    train_x, train_s = _examples(train_docs, tokenizer, max_tokens)
    dev_x, dev_s = _examples(dev_docs, tokenizer, max_tokens)
    started = time.monotonic()
    classifier = fine_tune_tokens(train_x, train_s, list(TECHNIQUES), dev=(dev_x, dev_s), options=options,
                                  on_epoch=on_epoch)
    minutes = round((time.monotonic() - started) / 60, 2)
    model = FineTunedTechniqueModel(classifier, name=out.name)
    # the threshold: best SI F1 on the development tenth (ties: nearest 0.5)
    tagged = [(a, model.window_probabilities(a.text)) for a in dev_docs]
    gold = {a.id: list(a.si) for a in dev_docs}
    tried = {t: float(si_scores({a.id: [(s, e) for s, e, _, _ in model.spans(a.text, p, t)] for a, p in tagged},
                                gold)["f1"]) for t in THRESHOLDS}
    model.threshold = max(tried, key=lambda t: (tried[t], -abs(t - 0.5)))
    out.mkdir(parents=True, exist_ok=True)
    model.save(out, max_length=options.max_length)
    card: dict[str, Any] = {
        "task": "techniques", "name": out.name, "kind": KIND, "seed": seed,
        "data": {"path": str(data), "sha256": data_sha256(data), "licence": _licence(data), "split": split,
                 "n": len(articles), "train": len(train_docs), "dev": len(dev_docs), "windows": len(train_x),
                 "dev_windows": len(dev_x), "instances": sum(len(a.labels) for a in articles)},
        "notes": f"{base_version()} fine-tuned as a BIO token tagger over the {len(TECHNIQUES)} techniques on "
                 f"windows of sentences (up to {options.max_length} word pieces), {len(classifier.history)} "
                 f"epoch(s) in {minutes} min; a word piece is inside a span at 1 - P(O) >= {model.threshold:.2f} "
                 f"(best SI F1 on the development tenth, {tried[model.threshold]:.3f}); a span's technique is "
                 "the one with the most B- + I- probability over it.",
        "extra": {"languages": list(model.languages),  # MiniLM reads English (`analyze --model` analyses only it)
                  "base": base_version(), "options": asdict(classifier.options), "history": classifier.history,
                  "training_minutes": minutes, "threshold": model.threshold,
                  "dev_si_f1": {str(t): f for t, f in tried.items()},
                  "command": f"narratrace train techniques --data {data} --out {out} --split {split} --seed {seed} "
                             f"--fine-tune" + (f" --epochs {epochs}" if epochs else "")
                             + (f" --max-minutes {max_minutes}" if max_minutes else "")}}
    write_card(out, **card)  # resolvable, so it can be scored on what it did not see
    measures: dict[str, Any] = {}
    unseen = {"train": "heldout", "heldout": "train"}.get(split)
    if unseen is not None:
        from narratrace.evaluation import run_evaluation

        begun = time.monotonic()
        try:
            result: dict[str, Any] | None = run_evaluation("techniques", data, model=str(out), split=unseen)
        except InputError:
            result = None
        seconds = time.monotonic() - begun
        if result is not None:
            measures = {"data": str(data), "split": unseen, "n": result["n"], "values": result["measures"],
                        "articles_per_second": round(result["n"] / seconds, 2) if seconds > 0 else None}
    return write_card(out, **card, measures=measures)
