"""What every technique model offers: find spans in a text, and classify given spans."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from narratrace.model import Span
from narratrace.text import paragraph_spans, sentence_spans

__all__ = ["Hit", "TechniqueModel", "clauses", "sentences_of", "tokens", "trim"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One technique found at ``[start, end)`` of a text, with a confidence in 0..1."""

    start: int
    end: int
    technique: str
    score: float

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "technique": self.technique, "score": round(self.score, 3)}


class TechniqueModel(Protocol):
    name: str
    min_score: float   # hits scored below it are not reported (the stage's min_score overrides it)

    def detect(self, text: str, sentences: Sequence[Span] | None = None) -> list[Hit]:
        """Spans of ``text`` that use a technique (overlaps allowed, several techniques per span)."""
        ...

    def classify(self, text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[str, float]]]:
        """For each given span, every technique with its score, best first."""
        ...


_TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*|[^\w\s]")
_TRIM = " \t\r\n\ufeff.,:;"


def tokens(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Word and punctuation tokens of ``text[start:end]`` as absolute ``(start, end)`` offsets."""
    end = len(text) if end is None else end
    return [(m.start() + start, m.end() + start) for m in _TOKEN.finditer(text[start:end])]


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without leading/trailing whitespace and ``.,:;`` (PTC's trimming rule)."""
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def sentences_of(text: str, sentences: Sequence[Span] | None = None) -> list[tuple[int, int]]:
    """The given sentence spans, or the text's own (narratrace's sentence splitter, per line)."""
    if sentences:
        return [(s.start, s.end) for s in sentences]
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        sub = line.group()
        for s in sentence_spans(sub, paragraph_spans(sub)):
            out.append((line.start() + s.start, line.start() + s.end))
    return out


_CLAUSE_SEP = re.compile(r"[;:]\s|\s[–—]\s|\s-\s")


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The clauses of a sentence span: cut at ``;`` ``:`` and spaced dashes."""
    out = []
    pos = start
    for m in _CLAUSE_SEP.finditer(text, start, end):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, end))
    return [c for c in out if c[1] > c[0]]
