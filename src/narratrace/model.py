"""The document model every stage reads and extends.

An :class:`Article` is immutable: stages never modify it, they return findings
(:class:`Annotation` for one article, :class:`RepublicationPair` for links between
two) with character offsets into ``Article.text`` so that reports can highlight
them and later stages can build on them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

__all__ = [
    "Annotation",
    "Article",
    "Edit",
    "Passage",
    "RepublicationGroup",
    "RepublicationPair",
    "Skipped",
    "Span",
    "article_id_for",
    "content_hash",
]


class Span(NamedTuple):
    """Half-open character range ``[start, end)`` into an article's text.

    A named tuple, not a dataclass: articles carry hundreds of them and loading a
    corpus creates millions, so construction cost matters.
    """

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Annotation:
    """One finding of one stage on one article (a claim, an entity, a copied passage...).

    ``kind`` is namespaced by the stage that made it (``"republication.added"``);
    ``data`` holds whatever else the stage wants to say, JSON-serialisable.
    """

    kind: str
    start: int
    end: int
    label: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start, "end": self.end,
                "label": self.label, "data": dict(self.data)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Annotation:
        return cls(d["kind"], int(d["start"]), int(d["end"]), d.get("label"), dict(d.get("data") or {}))


@dataclass(frozen=True, slots=True)
class Article:
    """One news article as ingested.

    ``id`` is derived from ``ref`` so it is stable across re-ingestion;
    ``content_hash`` covers text and metadata so re-ingesting unchanged input is a no-op.
    ``published_how`` says where the date came from (``"html:meta"``, ``"text:date-line"``...).
    """

    id: str
    ref: str
    text: str
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    author: str | None = None
    published: str | None = None
    published_how: str | None = None
    language: str | None = None
    source: str | None = None
    paragraphs: tuple[Span, ...] = ()
    sentences: tuple[Span, ...] = ()
    content_hash: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def span_text(self, span: Span | Annotation) -> str:
        return self.text[span.start:span.end]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["paragraphs"] = [[s.start, s.end] for s in self.paragraphs]
        d["sentences"] = [[s.start, s.end] for s in self.sentences]
        d["meta"] = dict(self.meta)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Article:
        d = dict(d)
        d["paragraphs"] = tuple(map(Span._make, d.get("paragraphs") or ()))
        d["sentences"] = tuple(map(Span._make, d.get("sentences") or ()))
        d["meta"] = dict(d.get("meta") or {})
        return cls(**d)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input that was not ingested, and why (never silently dropped)."""

    path: str
    reason: str
    code: str = "NT200"

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of text shared by an original and a copy, offsets in both."""

    original_start: int
    original_end: int
    copy_start: int
    copy_end: int

    def to_dict(self) -> dict[str, int]:
        return {"original_start": self.original_start, "original_end": self.original_end,
                "copy_start": self.copy_start, "copy_end": self.copy_end}


@dataclass(frozen=True, slots=True)
class Edit:
    """Words the copy changed inside a shared passage (either side may be empty)."""

    original_start: int
    original_end: int
    copy_start: int
    copy_end: int

    def to_dict(self) -> dict[str, int]:
        return {"original_start": self.original_start, "original_end": self.original_end,
                "copy_start": self.copy_start, "copy_end": self.copy_end}


@dataclass(frozen=True, slots=True)
class RepublicationPair:
    """Evidence that ``copy`` republishes (part of) ``original``.

    ``copy_share`` is the fraction of the copy's characters inside shared passages,
    ``original_share`` the same for the original; ``additions`` are the copy's own
    stretches (labelled preamble / insertion / footer); ``reason`` says in words why
    ``original`` was chosen as the original; ``original_date`` is the original's date as the
    copy's credit line gives it (``YYYY-MM-DD``), when it gives one.
    """

    original: str
    copy: str
    similarity: float
    copy_share: float
    original_share: float
    passages: tuple[Passage, ...]
    additions: tuple[Annotation, ...] = ()
    edits: tuple[Edit, ...] = ()
    edited_sentences: tuple[Span, ...] = ()
    reason: str = ""
    evidence: str = "order"
    original_date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "original": self.original, "copy": self.copy,
            "similarity": round(self.similarity, 4),
            "copy_share": round(self.copy_share, 4),
            "original_share": round(self.original_share, 4),
            "shared_passages": [p.to_dict() for p in self.passages],
            "additions": [a.to_dict() for a in self.additions],
            "edits": [e.to_dict() for e in self.edits],
            "edited_sentences": [[s.start, s.end] for s in self.edited_sentences],
            "reason": self.reason, "evidence": self.evidence, "original_date": self.original_date,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RepublicationPair:
        return cls(
            original=d["original"], copy=d["copy"], similarity=float(d["similarity"]),
            copy_share=float(d["copy_share"]), original_share=float(d["original_share"]),
            passages=tuple(Passage(**p) for p in d.get("shared_passages", ())),
            additions=tuple(Annotation.from_dict(a) for a in d.get("additions", ())),
            edits=tuple(Edit(**e) for e in d.get("edits", ())),
            edited_sentences=tuple(Span(a, b) for a, b in d.get("edited_sentences", ())),
            reason=d.get("reason", ""), evidence=d.get("evidence", "order"),
            original_date=d.get("original_date"),
        )


@dataclass(frozen=True, slots=True)
class RepublicationGroup:
    """Articles connected by republication, with the one judged to be the original."""

    id: int
    original: str
    members: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "original": self.original, "members": list(self.members),
                "reason": self.reason}


def article_id_for(ref: str) -> str:
    """Stable article id: the same ref always maps to the same id."""
    return hashlib.sha256(ref.encode("utf-8")).hexdigest()[:16]


def content_hash(text: str, **meta: Any) -> str:
    """Hash of text plus metadata, to make re-ingestion of unchanged input a no-op."""
    h = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    for key in sorted(meta):
        h.update(f"\x00{key}={meta[key]}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()
