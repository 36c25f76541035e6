"""Corpus stages on Spark: the stage's own code, run on a throwaway store per partition or per group.

A corpus stage reads a :class:`~narratrace.pipeline.CorpusView`; on Spark each task builds one: a
fresh SQLite store (in a temporary file) holding the task's articles and what the stage reads of
the stages before it (their stored results and annotations, joined to each article row by
:func:`with_inputs`), plus the run's *reference store* (a store with fact-checks imported, shipped
to every executor with ``SparkContext.addFile``: the broadcast of the fact-check table). Then the
local runner's steps run as they are: the stage's factory, the stage on the pending articles, its
``save`` on that store, the not-analysed record for other languages. What the store then holds is
read back as rows of :data:`~narratrace.spark.article_stages.STAGE_OUTPUT_SCHEMA`.

Two ways to cut the corpus, chosen by each analysis's Spark step:

* :func:`per_partition` for stages whose result for one article depends on that article only
  (``claim_vectors``, ``narratives``, ``framing``, ``factcheck_matches``): ``mapInArrow`` over the
  article partitions, results identical to the local engine's;
* :func:`run_groups` for clustering stages: the analysis groups articles (a connected component of
  near claims, a time window) and the stage runs once per group (``applyInArrow``); its whole-corpus
  tables come back as JSON rows through the analysis's ``read`` function.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from narratrace.languages import not_analysed_reason, supports
from narratrace.model import Annotation
from narratrace.spark.article_stages import STAGE_OUTPUT_SCHEMA
from narratrace.spark.rows import article_from_row, encode_stage_data

__all__ = ["EXTRA_SCHEMA", "StepContext", "connected_components", "done_rows", "input_stages", "per_partition",
           "run_groups",
           "per_article_step", "run_in_store", "save_pairs", "stage_tables_done", "with_inputs", "with_originals",
           "write_groups", "write_stage_rows"]

#: Articles per task store of :func:`per_partition` (with their inputs: about 50 KB each with sentence vectors).
TASK_ARTICLES = 2000
#: A whole-corpus table's rows as they come back from a group: ``table``, sort ``key``, JSON ``data``.
EXTRA_SCHEMA = pa.schema([("table", pa.string()), ("key", pa.string()), ("data", pa.string())])


@dataclass(slots=True)
class StepContext:
    """What the engine gives a corpus stage's Spark step."""

    spark: Any
    out: Any                       # narratrace.spark.output_dir.OutputDir
    name: str
    version: str
    versions: Mapping[str, str]    # every stage of the run -> its version
    languages: tuple[str, ...] | None
    encoder: str | None            # the run's encoder, for a stage that reads vectors (else None)
    reference: str | None          # the name of the shipped reference store (SparkFiles), or None
    partitions: int
    method: str = "banding"
    reused: list[str] = field(default_factory=list)
    say: Callable[[str], None] = lambda message: None

    def table(self, name: str) -> str:
        return f"{name}/stage={self.name}"


def input_stages(name: str, run: Sequence[str]) -> list[str]:
    """The stages of ``run`` before ``name`` whose results ``name`` reads (``requires`` and ``uses``)."""
    from narratrace.pipeline import registered_stages

    stages = registered_stages()
    wanted = set(stages[name].requires) | set(stages[name].uses)
    before = run[:run.index(name)] if name in run else list(run)
    return [s for s in before if set(stages[s].produces) & wanted]


