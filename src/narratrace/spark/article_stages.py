"""Per-article stages on Spark partitions, through the same factory the local Pipeline calls.

Each partition builds its stage once (``registered_stages()[name].factory(**config)``) and maps
the articles of its rows, rebuilt as the store would return them (``text_only`` stages get only
id, ref, text and hash). A stage that raises on one article is reported in an ``error`` row, as
the local runner reports it, and the rest of the partition goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from narratrace.languages import not_analysed_reason, supports
from narratrace.pipeline import StageOutput, registered_stages
from narratrace.spark.rows import annotation_rows, article_from_row, encode_stage_data

__all__ = ["STAGE_OUTPUT_SCHEMA", "stage_batches"]

#: One row per result (``row_kind`` "result"), per annotation ("annotation") or per failure ("error").
STAGE_OUTPUT_SCHEMA = pa.schema([
    ("row_kind", pa.string()), ("seq", pa.int64()), ("article_id", pa.string()), ("stage", pa.string()), ("version", pa.string()),
    ("content_hash", pa.string()), ("data", pa.binary()), ("ordinal", pa.int32()), ("kind", pa.string()),
    ("start", pa.int64()), ("end", pa.int64()), ("label", pa.string()), ("annotation_data", pa.string()),
    ("error", pa.string()), ("skipped", pa.string())])


def stage_batches(name: str, config: Mapping[str, Any], version: str, languages: Sequence[str] | None = None,
                  encoder: str | None = None) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A ``mapInArrow`` body running stage ``name`` on article rows (the ``articles`` table).

    An article outside ``languages`` (the pipeline's :func:`~narratrace.pipeline.stage_languages`)
    gets a result row with its reason in ``skipped`` and no data, as the local runner records it.
    A stage that reads sentence vectors runs under the run's ``encoder`` (given for those only).
    """
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        if encoder is None:
            yield from _run(batches)
            return
        from narratrace.vectors import use_encoder

        with use_encoder(encoder):
            yield from _run(batches)

    def _run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        info = registered_stages()[name]
        fn = info.factory(**{**info.default_config, **config})
        for batch in batches:
            rows: list[dict[str, Any]] = []
            for row in batch.to_pylist():
                if not supports(languages, row.get("language")):
                    rows.append({"row_kind": "result", "seq": row["seq"], "article_id": row["id"], "stage": name,
                                 "version": version, "content_hash": row["content_hash"], "data": None,
                                 "skipped": not_analysed_reason(row.get("language"))})
                    continue
                article = article_from_row(row, text_only=info.text_only)
                try:
                    out = fn(article)
                except Exception as exc:  # a stage bug must not stop the corpus; it is reported
                    rows.append({"row_kind": "error", "seq": row["seq"], "article_id": article.id, "stage": name,
                                 "error": f"{type(exc).__name__}: {exc}"})
                    continue
                if not isinstance(out, StageOutput):
                    rows.append({"row_kind": "error", "seq": row["seq"], "article_id": article.id, "stage": name,
                                 "error": f"E005 stage returned {type(out).__name__}, expected StageOutput"})
                    continue
                if out.not_analysed:  # the stage found it cannot analyse this one (its model's language)
                    rows.append({"row_kind": "result", "seq": row["seq"], "article_id": article.id, "stage": name,
                                 "version": version, "content_hash": article.content_hash, "data": None,
                                 "skipped": out.not_analysed})
                    continue
                rows.append({"row_kind": "result", "seq": row["seq"], "article_id": article.id, "stage": name, "version": version,
                             "content_hash": article.content_hash, "data": encode_stage_data(out.data)})
                for ann in annotation_rows(article.id, name, out.annotations):
                    ann["annotation_data"] = ann.pop("data")
                    rows.append({"row_kind": "annotation", "seq": row["seq"], **ann})
            yield pa.RecordBatch.from_pylist(rows, schema=STAGE_OUTPUT_SCHEMA)
    return run
