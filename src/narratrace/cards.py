"""Models and their cards: what a component runs with, what it learned from, how well it does.

A model is a directory holding ``card.json`` (and whatever weights its task writes). Shipped
defaults live inside the package (``narratrace/data/models/<task>/<name>/``) and are built only
from openly licensed data or examples written and labelled in this project; models a user
trains (``narratrace train TASK --data PATH --out DIR``) live wherever ``--out`` put them, or
under ``$NARRATRACE_MODELS/<task>/<name>/`` to be found by name. ``--model NAME|DIR`` selects
one anywhere a task or stage takes a model.

The card records: task, name, kind (``rules``, ``trained``, ``zero-shot``), when it was made,
the data (path, SHA-256 of its files, licence, the split it learned from), the seed, the
measures on a split it was not trained on, and ``weights_sha256`` over the directory's other
files, which the pipeline folds into a stage's version so new weights re-run the stage.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from narratrace.errors import ConfigError

__all__ = ["CARD_FILE", "HELDOUT_EVERY", "SPLITS", "flatten_measures", "in_split", "split_of", "InstalledModel", "add_measures", "data_sha256", "installed_models", "load_card", "resolve_model",
           "shipped_models_dir", "user_models_dir", "write_card"]

CARD_FILE = "card.json"

Split = Literal["all", "train", "heldout"]
SPLITS: tuple[str, ...] = ("all", "train", "heldout")
#: One document in this many goes to the held-out split (20 %).
HELDOUT_EVERY = 5


def split_of(key: str) -> Literal["train", "heldout"]:
    """``heldout`` for one key in ``HELDOUT_EVERY`` (by SHA-256 of the key), else ``train``."""
    digest = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16)
    return "heldout" if digest % HELDOUT_EVERY == 0 else "train"


def in_split(key: str, split: str) -> bool:
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    return split == "all" or split_of(key) == split


def flatten_measures(measures: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"si": {"f1": 0.5}}`` -> ``{"si.f1": 0.5}`` (numbers only)."""
    flat: dict[str, float] = {}
    for key, value in measures.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_measures(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[name] = value
    return flat




def shipped_models_dir() -> Path:
    return Path(str(resources.files("narratrace") / "data" / "models"))


def user_models_dir() -> Path:
    return Path(os.environ.get("NARRATRACE_MODELS", Path.home() / ".local" / "share" / "narratrace" / "models"))


def data_sha256(path: str | Path, *, files: Iterable[Path] | None = None) -> str:
    """SHA-256 over the relative names and bytes of every file under ``path`` (or of one file)."""
    root = Path(path)
    chosen = sorted(files) if files is not None else (
        sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root])
    h = hashlib.sha256()
    for file in chosen:
        name = file.relative_to(root).as_posix() if root.is_dir() else file.name
        h.update(name.encode("utf-8") + b"\0")
        with open(file, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _weights_sha256(model_dir: Path) -> str:
    files = [p for p in model_dir.rglob("*") if p.is_file() and p.name not in (CARD_FILE, "README.md")]
    return data_sha256(model_dir, files=files)


def write_card(model_dir: str | Path, *, task: str, name: str, kind: str, data: Mapping[str, Any],
               measures: Mapping[str, Any] | None = None, seed: int | None = None,
               notes: str = "", extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Write ``card.json`` and a readable ``README.md`` next to the weights; returns the card.

    ``data``: ``{"path", "sha256", "licence", "split", "n", ...}`` (what the model learned from).
    ``measures``: ``{"data", "split", "n", "values": {...}}`` on a split it did not learn from.
    """
    model_dir = Path(model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    card = {"task": task, "name": name, "kind": kind,
            "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "data": dict(data), "seed": seed, "measures": dict(measures or {}),
            "weights_sha256": _weights_sha256(model_dir), "notes": notes, **dict(extra or {})}
    (model_dir / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (model_dir / "README.md").write_text(_card_markdown(card), encoding="utf-8")
    return card


def _card_markdown(card: Mapping[str, Any]) -> str:
    data = card.get("data", {})
    lines = [f"# Model card: {card['task']} / {card['name']}", "",
             f"- kind: {card['kind']}", f"- created: {card['created']}",
             f"- seed: {card.get('seed')}",
             f"- data: {data.get('path', '-')} (split `{data.get('split', '-')}`, n = {data.get('n', '-')})",
             f"- data SHA-256: `{data.get('sha256', '-')}`",
             f"- data licence: {data.get('licence', '-')}",
             f"- weights SHA-256: `{card.get('weights_sha256')}`", ""]
    measures = card.get("measures") or {}
    if measures:
        lines += [f"## Measures on {measures.get('data', '-')} (split `{measures.get('split', '-')}`, "
                  f"n = {measures.get('n', '-')}, not trained on)", "", "| measure | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |"
                  for k, v in flatten_measures(measures.get("values", {})).items()]
        lines.append("")
    if card.get("notes"):
        lines += [card["notes"], ""]
    return "\n".join(lines)


def add_measures(model_dir: str | Path, measures: Mapping[str, Any]) -> dict[str, Any]:
    """Record measures taken after training (on data the model did not learn from) in its card."""
    model_dir = Path(model_dir)
    card = load_card(model_dir)
    card["measures"] = dict(measures)
    (model_dir / CARD_FILE).write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (model_dir / "README.md").write_text(_card_markdown(card), encoding="utf-8")
    return card


def load_card(model_dir: str | Path) -> dict[str, Any]:
    path = Path(model_dir) / CARD_FILE
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{model_dir} is not a model directory (no {CARD_FILE})") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"unreadable model card {path}: {exc}") from None
    if not isinstance(card, dict) or "task" not in card:
        raise ConfigError(f"model card {path} has no task")
    return card


@dataclass(frozen=True, slots=True)
class InstalledModel:
    task: str
    name: str
    path: Path
    card: Mapping[str, Any]
    shipped: bool


def installed_models(task: str | None = None) -> Iterator[InstalledModel]:
    """Shipped models first, then the user's, each with its card."""
    for root, shipped in ((shipped_models_dir(), True), (user_models_dir(), False)):
        if not root.is_dir():
            continue
        for card_path in sorted(root.glob(f"{task or '*'}/*/{CARD_FILE}")):
            try:
                card = load_card(card_path.parent)
            except ConfigError:
                continue
            yield InstalledModel(card["task"], card_path.parent.name, card_path.parent, card, shipped)


def resolve_model(task: str, model: str | Path | None, *, default: str | None = None) -> Path:
    """The directory of ``model`` (a directory, or a model name for ``task``), else the default."""
    wanted = model or default
    if wanted is None:
        raise ConfigError(f"no model given for {task} and it has no default")
    as_path = Path(wanted)
    if (as_path / CARD_FILE).is_file():
        card = load_card(as_path)
        if card["task"] != task:
            raise ConfigError(f"model {as_path} is for task {card['task']!r}, not {task!r}")
        return as_path
    for found in installed_models(task):
        if found.name == str(wanted):
            return found.path
    names = sorted(m.name for m in installed_models(task))
    raise ConfigError(f"no {task} model {str(wanted)!r} (a directory with {CARD_FILE}, or one of: "
                      f"{', '.join(names) or 'none installed'})")
