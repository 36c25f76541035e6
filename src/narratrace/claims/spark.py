"""``claim_vectors`` and ``claim_groups`` on Spark.

``claim_vectors`` embeds each article's claims: one article's vectors depend on that article only, so
it runs per partition with the local stage's code (:func:`narratrace.spark.corpus.per_article_step`).

``claim_groups`` is clustering over the whole corpus, cut where it can be cut without changing the
answer:

1. every stored claim vector the stage groups becomes a row: unit float32 (as
   :class:`~narratrace.claims.groups.UnitRows` reads it) with the claim's entities and numbers (as
   :func:`~narratrace.claims.groups.claim_records` reads them from the claims stage's annotations);
2. while every claim's float32 vector fits :data:`BROADCAST_BYTES` (about 350,000 claims), every pair:
   the claims broadcast, the local stage's own tiles (:func:`~narratrace.claims.groups.tile_links`,
   :data:`TILE` claims a side) spread over executors (:func:`tile_pairs`), so the links are the local
   stage's (a superset by :data:`_SLACK`) and steps 3-6 give its groups: identical, not approximate.
   Above that size, candidate pairs, two ways. Sign-random-projection banding: ``BANDS`` bands of ``BITS`` hyperplane
   signs per claim (:func:`band_keys`, in ``mapInArrow``), a join on ``(band, key)``: all signs of a
   band agree (AND), in any band (OR); :func:`collision_probability` says how often: a pair at
   cosine 0.78 (the stage's threshold) with probability 0.985, at 0.3 with 0.05, at 0.1 with 0.008.
   And entity blocking: a link under cosine 0.78 needs a shared entity (the score adds 0.1 per shared
   entity, at most two, from the floor 0.58), so every pair of claims sharing a canonical entity is a
   candidate too, unless more than :data:`ENTITY_BUCKET` claims name it (those pairs are left to the
   banding; that bounds the blocking's candidates). Banding alone missed 19 of the 160 links of the
   example corpus (news, where links at cosine 0.59-0.66 with two shared entities are common: banding
   finds those with probability 0.46-0.7) and split two groups; with blocking it misses none;
3. verification on executors: a candidate is kept when the stage itself would link it, cosine at least
   the stage's floor (:func:`cosine_floor`) and :func:`~narratrace.claims.groups.pair_score` at least
   its threshold (entities and numbers counted), against a broadcast copy of every claim's vector
   while they fit in :data:`BROADCAST_BYTES`, else by joining each candidate to both claims' rows.
   Components over these links stay small (on 200
   generated articles the largest held 113 of 1,509 claims; over all pairs above the cosine floor
   alone it would have held 1,408, one task doing nearly everything);
4. connected components of those links (:func:`narratrace.spark.corpus.connected_components`);
5. the local stage, unchanged, once per component (``applyInArrow``) on a task store holding the
   component's articles, their claims and only the component's claim vectors. Clustering merges
   two groups only along a link, and every link lies inside one component, so per component is
   the whole-corpus answer whenever step 2 found every link;
6. the groups, ordered as the local stage orders them (most articles, first date, ingestion order, id).

With banding (above the broadcast size only) the tolerance is step 2's recall: a link both ways miss (cosine at least 0.78 but no shared band, or
an entity named by too many claims) can split a group. On the 200 generated articles banding alone
found 97.4 % of the stage's links and the pairs of claims sharing a group agreed to F1 0.998; with
entity blocking the groups were identical.
Asserted by ``tests/test_spark.py`` (identical groups on the example corpus) and
``tests/test_spark_scale.py`` (the pairs of claims sharing a group, pair F1 against the local engine
at least :data:`GROUP_PAIR_F1` and recall at least :data:`GROUP_PAIR_RECALL`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["BANDS", "BITS", "BROADCAST_BYTES", "ENTITY_BUCKET", "GROUP_PAIR_F1", "GROUP_PAIR_RECALL", "TABLE", "TILE", "band_keys", "band_rows", "claim_group_rows", "collision_probability",
           "cosine_floor", "keep_component_vectors", "load", "run_claim_groups", "tile_pairs", "verified_pairs"]

TABLE = "claim_groups"
#: Sign-random-projection (SimHash) banding: ``BANDS`` bands of ``BITS`` hyperplane signs each. Two claims
#: are a candidate pair when all ``BITS`` signs of some band agree (AND within a band, OR across bands);
#: :func:`collision_probability` gives the chance for a pair at a cosine (0.98 at 0.78, 0.79 at 0.68,
#: 0.46 at the floor 0.58; 5 % at 0.3 and 0.8 % at 0.1, which is what bounds the candidates).
BITS = 16
BANDS = 200
_SEED = 21
#: Pairs of claims sharing a canonical entity are candidates (a link under cosine 0.78 needs one) unless
#: more than this many claims name the entity: that bounds those candidates at ENTITY_BUCKET² / 2 an entity.
ENTITY_BUCKET = 500
#: Candidates are verified against a broadcast copy of every claim's vector when they fit in this many
#: bytes (float32); above it each candidate row is joined to both claims' rows (a shuffle of ~3 KB a pair).
BROADCAST_BYTES = 512 * 2**20
#: The least pair F1 of "these two claims share a group" against the local engine (docs/scale.md).
GROUP_PAIR_F1 = 0.95
#: The least recall of those pairs: the share of the local engine's pairs sharing a group that Spark's
#: groups keep together (a link both candidate ways miss can only split a group). Measured 0.967 at
#: 2,000 generated articles and 0.991 at 5,000 (docs/scale.md).
GROUP_PAIR_RECALL = 0.95
_CLAIMS = pa.schema([("seq", pa.int64()), ("id", pa.string()), ("node", pa.int64()), ("claim", pa.string()),
                     ("vector", pa.binary()), ("entities", pa.list_(pa.string())), ("numbers", pa.list_(pa.string()))])
_BANDS = pa.schema([("band", pa.int32()), ("key", pa.int64()), ("node", pa.int64()), ("seq", pa.int64())])
_PAIRS = pa.schema([("src", pa.int64()), ("dst", pa.int64()), ("cosine", pa.float32())])


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


def collision_probability(cosine: float, bits: int = BITS, bands: int = BANDS) -> float:
    """The chance that two unit vectors at ``cosine`` share a key in at least one band: one hyperplane
    splits them with probability ``angle / pi``."""
    agree = 1.0 - math.acos(max(-1.0, min(1.0, cosine))) / math.pi
    return 1.0 - (1.0 - agree ** bits) ** bands


def _planes(dim: int, bits: int = BITS, bands: int = BANDS) -> np.ndarray:
    return np.random.default_rng(_SEED).standard_normal((dim, bits * bands)).astype(np.float32)


def band_keys(matrix: np.ndarray, bits: int = BITS, bands: int = BANDS) -> np.ndarray:
    """``(claims, bands)`` int64 keys: each band's ``bits`` hyperplane signs as one integer."""
    if not len(matrix):
        return np.zeros((0, bands), dtype=np.int64)
    signs = (np.asarray(matrix, dtype=np.float32) @ _planes(matrix.shape[1], bits, bands)) > 0
    weights = (np.int64(1) << np.arange(bits, dtype=np.int64))
    return (signs.reshape(len(matrix), bands, bits).astype(np.int64) * weights).sum(axis=2)


