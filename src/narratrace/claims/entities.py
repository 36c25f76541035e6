"""Entities with canonical forms: an alias table, acronyms an article defines, and spaCy's NER.

The alias table (``data/aliases.tsv``, extensible with a user TSV in the same format) maps the
spellings of one entity to its corpus-wide canonical form (``SVR`` for "Foreign Intelligence
Service of Russia", "SVR RF", ...). Matching folds what news text varies on: case (except for
all-capitals aliases such as ``US`` and ``IS``, matched exactly), typographic quotes, hyphens
against spaces, diacritics, a possessive ``'s``. An article's own definitions ("Popular
Mobilization Units (PMU)") become aliases within that article only.

:func:`resolve_mentions` merges the table's matches with spaCy's entities (longest first, the table
winning ties) and gives every mention a canonical form: the table's, the full name of a person the
article names ("Konashenkov", "Ms Geller" → "Igor Konashenkov", "Pamela Geller"), or the cleaned
text of the first mention with the same :func:`entity_key`.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from narratrace.errors import ConfigError

__all__ = ["AliasEntry", "AliasTable", "EntityMention", "SOURCE_KINDS", "default_aliases", "entity_key",
           "find_acronym_definitions", "load_aliases", "resolve_mentions"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

#: The kinds of source an attribution (and an alias-table entry) may have.
SOURCE_KINDS = ("person", "organisation", "government", "media", "social_media", "anonymous", "none")
#: Entity labels that name something (as opposed to dates and quantities).
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART",
                         "LAW", "LANGUAGE"})

# A word: an abbreviation with dots ("U.S.", "N.A.T.O.") or a run of letters/digits.
_WORD = re.compile(r"[^\W_](?:\.[^\W_])+\.?|[^\W_]+")
_FOLD = str.maketrans({"ı": "i", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "ß": "ss", "đ": "d",
                       "Đ": "D", "ł": "l", "Ł": "L", "ð": "d", "þ": "th"})
_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "“": '"', "”": '"', "«": '"',
                         "»": '"', "„": '"', "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-"})
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$")
_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_ACRONYM = re.compile(r"\(\s*([A-Z][A-Z0-9&.\-]{1,9}(?: [A-Z]{2,5})?)\s*\)")
_CONNECTORS = frozenset({"of", "the", "for", "and", "de", "du", "des", "al", "el", "on", "in", "an", "ad"})
#: A courtesy title before a surname ("Ms Geller", "Dr. Okafor"): the name is a person's.
HONORIFIC = re.compile(r"(?:Ms|Mr|Mrs|Miss|Mx|Dr|Prof)\.?\s+(?=[A-Z])")


def _fold(word: str) -> str:
    """Lower-case, diacritics and dots removed: the form words are compared in."""
    word = word.translate(_FOLD).replace(".", "")
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return word.lower()


def _words(text: str) -> list[str]:
    return [_fold(m.group()) for m in _WORD.finditer(text)]


def clean_name(text: str) -> str:
    """A mention as a canonical form: quotes unified, spaces collapsed, no leading "the", no possessive."""
    text = " ".join(text.translate(_QUOTES).split())
    text = _LEADING_THE.sub("", text)
    text = _POSSESSIVE.sub("", text).strip(" ,;:-\"'()[]")
    return text


def entity_key(text: str) -> str:
    """Key under which spellings of one name compare equal (case, quotes, hyphens, "the", possessive).

    ``entity_key("the Al-Tanf's") == entity_key("al Tanf") == "al tanf"``; use it to group
    canonical forms across articles when the alias table does not know an entity.
    """
    words = _words(_POSSESSIVE.sub("", text.strip().translate(_QUOTES).rstrip(" .,;:")))
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class AliasEntry:
    """One canonical entity: its form, entity label and (when known) the kind of source it is."""

    canonical: str
    label: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class _Variant:
    exact: tuple[str, ...] | None  # case-sensitive words (dots removed), for all-capitals aliases
    capitalised: bool               # the alias starts with a capital: only capitalised text matches
    entry: AliasEntry


@dataclass(slots=True)
class AliasTable:
    """Spellings → canonical entities; build with :func:`load_aliases` or :func:`default_aliases`."""

    entries: dict[str, AliasEntry] = field(default_factory=dict)  # canonical -> entry
    _by_key: dict[str, AliasEntry] = field(default_factory=dict)
    _by_exact: dict[str, AliasEntry] = field(default_factory=dict)
    _index: dict[str, list[tuple[tuple[str, ...], list[_Variant]]]] = field(default_factory=dict)

    def add(self, canonical: str, aliases: Iterable[str] = (), *, label: str | None = None,
            kind: str | None = None) -> AliasEntry:
        """Add (or extend) an entity; a later entry for the same canonical replaces label and kind."""
        canonical = canonical.strip()
        if not canonical:
            raise ConfigError("alias table: empty canonical form")
        if kind is not None and kind not in SOURCE_KINDS:
            raise ConfigError(f"alias table: unknown source kind {kind!r} for {canonical!r}; "
                              f"expected one of {', '.join(SOURCE_KINDS)}")
        old = self.entries.get(canonical)
        entry = AliasEntry(canonical, label or (old.label if old else None), kind or (old.kind if old else None))
        self.entries[canonical] = entry
        if old is not None and old != entry:  # re-point the old entry's spellings at the new one
            for d in (self._by_key, self._by_exact):
                for k, v in d.items():
                    if v is old:
                        d[k] = entry
            for cands in self._index.values():
                for _, variants in cands:
                    variants[:] = [_Variant(v.exact, v.capitalised, entry) if v.entry is old else v
                                   for v in variants]
        for alias in (canonical, *aliases):
            self._add_alias(alias.strip(), entry)
        return entry

    def _add_alias(self, alias: str, entry: AliasEntry) -> None:
        alias = alias.translate(_QUOTES)
        raw = [m.group().replace(".", "") for m in _WORD.finditer(alias)]
        if not raw:
            return
        exact = not any(c.islower() for c in alias)
        if exact:
            self._by_exact[" ".join(raw)] = entry
        else:
            self._by_key[entity_key(alias)] = entry
        folded = tuple(_fold(w) for w in raw)
        variant = _Variant(tuple(raw) if exact else None, alias[0].isupper(), entry)
        cands = self._index.setdefault(folded[0], [])
        for words, variants in cands:
            if words == folded:
                variants[:] = [v for v in variants if v.exact != variant.exact or v.entry is not entry
                               or v.capitalised != variant.capitalised] + [variant]
                break
        else:
            cands.append((folded, [variant]))
            cands.sort(key=lambda c: -len(c[0]))

    def merged(self, other: AliasTable) -> AliasTable:
        """A new table: this one with ``other``'s entries added over it."""
        table = AliasTable()
        for src in (self, other):
            for canonical, aliases, label, kind in src._rows():
                table.add(canonical, aliases, label=label, kind=kind)
        return table

    def _rows(self) -> Iterator[tuple[str, list[str], str | None, str | None]]:
        aliases: dict[str, list[str]] = {c: [] for c in self.entries}
        for cands in self._index.values():
            for words, variants in cands:
                for v in variants:
                    aliases[v.entry.canonical].append(" ".join(v.exact) if v.exact else
                                                      " ".join(words).title() if v.capitalised else " ".join(words))
        for canonical, entry in self.entries.items():
            yield canonical, aliases[canonical], entry.label, entry.kind

    def lookup(self, text: str) -> AliasEntry | None:
        """The entry a mention's text names, or None ("the SVR's" → SVR; "U.S." → United States)."""
        t = _POSSESSIVE.sub("", " ".join(text.translate(_QUOTES).split()).strip(" .,;:\"'()"))
        t = _LEADING_THE.sub("", t)
        exact = " ".join(m.group().replace(".", "") for m in _WORD.finditer(t))
        return self._by_exact.get(exact) or self._by_key.get(entity_key(t))

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, AliasEntry]]:
        """Non-overlapping ``(start, end, entry)`` of alias matches in ``text[start:end]``, longest first."""
        matches = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text, start, len(text) if end is None else end)]
        folded = [_fold(w) for _, _, w in matches]
        found: list[tuple[int, int, AliasEntry]] = []
        i = 0
        n = len(matches)
        while i < n:
            hit = None
            for words, variants in self._index.get(folded[i], ()):
                k = len(words)
                if i + k > n or tuple(folded[i:i + k]) != words:
                    continue
                # a name does not run across a line break or a sentence end
                if k > 1 and re.search(r"[\n!?;]", text[matches[i][1]:matches[i + k - 1][0]]):
                    continue
                for v in variants:
                    if v.exact is not None:
                        if tuple(w.replace(".", "") for _, _, w in matches[i:i + k]) != v.exact:
                            continue
                        if len("".join(v.exact)) <= 2 and shouting(text, matches[i][0]):
                            continue
                    elif v.capitalised and not _capitalised(matches[i:i + k], folded[i:i + k]):
                        continue
                    hit = (matches[i][0], matches[i + k - 1][1], v.entry, k)
                    break
                if hit:
                    break
            if hit:
                found.append(hit[:3])
                i += hit[3]
            else:
                i += 1
        return found

    def __len__(self) -> int:
        return len(self.entries)


