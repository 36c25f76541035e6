"""Reading the Propaganda Techniques Corpus format (SemEval-2020 Task 11).

A PTC folder holds ``article<ID>.txt`` files (UTF-8; offsets are code points into the text
read as is, a BOM included) and tab-separated labels: technique classification
``<ID>\\t<technique>\\t<start>\\t<end>`` (``*.task2-TC.labels``, one file per article or one
concatenated file) and optionally span identification ``<ID>\\t<start>\\t<end>``
(``*.task1-SI.labels``). Accepted layouts: the organisers' ``datasets/`` folder
(``train-articles/``, ``train-labels-task2-technique-classification/``,
``train-labels-task1-span-identification/``, or ``train-task2-TC.labels``), or one folder with
the articles and their label files side by side. Without SI labels, the gold SI spans are the
TC spans (overlaps merged when scoring). SemEval-2023 technique names are mapped onto the 14
classes (``semeval2023.tsv``); techniques without a 2020 counterpart are dropped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from narratrace.errors import ConfigError, InputError
from narratrace.evaluation import in_split
from narratrace.techniques.labels import map_semeval2023

__all__ = ["PtcArticle", "PtcLabel", "ptc_files", "read_ptc"]

_ARTICLE = re.compile(r"^article(.+)\.txt$")


@dataclass(frozen=True, slots=True)
class PtcLabel:
    technique: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PtcArticle:
    id: str
    text: str
    labels: tuple[PtcLabel, ...]                  # TC instances
    si: tuple[tuple[int, int], ...]               # SI spans (the TC spans when no SI file)
    dropped: int = 0                              # labels without a SemEval-2020 class
    path: str = field(default="", compare=False)


def ptc_files(root: Path) -> list[Path]:
    """The article files of a PTC folder, sorted by id."""
    if root.is_file():
        raise InputError(f"{root} is a file; give the PTC folder (articles and label files)", path=str(root))
    files = sorted(p for p in root.rglob("article*.txt") if _ARTICLE.match(p.name))
    if not files:
        raise InputError(f"{root} holds no article<ID>.txt files: not a PTC folder", path=str(root))
    return files


def _label_lines(root: Path, kind: str) -> dict[str, list[list[str]]]:
    """``{article id: [fields...]}`` from every ``*.{kind}.labels`` file (per article or concatenated)."""
    suffix = {"TC": "task2-TC.labels", "SI": "task1-SI.labels"}[kind]
    per_file = sorted(root.rglob(f"*.{suffix}"))
    joined = sorted(p for p in root.rglob(f"*-{suffix}") if p.is_file())
    files = per_file or joined  # both exist in the organisers' folder: they hold the same labels
    out: dict[str, list[list[str]]] = {}
    width = 4 if kind == "TC" else 3
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            fields = line.rstrip("\r").split("\t")
            if len(fields) != width:
                raise InputError(f"{path}:{n}: expected {width} tab-separated fields, found {len(fields)}",
                                 path=str(path))
            out.setdefault(fields[0].strip(), []).append(fields)
    return out


def _offsets(fields: list[str], text: str, where: str) -> tuple[int, int]:
    try:
        start, end = int(fields[-2]), int(fields[-1])
    except ValueError:
        raise InputError(f"{where}: offsets {fields[-2]!r}, {fields[-1]!r} are not integers", path=where) from None
    if not 0 <= start < end <= len(text):
        raise InputError(f"{where}: span [{start}, {end}) is outside the article ({len(text)} characters)",
                         path=where)
    return start, end


def read_ptc(root: str | Path, *, split: str = "all", limit: int | None = None) -> Iterator[PtcArticle]:
    """The articles of a PTC folder in ``split`` (by article id), with their gold labels."""
    root = Path(root)
    files = ptc_files(root)
    tc = _label_lines(root, "TC")
    si = _label_lines(root, "SI")
    if not tc and not si:
        raise InputError(f"{root} has articles but no *.task2-TC.labels or *.task1-SI.labels files",
                         path=str(root))
    seen = 0
    for path in files:
        doc = _ARTICLE.match(path.name).group(1)  # type: ignore[union-attr]
        if not in_split(doc, split):
            continue
        if limit is not None and seen >= limit:
            return
        seen += 1
        with open(path, encoding="utf-8", newline="") as fh:  # offsets count the BOM and \r as written
            text = fh.read()
        labels = []
        dropped = 0
        for fields in tc.get(doc, []):
            where = f"{path.name} label {fields!r}"
            start, end = _offsets(fields, text, where)
            try:
                technique = map_semeval2023(fields[1].strip())
            except ConfigError as exc:
                raise InputError(f"{where}: {exc.message}", path=str(path)) from None
            if technique is None:
                dropped += 1
                continue
            labels.append(PtcLabel(technique, start, end))
        if doc in si:
            spans = tuple(_offsets(f, text, f"{path.name} SI label {f!r}") for f in si[doc])
        else:
            spans = tuple((lab.start, lab.end) for lab in labels)
        yield PtcArticle(doc, text, tuple(labels), spans, dropped, str(path))
