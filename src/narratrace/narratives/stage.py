"""Narratives of each article against a taxonomy (with evidence sentences), and discovery of new ones.

Two corpus stages (see ``docs/stages.md``):

* ``narratives`` reads the vectors of each new article's sentences (stored once by ``sentence_vectors``;
  a sentence without one is embedded here, by the same encoder), classifies them
  with the configured model (:mod:`narratrace.narratives.classifier`; default the shipped
  zero-shot model over the URW and CC label sets; a fine-tuned model reads the articles' text in
  chunks instead of their vectors, which are still read for the document vectors) and stores per article ``kind="narrative"``
  annotations on the evidence sentences, plus a blob (:func:`pack_result`) holding the labels with
  their scores and evidence, and the article's document and lead vectors (for ``stories``). It is a
  corpus stage for the same reason as ``claim_vectors``: one model in one process, batching the
  sentences of many articles.
* ``narrative_discovery`` clusters the claims that no label covers (:mod:`narratrace.narratives.discovery`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from narratrace.errors import ConfigError
from narratrace.languages import supports
from narratrace.model import Annotation, Article, Span
from narratrace.narratives.classifier import (DEFAULT_MODEL, NarrativeHit, Prediction, ZeroShotModel, document_units,
                                              load_model, pooled, reads_text)
from narratrace.narratives.discovery import DiscoveryOptions, TopicClaim, discover
from narratrace.narratives.taxonomy import load_taxonomies
from narratrace.narratives.results import ArticleNarratives, DiscoveryResult, NarrativesResult, pack_result, unpack_result
from narratrace.narratives.store import save_discovery, save_narratives
from narratrace.pipeline import CorpusView, stage
from narratrace.cosines import to_reference
from narratrace.vectors import encoder_languages, encoder_name, load_sentence_vectors, sentence_matrix, space_of

__all__ = ["ArticleNarratives", "DiscoveryResult", "NarrativesResult", "make_narrative_discovery", "make_narratives",
           "readable_languages",
           "pack_result", "unpack_result"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

LEAD_SENTENCES = 5


def annotations_of(hits: Sequence[NarrativeHit]) -> tuple[Annotation, ...]:
    out = []
    for rank, h in enumerate(hits):
        for e in h.evidence:
            out.append(Annotation("narrative", e.start, e.end, h.subnarrative or h.narrative,
                                  {"narrative": h.narrative, "subnarrative": h.subnarrative,
                                   "score": round(h.score, 4), "rank": rank}))
    out.sort(key=lambda a: (a.start, a.end, a.data["rank"]))
    return tuple(out)


def _check_paths(name: str, taxonomies: Sequence[str] | None) -> None:
    for t in taxonomies or ():
        if not Path(t).is_file():
            raise ConfigError(f"{name}: taxonomy file {t!r} does not exist")


@stage("narratives", version="narratives.v1", level="corpus",
       requires=["article.text", "article.sentences", "article.language"], uses=["article.sentence_vectors"],
       produces=["article.narratives", "article.narrative_vectors"], save=save_narratives, encoder=True,
       default_config={"model": DEFAULT_MODEL, "taxonomies": None, "max_sentences": 64, "batch_articles": 32,
                       "languages": ["*"]})  # those of the run's encoder (the zero-shot model embeds its prototypes with it)
def make_narratives(*, model: str, taxonomies: Sequence[str] | None, max_sentences: int, batch_articles: int,
                    languages: Sequence[str]) -> Callable[..., NarrativesResult]:
    """Narratives and subnarratives of each article (multi-label), with the sentences that support them."""
    _check_paths("narratives", taxonomies)
    if int(max_sentences) < 1:
        raise ConfigError(f"narratives: max_sentences must be at least 1, not {max_sentences!r}")
    clf = load_model(model, taxonomies=taxonomies)  # fails before a run on a bad model or taxonomy
    languages = readable_languages(clf, languages)

    def classify(corpus: CorpusView, *, new_ids: Sequence[str],
                 progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> NarrativesResult:
        rows: list[tuple[str, str, bytes, tuple[Annotation, ...]]] = []
        done = 0
        ids = list(new_ids)
        for start in range(0, len(ids), max(1, int(batch_articles))):
            batch = list(corpus.articles(ids[start:start + int(batch_articles)]))
            units: list[list[Span]] = []
            for art in batch:
                units.append(document_units(art.text, art.sentences, max_sentences=int(max_sentences))
                             if supports(languages, art.language) else [])
            stored = load_sentence_vectors(corpus, [a.id for a in batch])
            matrices = sentence_matrix([(a.text, us, stored.get(a.id)) for a, us in zip(batch, units)],
                                       encoder=clf.encoder)
            texts = (clf.predict_texts([(a.text, us) for a, us in zip(batch, units)])  # reads the text
                     if reads_text(clf) else [None] * len(batch))
            for art, us, v, pred in zip(batch, units, matrices, texts):
                rows.append(_one(art, us, v, clf, languages, pred))
            done += len(batch)
            if progress:
                progress("narratives", done, len(ids))
        return NarrativesResult(tuple(rows))
    return classify


def readable_languages(clf: Any, languages: Sequence[str]) -> list[str]:
    """Of ``languages``, those the stage analyses with ``clf``: a model's vectors mean something in
    its encoder's languages only, and a model that reads the text itself (the fine-tuned MiniLM)
    says which languages it reads (``languages``), whatever the run's encoder."""
    readable = encoder_languages(clf.encoder)
    own = getattr(clf, "languages", None)
    if own is not None:
        readable = [x for x in own if readable is None or x in readable]
    return list(languages) if readable is None else [x for x in readable if supports(languages, x)]


