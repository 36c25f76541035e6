"""``narratrace spark analyze``: inputs to Parquet tables in the shape of the JSON export.

Steps, each reading the tables the previous one wrote (so a re-run resumes after the last
complete table, and Spark plans stay short):

1. ``_work/parsed``: every input file parsed on executors by the local ingestion code;
2. ``articles`` (refs made unique across files as ``narratrace ingest`` does) and ``skipped``;
3. per article stage: ``stage_results/stage=NAME``, ``annotations/stage=NAME``, ``stage_errors/stage=NAME``;
4. per corpus stage, in pipeline order, its analysis's Spark step (``Analysis.spark``) given a
   :class:`~narratrace.spark.corpus.StepContext`: the same three tables for the stage, and its own
   tables (``republication_pairs`` and ``republication_groups``, ``claim_groups``, ``stories``,
   ``narrative_topics``, ``factcheck_matches``), which ``narratrace load`` reads with the analysis's
   ``Analysis.spark_load``;
5. ``_manifest.json``: inputs, stages and versions (the encoder's included, as the local runner keys
   them), row counts, each step's seconds; written last.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from narratrace.analyses import registered_analyses, resolve
from narratrace.errors import ConfigError
from narratrace.model import Skipped
from narratrace.pipeline import DEFAULT_STAGES, Pipeline, registered_stages, stage_languages
from narratrace.spark import OUTPUT_TABLES
from narratrace.spark.article_stages import STAGE_OUTPUT_SCHEMA, stage_batches
from narratrace.spark.corpus import StepContext
from narratrace.spark.inputs import PARSED_SCHEMA, InputFile, describe, is_uri, local_inputs, parse_batches
from narratrace.spark.output_dir import OutputDir
from narratrace.spark.rows import ARTICLE_SCHEMA, SKIPPED_SCHEMA
from narratrace.spark.session import quiet_pyspark, spark_session

__all__ = ["CANDIDATE_METHODS", "SPARK_CORPUS_STAGES", "SparkRun", "default_spark_stages", "run_spark_analyze",
           "spark_corpus_stages", "spark_schema"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

def spark_corpus_stages() -> dict[str, str]:
    """Corpus stages the Spark engine runs itself (``Analysis.spark``: stage -> its Spark step); the others
    run locally after ``narratrace load``."""
    return {stage: ref for a in registered_analyses() for stage, ref in a.spark.items()}


def __getattr__(name: str) -> Any:
    if name == "SPARK_CORPUS_STAGES":
        return tuple(spark_corpus_stages())
    raise AttributeError(name)

CANDIDATE_METHODS = ("banding", "minhashlsh")
MANIFEST = "_manifest.json"
_ARTICLE_COLUMNS = [f.name for f in ARTICLE_SCHEMA]


def default_spark_stages() -> tuple[str, ...]:
    """The article stages of ``DEFAULT_STAGES`` plus the corpus stages Spark runs, in pipeline order."""
    stages = registered_stages()
    spark_stages = spark_corpus_stages()
    return tuple(n for n in DEFAULT_STAGES if stages[n].level == "article" or n in spark_stages)


@dataclass(slots=True)
class SparkRun:
    """What one run did: the manifest it wrote and which tables it reused from an earlier run."""

    manifest: dict[str, Any]
    reused: list[str] = field(default_factory=list)


def _check_stages(names: Sequence[str], encoder: str | None) -> dict[str, str]:
    """Each stage's version as the local runner keys it (with the encoder's for a stage that reads vectors)."""
    stages = registered_stages()
    Pipeline(names, encoder=encoder)  # unknown stages and unmet requirements fail here, before Spark starts
    spark_stages = spark_corpus_stages()
    local_only = [n for n in names if stages[n].level == "corpus" and n not in spark_stages]
    if local_only:
        raise ConfigError(f"the Spark engine has no step for {', '.join(local_only)}: run them with "
                          "`narratrace analyze --db` after `narratrace load`")
    encoder_version = None
    if any(stages[n].encoder for n in names):
        from narratrace.vectors import use_encoder

        with use_encoder(encoder) as found:
            encoder_version = found.version
    return {n: stages[n].key({}, encoder_version) for n in names}


def run_spark_analyze(inputs: Sequence[str], output: str, *, stages: Sequence[str] | None = None,
                      master: str | None = "local[2]", partitions: int = 8, candidates: str = "banding",
                      encoder: str | None = None, reference: str | None = None,
                      spark: Any = None, progress: Callable[[str], None] | None = None) -> SparkRun:
    """Parse ``inputs``, run ``stages`` and write the output tables under ``output`` (resumable).

    ``encoder``: the sentence encoder of every stage that reads vectors (as ``analyze --encoder``);
    ``reference``: a local store whose reference tables the corpus stages read (the fact-checks that
    ``narratrace factchecks import`` put there), shipped to every executor."""
    from narratrace.vectors import encoder_name

    names = list(stages) if stages else list(default_spark_stages())
    encoder = encoder_name(encoder)
    versions = _check_stages(names, encoder)
    if candidates not in CANDIDATE_METHODS:
        raise ConfigError(f"unknown candidate method {candidates!r}; choose one of {', '.join(CANDIDATE_METHODS)}")
    say = progress or (lambda message: log.info("%s", message))
    spark = spark or spark_session(master, partitions=partitions)
    out = OutputDir(spark, output)
    local = [i for i in inputs if not is_uri(i)]
    remote = [i for i in inputs if is_uri(i)]
    files, skips = local_inputs(local) if local else ([], [])
    files, more_skips = _remote_inputs(spark, remote, first_index=len(files), known=files)
    skips += more_skips
    described = describe(files)
    ref_key = _reference_key(reference)
    run_key = hashlib.sha256(json.dumps({"inputs": described, "stages": versions, "candidates": candidates,
                                         **({"reference": ref_key} if ref_key else {})},
                                        sort_keys=True).encode()).hexdigest()
    previous = out.read_json("_run.json")
    if previous is None or previous.get("key") != run_key:
        for name in (*OUTPUT_TABLES, *(previous or {}).get("tables", ()), "stage_errors", "_work", "_tmp", MANIFEST):
            out.delete(name)
        out.write_json("_run.json", {"key": run_key})
    run = SparkRun(manifest={})
    seconds: dict[str, float] = {}
    with quiet_pyspark():
        with _timed(spark, "parse", seconds):
            _parse(spark, out, files, skips, partitions, run, say)
        infos = [registered_stages()[n] for n in names]
        languages = stage_languages(infos, encoder=encoder)
        for info in infos:
            if info.level == "article":
                with _timed(spark, info.name, seconds):
                    _article_stage(spark, out, info.name, versions[info.name], languages[info.name],
                                   encoder if info.encoder else None, run, say)
        shipped = _ship_reference(spark, reference) if reference else None
        stats: dict[str, Any] = {}
        steps = spark_corpus_stages()
        for info in infos:  # each analysis's own Spark step, in pipeline order
            if info.level != "corpus":
                continue
            found = languages[info.name]
            context = StepContext(spark=spark, out=out, name=info.name, version=versions[info.name],
                                  versions=versions, languages=None if found is None else tuple(found),
                                  encoder=encoder if info.encoder else None, reference=shipped,
                                  partitions=partitions, method=candidates, reused=run.reused, say=say)
            with _timed(spark, info.name, seconds):
                stats[info.name] = resolve(steps[info.name])(context)
        counts = {}
        tables = [*OUTPUT_TABLES, *(t for t in sorted(out.written) if t not in OUTPUT_TABLES and t != "stage_errors")]
        for table in tables:
            counts[table] = spark.read.parquet(out.path(table)).count() if out.exists(table) else 0
        out.write_json("_run.json", {"key": run_key, "tables": tables})
        errors = spark.read.parquet(out.path("stage_errors")).count() if out.exists("stage_errors") else 0
    manifest = {"narratrace_spark_output": 1, "inputs": described, "stages": versions, "candidates": candidates,
                "encoder": encoder, "reference": ref_key,
                **stats, "rows": counts, "stage_errors": errors, "seconds": {k: round(v, 2) for k, v in seconds.items()},
                "run_key": run_key}
    out.write_json(MANIFEST, manifest)
    out.delete("_tmp")
    run.manifest = manifest
    return run


def _remote_inputs(spark: Any, uris: Sequence[str], *, first_index: int, known: list[InputFile]
                   ) -> tuple[list[InputFile], list[Skipped]]:
    """Files under Hadoop URIs (globs and directories too), listed by Spark's ``binaryFile`` source."""
    from pyspark.errors import AnalysisException

    files = list(known)
    skips: list[Skipped] = []
    seen = {f.path for f in files}
    for uri in uris:
        try:
            found = sorted(r.path for r in spark.read.format("binaryFile").option("recursiveFileLookup", "true")
                           .load(uri).select("path").collect())
        except AnalysisException:
            found = []
        if not found:
            skips.append(Skipped(uri, "no file matches this pattern" if any(c in uri for c in "*?[")
                                 else "no such file or directory", "NT201"))
        for path in found:
            if path not in seen:
                seen.add(path)
                files.append(InputFile(first_index + len(files) - len(known), path, remote=True))
    return files, skips


