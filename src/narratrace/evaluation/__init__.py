"""One registry of evaluation (and training) tasks, one for each learned or rule-based component.

Each task lives with its analysis (``Analysis.tasks``: e.g. ``narratrace.framing.evaluation``) and
defines ``TASK = Task(...)``: how to read
labelled data in the benchmark's own format, how to score a model on it with the task's official
measures (computed here from their published definitions, never by calling an external scorer),
and, where the component is trainable, how to train a model from such data. ``narratrace
evaluate``, ``narratrace train``, ``make quality`` and the quality gate in the tests all go
through :func:`run_evaluation` and :func:`run_training`, so every figure printed anywhere comes
from the same code.

Splits: most benchmarks here hold only a training part. ``split_of`` assigns every document (or
query) to ``train`` or ``heldout`` by a hash of its id, the same way on every machine, so a model
trained with ``--split train`` is always scored with ``--split heldout`` on documents it never saw.
"""

from __future__ import annotations

import json
import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narratrace.analyses import registered_analyses
from narratrace.cards import HELDOUT_EVERY, SPLITS, Split, flatten_measures, in_split, split_of  # noqa: F401 (re-exported)
from narratrace.errors import ConfigError, InputError
from narratrace.languages import normalize

__all__ = ["SPLITS", "Benchmark", "PublishedFigure", "SpanFinder", "Task", "analyze_files", "analyze_texts",
           "flatten_measures", "get_task", "in_split", "nearest_occurrence", "run_evaluation", "run_training",
           "split_of", "stage_config_for_models", "task_names"]


def task_modules() -> dict[str, str]:
    """Task name -> module defining ``TASK``, from every registered analysis (imported when used)."""
    return {name: module for a in registered_analyses() for name, module in a.tasks.items()}


def __getattr__(name: str) -> Any:
    if name == "TASK_MODULES":
        return task_modules()
    raise AttributeError(name)


@dataclass(frozen=True, slots=True)
class PublishedFigure:
    """The best published figure for one measure, with where it was published."""

    measure: str          # key in the task's flattened measures, e.g. "si.f1"
    label: str            # what the table calls it, e.g. "span identification F1"
    value: float | None   # None: no published model figure exists
    source: str


@dataclass(frozen=True, slots=True)
class Benchmark:
    """Where ``make quality`` finds the benchmark under ``../shared/data`` and how it splits it."""

    name: str                       # e.g. "PTC (SemEval-2020 Task 11), train part"
    path: str                       # relative to the data root, e.g. "ptc-semeval2020-task11/datasets"
    eval_split: Split = "heldout"   # scored on this split
    train_split: Split = "train"    # a benchmark-trained model learns from this one
    eval_path: str | None = None    # when the benchmark has its own dev split: score on that path instead
    eval_args: Mapping[str, Any] = field(default_factory=dict)
    #: a multilingual benchmark: ``path`` and ``eval_path`` hold one folder per language, and
    #: ``make quality`` scores each of these with the multilingual encoder (``--language XX``)
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Task:
    """A component's evaluation (and training) on labelled data in a benchmark's format.

    ``evaluate(data, *, model, split, limit, **options)`` returns at least ``{"n": int,
    "measures": {...}}`` (measures may nest; they are flattened with dots for printing and for
    the floors). ``train(data, out, *, split, seed, **options)`` writes a model directory with
    its card (see :mod:`narratrace.cards`) and returns the card.
    """

    name: str
    summary: str
    data_format: str
    evaluate: Callable[..., dict[str, Any]]
    train: Callable[..., dict[str, Any]] | None = None
    published: Sequence[PublishedFigure] = ()
    benchmark: Benchmark | None = None
    stage: str | None = None           # the pipeline stage whose model this task scores
    default_model: str | None = None   # name of the shipped default (see ``narratrace models``)
    config_key: str | None = "model"   # the stage's config key that selects the model (None: not selectable)
    # ``end_to_end(data, *, model, split, limit, **options)``: the benchmark's raw texts through
    # ingest -> analyze -> export (:func:`analyze_texts`), the export scored; None: not yet written
    end_to_end: Callable[..., dict[str, Any]] | None = None
    fine_tunes: bool = False           # ``train(..., fine_tune=True)`` fine-tunes MiniLM (:mod:`narratrace.finetune`)
    from_reviews: bool = False         # ``train(..., reviews=STORE)`` learns from a corpus's reviewed items too
    # ``simulate(data, *, heldout, seed, **options)`` -> a ``narratrace.reviews.simulation.Simulation``:
    # the benchmark's gold labels replayed as reviews (``narratrace reviews simulate``); None: not written
    simulate: Callable[..., Any] | None = None


