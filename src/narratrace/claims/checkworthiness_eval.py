"""Check-worthiness: is a sentence a factual claim worth checking (CheckThat! 2024 Task 1)?

The claims stage scores each sentence with a logistic function over features a reader can see
(named actors, numbers, dates, an event verb, a cited source; questions, first-person opinion,
orders, speculation...). The shipped default ``rules-v1`` holds the hand-set weights; ``train``
fits the same weights by logistic regression on labelled sentences, so a trained model is still
one table to read. Measure: F1 of the positive class (``Yes``), as the task defines it.
"""

from __future__ import annotations

import os

import csv
import json
import math
import pickle
import time
from dataclasses import asdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from narratrace.errors import InputError
from narratrace.cards import data_sha256, load_card, resolve_model, write_card
from narratrace.claims.checkworthiness import WEIGHTS, CheckFeatures, CheckModel, feature_values, hashed_words, score_features
from narratrace.evaluation import Benchmark, PublishedFigure, Task, in_split

__all__ = ["TASK", "load_check_model", "read_sentences"]

WEIGHTS_FILE = "weights.json"
#: Where sentence features are kept between runs (None: only in memory).
#: Where sentence features are kept between runs: ``$NARRATRACE_EVAL_CACHE`` (``make quality`` sets it).
CACHE_DIR: Path | None = None
_FEATURES: dict[tuple[str, str, int | None], list[CheckFeatures | None]] = {}


