"""Rows of the output tables: how an Article, a stage result and a pair become Parquet columns.

The encodings are the store's (paragraphs and sentences as compact JSON, meta as JSON with
``default=str``, stage data as bytes or JSON bytes), so an article or result read back from
Parquet is the same object a stage would get from the store: one object, two runners.
Needs pyarrow only (``narratrace load`` imports it without Spark).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from narratrace.model import Annotation, Article, Span

__all__ = ["ANNOTATION_SCHEMA", "ARTICLE_SCHEMA", "PAIR_SCHEMA", "GROUP_SCHEMA", "SKIPPED_SCHEMA",
           "STAGE_RESULT_SCHEMA", "article_from_row", "article_row", "encode_stage_data", "seq_of"]

#: ``seq`` orders articles as local ingestion would (file order, then record order).
ARTICLE_SCHEMA = pa.schema([
    ("seq", pa.int64()), ("id", pa.string()), ("ref", pa.string()), ("content_hash", pa.string()),
    ("title", pa.string()), ("url", pa.string()), ("outlet", pa.string()), ("author", pa.string()),
    ("published", pa.string()), ("published_how", pa.string()), ("language", pa.string()),
    ("source", pa.string()), ("text", pa.string()), ("paragraphs", pa.string()), ("sentences", pa.string()),
    ("meta", pa.string())])
SKIPPED_SCHEMA = pa.schema([("path", pa.string()), ("reason", pa.string()), ("code", pa.string())])
STAGE_RESULT_SCHEMA = pa.schema([("article_id", pa.string()), ("stage", pa.string()), ("version", pa.string()),
                                 ("content_hash", pa.string()), ("data", pa.binary())])
#: ``ordinal`` keeps the stage's order of annotations within one article.
ANNOTATION_SCHEMA = pa.schema([("article_id", pa.string()), ("stage", pa.string()), ("ordinal", pa.int32()),
                               ("kind", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
                               ("label", pa.string()), ("data", pa.string())])
#: ``seq_low``/``seq_high`` keep the local stage's pair order (candidates by ingestion position).
PAIR_SCHEMA = pa.schema([("original", pa.string()), ("copy", pa.string()), ("similarity", pa.float64()),
                         ("copy_share", pa.float64()), ("seq_low", pa.int64()), ("seq_high", pa.int64()),
                         ("data", pa.string())])
GROUP_SCHEMA = pa.schema([("id", pa.int64()), ("original", pa.string()), ("members", pa.string()),
                          ("reason", pa.string())])

_RECORD_BITS = 32


def seq_of(file_index: int, record_index: int) -> int:
    """Ingestion position: files in discovery order, records in file order (like local rowids)."""
    return (file_index << _RECORD_BITS) | record_index


def article_row(article: Article, seq: int) -> dict[str, Any]:
    """An Article as a row of ``articles`` (the store's column encodings)."""
    return {"seq": seq, "id": article.id, "ref": article.ref, "content_hash": article.content_hash,
            "title": article.title, "url": article.url, "outlet": article.outlet, "author": article.author,
            "published": article.published, "published_how": article.published_how,
            "language": article.language, "source": article.source, "text": article.text,
            "paragraphs": json.dumps(article.paragraphs, separators=(",", ":")),
            "sentences": json.dumps(article.sentences, separators=(",", ":")),
            "meta": json.dumps(dict(article.meta), ensure_ascii=False, default=str)}


def article_from_row(row: Mapping[str, Any], *, text_only: bool = False) -> Article:
    """The Article the store would return for this row (``text_only`` like ``Store.articles``)."""
    if text_only:
        return Article(id=row["id"], ref=row["ref"], content_hash=row["content_hash"], text=row["text"])
    return Article(
        id=row["id"], ref=row["ref"], text=row["text"], title=row["title"], url=row["url"], outlet=row["outlet"],
        author=row["author"], published=row["published"], published_how=row["published_how"],
        language=row["language"], source=row["source"],
        paragraphs=tuple(map(Span._make, json.loads(row["paragraphs"]))),
        sentences=tuple(map(Span._make, json.loads(row["sentences"]))),
        content_hash=row["content_hash"], meta=json.loads(row["meta"] or "{}"))


def encode_stage_data(data: Any) -> bytes | None:
    """Stage data as the store keeps it: bytes as they are, anything else as JSON."""
    return data if isinstance(data, (bytes, type(None))) else json.dumps(data).encode()


def annotation_rows(article_id: str, stage: str, annotations: Sequence[Annotation]) -> list[dict[str, Any]]:
    return [{"article_id": article_id, "stage": stage, "ordinal": n, "kind": a.kind, "start": a.start,
             "end": a.end, "label": a.label, "data": json.dumps(dict(a.data))}
            for n, a in enumerate(annotations)]
