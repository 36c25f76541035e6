"""A framing model: two logistic regressions over mention features, stored as plain arrays.

``model.json`` says which features the model reads (see :mod:`.features`), its classes and the
rule for a second fine role; ``weights.npz`` holds the standardisation and the coefficients of
the main-role classifier (3 classes) and of the fine-role classifier (22 classes). Prediction is
numpy only; scikit-learn is needed only to train. A mention gets the main role with the highest
probability, and the fine roles of that main role: the most probable one, plus any other whose
probability is at least ``second_ratio`` times the first (SemEval mentions carry one fine role,
sometimes two).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import ConfigError
from narratrace.cards import resolve_model
from narratrace.framing.features import FEATURE_KINDS, VECTOR_KINDS, MentionContext, featurize, vector_features
from narratrace.framing.taxonomy import MAIN_ROLES, load_taxonomy

__all__ = ["DEFAULT_MODEL", "MULTILINGUAL_MODEL", "FramingModel", "Prediction", "load_framing_model", "model_for_run",
           "train_model"]

DEFAULT_MODEL = "exemplars-v2"
#: The same exemplars fitted on the multilingual encoder's vectors (``narratrace --encoder e5-int8 train framing``):
#: what the default becomes in a run with that encoder, so framing reads every language e5 reads.
MULTILINGUAL_MODEL = "exemplars-v2-e5"
TASK = "framing"


def model_for_run(model: str | None, encoder: str | None = None) -> str:
    """The model a run uses: the one given, except that the shipped default is swapped for its twin
    fitted in the run's vector space when there is one (e5-int8 -> :data:`MULTILINGUAL_MODEL`)."""
    from narratrace.vectors import encoder_name, space_of

    if model not in (None, DEFAULT_MODEL):
        return str(model)
    return MULTILINGUAL_MODEL if space_of(encoder_name(encoder)) == "e5-int8" else DEFAULT_MODEL


