"""The techniques review simulation (:mod:`narratrace.reviews.simulation`) on a PTC-format folder.

The pool is the ``train`` split of the folder (capped at ``pool`` articles), the held-out part its
``heldout`` split (the quality table's). An item is one span the current model finds in a pool
article, named as the review queue names it (``technique:ARTICLE:START-END:TECHNIQUE``). Gold says:

* *confirm* — a gold span of the same technique has exactly these edges;
* *correct* — gold spans overlap it: the one of the same technique that overlaps most (else the one
  that overlaps most) gives the corrected edges and technique;
* *reject* — no gold span overlaps it.

Training is ``narratrace train techniques --data BASE --split all --from-reviews STORE``: the
tagger needs whole labelled articles to learn where spans begin and end, so a small base set in
PTC format trains with the reviews (``base``; the repository's own sample ``tests/data/techniques``
in docs/quality.md). Sentence embeddings are encoded once for the whole run.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from narratrace.errors import ConfigError
from narratrace.model import Article, article_id_for

__all__ = ["TechniquesSimulation", "gold_review", "make_simulation"]


def gold_review(start: int, end: int, technique: str, gold: Sequence[tuple[int, int, str]]
                ) -> tuple[str, dict[str, Any]]:
    """The verdict and correction gold labels ``(start, end, technique)`` give a found span."""
    overlapping = [(min(end, b) - max(start, a), a, b, t) for a, b, t in gold if a < end and start < b]
    if not overlapping:
        return "reject", {}
    same = [o for o in overlapping if o[3] == technique]
    _, a, b, t = max(same or overlapping, key=lambda o: (o[0], -o[1]))
    if t == technique and (a, b) == (start, end):
        return "confirm", {}
    fix: dict[str, Any] = {} if t == technique else {"label": t}
    if (a, b) != (start, end):
        fix.update(start=a, end=b)
    return "correct", fix


class TechniquesSimulation:
    kind = "technique"
    trains_without_reviews = True  # the base set alone is a model too: its row shows what the reviews add
    base_label = "base set alone"
    measures = (("si.f1", "span identification F1"), ("tc.micro_f1", "technique classification micro-F1"))

    def __init__(self, data: Path, *, heldout: Path | None = None, seed: int = 13, base: str | Path | None = None,
                 pool: int | None = 120, heldout_limit: int | None = None, **_: Any) -> None:
        from narratrace.techniques.ptc import read_ptc

        if base is None:
            raise ConfigError("the techniques simulation needs --base PTC_DIR: a small labelled set in PTC format that "
                              "trains with the reviews (the tagger learns where spans begin and end from whole "
                              "articles); the repository's own sample is tests/data/techniques")
        self.data, self.base, self.seed = data, Path(base), seed
        self.heldout_path = heldout or data
        self.heldout_split = "all" if heldout else "heldout"
        self.heldout_limit = heldout_limit
        self.pool = list(read_ptc(data, split="all" if heldout else "train", limit=pool))
        self._gold = {a.id: [(lab.start, lab.end, lab.technique) for lab in a.labels] for a in self.pool}
        self._stack = contextlib.ExitStack()
        from narratrace.techniques.learned import memoized_embeddings

        self._stack.enter_context(memoized_embeddings())  # until close()

    def close(self) -> None:
        self._stack.close()

    def describe(self) -> dict[str, Any]:
        return {"pool": len(self.pool), "pool_data": str(self.data),
                "heldout": f"{self.heldout_path} (split {self.heldout_split})", "base": str(self.base),
                "shipped_default": "rules-v1"}

    def articles(self) -> list[Article]:
        return [Article(id=article_id_for(a.id), ref=a.id, text=a.text) for a in self.pool]

    def candidates(self, model: str | None) -> list[Any]:
        from narratrace.reviews.simulation import SimulatedReview
        from narratrace.store.reviews import ReviewItem
        from narratrace.techniques import load_model

        tm = load_model(model)
        out = []
        for a in self.pool:
            aid = article_id_for(a.id)
            for h in tm.detect(a.text):
                if h.score < tm.min_score:
                    continue
                verdict, fix = gold_review(h.start, h.end, h.technique, self._gold[a.id])
                fingerprint = hashlib.sha256(f"{h.technique}|{h.start}|{h.end}".encode()).hexdigest()[:16]
                item = ReviewItem("technique", f"technique:{aid}:{h.start}-{h.end}:{h.technique}", aid, a.id, None,
                                  None, "techniques", tm.name, h.start, h.end, h.technique, a.text[h.start:h.end],
                                  float(h.score), {}, fingerprint, 0.5)
                out.append(SimulatedReview(item, verdict, fix))
        return out

    def train(self, store: str, out: Path, *, seed: int) -> str:
        from narratrace.evaluation import run_training

        run_training("techniques", self.base, out, split="all", seed=seed, reviews=store, score=False)
        return str(out)

    def score(self, model: str | None) -> dict[str, float]:
        from narratrace.evaluation import flatten_measures
        from narratrace.techniques.evaluation import evaluate_techniques

        result = evaluate_techniques(self.heldout_path, model=model, split=self.heldout_split,
                                     limit=self.heldout_limit)
        flat = flatten_measures(result["measures"])
        return {m: float(flat[m]) for m, _ in self.measures}


def make_simulation(data: Path, **options: Any) -> TechniquesSimulation:
    return TechniquesSimulation(data, **options)
