"""The ``sentence_vectors`` stage: one encoder pass over the sentences of new articles.

A corpus stage, like every stage that runs an encoder: the model is loaded once, in one process,
and the sentences of ``chunk`` articles go to it in one call (sentence-transformers sorts them by
length and batches them; torch's own threads keep both cores busy). Each article's result is its
``NTSV`` blob (:func:`narratrace.vectors.pack_sentence_vectors`), stored as the stage's data.
Readers get them with :func:`narratrace.vectors.load_sentence_vectors`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from narratrace.errors import ConfigError
from narratrace.pipeline import CorpusView, stage
from narratrace.store import Store
from narratrace.vectors import SENTENCE_STAGE as STAGE, embed_many, pack_sentence_vectors

__all__ = ["SentenceVectorsResult", "make_sentence_vectors"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())



@dataclass(frozen=True, slots=True)
class SentenceVectorsResult:
    """Per article ``(article_id, content_hash, packed blob)``."""

    rows: tuple[tuple[str, str, bytes], ...]


def _save(store: Store, stage_name: str, version: str, result: SentenceVectorsResult) -> None:
    store.save_stage_results(stage_name, version, [(aid, chash, data, ()) for aid, chash, data in result.rows])


@stage(STAGE, version="sentence_vectors.v1", level="corpus", requires=["article.text", "article.sentences"],
       produces=["article.sentence_vectors"], save=_save, encoder=True,
       default_config={"max_sentences": 512, "chunk": 64})
def make_sentence_vectors(*, max_sentences: int, chunk: int) -> Callable[..., SentenceVectorsResult]:
    """Every sentence (with a word in it, the first ``max_sentences``) embedded once by the run's encoder."""
    if int(max_sentences) < 1:
        raise ConfigError(f"sentence_vectors: max_sentences must be at least 1, not {max_sentences!r}")
    if int(chunk) < 1:
        raise ConfigError(f"sentence_vectors: chunk must be at least 1, not {chunk!r}")

    def embed(corpus: CorpusView, *, new_ids: Sequence[str],
              progress: Callable[[str, int, int], None] | None = None, workers: int = 1) -> SentenceVectorsResult:
        rows: list[tuple[str, str, bytes]] = []
        for n in range(0, len(new_ids), int(chunk)):
            batch = list(corpus.articles(new_ids[n:n + int(chunk)]))
            found = embed_many([(a.text, a.sentences) for a in batch], max_sentences=int(max_sentences))
            rows += [(a.id, a.content_hash, pack_sentence_vectors(v)) for a, v in zip(batch, found)]
            if progress:
                progress(STAGE, min(n + int(chunk), len(new_ids)), len(new_ids))
        log.info("sentence_vectors: %d articles embedded", len(rows))
        return SentenceVectorsResult(tuple(rows))
    return embed
