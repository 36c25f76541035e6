"""The ``sentence_vectors`` stage: one encoder pass over the sentences of each article.

An article stage, so the pipeline's pool runs it on every core for a large corpus, each worker
with its own copy of the encoder, loaded once (an int8 ONNX session or torch, one thread each:
two processes of one thread encode twice as fast as one of two threads). An article's sentences
go to the encoder in one call. Its result is the article's ``NTSV`` blob
(:func:`narratrace.vectors.pack_sentence_vectors`), stored as the stage's data; readers get the
rows with :func:`narratrace.vectors.load_sentence_vectors`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from narratrace.errors import ConfigError
from narratrace.model import Article
from narratrace.languages import supports
from narratrace.pipeline import StageOutput, stage
from narratrace.vectors import SENTENCE_STAGE, embed_sentences, pack_sentence_vectors

__all__ = ["make_sentence_vectors"]


@stage(SENTENCE_STAGE, version="sentence_vectors.v1", level="article",
       requires=["article.text", "article.sentences", "article.language"],
       produces=["article.sentence_vectors"], encoder=True, default_config={"max_sentences": 512, "languages": ["*"]})
def make_sentence_vectors(*, max_sentences: int, languages: Sequence[str]) -> Callable[[Article], StageOutput]:
    """Every sentence (with a word in it, the first ``max_sentences``) embedded once by the run's encoder.

    Only articles in ``languages`` (``"*"``: every language the run's encoder reads, which the
    pipeline checks before calling; ``vectors.ENCODER_LANGUAGES``); called on an article in
    another language, the stage stores no rows, and a reader that wants them embeds them itself.
    """
    if int(max_sentences) < 1:
        raise ConfigError(f"sentence_vectors: max_sentences must be at least 1, not {max_sentences!r}")
    wanted = languages

    def embed(article: Article) -> StageOutput:
        spans = article.sentences if supports(wanted, article.language) else ()
        return StageOutput(data=pack_sentence_vectors(embed_sentences(article.text, spans,
                                                                      max_sentences=int(max_sentences))))
    return embed
