"""Ingest articles given as JSON objects (the web API's upload), then analyse them.

The objects use the JSONL field mapping (:data:`narratrace.ingest.readers.FIELD_MAP`):
``id``/``ref``, ``text``, ``title``, ``url``, ``outlet``, ``author``, ``published``,
``language``. Each goes through the same normalisation as a JSONL line
(:func:`narratrace.ingest.build_article`); an object that cannot be used is skipped
with a reason, never dropped silently. An uploaded ref that already exists replaces
that article (its analyses are redone), as re-ingesting a changed file does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from narratrace.ingest import build_article
from narratrace.ingest.readers import map_fields  # the JSONL/CSV field mapping, shared with read_jsonl
from narratrace.model import Article, Skipped
from narratrace.pipeline import Pipeline, RunReport
from narratrace.store import Store

__all__ = ["UploadResult", "ingest_objects", "upload"]


@dataclass(slots=True)
class UploadResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refs: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    run: RunReport = field(default_factory=RunReport)


def ingest_objects(store: Store, objects: Sequence[Mapping[str, Any]], *, source: str = "api") -> UploadResult:
    """Normalise and write ``objects`` in one transaction; returns counts, refs and skips."""
    digest = hashlib.sha256(json.dumps(list(objects), sort_keys=True, default=str).encode()).hexdigest()[:12]
    result = UploadResult()
    articles: list[Article] = []
    seen: set[str] = set()
    for n, obj in enumerate(objects, start=1):
        where = f"{source}:{digest}#{n}"
        if not isinstance(obj, Mapping):
            result.skipped.append(Skipped(where, f"article {n} is JSON {type(obj).__name__}, not an object", "NT206"))
            continue
        found = map_fields(obj, ref=f"upload-{digest}-{n}", source=where, kind="api")
        if isinstance(found, str):
            result.skipped.append(Skipped(where, f"article {n}: {found}", "NT207"))
            continue
        built = build_article(found)
        if isinstance(built, Skipped):
            result.skipped.append(built)
            continue
        if built.ref in seen:
            result.skipped.append(Skipped(where, f"article {n}: ref {built.ref!r} appears earlier in this upload",
                                          "NT215"))
            continue
        seen.add(built.ref)
        articles.append(built)
    counts = store.write_articles(articles, skips=result.skipped)
    result.added, result.updated, result.unchanged = counts.added, counts.updated, counts.unchanged
    result.refs = [a.ref for a in articles]
    return result


def upload(store: Store, objects: Sequence[Mapping[str, Any]]) -> UploadResult:
    """Ingest ``objects`` and run every analysis stage on what is new (in this process, no workers),
    under the store's writers' lock (:class:`~narratrace.errors.StoreLocked` while a command writes it)."""
    with store.write_lock("upload"):
        result = ingest_objects(store, objects)
        result.run = Pipeline(workers=1).run(store)
    return result
