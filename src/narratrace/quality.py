"""``make quality``: every component on its public benchmark, as one generated table.

For each registered task with a benchmark under the data root it scores the shipped default on
the benchmark's evaluation split, trains a model on the benchmark's training split (where the
task is trainable; kept under the work folder, never shipped) and scores that too, then writes
``docs/quality.md`` with the best published figures beside ours and the exact command behind
each figure, so anyone can rerun one and get the same number.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from narratrace.errors import ConfigError, NarratraceError
from narratrace.cards import add_measures, load_card
from narratrace.evaluation import (Task, flatten_measures, get_task, language_folder, run_evaluation, run_training,
                                  task_names)
from narratrace.vectors import encoder_name, use_encoder

__all__ = ["build_quality", "render_quality"]


#: The time budget of each fine-tuning in a quality build (the best epoch so far is kept): on 2 CPU
#: cores one epoch takes 11-37 minutes, and a build must end (narratives would run 8 epochs, ~1.5 h).
FINE_TUNE_MINUTES = 40.0
#: Each task's fine-tuning in a quality build: the settings of the run whose figures docs/quality.md
#: shows (a budget that cuts the learning-rate schedule short gives other figures: framing's first
#: run, cut after 2 of 10 epochs, gave 0.821 / 0.064). Tasks not listed: FINE_TUNE_MINUTES, default epochs.
FINE_TUNE_RUNS: dict[str, dict[str, float | int]] = {
    "checkworthiness": {"max_minutes": 40.0},
    "narratives": {"max_minutes": 25.0},
    "matching": {"max_minutes": 8.0},
    "techniques": {"epochs": 1, "max_minutes": 35.0},
    "framing": {"epochs": 4, "max_minutes": 50.0},
}

def build_quality(data_root: Path, work: Path, *, tasks: Sequence[str] | None = None, retrain: bool = False,
                  gates: Path | None = None, compare_encoder: str | None = "minilm", fine_tune: bool = True,
                  log: Callable[[str], None] = lambda _msg: None) -> str:
    """Run what is missing, keep each result as JSON under ``work``, return the Markdown tables.

    ``tasks``: re-run only these; the others keep the results of their last run in ``work``.

    ``gates``: the quality-gate file (``tests/quality_floors.json``); its sets are scored too, so
    the document shows the floors beside what the shipped defaults measure on our own data.

    ``compare_encoder``: the shipped defaults are scored a second time with the run's encoder set
    to this one (``narratrace analyze --encoder``), in a column beside the default encoder's.

    ``fine_tune``: tasks that can (``Task.fine_tunes``) also get a fine-tuned MiniLM (trained once,
    kept under ``work``), scored in a column of its own with its training minutes and speed.
    """
    compare = compare_encoder if compare_encoder and encoder_name(compare_encoder) != encoder_name() else None
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("NARRATRACE_EVAL_CACHE", str(work / "cache"))  # tasks may keep features there
    results: list[dict[str, Any]] = []
    for name in task_names():
        if tasks and name not in tasks:  # not re-run: keep its last results, if any
            kept = work / f"{name}.json"
            if kept.is_file():
                results.append(json.loads(kept.read_text(encoding="utf-8")))
            continue
        try:
            task = get_task(name)
        except ConfigError as exc:
            log(f"{name}: skipped ({exc})")
            continue
        if task.benchmark is None:
            log(f"{name}: no public benchmark")
            continue
        results.append(_run_task(task, data_root, work, retrain=retrain, compare=compare, log=log,
                                 fine_tune=fine_tune))
    gate_rows = _run_gates(gates, log, compare) if gates is not None and gates.is_file() else []
    document = render_quality(results, data_root=data_root, gates=gate_rows, encoder=encoder_name(), compare=compare,
                              languages=build_languages(data_root, work, tasks=tasks, retrain=retrain, log=log))
    return splice_section(document, END_TO_END_HEAD,
                          render_end_to_end(build_end_to_end(data_root, work, tasks=tasks, log=log)))


END_TO_END_HEAD = "## End to end (ingest → analyze → export)"


def _section_tasks(work: Path, prefix: str, tasks: Sequence[str] | None, applies: Callable[[Task], bool]
                   ) -> Iterator[tuple[Task, Path, dict[str, Any] | None]]:
    """``(task, work/PREFIX-TASK.json, its last results)`` of each task a section covers: the last
    results (read from that file) for a task not in ``tasks``, None for one to run now."""
    for name in task_names():
        try:
            task = get_task(name)
        except ConfigError:
            continue
        if not applies(task):
            continue
        kept = work / f"{prefix}-{name}.json"
        if tasks and name not in tasks:
            if kept.is_file():
                yield task, kept, json.loads(kept.read_text(encoding="utf-8"))
            continue
        yield task, kept, None


def build_end_to_end(data_root: Path, work: Path, *, tasks: Sequence[str] | None = None,
                     log: Callable[[str], None] = lambda _msg: None) -> list[dict[str, Any]]:
    """Each task that has an end-to-end evaluation, on its benchmark's evaluation split: gold inputs
    and end to end, for the shipped default and for the model trained by :func:`build_quality`
    (``work/TASK``, when there). Kept as ``work/end-to-end-TASK.json``."""
    out: list[dict[str, Any]] = []
    for task, kept, last in _section_tasks(work, "end-to-end", tasks,
                                           lambda t: t.end_to_end is not None and t.benchmark is not None):
        if last is not None:
            out.append(last)
            continue
        name, bench = task.name, task.benchmark
        assert bench is not None
        data = data_root / (bench.eval_path or bench.path)
        if not data.exists():
            log(f"{name}: no data at {data}; end-to-end rows skipped")
            continue
        entry: dict[str, Any] = {"task": name, "benchmark": bench.name, "rows": []}
        models = [("shipped default", None)]
        if (work / name / "card.json").is_file():
            models.append(("trained", str(work / name)))
        for label, model in models:
            log(f"{name} ({label}): gold inputs and end to end")
            gold = run_evaluation(name, data, model=model, split=bench.eval_split, **bench.eval_args)
            e2e = run_evaluation(name, data, model=model, split=bench.eval_split, end_to_end=True, **bench.eval_args)
            extra = f" --model {model}" if model else ""
            e2e["command"] = _command("evaluate", name, data, split=bench.eval_split, extra=f"--end-to-end{extra}")
            entry["rows"].append({"model": label, "gold": gold, "end_to_end": e2e})
        work.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps(entry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out.append(entry)
    return out


def render_end_to_end(entries: Sequence[dict[str, Any]]) -> list[str]:
    """The end-to-end section of docs/quality.md: each measure with gold inputs and as exported."""
    if not any(e.get("rows") for e in entries):
        return []
    lines = [END_TO_END_HEAD, "",
             "What a user gets: the benchmark's raw texts ingested as documents, `analyze` with the default "
             "configuration (the model named in the row for its stage), the export scored with the task's "
             "measure. *Gold inputs* is `narratrace evaluate` on the same split, the component given the "
             "benchmark's own inputs. *Lost* counts where the documents went (`evaluate --end-to-end` prints it).", "",
             "| component | benchmark | model | n | measure | gold inputs | end to end | lost |", "|---|---|---|---|---|---|---|---|"]
    commands: list[str] = []
    for entry in entries:
        for row in entry["rows"]:
            gold = flatten_measures(row["gold"]["measures"])
            e2e = flatten_measures(row["end_to_end"]["measures"])
            lost = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in (row["end_to_end"].get("losses") or {}).items())
            for key in e2e:
                lines.append(f"| {entry['task']} | {entry['benchmark']} | {row['model']} | {row['end_to_end']['n']} | "
                             f"{key} | {_count_or_fmt(gold.get(key))} | {_count_or_fmt(e2e[key])} | {lost} |")
                lost = ""
            commands.append(f"- {entry['task']} ({row['model']}, {row['end_to_end']['seconds']} s): "
                            f"`{row['end_to_end']['command']}`")
    return [*lines, "", *commands, ""]


#: The section ``narratrace simulate-reviews --doc`` writes; ``make quality`` keeps it as it was.
REVIEWS_HEAD = "## How many reviews move each measure"


def keep_section(old: str, new: str, head: str) -> str:
    """``new`` with ``old``'s ``head`` section carried over (``new`` as it is when ``old`` has none)."""
    lines = old.rstrip("\n").split("\n")
    if head not in lines:
        return new
    start = lines.index(head)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return splice_section(new, head, lines[start:end])


