"""The analyses: one package each, and the one list that every shared layer loops over.

An analysis (republications, claims, narratives, ...) is a package that defines ``ANALYSIS =
Analysis(...)`` in its ``__init__``: the stages it registers, its tables, its part of the JSON
export, its report section, its web pages, its evaluation tasks and its CLI commands. The
pipeline, store, export, report, web app, evaluation harness and CLI find them all here and
import no analysis by name (the shape of spaCy's components and datasette's plugins).

Parts are named ``"module:attribute"`` and imported only when a layer needs them, so
``narratrace --help`` does not load spaCy or torch. Adding an analysis is one new package plus
one line in :data:`BUILTIN_ANALYSES`, or, for a plugin or a test, :func:`register`.
See ``docs/architecture.md``.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from narratrace.errors import ConfigError
from narratrace.schema import Migration

__all__ = ["BUILTIN_ANALYSES", "Analysis", "registered_analyses", "register", "resolve", "unregister"]

#: The analyses that ship with narratrace, in the order the export, report and web app show them.
BUILTIN_ANALYSES: tuple[str, ...] = (
    "narratrace.boilerplate",     # recurring site lines, left out of the evidence of the analyses below
    "narratrace.republications",
    "narratrace.ingest",          # skipped inputs: the export shows them after the republications
    "narratrace.sentences",       # every sentence embedded once, read by the analyses below
    "narratrace.claims",
    "narratrace.narratives",
    "narratrace.factchecks",
    "narratrace.techniques",
    "narratrace.framing",
    "narratrace.provenance",
    "narratrace.reviews",         # analysts' reviews of the results above (kept apart from them)
)


@dataclass(frozen=True, slots=True)
class Analysis:
    """What one analysis contributes to each shared layer; every part is optional.

    ``export``: ``(store, ref) -> {key: value}`` where ``ref`` maps article ids to refs; the keys
    are the analysis's top-level sections of the JSON export. ``section``: ``(store, context) ->
    Section | None`` (:mod:`narratrace.sections`), ``None`` when it has nothing to show.
    ``pages``: ``(web context) -> fastapi.APIRouter`` with its HTML pages and their JSON twins.
    ``default_stages`` run with a plain ``analyze``, in dependency order (``Pipeline.check``).
    """

    name: str
    title: str
    stages: tuple[str, ...] = ()                 # modules whose import registers the stages
    default_stages: tuple[str, ...] = ()
    migrations: tuple[Migration, ...] = ()       # its tables (one DDL source for both backends)
    export: str | None = None
    section: str | None = None
    pages: str | None = None
    tasks: Mapping[str, str] = field(default_factory=dict)  # evaluation task -> module defining TASK
    commands: tuple[str, ...] = ()               # modules defining COMMANDS (click commands)
    spark: Mapping[str, str] = field(default_factory=dict)  # corpus stage -> its step on the Spark engine
    spark_load: Mapping[str, str] = field(default_factory=dict)  # corpus stage -> loads its own Spark tables
    reviews: tuple[str, ...] = ()                # "module:attribute" of its ReviewKinds (narratrace.store.reviews)


def resolve(ref: str) -> Any:
    """The object that ``"package.module:attribute"`` names, imported now."""
    module, _, attr = ref.partition(":")
    try:
        return getattr(importlib.import_module(module), attr) if attr else importlib.import_module(module)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load {ref!r}: {exc}") from exc


_LOCK = threading.Lock()
_LOADED: dict[str, Analysis] = {}
_EXTRA: dict[str, Analysis] = {}


def registered_analyses() -> tuple[Analysis, ...]:
    """The built-in analyses in their order, then those added with :func:`register`."""
    with _LOCK:
        for module in BUILTIN_ANALYSES:
            if module not in _LOADED:
                found = getattr(importlib.import_module(module), "ANALYSIS", None)
                if not isinstance(found, Analysis):
                    raise ConfigError(f"{module} defines no ANALYSIS = Analysis(...)")
                _LOADED[module] = found
        return tuple(_LOADED[m] for m in BUILTIN_ANALYSES) + tuple(_EXTRA.values())


def register(analysis: Analysis) -> Analysis:
    """Add an analysis after the built-in ones (a plugin, or a test's toy analysis)."""
    names = {a.name for a in registered_analyses()}
    if analysis.name in names and _EXTRA.get(analysis.name) is not analysis:
        raise ConfigError(f"analysis {analysis.name!r} registered twice")
    _EXTRA[analysis.name] = analysis
    return analysis


def unregister(name: str) -> None:
    """Remove an analysis added with :func:`register` (built-in ones stay)."""
    _EXTRA.pop(name, None)
