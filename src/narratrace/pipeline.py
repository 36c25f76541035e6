"""Stages, their registry, and the runner that persists what they produce.

A stage is registered with what it ``requires`` and ``produces`` (spaCy's
``requires``/``assigns``). Article stages map one :class:`Article` to a
:class:`StageOutput`; corpus stages read many articles through a read-only
:class:`CorpusView` and return links between them. Neither touches SQLite: the
:class:`Pipeline` saves every result keyed by ``(article, stage, version)`` and the
article's content hash, so ``analyze`` only does work that is not yet done.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
from narratrace.workers import blas_limit, fork_pool
import os
from collections import Counter
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from narratrace.analyses import registered_analyses
from narratrace.errors import ConfigError, StageError
from narratrace.languages import ANY, not_analysed_reason, supports
from narratrace.model import Annotation, Article, RepublicationPair
from narratrace.store import Store, open_store
from narratrace.vectors import encoder_languages, encoder_name, one_thread_per_worker, use_encoder

__all__ = ["ARTICLE_FIELDS", "CorpusView", "Pipeline", "RunReport", "StageInfo", "StageOutput", "analyze",
           "DEFAULT_STAGES", "dependent_stages", "registered_stages", "stage"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

#: What ingestion provides, so stages may require it.
ARTICLE_FIELDS = ("article.text", "article.paragraphs", "article.sentences", "article.language",
                  "article.published", "article.outlet", "article.title", "article.url")


@dataclass(frozen=True, slots=True)
class StageOutput:
    """What an article stage returns: annotations on the article and optional stored data."""

    annotations: tuple[Annotation, ...] = ()
    data: bytes | Mapping[str, Any] | list[Any] | None = None
    #: set when the stage found it cannot analyse this article ("language ru": its model reads
    #: English only); the runner records it as not analysed, as for a language it declared
    not_analysed: str | None = None


@dataclass(frozen=True, slots=True)
class _NotAnalysed:
    """In a result row's data place: the stage said it did not analyse the article, and why."""

    reason: str


class CorpusView(Protocol):
    """What a corpus stage may read (a Store satisfies it); it never writes."""

    def articles(self, ids: Iterable[str] | None = None) -> Iterator[Article]: ...
    def article_index(self) -> list[dict[str, Any]]: ...
    def stage_data(self, stage: str, *, ids: Iterable[str] | None = None) -> Iterator[tuple[str, bytes | None]]: ...
    def republication_pairs(self, article_id: str | None = None) -> list[RepublicationPair]: ...
    def annotations(self, article_id: str, *, stage: str | None = None) -> list[Annotation]: ...