def _capitalised(words: Sequence[tuple[int, int, str]], folded: Sequence[str]) -> bool:
    """Whether the first word after a leading "the" starts with a capital ("the Guardian", not "the guardian")."""
    j = 1 if len(words) > 1 and folded[0] == "the" else 0
    return words[j][2][0].isupper()


def shouting(text: str, pos: int) -> bool:
    """Whether the line around ``pos`` is mostly capitals (a headline or "LEAVE A REPLY"), where
    two-letter acronyms such as "IS" or "US" are ordinary words."""
    a = text.rfind("\n", 0, pos) + 1
    b = text.find("\n", pos)
    line = text[a:b if b >= 0 else len(text)]
    letters = [c for c in line if c.isalpha()]
    return len(letters) > 6 and sum(c.isupper() for c in letters) > 0.7 * len(letters)


def load_aliases(path: str | Path) -> AliasTable:
    """Read an alias TSV: ``canonical<TAB>alias|alias|...[<TAB>label[<TAB>source kind]]``; ``#`` comments."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read alias table {path}: {exc}") from exc
    return _parse(lines, str(path))


def _parse(lines: Sequence[str], where: str) -> AliasTable:
    table = AliasTable()
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.rstrip("\n").split("\t")
        if len(cols) > 4:
            raise ConfigError(f"{where}:{n}: expected at most 4 tab-separated columns, got {len(cols)}")
        cols += [""] * (4 - len(cols))
        canonical, aliases, label, kind = (c.strip() for c in cols)
        try:
            table.add(canonical, [a for a in aliases.split("|") if a.strip()],
                      label=label or None, kind=kind or None)
        except ConfigError as exc:
            raise ConfigError(f"{where}:{n}: {exc.message}") from exc
    return table


@functools.cache
def default_aliases() -> AliasTable:
    """The alias table shipped with narratrace (``narratrace/data/aliases.tsv``), read once."""
    text = resources.files("narratrace").joinpath("data/aliases.tsv").read_text(encoding="utf-8")
    return _parse(text.splitlines(), "narratrace/data/aliases.tsv")


@dataclass(frozen=True, slots=True)
class EntityMention:
    """A mention with character offsets, its label, canonical form and, when known, source kind."""

    start: int
    end: int
    label: str
    canonical: str
    kind: str | None = None
    how: str = "ner"  # "alias", "acronym" or "ner"


def find_acronym_definitions(text: str, mentions: Sequence[tuple[int, int, str]], table: AliasTable
                             ) -> list[tuple[str, str, AliasEntry]]:
    """``(acronym, long name, entry)`` for each "Long Name (ACR)" in ``text``.

    ``mentions`` are ``(start, end, label)`` of names already found, so the long name is the one
    ending right before the parenthesis; failing that, the run of capitalised words before it.
    The entry is the table's for the long name, else the table's for the acronym, else a new
    entity named by the long name.
    """
    ends = {e: (s, lab) for s, e, lab in mentions}
    out = []
    for m in _ACRONYM.finditer(text):
        acr = m.group(1)
        if sum(c.isupper() for c in acr) < 2:
            continue
        j = m.start()
        while j > 0 and text[j - 1] in " \t":
            j -= 1
        if j in ends:
            s, label = ends[j]
        else:
            s, label = _capitalised_run(text, j), "ORG"
        if s is None or s >= j:
            continue
        spelled = _spelled_from(text, s, j, acr)
        if spelled != s and label in ("WORK_OF_ART", "PRODUCT", "EVENT", "LAW"):
            label = "ORG"  # the tagger's span ran over the name: its label is no better than its span
        s = spelled
        long = text[s:j]
        if entity_key(long) == entity_key(acr):
            continue
        entry = table.lookup(long) or table.lookup(acr)
        if entry is None:
            entry = AliasEntry(clean_name(long), label, None)
        elif entry.label is None:
            entry = AliasEntry(entry.canonical, label, entry.kind)
        out.append((acr, long, entry))
    return out


def _spelled_from(text: str, start: int, end: int, acronym: str) -> int:
    """The start of the shortest end of ``text[start:end]`` whose initials spell ``acronym`` (connectors
    such as "and", "of" may be skipped), else ``start``: the tagger's "Facebook claims the National
    Aeronautics and Space Administration" before "(NASA)" is the agency's name from "National"."""
    letters = [c for c in acronym.upper() if c.isalpha()]
    words = list(re.finditer(r"[^\W_][\w\-'’]*", text[start:end]))
    for i in range(len(words) - 1, -1, -1):
        if words[i].group().lower() in _CONNECTORS:
            continue
        initials = [w.group()[0].upper() for w in words[i:] if w.group().lower() not in _CONNECTORS]
        every = [w.group()[0].upper() for w in words[i:]]
        if initials == letters or every == letters:
            return start + words[i].start()
        if len(initials) > len(letters):
            break
    return start


