"""``claim_vectors`` and ``claim_groups`` on Spark.

``claim_vectors`` embeds each article's claims: one article's vectors depend on that article only, so
it runs per partition with the local stage's code (:func:`narratrace.spark.corpus.per_article_step`).

``claim_groups`` is clustering over the whole corpus, cut where it can be cut without changing the
answer:

1. every stored claim vector becomes a row (unit float32, as :class:`~narratrace.claims.groups.UnitRows`
   reads it);
2. approximate nearest neighbours: Spark ML's ``BucketedRandomProjectionLSH`` self-join finds the
   cross-article pairs within the Euclidean distance of the stage's cosine floor
   (:func:`cosine_floor`; for unit vectors ``d = sqrt(2 - 2 cos)``): the only pairs that
   :func:`~narratrace.claims.groups.cluster` can ever link;
3. connected components of those pairs, by min-label propagation (one join per round);
4. the local stage, unchanged, once per component (``applyInArrow``) on a task store holding the
   component's articles, their claims and only the component's claim vectors. Clustering merges
   two groups only along a link, and every link lies inside one component, so per component is
   the whole-corpus answer whenever step 2 found every pair;
5. the groups, ordered as the local stage orders them (most articles, first date, ingestion order, id).

The tolerance is step 2's recall: a pair LSH misses could split a group. Measured, it misses none,
and for a bad reason: a random projection of a 384-dim unit vector spreads over ±0.15, so with
bucket length ``BUCKET`` every one of the ``TABLES`` tables has two buckets and the join compares
nearly all pairs, quadratic in claims; a narrower bucket does not prune either (one projection per
table, no AND). docs/scale.md has the figures and what would scale (blocking on shared entities).
Asserted by ``tests/test_spark.py`` (identical groups on the example corpus) and
``tests/test_spark_scale.py`` (at most 1 % of the local engine's grouped claim pairs missing).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["BUCKET", "TABLES", "TABLE", "claim_group_rows", "cosine_floor", "keep_component_vectors", "load",
           "run_claim_groups"]

TABLE = "claim_groups"
#: BucketedRandomProjectionLSH: bucket length (in units of distance between unit vectors) and tables.
BUCKET = 2.0
TABLES = 12
_MAX_ROUNDS = 60
_CLAIMS = pa.schema([("seq", pa.int64()), ("id", pa.string()), ("node", pa.int64()), ("claim", pa.string()),
                     ("vector", pa.list_(pa.float64()))])


def cosine_floor(config: Mapping[str, Any], encoder: str | None) -> float:
    """The least cosine of a pair the stage may link: its ``min_cosine`` (the encoder's calibrated one when
    left at the default) or the threshold less the largest entity bonus, whichever is higher."""
    from narratrace.claims.groups import _GROUPS_DEFAULTS, SPACE_COSINES
    from narratrace.vectors import encoder_name, space_of

    space = SPACE_COSINES.get(space_of(encoder_name(encoder)), {})
    min_cosine = float(config["min_cosine"])
    if min_cosine == _GROUPS_DEFAULTS["min_cosine"]:
        min_cosine = space.get("min_cosine", min_cosine)
    return max(min_cosine, float(config["threshold"]) - float(config["entity_bonus"]) * int(config["entity_cap"]))


def _claim_rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    from narratrace.vectors import unpack_vectors

    for batch in batches:
        out = []
        for seq, aid, data in zip(*(batch.column(c).to_pylist() for c in ("seq", "article_id", "data"))):
            if not data:
                continue
            vecs = unpack_vectors(data)
            matrix = np.asarray(vecs.matrix, dtype=np.float32)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True) if len(matrix) else np.zeros((0, 1))
            matrix = matrix / np.where(norms > 0, norms, np.float32(1.0))
            for k, cid in enumerate(vecs.ids):
                out.append({"seq": seq, "id": aid, "node": seq * 65536 + min(k, 65535), "claim": cid,
                            "vector": matrix[k].astype(np.float64).tolist()})
        yield pa.RecordBatch.from_pylist(out, schema=_CLAIMS)


def _components(ctx: Any, edges: Any) -> tuple[Any, int]:
    """``(node, group)`` for every node of ``edges`` (``src``, ``dst``): the least node of its component."""
    from pyspark.sql import functions as F

    both = edges.select("src", "dst").unionByName(edges.select(F.col("dst").alias("src"), F.col("src").alias("dst")))
    both = both.localCheckpoint()
    labels = both.select(F.col("src").alias("node")).distinct().withColumn("group", F.col("node")).localCheckpoint()
    rounds = 0
    while rounds < _MAX_ROUNDS:
        rounds += 1
        pushed = both.join(labels, both.src == labels.node).select(F.col("dst").alias("node"), "group")
        new = pushed.unionByName(labels).groupBy("node").agg(F.min("group").alias("group")).localCheckpoint()
        changed = new.alias("n").join(labels.alias("o"), "node").where(F.col("n.group") != F.col("o.group")).count()
        labels = new
        if not changed:
            break
    return labels, rounds


def keep_component_vectors(store: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """In a component's task store: each article's stored claim vectors cut to the component's claims
    (``rows[i]["claims"]``), and the republication pairs among its articles."""
    from narratrace.spark.corpus import save_pairs
    from narratrace.vectors import ClaimVectors, pack_vectors, unpack_vectors

    cut = []
    version = None
    for r in rows:
        res = r.get("r__claim_vectors")
        if not res or not res.get("data"):
            continue
        version = res["version"]
        vecs = unpack_vectors(res["data"])
        wanted = set(r.get("claims") or ())
        keep = [k for k, cid in enumerate(vecs.ids) if cid in wanted]
        cut.append((r["id"], r["content_hash"], pack_vectors(ClaimVectors(
            tuple(vecs.ids[k] for k in keep), tuple(vecs.spans[k] for k in keep), tuple(vecs.texts[k] for k in keep),
            vecs.matrix[keep], vecs.model)), ()))
    if cut and version:
        store.save_stage_results("claim_vectors", version, cut)
    save_pairs(store, rows)


def claim_group_rows(store: Any) -> list[tuple[str, str, str]]:
    """The task store's claim groups as ``(table, id, json)``."""
    from narratrace.claims.store import claim_groups

    return [(TABLE, g.id, json.dumps(g.to_dict(), ensure_ascii=False)) for g in claim_groups(store)]