def task_names() -> list[str]:
    return list(task_modules())


def get_task(name: str) -> Task:
    """The registered task ``name``; a clear error for an unknown one."""
    module = task_modules().get(name)
    if module is None:
        raise ConfigError(f"unknown evaluation task {name!r}; known: {', '.join(task_modules())}")
    try:
        task = getattr(importlib.import_module(module), "TASK", None)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise ConfigError(f"evaluation task {name!r} is not available in this version") from None
    if not isinstance(task, Task):
        raise ConfigError(f"{module} does not define TASK")
    return task


def language_folder(data: str | Path, language: str) -> Path:
    """The folder of ``language`` in a multilingual data set: ``data`` itself when it is that
    language's folder, else ``data/XX`` (SemEval-2025 Task 10 names them ``EN``, ``RU``, ...),
    and the run's encoder must read the language (``--encoder e5-int8`` beyond English)."""
    from narratrace.languages import normalize
    from narratrace.vectors import encoder_languages, encoder_name

    code = normalize(language)
    readable = encoder_languages()
    if readable is not None and code not in readable:
        raise ConfigError(f"the encoder {encoder_name()!r} reads {', '.join(readable)} only: evaluate {code} with "
                          "the multilingual one (narratrace --encoder e5-int8 ...)")
    root = Path(data)
    if root.name.lower() == code:
        return root
    for name in (code.upper(), code):
        if (root / name).is_dir():
            return root / name
    raise InputError(f"{root} has no folder for language {code!r} ({code.upper()}/ or {code}/)", path=str(root))


def run_evaluation(task_name: str, data: str | Path, *, model: str | None = None, split: str = "all",
                   limit: int | None = None, language: str | None = None, end_to_end: bool = False,
                   **options: Any) -> dict[str, Any]:
    """``{"task", "model", "data", "split", "n", "measures", "seconds", ...}`` for one evaluation
    (of one ``language`` of a multilingual data set when it is given). ``end_to_end``: score what
    a user gets (the raw texts ingested and analysed with the default configuration, the export
    scored) instead of the component on gold inputs."""
    task = get_task(task_name)
    if end_to_end and task.end_to_end is None:
        raise ConfigError(f"task {task_name!r} has no end-to-end evaluation yet; evaluate it without --end-to-end")
    path = Path(data) if language is None else language_folder(data, language)
    if not path.exists():
        raise InputError(f"no evaluation data at {path}", path=str(path))
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    started = time.perf_counter()
    scorer = task.end_to_end if end_to_end and task.end_to_end is not None else task.evaluate
    result = dict(scorer(path, model=model, split=split, limit=limit, **options))
    seconds = round(time.perf_counter() - started, 2)
    from narratrace.vectors import encoder_name

    head = {"task": task.name, "model": result.pop("model", None) or model or task.default_model or "default",
            "data": str(path), "split": split, "n": result.pop("n"), "measures": result.pop("measures"),
            "seconds": seconds, "encoder": encoder_name(), **({"language": language} if language else {}),
            **({"end_to_end": True} if end_to_end else {})}
    return {**head, **result}


def analyze_texts(texts: Sequence[tuple[str, str]], *, config: Mapping[str, Mapping[str, Any]] | None = None,
                  prepare: Callable[[Any], None] | None = None, workers: int | None = None,
                  include_text: bool = False) -> dict[str, Any]:
    """The export of ``(ref, text)`` documents run as a user runs them: written to a JSONL file,
    ``ingest``-ed into a fresh SQLite store, ``analyze``-d with every default stage (``config`` on
    top of the defaults), exported. ``prepare(store)`` runs before the analysis (to import the
    fact-checks a matching benchmark needs). The store lives in a temporary folder and is removed."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="narratrace-e2e-") as tmp:
        source = Path(tmp) / "documents.jsonl"
        with source.open("w", encoding="utf-8") as fh:
            for ref, text in texts:
                fh.write(json.dumps({"id": ref, "text": text}, ensure_ascii=False) + "\n")
        return _analyze([source], Path(tmp) / "corpus.db", config=config, prepare=prepare, workers=workers,
                        include_text=include_text)


def analyze_files(paths: Sequence[str | Path], *, config: Mapping[str, Mapping[str, Any]] | None = None,
                  workers: int | None = None, include_text: bool = False) -> dict[str, Any]:
    """:func:`analyze_texts` for files or folders as they are (a corpus of .txt, .html, .jsonl...),
    ingested as ``narratrace ingest PATH`` ingests them."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="narratrace-e2e-") as tmp:
        return _analyze([Path(p) for p in paths], Path(tmp) / "corpus.db", config=config, prepare=None,
                        workers=workers, include_text=include_text)


