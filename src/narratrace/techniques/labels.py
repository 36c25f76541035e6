"""The technique inventory: the 14 classes of SemEval-2020 Task 11, read from a data file.

``labels.txt`` holds the class strings exactly as the task spells them, with a readable name;
``semeval2023.tsv`` maps the 23 techniques of SemEval-2023 Task 3 onto them, so data labelled
with the newer inventory can be read (:func:`map_semeval2023`).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from narratrace.errors import ConfigError

__all__ = ["DISPLAY", "TECHNIQUES", "display_name", "map_semeval2023", "normalise", "semeval2023_mapping"]


def _data_file(name: str) -> Path:
    return Path(str(resources.files("narratrace") / "data" / "techniques" / name))


def _rows(name: str) -> list[list[str]]:
    lines = _data_file(name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]


@functools.lru_cache(maxsize=1)
def _labels() -> tuple[tuple[str, ...], dict[str, str]]:
    rows = _rows("labels.txt")
    return tuple(r[0] for r in rows), {r[0]: (r[1] if len(r) > 1 else r[0]) for r in rows}


TECHNIQUES: tuple[str, ...] = _labels()[0]
#: Class string -> the name shown to readers ("Loaded_Language" -> "Loaded language").
DISPLAY: dict[str, str] = _labels()[1]


def display_name(technique: str) -> str:
    return DISPLAY.get(technique, technique.replace("_", " "))


@functools.lru_cache(maxsize=1)
def semeval2023_mapping() -> dict[str, tuple[str | None, str]]:
    """SemEval-2023 label -> (SemEval-2020 class or None, relation)."""
    out: dict[str, tuple[str | None, str]] = {}
    for row in _rows("semeval2023.tsv"):
        new, old, relation = (row + ["", ""])[:3]
        if old and old not in TECHNIQUES:
            raise ConfigError(f"semeval2023.tsv maps {new!r} to unknown class {old!r}")
        out[new] = (old or None, relation)
    return out


def map_semeval2023(label: str) -> str | None:
    """The 2020 class of a 2023 technique (None: no counterpart); a 2020 class maps to itself."""
    if label in TECHNIQUES:
        return label
    mapping = semeval2023_mapping()
    if label not in mapping:
        raise ConfigError(f"unknown technique {label!r}: neither a SemEval-2020 nor a SemEval-2023 label")
    return mapping[label][0]


def normalise(label: str) -> str:
    """A technique label as written in data or a lexicon -> its 2020 class string."""
    mapped = map_semeval2023(label.strip())
    if mapped is None:
        raise ConfigError(f"technique {label!r} has no SemEval-2020 counterpart")
    return mapped
