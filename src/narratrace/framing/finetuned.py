"""Entity framing by a fine-tuned MiniLM (``narratrace train framing --fine-tune``): the strong option.

A *mention-marked* classifier: each mention is read in a window of its article (about
``window_chars`` characters each side, cut at word boundaries) with the mention wrapped in
``[[ ]]`` (:func:`marked_window`), so the network sees which of the names it is asked about.
One :class:`narratrace.finetune.TextClassifier` (the packaged all-MiniLM-L6-v2, fine-tuned whole)
has one sigmoid per main role and one per fine role; the three main-role outputs are scaled to
sum to 1, so they read as the linear model's probabilities. Decoding is the linear model's
(:class:`~narratrace.framing.model.FramingModel`: the main role with the highest probability, the
most probable fine roles of that role, the parse's votes blended in with ``rule_weight``); the
blend weight and the second-fine-role ratio are chosen on the development tenth of the training
documents, never on held-out ones.

It reads the text, not the run's sentence vectors, and MiniLM reads English: its ``encoder`` is
MiniLM's, so the framing stage analyses English articles only with it, whatever the run's encoder.
The stage calls ``features_of`` then ``probabilities`` as on the linear model; here the
"features" are the marked windows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import ConfigError
from narratrace.framing.features import MentionContext
from narratrace.framing.model import FramingModel
from narratrace.framing.taxonomy import MAIN_ROLES, load_taxonomy

__all__ = ["FineTunedFramingModel", "KIND", "WINDOW_CHARS", "marked_window", "train_fine_tuned"]

KIND = "fine-tuned"
MODEL_FILE = "model.json"
WINDOW_CHARS = 300   # each side of the mention: ~130 MiniLM tokens in all, within the classifier's max_length
_WS = re.compile(r"\s+")


def marked_window(text: str, start: int, end: int, *, window_chars: int = WINDOW_CHARS) -> str:
    """The mention ``text[start:end]`` in ``[[ ]]`` with up to ``window_chars`` characters each side
    (whole words only; whitespace, ``\\r`` included, made single spaces)."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    lo, hi = max(0, start - window_chars), min(len(text), end + window_chars)
    left, right = text[lo:start], text[end:hi]
    if lo > 0 and not text[lo - 1].isspace():  # drop a word the window cuts
        left = _WS.split(left, maxsplit=1)[1] if _WS.search(left) else ""
    if hi < len(text) and not text[hi].isspace():
        spaces = list(_WS.finditer(right))
        right = right[:spaces[-1].start()] if spaces else ""
    return _WS.sub(" ", f"{left} [[ {text[start:end]} ]] {right}").strip()