def _analyze(sources: Sequence[Path], db: Path, *, config: Mapping[str, Mapping[str, Any]] | None,
             prepare: Callable[[Any], None] | None, workers: int | None, include_text: bool) -> dict[str, Any]:
    from narratrace.export import export_corpus
    from narratrace.ingest import ingest
    from narratrace.pipeline import Pipeline, default_stages
    from narratrace.store import Store

    with Store(db) as store:
        ingest(store, list(sources))
        if prepare is not None:
            prepare(store)
        Pipeline(default_stages(), config=config or {}, workers=workers).run(store)
        return export_corpus(store, include_text=include_text)


def nearest_occurrence(text: str, needle: str, guess: int) -> int | None:
    """Where ``needle`` occurs in ``text`` nearest ``guess`` (ingestion moves offsets: titles, spaces)."""
    best, pos = None, text.find(needle)
    while pos != -1:
        if best is None or abs(pos - guess) < abs(best - guess):
            best = pos
        pos = text.find(needle, pos + 1)
    return best


class SpanFinder:
    """Gold spans of a benchmark's text found again in the text ingestion kept of it (the export's
    ``articles[].text``), so that exported offsets can be scored against them: through the offsets
    :func:`narratrace.text.normalized_offsets` follows, else (the text changed beyond spaces) by the
    span's string nearest its place."""

    def __init__(self, raw: str, text: str) -> None:
        from narratrace.text import normalized_offsets

        self.raw, self.text = raw, text
        self.offsets = normalized_offsets(raw, text)

    def find(self, start: int, end: int) -> tuple[int, int] | None:
        """``[start, end)`` of the benchmark's text in the ingested text; None: not there."""
        from narratrace.text import normalize_text

        if self.offsets is not None and 0 <= start < end < len(self.offsets):
            a, b = self.offsets[start], self.offsets[end]
            return (a, b) if b > a else None
        needle = normalize_text(self.raw[start:end])
        if not needle:
            return None
        found = nearest_occurrence(self.text, needle, round(start * len(self.text) / max(len(self.raw), 1)))
        return None if found is None else (found, found + len(needle))


def stage_config_for_models(choices: Sequence[str]) -> dict[str, dict[str, str]]:
    """``["framing=DIR", ...]`` (``analyze --model``) -> the pipeline's per-stage config."""
    config: dict[str, dict[str, str]] = {}
    for choice in choices:
        name, sep, model = choice.partition("=")
        if not sep or not name or not model:
            raise ConfigError(f"--model takes TASK=NAME_OR_DIR, not {choice!r}")
        task = get_task(name.strip())
        if task.stage is None or task.config_key is None:
            raise ConfigError(f"the {task.name} component has one built-in model; there is nothing to select")
        from narratrace.cards import resolve_model
        resolve_model(task.name, model.strip())  # fail now, not halfway through a run
        config.setdefault(task.stage, {})[task.config_key] = model.strip()
    return config


def run_training(task_name: str, data: str | Path | None, out: str | Path, *, split: str = "train", seed: int = 13,
                 language: str | None = None, **options: Any) -> dict[str, Any]:
    """Train the task's model on ``data`` (only its ``split`` part; one ``language`` of a multilingual
    set when given) into ``out``; returns the card. ``reviews=STORE`` (tasks with ``from_reviews``)
    adds the reviewed items of that corpus, and ``data`` may then be None."""
    task = get_task(task_name)
    if task.train is None:
        raise ConfigError(f"task {task_name!r} has no trainable model (it is rule-based); "
                          f"see `narratrace models`")
    if options.get("fine_tune") and not task.fine_tunes:
        fine = [n for n in task_names() if get_task(n).fine_tunes]
        raise ConfigError(f"the {task_name} task has no fine-tuned model yet; --fine-tune works for "
                          f"{', '.join(fine) or 'no task'}")
    if options.get("reviews") and not task.from_reviews:
        able = [n for n in task_names() if get_task(n).from_reviews]
        raise ConfigError(f"the {task_name} task cannot learn from reviews yet; --from-reviews works for "
                          f"{', '.join(able) or 'no task'}")
    if data is None:
        if not options.get("reviews"):
            raise ConfigError("training needs labelled data (--data), reviews (--from-reviews), or both")
        path = None
    else:
        path = Path(data) if language is None else language_folder(data, language)
        if not path.exists():
            raise InputError(f"no training data at {path}", path=str(path))
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    card = task.train(path, Path(out), split=split, seed=seed, **options)
    if language is not None:  # what `analyze --model TASK=DIR` then analyses (StageInfo.own_languages)
        card = {**card, "languages": [normalize(language)]}
        (Path(out) / "card.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return card
