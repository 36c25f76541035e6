"""Check-worthiness: is a sentence a factual claim worth checking (CheckThat! 2024 Task 1)?

The claims stage scores each sentence with a logistic function over features a reader can see
(named actors, numbers, dates, an event verb, a cited source; questions, first-person opinion,
orders, speculation...). The shipped default ``rules-v1`` holds the hand-set weights; ``train``
fits the same weights by logistic regression on labelled sentences, so a trained model is still
one table to read. Measure: F1 of the positive class (``Yes``), as the task defines it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..models import data_sha256, load_card, resolve_model, write_card
from ..nlp.checkworthiness import WEIGHTS, CheckFeatures, feature_values
from . import Benchmark, PublishedFigure, Task, in_split

__all__ = ["TASK", "load_weights", "read_sentences"]

WEIGHTS_FILE = "weights.json"
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
    """Features of each sentence (one spaCy pass; kept per process: every model reuses them)."""
    from ..nlp.claims import sentence_checks

    key = (data_sha256(path), split, limit)
    if key not in _FEATURES:
        _FEATURES[key] = [f for _, f in sentence_checks([text for _, text, _ in rows])]
    return _FEATURES[key]


def load_weights(model: str | Path | None) -> tuple[dict[str, float], float]:
    """Weights and decision threshold of a check-worthiness model (name or directory)."""
    model_dir = resolve_model("checkworthiness", model, default=TASK.default_model)
    try:
        stored = json.loads((model_dir / WEIGHTS_FILE).read_text(encoding="utf-8"))
        weights = {k: float(v) for k, v in stored["weights"].items()}
        threshold = float(stored.get("threshold", 0.5))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"unreadable check-worthiness weights in {model_dir}: {exc}", path=str(model_dir)) from None
    if "bias" not in weights:
        raise InputError(f"check-worthiness weights in {model_dir} have no bias", path=str(model_dir))
    return weights, threshold


def _score(f: CheckFeatures | None, weights: Mapping[str, float]) -> float:
    from ..nlp.checkworthiness import score_features

    return 0.0 if f is None else score_features(f, weights)


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
    weights, threshold = load_weights(model)
    feats = _features(data, rows, split, limit)
    predicted = [_score(f, weights) >= threshold for f in feats]
    model_dir = resolve_model("checkworthiness", model, default=TASK.default_model)
    return {"n": len(rows), "model": load_card(model_dir)["name"],
            "measures": _measures([g for _, _, g in rows], predicted),
            "positives": sum(g for _, _, g in rows)}


def train(data: Path, out: Path, *, split: str = "train", seed: int = 13, **_options: Any) -> dict[str, Any]:
    """Fit the feature weights by logistic regression; the threshold maximises F1 on what it learned from."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows = read_sentences(data, split=split)
    if len({g for _, _, g in rows}) < 2:
        raise InputError(f"{data} (split {split}) needs both Yes and No sentences to train on", path=str(data))
    feats = _features(data, rows, split, None)
    names = [k for k in WEIGHTS if k != "bias"]
    keep = [i for i, f in enumerate(feats) if f is not None and not f.boilerplate and f.words]
    x = np.array([[feature_values(feats[i])[k] for k in names] for i in keep], dtype=np.float64)
    y = np.array([rows[i][2] for i in keep], dtype=np.int8)
    clf = LogisticRegression(C=1.0, max_iter=1000, random_state=seed).fit(x, y)
    weights = {"bias": float(clf.intercept_[0]), **{k: float(w) for k, w in zip(names, clf.coef_[0], strict=True)}}
    gold = [g for _, _, g in rows]
    scores = [_score(f, weights) for f in feats]
    threshold = max((t / 100 for t in range(5, 96)),
                    key=lambda t: _measures(gold, [s >= t for s in scores])["f1"])
    out.mkdir(parents=True, exist_ok=True)
    (out / WEIGHTS_FILE).write_text(json.dumps({"weights": {k: round(v, 4) for k, v in weights.items()},
                                                "threshold": threshold}, indent=2) + "\n", encoding="utf-8")
    measures: dict[str, Any] = {}
    heldout = "heldout" if split == "train" else None
    if heldout:
        result = evaluate(data, model=str(_stub_card(out, data, split, len(rows), seed)), split=heldout)
        measures = {"data": str(data), "split": heldout, "n": result["n"], "values": result["measures"]}
    return write_card(out, task="checkworthiness", name=out.name, kind="trained",
                      data={"path": str(data), "sha256": data_sha256(data), "split": split, "n": len(rows),
                            "licence": "as stated in the data's README (CheckThat!/ClaimBuster: research use)"},
                      measures=measures, seed=seed,
                      notes=f"Logistic regression over the check-worthiness features; threshold {threshold:.2f}.")


def _stub_card(out: Path, data: Path, split: str, n: int, seed: int) -> Path:
    """A provisional card so the model can be scored before its final card (with the measures) is written."""
    write_card(out, task="checkworthiness", name=out.name, kind="trained",
               data={"path": str(data), "split": split, "n": n}, seed=seed)
    return out


TASK = Task(
    name="checkworthiness",
    summary="is a sentence a check-worthy factual claim (claims stage, feature weights)",
    data_format="CheckThat! TSV with header Sentence_id<TAB>Text<TAB>class_label (Yes/No), or a folder of them",
    evaluate=evaluate,
    train=train,
    published=(PublishedFigure("f1", "F1 of the check-worthy class", 0.802,
                               "CheckThat! 2024 Task 1 EN, best team (FactFinders; Hyben et al. 2024)"),),
    benchmark=Benchmark("CheckThat! 2024 T1 EN train (ClaimBuster debates)", "checkworthiness-en/train"),
    stage="claims",
    default_model="rules-v1",
    config_key="checkworthiness_model",
)