def _claim_rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """One row per stored claim vector the stage groups: unit float32 bytes (as
    :class:`~narratrace.claims.groups.UnitRows` reads them) with the claim's entities and numbers, read
    as the stage reads them (:func:`~narratrace.claims.groups.claim_records` over the claims stage's
    annotations, ``anns``); a vector whose claim the claims stage no longer has is left out, as locally."""
    from narratrace.claims.groups import _text_from_claims, claim_records
    from narratrace.model import Annotation
    from narratrace.vectors import unpack_vectors

    for batch in batches:
        out = []
        for seq, aid, data, anns in zip(*(batch.column(c).to_pylist() for c in ("seq", "article_id", "data", "anns"))):
            if not data:
                continue
            vecs = unpack_vectors(data)
            annotations = [Annotation(x["kind"], x["start"], x["end"], x["label"], json.loads(x["data"]))
                           for x in anns or ()]
            records = {r.id: r for r in claim_records(aid, _text_from_claims(vecs), annotations)}
            matrix = np.asarray(vecs.matrix, dtype=np.float32)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True) if len(matrix) else np.zeros((0, 1))
            matrix = matrix / np.where(norms > 0, norms, np.float32(1.0))
            for k, cid in enumerate(vecs.ids):
                if cid not in records:
                    continue
                out.append({"seq": seq, "id": aid, "node": seq * 65536 + min(k, 65535), "claim": cid,
                            "vector": matrix[k].astype(np.float32).tobytes(),
                            "entities": sorted(records[cid].entities), "numbers": sorted(records[cid].numbers)})
        yield pa.RecordBatch.from_pylist(out, schema=_CLAIMS)


