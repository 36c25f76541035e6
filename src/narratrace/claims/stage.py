"""Claims: check-worthy sentences with their attribution, and the entities they mention.

The logic lives in :mod:`narratrace.claims`; this module registers the stage and turns its findings
into annotations following the contract in ``docs/stages.md`` (``kind="entity"`` and
``kind="claim"``, offsets into ``Article.text``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from narratrace.errors import ConfigError
from narratrace.model import Annotation, Article
from narratrace.claims.extract import ClaimOptions, Extraction, alias_table, extract_claims
from narratrace.parsing import PIECE_CHARS
from narratrace.pipeline import StageOutput, stage

__all__ = ["annotations_of", "make_claims"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

DEFAULT_CONFIG = {"threshold": 0.5, "aliases": None, "piece_chars": PIECE_CHARS, "max_chars": 500_000,
                  "languages": ["en", "ru", "bg", "pt", "hi"], "checkworthiness_model": None}


@stage("claims", version="claims.rules.v9", level="article",
       requires=["article.text", "article.sentences", "article.language"],
       produces=["article.entities", "article.claims"], default_config=DEFAULT_CONFIG)
def make_claims(*, threshold: float, aliases: str | None, piece_chars: int, max_chars: int,
                languages: Sequence[str], checkworthiness_model: str | None) -> Callable[[Article], StageOutput]:
    """Check-worthy claims with source, cue, quote and hedges; entities with canonical forms.

    ``checkworthiness_model``: a check-worthiness model (name or directory, see ``narratrace
    models``); its weights replace the hand-set ones, and ``threshold`` stays the cut-off.
    """
    from narratrace.claims.checkworthiness_eval import load_check_model

    if not 0.0 <= float(threshold) <= 1.0:
        raise ConfigError(f"claims: threshold must be between 0 and 1, not {threshold!r}")
    if int(piece_chars) < 100:
        raise ConfigError(f"claims: piece_chars must be at least 100, not {piece_chars!r}")
    if aliases is not None and not Path(aliases).is_file():
        raise ConfigError(f"claims: alias table {aliases!r} does not exist")
    check_model = load_check_model(checkworthiness_model)
    options = ClaimOptions(threshold=float(threshold), aliases=aliases, piece_chars=int(piece_chars),
                           max_chars=int(max_chars), languages=tuple(languages), model=check_model)
    alias_table(aliases)  # read (and validate) the user's table before any article is processed

    def claims(article: Article) -> StageOutput:
        found = extract_claims(article, options)
        if found.skipped:
            return StageOutput(data={"skipped": found.skipped, "language": article.language})
        return StageOutput(annotations=annotations_of(article, found),
                           data={"language": article.language, "sentences": found.sentences,
                                 "claims": len(found.claims), "entities": len(found.entities),
                                 "truncated": found.truncated})
    return claims


def annotations_of(article: Article, found: Extraction) -> tuple[Annotation, ...]:
    """Entity and claim annotations of one article, in text order."""
    syntax = found.syntax or (None,) * len(found.entities)
    out = [Annotation("entity", m.start, m.end, m.label,
                      {"canonical": m.canonical, **({"syntax": facts} if facts else {})})
           for m, facts in zip(found.entities, syntax)]
    out += [Annotation("claim", c.start, c.end, None, c.data(article.id)) for c in found.claims]
    out.sort(key=lambda a: (a.start, a.kind != "claim", a.end))
    return tuple(out)
