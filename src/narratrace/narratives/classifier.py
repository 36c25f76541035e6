"""Multi-label narrative classification of articles, with the sentences that support each label.

An article is cut into sentences (at most ``max_sentences``, title first), each sentence embedded
with all-MiniLM-L6-v2 (offline, :func:`narratrace.claims.groups.encode`). Two kinds of model
score the labels of a :class:`~narratrace.narratives.taxonomy.Taxonomy`:

* :class:`ZeroShotModel` (the shipped default): every label is represented by its description and
  example sentences (written for narratrace); a sentence's score for a label is its best cosine
  to them, a document's score the mean of its ``top_k`` best sentences. The domain (URW, CC...)
  whose description is closest to the document is chosen first; narratives at or above
  ``narrative`` are kept (at most ``max_narratives``), then their subnarratives at or above
  ``subnarrative``. Evidence: the sentences that scored the label highest (at least ``evidence``).
* :class:`LinearModel` (``narratrace train narratives``): one logistic regression per label on the
  document's mean sentence embedding; a sentence's evidence score is its own logit
  ``w·s + b`` (the document logit is their mean, so the evidence is exactly what drove the label).
  Hierarchical decoding (what training writes): narratives at or above ``threshold`` (none: the
  document is ``Other``), then only their subnarratives, at or above ``sub_threshold``.

* :class:`~narratrace.narratives.finetuned.FineTunedNarrativeModel` (``train narratives
  --fine-tune``): MiniLM fine-tuned on chunks of consecutive sentences; it reads the article's
  text rather than its sentence vectors (``reads_text``).

All return :class:`Prediction`: one :class:`NarrativeHit` per (narrative, subnarrative) with
score and evidence spans, and the SemEval-style label lists for scoring.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from narratrace.errors import ConfigError
from narratrace.model import Span
from narratrace.narratives.taxonomy import OTHER, Label, Taxonomy, load_taxonomies, other_of

__all__ = ["DEFAULT_MODEL", "LinearModel", "NarrativeHit", "NarrativeModel", "Prediction", "ZeroShotModel",
           "document_units", "embed", "load_model", "pooled", "reads_text"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

DEFAULT_MODEL = "zero-shot-v1"
MODEL_FILE = "model.json"
DIM = 384
_WORDS = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, slots=True)
class NarrativeHit:
    """One label of one article: a narrative, optionally one of its subnarratives, with evidence."""

    narrative: str
    subnarrative: str | None
    score: float
    evidence: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"narrative": self.narrative, "subnarrative": self.subnarrative, "score": round(self.score, 4),
                "evidence": [{"start": s.start, "end": s.end} for s in self.evidence]}


@dataclass(frozen=True, slots=True)
class Prediction:
    """What a model says about one document."""

    hits: tuple[NarrativeHit, ...]
    domain: str | None = None
    scores: dict[str, float] = field(default_factory=dict)   # every label's document score

    @property
    def narratives(self) -> list[str]:
        """Coarse labels as the SemEval format writes them (``["Other"]`` when there are none)."""
        return list(dict.fromkeys(h.narrative for h in self.hits)) or [OTHER]

    @property
    def subnarratives(self) -> list[str]:
        """Fine labels as the SemEval format writes them (``"<narrative>: Other"`` for a bare narrative)."""
        fine = [h.subnarrative or other_of(h.narrative) for h in self.hits]
        return list(dict.fromkeys(fine)) or [OTHER]


def document_units(text: str, sentences: Sequence[Span], *, max_sentences: int = 64,
                   min_words: int = 4) -> list[Span]:
    """The sentences that are embedded: those with at least ``min_words`` words, the first ``max_sentences``."""
    out = []
    for s in sentences:
        if len(_WORDS.findall(text[s.start:s.end])) >= min_words:
            out.append(Span(s.start, s.end))
            if len(out) >= max_sentences:
                break
    return out


def embed(texts: Sequence[str], *, batch_size: int = 64, encoder: str | None = None) -> np.ndarray:
    """Unit-length embeddings ``(len(texts), 384)`` float32 from ``encoder`` (default: the run's)."""
    from narratrace.vectors import encode

    return encode([t.strip()[:2000] for t in texts], batch_size=batch_size, model=encoder)


def pooled(vectors: np.ndarray) -> np.ndarray:
    """The document vector: the normalised mean of its sentence vectors (zeros for no sentences)."""
    if not len(vectors):
        return np.zeros(DIM, dtype=np.float32)
    v = np.asarray(vectors, dtype=np.float32).mean(0)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


class NarrativeModel(Protocol):
    """Predicts from an article's sentence vectors and their spans. A model that reads the text
    instead (the fine-tuned one) says so with a true ``reads_text`` attribute and has
    ``predict_texts([(text, spans), ...]) -> [Prediction, ...]``: see :func:`reads_text`."""

    name: str
    taxonomy: Taxonomy
    encoder: str        # which encoder its sentence vectors must come from (vectors.py)

    def predict(self, vectors: np.ndarray, spans: Sequence[Span]) -> Prediction: ...


def reads_text(model: Any) -> bool:
    """Whether ``model`` predicts from the article's text (``predict_texts``) rather than its vectors."""
    return bool(getattr(model, "reads_text", False))


def _top_mean(column: np.ndarray, k: int) -> float:
    if not len(column):
        return 0.0
    k = max(1, min(k, len(column)))
    return float(np.sort(column)[-k:].mean())


def _evidence(column: np.ndarray, spans: Sequence[Span], *, minimum: float, limit: int) -> tuple[Span, ...]:
    order = np.argsort(-column, kind="stable")[:limit]
    chosen = [spans[i] for i in order if column[i] >= minimum] or ([spans[order[0]]] if len(order) else [])
    return tuple(sorted(chosen))


# -- zero-shot -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ZeroShotOptions:
    """Thresholds of the zero-shot model (cosines of MiniLM embeddings; see docs/stages.md)."""

    top_k: int = 2
    domain: float = 0.15
    narrative: float = 0.45
    subnarrative: float = 0.55
    relative: float = 0.12         # a narrative must be within this of the best one
    sub_relative: float = 0.10     # a subnarrative must be within this of its narrative's best one
    max_narratives: int = 3
    max_subnarratives: int = 2
    evidence: float = 0.40
    evidence_sentences: int = 3

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ZeroShotOptions:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}  # type: ignore[attr-defined]
        return cls(**known)


