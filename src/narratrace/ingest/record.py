"""What a reader yields: one raw record, before normalisation and heuristics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Record"]


@dataclass(frozen=True, slots=True)
class Record:
    """One article as a reader found it.

    ``ref`` is the file stem or the id a JSONL/CSV/WARC record gives; ``source`` says where
    it came from (``path`` or ``path#line``). Fields a reader cannot know stay None and
    :func:`narratrace.ingest.build_article` fills what it can from the text.
    ``kind`` names the reader (``"txt"``, ``"html"``, ...) so heuristics know what to trust.
    """

    ref: str
    text: str
    source: str
    kind: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    author: str | None = None
    published: str | None = None
    published_how: str | None = None
    language: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
