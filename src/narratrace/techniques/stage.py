"""Persuasion techniques: spans of an article that use one of SemEval-2020 Task 11's 14 techniques.

The detection lives in :mod:`narratrace.techniques`; this module registers the article stage and
turns its hits into annotations: ``kind="technique"``, ``label`` = the technique class string
(``Loaded_Language``, ``Name_Calling,Labeling``, ...), ``data = {"score": float}``. Spans of
different techniques may overlap.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence

from narratrace.errors import ConfigError
from narratrace.model import Annotation, Article
from narratrace.languages import normalize as normalize_language
from narratrace.languages import not_analysed_reason, supports
from narratrace.pipeline import StageOutput, stage
from narratrace.techniques import DEFAULT_MODEL, Hit, load_model

__all__ = ["make_techniques", "technique_annotations"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

DEFAULT_CONFIG = {"model": DEFAULT_MODEL, "min_score": None, "max_chars": 500_000,
                  "languages": ["en", "ru", "bg", "pt", "hi"]}  # the shipped lexicons' (lexicon.XX.tsv)


def _shipped_version() -> str:
    """The code version plus a hash of the shipped default's files: editing the lexicon re-runs the stage."""
    from narratrace.cards import data_sha256, resolve_model

    return "techniques.v1-" + data_sha256(resolve_model("techniques", DEFAULT_MODEL) / "lexicon.tsv")[:8]


@stage("techniques", version=_shipped_version(), level="article",
       requires=["article.text", "article.sentences", "article.language"],
       produces=["article.techniques"], default_config=DEFAULT_CONFIG)
def make_techniques(*, model: str | None, min_score: float | None, max_chars: int, languages: Sequence[str]
                    ) -> Callable[[Article], StageOutput]:
    """Persuasion technique spans (14 SemEval-2020 Task 11 classes), each with a score."""
    if min_score is not None and not 0.0 <= float(min_score) <= 1.0:
        raise ConfigError(f"techniques: min_score must be between 0 and 1, not {min_score!r}")
    if int(max_chars) < 1:
        raise ConfigError(f"techniques: max_chars must be positive, not {max_chars!r}")
    tm = load_model(model)  # fails here, before any article, on a bad model
    floor = tm.min_score if min_score is None else float(min_score)
    readable = tuple(getattr(tm, "languages", ("en",)))  # a learned model reads its training language
    wanted = tuple(x for x in languages if x in readable or x == "*")

    def techniques(article: Article) -> StageOutput:
        language = normalize_language(article.language)
        if not supports(wanted, language) or language not in readable:  # e.g. a trained English model
            return StageOutput(not_analysed=not_analysed_reason(language))
        if not article.text.strip():
            return StageOutput(data={"skipped": "empty text", "model": tm.name})
        model = tm.for_language(language) if hasattr(tm, "for_language") else tm
        text = article.text[:int(max_chars)]
        sentences = tuple(s for s in article.sentences if s.end <= len(text)) or None
        hits = [h for h in model.detect(text, sentences) if h.score >= floor]
        annotations = technique_annotations(hits)
        return StageOutput(annotations=annotations,
                           data={"model": tm.name, "counts": dict(Counter(a.label for a in annotations)),
                                 "truncated": len(article.text) > len(text)})
    return techniques


def technique_annotations(hits: Sequence[Hit]) -> tuple[Annotation, ...]:
    out = {(h.start, h.end, h.technique): h.score for h in hits}
    return tuple(Annotation("technique", a, b, t, {"score": round(float(s), 3)})
                 for (a, b, t), s in sorted(out.items()))
