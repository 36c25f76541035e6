"""``narratrace spark analyze`` (inputs to Parquet on Spark) and ``narratrace load`` (Parquet into a store)."""

from __future__ import annotations

import json

import click

from narratrace.store import shown
from narratrace.commands.common import Progress, db_option, library_errors, open_store, progress_options, wait_option, writing

__all__ = ["COMMANDS", "load", "spark"]


@click.group()
def spark() -> None:
    """Run ingestion and analysis on Apache Spark, for corpora beyond one machine (docs/scale.md)."""


@spark.command("analyze")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="Output directory (any Hadoop path) for the Parquet tables.")
@click.option("--stages", default=None, metavar="A,B",
              help="Stages to run (default: every stage of the default pipeline).")
@click.option("--master", default="local[2]", show_default=True,
              help="Spark master URL; 'none' keeps the one spark-submit set.")
@click.option("--partitions", default=8, show_default=True, type=click.IntRange(1),
              help="Shuffle partitions (about 2-4 per executor core).")
@click.option("--candidates", type=click.Choice(["banding", "minhashlsh"]), default="banding", show_default=True,
              help="How republication candidates are found: fingerprint-key banding or Spark ML MinHashLSH.")
@click.option("--reference", default=None, type=click.Path(exists=True, dir_okay=False), metavar="STORE",
              help="A local store with the fact-checks imported (`narratrace factchecks import`), shipped to "
                   "every executor for the fact-check matches.")
@library_errors
def spark_analyze(inputs: tuple[str, ...], output: str, stages: str | None, master: str, partitions: int,
                  candidates: str, reference: str | None) -> None:
    """Parse INPUT files or globs (.jsonl .csv .parquet .warc .txt .html ...) and analyse them on Spark.

    Runs every stage of the default pipeline (or --stages) with the local engine's code and writes
    Parquet tables shaped like the JSON export (articles, stage_results, annotations,
    republication_pairs, republication_groups, claim_groups, stories, narrative_topics,
    factcheck_matches, skipped) and _manifest.json. Each table is renamed into place when complete:
    re-running after a crash resumes. Load the result with `narratrace load DIR --db FILE`
    (import the same fact-checks into FILE first); `narratrace analyze` then has nothing left to do.
    """
    from narratrace.spark.engine import run_spark_analyze

    names = [s.strip() for s in stages.split(",") if s.strip()] if stages else None
    result = run_spark_analyze(list(inputs), output, stages=names, master=None if master == "none" else master,
                               partitions=partitions, candidates=candidates, reference=reference,
                               progress=lambda message: click.echo(message, err=True))
    if result.reused:
        click.echo(f"reused complete tables: {', '.join(result.reused)}", err=True)
    rows = result.manifest["rows"]
    click.echo(f"{rows['articles']} articles, {rows['skipped']} skipped, {rows['republication_pairs']} "
               f"republication pair(s) in {rows['republication_groups']} group(s) -> {output}")


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@db_option
@progress_options
@wait_option
@library_errors
def load(directory: str, db_path: str, quiet: bool, progress_mode: str, wait: bool) -> None:
    """Load the output of `narratrace spark analyze` into a store (loading twice adds nothing)."""
    from narratrace.spark.load import load_output

    shown_progress = Progress(progress_mode, quiet=quiet)
    with open_store(db_path, must_exist=False) as store, writing(store, "load", wait):
        report = load_output(directory, store, progress=shown_progress)
    shown_progress.close()
    click.echo(f"{report.articles_added} added, {report.articles_updated} updated, {report.articles_unchanged} "
               f"unchanged, {report.skipped} skipped; stage results {json.dumps(report.stage_results)}; "
               f"{report.pairs} republication pair(s) in {report.groups} group(s)"
               + "".join(f"; {stage} {n}" for stage, n in report.tables.items()) + f" -> {shown(db_path)}")


COMMANDS: list[click.Command] = [spark, load]