@dataclass(frozen=True, slots=True)
class Prediction:
    main_role: str
    fine_roles: tuple[str, ...]
    main_scores: dict[str, float]     # probability of each main role
    fine_scores: dict[str, float]     # probability of each fine role of the chosen main role

    @property
    def score(self) -> float:
        return self.main_scores[self.main_role]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class FramingModel:
    name: str
    features: tuple[str, ...]
    main_classes: tuple[str, ...]
    fine_classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    main_coef: np.ndarray
    main_intercept: np.ndarray
    fine_coef: np.ndarray
    fine_intercept: np.ndarray
    second_ratio: float = 0.6
    rule_weight: float = 0.0   # weight of the parse's role votes (:mod:`.syntax`) against the classifier
    encoder: str = "all-MiniLM-L6-v2"   # the features' encoder (vectors.py): the model reads only its own

    @classmethod
    def load(cls, path: str | Path) -> FramingModel:
        root = Path(path)
        try:
            meta = json.loads((root / "model.json").read_text(encoding="utf-8"))
            with np.load(root / "weights.npz", allow_pickle=False) as w:
                arrays = {k: np.asarray(w[k], dtype=np.float32) for k in w.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"{root} is not a framing model (model.json + weights.npz): {exc}") from None
        bad = [f for f in meta.get("features", []) if f not in FEATURE_KINDS]
        if bad:
            raise ConfigError(f"framing model {root} uses unknown features {bad}")
        try:
            return cls(meta.get("name", root.name), tuple(meta["features"]), tuple(meta["main_classes"]),
                       tuple(meta["fine_classes"]), arrays["mean"], arrays["scale"], arrays["main_coef"],
                       arrays["main_intercept"], arrays["fine_coef"], arrays["fine_intercept"],
                       float(meta.get("second_ratio", 0.6)), float(meta.get("rule_weight", 0.0)),
                       str(meta.get("encoder") or "all-MiniLM-L6-v2"))
        except KeyError as exc:
            raise ConfigError(f"framing model {root} lacks {exc}") from None

    def save(self, path: str | Path) -> None:
        root = Path(path)
        root.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(root / "weights.npz", mean=self.mean.astype(np.float32),
                            scale=self.scale.astype(np.float32), main_coef=self.main_coef.astype(np.float32),
                            main_intercept=self.main_intercept.astype(np.float32),
                            fine_coef=self.fine_coef.astype(np.float32),
                            fine_intercept=self.fine_intercept.astype(np.float32))
        meta = {"name": self.name, "features": list(self.features), "main_classes": list(self.main_classes),
                "fine_classes": list(self.fine_classes), "second_ratio": self.second_ratio,
                "rule_weight": self.rule_weight, "encoder": self.encoder}
        (root / "model.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    def features_of(self, docs: Sequence[tuple[str, Sequence[Any], Sequence[MentionContext], Any]]) -> np.ndarray:
        """The feature matrix of every mention of ``docs`` (``(text, sentences, contexts, stored vectors)``)."""
        ctx = [c for _, _, cs, _ in docs for c in cs]
        vectors = vector_features(docs, encoder=self.encoder) if set(self.features) & set(VECTOR_KINDS) else None
        return featurize(ctx, self.features, encode=self.embed, vectors=vectors)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors from the encoder this model was trained on, whatever the run's encoder is."""
        from narratrace.vectors import encode

        return encode(texts, model=self.encoder)

    def probabilities(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(main, fine)`` probability matrices of the rows of ``x`` (classes as in the model)."""
        z = (x - self.mean) / self.scale
        return (_softmax(z @ self.main_coef.T + self.main_intercept),
                _softmax(z @ self.fine_coef.T + self.fine_intercept))

    def decide(self, main_p: np.ndarray, fine_p: np.ndarray) -> Prediction:
        """The roles for one row of main-role and fine-role probabilities (see the module docstring)."""
        taxonomy = load_taxonomy()
        main = self.main_classes[int(np.argmax(main_p))]
        allowed = [i for i, f in enumerate(self.fine_classes) if taxonomy.main_of(f) == main]
        scores = {self.fine_classes[i]: float(fine_p[i]) for i in allowed}
        total = sum(scores.values()) or 1.0
        scores = {k: v / total for k, v in scores.items()}
        ranked = sorted(scores, key=lambda k: -scores[k])
        fines = [ranked[0]] if ranked else []
        fines += [k for k in ranked[1:2] if scores[k] >= self.second_ratio * scores[ranked[0]]]
        return Prediction(main, tuple(fines), {c: round(float(p), 4) for c, p in zip(self.main_classes, main_p)},
                          {k: round(scores[k], 4) for k in ranked})

    def predict_matrix(self, x: np.ndarray) -> list[Prediction]:
        if x.shape[0] == 0:
            return []
        main_p, fine_p = self.probabilities(x)
        return [self.decide(mp, fp) for mp, fp in zip(main_p, fine_p)]

    def combine(self, main_p: np.ndarray, votes: Sequence[tuple[str, str] | None]) -> np.ndarray:
        """One main-role distribution from mention rows and their parse votes.

        The mean of the classifier's rows, moved ``rule_weight`` of the way to the share of
        the votes (when any mention has one): votes are few but mostly right, so one vote among
        six mentions still counts in full.
        """
        mean = main_p.mean(axis=0)
        counted = [v[0] for v in votes if v is not None]
        if self.rule_weight <= 0 or not counted:
            return mean
        share = np.array([counted.count(c) / len(counted) for c in self.main_classes], dtype=mean.dtype)
        return (1 - self.rule_weight) * mean + self.rule_weight * share

    def votes(self, ctx: Sequence[MentionContext], facts: Sequence[Mapping[str, Any] | None] | None = None
              ) -> list[tuple[str, str] | None]:
        """The parse's vote for each mention (:mod:`.syntax`); none when the model does not use them.

        ``facts``: what the claims stage stored of each mention's parse; a mention without them
        is parsed here.
        """
        if self.rule_weight <= 0 or not ctx:
            return [None] * len(ctx)
        from narratrace.framing.syntax import role_votes, vote

        facts = list(facts) if facts is not None else [None] * len(ctx)
        out = [vote(f) if f else None for f in facts]
        todo = [i for i, f in enumerate(facts) if not f]
        for i, v in zip(todo, role_votes([(ctx[i].raw_sentence, ctx[i].raw_start, ctx[i].raw_end) for i in todo])):
            out[i] = v
        return out

    def blend(self, main_p: np.ndarray, ctx: Sequence[MentionContext]) -> np.ndarray:
        """Per mention: its main-role probabilities combined with its own vote."""
        votes = self.votes(ctx)
        return np.stack([self.combine(main_p[i:i + 1], votes[i:i + 1]) for i in range(len(ctx))]) if len(ctx) \
            else main_p

    def predict(self, docs: Sequence[tuple[str, Sequence[Any], Sequence[MentionContext], Any]]) -> list[Prediction]:
        """Roles of every mention of ``docs`` (``(text, sentences, contexts, stored vectors or None)``)."""
        ctx = [c for _, _, cs, _ in docs for c in cs]
        if not ctx:
            return []
        main_p, fine_p = self.probabilities(self.features_of(docs))
        main_p = self.blend(main_p, ctx)
        return [self.decide(mp, fp) for mp, fp in zip(main_p, fine_p)]


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, stamp: float) -> FramingModel:
    from narratrace.finetune import is_fine_tuned

    if is_fine_tuned(Path(path)):  # ``train framing --fine-tune``: same interface (:mod:`.finetuned`)
        from narratrace.framing.finetuned import FineTunedFramingModel

        return FineTunedFramingModel.load(path)  # type: ignore[return-value]
    return FramingModel.load(path)


def load_framing_model(model: str | Path | None = None) -> tuple[FramingModel, Path]:
    """The model named or found at ``model`` (default: the shipped one), loaded once per process."""
    path = resolve_model(TASK, model, default=DEFAULT_MODEL)
    weights = next((path / f for f in ("weights.npz", "classifier.pt") if (path / f).exists()), None)
    return _load_cached(str(path.resolve()), weights.stat().st_mtime if weights is not None else 0.0), path


def train_model(x: np.ndarray, main: Sequence[str], fine: Sequence[Sequence[str]], *, features: Sequence[str],
                name: str, seed: int = 13, c_main: float = 0.003, c_fine: float = 0.01,
                second_ratio: float = 0.6, rule_weight: float = 0.6) -> FramingModel:
    """Fit both classifiers on standardised features (a mention with two fine roles counts for each)."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # pinned in requirements.lock; say which package is missing
        raise ConfigError(f"training a framing model needs scikit-learn: {exc}") from None
    if len(set(main)) < 2:
        raise ConfigError(f"framing: training needs at least two main roles in the data, found {sorted(set(main))}")
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    main_clf = LogisticRegression(C=c_main, max_iter=3000, random_state=seed).fit(z, list(main))
    rows, labels = [], []
    for i, roles in enumerate(fine):
        for r in roles:
            rows.append(i)
            labels.append(r)
    fine_clf = LogisticRegression(C=c_fine, max_iter=3000, random_state=seed).fit(z[rows], labels)
    main_coef, main_b = _expand(main_clf, MAIN_ROLES)
    fine_names = load_taxonomy().fine_roles
    fine_coef, fine_b = _expand(fine_clf, fine_names)
    from narratrace.vectors import active_encoder, stored_name

    return FramingModel(name, tuple(features), MAIN_ROLES, fine_names, mean, scale, main_coef, main_b,
                        fine_coef, fine_b, second_ratio, rule_weight, stored_name(active_encoder()))


def _expand(clf: Any, classes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients for every class of ``classes``; a class absent from training gets -inf odds."""
    coef = np.zeros((len(classes), clf.coef_.shape[1]), dtype=np.float32)
    bias = np.full(len(classes), -30.0, dtype=np.float32)
    learned = list(clf.classes_)
    if len(learned) == 2:  # binary: sklearn keeps one row for the second class
        rows = {learned[1]: (clf.coef_[0], clf.intercept_[0]), learned[0]: (-clf.coef_[0], -clf.intercept_[0])}
        rows = {k: (v[0] / 2, v[1] / 2) for k, v in rows.items()}
    else:
        rows = {c: (clf.coef_[i], clf.intercept_[i]) for i, c in enumerate(learned)}
    for i, c in enumerate(classes):
        if c in rows:
            coef[i], bias[i] = rows[c]
    return coef, bias