def splice_section(document: str, head: str, section: Sequence[str]) -> str:
    """``document`` with its ``head`` section replaced by ``section`` (put before the quality gate
    when it has none)."""
    lines = document.rstrip("\n").split("\n")
    if head in lines:
        start = lines.index(head)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    else:
        start = end = next((i for i, line in enumerate(lines) if line.startswith("## Quality gate")), len(lines))
    return "\n".join([*lines[:start], *section, *lines[end:]]) + "\n"


#: The encoder the per-language rows are measured with (the default one reads English only).
MULTILINGUAL_ENCODER = "e5-int8"


def build_languages(data_root: Path, work: Path, *, tasks: Sequence[str] | None = None, retrain: bool = False,
                    log: Callable[[str], None] = lambda _msg: None) -> list[dict[str, Any]]:
    """Per language of each multilingual benchmark: the shipped default and a model trained on that
    language's training folder, both with :data:`MULTILINGUAL_ENCODER`, scored on its dev folder.
    Kept as ``work/languages-TASK.json``; tasks not in ``tasks`` keep their last results."""
    out: list[dict[str, Any]] = []
    for task, kept, last in _section_tasks(work, "languages", tasks,
                                           lambda t: t.benchmark is not None and bool(t.benchmark.languages)):
        if last is not None:
            out.append(last)
            continue
        name, bench = task.name, task.benchmark
        assert bench is not None
        train_root = (data_root / bench.path).parent
        eval_root = (data_root / (bench.eval_path or bench.path)).parent
        entry: dict[str, Any] = {"task": name, "benchmark": bench.name, "encoder": MULTILINGUAL_ENCODER,
                                 "published": [vars_of(p) for p in task.published], "rows": []}
        with use_encoder(MULTILINGUAL_ENCODER):
            for lang in bench.languages:
                try:
                    language_folder(eval_root, lang)
                except NarratraceError as exc:
                    log(f"{name} {lang}: skipped ({exc})")
                    continue
                log(f"{name} {lang}: shipped default and trained, encoder {MULTILINGUAL_ENCODER}")
                default = run_evaluation(name, eval_root, split=bench.eval_split, language=lang, **bench.eval_args)
                row: dict[str, Any] = {"language": lang, "default": default, "trained": None}
                if task.train is not None:
                    model_dir = work / f"{name}-{lang}-{MULTILINGUAL_ENCODER}"
                    if retrain or not (model_dir / "card.json").is_file():
                        run_training(name, train_root, model_dir, split=bench.train_split, language=lang)
                    row["trained"] = run_evaluation(name, eval_root, model=str(model_dir), split=bench.eval_split,
                                                    language=lang, **bench.eval_args)
                    row["trained"]["command"] = (
                        f"narratrace --encoder {MULTILINGUAL_ENCODER} train {name} --data {train_root} "
                        f"--language {lang} --split {bench.train_split} --out {model_dir} && "
                        f"narratrace --encoder {MULTILINGUAL_ENCODER} evaluate {name} --data {eval_root} "
                        f"--language {lang} --model {model_dir}")
                default["command"] = (f"narratrace --encoder {MULTILINGUAL_ENCODER} evaluate {name} "
                                      f"--data {eval_root} --language {lang}")
                entry["rows"].append(row)
        work.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps(entry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        out.append(entry)
    return out


#: Per-language reference figures from system papers, where one is known (not the leaderboard's best).
LANGUAGE_REFERENCES: dict[tuple[str, str, str], str] = {
    ("narratives", "f1_samples.subnarratives", "ru"):
        "0.41: one system's test-set samples-F1, iLostTheCode (2025.semeval-1.85), rank 3; the best not verified",
    ("narratives", "f1_samples.subnarratives", "hi"):
        "0.15: one system's test-set samples-F1, iLostTheCode (2025.semeval-1.85), rank 9; the best not verified",
}


def render_languages(entries: Sequence[dict[str, Any]]) -> list[str]:
    """The per-language section of docs/quality.md."""
    if not any(e.get("rows") for e in entries):
        return []
    lines = ["## Per language (multilingual encoder)", "",
             f"Each language of the SemEval-2025 Task 10 data, with the multilingual encoder `{MULTILINGUAL_ENCODER}` "
             "(`narratrace --encoder e5-int8`; the default encoder reads English only, so other languages are "
             "not analysed with it). *Shipped default*: the shipped model (the narratives zero-shot model "
             "embeds its prototypes and the sentences with that encoder; framing's default becomes its twin "
             "`exemplars-v2-e5`, the same exemplars fitted on e5's vectors, so `analyze` runs it on every "
             "language); *trained*: `narratrace train TASK --language XX` on that language's "
             "training folder, scored on its dev folder.", "",
             "| component | language | n (dev) | measure | shipped default | trained on that language | reference |",
             "|---|---|---|---|---|---|---|"]
    commands: list[str] = []
    for entry in entries:
        for row in entry["rows"]:
            default = flatten_measures(row["default"]["measures"])
            trained = flatten_measures((row.get("trained") or {}).get("measures", {}))
            for figure in entry["published"]:
                key = figure["measure"]
                ref = LANGUAGE_REFERENCES.get((entry["task"], key, row["language"]), "none found")
                if row["language"] == "en":
                    ref = f"{_fmt(figure['value'])} ({figure['source']})"
                lines.append(f"| {entry['task']} | {row['language']} | {row['default']['n']} | {figure['label']} | "
                             f"{_fmt(default.get(key))} | {_fmt(trained.get(key)) if trained else '–'} | {ref} |")
            commands.append(f"- {entry['task']} {row['language']} (shipped default, {row['default']['seconds']} s): "
                            f"`{row['default']['command']}`")
            if row.get("trained"):
                commands.append(f"- {entry['task']} {row['language']} (trained): `{row['trained']['command']}`")
    return [*lines, "", *commands, ""]


def _run_gates(path: Path, log: Callable[[str], None], compare: str | None = None) -> list[dict[str, Any]]:
    rows = []
    for gate in json.loads(path.read_text(encoding="utf-8"))["gates"]:
        if gate.get("requires") and not Path(gate["requires"]).exists():
            log(f"gate {gate['task']} on {gate['data']}: skipped, needs {gate['requires']}")
            continue
        try:
            result = run_evaluation(gate["task"], gate["data"], **gate.get("options", {}))
        except ConfigError as exc:
            log(f"gate {gate['task']}: skipped ({exc})")
            continue
        measured = flatten_measures(result["measures"])
        other: dict[str, Any] = {}
        if compare:
            with use_encoder(compare):
                other = flatten_measures(run_evaluation(gate["task"], gate["data"], **gate.get("options", {}))["measures"])
        for measure, floor in gate["floors"].items():
            rows.append({"task": gate["task"], "data": gate["data"], "measure": measure, "floor": floor,
                         "value": measured.get(measure), "compare": other.get(measure), "model": result["model"],
                         "n": result["n"], "end_to_end": bool(gate.get("options", {}).get("end_to_end"))})
    return rows


def _run_task(task: Task, data_root: Path, work: Path, *, retrain: bool, log: Callable[[str], None],
              compare: str | None = None, fine_tune: bool = True) -> dict[str, Any]:
    bench = task.benchmark
    assert bench is not None
    data = data_root / bench.path
    eval_data = data_root / (bench.eval_path or bench.path)
    entry: dict[str, Any] = {"task": task.name, "summary": task.summary, "benchmark": bench.name,
                             "published": [vars_of(p) for p in task.published], "default": None, "trained": None}
    if not eval_data.exists():
        entry["missing"] = str(eval_data)
        log(f"{task.name}: no data at {eval_data}")
        return entry
    log(f"{task.name}: evaluating the default model on {eval_data} ({bench.eval_split})")
    entry["default"] = run_evaluation(task.name, eval_data, split=bench.eval_split, **bench.eval_args)
    entry["default"]["command"] = _command("evaluate", task.name, eval_data, split=bench.eval_split)
    entry["encoder"] = encoder_name()
    if compare:
        log(f"{task.name}: evaluating the default model with encoder {compare}")
        with use_encoder(compare):
            entry["compare"] = run_evaluation(task.name, eval_data, split=bench.eval_split, **bench.eval_args)
        entry["compare"]["encoder"] = compare
        entry["compare"]["command"] = f"NARRATRACE_ENCODER={compare} " + entry["default"]["command"]
    if task.train is not None:
        model_dir = work / task.name
        if retrain or not (model_dir / "card.json").is_file():
            log(f"{task.name}: training on {data} ({bench.train_split})")
            run_training(task.name, data, model_dir, split=bench.train_split)
        log(f"{task.name}: evaluating the benchmark-trained model")
        entry["trained"] = run_evaluation(task.name, eval_data, model=str(model_dir), split=bench.eval_split,
                                          **bench.eval_args)
        if not (load_card(model_dir).get("measures") or {}).get("values"):
            # trained on all of the training data: its unseen data is the benchmark's own dev part
            add_measures(model_dir, {"data": str(eval_data), "split": bench.eval_split, "n": entry["trained"]["n"],
                                     "values": entry["trained"]["measures"]})
        entry["trained"]["command"] = (
            _command("train", task.name, data, split=bench.train_split, extra=f"--out {model_dir}") + " && "
            + _command("evaluate", task.name, eval_data, split=bench.eval_split, extra=f"--model {model_dir}"))
    if task.fine_tunes and fine_tune:
        fine_dir = work / f"{task.name}-fine"
        settings = dict(FINE_TUNE_RUNS.get(task.name, {"max_minutes": FINE_TUNE_MINUTES}))
        if retrain or not (fine_dir / "card.json").is_file():
            log(f"{task.name}: fine-tuning MiniLM on {data} ({bench.train_split}; "
                + ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in settings.items()) + ")")
            run_training(task.name, data, fine_dir, split=bench.train_split, fine_tune=True, **settings)
        log(f"{task.name}: evaluating the fine-tuned model")
        entry["fine_tuned"] = run_evaluation(task.name, eval_data, model=str(fine_dir), split=bench.eval_split,
                                             **bench.eval_args)
        card = load_card(fine_dir)
        entry["fine_tuned"]["training_minutes"] = card.get("training_minutes")
        entry["fine_tuned"]["per_second"] = round(entry["fine_tuned"]["n"] / entry["fine_tuned"]["seconds"], 1) \
            if entry["fine_tuned"].get("seconds") else None
        entry["fine_tuned"]["command"] = (
            _command("train", task.name, data, split=bench.train_split,
                     extra=f"--out {fine_dir} --fine-tune"
                     + "".join(f" --{k.replace('_', '-')} {v:g}" for k, v in settings.items())) + " && "
            + _command("evaluate", task.name, eval_data, split=bench.eval_split, extra=f"--model {fine_dir}"))
    (work / f"{task.name}.json").write_text(json.dumps(entry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return entry


def vars_of(figure: Any) -> dict[str, Any]:
    return {"measure": figure.measure, "label": figure.label, "value": figure.value, "source": figure.source}


def _command(verb: str, task: str, data: Path, *, split: str, extra: str = "") -> str:
    return " ".join(x for x in (f"narratrace {verb} {task} --data {data}", f"--split {split}", extra) if x)


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _count_or_fmt(value: float | None) -> str:
    """A count (spans predicted, instances) as an integer, a measure as :func:`_fmt` writes it."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else _fmt(value)


def render_quality(results: Sequence[dict[str, Any]], *, data_root: Path,
                   gates: Sequence[dict[str, Any]] = (), encoder: str | None = None, compare: str | None = None,
                   languages: Sequence[dict[str, Any]] = ()) -> str:
    """The Markdown of docs/quality.md (generated: never edit it by hand)."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    lines = ["# Quality of each component",
             "",
             f"<!-- generated by `make quality` ({stamp}); do not edit by hand -->",
             "",
             f"Every figure below comes from `narratrace evaluate` on the public benchmarks under `{data_root}` "
             "(research-only data: we evaluate and train on them, never ship what we train on them). "
             "*Shipped default* is the model `narratrace` runs with out of the box (built from our own "
             "examples or open data); *trained on benchmark* is a model trained by `narratrace train` on the "
             "benchmark's training split and scored on the part it did not see. Documents are assigned to "
             "the `train` / `heldout` splits by a hash of their id (1 in 5 held out), the same on every "
             "machine. The commands that give each figure are listed under the table.",
             "",
             *([f"The default encoder is `{encoder}`; the column *encoder `{compare}`* scores the same shipped "
                f"defaults with `narratrace analyze --encoder {compare}` (or `NARRATRACE_ENCODER={compare}`).", ""]
               if compare else []),
             "*Fine-tuned* is MiniLM fine-tuned on the same training split (`narratrace train TASK --fine-tune`), "
             "where the task has it; its training time and speed are listed under the table.",
             "",
             f"| component | benchmark | measure | shipped default{f' (encoder `{encoder}`)' if compare else ''} | "
             + (f"encoder `{compare}` | " if compare else "") + "trained on benchmark | fine-tuned | best published | "
             "source |",
             "|---|---|---|---|---|---|---|---|" + ("---|" if compare else "")]
    commands: list[str] = []
    for entry in results:
        default = flatten_measures((entry.get("default") or {}).get("measures", {}))
        trained = flatten_measures((entry.get("trained") or {}).get("measures", {}))
        for figure in entry["published"]:
            key = figure["measure"]
            ours = _fmt(default.get(key)) if entry.get("default") else "no data"
            theirs = _fmt(trained.get(key)) if entry.get("trained") else "–"
            fine = (_fmt(flatten_measures(entry["fine_tuned"].get("measures", {})).get(key))
                    if entry.get("fine_tuned") else "–")
            other = (f" {_fmt(flatten_measures(entry['compare'].get('measures', {})).get(key))} |"
                     if entry.get("compare") else " – |") if compare else ""
            lines.append(f"| {entry['task']} | {entry['benchmark']} | {figure['label']} | {ours} |{other} {theirs} | "
                         f"{fine} | {_fmt(figure['value'])} | {figure['source']} |")
        for kind in ("default", "compare", "trained", "fine_tuned"):
            run = entry.get(kind)
            if run:
                what = {"default": "shipped default", "compare": f"shipped default, encoder {compare}",
                        "trained": "trained", "fine_tuned": "fine-tuned"}[kind]
                speed = (f"; trained in {run.get('training_minutes')} min, scores {run.get('per_second')} items/s"
                         if kind == "fine_tuned" else "")
                commands.append(f"- {entry['task']} ({what}, model `{run['model']}`, n = {run['n']}, "
                                f"{run['seconds']} s{speed}): `{run['command']}`")
        if entry.get("missing"):
            commands.append(f"- {entry['task']}: benchmark data not found at `{entry['missing']}`")
    lines += ["", "## Commands", "", *commands, ""]
    lines += render_languages(languages)
    if gates:
        lines += ["## Quality gate: our own labelled sets", "",
                  "`make test` fails when a shipped default falls below one of these floors "
                  "(`tests/quality_floors.json`; lowering a floor needs a written reason there).", "",
                  "| component | labelled set (ours) | n | measure | floor | shipped default |"
                  + (f" encoder `{compare}` |" if compare else ""), "|---|---|---|---|---|---|" + ("---|" if compare else "")]
        lines += [f"| {g['task']} | `{g['data']}`{' (end to end)' if g.get('end_to_end') else ''} | {g['n']} | "
                  f"{g['measure']} | {g['floor']:.2f} | {_fmt(g['value'])} |"
                  + (f" {_fmt(g.get('compare'))} |" if compare else "") for g in gates]
        lines.append("")
    return "\n".join(lines)


def splice_languages(document: str, section: Sequence[str]) -> str:
    """``document`` (docs/quality.md) with its per-language section replaced by ``section``
    (put before the quality gate when it has none): ``quality --languages-only`` re-runs only these."""
    return splice_section(document, "## Per language (multilingual encoder)", section)