def _one(art: Article, units: Sequence[Span], vectors: np.ndarray, clf: Any, languages: Sequence[str],
         pred: Prediction | None = None) -> tuple[str, str, bytes, tuple[Annotation, ...]]:
    lead_units = units[:LEAD_SENTENCES]
    lead_text = " ".join(art.text[u.start:u.end] for u in lead_units)[:800]
    if art.title and art.title.strip() and art.title.strip() not in lead_text:
        lead_text = f"{art.title.strip()}. {lead_text}"
    if not units:
        reason = f"language {art.language!r} is not one of {list(languages)}" \
            if not supports(languages, art.language) else "no sentence of four words or more"
        empty = np.zeros(384, dtype=np.float32)
        return (art.id, art.content_hash, pack_result(ArticleNarratives(clf.name, None, (), empty, empty,
                                                                        lead_text, reason)), ())
    pred = pred if pred is not None else clf.predict(vectors, units)
    result = ArticleNarratives(clf.name, pred.domain, pred.hits, pooled(vectors), pooled(vectors[:LEAD_SENTENCES]),
                               lead_text)
    return art.id, art.content_hash, pack_result(result), annotations_of(pred.hits)


# -- discovery -------------------------------------------------------------------------------------
@stage("narrative_discovery", version="narrative_discovery.v2", level="corpus",
       requires=["article.narratives", "article.claims", "article.claim_vectors"],
       produces=["corpus.narrative_topics"], save=save_discovery, encoder=True,
       default_config={"taxonomies": None, "covered": 0.55, "min_cluster_size": 3, "min_articles": 2,
                       "max_claims": 20000})
def make_narrative_discovery(*, taxonomies: Sequence[str] | None, covered: float, min_cluster_size: int,
                             min_articles: int, max_claims: int) -> Callable[..., DiscoveryResult]:
    """Clusters of claims, across articles, that no narrative label covers: candidates for new labels.

    At most ``max_claims`` uncovered claims are clustered, evenly spread over the corpus in
    ingestion order: HDBSCAN's spanning tree is quadratic in the claims it is given.
    """
    _check_paths("narrative_discovery", taxonomies)
    if int(max_claims) < 2:
        raise ConfigError(f"narrative_discovery: max_claims must be at least 2, not {max_claims!r}")
    if int(min_cluster_size) < 2:
        raise ConfigError(f"narrative_discovery: min_cluster_size must be at least 2, not {min_cluster_size!r}")
    opts = DiscoveryOptions(float(covered), int(min_cluster_size), int(min_articles))

    def run(corpus: CorpusView, *, new_ids: Sequence[str],
            progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> DiscoveryResult:
        from narratrace.vectors import unpack_vectors

        prototypes = ZeroShotModel(load_taxonomies(taxonomies))
        evidence: dict[str, list[Span]] = {}
        for aid, data in corpus.stage_data("narratives"):
            if data:
                evidence[aid] = [e for h in unpack_result(data).hits for e in h.evidence]
        claims: list[TopicClaim] = []
        blocks = []
        total = 0
        for aid, data in corpus.stage_data("claim_vectors"):
            if not data:
                continue
            vecs = unpack_vectors(data)
            total += len(vecs)
            for k, (cid, span, text) in enumerate(zip(vecs.ids, vecs.spans, vecs.texts)):
                if any(e.start < span.end and span.start < e.end for e in evidence.get(aid, ())):
                    continue
                claims.append(TopicClaim(aid, cid, span.start, span.end, text, 0.0))
                blocks.append(np.asarray(vecs.matrix[k], dtype=np.float32))
        vectors = np.stack(blocks) if blocks else np.zeros((0, 384), dtype=np.float32)
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        scores = prototypes.sentence_scores(vectors)
        best = to_reference(scores.max(1), space_of(encoder_name())) if len(scores) else np.zeros(0)
        keep = np.flatnonzero(best < opts.covered)  # on the MiniLM scale (e5 puts every claim above 0.55)
        uncovered = len(keep)
        if uncovered > int(max_claims):
            keep = keep[np.unique(np.linspace(0, uncovered - 1, int(max_claims)).round().astype(int))]
            log.info("narrative_discovery: %d uncovered claims, %d of them clustered (max_claims)", uncovered, len(keep))
        topics = discover([claims[i] for i in keep], vectors[keep], scores[keep],
                          [lab.label for lab in prototypes.labels], opts)
        if progress:
            progress("narrative_discovery", len(new_ids), len(new_ids))
        log.info("narrative_discovery: %d claims, %d uncovered, %d topics", total, uncovered, len(topics))
        return DiscoveryResult(tuple(topics), tuple(new_ids), total, uncovered)
    return run
