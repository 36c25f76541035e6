"""Persuasion techniques at span level (SemEval-2020 Task 11's 14 classes).

A technique model finds spans of a text that use a persuasion technique and names the technique
(:meth:`TechniqueModel.detect`), and classifies spans it is given (:meth:`TechniqueModel.classify`,
the task's technique-classification setting). Two kinds exist:

* ``rules`` — the shipped default ``rules-v1``: a lexicon of patterns written for this project
  (:mod:`.rules`);
* ``trained`` — a token-level span tagger and a span classifier trained on CPU from data in the
  PTC format (``narratrace train techniques --data PTC_DIR --out DIR``, :mod:`.learned`);
* ``fine-tuned`` — MiniLM fine-tuned as a BIO token tagger over the techniques, on the same data
  (``narratrace train techniques --fine-tune ...``, :mod:`.finetuned`); it reads English only.

:func:`load_model` turns a model name or directory (``narratrace models``) into a model.
"""

from __future__ import annotations

import functools
from pathlib import Path

from narratrace.errors import ConfigError
from narratrace.cards import load_card, resolve_model
from narratrace.techniques.base import Hit, TechniqueModel
from narratrace.techniques.labels import DISPLAY, TECHNIQUES, display_name, map_semeval2023

from narratrace.analyses import Analysis

ANALYSIS = Analysis(
    name="techniques", title="Persuasion techniques",
    stages=("narratrace.techniques.stage",), default_stages=("techniques",),
    export="narratrace.techniques.corpus:export_section", section="narratrace.techniques.report:build_report_section",
    pages="narratrace.techniques.web:make_pages",
    tasks={"techniques": "narratrace.techniques.evaluation"}, commands=("narratrace.techniques.cli",),
    reviews=("narratrace.techniques.store:REVIEW",))

__all__ = ["ANALYSIS", "DEFAULT_MODEL", "DISPLAY", "TECHNIQUES", "Hit", "TechniqueModel", "display_name", "load_model",
           "map_semeval2023"]

DEFAULT_MODEL = "rules-v1"


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> TechniqueModel:
    directory = Path(path)
    card = load_card(directory)
    kind = card.get("kind")
    name = str(card.get("name") or directory.name)
    if kind == "rules":
        from narratrace.techniques.rules import RulesModel
        return RulesModel(directory, name=name)
    if kind == "trained":
        from narratrace.techniques.learned import LearnedModel
        return LearnedModel(directory, name=name)
    if kind == "fine-tuned":
        from narratrace.techniques.finetuned import FineTunedTechniqueModel
        return FineTunedTechniqueModel.load(directory, name=name)
    raise ConfigError(f"techniques model {directory}: unknown kind {kind!r} (rules, trained or fine-tuned)")


def load_model(model: str | Path | None = None) -> TechniqueModel:
    """The technique model ``model`` (a name or a directory with ``card.json``), else the default."""
    directory = resolve_model("techniques", model, default=DEFAULT_MODEL)
    card = directory / "card.json"
    return _load(str(directory.resolve()), card.stat().st_mtime)
