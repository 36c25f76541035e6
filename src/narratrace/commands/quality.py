"""``evaluate``, ``train``, ``models`` and ``quality``: measuring components and managing their models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from narratrace.evaluation import SPLITS, flatten_measures, task_names
from narratrace.commands.common import library_errors

split_option = click.option("--split", type=click.Choice(SPLITS), default="all", show_default=True,
                            help="Score only this part of the data (documents are assigned to train/heldout "
                                 "by a hash of their id; see docs/quality.md).")

language_option = click.option("--language", default=None, metavar="XX",
                               help="One language of a multilingual data set: --data names the set (its XX/ folder "
                                    "is read) or that folder. Beyond English, run with the multilingual encoder: "
                                    "narratrace --encoder e5-int8 evaluate ...")


@click.command()
@click.argument("task", type=click.Choice(task_names()))
@click.option("--data", "data_path", required=True, type=click.Path(exists=True),
              help="Labelled data in the task's format (see `narratrace evaluate --help` and docs/quality.md).")
@click.option("--model", default=None, help="Model name or directory (default: the shipped default).")
@split_option
@click.option("--corpus", default=None, type=click.Path(),
              help="Where the articles of a JSONL labelled set are (attribution, republication).")
@click.option("--limit", type=int, default=None, help="Evaluate the first N documents only.")
@language_option
@click.option("--end-to-end", "end_to_end", is_flag=True,
              help="Score what a user gets: the benchmark's raw texts ingested, analysed with the default "
                   "configuration (and --model) and exported; the export is scored.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@library_errors
def evaluate(task: str, data_path: str, model: str | None, split: str, corpus: str | None, limit: int | None,
             language: str | None, end_to_end: bool, as_json: bool) -> None:
    """Score a component on labelled data with the task's official measures.

    \b
    attribution      PolNeAR brat split folder, or our JSONL set (--corpus for its texts)
    checkworthiness  CheckThat! check-worthiness TSV (Sentence_id, Text, class_label)
    republication    labelled pairs JSONL (docs/quality.md) with --corpus
    narratives       SemEval-2025 Task 10 folder (raw-documents/, subtask-2-annotations.txt)
    framing          SemEval-2025 Task 10 folder (raw-documents/, subtask-1-annotations.txt)
    techniques       PTC folder (train-articles/, train-labels-task2-technique-classification/)
    matching         CheckThat! claim-retrieval folder (queries TSV, qrels TSV, vclaims)
    """
    from narratrace.evaluation import run_evaluation

    options: dict[str, Any] = {"corpus": corpus} if corpus else {}
    result = run_evaluation(task, data_path, model=model, split=split, limit=limit, language=language,
                            end_to_end=end_to_end, **options)
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    click.echo(f"{result['task']}{' end to end' if end_to_end else ''} on {result['data']} (split {result['split']}, "
               f"model {result['model']}, encoder {result['encoder']}): "
               f"n = {result['n']} ({result['seconds']} s)")
    for name, value in flatten_measures(result["measures"]).items():
        click.echo(f"  {name:40s} {value:.4f}" if isinstance(value, float) else f"  {name:40s} {value}")
    for name, value in (result.get("losses") or {}).items():
        click.echo(f"  lost: {name:34s} {value}")


@click.command()
@click.argument("task", type=click.Choice(task_names()))
@click.option("--data", "data_path", default=None, type=click.Path(exists=True),
              help="Labelled training data in the task's format.")
@click.option("--from-reviews", "reviews_db", default=None, metavar="DB",
              help="Also learn from the reviewed items of this corpus (SQLite file or PostgreSQL URL): confirmed "
                   "and corrected answers; with --data, together with the benchmark.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Directory to write the model (weights + card.json + README.md) into.")
@click.option("--split", type=click.Choice(SPLITS), default="train", show_default=True,
              help="Learn from this part only (the rest stays unseen for `evaluate --split heldout`).")
@click.option("--seed", default=13, show_default=True, help="Random seed (training is reproducible).")
@click.option("--fine-tune", "fine_tune", is_flag=True,
              help="Fine-tune MiniLM as the model (slower to train and to run, stronger) instead of a head over "
                   "frozen features; uses the GPU when torch sees one.")
@click.option("--epochs", type=click.IntRange(1, 50), default=None, help="Fine-tuning: most epochs (default: the task's, 3 for check-worthiness, 8 for narratives and framing).")
@click.option("--max-minutes", type=click.FloatRange(0.1), default=None,
              help="Fine-tuning: stop after this many minutes (the best epoch so far is kept).")
@language_option
@library_errors
def train(task: str, data_path: str | None, reviews_db: str | None, out_dir: str, split: str, seed: int,
          fine_tune: bool, epochs: int | None, max_minutes: float | None, language: str | None) -> None:
    """Train a component's model on CPU from labelled data; writes weights and a model card."""
    from narratrace.evaluation import run_training

    def epoch_done(record: dict[str, Any]) -> None:  # an epoch takes minutes: say so as it ends
        dev = (f"development loss {record['dev_loss']}" if "dev_loss" in record
               else f"development MRR {record.get('dev_mrr')}")  # matching: the re-scored candidates' MRR
        click.echo(f"epoch {record['epoch']}: train loss {record.get('train_loss', '-')}, {dev}, "
                   f"{record.get('minutes', 0)} min", err=True)

    options = ({"fine_tune": True, "epochs": epochs, "max_minutes": max_minutes, "on_epoch": epoch_done}
               if fine_tune else {})
    if reviews_db:
        options["reviews"] = reviews_db
    card = run_training(task, data_path, out_dir, split=split, seed=seed, language=language, **options)
    click.echo(f"{task} model written to {Path(out_dir).resolve()} (data sha256 {card['data'].get('sha256', '-')[:12]})")
    values = flatten_measures((card.get("measures") or {}).get("values", {}))
    for name, value in values.items():
        click.echo(f"  {name:40s} {value:.4f}" if isinstance(value, float) else f"  {name:40s} {value}")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the models as JSON.")
