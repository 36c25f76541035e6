"""The ``republications`` corpus stage as Spark joins, with the local stage's own verification.

Candidates: every article's fingerprints (sampled 5-word shingle hashes, the ``fingerprints``
stage) are exploded into ``(key, seq)`` rows and grouped by key, the text-dedup banding
approach with fingerprint keys as band keys: keys held by 2..``max_df`` articles give pairs,
pairs are counted and kept when they share enough keys, by the same rule as
:func:`narratrace.republications.detect.candidate_pairs`, so the candidate set is identical.
The alternative, Spark ML's ``MinHashLSH.approxSimilarityJoin`` over the same fingerprint sets,
estimates Jaccard similarity; it is kept for comparison (docs/decisions.md says why banding won).

Verification joins each candidate with both articles and calls
:func:`narratrace.republications.detect.compare` on executors. Groups and originals come from
:func:`narratrace.republications.detect.group_pairs` on the driver: it needs only
``(original, copy, reason)`` of the verified pairs, which are few next to the articles (see
docs/decisions.md), and one grouping code keeps group numbering identical to the local engine.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from narratrace.boilerplate.lines import masked
from narratrace.model import Article, RepublicationGroup, RepublicationPair
from narratrace.republications.detect import CANDIDATE_MIN_SHARED, VERIFY_OPTIONS, compare, group_pairs
from narratrace.republications.shingles import Tokens
from narratrace.spark.rows import ARTICLE_SCHEMA, GROUP_SCHEMA, PAIR_SCHEMA, article_from_row

__all__ = ["KEY_SCHEMA", "banding_candidates", "fingerprint_keys", "group_rows", "minhashlsh_candidates",
           "run_on_spark", "verify_batches"]

KEY_SCHEMA = pa.schema([("seq", pa.int64()), ("key", pa.int64())])
_ARTICLE_COLUMNS = [f.name for f in ARTICLE_SCHEMA]


def _explode_keys(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """``(seq, data)`` rows of the fingerprints stage in, one ``(seq, key)`` row per fingerprint out."""
    for batch in batches:
        seqs, keys = [], []
        for seq, data in zip(batch.column("seq").to_pylist(), batch.column("data").to_pylist()):
            if data:
                fps = np.frombuffer(data, dtype="<u8").view("<i8")  # same bits, as Spark's signed long
                keys.append(fps)
                seqs.append(np.full(len(fps), seq, dtype=np.int64))
        if keys:
            yield pa.RecordBatch.from_arrays([pa.array(np.concatenate(seqs)), pa.array(np.concatenate(keys))],
                                             schema=KEY_SCHEMA)


def fingerprint_keys(articles: Any, fingerprint_results: Any) -> Any:
    """``(seq, key)`` for every fingerprint of every article: the exploded band keys."""
    results = fingerprint_results.select("article_id", "data")
    joined = results.join(articles.select("id", "seq"), results.article_id == articles.id).select("seq", "data")
    from pyspark.sql.pandas.types import from_arrow_schema

    return joined.mapInArrow(_explode_keys, from_arrow_schema(KEY_SCHEMA))


def banding_candidates(keys: Any, *, max_df: int, min_share: float,
                       min_shared: int = CANDIDATE_MIN_SHARED) -> Any:
    """``(seq_a, seq_b)`` with ``seq_a < seq_b``: the pairs ``candidate_pairs`` would return."""
    from pyspark.sql import functions as F

    sizes = keys.groupBy("seq").agg(F.count("*").alias("n"))
    df = keys.groupBy("key").agg(F.count("*").alias("df"))
    kept = keys.join(df.where((F.col("df") >= 2) & (F.col("df") <= max_df)).select("key"), "key")
    a, b = kept.alias("a"), kept.alias("b")
    shared = (a.join(b, (F.col("a.key") == F.col("b.key")) & (F.col("a.seq") < F.col("b.seq")))
              .groupBy(F.col("a.seq").alias("seq_a"), F.col("b.seq").alias("seq_b"))
              .agg(F.count("*").alias("shared")))
    na, nb = sizes.alias("na"), sizes.alias("nb")
    with_sizes = (shared.join(na, F.col("seq_a") == F.col("na.seq")).join(nb, F.col("seq_b") == F.col("nb.seq"))
                  .select("seq_a", "seq_b", "shared", F.least("na.n", "nb.n").alias("smaller")))
    ok = (F.col("shared") >= min_shared) & (F.col("shared") >= F.lit(float(min_share)) * F.col("smaller"))
    return with_sizes.where(ok).select("seq_a", "seq_b")


def minhashlsh_candidates(keys: Any, *, tables: int = 20, max_distance: float = 0.9,
                          features: int = 1 << 24, seed: int = 7) -> Any:
    """Candidates from Spark ML's ``MinHashLSH.approxSimilarityJoin`` over the fingerprint sets.

    ``max_distance`` is a Jaccard distance (0.9: at least 10 % of the union shared); the
    alternative to :func:`banding_candidates`, measured in docs/decisions.md.
    """
    from pyspark.ml.feature import HashingTF, MinHashLSH
    from pyspark.sql import functions as F

    sets = keys.groupBy("seq").agg(F.collect_list("key").alias("keys"))
    vectors = HashingTF(inputCol="keys", outputCol="features", numFeatures=features, binary=True).transform(sets)
    model = MinHashLSH(inputCol="features", outputCol="hashes", numHashTables=tables, seed=seed).fit(vectors)
    joined = model.approxSimilarityJoin(vectors, vectors, max_distance, distCol="distance")
    return (joined.where(F.col("datasetA.seq") < F.col("datasetB.seq"))
            .select(F.col("datasetA.seq").alias("seq_a"), F.col("datasetB.seq").alias("seq_b")))


def candidate_articles(candidates: Any, articles: Any) -> Any:
    """Each candidate with both articles' columns (``a_*`` and ``b_*``), for verification; an
    ``articles`` frame with a ``boilerplate`` column (JSON spans) passes it on."""
    columns = _ARTICLE_COLUMNS + (["boilerplate"] if "boilerplate" in articles.columns else [])
    a = articles.select(*[articles[c].alias(f"a_{c}") for c in columns])
    b = articles.select(*[articles[c].alias(f"b_{c}") for c in columns])
    return (candidates.join(a, candidates.seq_a == a.a_seq).join(b, candidates.seq_b == b.b_seq)
            .drop("seq_a", "seq_b"))


def verify_batches(config: Mapping[str, Any]) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A ``mapInArrow`` body: candidate rows in, verified :data:`PAIR_SCHEMA` rows out (``compare``)."""
    options = {name: config[name] for name in VERIFY_OPTIONS}
    cache_size = int(config.get("cache", 4096))

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        cache: OrderedDict[str, tuple[Article, Tokens]] = OrderedDict()

        def get(row: Mapping[str, Any], prefix: str) -> tuple[Article, Tokens]:
            key = row[f"{prefix}id"]
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
            art = article_from_row({c: row[f"{prefix}{c}"] for c in _ARTICLE_COLUMNS})
            # a widget shared by unrelated stories is no evidence (as the local stage's _Verifier)
            spans = [tuple(s) for s in json.loads(row.get(f"{prefix}boilerplate") or "[]")]
            cache[key] = (art, Tokens(masked(art.text, spans) if spans else art.text))
            if len(cache) > cache_size:
                cache.popitem(last=False)
            return cache[key]

        for batch in batches:
            out = []
            for row in batch.to_pylist():
                (a, ta), (b, tb) = get(row, "a_"), get(row, "b_")
                pair = compare(a, b, ta, tb, a_seq=row["a_seq"], b_seq=row["b_seq"], **options)
                if pair is not None:
                    out.append({"original": pair.original, "copy": pair.copy, "similarity": pair.similarity,
                                "copy_share": pair.copy_share, "seq_low": row["a_seq"], "seq_high": row["b_seq"],
                                "data": json.dumps(pair.to_dict())})
            yield pa.RecordBatch.from_pylist(out, schema=PAIR_SCHEMA)
    return run