class ZeroShotModel:
    """Label descriptions and example sentences as prototypes; cosine scores, no training."""

    def __init__(self, taxonomy: Taxonomy, options: ZeroShotOptions | None = None, *,
                 name: str = DEFAULT_MODEL) -> None:
        from narratrace.vectors import encoder_name

        self.name = name
        self.encoder = encoder_name()  # prototypes and sentences in one space: the run's encoder
        self.taxonomy = taxonomy
        self.options = options or ZeroShotOptions()
        self.labels: tuple[Label, ...] = taxonomy.labels
        texts: list[str] = []
        owner: list[int] = []
        for i, lab in enumerate(self.labels):
            for t in lab.texts:
                texts.append(t)
                owner.append(i)
        self._owner = np.asarray(owner)
        self._prototypes = _embed_cached(tuple(texts), self.encoder)
        domain_texts = [t for d in taxonomy.domains for t in d.texts]
        self._domain_owner = np.asarray([i for i, d in enumerate(taxonomy.domains) for _ in d.texts])
        self._domain_vectors = _embed_cached(tuple(domain_texts), self.encoder)
        # a narrative is also represented by its subnarratives' texts
        self._members: list[np.ndarray] = []
        index = {lab.label: i for i, lab in enumerate(self.labels)}
        for i, lab in enumerate(self.labels):
            ids = {i} | ({index[s.label] for s in taxonomy.subnarratives(lab.label)} if lab.parent is None else set())
            self._members.append(np.flatnonzero(np.isin(self._owner, list(ids))))

    def sentence_scores(self, vectors: np.ndarray) -> np.ndarray:
        """``(sentences, labels)``: each sentence's best cosine to each label's texts."""
        if not len(vectors):
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        sims = np.asarray(vectors, dtype=np.float32) @ self._prototypes.T
        return np.stack([sims[:, m].max(1) for m in self._members], axis=1)

    def domain_of(self, vectors: np.ndarray) -> tuple[str | None, float]:
        if not len(vectors) or not len(self._domain_vectors):
            return None, 0.0
        sims = pooled(vectors) @ self._domain_vectors.T
        best = {i: float(sims[self._domain_owner == i].max()) for i in range(len(self.taxonomy.domains))}
        i = max(best, key=lambda k: best[k])
        return self.taxonomy.domains[i].label, best[i]

    def predict(self, vectors: np.ndarray, spans: Sequence[Span]) -> Prediction:
        o = self.options
        per_sentence = self.sentence_scores(vectors)
        scores = {lab.label: _top_mean(per_sentence[:, i], o.top_k) for i, lab in enumerate(self.labels)}
        domain, dscore = self.domain_of(vectors)
        if domain is None or dscore < o.domain:
            return Prediction((), None, scores)
        column = {lab.label: i for i, lab in enumerate(self.labels)}
        narratives = sorted((lab for lab in self.taxonomy.narratives if lab.domain == domain),
                            key=lambda lab: -scores[lab.label])
        best = scores[narratives[0].label] if narratives else 0.0
        hits: list[NarrativeHit] = []
        for n in narratives[:o.max_narratives]:
            s = scores[n.label]
            if s < o.narrative or s < best - o.relative:
                break
            subs = sorted(self.taxonomy.subnarratives(n.label), key=lambda lab: -scores[lab.label])
            top = scores[subs[0].label] if subs else 0.0
            kept = [sub for sub in subs[:o.max_subnarratives]
                    if scores[sub.label] >= o.subnarrative and scores[sub.label] >= top - o.sub_relative]
            for sub in kept:
                hits.append(NarrativeHit(n.label, sub.label, scores[sub.label],
                                         _evidence(per_sentence[:, column[sub.label]], spans,
                                                   minimum=o.evidence, limit=o.evidence_sentences)))
            if not kept:
                hits.append(NarrativeHit(n.label, None, s, _evidence(per_sentence[:, column[n.label]], spans,
                                                                     minimum=o.evidence, limit=o.evidence_sentences)))
        return Prediction(tuple(hits), domain, scores)