@dataclass(frozen=True, slots=True)
class StageInfo:
    name: str
    version: str
    level: Literal["article", "corpus"]
    requires: tuple[str, ...]
    produces: tuple[str, ...]
    factory: Callable[..., Any]
    default_config: Mapping[str, Any] = field(default_factory=dict)
    doc: str = ""
    save: Callable[[Store, str, str, Any], None] | None = None  # persists a corpus stage's result
    encoder: bool = False   # reads sentence vectors: its results change with the encoder (vectors.py)
    uses: tuple[str, ...] = ()  # read when present (else the stage does that work itself): producers run first

    def own_languages(self, config: Mapping[str, Any] | None = None) -> tuple[str, ...] | None:
        """The languages this stage says it analyses (its ``languages`` config); None: it does not say.

        A model directory given in the config (``analyze --model TASK=DIR``) whose card records
        ``languages`` (``train --language XX`` writes them) sets them, unless the config names its own."""
        given = config or {}
        model = given.get("model")
        if "languages" not in given and isinstance(model, (str, Path)) and (Path(model) / "card.json").is_file():
            try:
                card = json.loads((Path(model) / "card.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                card = {}
            if isinstance(card, dict) and isinstance(card.get("languages"), list):
                return tuple(str(x) for x in card["languages"])
        value = {**self.default_config, **given}.get("languages")
        return None if value is None else tuple(str(x) for x in value)

    @property
    def text_only(self) -> bool:
        """A stage that requires nothing but the text is given articles without metadata."""
        return set(self.requires) <= {"article.text"}

    def key(self, config: Mapping[str, Any], encoder_version: str | None = None) -> str:
        """Version string that changes when the code version, the config or (for a stage that reads
        sentence vectors) the encoder's weights change."""
        merged = {**self.default_config, **config}
        h = hashlib.sha256(json.dumps(merged, sort_keys=True, default=str).encode())
        if self.encoder and encoder_version:
            h.update(f"encoder={encoder_version}".encode())
        for value in merged.values():  # a config file (an alias table...) counts by its content
            if isinstance(value, (str, Path)) and str(value) and Path(value).is_file():
                h.update(Path(value).read_bytes())
            elif isinstance(value, (str, Path)) and str(value) and (Path(value) / "card.json").is_file():
                h.update((Path(value) / "card.json").read_bytes())  # a model: its card holds the weights' hash
        digest = h.hexdigest()[:8]
        return f"{self.version}+{digest}"


_REGISTRY: dict[str, StageInfo] = {}


def stage(name: str, *, version: str, level: Literal["article", "corpus"], requires: Sequence[str] = (),
          produces: Sequence[str] = (), default_config: Mapping[str, Any] | None = None,
          save: Callable[[Store, str, str, Any], None] | None = None, encoder: bool = False,
          uses: Sequence[str] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a stage factory: ``make_x(**config)`` returning the stage callable.

    A corpus stage names its ``save(store, stage, version, result)``: the runner calls it with
    what the stage returned (the analysis's own tables), so the store knows no analysis. A stage
    that reads sentence vectors (``encoder=True``) re-runs when the run's encoder changes. ``uses``
    names what a stage reads when it is there and does itself when not (``article.sentence_vectors``):
    a pipeline that has its producer must run it first.
    """
    def register(factory: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].factory is not factory:
            raise ConfigError(f"stage {name!r} registered twice")
        if level == "corpus" and save is None:
            raise ConfigError(f"corpus stage {name!r} needs save=: how its result is stored")
        _REGISTRY[name] = StageInfo(name, version, level, tuple(requires), tuple(produces), factory,
                                    dict(default_config or {}), (factory.__doc__ or "").strip(), save, encoder,
                                    tuple(uses))
        return factory
    return register


def dependent_stages(inputs: Sequence[str]) -> list[str]:
    """The registered stages that read any of ``inputs`` (``requires`` or ``uses``), and the stages that
    read what those produce, and so on: whose results go out of date when ``inputs`` change."""
    stages = registered_stages()
    produced = set(inputs)
    found: list[str] = []
    grew = True
    while grew:
        grew = False
        for info in stages.values():
            if info.name not in found and produced & (set(info.requires) | set(info.uses)):
                found.append(info.name)
                produced.update(info.produces)
                grew = True
    return found


def stage_languages(stages: Sequence[StageInfo], configs: Mapping[str, Mapping[str, Any]] | None = None,
                    encoder: str | None = None) -> dict[str, tuple[str, ...] | None]:
    """The languages each stage of a pipeline analyses (None: every article; ``("*",)``: every
    article of a determined language).

    A stage's own ``languages`` config, else those of the stages that produce what it requires
    (claim groups analyse the languages the claims stage analyses), else any: a stage that reads
    no language-dependent input (fingerprints, republications) analyses every article. A stage
    that reads vectors (``encoder=True``) analyses only the languages of the run's ``encoder``
    as well (``vectors.ENCODER_LANGUAGES``).
    """
    by_encoder = encoder_languages(encoder)
    producer: dict[str, StageInfo] = {}
    for info in registered_stages().values():  # stages outside the pipeline still say what their output covers
        for field_name in info.produces:
            producer.setdefault(field_name, info)
    for info in stages:
        for field_name in info.produces:
            producer[field_name] = info
    out: dict[str, tuple[str, ...] | None] = {}

    def meet(a: tuple[str, ...] | None, b: tuple[str, ...] | None) -> tuple[str, ...] | None:
        """Both constraints: None is none, ("*",) any determined language, else these languages."""
        if a is None or a == (ANY,):
            return b if b is not None else a
        if b is None or b == (ANY,):
            return a
        return tuple(x for x in a if x in b)

    def of(info: StageInfo, seen: frozenset[str]) -> tuple[str, ...] | None:
        if info.name in out:
            return out[info.name]
        found = tuple(by_encoder) if info.encoder and by_encoder is not None else None
        own = info.own_languages((configs or {}).get(info.name))
        if own is not None:
            return meet((ANY,) if ANY in own else own, found)
        for field_name in info.requires:
            source = producer.get(field_name)
            if source is None or source.name == info.name or source.name in seen:
                continue
            found = meet(found, of(source, seen | {info.name}))
        return found

    for info in stages:
        out[info.name] = of(info, frozenset())
    return out


def registered_stages() -> dict[str, StageInfo]:
    _load_builtin_stages()
    return dict(_REGISTRY)


def _load_builtin_stages() -> None:
    for analysis in registered_analyses():
        for module in analysis.stages:
            importlib.import_module(module)  # registers on import


def default_stages() -> tuple[str, ...]:
    """The stages a plain ``analyze`` runs: each analysis's defaults, in registry order."""
    return tuple(name for a in registered_analyses() for name in a.default_stages)


def in_run_order(by_stage: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """``by_stage`` items in the order a plain ``analyze`` runs the stages (others after, by name)."""
    order = {name: n for n, name in enumerate(default_stages())}
    return sorted(by_stage.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))


def __getattr__(name: str) -> Any:
    if name == "DEFAULT_STAGES":
        return default_stages()
    raise AttributeError(name)


#: Below this many pending articles a stage runs in-process (a pool costs more than it saves).
PARALLEL_MIN_ARTICLES = 1000


@dataclass(slots=True)
class RunReport:
    """What one ``analyze`` did, per stage: how many articles it processed (0 = all done before)."""

    done: dict[str, int] = field(default_factory=dict)
    failed: list[StageError] = field(default_factory=list)
    #: per stage, articles it was given but does not analyse, by reason ("language ru": 12)
    not_analysed: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"done": dict(self.done), "failed": [str(e) for e in self.failed],
                "not_analysed": {k: dict(v) for k, v in self.not_analysed.items() if v}}


class Pipeline:
    """An ordered list of stages, checked before anything runs."""

    def __init__(self, names: Sequence[str] | None = None, *,
                 config: Mapping[str, Mapping[str, Any]] | None = None, workers: int | None = None,
                 encoder: str | None = None) -> None:
        stages = registered_stages()
        names = default_stages() if names is None else names
        unknown = [n for n in names if n not in stages]
        if unknown:
            raise ConfigError(f"unknown stage(s) {unknown}; known: {sorted(stages)}")
        self.stages = [stages[n] for n in names]
        self.config = {n: dict((config or {}).get(n, {})) for n in names}
        self.workers = min(4, os.cpu_count() or 1) if workers is None else workers
        self.encoder = encoder_name(encoder)  # one encoder for every stage of the run
        self.check()
        self.languages = stage_languages(self.stages, self.config, self.encoder)

    def check(self) -> None:
        """Fail before a run if a stage requires something no earlier stage produces."""
        available = set(ARTICLE_FIELDS)
        for n, info in enumerate(self.stages):
            missing = [r for r in info.requires if r not in available]
            if missing:
                raise ConfigError(f"stage {info.name!r} requires {missing}, which no earlier stage produces")
            late = [(u, s.name) for s in self.stages[n + 1:] for u in info.uses if u in s.produces]
            if late:
                raise ConfigError(f"stage {info.name!r} reads {late[0][0]}, which {late[0][1]!r} produces: "
                                  f"run {late[0][1]!r} first")
            available.update(info.produces)

    def run(self, store: Store, *, batch_size: int = 500,
            progress: Callable[[str, int, int], None] | None = None) -> RunReport:
        """Run every stage on what it has not processed yet; returns what was done.

        The run holds the store's writers' lock (``Store.write_lock``): while another process writes
        the store (an ``analyze`` in another terminal, an ``ingest``) this raises
        :class:`~narratrace.errors.StoreLocked` at once instead of doing the same work twice."""
        with store.write_lock("analyze"):
            if not any(s.encoder for s in self.stages):  # no stage reads vectors: no encoder to load
                return self._run(store, batch_size, progress, None)
            with use_encoder(self.encoder) as encoder:
                return self._run(store, batch_size, progress, encoder.version)

    def _run(self, store: Store, batch_size: int, progress: Callable[[str, int, int], None] | None,
             encoder_version: str | None) -> RunReport:
        report = RunReport()
        for info in self.stages:
            config = {**info.default_config, **self.config[info.name]}
            version = info.key(self.config[info.name], encoder_version)
            fn = info.factory(**config)
            if info.level == "article":
                report.done[info.name] = self._run_article_stage(store, info, version, fn, batch_size,
                                                                 progress, report)
            else:
                failed = {e.article_id for e in report.failed}
                pending = [i for i in store.pending(info.name, version) if i not in failed]
                # articles in languages the stage does not read are recorded as such, not handed to it
                # (a matching stage spent minutes on 1,000 articles whose results were then dropped)
                skipped = self._not_analysed(store, info, version, pending, report)
                pending = [i for i in pending if i not in skipped]
                if pending:
                    output = fn(store, new_ids=pending, progress=progress, workers=self.workers)
                    assert info.save is not None  # checked when the stage was registered
                    info.save(store, info.name, version, output)
                report.done[info.name] = len(pending)
        return report

    def _not_analysed(self, store: Store, info: StageInfo, version: str, pending: Sequence[str],
                      report: RunReport) -> set[str]:
        """Record the pending articles that ``info`` does not analyse because of their language."""
        languages = self.languages.get(info.name)
        if languages is None or not pending:
            report.not_analysed[info.name] = {}
            return set()
        language_of = store.article_languages()
        reasons = [(aid, not_analysed_reason(language_of.get(aid))) for aid in pending
                   if not supports(languages, language_of.get(aid))]
        for n in range(0, len(reasons), 1000):
            store.save_not_analysed(info.name, version, reasons[n:n + 1000])
        report.not_analysed[info.name] = dict(Counter(reason for _, reason in reasons))
        return {aid for aid, _ in reasons}

    def _run_article_stage(self, store: Store, info: StageInfo, version: str, fn: Callable[[Article], StageOutput],
                           batch_size: int, progress: Callable[[str, int, int], None] | None,
                           report: RunReport) -> int:
        pending = store.pending(info.name, version)
        skipped = self._not_analysed(store, info, version, pending, report)
        pending = [aid for aid in pending if aid not in skipped]
        chunks = [pending[i:i + 200] for i in range(0, len(pending), 200)]
        pool = None
        if self.workers > 1 and store.shareable and len(pending) >= PARALLEL_MIN_ARTICLES:
            config = {**info.default_config, **self.config[info.name]}
            pool = fork_pool(self.workers, _article_worker_init, (store.path, info.name, config))
            outputs = pool.imap(_article_worker_run, chunks)
        else:
            outputs = (_run_chunk(store, fn, ids, info.text_only) for ids in chunks)
        done = 0
        buffer: list[tuple[str, str, Any, Sequence[Annotation]]] = []
        try:
            with blas_limit(1):  # an article's matrices are small: one BLAS thread (narratrace.workers)
                for results, errors in outputs:
                    for article_id, message in errors:
                        if message.startswith("E005"):
                            raise StageError(message, stage=info.name, article_id=article_id)
                        err = StageError(message, stage=info.name, article_id=article_id)
                        log.warning("%s", err)
                        report.failed.append(err)
                    buffer.extend(results)
                    if len(buffer) >= batch_size:
                        done += self._save(store, info.name, version, buffer, report)
                        buffer = []
                        if progress:
                            progress(info.name, done, len(pending))
                if buffer:
                    done += self._save(store, info.name, version, buffer, report)
                    if progress:
                        progress(info.name, done, len(pending))
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
        return done


    @staticmethod
    def _save(store: Store, stage_name: str, version: str, buffer: list[tuple[str, str, Any, Sequence[Annotation]]],
              report: RunReport) -> int:
        """Store a batch of results; rows whose stage said "not analysed" are recorded as such."""
        skipped = [(aid, data.reason) for aid, _, data, _ in buffer if isinstance(data, _NotAnalysed)]
        analysed = [row for row in buffer if not isinstance(row[2], _NotAnalysed)]
        store.save_stage_results(stage_name, version, analysed)
        if skipped:
            store.save_not_analysed(stage_name, version, skipped)
            counts = report.not_analysed.setdefault(stage_name, {})
            for _, reason in skipped:
                counts[reason] = counts.get(reason, 0) + 1
        return len(analysed)


_Results = tuple[list[tuple[str, str, Any, Sequence[Annotation]]], list[tuple[str, str]]]
_WORKER: dict[str, Any] = {}


def _run_chunk(store: Store, fn: Callable[[Article], StageOutput], ids: Sequence[str],
               text_only: bool = False) -> _Results:
    """Run an article stage on some articles; a failing article is reported, not fatal."""
    results = []
    errors = []
    for article in store.articles(ids, text_only=text_only):
        try:
            out = fn(article)
        except Exception as exc:  # a stage bug must not stop the corpus; it is reported
            errors.append((article.id, f"{type(exc).__name__}: {exc}"))
            continue
        if not isinstance(out, StageOutput):
            errors.append((article.id, f"E005 stage returned {type(out).__name__}, expected StageOutput"))
            continue
        if out.not_analysed:
            results.append((article.id, article.content_hash, _NotAnalysed(out.not_analysed), ()))
            continue
        results.append((article.id, article.content_hash, out.data, out.annotations))
    return results, errors


def _article_worker_init(path: str, name: str, config: Mapping[str, Any]) -> None:
    one_thread_per_worker()
    info = registered_stages()[name]
    _WORKER["store"] = open_store(path, readonly=True)
    _WORKER["fn"] = info.factory(**config)
    _WORKER["text_only"] = info.text_only


def _article_worker_run(ids: Sequence[str]) -> _Results:
    return _run_chunk(_WORKER["store"], _WORKER["fn"], ids, _WORKER["text_only"])

def analyze(store: Store, *, stages: Sequence[str] | None = None, encoder: str | None = None,
            progress: Callable[[str, int, int], None] | None = None) -> RunReport:
    """Run the default pipeline (or ``stages``) on whatever in ``store`` is not analysed yet."""
    return Pipeline(stages, encoder=encoder).run(store, progress=progress)