def group_rows(pairs: list[tuple[str, str, str]], seq: dict[str, int],
               published: dict[str, str | None]) -> tuple[RepublicationGroup, ...]:
    """Groups and originals from ``(original, copy, reason)`` in candidate order, by the local code."""
    slim = [RepublicationPair(original=o, copy=c, similarity=0.0, copy_share=0.0, original_share=0.0,
                              passages=(), reason=r) for o, c, r in pairs]
    return group_pairs(slim, seq, published)


def with_boilerplate(spark: Any, out: Any, articles: Any) -> Any:
    """``articles`` with a ``boilerplate`` column: the JSON ``[[start, end], ...]`` of each article's
    boilerplate lines (the ``boilerplate`` stage's annotations), when that stage ran."""
    from pyspark.sql import functions as F

    if not out.exists("annotations/stage=boilerplate"):
        return articles
    spans = (spark.read.parquet(out.path("annotations/stage=boilerplate")).where(F.col("kind") == "boilerplate")
             .groupBy(F.col("article_id").alias("id"))
             .agg(F.to_json(F.collect_list(F.array("start", "end"))).alias("boilerplate")))
    return articles.join(spans, "id", "left")


def run_on_spark(ctx: Any) -> dict[str, Any]:
    """The ``republications`` stage on Spark: candidates, verification on executors, groups on the driver;
    each table is kept when an earlier run of the same inputs wrote it (its name goes to ``reused``)."""
    from pyspark.sql import functions as F

    spark, out, version, method, partitions = ctx.spark, ctx.out, ctx.version, ctx.method, ctx.partitions
    reused, say = ctx.reused, ctx.say
    from narratrace.pipeline import registered_stages
    from narratrace.spark.engine import spark_schema

    info = registered_stages()["republications"]
    config = dict(info.default_config)
    stats = out.read_json("_work/republications.json") or {}
    if not out.exists("republication_pairs"):
        say(f"republication candidates ({method})")
        articles = spark.read.parquet(out.path("articles"))
        keys = fingerprint_keys(articles, spark.read.parquet(out.path("stage_results/stage=fingerprints")))
        if method == "banding":
            cands = banding_candidates(keys, max_df=config["max_df"], min_share=config["candidate_share"])
        else:
            cands = minhashlsh_candidates(keys)
        out.write_table("_work/candidates", cands)
        cands = spark.read.parquet(out.path("_work/candidates"))
        stats = {"method": method, "candidates": cands.count(), "key_rows": keys.count()}
        out.write_json("_work/republications.json", stats)
        say(f"verifying {stats['candidates']} candidate pair(s)")
        verified = candidate_articles(cands, with_boilerplate(spark, out, articles)).repartition(max(1, partitions * 2)).mapInArrow(
            verify_batches(config), spark_schema(PAIR_SCHEMA))
        out.write_table("republication_pairs", verified.orderBy("seq_low", "seq_high"))
    else:
        reused.append("republication_pairs")
    if not out.exists("republication_groups"):
        pairs = spark.read.parquet(out.path("republication_pairs"))
        rows = pairs.select("original", "copy", F.get_json_object("data", "$.reason").alias("reason"),
                            "seq_low", "seq_high").orderBy("seq_low", "seq_high").collect()
        ids = spark.createDataFrame([(i,) for i in {r["original"] for r in rows} | {r["copy"] for r in rows}],
                                    "id string")
        meta = spark.read.parquet(out.path("articles")).join(ids, "id").select("id", "seq", "published").collect()
        groups = group_rows([(r["original"], r["copy"], r["reason"]) for r in rows],
                            {m["id"]: m["seq"] for m in meta}, {m["id"]: m["published"] for m in meta})
        frame = spark.createDataFrame([(g.id, g.original, json.dumps(list(g.members)), g.reason) for g in groups],
                                      spark_schema(GROUP_SCHEMA))
        out.write_table("republication_groups", frame.coalesce(1))
        stats = {**stats, "pairs": len(rows), "groups": len(groups)}
        out.write_json("_work/republications.json", stats)
    else:
        reused.append("republication_groups")
    return {**stats, "version": version}