def _parse(spark: Any, out: OutputDir, files: list[InputFile], skips: list[Skipped], partitions: int,
           run: SparkRun, say: Callable[[str], None]) -> None:
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import BinaryType, LongType, StringType, StructField, StructType

    if out.exists("articles") and out.exists("skipped"):
        run.reused += ["articles", "skipped"]
        return
    if not out.exists("_work/parsed"):
        say(f"parsing {len(files)} file(s)")
        schema = StructType([StructField("file_index", LongType()), StructField("path", StringType()),
                             StructField("content", BinaryType())])
        tasks = spark.createDataFrame([(f.index, f.path, None) for f in files if not f.remote], schema)
        remote = [f for f in files if f.remote]
        if remote:
            index = spark.createDataFrame([(f.index, f.path) for f in remote], "file_index long, path string")
            content = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
                       .load([f.path for f in remote]).select("path", "content"))
            tasks = tasks.unionByName(content.join(F.broadcast(index), "path").select("file_index", "path", "content"))
        tasks = tasks.repartition(max(1, min(len(files), partitions * 4)), "file_index")
        out.write_table("_work/parsed", tasks.mapInArrow(parse_batches, spark_schema(PARSED_SCHEMA)))
    else:
        run.reused.append("_work/parsed")
    parsed = spark.read.parquet(out.path("_work/parsed"))
    found = parsed.where(F.col("skip_path").isNull())
    # refs unique across files, as ingest's _claim_ref: the first file (in input order) keeps a ref
    owner = F.min("file_index").over(Window.partitionBy("ref"))
    src = F.split(F.col("source"), "#").getItem(0)
    new_ref = F.concat(F.col("ref"), F.lit("~"), F.substring(F.sha2(src, 256), 1, 6))
    renamed = found.withColumn("_moved", F.col("file_index") != owner)
    renamed = (renamed.withColumn("ref", F.when(F.col("_moved"), new_ref).otherwise(F.col("ref")))
               .withColumn("id", F.when(F.col("_moved"), F.substring(F.sha2(F.col("ref"), 256), 1, 16))
                           .otherwise(F.col("id"))))
    first = renamed.withColumn("_n", F.row_number().over(Window.partitionBy("id").orderBy("seq")))
    articles = first.where(F.col("_n") == 1).select(*_ARTICLE_COLUMNS).orderBy("seq")
    duplicates = (first.where(F.col("_n") > 1)
                  .select(F.col("source").alias("path"),
                          F.concat(F.lit("ref "), F.col("ref"), F.lit(" was already read from an earlier record"))
                          .alias("reason"), F.lit("NT215").alias("code")))
    read_skips = parsed.where(F.col("skip_path").isNotNull()).select(
        F.col("skip_path").alias("path"), F.col("skip_reason").alias("reason"), F.col("skip_code").alias("code"))
    missing = spark.createDataFrame([(s.path, s.reason, s.code) for s in skips], spark_schema(SKIPPED_SCHEMA))
    if not out.exists("skipped"):
        out.write_table("skipped", read_skips.unionByName(duplicates).unionByName(missing).coalesce(1))
    say("writing articles")
    out.write_table("articles", articles)