@functools.lru_cache(maxsize=8)
def _embed_cached(texts: tuple[str, ...], encoder: str) -> np.ndarray:
    return embed(list(texts), encoder=encoder) if texts else np.zeros((0, DIM), dtype=np.float32)


# -- trained linear model ------------------------------------------------------------------------
class LinearModel:
    """One logistic regression per label on the mean sentence embedding (``narratrace train narratives``)."""

    def __init__(self, taxonomy: Taxonomy, labels: Sequence[str], weights: np.ndarray, bias: np.ndarray, *,
                 threshold: float = 0.5, sub_threshold: float | None = None, hierarchical: bool = False,
                 max_narratives: int = 4, evidence_sentences: int = 3, name: str = "linear",
                 encoder: str = "all-MiniLM-L6-v2") -> None:
        self.encoder = encoder  # the encoder of the features it was trained on
        if weights.shape != (len(labels), DIM) or bias.shape != (len(labels),):
            raise ConfigError(f"narratives model {name}: weights {weights.shape} do not fit {len(labels)} labels")
        self.name = name
        self.taxonomy = taxonomy
        self.labels = list(labels)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.threshold = threshold
        self.sub_threshold = threshold if sub_threshold is None else sub_threshold
        # hierarchical: subnarratives only under narratives that pass ``threshold``; flat (models
        # written before it): any label at ``threshold``, a subnarrative bringing its narrative
        self.hierarchical = hierarchical
        self.max_narratives = max_narratives
        self.evidence_sentences = evidence_sentences
        self._parent = {lab.label: lab.parent for lab in taxonomy.labels}

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        z = self.weights @ pooled(vectors) + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def predict(self, vectors: np.ndarray, spans: Sequence[Span]) -> Prediction:
        if not len(vectors):
            return Prediction(())
        probs = self.probabilities(vectors)
        scores = {lab: float(p) for lab, p in zip(self.labels, probs)}
        sentence_logits = np.asarray(vectors, dtype=np.float32) @ self.weights.T + self.bias
        column = {lab: i for i, lab in enumerate(self.labels)}
        narratives = sorted((lab for lab in self.labels if self._parent.get(lab) is None
                             and scores[lab] >= self.threshold), key=lambda lab: -scores[lab])
        subs = [lab for lab in self.labels if self._parent.get(lab) and scores[lab] >= self.sub_threshold]
        if self.hierarchical:
            subs = [sub for sub in subs if self._parent[sub] in narratives[:self.max_narratives]]
        else:
            for sub in subs:  # a confident subnarrative brings its narrative
                parent = self._parent[sub]
                if parent is not None and parent not in narratives:
                    narratives.append(parent)
        hits = []
        for n in narratives[:self.max_narratives]:
            kept = [s for s in subs if self._parent[s] == n]
            for s in kept:
                hits.append(NarrativeHit(n, s, scores[s], _evidence(sentence_logits[:, column[s]], spans,
                                                                    minimum=0.0, limit=self.evidence_sentences)))
            if not kept:
                col = sentence_logits[:, column[n]] if n in column else np.zeros(len(spans))
                hits.append(NarrativeHit(n, None, scores.get(n, self.threshold),
                                         _evidence(col, spans, minimum=0.0, limit=self.evidence_sentences)))
        domains = [self.taxonomy.get(h.narrative).domain for h in hits]
        return Prediction(tuple(hits), max(set(domains), key=domains.count) if domains else None, scores)

    def save(self, out: Path, **meta: Any) -> None:
        out.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(out / "weights.npz", weights=self.weights.astype(np.float32),
                            bias=self.bias.astype(np.float32))
        (out / MODEL_FILE).write_text(json.dumps({"kind": "linear", "labels": self.labels,
                                                  "threshold": self.threshold, "sub_threshold": self.sub_threshold,
                                                  "hierarchical": self.hierarchical, "encoder": self.encoder,
                                                  **meta}, indent=1,
                                                 ensure_ascii=False) + "\n", encoding="utf-8")


