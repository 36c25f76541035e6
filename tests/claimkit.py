"""Test helpers for the claim stages: synthetic articles with hand-made claim annotations.

Until the ``claims`` stage exists these stand in for its output, following the annotation
contract in ``docs/stages.md``; the helpers run ``claim_vectors`` and ``claim_groups``
through the real :class:`~narratrace.pipeline.Pipeline` runner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from narratrace import pipeline
from narratrace.ingest import Record, build_article
from narratrace.model import Annotation, Article
from narratrace.store import Store

CLAIM_STAGES = ("claim_vectors", "claim_groups")


def article(ref: str, text: str, *, outlet: str | None = None, published: str | None = None,
            url: str | None = None, meta: Mapping[str, Any] | None = None) -> Article:
    art = build_article(Record(ref=ref, text=text, source=f"{ref}.jsonl", kind="jsonl", title=ref, outlet=outlet,
                               published=published, url=url, meta=dict(meta or {})))
    assert isinstance(art, Article), art
    return art


def _find(text: str, needle: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    m = re.compile(r"\s+".join(map(re.escape, needle.split()))).search(text, start, len(text) if end is None else end)
    return (m.start(), m.end()) if m else None


def claim(art: Article, fragment: str, *, source: str | None = None, canonical: str | None = None,
          kind: str = "organisation", cue: str | None = None, hedges: Sequence[str] = (),
          entities: Iterable[str] = (), numbers: Iterable[str] = (), dates: Iterable[str] = (),
          quote: str = "none", to: str | None = None) -> Annotation:
    """A ``kind="claim"`` annotation over ``fragment`` (or from ``fragment`` to the end of ``to``)."""
    span = _find(art.text, fragment)
    assert span is not None, f"{fragment!r} not in {art.ref}"
    start, end = span
    if to is not None:
        tail = _find(art.text, to, start)
        assert tail is not None, f"{to!r} not in {art.ref} after {fragment!r}"
        end = tail[1]
    src = _find(art.text, source, start, end) if source else None
    cue_span = _find(art.text, cue, start, end) if cue else None
    hedge_spans = [list(h) for h in (_find(art.text, x, start, end) for x in hedges) if h]
    data = {"id": f"c-{art.id[:10]}-{start}", "score": 0.9, "source": source,
            "source_canonical": (canonical or source) if source else None,
            "source_kind": kind if source else "none",
            "source_start": src[0] if src else None, "source_end": src[1] if src else None,
            "cue": cue, "cue_start": cue_span[0] if cue_span else None, "cue_end": cue_span[1] if cue_span else None,
            "quote": quote, "hedges": list(hedges), "hedge_spans": hedge_spans,
            "carried": bool(source) and src is None, "entities": list(entities), "numbers": list(numbers),
            "dates": list(dates)}
    return Annotation("claim", start, end, None, data)


def entity(art: Article, mention: str, label: str, canonical: str) -> Annotation:
    span = _find(art.text, mention)
    assert span is not None, f"{mention!r} not in {art.ref}"
    return Annotation("entity", span[0], span[1], label, {"canonical": canonical})


def add(store: Store, art: Article, annotations: Sequence[Annotation], *, stage: str = "claims") -> None:
    """Store ``art`` (if new) and ``annotations`` as the claims stage's result for it."""
    store.write_articles([art])
    store.save_stage_results(stage, "test", [(art.id, art.content_hash, None, list(annotations))])


def run(store: Store, monkeypatch: pytest.MonkeyPatch,
        config: Mapping[str, Mapping[str, Any]] | None = None) -> pipeline.RunReport:
    """Run claim_vectors and claim_groups with the real runner.

    Until the claims stage is registered, ``article.claims``/``article.entities`` are
    declared as given (the annotations are made by hand), so ``Pipeline.check`` passes.
    """
    monkeypatch.setattr(pipeline, "ARTICLE_FIELDS",
                        pipeline.ARTICLE_FIELDS + ("article.claims", "article.entities"))
    return pipeline.Pipeline(CLAIM_STAGES, config=config, workers=1).run(store)