def with_inputs(ctx: StepContext, articles: Any, needs: Sequence[str]) -> Any:
    """``articles`` with, per stage of ``needs``, its result (``r__S``: data, skipped, version) and its
    annotations (``a__S``, in the stage's order) beside each article row."""
    from pyspark.sql import functions as F

    frame = articles
    for s in needs:
        if not ctx.out.exists(f"stage_results/stage={s}"):
            continue
        res = ctx.spark.read.parquet(ctx.out.path(f"stage_results/stage={s}")).select(
            F.col("article_id").alias("id"),
            F.struct("data", "skipped", "version").alias(f"r__{s}"))
        frame = frame.join(res, "id", "left")
        if ctx.out.exists(f"annotations/stage={s}"):
            ann = (ctx.spark.read.parquet(ctx.out.path(f"annotations/stage={s}"))
                   .groupBy(F.col("article_id").alias("id"))
                   .agg(F.sort_array(F.collect_list(F.struct("ordinal", "kind", "start", "end", "label", "data")))
                        .alias(f"a__{s}")))
            frame = frame.join(ann, "id", "left")
    return frame


def _open_store(reference: str | None, directory: str) -> Any:
    """A fresh store in ``directory``: a copy of the shipped reference store, or an empty one."""
    from narratrace.store import Store

    path = os.path.join(directory, "task.db")
    if reference:
        from pyspark import SparkFiles

        source = sqlite3.connect(f"file:{SparkFiles.get(reference)}?mode=ro", uri=True)
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    return Store(path)


def _fill(store: Any, rows: Sequence[Mapping[str, Any]], needs: Sequence[str]) -> None:
    """The articles of ``rows`` (in ``seq`` order) and their inputs, saved as the local runner saves them."""
    articles = [article_from_row(r) for r in rows]
    store.write_articles(articles)
    for s in needs:
        results: dict[str, list[tuple[str, str, Any, list[Annotation]]]] = {}
        skipped: dict[str, list[tuple[str, str]]] = {}
        for row, art in zip(rows, articles):
            res = row.get(f"r__{s}")
            if not res:
                continue
            if res.get("skipped"):
                skipped.setdefault(res["version"], []).append((art.id, res["skipped"]))
                continue
            anns = [Annotation(a["kind"], a["start"], a["end"], a["label"], json.loads(a["data"]))
                    for a in row.get(f"a__{s}") or ()]
            results.setdefault(res["version"], []).append((art.id, art.content_hash, res["data"], anns))
        for version, found in results.items():
            store.save_stage_results(s, version, found)
        for version, reasons in skipped.items():
            store.save_not_analysed(s, version, reasons)


def run_in_store(store: Any, name: str, version: str, languages: Sequence[str] | None, ids: Sequence[str],
                 config: Mapping[str, Any] | None = None) -> None:
    """What :meth:`narratrace.pipeline.Pipeline.run` does for one corpus stage, on ``store``'s ``ids``."""
    from narratrace.pipeline import registered_stages

    info = registered_stages()[name]
    wanted = set(ids)
    pending = [i for i in store.pending(name, version) if i in wanted]
    if pending:
        fn = info.factory(**{**info.default_config, **(config or {})})
        output = fn(store, new_ids=pending, progress=None, workers=1)
        assert info.save is not None  # checked when the stage was registered
        info.save(store, name, version, output)
    if languages is not None and pending:
        language_of = store.article_languages()
        reasons = [(aid, not_analysed_reason(language_of.get(aid))) for aid in pending
                   if not supports(languages, language_of.get(aid))]
        if reasons:
            store.save_not_analysed(name, version, reasons)


