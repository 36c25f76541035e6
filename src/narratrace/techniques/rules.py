"""The shipped default: a lexicon of patterns written for this project, plus repetition.

Each lexicon line names a technique, a weight, a scope and a regular expression
(``lexicon.tsv`` in the model directory; its header documents the columns). A ``word`` match is
itself the span ("Kiev regime"); a ``clause`` match marks the clause around it (the stretch of
its sentence between ``;``, ``:`` and spaced dashes), since appeals to fear, doubt or causal
oversimplification are statements, not words. Repetition: a loaded phrase or name-calling label
used three times or more in an article is marked as repetition from its second use on.

Classification of given spans (``classify``) scores each technique by the lexicon matches
inside the span, then by form: a phrase repeated in the article (repetition), a question
(doubt), and, with no pattern, by length (short spans are mostly loaded language or labels,
long ones doubt or appeals to fear — the shape of the PTC annotation guidelines).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from narratrace.errors import ConfigError
from narratrace.model import Span
from narratrace.techniques.base import Hit, clauses, sentences_of, tokens, trim
from narratrace.techniques.labels import TECHNIQUES, normalise

__all__ = ["Pattern", "RulesModel", "read_lexicon"]

WORD_LEVEL = ("Loaded_Language", "Name_Calling,Labeling")
#: Only phrases at least this sure count towards repetition.
REPEATED_MIN = 0.5


@dataclass(frozen=True, slots=True)
class Pattern:
    technique: str
    weight: float
    scope: str
    regex: re.Pattern[str]
    line: int


def read_lexicon(path: Path) -> list[Pattern]:
    """Parse and compile ``lexicon.tsv``; a bad line is a :class:`ConfigError` naming it."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            raise ConfigError(f"{path}:{n}: expected 5 tab-separated fields, found {len(fields)}")
        technique, weight, scope, flags, pattern = fields
        try:
            technique = normalise(technique)
            w = float(weight)
            regex = re.compile(rf"(?<![\w’'-])(?:{pattern})(?![\w-])", re.IGNORECASE if "i" in flags else 0)
        except (ValueError, re.error) as exc:
            raise ConfigError(f"{path}:{n}: {exc}") from None
        except ConfigError as exc:
            raise ConfigError(f"{path}:{n}: {exc.message}") from None
        if scope not in ("word", "clause") or not 0.0 <= w <= 1.0:
            raise ConfigError(f"{path}:{n}: scope must be word or clause and weight in 0..1")
        out.append(Pattern(technique, w, scope, regex, n))
    if not out:
        raise ConfigError(f"{path} holds no patterns")
    return out


