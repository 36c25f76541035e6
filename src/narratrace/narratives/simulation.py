"""The narratives review simulation (:mod:`narratrace.reviews.simulation`) on SemEval-2025 Task 10 folders.

The pool is the training folder (``--data``, capped at ``pool`` documents) and the held-out part the
dev folder (``--heldout``), as in the quality table; without ``--heldout``, the ``train`` and
``heldout`` splits of ``--data``. An item is one label the current model gives a pool document
(a subnarrative, or a narrative without one), named as the review queue names it
(``narrative:ARTICLE:NARRATIVE:LABEL``), with its score. Gold says *confirm* when the document
carries the label and *reject* when it does not. Training is ``narratrace train narratives
--from-reviews STORE`` with no benchmark: the pool's articles as the shipped (zero-shot) default
labels them, corrected by the reviews so far. Sentence vectors are encoded once
(``$NARRATRACE_CACHE``, a temporary folder removed by :meth:`close` when unset).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from narratrace.model import Article, article_id_for

__all__ = ["NarrativesSimulation", "make_simulation"]


class NarrativesSimulation:
    kind = "narrative"
    trains_without_reviews = True  # the default's labels alone, learned: the row that shows what the copy loses
    base_label = "the default's labels of the pool, no review"
    measures = (("f1_samples.narratives", "samples-F1 narratives"),
                ("f1_samples.subnarratives", "samples-F1 subnarratives"))

    def __init__(self, data: Path, *, heldout: Path | None = None, seed: int = 13, pool: int | None = None,
                 **_: Any) -> None:
        from narratrace.narratives.evaluation import document_vectors, read_semeval

        # train_narratives reads the reviewed documents' vectors again: from this cache, not the encoder
        self._cache = os.environ.get("NARRATRACE_CACHE") or tempfile.mkdtemp(prefix="narratrace-simulate-vectors-")
        self._own_cache = not os.environ.get("NARRATRACE_CACHE")
        self.data, self.heldout_path = data, heldout or data
        self.heldout_split = "all" if heldout else "heldout"
        self.pool = read_semeval(data, split="all" if heldout else "train", limit=pool)
        self.heldout = read_semeval(self.heldout_path, split=self.heldout_split)
        with self._cached():
            self._pool_vectors = document_vectors(self.pool)
            self._heldout_vectors = document_vectors(self.heldout)

    @contextlib.contextmanager
    def _cached(self) -> Iterator[None]:
        before = os.environ.get("NARRATRACE_CACHE")
        os.environ["NARRATRACE_CACHE"] = self._cache
        try:
            yield
        finally:
            if before is None:
                del os.environ["NARRATRACE_CACHE"]
            else:
                os.environ["NARRATRACE_CACHE"] = before

    def close(self) -> None:
        if self._own_cache:
            shutil.rmtree(self._cache, ignore_errors=True)

    def describe(self) -> dict[str, Any]:
        return {"pool": len(self.pool), "pool_data": str(self.data), "heldout": len(self.heldout),
                "heldout_data": f"{self.heldout_path} (split {self.heldout_split})",
                "shipped_default": "zero-shot-v1", "trained_on": "the default's labels of the pool, corrected by the reviews"}

    def articles(self) -> list[Article]:
        return [Article(id=article_id_for(d.id), ref=d.id, text=d.text) for d in self.pool]

    def candidates(self, model: str | None) -> list[Any]:
        from narratrace.narratives.classifier import load_model
        from narratrace.reviews.simulation import SimulatedReview
        from narratrace.store.reviews import ReviewItem

        clf = load_model(model)
        out = []
        for d, (units, vectors) in zip(self.pool, self._pool_vectors):
            aid = article_id_for(d.id)
            gold = {*d.narratives, *d.subnarratives}
            for h in clf.predict(vectors, units).hits:
                label = h.subnarrative or h.narrative
                span = h.evidence[0] if h.evidence else (units[0] if units else None)
                start, end = (span.start, span.end) if span is not None else (0, 0)
                key = f"narrative:{aid}:{h.narrative}:{label}"
                fingerprint = hashlib.sha256(f"{label}|{start}|{end}".encode()).hexdigest()[:16]
                item = ReviewItem("narrative", key, aid, d.id, None, None, "narratives", clf.name, start, end, label,
                                  d.text[start:end], float(h.score), {}, fingerprint, 0.5)
                out.append(SimulatedReview(item, "confirm" if label in gold else "reject"))
        return out

    def train(self, store: str, out: Path, *, seed: int) -> str:
        from narratrace.evaluation import run_training

        with self._cached():
            run_training("narratives", None, out, seed=seed, reviews=store, default_only=True)
        return str(out)

    def score(self, model: str | None) -> dict[str, float]:
        from narratrace.narratives.classifier import load_model
        from narratrace.narratives.evaluation import score

        clf = load_model(model)
        coarse, fine = clf.taxonomy.official_classes()
        preds = [clf.predict(v, units) for units, v in self._heldout_vectors]
        c = score([d.narratives for d in self.heldout], [p.narratives for p in preds], coarse)
        f = score([d.subnarratives for d in self.heldout], [p.subnarratives for p in preds], fine)
        return {"f1_samples.narratives": c["f1"], "f1_samples.subnarratives": f["f1"]}


def make_simulation(data: Path, **options: Any) -> NarrativesSimulation:
    return NarrativesSimulation(data, **options)
