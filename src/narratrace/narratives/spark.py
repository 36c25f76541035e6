"""``narratives``, ``stories`` and ``narrative_discovery`` on Spark, by the local stages' own code.

* ``narratives`` classifies each article on its own: per partition
  (:func:`narratrace.spark.corpus.per_article_step`), identical to the local engine.
* ``stories`` is single-pass clustering in arrival order with a ``window_days`` date window, which has
  no exact cut. Three passes: (1) the local stage once per window of :data:`WINDOW_DAYS` days, windows
  starting every :data:`STRIDE_DAYS` days (each dated article in two; undated articles one more group),
  on a task store with the window's articles, their narratives and entities and the republication
  pairs among them; (2) chains: articles sharing a story in any window, and the two articles of each
  republication pair (a copy joins its original's story whatever the dates), are linked and their
  connected components taken; (3) the local stage once per chain, in arrival order. Tolerance, stated
  and asserted (:data:`STORY_PAIR_F1`, pairs of articles sharing a story against the local engine):
  the stage sees only a chain's articles, so a story may form differently; an undated article joins
  only undated ones; key terms (c-TF-IDF) are weighed against the chain's stories. Measured pair F1
  0.97 at 200 generated articles and 0.992 at 2,000 (docs/scale.md).
* ``narrative_discovery`` clusters at most ``max_claims`` uncovered claims (HDBSCAN). Executors pick
  the uncovered claims of each partition (outside the narratives' evidence, under ``covered`` against
  every label: the stage's own test, with a 10⁻⁴ margin so that the pick is a superset), Spark
  spreads the ``max_claims`` of them evenly over ingestion order as the stage does, and the local
  stage runs once on a task store holding only those claims: the local engine's topics. (Were a
  claim within 10⁻⁴ of ``covered`` to be judged otherwise by the last task's matrix product, a
  corpus with more than ``max_claims`` uncovered claims would be sampled from a list one longer: a
  slightly different spread. That branch is not exercised by the tests.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

__all__ = ["STORY_PAIR_F1", "STRIDE_DAYS", "WINDOW_DAYS", "load_discovery", "load_stories", "run_discovery",
           "run_stories", "story_rows",
           "topic_rows", "uncovered_batches"]

#: The first pass of ``stories`` runs the stage on windows of ``WINDOW_DAYS`` days starting every
#: ``STRIDE_DAYS`` days: the overlap (``WINDOW_DAYS - STRIDE_DAYS``) is at least the stage's own
#: ``window_days`` (10), so two articles that the stage could put together in one step share a window.
WINDOW_DAYS = 30
STRIDE_DAYS = 15
#: The least pair F1 of "these two articles share a story" against the local engine, asserted by the
#: equivalence tests (``tests/test_spark.py``, ``tests/test_spark_scale.py``; docs/scale.md).
STORY_PAIR_F1 = 0.9
STORIES = "stories"
TOPICS = "narrative_topics"


def story_rows(store: Any) -> list[tuple[str, str, str]]:
    from narratrace.narratives.store import stories

    return [(STORIES, s.id, json.dumps(s.to_dict(), ensure_ascii=False)) for s in stories(store)]


def topic_rows(store: Any) -> list[tuple[str, str, str]]:
    from narratrace.narratives.store import narrative_topics

    return [(TOPICS, f"{n:08d}", json.dumps(t.to_dict(), ensure_ascii=False))
            for n, t in enumerate(narrative_topics(store))]


def _done(ctx: Any, table: str) -> bool:
    from narratrace.spark.corpus import stage_tables_done

    if stage_tables_done(ctx) and ctx.out.exists(table):
        ctx.reused.append(table)
        return True
    return False


def run_stories(ctx: Any) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from narratrace.spark.corpus import (connected_components, done_rows, input_stages, run_groups, with_inputs,
                                         with_originals, write_groups, write_stage_rows)

    if _done(ctx, STORIES):
        return {"version": ctx.version}
    ctx.say(f"stage stories ({WINDOW_DAYS}-day windows every {STRIDE_DAYS} days, then one task per chain)")
    spark, out = ctx.spark, ctx.out
    needs = input_stages(ctx.name, list(ctx.versions))
    articles = with_originals(ctx, with_inputs(ctx, spark.read.parquet(out.path("articles")), needs))
    out.write_table("_work/story_inputs", articles)
    articles = spark.read.parquet(out.path("_work/story_inputs"))
    # 1. the stage once per window; windows overlap by STRIDE_DAYS, each dated article lies in two
    day = F.to_date(F.substring("published", 1, 10))
    first = F.floor(F.datediff(day, F.lit("1970-01-01")) / STRIDE_DAYS).cast("long")
    windows = articles.withColumn("group", F.explode(F.when(day.isNull(), F.array(F.lit(-1).cast("long")))
                                                     .otherwise(F.array(first, first - 1))))
    found = run_groups(ctx, windows, needs, __name__ + ":story_rows", prepare="narratrace.spark.corpus:save_pairs")
    out.write_table("_work/window_stories", found.select(F.get_json_object("data", "$.articles").alias("articles")))
    # 2. chains: articles that share a story in any window are one component (linked along each story)
    index = articles.select(F.col("id").alias("article"), F.col("seq"))
    out.write_table("_work/story_members", spark.read.parquet(out.path("_work/window_stories"))
                    .withColumn("story", F.monotonically_increasing_id())
                    .select("story", F.posexplode(F.from_json("articles", "array<string>")).alias("pos", "article"))
                    .join(index, "article"))
    members = spark.read.parquet(out.path("_work/story_members"))
    a, b = members.alias("a"), members.alias("b")
    edges = (a.join(b, (F.col("a.story") == F.col("b.story")) & (F.col("b.pos") == F.col("a.pos") + 1))
             .select(F.col("a.seq").alias("src"), F.col("b.seq").alias("dst")))
    if out.exists("republication_pairs"):  # a copy joins its original's story whatever the dates: link them
        pairs = spark.read.parquet(out.path("republication_pairs"))
        edges = edges.unionByName(
            pairs.join(index.select(F.col("article").alias("original"), F.col("seq").alias("src")), "original")
            .join(index.select(F.col("article").alias("copy"), F.col("seq").alias("dst")), "copy")
            .select("src", "dst"))
    out.write_table("_work/story_links", edges)
    labels, rounds = connected_components(spark.read.parquet(out.path("_work/story_links")))
    out.write_table("_work/story_chains", labels)
    chains = spark.read.parquet(out.path("_work/story_chains")).select(F.col("node").alias("seq"), "group")
    # 3. the stage once per chain: its articles in arrival order, as the local engine meets them
    grouped = (articles.join(chains, "seq", "left")
               .withColumn("group", F.coalesce(F.col("group"), F.col("seq"))))
    found = run_groups(ctx, grouped, needs, __name__ + ":story_rows", prepare="narratrace.spark.corpus:save_pairs")
    n = F.json_array_length(F.get_json_object("data", "$.articles"))
    start = F.coalesce(F.get_json_object("data", "$.start"), F.lit("9999"))
    count = write_groups(ctx, STORIES, found, [n.desc(), start, "key"])  # cluster_stories' own order
    write_stage_rows(ctx, done_rows(ctx))
    return {"version": ctx.version, "stories": count, "window_days": WINDOW_DAYS, "stride_days": STRIDE_DAYS,
            "chain_rounds": rounds}


_UNCOVERED = pa.schema([("seq", pa.int64()), ("k", pa.int32()), ("id", pa.string()), ("claim", pa.string())])
#: Kept by the executors' pre-filter although a little over ``covered``: the stage decides again on its
#: task (one matrix product over other rows may differ in the last bits), so only a superset is safe.
_SLACK = 1e-4


def uncovered_batches(taxonomies: Any, covered: float, encoder: str | None) -> Any:
    """A ``mapInArrow`` body: claim vector rows (with the article's narratives result) in, the claims the
    discovery stage clusters out: outside the narratives' evidence, scoring under ``covered`` against
    every label (as :func:`narratrace.narratives.stage.make_narrative_discovery` tests them)."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        import numpy as np

        from narratrace.cosines import to_reference
        from narratrace.narratives.classifier import ZeroShotModel
        from narratrace.narratives.results import unpack_result
        from narratrace.narratives.taxonomy import load_taxonomies
        from narratrace.vectors import encoder_name, space_of, unpack_vectors, use_encoder

        with use_encoder(encoder):
            prototypes = ZeroShotModel(load_taxonomies(taxonomies))
            space = space_of(encoder_name())
            for batch in batches:
                out = []
                for row in batch.to_pylist():
                    vecs = unpack_vectors(row["data"])
                    evidence = ([e for h in unpack_result(row["narratives"]).hits for e in h.evidence]
                                if row.get("narratives") else [])
                    rows = [k for k, span in enumerate(vecs.spans)
                            if not any(e.start < span.end and span.start < e.end for e in evidence)]
                    if not rows:
                        continue
                    vectors = np.asarray(vecs.matrix[rows], dtype=np.float32)
                    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
                    best = to_reference(prototypes.sentence_scores(vectors).max(1), space)
                    out.extend({"seq": row["seq"], "k": k, "id": row["article_id"], "claim": vecs.ids[k]}
                               for k, b in zip(rows, best.tolist()) if b < covered + _SLACK)
                yield pa.RecordBatch.from_pylist(out, schema=_UNCOVERED)
    return run


def run_discovery(ctx: Any) -> dict[str, Any]:
    import numpy as np
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from narratrace.pipeline import registered_stages
    from narratrace.spark.corpus import done_rows, input_stages, run_groups, with_inputs, write_groups, write_stage_rows

    if _done(ctx, TOPICS):
        return {"version": ctx.version}
    config = dict(registered_stages()[ctx.name].default_config)
    spark, out = ctx.spark, ctx.out
    needs = input_stages(ctx.name, list(ctx.versions))
    ctx.say("stage narrative_discovery: uncovered claims per partition, then one task")
    if not out.exists("stage_results/stage=claim_vectors"):
        selected = spark.createDataFrame([], "id string, claims array<string>")
        uncovered = 0
    else:
        vectors = (spark.read.parquet(out.path("stage_results/stage=claim_vectors"))
                   .where(F.col("skipped").isNull() & F.col("data").isNotNull()).select("seq", "article_id", "data"))
        if out.exists("stage_results/stage=narratives"):
            narratives = (spark.read.parquet(out.path("stage_results/stage=narratives")).where(F.col("skipped").isNull())
                          .select("article_id", F.col("data").alias("narratives")))
            vectors = vectors.join(narratives, "article_id", "left")
        else:
            vectors = vectors.withColumn("narratives", F.lit(None).cast("binary"))
        found = vectors.mapInArrow(uncovered_batches(config["taxonomies"], float(config["covered"]), ctx.encoder),
                                   from_arrow_schema(_UNCOVERED))
        out.write_table("_work/uncovered_claims", found)
        found = spark.read.parquet(out.path("_work/uncovered_claims"))
        uncovered = found.count()
        limit = int(config["max_claims"])
        if uncovered > limit:  # the stage's own even spread over ingestion order, chosen here over the whole corpus
            wanted = set(np.unique(np.linspace(0, uncovered - 1, limit).round().astype(int)).tolist())
            shared = spark.sparkContext.broadcast(wanted)
            ranked = found.rdd.sortBy(lambda r: (r["seq"], r["k"])).zipWithIndex()
            found = ranked.filter(lambda rn: rn[1] in shared.value).map(lambda rn: rn[0]).toDF(found.schema)
        selected = found.groupBy("id").agg(F.collect_list("claim").alias("claims"))
    articles = with_inputs(ctx, spark.read.parquet(out.path("articles")), needs).join(selected, "id")
    topics = run_groups(ctx, articles.withColumn("group", F.lit(0).cast("long")), needs, __name__ + ":topic_rows",
                        prepare="narratrace.claims.spark:keep_component_vectors")
    count = write_groups(ctx, TOPICS, topics, ["key"])
    write_stage_rows(ctx, done_rows(ctx))
    return {"version": ctx.version, "topics": count, "uncovered_claims": uncovered}


def _rows(root: Path, table: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for path in sorted((root / table).rglob("*.parquet")):  # part files by name: ranges, written in order
        rows.extend(json.loads(r["data"]) for r in pq.read_table(path, columns=["data"]).to_pylist())
    return rows


def load_stories(root: Path, store: Any, stage: str, version: str) -> int:
    from narratrace.narratives.stories import Story
    from narratrace.narratives.results import StoriesResult
    from narratrace.narratives.store import save_stories

    if not (root / STORIES).exists():
        return 0
    result = StoriesResult(tuple(Story.from_dict(d) for d in _rows(root, STORIES)), ())
    save_stories(store, stage, version, result)
    return len(result.stories)


def load_discovery(root: Path, store: Any, stage: str, version: str) -> int:
    from narratrace.narratives.discovery import Topic
    from narratrace.narratives.results import DiscoveryResult
    from narratrace.narratives.store import save_discovery

    if not (root / TOPICS).exists():
        return 0
    topics = tuple(Topic.from_dict(d) for d in _rows(root, TOPICS))
    save_discovery(store, stage, version, DiscoveryResult(topics, ()))
    return len(topics)
