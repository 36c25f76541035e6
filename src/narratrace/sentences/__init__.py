"""Sentence vectors: every sentence of every article embedded once, for every stage that reads vectors.

The ``sentence_vectors`` stage (:mod:`.stage`) runs the run's encoder over the sentences of new
articles and stores one :class:`narratrace.vectors.SentenceVectors` blob per article. Claim
vectors, narratives, framing and stories read those rows instead of loading and running an
encoder of their own (``docs/stages.md``). It has no tables, pages or report section.
"""

from __future__ import annotations

from narratrace.analyses import Analysis

ANALYSIS = Analysis(name="sentences", title="Sentence vectors", stages=("narratrace.sentences.stage",),
                    default_stages=("sentence_vectors",))

__all__ = ["ANALYSIS"]