def _result_rows(store: Any, name: str, version: str, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The stage's stored results, annotations and not-analysed records, as STAGE_OUTPUT rows."""
    ids = [r["id"] for r in rows]
    data = dict(store.stage_data(name, ids=ids))
    skipped = store.not_analysed()
    out: list[dict[str, Any]] = []
    for r in rows:
        aid = r["id"]
        reason = skipped.get(aid, {}).get(name)
        if reason is not None:
            out.append({"row_kind": "result", "seq": r["seq"], "article_id": aid, "stage": name, "version": version,
                        "content_hash": r["content_hash"], "data": None, "skipped": reason})
            continue
        if aid not in data:
            continue
        out.append({"row_kind": "result", "seq": r["seq"], "article_id": aid, "stage": name, "version": version,
                    "content_hash": r["content_hash"], "data": encode_stage_data(data[aid])})
        for n, a in enumerate(store.annotations(aid, stage=name)):
            out.append({"row_kind": "annotation", "seq": r["seq"], "article_id": aid, "stage": name, "ordinal": n,
                        "kind": a.kind, "start": a.start, "end": a.end, "label": a.label,
                        "annotation_data": json.dumps(dict(a.data))})
    return out


def _task(reference: str | None, encoder: str | None, body: Callable[[Any], Any]) -> Any:
    """Run ``body(store)`` on a fresh task store under the run's encoder; the store is removed after."""
    from narratrace.vectors import use_encoder

    directory = tempfile.mkdtemp(prefix="narratrace-task-")
    try:
        store = _open_store(reference, directory)
        try:
            if not encoder:
                return body(store)
            with use_encoder(encoder):
                return body(store)
        finally:
            store.close()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def per_partition(ctx: StepContext, needs: Sequence[str], *, config: Mapping[str, Any] | None = None,
                  extra: str | None = None) -> Any:
    """The stage over every article partition (``mapInArrow``); returns the STAGE_OUTPUT rows.

    ``extra`` (``"module:fn"``, ``fn(store, ids) -> [(table, key, json)]``) reads the stage's own
    tables back from each task store; those rows come as ``row_kind="extra"`` (``kind`` the table,
    ``label`` the key, ``annotation_data`` the JSON).
    """
    from pyspark.sql.pandas.types import from_arrow_schema as spark_schema

    name, version, languages, encoder, reference = ctx.name, ctx.version, ctx.languages, ctx.encoder, ctx.reference
    cfg = dict(config or {})

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows: list[dict[str, Any]] = []
        for batch in batches:  # a task store per TASK_ARTICLES: memory stays that of one chunk
            rows.extend(batch.to_pylist())
            if len(rows) >= TASK_ARTICLES:
                yield from task(rows)
                rows = []
        if rows:
            yield from task(rows)

    def task(rows: list[dict[str, Any]]) -> Iterator[pa.RecordBatch]:
        rows.sort(key=lambda r: r["seq"])

        def body(store: Any) -> list[dict[str, Any]]:
            _fill(store, rows, needs)
            run_in_store(store, name, version, languages, [r["id"] for r in rows], cfg)
            found = _result_rows(store, name, version, rows)
            if extra:
                from narratrace.analyses import resolve

                seq = {r["id"]: r["seq"] for r in rows}
                for table, key, data in resolve(extra)(store, [r["id"] for r in rows]):
                    found.append({"row_kind": "extra", "seq": seq.get(key.split("\t")[0], 0), "stage": name,
                                  "kind": table, "label": key, "annotation_data": data})
            return found

        found = _task(reference, encoder, body)
        for n in range(0, len(found), 2000):
            yield pa.RecordBatch.from_pylist(found[n:n + 2000], schema=STAGE_OUTPUT_SCHEMA)

    frame = with_inputs(ctx, ctx.spark.read.parquet(ctx.out.path("articles")), needs)
    return frame.mapInArrow(run, spark_schema(STAGE_OUTPUT_SCHEMA))


def write_stage_rows(ctx: StepContext, rows: Any, *, extra: str | None = None) -> None:
    """Write STAGE_OUTPUT rows as the engine writes an article stage's (results, annotations, errors),
    each in ingestion order, so ``narratrace load`` streams them; the ``extra`` rows (the stage's own
    table) go to the table ``extra`` as ``(seq, key, data)``."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        kind = F.col("row_kind")
        if extra:
            ctx.out.write_table(extra, rows.where(kind == "extra").select(
                "seq", F.col("label").alias("key"), F.col("annotation_data").alias("data")).orderBy("seq", "key"))
        ctx.out.write_table(ctx.table("stage_errors"),
                            rows.where(kind == "error").select("seq", "article_id", "error").orderBy("seq"))
        ctx.out.write_table(ctx.table("annotations"), rows.where(kind == "annotation").select(
            "seq", "article_id", "ordinal", "kind", "start", "end", "label",
            F.col("annotation_data").alias("data")).orderBy("seq", "ordinal"))
        ctx.out.write_table(ctx.table("stage_results"), rows.where(kind == "result").select(
            "seq", "article_id", "version", "content_hash", "data", "skipped").orderBy("seq"))
    finally:
        rows.unpersist()


def stage_tables_done(ctx: StepContext) -> bool:
    """Whether an earlier run of the same inputs wrote this stage's tables (their names go to ``reused``)."""
    tables = [ctx.table(t) for t in ("stage_errors", "annotations", "stage_results")]
    if all(ctx.out.exists(t) for t in tables):
        ctx.reused.extend(tables)
        return True
    return False


def done_rows(ctx: StepContext) -> Any:
    """One result row per article for a stage whose results live in its own tables: done (no data), or
    not analysed with the reason (its language), as the local runner records a corpus stage."""
    from pyspark.sql.pandas.types import from_arrow_schema as spark_schema

    name, version, languages = ctx.name, ctx.version, ctx.languages

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            out = []
            for seq, aid, chash, language in zip(*(batch.column(c).to_pylist()
                                                   for c in ("seq", "id", "content_hash", "language"))):
                skipped = None if supports(languages, language) else not_analysed_reason(language)
                out.append({"row_kind": "result", "seq": seq, "article_id": aid, "stage": name, "version": version,
                            "content_hash": chash, "data": None, "skipped": skipped})
            yield pa.RecordBatch.from_pylist(out, schema=STAGE_OUTPUT_SCHEMA)

    articles = ctx.spark.read.parquet(ctx.out.path("articles")).select("seq", "id", "content_hash", "language")
    return articles.mapInArrow(run, spark_schema(STAGE_OUTPUT_SCHEMA))


def run_groups(ctx: StepContext, grouped: Any, needs: Sequence[str], read: str, *,
               config: Mapping[str, Any] | None = None, prepare: str | None = None) -> Any:
    """The stage once per group of articles (``applyInArrow`` over ``grouped``'s ``group`` column);
    returns the :data:`EXTRA_SCHEMA` rows that ``read`` (``"module:fn"``, ``fn(store) -> [(table, key,
    json)]``) takes from each task store. ``grouped`` holds article rows with their inputs
    (:func:`with_inputs`) and a ``group`` column; ``prepare`` (``"module:fn"``, ``fn(store, rows)``)
    adds what the stage reads besides (republication pairs, a subset of an article's vectors)."""
    from pyspark.sql.pandas.types import from_arrow_schema as spark_schema

    name, version, languages, encoder, reference = ctx.name, ctx.version, ctx.languages, ctx.encoder, ctx.reference
    cfg = dict(config or {})

    def run(table: pa.Table) -> pa.Table:
        from narratrace.analyses import resolve

        rows = sorted(table.to_pylist(), key=lambda r: r["seq"])

        def body(store: Any) -> list[tuple[str, str, str]]:
            _fill(store, rows, needs)
            if prepare:
                resolve(prepare)(store, rows)
            run_in_store(store, name, version, languages, [r["id"] for r in rows], cfg)
            return list(resolve(read)(store))

        found = _task(reference, encoder, body) if rows else []
        return pa.Table.from_pylist([{"table": t, "key": k, "data": d} for t, k, d in found], schema=EXTRA_SCHEMA)

    return grouped.groupBy("group").applyInArrow(run, spark_schema(EXTRA_SCHEMA))


def per_article_step(ctx: StepContext) -> dict[str, Any]:
    """The Spark step of a corpus stage whose result for one article depends on that article only (and
    on the reference store): :func:`per_partition`, then its tables as an article stage's."""
    if stage_tables_done(ctx):
        return {"version": ctx.version}
    ctx.say(f"stage {ctx.name}")
    write_stage_rows(ctx, per_partition(ctx, input_stages(ctx.name, list(ctx.versions))))
    return {"version": ctx.version}


def with_originals(ctx: StepContext, frame: Any) -> Any:
    """``frame`` (article rows) with ``originals``: the ids of the articles each one republishes
    (the ``republication_pairs`` table), so a group's task store holds the pairs among its articles."""
    from pyspark.sql import functions as F

    if not ctx.out.exists("republication_pairs"):
        return frame.withColumn("originals", F.lit(None).cast(
            "array<struct<seq_low:bigint,seq_high:bigint,original:string,original_date:string>>"))
    pairs = (ctx.spark.read.parquet(ctx.out.path("republication_pairs"))
             .withColumn("original_date", F.get_json_object("data", "$.original_date"))
             .groupBy(F.col("copy").alias("id"))
             .agg(F.sort_array(F.collect_list(F.struct("seq_low", "seq_high", "original", "original_date")))
                  .alias("originals")))
    return frame.join(pairs, "id", "left")


def save_pairs(store: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """The republication pairs among ``rows``' articles (their ``originals``), into a task store: what a
    stage reads of them there (which article copies which, and the original's date as the copy's credit
    line gives it) is all they carry."""
    from narratrace.model import RepublicationPair

    present = {r["id"] for r in rows}
    pairs = sorted({(p["seq_low"], p["seq_high"], p["original"], r["id"], p.get("original_date") or "") for r in rows
                    for p in r.get("originals") or () if p["original"] in present})  # the local stage's order
    store.save_republications("republications", "spark-task", groups=(), compared=(), pairs=[
        RepublicationPair(original=o, copy=c, similarity=0.0, copy_share=0.0, original_share=0.0, passages=(),
                          reason="", original_date=day or None) for _, _, o, c, day in pairs])


def write_groups(ctx: StepContext, table: str, rows: Any, sort: Sequence[Any]) -> int:
    """Write a whole-corpus table (:func:`run_groups`' rows) in the order ``sort`` (Spark columns) says: a
    sorted write makes each part file a range, so reading the part files by name reads them in order."""
    ctx.out.write_table(table, rows.orderBy(*sort))
    return int(ctx.spark.read.parquet(ctx.out.path(table)).count())


def connected_components(edges: Any) -> tuple[Any, int]:
    """``(node, group)`` for every node of ``edges`` (``src``, ``dst``): the least node of its component.

    Min-label propagation with pointer jumping: each round a node takes the least label among itself and
    its neighbours, then the label of its label (a shortcut that halves long chains, so a path of ``n``
    links takes about ``log n`` rounds rather than ``n``). Labels only decrease and stay inside the
    component, so the loop ends, at the least node. Returns the labels and the rounds taken."""
    from pyspark.sql import functions as F

    both = edges.select("src", "dst").unionByName(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    both = both.localCheckpoint()
    labels = both.select(F.col("src").alias("node")).distinct().withColumn("group", F.col("node")).localCheckpoint()
    rounds = 0
    while True:
        rounds += 1
        pushed = both.join(labels, both.src == labels.node).select(F.col("dst").alias("node"), "group")
        step = pushed.unionByName(labels).groupBy("node").agg(F.min("group").alias("group"))
        jumped = (step.alias("s").join(step.alias("t"), F.col("s.group") == F.col("t.node"), "left")
                  .select(F.col("s.node").alias("node"),
                          F.least(F.col("s.group"), F.coalesce(F.col("t.group"), F.col("s.group"))).alias("group")))
        new = jumped.localCheckpoint()
        changed = new.alias("n").join(labels.alias("o"), "node").where(F.col("n.group") != F.col("o.group")).count()
        labels = new
        if not changed:
            return labels, rounds