class FineTunedFramingModel:
    """A :class:`~narratrace.finetune.TextClassifier` over marked mention windows, decoded as the linear model."""

    reads_text = True
    fork_safe = False  # torch's thread pool does not survive a fork: the stage runs it in-process
    # the linear model's decoding, shared rather than copied: they read only the attributes set below
    decide = FramingModel.decide
    combine = FramingModel.combine
    votes = FramingModel.votes
    blend = FramingModel.blend
    predict = FramingModel.predict  # over this model's own features_of and probabilities

    def __init__(self, classifier: Any, *, name: str = KIND, second_ratio: float = 0.6, rule_weight: float = 0.0,
                 window_chars: int = WINDOW_CHARS) -> None:
        from narratrace.vectors import MODEL_NAME

        fine_classes = load_taxonomy().fine_roles
        missing = [c for c in (*MAIN_ROLES, *fine_classes) if c not in classifier.labels]
        if missing:
            raise ConfigError(f"framing model {name}: the classifier lacks the roles {missing[:3]}")
        self.name = name
        self.classifier = classifier
        self.main_classes: tuple[str, ...] = tuple(MAIN_ROLES)
        self.fine_classes: tuple[str, ...] = tuple(fine_classes)
        self.second_ratio, self.rule_weight = float(second_ratio), float(rule_weight)
        self.window_chars = int(window_chars)
        self.encoder = MODEL_NAME  # what it reads: English text, through MiniLM (the stage's language check)
        self.features: tuple[str, ...] = ("marked_window",)
        column = {lab: i for i, lab in enumerate(classifier.labels)}
        self._main = [column[c] for c in self.main_classes]
        self._fine = [column[c] for c in self.fine_classes]

    def features_of(self, docs: Sequence[tuple[str, Sequence[Any], Sequence[MentionContext], Any]]) -> list[str]:
        """The marked window of every mention of ``docs`` (``(text, sentences, contexts, stored vectors)``)."""
        return [marked_window(text, c.start, c.end, window_chars=self.window_chars) for text, _, cs, _ in docs
                for c in cs]

    def probabilities(self, windows: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(main, fine)`` probability matrices of the marked windows (main rows sum to 1)."""
        if not len(windows):
            return (np.zeros((0, len(self.main_classes)), dtype=np.float32),
                    np.zeros((0, len(self.fine_classes)), dtype=np.float32))
        p = self.classifier.probabilities(list(windows))
        main = p[:, self._main]
        main = main / np.maximum(main.sum(axis=1, keepdims=True), 1e-9)
        return main, p[:, self._fine]

    def save(self, out: Path, **meta: Any) -> None:
        """``classifier.pt``/``classifier.json`` (the network) and ``model.json`` (decoding)."""
        self.classifier.save(out)
        (out / MODEL_FILE).write_text(json.dumps({
            "kind": KIND, "name": self.name, "features": list(self.features), "main_classes": list(self.main_classes),
            "fine_classes": list(self.fine_classes), "second_ratio": self.second_ratio,
            "rule_weight": self.rule_weight, "window_chars": self.window_chars, "encoder": self.encoder, **meta},
            indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> FineTunedFramingModel:
        from narratrace.finetune import TextClassifier

        root = Path(path)
        try:
            meta = json.loads((root / MODEL_FILE).read_text(encoding="utf-8"))
            second, rule, window = float(meta["second_ratio"]), float(meta["rule_weight"]), int(meta["window_chars"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{root} is not a fine-tuned framing model (model.json): {exc}") from None
        if meta.get("kind") != KIND:
            raise ConfigError(f"framing model {root}: model.json says kind {meta.get('kind')!r}, not {KIND!r}")
        return cls(TextClassifier.load(root), name=str(meta.get("name") or root.name), second_ratio=second,
                   rule_weight=rule, window_chars=window)


def _examples(docs: Sequence[Any], window_chars: int) -> tuple[list[str], list[tuple[str, tuple[str, ...]]],
                                                                list[tuple[str, Any, list[MentionContext], None]]]:
    """Marked windows, gold ``(main, fine roles)`` and ``(text, sentences, contexts, None)`` per document."""
    from narratrace.framing.features import contexts, sentences_of

    windows: list[str] = []
    gold: list[tuple[str, tuple[str, ...]]] = []
    per_doc = []
    for d in docs:
        sentences = sentences_of(d.text)
        found = contexts(d.text, [(m.start, m.end) for m in d.mentions], sentences)
        per_doc.append((d.text, sentences, found, None))
        windows += [marked_window(d.text, m.start, m.end, window_chars=window_chars) for m in d.mentions]
        gold += [(m.main_role, tuple(m.fine_roles)) for m in d.mentions]
    return windows, gold, per_doc


def train_fine_tuned(docs: Sequence[Any], out: Path, *, data: Path, split: str, seed: int, licence: str,
                     heldout: Sequence[Any] = (), epochs: int | None = None, max_minutes: float | None = None,
                     on_epoch: Any = None) -> dict[str, Any]:
    """MiniLM fine-tuned on the marked mentions of ``docs`` (:class:`~narratrace.framing.data.FramingDocument`);
    a tenth of the documents (:func:`~narratrace.finetune.dev_split`, by id) picks the epoch, the
    parse-vote weight and the second-fine-role ratio. The card records data, base model, options,
    history, minutes and measures: on ``heldout`` documents when given, else on the development tenth."""
    import time
    from dataclasses import asdict

    from narratrace.cards import data_sha256, write_card
    from narratrace.errors import InputError
    from narratrace.finetune import FineTuneOptions, base_version, dev_split, fine_tune
    from narratrace.framing.measures import framing_measures

    docs = [d for d in docs if d.mentions]
    if sum(len(d.mentions) for d in docs) < 10 or len(docs) < 2:
        raise InputError(f"{data} (split {split}) has too few labelled mentions to fine-tune on (10 in 2 "
                         "documents at least)", path=str(data))
    labels = [*MAIN_ROLES, *load_taxonomy().fine_roles]
    column = {lab: i for i, lab in enumerate(labels)}

    def targets(gold: Sequence[tuple[str, tuple[str, ...]]]) -> np.ndarray:
        y = np.zeros((len(gold), len(labels)), dtype=np.float32)
        for i, (main, fine) in enumerate(gold):
            for role in (main, *fine):
                y[i, column[role]] = 1.0
        return y

    parts = dev_split([d.id for d in docs])
    train_docs, dev_docs = [docs[i] for i in parts.train], [docs[i] for i in parts.dev]
    train_x, train_gold, _ = _examples(train_docs, WINDOW_CHARS)
    dev_x, dev_gold, dev_per_doc = _examples(dev_docs, WINDOW_CHARS)
    options = FineTuneOptions(seed=seed, max_minutes=max_minutes, epochs=epochs or 8, batch_size=16, accumulate=1,
                              learning_rate=5e-5, max_length=160, patience=2)
    started = time.monotonic()
    classifier = fine_tune(train_x, targets(train_gold), labels, dev=(dev_x, targets(dev_gold)), options=options,
                           on_epoch=on_epoch)
    minutes = round((time.monotonic() - started) / 60, 2)
    model = FineTunedFramingModel(classifier, name=out.name, rule_weight=0.6)
    # decoding chosen on the development tenth: the parse votes' weight, then the second fine role's ratio
    dev_ctx = [c for _, _, cs, _ in dev_per_doc for c in cs]
    main_p, fine_p = model.probabilities(dev_x)
    votes = model.votes(dev_ctx)
    best: tuple[tuple[float, float], float, float] | None = None
    for rule in (0.0, 0.3, 0.6):
        for ratio in (0.4, 0.6, 0.8, 1.01):
            model.rule_weight, model.second_ratio = rule, ratio
            predicted = [model.decide(model.combine(main_p[i:i + 1], votes[i:i + 1]), fine_p[i])
                         for i in range(len(dev_x))]
            values = framing_measures(dev_gold, [(p.main_role, p.fine_roles) for p in predicted])
            key = (values["main_role_accuracy"], values["emr"])
            if best is None or key > best[0]:
                best = (key, rule, ratio)
    assert best is not None
    model.rule_weight, model.second_ratio = best[1], best[2]
    model.save(out)
    measures: dict[str, Any]
    if heldout:
        _, held_gold, held_per_doc = _examples(heldout, model.window_chars)
        begun = time.monotonic()
        predicted = model.predict(held_per_doc)
        seconds = time.monotonic() - begun
        measures = {"data": str(data), "split": "heldout", "n": len(held_gold),
                    "values": framing_measures(held_gold, [(p.main_role, p.fine_roles) for p in predicted]),
                    "mentions_per_second": round(len(held_gold) / seconds, 1) if seconds > 0 else None}
    else:
        measures = {"data": str(data), "split": f"{split}: the development tenth (picked the epoch and decoding)",
                    "n": len(dev_gold), "values": {"main_role_accuracy": best[0][0], "emr": best[0][1]}}
    described = {"path": str(data), "sha256": data_sha256(data), "split": split,
                 "n": len(train_gold) + len(dev_gold), "documents": len(docs), "train": len(train_gold),
                 "dev": len(dev_gold), "licence": licence}
    return write_card(out, task="framing", name=out.name, kind=KIND, data=described, measures=measures, seed=seed,
                      notes=f"{base_version()} fine-tuned as a mention-marked classifier (the mention in [[ ]] "
                            f"with {WINDOW_CHARS} characters each side; one sigmoid per main and fine role), "
                            f"{len(classifier.history)} epoch(s) in {minutes} min; parse-vote weight "
                            f"{model.rule_weight}, second-fine-role ratio {model.second_ratio} (chosen on the "
                            "development tenth).",
                      extra={"languages": ["en"],  # MiniLM reads English (`analyze --model` analyses only it)
                             "base": base_version(), "options": asdict(classifier.options),
                             "history": classifier.history, "training_minutes": minutes,
                             "command": f"narratrace train framing --data {data} --split {split} --out {out} "
                                        f"--seed {seed} --fine-tune"})
