"""Narrative taxonomies: two levels (narratives, subnarratives) with descriptions and example sentences.

A taxonomy is a JSON file (``narratrace/data/taxonomies/urw.json`` and ``cc.json`` ship the
SemEval-2025 Task 10 label sets; the descriptions and example sentences in them were written for
narratrace)::

    {"name": str, "domain": "URW", "description": str, "examples": [str],
     "narratives": [{"label": "URW: Discrediting Ukraine", "description": str, "examples": [str],
                     "subnarratives": [{"label": "URW: Discrediting Ukraine: ...", "description": str,
                                        "examples": [str], "scored": true}],
                     "other_scored": true}]}

``scored`` / ``other_scored`` false mark labels the benchmark's official class list lacks (they are
predicted but, as by the organisers' scorer, not scored).

A user replaces or extends the label sets by passing their own files (stage config ``taxonomies``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from narratrace.errors import ConfigError

__all__ = ["DEFAULT_TAXONOMIES", "Label", "Taxonomy", "default_taxonomy_paths", "load_taxonomies", "load_taxonomy",
           "other_of"]

DEFAULT_TAXONOMIES = ("urw.json", "cc.json")
OTHER = "Other"


@dataclass(frozen=True, slots=True)
class Label:
    """One narrative (``parent`` None) or subnarrative, with the texts that describe it."""

    label: str
    domain: str
    description: str
    examples: tuple[str, ...]
    parent: str | None = None
    scored: bool = True            # False: not in the benchmark's official class list
    other_scored: bool = True      # a narrative: whether "<narrative>: Other" is in that list

    @property
    def texts(self) -> tuple[str, ...]:
        """What stands for the label in embedding space: its description and its examples."""
        return tuple(t for t in (self.description, *self.examples) if t.strip())

    @property
    def short(self) -> str:
        """The label without its parent and domain prefix ("Ukraine is a puppet of the West")."""
        prefix = f"{self.parent}: " if self.parent else f"{self.domain}: "
        return self.label.removeprefix(prefix)


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """One or more label sets merged: narratives and subnarratives, each domain with a description."""

    labels: tuple[Label, ...]
    domains: tuple[Label, ...]          # one pseudo-label per domain (its description and examples)
    sources: tuple[str, ...] = ()

    @property
    def narratives(self) -> tuple[Label, ...]:
        return tuple(lab for lab in self.labels if lab.parent is None)

    def subnarratives(self, parent: str | None = None) -> tuple[Label, ...]:
        return tuple(lab for lab in self.labels if lab.parent is not None and (parent is None or lab.parent == parent))

    def get(self, label: str) -> Label:
        for lab in self.labels:
            if lab.label == label:
                return lab
        raise ConfigError(f"no narrative label {label!r} in the taxonomy")

    def official_classes(self) -> tuple[list[str], list[str]]:
        """Coarse and fine class lists as the SemEval scorer knows them ("Other" and "X: Other" included)."""
        coarse = [OTHER] + [n.label for n in self.narratives]
        fine = [OTHER]
        for n in self.narratives:
            if n.other_scored:
                fine.append(other_of(n.label))
            fine += [s.label for s in self.subnarratives(n.label) if s.scored]
        return coarse, fine


def other_of(narrative: str) -> str:
    """The fine label of a narrative without a specific subnarrative."""
    return f"{narrative}: {OTHER}"


def default_taxonomy_paths() -> list[Path]:
    root = Path(str(resources.files("narratrace") / "data" / "taxonomies"))
    return [root / name for name in DEFAULT_TAXONOMIES]


def _texts(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: examples must be a list of strings")
    return tuple(value)


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read one taxonomy file; a malformed file raises :class:`ConfigError` saying where."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no taxonomy file at {path}") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"unreadable taxonomy {path}: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("narratives"), list) or not raw.get("domain"):
        raise ConfigError(f"taxonomy {path} needs a 'domain' and a list 'narratives'")
    domain = str(raw["domain"])
    labels: list[Label] = []
    for i, n in enumerate(raw["narratives"]):
        if not isinstance(n, dict) or not isinstance(n.get("label"), str) or not n["label"].strip():
            raise ConfigError(f"taxonomy {path}: narrative {i} has no label")
        where = f"taxonomy {path}: {n['label']}"
        labels.append(Label(n["label"], domain, str(n.get("description") or ""), _texts(n.get("examples"), where),
                            other_scored=bool(n.get("other_scored", True))))
        if not labels[-1].texts:
            raise ConfigError(f"{where}: a label needs a description or examples")
        for s in n.get("subnarratives") or []:
            if not isinstance(s, dict) or not isinstance(s.get("label"), str):
                raise ConfigError(f"{where}: a subnarrative has no label")
            sub = Label(s["label"], domain, str(s.get("description") or ""),
                        _texts(s.get("examples"), f"{where}: {s['label']}"), parent=n["label"],
                        scored=bool(s.get("scored", True)))
            if not sub.texts:
                raise ConfigError(f"{where}: subnarrative {s['label']!r} needs a description or examples")
            labels.append(sub)
    dom = Label(domain, domain, str(raw.get("description") or ""), _texts(raw.get("examples"), str(path)))
    if not dom.texts:
        dom = Label(domain, domain, " ".join(lab.description for lab in labels if lab.parent is None), ())
    return Taxonomy(tuple(labels), (dom,), (str(path),))


def load_taxonomies(paths: Iterable[str | Path] | None = None) -> Taxonomy:
    """Several taxonomy files merged (default: the shipped URW and CC label sets)."""
    chosen: Sequence[str | Path] = list(paths) if paths else default_taxonomy_paths()
    parts = [load_taxonomy(p) for p in chosen]
    labels = [lab for t in parts for lab in t.labels]
    seen: set[str] = set()
    for lab in labels:
        if lab.label in seen:
            raise ConfigError(f"narrative label {lab.label!r} is defined twice")
        seen.add(lab.label)
    return Taxonomy(tuple(labels), tuple(d for t in parts for d in t.domains),
                    tuple(s for t in parts for s in t.sources))