@library_errors
def models(as_json: bool) -> None:
    """Installed models per task (shipped defaults and your own), and which one is the default."""
    from narratrace.errors import ConfigError
    from narratrace.evaluation import get_task
    from narratrace.cards import installed_models

    rows = []
    for task_name in task_names():
        try:
            task = get_task(task_name)
        except ConfigError:
            continue
        for m in installed_models(task_name):
            rows.append({"task": task_name, "name": m.name, "default": m.name == task.default_model,
                         "shipped": m.shipped, "kind": m.card.get("kind"), "path": str(m.path),
                         "data": (m.card.get("data") or {}).get("path"),
                         "licence": (m.card.get("data") or {}).get("licence"),
                         "created": m.card.get("created")})
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        click.echo("no models installed")
    for r in rows:
        flag = "*" if r["default"] else " "
        click.echo(f"{flag} {r['task']:16s} {r['name']:28s} {r['kind'] or '-':10s} "
                   f"{'shipped' if r['shipped'] else 'user':7s} {r['path']}")
    click.echo("(* = default; select another with --model NAME|DIR)")


@click.command()
@click.option("--data-root", default="../shared/data", show_default=True, type=click.Path(),
              help="Folder holding the benchmarks (each task knows its subfolder).")
@click.option("--out", "out_path", default="docs/quality.md", show_default=True, type=click.Path(dir_okay=False),
              help="Markdown file to (re)write.")
@click.option("--work", "work_dir", default="out/quality", show_default=True, type=click.Path(file_okay=False),
              help="Where benchmark-trained models and raw results go.")
@click.option("--task", "only", multiple=True, type=click.Choice(task_names()), help="Re-run only these tasks (the others keep their last results from --work).")
@click.option("--retrain", is_flag=True, help="Train again even where a trained model is already there.")
@click.option("--gates", default="tests/quality_floors.json", show_default=True, type=click.Path(dir_okay=False),
              help="Quality-gate file whose own labelled sets are scored too (skipped if absent).")
@click.option("--compare-encoder", default="minilm", show_default=True,
              help="Score the shipped defaults with this encoder too, in a column beside the default's ('' for none).")
@click.option("--languages-only", is_flag=True,
              help="Re-run only the per-language rows (multilingual benchmarks, encoder e5-int8) and replace "
                   "that section of --out, keeping the rest of it.")
@click.option("--end-to-end-only", is_flag=True,
              help="Re-run only the end-to-end rows (ingest -> analyze -> export, scored) and replace that "
                   "section of --out, keeping the rest of it.")
@click.option("--no-fine-tune", "no_fine_tune", is_flag=True,
              help="Leave out the fine-tuned column (fine-tuning MiniLM takes tens of minutes on 2 cores; a model "
                   "already under --work is scored either way unless this is given).")
@library_errors
def quality(data_root: str, out_path: str, work_dir: str, only: tuple[str, ...], retrain: bool, gates: str,
            compare_encoder: str, languages_only: bool, end_to_end_only: bool, no_fine_tune: bool) -> None:
    """Evaluate every component on its benchmark and regenerate docs/quality.md (`make quality`)."""
    from narratrace.quality import (END_TO_END_HEAD, build_end_to_end, build_languages, build_quality,
                                    render_end_to_end, render_languages, splice_languages, splice_section)

    if end_to_end_only:
        entries = build_end_to_end(Path(data_root), Path(work_dir), tasks=list(only) or None,
                                   log=lambda msg: click.echo(msg, err=True))
        document = Path(out_path).read_text(encoding="utf-8") if Path(out_path).is_file() else ""
        Path(out_path).write_text(splice_section(document, END_TO_END_HEAD, render_end_to_end(entries)),
                                  encoding="utf-8")
        click.echo(f"end-to-end rows written to {out_path}")
        return

    if languages_only:
        entries = build_languages(Path(data_root), Path(work_dir), tasks=list(only) or None, retrain=retrain,
                                  log=lambda msg: click.echo(msg, err=True))
        document = Path(out_path).read_text(encoding="utf-8") if Path(out_path).is_file() else ""
        Path(out_path).write_text(splice_languages(document, render_languages(entries)), encoding="utf-8")
        click.echo(f"per-language rows written to {out_path}")
        return
    table = build_quality(Path(data_root), Path(work_dir), tasks=list(only) or None, retrain=retrain,
                          gates=Path(gates), compare_encoder=compare_encoder or None, fine_tune=not no_fine_tune,
                          log=lambda msg: click.echo(msg, err=True))
    from narratrace.quality import REVIEWS_HEAD, keep_section

    before = Path(out_path).read_text(encoding="utf-8") if Path(out_path).is_file() else ""
    Path(out_path).write_text(keep_section(before, table, REVIEWS_HEAD), encoding="utf-8")
    click.echo(f"quality table written to {out_path}")


COMMANDS: list[click.Command] = [evaluate, train, models, quality]