# -- loading -------------------------------------------------------------------------------------
def _resolve_taxonomy_paths(model_dir: Path, names: Sequence[str] | None) -> list[Path] | None:
    if not names:
        return None
    from narratrace.narratives.taxonomy import default_taxonomy_paths

    shipped = {p.name: p for p in default_taxonomy_paths()}
    out = []
    for n in names:
        p = model_dir / n
        out.append(p if p.is_file() else shipped.get(n, Path(n)))
    return out


@functools.lru_cache(maxsize=4)
def _load(model_dir: str, taxonomies: tuple[str, ...], encoder: str) -> NarrativeModel:  # one per encoder
    path = Path(model_dir)
    try:
        spec = json.loads((path / MODEL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"narratives model {path}: unreadable {MODEL_FILE}: {exc}") from None
    taxonomy = load_taxonomies(list(taxonomies) or _resolve_taxonomy_paths(path, spec.get("taxonomies")))
    kind = spec.get("kind")
    if kind == "zero-shot":
        return ZeroShotModel(taxonomy, ZeroShotOptions.from_dict(spec.get("options") or {}), name=path.name)
    if kind == "linear":
        try:
            arrays = np.load(path / "weights.npz")
            weights, bias = arrays["weights"], arrays["bias"]
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(f"narratives model {path}: unreadable weights.npz: {exc}") from None
        unknown = [lab for lab in spec["labels"] if lab not in {x.label for x in taxonomy.labels}]
        if unknown:
            raise ConfigError(f"narratives model {path}: labels not in the taxonomy: {unknown[:3]}")
        threshold = float(spec.get("threshold", 0.5))
        return LinearModel(taxonomy, spec["labels"], weights, bias, threshold=threshold,
                           sub_threshold=float(spec.get("sub_threshold", threshold)),
                           hierarchical=bool(spec.get("hierarchical", False)), name=path.name,
                           encoder=str(spec.get("encoder") or "all-MiniLM-L6-v2"))
    if kind == "fine-tuned":
        from narratrace.narratives.finetuned import FineTunedNarrativeModel

        return FineTunedNarrativeModel.load(path, spec, taxonomy)
    raise ConfigError(f"narratives model {path}: unknown kind {kind!r} (zero-shot, linear or fine-tuned)")


def load_model(model: str | Path | None = None, *, taxonomies: Sequence[str | Path] | None = None) -> NarrativeModel:
    """The model ``model`` (a name or a directory; default: the shipped zero-shot model), loaded once."""
    from narratrace.cards import resolve_model

    path = resolve_model("narratives", str(model) if model else None, default=DEFAULT_MODEL)
    from narratrace.vectors import encoder_name

    return _load(str(path.resolve()), tuple(str(t) for t in taxonomies or ()), encoder_name())