def spark_schema(schema: Any) -> Any:
    """The Spark schema of an Arrow schema (what ``mapInArrow`` is given)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


@contextlib.contextmanager
def _timed(spark: Any, step: str, seconds: dict[str, float]) -> Iterator[None]:
    """Time one step (wall seconds, into ``seconds``) and tag its Spark jobs with the job group ``step``
    (bench/scale.py reads each step's shuffle from the event log by it)."""
    spark.sparkContext.setJobGroup(step, f"narratrace {step}")
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[step] = seconds.get(step, 0.0) + time.perf_counter() - start
        spark.sparkContext.setJobGroup("narratrace", "narratrace")


def _reference_key(reference: str | None) -> str | None:
    """What identifies the reference store's content in the run key (its size and modification time)."""
    if not reference:
        return None
    import os

    if not os.path.isfile(reference):
        raise ConfigError(f"reference store {reference!r} does not exist (a store with fact-checks imported)")
    found = os.stat(reference)
    return f"{os.path.abspath(reference)}:{found.st_size}:{found.st_mtime_ns}"


def _ship_reference(spark: Any, reference: str) -> str:
    """A consistent copy of the reference store (SQLite's backup, so a WAL file is included), shipped to
    every executor (``SparkContext.addFile``); returns the name executors open it by."""
    import os
    import sqlite3
    import tempfile

    directory = tempfile.mkdtemp(prefix="narratrace-reference-")
    name = f"reference-{hashlib.sha256(os.path.abspath(reference).encode()).hexdigest()[:12]}.db"
    source = sqlite3.connect(f"file:{os.path.abspath(reference)}?mode=ro", uri=True)
    target = sqlite3.connect(os.path.join(directory, name))
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    spark.sparkContext.addFile(os.path.join(directory, name))
    return name


def _article_stage(spark: Any, out: OutputDir, name: str, version: str, languages: Sequence[str] | None,
                   encoder: str | None, run: SparkRun, say: Callable[[str], None]) -> None:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    tables = [f"{t}/stage={name}" for t in ("stage_errors", "annotations", "stage_results")]
    if all(out.exists(t) for t in tables):
        run.reused += tables
        return
    say(f"stage {name}")
    articles = spark.read.parquet(out.path("articles"))
    rows = articles.mapInArrow(stage_batches(name, {}, version, languages, encoder),
                              spark_schema(STAGE_OUTPUT_SCHEMA))
    rows = rows.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        kind = F.col("row_kind")
        # in ingestion order (``seq``), so ``narratrace load`` streams results and annotations side by side
        out.write_table(tables[0], rows.where(kind == "error").select("seq", "article_id", "error").orderBy("seq"))
        out.write_table(tables[1], rows.where(kind == "annotation").select(
            "seq", "article_id", "ordinal", "kind", "start", "end", "label",
            F.col("annotation_data").alias("data")).orderBy("seq", "ordinal"))
        out.write_table(tables[2], rows.where(kind == "result").select(
            "seq", "article_id", "version", "content_hash", "data", "skipped").orderBy("seq"))
    finally:
        rows.unpersist()