def read_sentences(path: Path, *, split: str = "all", limit: int | None = None) -> list[tuple[str, str, bool]]:
    """``(id, text, is_check_worthy)`` from a CheckThat! TSV (``Sentence_id, Text, class_label``)."""
    files = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path} has no .tsv file", path=str(path))
    rows: list[tuple[str, str, bool]] = []
    for file in files:
        with open(file, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t", quotechar='"')
            header = next(reader, None)
            if not header or [h.strip().lower() for h in header[:3]] != ["sentence_id", "text", "class_label"]:
                raise InputError(f"{file}: expected the header Sentence_id<TAB>Text<TAB>class_label", path=str(file))
            for line, row in enumerate(reader, start=2):
                if len(row) != 3 or row[2].strip() not in ("Yes", "No"):
                    raise InputError(f"{file}:{line}: expected 3 fields ending in Yes or No", path=str(file))
                if in_split(row[0].strip(), split):
                    rows.append((row[0].strip(), row[1], row[2].strip() == "Yes"))
    return rows[:limit]


def _features(path: Path, rows: Sequence[tuple[str, str, bool]], split: str, limit: int | None
              ) -> list[CheckFeatures | None]:
    """Features of each sentence: one spaCy pass, kept per process and, when ``CACHE_DIR`` is set
    (``make quality`` sets it), on disk, since every model is scored on the same features."""
    from narratrace.claims.extract import sentence_checks

    key = (data_sha256(path), split, limit)
    if key not in _FEATURES:
        cache_dir = CACHE_DIR or (Path(os.environ["NARRATRACE_EVAL_CACHE"]) if os.environ.get("NARRATRACE_EVAL_CACHE")
                                  else None)
        cached = cache_dir / f"checkworthiness-{key[0][:16]}-{split}-{limit}.pickle" if cache_dir else None
        if cached is not None and cached.is_file():
            _FEATURES[key] = pickle.loads(cached.read_bytes())
        else:
            _FEATURES[key] = [f for _, f in sentence_checks([text for _, text, _ in rows])]
            if cached is not None:
                cached.parent.mkdir(parents=True, exist_ok=True)
                cached.write_bytes(pickle.dumps(_FEATURES[key]))
    return _FEATURES[key]


TEXT_FILE = "words.npy"


class FineTunedCheckModel:
    """A check-worthiness model that is a fine-tuned MiniLM (``train checkworthiness --fine-tune``): the
    sentence's text decides; its scores are rescaled so that the threshold tuned on development data
    is 0.5, the claims stage's cut-off."""

    threshold = 0.5

    def __init__(self, classifier: Any, tuned: float) -> None:
        self.classifier = classifier
        self.tuned = tuned

    def scores(self, texts: Sequence[str]) -> list[float]:
        from narratrace.finetune import rescaled

        return [float(s) for s in rescaled(self.classifier.probabilities(list(texts))[:, 0], self.tuned)]

    def score(self, f: CheckFeatures, text: str) -> float:
        if f.boilerplate or f.words == 0:
            return 0.0
        return self.scores([text])[0]

    stage_score = score  # already rescaled: the tuned threshold is 0.5


def load_check_model(model: str | Path | None) -> CheckModel | FineTunedCheckModel:
    """A check-worthiness model (name or directory): its weights, threshold and word weights if any,
    or a fine-tuned classifier."""
    import numpy as np

    from narratrace.finetune import TextClassifier, is_fine_tuned

    model_dir = resolve_model("checkworthiness", model, default=TASK.default_model)
    if is_fine_tuned(model_dir):
        try:
            tuned = float(json.loads((model_dir / WEIGHTS_FILE).read_text(encoding="utf-8"))["threshold"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"unreadable check-worthiness threshold in {model_dir}: {exc}", path=str(model_dir)) from None
        return FineTunedCheckModel(TextClassifier.load(model_dir), tuned)
    try:
        stored = json.loads((model_dir / WEIGHTS_FILE).read_text(encoding="utf-8"))
        weights = {k: float(v) for k, v in stored["weights"].items()}
        threshold = float(stored.get("threshold", 0.5))
        text_coef = np.load(model_dir / TEXT_FILE) if (model_dir / TEXT_FILE).is_file() else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"unreadable check-worthiness model in {model_dir}: {exc}", path=str(model_dir)) from None
    if "bias" not in weights:
        raise InputError(f"check-worthiness weights in {model_dir} have no bias", path=str(model_dir))
    if text_coef is not None and text_coef.ndim != 1:
        raise InputError(f"{model_dir / TEXT_FILE} is not a vector", path=str(model_dir))
    return CheckModel(weights, threshold, text_coef)


def _scores(model: CheckModel | FineTunedCheckModel, rows: Sequence[tuple[str, str, bool]],
            feats: Sequence[CheckFeatures | None]) -> list[float]:
    """Scores of many sentences at once (the words of all of them hashed, or classified, in one go)."""
    if isinstance(model, FineTunedCheckModel):
        scores = model.scores([text for _, text, _ in rows])
        return [0.0 if f is None or f.boilerplate or f.words == 0 else s for f, s in zip(feats, scores, strict=True)]
    base = [0.0 if f is None else score_features(f, model.weights) for f in feats]
    if model.text_coef is None:
        return base
    words = hashed_words([text for _, text, _ in rows], len(model.text_coef)) @ model.text_coef
    out = []
    for f, b, w in zip(feats, base, words, strict=True):
        if f is None or b == 0.0:
            out.append(0.0)
            continue
        z = math.log(b / (1.0 - b)) if 0.0 < b < 1.0 else (-50.0 if b <= 0 else 50.0)
        out.append(1.0 / (1.0 + math.exp(-(z + float(w)))))
    return out


def _measures(gold: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    tp = sum(g and p for g, p in zip(gold, predicted, strict=True))
    fp = sum(p and not g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g and not p for g, p in zip(gold, predicted, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold) if gold else 0.0
    return {"f1": round(f1, 4), "p": round(precision, 4), "r": round(recall, 4), "accuracy": round(accuracy, 4)}


def evaluate(data: Path, *, model: str | None = None, split: str = "all", limit: int | None = None,
             **_options: Any) -> dict[str, Any]:
    rows = read_sentences(data, split=split, limit=limit)
    if not rows:
        raise InputError(f"no labelled sentences in {data} (split {split})", path=str(data))
    check_model = load_check_model(model)
    scores = _scores(check_model, rows, _features(data, rows, split, limit))
    model_dir = resolve_model("checkworthiness", model, default=TASK.default_model)
    return {"n": len(rows), "model": load_card(model_dir)["name"],
            "measures": _measures([g for _, _, g in rows], [s >= check_model.threshold for s in scores]),
            "positives": sum(g for _, _, g in rows)}


def evaluate_end_to_end(data: Path, *, model: str | None = None, split: str = "all", limit: int | None = None,
                        **_options: Any) -> dict[str, Any]:
    """The same measures on what a user gets: each sentence ingested as a document and analysed with
    the default stages; a sentence counts as check-worthy when the export holds a claim of it."""
    from narratrace.evaluation import analyze_texts

    rows = read_sentences(data, split=split, limit=limit)
    if not rows:
        raise InputError(f"no labelled sentences in {data} (split {split})", path=str(data))
    config = {"claims": {"checkworthiness_model": model}} if model else {}
    export = analyze_texts([(sid, text) for sid, text, _ in rows], config=config)
    ingested = {a["ref"] for a in export["articles"]}
    claimed = {c["article"] for c in export["claims"]}
    predicted = [sid in claimed for sid, _, _ in rows]
    gold = [g for _, _, g in rows]
    losses = {"sentences": len(rows), "not_ingested": sum(sid not in ingested for sid, _, _ in rows),
              "positives": sum(gold), "positives_without_claim": sum(g and not p for g, p in zip(gold, predicted))}
    return {"n": len(rows), "model": model or TASK.default_model, "measures": _measures(gold, predicted),
            "losses": losses}


def train(data: Path, out: Path, *, split: str = "train", seed: int = 13, words: bool = True,
          fine_tune: bool = False, epochs: int | None = None, max_minutes: float | None = None,
          on_epoch: Callable[[dict[str, Any]], None] | None = None, **_options: Any) -> dict[str, Any]:
    """Logistic regression over the check-worthiness features and (``words``) hashed word n-grams,
    or (``fine_tune``) MiniLM fine-tuned as a sentence classifier (:func:`_fine_tune`).

    The feature weights land in ``weights.json`` (one table to read, as the hand-set ones), the
    word weights in ``words.npy``; the threshold maximises F1 on what the model learned from.
    """
    import numpy as np
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    rows = read_sentences(data, split=split)
    if len({g for _, _, g in rows}) < 2:
        raise InputError(f"{data} (split {split}) needs both Yes and No sentences to train on", path=str(data))
    if fine_tune:
        return _fine_tune(data, out, rows, split=split, seed=seed, epochs=epochs, max_minutes=max_minutes,
                          on_epoch=on_epoch)
    feats = _features(data, rows, split, None)
    names = [k for k in WEIGHTS if k != "bias"]
    keep = [i for i, f in enumerate(feats) if f is not None and not f.boilerplate and f.words]
    x = sparse.csr_matrix(np.array([[feature_values(feats[i])[k] for k in names] for i in keep], dtype=np.float64))
    if words:
        x = sparse.hstack([x, hashed_words([rows[i][1] for i in keep])], format="csr")
    y = np.array([rows[i][2] for i in keep], dtype=np.int8)
    clf = LogisticRegression(C=4.0 if words else 1.0, max_iter=2000, random_state=seed).fit(x, y)
    coef = clf.coef_[0]
    weights = {"bias": float(clf.intercept_[0]), **{k: float(w) for k, w in zip(names, coef[:len(names)], strict=True)}}
    text_coef = coef[len(names):].astype(np.float32) if words else None
    provisional = CheckModel(weights, 0.5, text_coef)
    gold = [g for _, _, g in rows]
    scores = _scores(provisional, rows, feats)
    threshold = max((t / 100 for t in range(5, 96)), key=lambda t: _measures(gold, [s >= t for s in scores])["f1"])
    out.mkdir(parents=True, exist_ok=True)
    (out / WEIGHTS_FILE).write_text(json.dumps({"weights": {k: round(v, 4) for k, v in weights.items()},
                                                "threshold": threshold}, indent=2) + "\n", encoding="utf-8")
    if text_coef is not None:
        np.save(out / TEXT_FILE, text_coef)
    elif (out / TEXT_FILE).exists():
        (out / TEXT_FILE).unlink()
    card = {"task": "checkworthiness", "name": out.name, "kind": "trained", "seed": seed,
            "data": {"path": str(data), "sha256": data_sha256(data), "split": split, "n": len(rows),
                     "licence": "as stated in the data's README (CheckThat!/ClaimBuster: research use)"},
            "notes": f"Logistic regression over the check-worthiness features"
                     f"{' and hashed word uni/bigrams' if words else ''}; threshold {threshold:.2f}."}
    write_card(out, **card)  # resolvable, so it can be scored on what it did not see
    measures: dict[str, Any] = {}
    if split == "train":
        result = evaluate(data, model=str(out), split="heldout")
        measures = {"data": str(data), "split": "heldout", "n": result["n"], "values": result["measures"]}
    return write_card(out, **card, measures=measures)


def _fine_tune(data: Path, out: Path, rows: Sequence[tuple[str, str, bool]], *, split: str, seed: int,
               epochs: int | None, max_minutes: float | None,
               on_epoch: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """MiniLM fine-tuned on the sentences (a tenth of them, by a hash of their ids, kept for picking
    the epoch and the threshold); the card records data, base model, options, history and measures."""
    import numpy as np

    from narratrace.finetune import FineTuneOptions, TextClassifier, base_version, dev_split, fine_tune

    options = FineTuneOptions(seed=seed, max_minutes=max_minutes, **({"epochs": epochs} if epochs else {}))
    parts = dev_split([sid for sid, _, _ in rows])
    texts = [" ".join(text.split()) for _, text, _ in rows]
    gold = np.array([[float(g)] for _, _, g in rows], dtype=np.float32)
    started = time.monotonic()
    classifier: TextClassifier = fine_tune([texts[i] for i in parts.train], gold[parts.train], ["check-worthy"],
                                           dev=([texts[i] for i in parts.dev], gold[parts.dev]), options=options,
                                           on_epoch=on_epoch)
    minutes = round((time.monotonic() - started) / 60, 2)
    dev_p = classifier.probabilities([texts[i] for i in parts.dev])[:, 0]
    dev_gold = [rows[i][2] for i in parts.dev]
    threshold = max((t / 100 for t in range(5, 96)), key=lambda t: _measures(dev_gold, [p >= t for p in dev_p])["f1"])
    classifier.save(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / WEIGHTS_FILE).write_text(json.dumps({"weights": dict(WEIGHTS), "threshold": threshold}, indent=2) + "\n",
                                    encoding="utf-8")  # the threshold (and the hand-set weights, unused)
    if (out / TEXT_FILE).exists():
        (out / TEXT_FILE).unlink()
    card = {"task": "checkworthiness", "name": out.name, "kind": "fine-tuned", "seed": seed,
            "data": {"path": str(data), "sha256": data_sha256(data), "split": split, "n": len(rows),
                     "train": len(parts.train), "dev": len(parts.dev),
                     "licence": "as stated in the data's README (CheckThat!/ClaimBuster: research use)"},
            "notes": f"{base_version()} fine-tuned as a sentence classifier (mean pooling, one logit), "
                     f"{len(classifier.history)} epoch(s) in {minutes} min; threshold {threshold:.2f} "
                     f"(best F1 on the development tenth), rescaled to 0.5.",
            "extra": {"base": base_version(), "options": asdict(classifier.options), "history": classifier.history,
                      "training_minutes": minutes}}
    write_card(out, **card)
    measures: dict[str, Any] = {}
    if split == "train":
        begun = time.monotonic()
        result = evaluate(data, model=str(out), split="heldout")
        seconds = time.monotonic() - begun
        measures = {"data": str(data), "split": "heldout", "n": result["n"], "values": result["measures"],
                    "sentences_per_second": round(result["n"] / seconds, 1) if seconds > 0 else None}
    return write_card(out, **card, measures=measures)


TASK = Task(
    name="checkworthiness",
    summary="is a sentence a check-worthy factual claim (claims stage, feature weights)",
    data_format="CheckThat! TSV with header Sentence_id<TAB>Text<TAB>class_label (Yes/No), or a folder of them",
    evaluate=evaluate,
    train=train,
    end_to_end=evaluate_end_to_end,
    published=(PublishedFigure("f1", "F1 of the check-worthy class", 0.802,
                               "CheckThat! 2024 Task 1 EN, best team (FactFinders; Hyben et al. 2024)"),),
    benchmark=Benchmark("CheckThat! 2024 T1 EN train (ClaimBuster debates)", "checkworthiness-en/train"),
    stage="claims",
    default_model="rules-v1",
    config_key="checkworthiness_model",
    fine_tunes=True,
)