def _capitalised_run(text: str, end: int) -> int | None:
    """Start of the run of capitalised words (with "of", "the", "al"...) ending at ``end``."""
    words = list(re.finditer(r"[^\W_][\w\-'’]*", text[max(0, end - 160):end]))
    base = max(0, end - 160)
    start = None
    capitals = 0
    for w in reversed(words):
        if text[base + w.end():end if start is None else start].strip(" \t-"):
            break  # something other than spaces between this word and the run
        word = w.group()
        if re.search(r"['’]s$", word):
            break
        if word[0].isupper():
            capitals += 1
        elif word.lower() not in _CONNECTORS:
            break
        start = base + w.start()
        if capitals >= 8:
            break
    if start is None or capitals < 2:
        return None
    while True:  # no leading connector ("the Syrian Arab Army" -> "Syrian Arab Army")
        first = re.match(r"[^\W_][\w\-'’]*\s*", text[start:end])
        if first and not first.group()[0].isupper():
            start += first.end()
        else:
            break
    return start


def resolve_mentions(text: str, ner: Sequence[tuple[int, int, str]], table: AliasTable) -> list[EntityMention]:
    """Entity mentions of one article: alias matches and spaCy's ``(start, end, label)``, merged.

    Overlaps are settled longest first (the alias table wins ties); each mention gets the
    canonical form described in the module docstring.
    """
    ner = [t for t in (_trim(text, s, e, lab) for s, e, lab in ner) if t is not None]
    candidates: list[tuple[int, int, int, str, AliasEntry | None, str]] = []
    for s, e, entry in table.find(text):
        s = _with_the(text, s, entry)
        candidates.append((s, e, 0, entry.label or "ORG", entry, "alias"))
    # acronyms this article defines, then their other occurrences
    local = AliasTable()
    defs = find_acronym_definitions(text, [(s, e, lab) for s, e, _, lab, _, _ in candidates] + list(ner), table)
    for acr, long, entry in defs:
        local.add(entry.canonical, [acr, long], label=entry.label, kind=entry.kind)
    if defs:
        for s, e, entry in local.find(text):
            candidates.append((s, e, 1, entry.label or "ORG", entry, "acronym"))
    for s, e, lab in ner:
        candidates.append((s, e, 2, lab, None, "ner"))
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[2], c[0]))
    taken_starts: list[int] = []
    taken_ends: list[int] = []
    chosen = []
    for c in candidates:
        s, e = c[0], c[1]
        i = bisect.bisect_left(taken_starts, s)
        if (i < len(taken_starts) and taken_starts[i] < e) or (i > 0 and taken_ends[i - 1] > s):
            continue
        taken_starts.insert(i, s)
        taken_ends.insert(i, e)
        chosen.append(c)
    chosen.sort(key=lambda c: c[0])

    full_names: dict[str, set[str]] = {}  # last word of a person's name -> full canonical names
    first_form: dict[str, str] = {}
    resolved: list[tuple[int, int, str, AliasEntry | None, str]] = []
    for s, e, _, label, entry, how in chosen:
        if entry is None and label in NAME_LABELS:
            entry = local.lookup(text[s:e]) or table.lookup(text[s:e])
            if entry is not None:
                how = "alias"
                label = entry.label or label
        resolved.append((s, e, label, entry, how))
        canonical = entry.canonical if entry else clean_name(text[s:e])
        if label == "PERSON" and len(canonical.split()) > 1 and not HONORIFIC.match(canonical):
            full_names.setdefault(_fold(canonical.split()[-1]), set()).add(canonical)
    out = []
    for s, e, label, entry, how in resolved:
        kind = entry.kind if entry else None
        if entry is not None:
            canonical = entry.canonical
        elif label in NAME_LABELS:
            canonical = clean_name(text[s:e]) or text[s:e]
            titled = HONORIFIC.match(canonical)
            surname = canonical[titled.end():] if titled else canonical
            names = full_names.get(_fold(surname)) if label in ("PERSON", "ORG", "GPE", "NORP") \
                and " " not in surname else None
            if names and len(names) == 1:  # "Konashenkov", "Ms Geller" after "Igor Konashenkov", "Pamela Geller"
                canonical = next(iter(names))
                label = "PERSON"
            elif titled:  # "Ms Geller" whoever NER took her for
                label = "PERSON"
            canonical = first_form.setdefault(entity_key(canonical), canonical)
        else:
            canonical = " ".join(text[s:e].split())
        out.append(EntityMention(s, e, label, canonical, kind, how))
    return out


def _with_the(text: str, start: int, entry: AliasEntry) -> int:
    """Include a preceding "the" in a match whose canonical form starts with "The"."""
    if entry.canonical.startswith("The "):
        m = re.search(r"\b[Tt]he\s+$", text[max(0, start - 5):start])
        if m:
            return start - (len(text[max(0, start - 5):start]) - m.start())
    return start


def _trim(text: str, s: int, e: int, label: str) -> tuple[int, int, str] | None:
    """A spaCy entity without surrounding punctuation, a leading "the" or a trailing possessive."""
    while s < e and not text[s].isalnum():
        s += 1
    while e > s and not text[e - 1].isalnum() and text[e - 1] not in ".)":
        e -= 1
    m = re.match(r"(?:the|The)\s+", text[s:e])
    if m and label in NAME_LABELS:
        s += m.end()
    m = re.search(r"['’]s$", text[s:e])
    if m:
        e -= 2
    if e <= s or not any(c.isalnum() for c in text[s:e]):
        return None
    return s, e, label
