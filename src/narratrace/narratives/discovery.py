"""Narrative discovery: groups of claims, in several articles, that no taxonomy label covers.

BERTopic's recipe without the package: embeddings (the claims' MiniLM vectors, already stored by
``claim_vectors``), density clustering (scikit-learn's HDBSCAN on unit vectors, so Euclidean
distance ranks like cosine), and class-based TF-IDF key terms (:mod:`narratrace.narratives.terms`).
A claim is *covered* when it lies in an evidence sentence of one of its article's narrative labels
or its best cosine to any label's description or example sentences reaches ``covered``; the
others are clustered. A topic is kept when it spans at least ``min_articles`` articles; it is
described by key terms and the claims closest to its centre, so an analyst can name it and add
it to the taxonomy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from narratrace.narratives.terms import key_terms

__all__ = ["DiscoveryOptions", "Topic", "TopicClaim", "discover"]


@dataclass(frozen=True, slots=True)
class DiscoveryOptions:
    covered: float = 0.55
    min_cluster_size: int = 3
    min_articles: int = 2
    representatives: int = 3
    exact_limit: int = 2000      # up to this many uncovered claims, clustered in the encoder's own space
    reduced_dims: int = 24       # above it, on this many principal components (see :func:`_space`)


@dataclass(frozen=True, slots=True)
class TopicClaim:
    article: str
    claim: str
    start: int
    end: int
    text: str
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article, "claim": self.claim, "start": self.start, "end": self.end,
                "text": self.text, "similarity": round(self.similarity, 4)}


@dataclass(frozen=True, slots=True)
class Topic:
    """A candidate new narrative: key terms, representative claims, the articles it spans."""

    id: str
    label: str
    terms: tuple[str, ...]
    articles: tuple[str, ...]
    claims: tuple[TopicClaim, ...]
    representatives: tuple[TopicClaim, ...]
    nearest_label: str | None = None
    nearest_similarity: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "terms": list(self.terms), "articles": list(self.articles),
                "claims": [c.to_dict() for c in self.claims],
                "representatives": [c.to_dict() for c in self.representatives],
                "nearest_label": self.nearest_label, "nearest_similarity": round(self.nearest_similarity, 4)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Topic:
        def claim(c: Mapping[str, Any]) -> TopicClaim:
            return TopicClaim(c["article"], c["claim"], int(c["start"]), int(c["end"]), c["text"],
                              float(c.get("similarity", 0.0)))
        return cls(d["id"], d["label"], tuple(d.get("terms") or ()), tuple(d["articles"]),
                   tuple(claim(c) for c in d.get("claims") or ()),
                   tuple(claim(c) for c in d.get("representatives") or ()), d.get("nearest_label"),
                   float(d.get("nearest_similarity", 0.0)))


def _distinct(ranked: Sequence[TopicClaim], limit: int) -> list[TopicClaim]:
    """The best-ranked claims with different wording (republished copies repeat one claim)."""
    out: list[TopicClaim] = []
    seen: set[str] = set()
    for c in ranked:
        key = " ".join(c.text.lower().split())[:120]
        if key not in seen:
            seen.add(key)
            out.append(c)
        if len(out) >= limit:
            break
    return out


def _space(vectors: np.ndarray, options: DiscoveryOptions) -> np.ndarray:
    """What HDBSCAN clusters: the unit vectors themselves, or past ``exact_limit`` claims their PCA.

    In 384 dimensions HDBSCAN's trees degrade to all pairs (1,000 articles: 114 s, 38 % of a whole
    run; quadratic after that). Above ``exact_limit`` claims the vectors are projected on their
    first ``reduced_dims`` principal components (BERTopic reduces with UMAP for the same reason;
    PCA is deterministic and already a dependency), where the tree's queries stay cheap.
    """
    if len(vectors) <= options.exact_limit or vectors.shape[1] <= options.reduced_dims:
        return vectors
    from sklearn.decomposition import PCA

    return PCA(n_components=options.reduced_dims, svd_solver="randomized", random_state=0).fit_transform(vectors)


def discover(claims: Sequence[TopicClaim], vectors: np.ndarray, label_scores: np.ndarray,
             label_names: Sequence[str], options: DiscoveryOptions = DiscoveryOptions()) -> list[Topic]:
    """Topics among ``claims`` (already filtered to the uncovered ones), most articles first.

    ``label_scores`` is ``(claims, labels)``: each claim's best cosine to each label's texts, used
    to name the nearest existing label of a topic.
    """
    from sklearn.cluster import HDBSCAN

    n = len(claims)
    if n < max(2, options.min_cluster_size):
        return []
    assignments = HDBSCAN(min_cluster_size=options.min_cluster_size, min_samples=1,
                          copy=True).fit_predict(_space(np.asarray(vectors, dtype=np.float64), options))
    members: dict[int, list[int]] = {}
    for i, c in enumerate(assignments.tolist()):
        if c >= 0:
            members.setdefault(c, []).append(i)
    groups = [m for m in members.values() if len({claims[i].article for i in m}) >= options.min_articles]
    terms = key_terms([[claims[i].text for i in m] for m in groups], top=5)
    topics = []
    for m, t in zip(groups, terms):
        centre = vectors[m].mean(0)
        centre = centre / max(float(np.linalg.norm(centre)), 1e-9)
        sims = vectors[m] @ centre
        ranked = [TopicClaim(claims[i].article, claims[i].claim, claims[i].start, claims[i].end, claims[i].text,
                             float(s)) for i, s in zip(m, sims.tolist())]
        ranked.sort(key=lambda c: -c.similarity)
        nearest, near_sim = None, 0.0
        if label_scores.size:
            mean_scores = label_scores[m].mean(0)
            j = int(np.argmax(mean_scores))
            nearest, near_sim = label_names[j], float(mean_scores[j])
        articles = tuple(dict.fromkeys(c.article for c in ranked))
        topics.append(Topic(id="nt-" + ranked[0].claim.removeprefix("c-"), label=" · ".join(t) or ranked[0].text[:80],
                            terms=tuple(t), articles=articles, claims=tuple(ranked),
                            representatives=tuple(_distinct(ranked, options.representatives)),
                            nearest_label=nearest, nearest_similarity=near_sim))
    topics.sort(key=lambda tp: (-len(tp.articles), -len(tp.claims), tp.id))
    return topics
