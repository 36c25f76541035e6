"""What the narratives package's stages store: the per-article blob and the corpus results.

Kept apart from the stages so that the package's store can read and write them without importing
the stages (which import the store).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from narratrace.blobs import pack_blob, unpack_blob
from narratrace.model import Annotation, Span
from narratrace.narratives.classifier import NarrativeHit
from narratrace.narratives.discovery import Topic
from narratrace.narratives.stories import Story

__all__ = ["ArticleNarratives", "DiscoveryResult", "NarrativesResult", "StoriesResult", "pack_result", "unpack_result"]

_MAGIC = b"NTNV"


@dataclass(frozen=True, slots=True)
class ArticleNarratives:
    """What the ``narratives`` stage stored for one article."""

    model: str
    domain: str | None
    hits: tuple[NarrativeHit, ...]
    vector: np.ndarray            # document vector (mean of sentence vectors), unit length
    lead: np.ndarray              # lead vector (mean of the first sentences), unit length
    lead_text: str = ""
    skipped: str | None = None


def pack_result(r: ArticleNarratives) -> bytes:
    """``NTNV`` blob: JSON (model, domain, hits, lead text), then two float16 vectors (:mod:`narratrace.blobs`)."""
    return pack_blob(_MAGIC, {"model": r.model, "domain": r.domain, "skipped": r.skipped, "lead_text": r.lead_text,
                              "hits": [h.to_dict() for h in r.hits]}, np.stack([r.vector, r.lead]))


def unpack_result(data: bytes) -> ArticleNarratives:
    h, values = unpack_blob(data, _MAGIC, "narratives")
    m = values.astype(np.float32).reshape(2, -1)
    hits = tuple(NarrativeHit(x["narrative"], x.get("subnarrative"), float(x["score"]),
                              tuple(Span(e["start"], e["end"]) for e in x.get("evidence") or ()))
                 for x in h.get("hits") or ())
    return ArticleNarratives(h["model"], h.get("domain"), hits, m[0], m[1], h.get("lead_text") or "", h.get("skipped"))


@dataclass(frozen=True, slots=True)
class NarrativesResult:
    """Per article: ``(article_id, content_hash, packed blob, annotations)``."""

    rows: tuple[tuple[str, str, bytes, tuple[Annotation, ...]], ...]


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    topics: tuple[Topic, ...]
    compared: tuple[str, ...]
    claims: int = 0
    uncovered: int = 0


@dataclass(frozen=True, slots=True)
class StoriesResult:
    stories: tuple[Story, ...]
    compared: tuple[str, ...]