class RulesModel:
    """Lexicon and pattern detector (see the module docstring)."""

    #: Hits below this weight only help classification; they are not reported.
    min_score = 0.5

    def __init__(self, directory: Path, *, name: str = "rules") -> None:
        self.name = name
        self.patterns = read_lexicon(directory / "lexicon.tsv")
        #: other languages' lexicons, ``lexicon.XX.tsv`` beside the English one
        self.by_language = {path.name.split(".")[1]: read_lexicon(path)
                            for path in sorted(directory.glob("lexicon.*.tsv"))}

    @property
    def languages(self) -> tuple[str, ...]:
        return ("en", *self.by_language)

    def for_language(self, language: str) -> RulesModel:
        """The same rules over ``language``'s lexicon (the English one for English); the clause,
        repetition and span rules are the language-independent part."""
        if language == "en" or language not in self.by_language:
            return self
        other = copy.copy(self)
        other.patterns = self.by_language[language]
        return other

    # -- detection -----------------------------------------------------------------------------
    def _matches(self, text: str, start: int, end: int) -> list[tuple[int, int, Pattern]]:
        found = []
        for p in self.patterns:
            for m in p.regex.finditer(text, start, end):
                if m.end() > m.start():
                    found.append((m.start(), m.end(), p))
        return found

    def detect(self, text: str, sentences: Sequence[Span] | None = None) -> list[Hit]:
        best: dict[tuple[int, int, str], float] = {}
        word_hits: list[tuple[int, int, str, float]] = []
        for s_start, s_end in sentences_of(text, sentences):
            for c_start, c_end in clauses(text, s_start, s_end):
                for m_start, m_end, p in self._matches(text, c_start, c_end):
                    a, b = (m_start, m_end) if p.scope == "word" else (c_start, c_end)
                    a, b = trim(text, a, b)
                    if b <= a:
                        continue
                    key = (a, b, p.technique)
                    best[key] = max(best.get(key, 0.0), p.weight)
                    if p.scope == "word" and p.technique in WORD_LEVEL and p.weight >= REPEATED_MIN:
                        word_hits.append((a, b, p.technique, p.weight))
        hits = _drop_nested(best)
        hits += _repetitions(text, word_hits)
        hits.sort(key=lambda h: (h.start, h.end, h.technique))
        return hits

    # -- classification of given spans ---------------------------------------------------------
    def classify(self, text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[str, float]]]:
        lowered = text.casefold()
        out = []
        for start, end in spans:
            scores = dict.fromkeys(TECHNIQUES, 0.0)
            for m_start, m_end, p in self._matches(text, start, end):
                # a clause pattern says more about a long span, a word pattern about a short one
                fit = 1.0 if (p.scope == "word") == (m_end - m_start >= 0.5 * (end - start)) else 0.8
                scores[p.technique] = max(scores[p.technique], p.weight * fit)
            piece = lowered[start:end].strip()
            n_words = len([t for t in tokens(text, start, end) if text[t[0]].isalnum()])
            if len(piece) >= 3 and n_words <= 5:
                uses = len(re.findall(rf"(?<!\w){re.escape(piece)}(?!\w)", lowered))
                if uses >= 3:
                    scores["Repetition"] = max(scores["Repetition"], 0.72)
                elif uses == 2:
                    scores["Repetition"] = max(scores["Repetition"], 0.45)
            if "?" in text[start:end + 1]:
                scores["Doubt"] = max(scores["Doubt"], 0.5)
            for technique, prior in _priors(n_words, text[start:end]):
                scores[technique] = max(scores[technique], prior)
            out.append(sorted(scores.items(), key=lambda kv: (-kv[1], TECHNIQUES.index(kv[0]))))
        return out


def _priors(n_words: int, piece: str) -> list[tuple[str, float]]:
    """Fallback scores by the span's form when no pattern says anything better."""
    if n_words <= 2:
        capital = piece[:1].isupper() or piece.casefold().startswith(("the ", "a ", "an "))
        return [("Name_Calling,Labeling", 0.32 if capital else 0.2), ("Loaded_Language", 0.3 if capital else 0.35)]
    if n_words <= 6:
        return [("Loaded_Language", 0.3), ("Name_Calling,Labeling", 0.25), ("Exaggeration,Minimisation", 0.2)]
    if n_words <= 14:
        return [("Doubt", 0.22), ("Exaggeration,Minimisation", 0.2), ("Loaded_Language", 0.18),
                ("Appeal_to_fear-prejudice", 0.17)]
    return [("Doubt", 0.25), ("Appeal_to_fear-prejudice", 0.22), ("Causal_Oversimplification", 0.2),
            ("Appeal_to_Authority", 0.18)]


def _drop_nested(best: dict[tuple[int, int, str], float]) -> list[Hit]:
    """One hit per technique and place: a span inside a longer one of the same technique goes."""
    by_technique: dict[str, list[tuple[int, int, float]]] = {}
    for (a, b, t), w in best.items():
        by_technique.setdefault(t, []).append((a, b, w))
    out = []
    for t, spans in by_technique.items():
        spans.sort(key=lambda x: (x[0], -x[1]))
        kept: list[list[float]] = []
        for a, b, w in spans:
            if kept and a < kept[-1][1]:  # overlaps the previous one: join them, keep the best weight
                kept[-1][1] = max(kept[-1][1], b)
                kept[-1][2] = max(kept[-1][2], w)
            else:
                kept.append([a, b, w])
        out += [Hit(int(a), int(b), t, w) for a, b, w in kept]
    return out


def _repetitions(text: str, word_hits: list[tuple[int, int, str, float]]) -> list[Hit]:
    """Later uses of a loaded phrase or label used at least three times in the text."""
    uses: dict[str, list[tuple[int, int, float]]] = {}
    for a, b, _, w in sorted(set(word_hits)):
        uses.setdefault(text[a:b].casefold(), []).append((a, b, w))
    out = []
    for places in uses.values():
        places = sorted(set(places))
        if len(places) >= 3:
            out += [Hit(a, b, "Repetition", min(0.9, 0.5 + 0.05 * len(places))) for a, b, _ in places[1:]]
    return out
