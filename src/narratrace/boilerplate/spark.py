"""The ``boilerplate`` stage on Spark: lines per outlet with a groupBy, by the local stage's own code.

1. ``mapInArrow`` over the articles: each article's line keys (:func:`~narratrace.boilerplate.lines.article_lines`)
   and its outlet group (the outlet lower-cased, ``""`` when unknown);
2. ``groupBy(group).applyInArrow``: :func:`~narratrace.boilerplate.lines.find_boilerplate` on one
   outlet's articles at a time. The local stage calls it on the whole corpus, but it counts and
   checks lines within an outlet only, so per outlet is the same answer;
3. the lines found (a few per outlet) are broadcast, and a second ``mapInArrow`` writes each
   article's result and annotations with the local stage's ``_row``.

Identical to the local engine's results (``tests/test_spark.py``). One outlet's line keys meet
in one task: ~50 lines × 8 bytes per article, 4 MB for an outlet of 10,000 articles.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

__all__ = ["run_on_spark"]

_LINES = pa.schema([("seq", pa.int64()), ("id", pa.string()), ("grp", pa.string()), ("keys", pa.list_(pa.int64()))])
_FOUND = pa.schema([("grp", pa.string()), ("key", pa.int64()), ("articles", pa.int64())])


def run_on_spark(ctx: Any) -> dict[str, Any]:
    from pyspark.sql.pandas.types import from_arrow_schema

    from narratrace.boilerplate.lines import article_lines, find_boilerplate
    from narratrace.boilerplate.stage import _row
    from narratrace.pipeline import registered_stages
    from narratrace.spark.article_stages import STAGE_OUTPUT_SCHEMA
    from narratrace.spark.corpus import stage_tables_done, write_stage_rows

    if stage_tables_done(ctx):
        return {"version": ctx.version}
    cfg = dict(registered_stages()[ctx.name].default_config)
    name, version = ctx.name, ctx.version
    ctx.say("stage boilerplate (lines per outlet)")

    def group_of(outlet: str | None) -> str:
        return (outlet or "").strip().lower()

    def lines(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out = [{"seq": r["seq"], "id": r["id"], "grp": group_of(r["outlet"]),
                    "keys": [ln.key for ln in article_lines(r["text"], min_words=int(cfg["min_words"]),
                                                            max_words=int(cfg["max_words"]))]}
                   for r in batch.to_pylist()]
            yield pa.RecordBatch.from_pylist(out, schema=_LINES)

    def per_outlet(table: pa.Table) -> pa.Table:
        rows = table.to_pylist()
        keys = {r["id"]: r["keys"] for r in rows}
        outlet = {r["id"]: r["grp"] for r in rows}
        found = find_boilerplate(keys, outlet, min_articles=int(cfg["min_articles"]),
                                 min_articles_unknown=int(cfg["min_articles_unknown"]),
                                 max_overlap=float(cfg["max_overlap"]))
        return pa.Table.from_pylist([{"grp": g, "key": k, "articles": n} for (g, k), n in found.items()],
                                    schema=_FOUND)

    articles = ctx.spark.read.parquet(ctx.out.path("articles"))
    keyed = articles.select("seq", "id", "outlet", "text").mapInArrow(lines, from_arrow_schema(_LINES))
    found_rows = keyed.groupBy("grp").applyInArrow(per_outlet, from_arrow_schema(_FOUND)).collect()
    found = {(r["grp"], int(r["key"])): int(r["articles"]) for r in found_rows}
    shared = ctx.spark.sparkContext.broadcast(found)

    def results(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        marked = shared.value
        for batch in batches:
            out: list[dict[str, Any]] = []
            for r in batch.to_pylist():
                found_lines = article_lines(r["text"], min_words=int(cfg["min_words"]), max_words=int(cfg["max_words"]))
                aid, chash, data, annotations = _row(r["id"], r["content_hash"], found_lines, group_of(r["outlet"]),
                                                     marked)
                out.append({"row_kind": "result", "seq": r["seq"], "article_id": aid, "stage": name,
                            "version": version, "content_hash": chash, "data": _json(data)})
                for n, a in enumerate(annotations):
                    out.append({"row_kind": "annotation", "seq": r["seq"], "article_id": aid, "stage": name,
                                "ordinal": n, "kind": a.kind, "start": a.start, "end": a.end, "label": a.label,
                                "annotation_data": _json(dict(a.data)).decode()})
            yield pa.RecordBatch.from_pylist(out, schema=STAGE_OUTPUT_SCHEMA)

    rows = articles.select("seq", "id", "content_hash", "outlet", "text").mapInArrow(
        results, from_arrow_schema(STAGE_OUTPUT_SCHEMA))
    write_stage_rows(ctx, rows)
    return {"version": version, "lines": len(found)}


def _json(data: Any) -> bytes:
    import json

    return json.dumps(data).encode()