def band_rows(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Claim rows in, one ``(band, key, node, seq)`` row per claim and band out."""
    for batch in batches:
        if not batch.num_rows:
            continue
        matrix = np.stack([np.frombuffer(v, dtype=np.float32) for v in batch.column("vector").to_pylist()])
        keys = band_keys(matrix)
        n, bands = keys.shape
        yield pa.RecordBatch.from_arrays(
            [pa.array(np.tile(np.arange(bands, dtype=np.int32), n)), pa.array(keys.reshape(-1)),
             pa.array(np.repeat(batch.column("node").to_numpy(), bands)),
             pa.array(np.repeat(batch.column("seq").to_numpy(), bands))], schema=_BANDS)


#: Kept although a hair under the stage's bars: the local stage decides again on each component, and one
#: product computed another way may differ in the last bits, so only a superset of its links is safe.
_SLACK = 1e-4


def verified_pairs(config: Mapping[str, Any], floor: float, shared: Any = None) -> Any:
    """A ``mapInArrow`` body: candidate pairs in; out, the pairs the stage would link: cosine at least
    ``floor`` and :func:`~narratrace.claims.groups.pair_score` at least its ``threshold`` (computed by
    :func:`~narratrace.claims.groups.pair_scores`, as the local stage does, bit for bit). Each row holds
    both claims' vectors, entities and numbers (``va``, ``ea``, ``na``, ``vb``, ...), or, with ``shared``
    (a broadcast ``(nodes, matrix, entities, numbers)``, nodes sorted), only ``src`` and ``dst``."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from narratrace.claims.groups import ClaimFeatures, GroupingOptions, pair_scores

        opts = GroupingOptions(threshold=float(config["threshold"]), entity_bonus=float(config["entity_bonus"]),
                               entity_cap=int(config["entity_cap"]),
                               disjoint_entity_penalty=float(config["disjoint_entity_penalty"]),
                               number_penalty=float(config["number_penalty"]))
        table = shared.value if shared is not None else None
        everyone = ClaimFeatures(entities=table[2], numbers=table[3]) if table is not None else None
        for batch in batches:
            if not batch.num_rows:
                continue
            src, dst = batch.column("src").to_numpy(), batch.column("dst").to_numpy()
            if table is not None:
                nodes, matrix = table[0], table[1]
                ia, ib = np.searchsorted(nodes, src), np.searchsorted(nodes, dst)
                cos = np.einsum("ij,ij->i", matrix[ia], matrix[ib])
                features = everyone
            else:
                a = np.stack([np.frombuffer(v, dtype=np.float32) for v in batch.column("va").to_pylist()])
                b = np.stack([np.frombuffer(v, dtype=np.float32) for v in batch.column("vb").to_pylist()])
                cos = np.einsum("ij,ij->i", a, b)
                ea, na, eb, nb = ([frozenset(x or ()) for x in batch.column(c).to_pylist()]
                                  for c in ("ea", "na", "eb", "nb"))
                features = ClaimFeatures(entities=ea + eb, numbers=na + nb)  # a's rows, then b's
                ia = np.arange(len(src))
                ib = ia + len(src)
            near = np.flatnonzero(cos >= floor - _SLACK)
            ents, nums = features.shared_pairs(ia[near], ib[near])  # type: ignore[union-attr]
            score = pair_scores(cos[near], ia[near], ib[near], features, ents, nums, opts)  # type: ignore[arg-type]
            kept = near[score >= opts.threshold - _SLACK]
            yield pa.RecordBatch.from_arrays([pa.array(src[kept], pa.int64()), pa.array(dst[kept], pa.int64()),
                                              pa.array(cos[kept], pa.float32())], schema=_PAIRS)
    return run


#: Claims per side of a tile of :func:`tile_pairs` (the local stage's block: 16 MiB of cosines).
TILE = 2048


def tile_pairs(config: Mapping[str, Any], floor: float, shared: Any) -> Any:
    """A ``mapInArrow`` body: tiles ``(r0, c0)`` in; out, every pair of the tile the stage would link, by the
    local stage's own :func:`~narratrace.claims.groups.tile_links` over the broadcast claims (``shared``,
    as :func:`verified_pairs` takes it), with :data:`_SLACK`: every pair of claims is compared, as locally."""
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        from narratrace.claims.groups import ClaimFeatures, GroupingOptions, tile_links

        opts = GroupingOptions(threshold=float(config["threshold"]), entity_bonus=float(config["entity_bonus"]),
                               entity_cap=int(config["entity_cap"]),
                               disjoint_entity_penalty=float(config["disjoint_entity_penalty"]),
                               number_penalty=float(config["number_penalty"]), min_cosine=floor)
        nodes, matrix, entities, numbers = shared.value
        features = ClaimFeatures(entities=entities, numbers=numbers)
        article_of = nodes // 65536  # a node is seq * 65536 + the claim's place in its article
        for batch in batches:
            for r0, c0 in zip(batch.column("r0").to_pylist(), batch.column("c0").to_pylist()):
                _, i, j, cos = tile_links(matrix[r0:r0 + TILE], matrix[c0:c0 + TILE], r0, c0, article_of, features,
                                          opts, slack=_SLACK)
                yield pa.RecordBatch.from_arrays([pa.array(nodes[i], pa.int64()), pa.array(nodes[j], pa.int64()),
                                                  pa.array(cos, pa.float32())], schema=_PAIRS)
    return run


def _broadcast_claims(spark: Any, claims: Any) -> Any:
    """Every claim's ``(nodes, unit float32 matrix, entities, numbers)``, nodes sorted, broadcast."""
    table = claims.select("node", "vector", "entities", "numbers").toArrow().sort_by("node")
    nodes = table.column("node").to_numpy()
    vectors = table.column("vector").to_pylist()
    matrix = (np.stack([np.frombuffer(v, dtype=np.float32) for v in vectors]) if vectors
              else np.zeros((0, 384), dtype=np.float32))
    entities = [frozenset(e or ()) for e in table.column("entities").to_pylist()]
    numbers = [frozenset(n or ()) for n in table.column("numbers").to_pylist()]
    return spark.sparkContext.broadcast((nodes, matrix, entities, numbers))


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


def _banded_pairs(spark: Any, out: Any, claims: Any, config: Mapping[str, Any], floor: float) -> Any:
    """Candidate pairs by banding and entity blocking, verified on executors (claims too many to broadcast)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    out.write_table("_work/claim_bands", claims.mapInArrow(band_rows, from_arrow_schema(_BANDS)))
    bands = spark.read.parquet(out.path("_work/claim_bands"))
    a, b = bands.alias("a"), bands.alias("b")
    banded = (a.join(b, (F.col("a.band") == F.col("b.band")) & (F.col("a.key") == F.col("b.key")))
              .where((F.col("a.node") < F.col("b.node")) & (F.col("a.seq") != F.col("b.seq")))
              .select(F.col("a.node").alias("src"), F.col("b.node").alias("dst")))
    # a link under the threshold's cosine needs a shared entity: every pair sharing one is a candidate,
    # but for an entity named by more than ENTITY_BUCKET claims (those pairs are left to the banding)
    named = claims.select("node", "seq", F.explode("entities").alias("entity"))
    sizes = named.groupBy("entity").count().where(F.col("count") <= ENTITY_BUCKET).select("entity")
    named = named.join(sizes, "entity")
    a, b = named.alias("a"), named.alias("b")
    shared = (a.join(b, F.col("a.entity") == F.col("b.entity"))
              .where((F.col("a.node") < F.col("b.node")) & (F.col("a.seq") != F.col("b.seq")))
              .select(F.col("a.node").alias("src"), F.col("b.node").alias("dst")))
    candidates = banded.unionByName(shared).distinct()
    out.write_table("_work/claim_candidates", candidates)
    candidates = spark.read.parquet(out.path("_work/claim_candidates"))

    def side(end: str, suffix: str) -> Any:
        return claims.select(F.col("node").alias(end), F.col("vector").alias("v" + suffix),
                             F.col("entities").alias("e" + suffix), F.col("numbers").alias("n" + suffix))
    both = candidates.join(side("src", "a"), "src").join(side("dst", "b"), "dst")
    return both.mapInArrow(verified_pairs(config, floor), from_arrow_schema(_PAIRS))


def run_claim_groups(ctx: Any) -> dict[str, Any]:
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from narratrace.pipeline import registered_stages
    from narratrace.spark.corpus import (connected_components, done_rows, input_stages, run_groups, stage_tables_done,
                                         with_inputs, with_originals, write_groups, write_stage_rows)

    stats = ctx.out.read_json(f"_work/{TABLE}.json") or {}
    if stage_tables_done(ctx) and ctx.out.exists(TABLE):
        ctx.reused.append(TABLE)
        return {**stats, "version": ctx.version}
    config = dict(registered_stages()[ctx.name].default_config)
    floor = cosine_floor(config, ctx.encoder)
    ctx.say(f"stage claim_groups: pairs from cosine {floor:.2f}")
    spark, out = ctx.spark, ctx.out
    if out.exists("stage_results/stage=claim_vectors"):
        results = spark.read.parquet(out.path("stage_results/stage=claim_vectors")).where(F.col("skipped").isNull())
        results = results.select("seq", "article_id", "data")
        source = f"annotations/stage={config['claims_stage']}"
        if out.exists(source):
            anns = (spark.read.parquet(out.path(source)).groupBy("article_id")
                    .agg(F.sort_array(F.collect_list(F.struct("ordinal", "kind", "start", "end", "label", "data")))
                         .alias("anns")))
            results = results.join(anns, "article_id", "left")
        else:
            results = results.withColumn("anns", F.lit(None).cast(
                "array<struct<ordinal:int,kind:string,start:bigint,end:bigint,label:string,data:string>>"))
        claims = results.mapInArrow(_claim_rows, from_arrow_schema(_CLAIMS))
    else:
        claims = spark.createDataFrame([], from_arrow_schema(_CLAIMS))
    out.write_table("_work/claim_rows", claims)
    claims = spark.read.parquet(out.path("_work/claim_rows"))
    n_claims = claims.count()
    if n_claims * 384 * 4 <= BROADCAST_BYTES:  # every pair, as locally: the local stage's tiles over executors
        shared = _broadcast_claims(spark, claims)
        starts = range(0, n_claims, TILE)
        tiles = spark.createDataFrame([(r0, c0) for r0 in starts for c0 in starts if c0 >= r0], "r0 long, c0 long")
        verified = tiles.repartition(max(1, min(len(starts) * (len(starts) + 1) // 2, 4 * ctx.partitions))) \
            .mapInArrow(tile_pairs(config, floor, shared), from_arrow_schema(_PAIRS))
        n_candidates, method = n_claims * (n_claims - 1) // 2, "tiles"
    else:
        verified = _banded_pairs(spark, out, claims, config, floor)
        n_candidates, method = spark.read.parquet(out.path("_work/claim_candidates")).count(), "banding"
    out.write_table("_work/claim_pairs", verified)
    edges = spark.read.parquet(out.path("_work/claim_pairs"))
    labels, rounds = connected_components(edges)
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
    stats = {"claims": n_claims, "candidates": n_candidates, "pairs": edges.count(), "rounds": rounds,
             "groups": groups, "cosine_floor": round(floor, 4), "method": method,
             **({"tile": TILE} if method == "tiles" else
                {"banding": {"bands": BANDS, "bits": BITS, "entity_bucket": ENTITY_BUCKET}})}
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
