"""Narratives by a fine-tuned MiniLM (``narratrace train narratives --fine-tune``): the strong option.

MiniLM reads 256 tokens at most and an article is longer, so an article is cut into *chunks* of
consecutive sentences (:func:`chunks`: the embedded sentences of :func:`document_units`, title
first, about ``chunk_words`` words each, a sentence never split). The classifier
(:class:`narratrace.finetune.TextClassifier`, one sigmoid per taxonomy label) scores every chunk;
a document's score for a label is the pool of its chunks' scores (``max`` or the mean of the two
best, ``top2``). Training gives every chunk its document's labels. Decoding is hierarchical, as
the linear model's: narratives at or above ``threshold`` (none: ``Other``; at most
``max_narratives``), then only their subnarratives at or above ``sub_threshold``. Pooling and both
thresholds are chosen on the development tenth of the training documents, never on held-out ones.
Evidence of a label: the sentences of its best-scoring chunk (at most ``evidence_sentences``).

Unlike the other models it reads the article's text, not its stored sentence vectors
(``reads_text``; :meth:`FineTunedNarrativeModel.predict_text`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import ConfigError
from narratrace.model import Span
from narratrace.narratives.classifier import NarrativeHit, Prediction
from narratrace.narratives.taxonomy import Taxonomy

__all__ = ["CHUNK_WORDS", "FineTunedNarrativeModel", "POOLINGS", "chunk_texts", "chunks", "pool"]

CHUNK_WORDS = 120            # ~160 MiniLM tokens: a chunk fits the classifier's max_length
POOLINGS = ("max", "top2")
_WORD = re.compile(r"\S+")


def chunks(text: str, units: Sequence[Span], *, chunk_words: int = CHUNK_WORDS) -> list[list[Span]]:
    """Consecutive sentences grouped into chunks of at most ``chunk_words`` words (a longer sentence
    is a chunk of its own, cut by the tokenizer)."""
    out: list[list[Span]] = []
    words = 0
    for u in units:
        n = len(_WORD.findall(text[u.start:u.end]))
        if out and words + n <= chunk_words:
            out[-1].append(u)
            words += n
        else:
            out.append([u])
            words = n
    return out


def chunk_texts(text: str, groups: Sequence[Sequence[Span]]) -> list[str]:
    return [" ".join(" ".join(text[s.start:s.end].split()) for s in g) for g in groups]


def pool(p: np.ndarray, how: str) -> np.ndarray:
    """``(chunks, labels)`` probabilities -> ``(labels,)`` document scores."""
    if not len(p):
        return np.zeros(p.shape[1] if p.ndim == 2 else 0, dtype=np.float32)
    if how == "max" or len(p) == 1:
        return p.max(0)
    if how == "top2":
        return np.sort(p, axis=0)[-2:].mean(0)
    raise ConfigError(f"unknown chunk pooling {how!r}; use one of {', '.join(POOLINGS)}")


class FineTunedNarrativeModel:
    """A :class:`~narratrace.finetune.TextClassifier` over article chunks, decoded hierarchically."""

    reads_text = True
    #: What it reads: MiniLM was trained on English, and so was its fine-tuning. The stage's document
    #: vectors (stories) still come from the run's encoder (``encoder``), which may be multilingual.
    languages: tuple[str, ...] = ("en",)

    def __init__(self, taxonomy: Taxonomy, classifier: Any, *, threshold: float = 0.5, sub_threshold: float = 0.5,
                 pooling: str = "max", chunk_words: int = CHUNK_WORDS, max_narratives: int = 4,
                 evidence_sentences: int = 3, name: str = "fine-tuned") -> None:
        from narratrace.vectors import encoder_name

        unknown = [lab for lab in classifier.labels if lab not in {x.label for x in taxonomy.labels}]
        if unknown:
            raise ConfigError(f"narratives model {name}: labels not in the taxonomy: {unknown[:3]}")
        if pooling not in POOLINGS:
            raise ConfigError(f"narratives model {name}: unknown pooling {pooling!r}")
        self.name = name
        self.taxonomy = taxonomy
        self.encoder = encoder_name()  # the stage's document vectors (for stories) come from the run's encoder
        self.classifier = classifier
        self.labels = list(classifier.labels)
        self.threshold, self.sub_threshold = float(threshold), float(sub_threshold)
        self.pooling, self.chunk_words = pooling, int(chunk_words)
        self.max_narratives, self.evidence_sentences = max_narratives, evidence_sentences
        self._parent = {lab.label: lab.parent for lab in taxonomy.labels}

    def chunk_probabilities(self, documents: Sequence[tuple[str, Sequence[Span]]]
                            ) -> list[tuple[list[list[Span]], np.ndarray]]:
        """Per document its chunks and their ``(chunks, labels)`` probabilities, all classified in one go."""
        groups = [chunks(text, units, chunk_words=self.chunk_words) for text, units in documents]
        texts = [t for (text, _), g in zip(documents, groups) for t in chunk_texts(text, g)]
        p = self.classifier.probabilities(texts) if texts else np.zeros((0, len(self.labels)), dtype=np.float32)
        out, pos = [], 0
        for g in groups:
            out.append((g, p[pos:pos + len(g)]))
            pos += len(g)
        return out

    def decode(self, groups: Sequence[Sequence[Span]], p: np.ndarray, *, threshold: float | None = None,
               sub_threshold: float | None = None, pooling: str | None = None) -> Prediction:
        """The prediction of one document from its chunks' probabilities (thresholds overridable: tuning)."""
        if not len(groups):
            return Prediction(())
        t = self.threshold if threshold is None else threshold
        u = self.sub_threshold if sub_threshold is None else sub_threshold
        doc = pool(p, pooling or self.pooling)
        scores = {lab: float(s) for lab, s in zip(self.labels, doc)}
        column = {lab: i for i, lab in enumerate(self.labels)}
        narratives = sorted((lab for lab in self.labels if self._parent.get(lab) is None and scores[lab] >= t),
                            key=lambda lab: -scores[lab])[:self.max_narratives]
        subs = [lab for lab in self.labels if self._parent.get(lab) in narratives and scores[lab] >= u]

        def evidence(label: str) -> tuple[Span, ...]:
            best = groups[int(np.argmax(p[:, column[label]]))]
            return tuple(best[:self.evidence_sentences])

        hits = []
        for n in narratives:
            kept = sorted((s for s in subs if self._parent[s] == n), key=lambda s: -scores[s])
            hits += [NarrativeHit(n, s, scores[s], evidence(s)) for s in kept]
            if not kept:
                hits.append(NarrativeHit(n, None, scores[n], evidence(n)))
        domains = [self.taxonomy.get(h.narrative).domain for h in hits]
        return Prediction(tuple(hits), max(set(domains), key=domains.count) if domains else None, scores)

    def predict_text(self, text: str, units: Sequence[Span]) -> Prediction:
        ((groups, p),) = self.chunk_probabilities([(text, units)])
        return self.decode(groups, p)

    def predict_texts(self, documents: Sequence[tuple[str, Sequence[Span]]]) -> list[Prediction]:
        return [self.decode(g, p) for g, p in self.chunk_probabilities(documents)]

    def predict(self, vectors: np.ndarray, spans: Sequence[Span]) -> Prediction:
        raise ConfigError(f"narratives model {self.name} is fine-tuned: it reads the article's text "
                          "(predict_text), not sentence vectors")

    def save(self, out: Path, **meta: Any) -> None:
        """``classifier.pt``/``classifier.json`` (the network) and ``model.json`` (decoding)."""
        from narratrace.narratives.classifier import MODEL_FILE

        self.classifier.save(out)
        (out / MODEL_FILE).write_text(json.dumps({
            "kind": "fine-tuned", "labels": self.labels, "threshold": self.threshold,
            "sub_threshold": self.sub_threshold, "pooling": self.pooling, "chunk_words": self.chunk_words,
            "max_narratives": self.max_narratives, **meta}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path, spec: dict[str, Any], taxonomy: Taxonomy) -> FineTunedNarrativeModel:
        from narratrace.finetune import TextClassifier

        classifier = TextClassifier.load(path)
        if list(classifier.labels) != list(spec.get("labels", classifier.labels)):
            raise ConfigError(f"narratives model {path}: model.json and classifier.json disagree on the labels")
        return cls(taxonomy, classifier, threshold=float(spec.get("threshold", 0.5)),
                   sub_threshold=float(spec.get("sub_threshold", spec.get("threshold", 0.5))),
                   pooling=str(spec.get("pooling", "max")), chunk_words=int(spec.get("chunk_words", CHUNK_WORDS)),
                   max_narratives=int(spec.get("max_narratives", 4)), name=path.name)