def run_claim_groups(ctx: Any) -> dict[str, Any]:
    from pyspark.ml.feature import BucketedRandomProjectionLSH
    from pyspark.ml.functions import array_to_vector
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from narratrace.pipeline import registered_stages
    from narratrace.spark.corpus import (done_rows, input_stages, run_groups, stage_tables_done, with_inputs,
                                         with_originals, write_groups, write_stage_rows)

    stats = ctx.out.read_json(f"_work/{TABLE}.json") or {}
    if stage_tables_done(ctx) and ctx.out.exists(TABLE):
        ctx.reused.append(TABLE)
        return {**stats, "version": ctx.version}
    config = dict(registered_stages()[ctx.name].default_config)
    floor = cosine_floor(config, ctx.encoder)
    distance = math.sqrt(max(0.0, 2.0 - 2.0 * (floor - 0.01)))  # a float16 rounding's slack
    ctx.say(f"stage claim_groups: pairs from cosine {floor:.2f} (LSH, distance {distance:.3f})")
    spark, out = ctx.spark, ctx.out
    if out.exists("stage_results/stage=claim_vectors"):
        results = spark.read.parquet(out.path("stage_results/stage=claim_vectors")).where(F.col("skipped").isNull())
        claims = results.select("seq", "article_id", "data").mapInArrow(_claim_rows, from_arrow_schema(_CLAIMS))
    else:
        claims = spark.createDataFrame([], from_arrow_schema(_CLAIMS))
    claims = claims.withColumn("features", array_to_vector("vector")).drop("vector")
    out.write_table("_work/claim_rows", claims)
    claims = spark.read.parquet(out.path("_work/claim_rows"))
    if claims.limit(1).count():
        lsh = BucketedRandomProjectionLSH(inputCol="features", outputCol="hashes", bucketLength=BUCKET,
                                          numHashTables=TABLES, seed=21).fit(claims)
        near = (lsh.approxSimilarityJoin(claims, claims, distance, distCol="distance")
                .where((F.col("datasetA.seq") != F.col("datasetB.seq"))
                       & (F.col("datasetA.node") < F.col("datasetB.node")))
                .select(F.col("datasetA.node").alias("src"), F.col("datasetB.node").alias("dst")))
    else:  # no claim in the corpus (Spark ML cannot fit LSH on nothing): no pair, no group
        near = spark.createDataFrame([], "src long, dst long")
    out.write_table("_work/claim_pairs", near)
    edges = spark.read.parquet(out.path("_work/claim_pairs"))
    labels, rounds = _components(ctx, edges)
    members = (spark.read.parquet(out.path("_work/claim_rows")).join(labels, "node")
               .groupBy("group", "id").agg(F.collect_list("claim").alias("claims")))
    articles = with_originals(ctx, with_inputs(ctx, spark.read.parquet(out.path("articles")),
                                               input_stages(ctx.name, list(ctx.versions))))
    grouped = articles.join(members, "id")
    found = run_groups(ctx, grouped, input_stages(ctx.name, list(ctx.versions)), __name__ + ":claim_group_rows",
                       prepare=__name__ + ":keep_component_vectors")
    index = spark.read.parquet(out.path("articles")).select(F.col("id").alias("first"), F.col("seq").alias("first_seq"))
    found = (found.withColumn("first", F.get_json_object("data", "$.first_seen"))
             .withColumn("n", F.json_array_length(F.get_json_object("data", "$.articles")))
             .withColumn("day", F.coalesce(F.substring(F.get_json_object("data", "$.first_published"), 1, 10),
                                           F.lit("9999")))
             .join(index, "first", "left").select("key", "data", "n", "day", "first_seq"))
    groups = write_groups(ctx, TABLE, found, [F.col("n").desc(), "day", "first_seq", "key"])
    stats = {"pairs": edges.count(), "rounds": rounds, "groups": groups, "cosine_floor": round(floor, 4),
             "lsh": {"bucket_length": BUCKET, "tables": TABLES}}
    out.write_json(f"_work/{TABLE}.json", stats)
    write_stage_rows(ctx, done_rows(ctx))
    return {**stats, "version": ctx.version}


def load(root: Path, store: Any, stage: str, version: str) -> int:
    """The claim groups of a Spark output into ``store``, in their order, by the stage's own ``save``."""
    import pyarrow.parquet as pq

    from narratrace.claims.model import ClaimGroup
    from narratrace.claims.store import save_claim_groups

    if not (root / TABLE).exists():
        return 0
    rows: list[dict[str, Any]] = []
    for path in sorted((root / TABLE).rglob("*.parquet")):  # part files by name: ranges, written in order
        rows.extend(pq.read_table(path, columns=["data"]).to_pylist())
    groups = [ClaimGroup.from_dict(json.loads(r["data"])) for r in rows]
    save_claim_groups(store, stage, version, groups=groups, compared=())
    return len(groups)
