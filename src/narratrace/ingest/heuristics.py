"""Metadata recovered from text: title, date, outlet, credits, and language.

:func:`infer_metadata` fills the fields a reader could not know from the *header* of
the text only (its first :data:`HEADER_LINES` non-empty lines), so a date or a name in
the body ("On 29 January 2022 The Cradle reported ...") never becomes metadata. The one
exception is a closing line naming the outlet the piece was written for ("... exclusively
for the online magazine “New Eastern Outlook”."). How each field was found is recorded
in ``meta["inferred"]`` (``{"title": "text:first-line", ...}``) and, for the date, in
``published_how``.

:func:`find_credits` finds explicit credits anywhere in a text ("The original source of
this article is X", "Originally published at X", a lone "By X" line, "Copyright © X"...).
Credited names are the *origin* of a text, never the outlet that republished it, and
the republication stage uses them to tell which of two articles is the original.

:func:`parse_date` turns one date string ("March 06, 2022", "06.03.2022", "6. März 2022",
an ISO datetime, an RFC 2822 date...) into ``YYYY-MM-DD``; readers use it to normalise
dates given in JSONL/CSV fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlsplit

from narratrace.ingest.record import Record
from narratrace.languages import SCRIPT_LANGUAGE, UNDETERMINED, dominant_script, normalize

__all__ = ["HEADER_LINES", "Credit", "credited_date", "detect_language", "find_credits", "find_date",
           "infer_metadata", "parse_date"]

HEADER_LINES = 10
"""How many non-empty lines at the top of a text count as its header."""

FOOTER_LINES = 3
"""How many non-empty lines at the end are searched for "written for <outlet>"."""


def detect_language(text: str) -> str:
    """ISO 639-1 code, or ``und`` (undetermined) when the detectors cannot tell.

    CLD2 first (compiled, ~50 µs per article). When it is unsure: a script that names one
    language (Devanagari, Greek, Hangul ...), or langid.py (``py3langid``, ~0.2 ms) when it is
    confident or agrees with CLD2's best guess and the letters' script fits the guess. Never
    English by default: an English parser over undetected Russian makes noise, not claims.
    """
    import pycld2

    sample = text[:1500]
    try:
        reliable, _, details = pycld2.detect(sample)
        guess = normalize(details[0][1])
    except pycld2.error:
        reliable, guess = False, UNDETERMINED
    if reliable and guess != UNDETERMINED:
        return guess
    script, share = dominant_script(sample)
    if script is None:
        return UNDETERMINED
    by_script = SCRIPT_LANGUAGE.get(script)
    second, confidence = _langid(sample)
    if by_script and share >= 0.5:
        return second if _SCRIPT_OF.get(second) == script else by_script
    if second == UNDETERMINED or _SCRIPT_OF.get(second, "LATIN") != script:
        return UNDETERMINED
    if confidence >= 0.90 or (second == guess and confidence >= 0.5):
        return second
    return UNDETERMINED


#: Script of the languages langid.py names that are not written in Latin letters.
_SCRIPT_OF = {**{code: "CYRILLIC" for code in ("ru", "bg", "uk", "sr", "mk", "be", "kk", "mn", "ky")},
              **{code: "DEVANAGARI" for code in ("hi", "mr", "ne")},
              **{code: "ARABIC" for code in ("ar", "fa", "ur", "ps")},
              **{code: "CJK" for code in ("zh",)},
              **{lang: script for script, lang in SCRIPT_LANGUAGE.items()}}
_SCRIPT_OF["ja"] = "CJK"  # kanji outnumber kana in most Japanese news; kana alone are caught above


def _langid(text: str) -> tuple[str, float]:
    """langid.py's language and normalised probability (loaded once; ``und`` without the package)."""
    global _LANGID
    if _LANGID is None:
        try:
            from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
        except ImportError:
            return UNDETERMINED, 0.0
        _LANGID = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    code, prob = _LANGID.classify(text)
    return normalize(code), float(prob)


_LANGID = None


# --------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "jänner", "janvier", "enero", "ene"),
    2: ("february", "feb", "februar", "février", "fevrier", "févr", "fevr", "febrero"),
    3: ("march", "mar", "märz", "maerz", "marz", "mars", "marzo"),
    4: ("april", "apr", "avril", "abril", "abr"),
    5: ("may", "mai", "mayo"),
    6: ("june", "jun", "juni", "juin", "junio"),
    7: ("july", "jul", "juli", "juillet", "julio"),
    8: ("august", "aug", "août", "aout", "agosto", "ago"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre"),
    11: ("november", "nov", "novembre", "noviembre"),
    12: ("december", "dec", "dezember", "dez", "décembre", "decembre", "diciembre", "dic"),
}
MONTHS: dict[str, int] = {name: num for num, names in _MONTH_NAMES.items() for name in names}
"""Month names (English, German, French, Spanish; full and abbreviated) to month numbers."""

_MONTH = "|".join(re.escape(m) for m in sorted(MONTHS, key=len, reverse=True))
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})?)"
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ymd", re.compile(rf"(?<![\d.])(?P<y>(?:19|20)\d\d)([-/])(?P<m>\d{{1,2}})\2(?P<d>\d{{1,2}}){_TIME}?(?![\d/])")),
    ("dmy", re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>(?:19|20)\d\d)(?![\d.]\d)")),
    ("mdy", re.compile(rf"(?<!\w)(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
                       rf"(?P<y>(?:19|20)\d\d)(?!\d)", re.IGNORECASE)),
    ("dmy-name", re.compile(rf"(?<![\w.])(?P<d>\d{{1,2}})(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?(?P<mon>{_MONTH})\.?,?\s+"
                            rf"(?:de\s+)?(?P<y>(?:19|20)\d\d)(?!\d)", re.IGNORECASE)),
)
_WEEKDAYS = re.compile(
    r"\b(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|"
    r"vendredi|samedi|dimanche|lunes|martes|miércoles|jueves|viernes|sábado|domingo)\b\.?", re.IGNORECASE)
_CLOCK = re.compile(r"\b\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)?\s*(?:utc|gmt|cet|cest|est|edt|"
                    r"pst|pdt|msk|bst|z)?(?!\w)|\b(?:at|um|à|a las)\b", re.IGNORECASE)


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _iter_dates(text: str) -> Iterator[tuple[int, int, str]]:
    """Every valid date in ``text`` as (start, end, ISO), in order of position."""
    found: list[tuple[int, int, str]] = []
    for _, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            month = MONTHS[m["mon"].lower()] if "mon" in pattern.groupindex else int(m["m"])
            iso = _valid(int(m["y"]), month, int(m["d"]))
            if iso:
                found.append((m.start(), m.end(), iso))
    found.sort()
    last_end = -1
    for start, end, iso in found:
        if start >= last_end:
            yield start, end, iso
            last_end = end


def find_date(text: str) -> tuple[int, int, str] | None:
    """The first date in ``text`` as (start, end, ``YYYY-MM-DD``), or None."""
    return next(_iter_dates(text), None)


def parse_date(value: str) -> str | None:
    """``YYYY-MM-DD`` of the first date in a short date string, None if there is none."""
    found = find_date(value[:200])
    return found[2] if found else None


# --------------------------------------------------------------------------------------
# Credits
# --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Credit:
    """An explicit credit in a text: ``name`` is ``text[start:end]``, without quotes.

    A credit given as a URL ("Source: https://www.example.com/a") spans the URL and is
    named by its host (``example.com``).

    ``cue`` says what kind of credit it is: ``original-source``, ``first-published``,
    ``republished``, ``byline``, ``via``, ``source``, ``courtesy`` or ``copyright``.
    """

    name: str
    start: int
    end: int
    cue: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "start": self.start, "end": self.end, "cue": self.cue}


# (cue, pattern ending where the name starts, the name must end its line, words one of which the
# lower-cased text must contain for the pattern to be worth running)
_CREDIT_CUES: tuple[tuple[str, re.Pattern[str], bool, tuple[str, ...]], ...] = (
    ("original-source", re.compile(r"\bthe original source of this (?:article|story|piece|post|report) is[ \t]+",
                                   re.IGNORECASE), False, ("original source",)),
    ("first-published", re.compile(
        r"\bthis (?:article|story|piece|post|report|essay|op-ed|commentary|analysis|interview)[ \t]+"
        r"(?:was|is|has been)[ \t]+(?:first|originally)[ \t]+published[ \t]+(?:by|in|on|at)[ \t]+", re.IGNORECASE),
     False, ("published",)),
    ("first-published", re.compile(r"\b(?:first|originally)[ \t]+published[ \t]+by[ \t]+", re.IGNORECASE), False,
     ("published",)),
    ("first-published", re.compile(r"\boriginally[ \t]+published[ \t]+(?:at|on|in)[ \t]+", re.IGNORECASE), False,
     ("published",)),
    ("first-published", re.compile(r"\b(?:appeared[ \t]+first|first[ \t]+appeared)[ \t]+(?:on|in|at)[ \t]+",
                                   re.IGNORECASE), False, ("appeared",)),
    ("republished", re.compile(
        r"\b(?:republished|reprinted|reposted)[ \t]+(?:from|with[ \t]+(?:the[ \t]+)?(?:kind[ \t]+)?permission"
        r"[ \t]+(?:from|of))[ \t]+", re.IGNORECASE), False, ("republished", "reprinted", "reposted")),
    ("courtesy", re.compile(r"\bcourtesy[ \t]+of[ \t]+", re.IGNORECASE), False, ("courtesy",)),
    ("source", re.compile(r"^[ \t]*(?:sources?|SOURCES?)[ \t]*:[ \t]*", re.MULTILINE | re.IGNORECASE), False,
     ("source",)),
    ("byline", re.compile(r"^[ \t]*(?:By|BY)[ \t]+", re.MULTILINE), True, ("by",)),
    ("via", re.compile(r"^[ \t]*[Vv]ia[ \t]+", re.MULTILINE), True, ("via",)),
    ("copyright", re.compile(r"(?:\b[Cc]opyright\b|\bCOPYRIGHT\b)[ \t]*(?:©|\([cC]\))?[ \t]*|©[ \t]*"), False,
     ("copyright", "©")),
)
_VIA_AT_END = re.compile(r"(?:[(\[]|[–—|][ \t]*)via[ \t]+(?=\S)", re.IGNORECASE)
_YEARS_PREFIX = re.compile(r"(?:(?:19|20)\d\d(?:[ \t]*[-–][ \t]*(?:19|20)\d\d)?[ \t]*,?[ \t]*)")
_CONNECTORS = frozenset({"of", "the", "and", "for", "de", "du", "des", "la", "le", "el", "al", "van", "von",
                         "der", "den", "di", "da", "on", "in", "&", "y", "und", "et"})
_NOT_NAMES = frozenset({
    "this", "that", "these", "those", "it", "its", "we", "our", "you", "your", "he", "she", "they",
    "their", "his", "her", "i", "a", "an", "here", "there", "now", "then", "today", "yesterday", "all",
    "english", "french", "german", "russian", "spanish", "arabic", "chinese", "print", "full",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "june", "july", "august", "september", "october", "november",
    "december",
})
_TOKEN = re.compile(r"[^\s,;:()\[\]|!?\"“”«»]+")
_OPEN_QUOTE = {"“": "”", '"': '"', "«": "»", "„": "“", "‘": "’"}
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_LEADING_THE = re.compile(r"the[ \t]+(?=[A-Z])")
_ABBREV_DOT = re.compile(r"^(?:[A-Z]\.)+$|^(?:Inc|Ltd|Co|Corp|Jr|Sr|St|Dr)\.$")


def _name_at(text: str, pos: int) -> tuple[int, int] | None:
    """Span of a name (up to 6 words) starting at ``pos``: stops at punctuation, line end, dates."""
    line_end = text.find("\n", pos)
    line_end = len(text) if line_end < 0 else line_end
    if pos >= line_end:
        return None
    if text[pos] in _OPEN_QUOTE:
        close = text.find(_OPEN_QUOTE[text[pos]], pos + 1, min(line_end, pos + 80))
        if close > pos + 1:
            inner = text[pos + 1:close].strip()
            if inner and 1 <= len(inner.split()) <= 8:
                start = text.index(inner[0], pos + 1)
                return start, start + len(inner)
        return None
    url = _URL.match(text, pos)
    if url:
        return pos, url.end()
    article = _LEADING_THE.match(text, pos)  # "courtesy of the Port Authority"
    if article:
        pos = article.end()
    words: list[tuple[int, int, str]] = []
    cursor = pos
    while len(words) < 6:
        m = _TOKEN.match(text, cursor)
        if m is None or m.start() >= line_end:
            break
        token = m.group()
        date_here = find_date(text[m.start():min(line_end, m.start() + 30)])
        if (date_here is not None and date_here[0] == 0) or re.fullmatch(r"(?:19|20)\d\d", token):
            break
        ends_sentence = token.endswith(".") and not _ABBREV_DOT.match(token) and token.count(".") == 1
        word = token.rstrip(".") if ends_sentence else token
        low = word.lower()
        capital = word[:1].isupper() or word[:1].isdigit() or ("." in word.strip(".") and word[:1].isalnum())
        if not words:
            if low in _NOT_NAMES or not capital:
                break
        elif not capital and low not in _CONNECTORS:
            break
        if low in _NOT_NAMES and low not in _CONNECTORS and words:
            break
        words.append((m.start(), m.start() + len(word), word))
        if ends_sentence:
            break
        nxt = text[m.end():m.end() + 1]
        if nxt not in (" ", "\t"):
            break
        cursor = m.end() + 1
        while cursor < line_end and text[cursor] in " \t":
            cursor += 1
    while words and words[-1][2].lower() in _CONNECTORS:
        words.pop()
    if not words:
        return None
    return words[0][0], words[-1][1]


def _rest_of_line_is_empty(text: str, end: int) -> bool:
    """After a byline name only punctuation, a date or a separator may follow on its line."""
    line_end = text.find("\n", end)
    rest = text[end:len(text) if line_end < 0 else line_end]
    found = find_date(rest)
    if found:
        rest = rest[:found[0]] + rest[found[1]:]
    return re.fullmatch(r"[\s,.;:|–—\-]*", rest) is not None


def find_credits(text: str) -> list[Credit]:
    """Explicit credits anywhere in ``text``, in order of position (see :class:`Credit`).

    Attribution of facts ("according to X", "X reported") is not a credit, nor is
    "by" inside a sentence; a byline or "via" counts only as a line of its own.
    """
    found: dict[tuple[int, int], Credit] = {}
    low = text.lower()
    for cue, pattern, lone, keywords in _CREDIT_CUES:
        if not any(k in low for k in keywords):
            continue
        for m in pattern.finditer(text):
            pos = m.end()
            if cue == "copyright":
                years = _YEARS_PREFIX.match(text, pos)
                if years:
                    pos = years.end()
            span = _name_at(text, pos)
            if span is None:
                continue
            if lone and not _rest_of_line_is_empty(text, span[1]):
                continue
            found.setdefault(span, _credit(text, span, cue))
    last_line_start = text.rstrip().rfind("\n") + 1
    for m in _VIA_AT_END.finditer(text, last_line_start):
        span = _name_at(text, m.end())
        if span and re.fullmatch(r"[\s.)\]]*", text[span[1]:]):
            found.setdefault(span, _credit(text, span, "via"))
    return sorted(found.values(), key=lambda c: (c.start, c.end))


def _credit(text: str, span: tuple[int, int], cue: str) -> Credit:
    name = text[span[0]:span[1]]
    url = _URL.fullmatch(name)
    if url:
        host = urlsplit(name if "://" in name else f"http://{name}").hostname or name
        name = host.removeprefix("www.")
    return Credit(name=name, start=span[0], end=span[1], cue=cue)


def _squash(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


# --------------------------------------------------------------------------------------
# Header analysis
# --------------------------------------------------------------------------------------

_DATE_CUES_PUBLISHED = ("date", "dated", "published", "published on", "posted", "posted on", "first published",
                        "publication date", "pubdate", "veröffentlicht", "veröffentlicht am", "datum", "publié",
                        "publié le", "publicado", "publicado el", "fecha")
_DATE_CUES_UPDATED = ("updated", "last updated", "updated on", "modified", "last modified", "aktualisiert",
                      "aktualisiert am", "mis à jour", "mis à jour le", "actualizado", "actualizado el")
_PRIORITY = {"published": 0, "alone": 1, "updated": 2, "named": 3}
_HOW = {"published": "text:date-line", "alone": "text:date-line", "updated": "text:updated-line",
        "named": "text:credit-date-line"}
_URL_LINE = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_NAME_LINE = re.compile(r"^[“\"]?(?P<name>[A-Z0-9][\w'’.&-]*"
                        r"(?:[ \t]+(?:[A-Z0-9][\w'’.&-]*|of|the|for|and|de|al|&)){0,5})"
                        r"[”\"]?[ \t]*(?P<comma>,)?$")
_BYLINE = re.compile(r"^(?:By|BY)[ \t]+(?=\S)")
#: A header line of an outlet's name alone ("Kessport Evening News"), or with its section or city after
#: a comma ("Arlen Valley Gazette, Sport", "GULF WIRE, LINDHOLT"): taken only when the name has a word
#: that newspapers and agencies are named with, so that a subtitle or a person's name is not an outlet.
_OUTLET_LINE = re.compile(r"^(?P<name>[A-Z0-9][\w'’.&-]*(?:[ \t]+(?:[A-Z0-9][\w'’.&-]*|of|the|for|and|de|al|&)){0,5})"
                          r"(?:,[ \t]*[A-Z][\w'’.-]*(?:[ \t]+[A-Z&][\w'’.-]*){0,2})?$")
_OUTLET_WORDS = frozenset({
    "news", "post", "times", "gazette", "herald", "wire", "tribune", "journal", "observer", "monitor", "ledger",
    "courier", "bulletin", "daily", "press", "telegraph", "guardian", "mail", "express", "chronicle", "standard",
    "dispatch", "examiner", "inquirer", "sentinel", "messenger", "globe", "gazeta", "pravda", "izvestia",
    "zeitung", "nachrichten", "kurier", "rundschau", "anzeiger", "presse", "agency", "newswire", "weekly"})
#: Word endings that name a newspaper in German compounds ("Küstenbote", "Tageblatt").
_OUTLET_ENDINGS = ("bote", "blatt", "zeitung", "kurier")


#: Words of a widget's or a section's line, never of a newspaper's name ("READ MORE IN WORLD NEWS").
_NOT_IN_OUTLET = frozenset({"read", "more", "in", "on", "at", "to", "from", "click", "here", "subscribe", "follow",
                            "share", "sign", "join", "watch", "listen", "see", "also", "related", "latest", "top",
                            "breaking", "analysis", "opinion", "photo", "image", "video", "credit"})


def _outlet_named(name: str) -> bool:
    """Whether ``name`` ends with a word newspapers and agencies are named with ("Evening News",
    "Küstenbote"), and holds no word of a widget or a caption ("READ MORE IN NEWS", "Washington Post.")."""
    if name.endswith("."):
        return False  # a caption's or a sentence's end ("ASSOCIATED PRESS.")
    words = [w.strip("'’&-").lower() for w in name.split()]
    if any(w in _NOT_IN_OUTLET for w in words):
        return False
    last = words[-1]
    return last in _OUTLET_WORDS or (len(last) > 6 and last.endswith(_OUTLET_ENDINGS))
_FOOTER_OUTLET = re.compile(
    r"\b(?:exclusively|specially|especially|written)[ \t]+for[ \t]+(?:the[ \t]+)?(?:online[ \t]+)?"
    r"(?:magazine|journal|newspaper|website|web[ \t]+site|portal|site|outlet|publication|news[ \t]+agency)?[ \t]*"
    r"[“\"«](?P<quoted>[^”\"»\n]{2,60})[”\"»]", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")


@dataclass(frozen=True, slots=True)
class _DateLine:
    iso: str
    kind: str  # published | alone | updated | named
    name: str | None = None
    comma: bool = False  # "Name, DATE" (an outlet's dateline) rather than "Name DATE" (a credit)


def _date_line(line: str) -> _DateLine | None:
    """A header line that states a date (not a sentence that mentions one)."""
    if len(line) > 120:
        return None
    found = find_date(line)
    if found is None:
        return None
    start, end, iso = found
    before, after = line[:start], line[end:]
    head = re.sub(r"[\s:|,–—\-·•]+$", "", _WEEKDAYS.sub(" ", before)).strip().lower()
    for cues, kind in ((_DATE_CUES_PUBLISHED, "published"), (_DATE_CUES_UPDATED, "updated")):
        for cue in cues:
            if head == cue or head.endswith((f" {cue}", f"|{cue}", f"| {cue}")):
                if len(line.split()) <= 16:
                    return _DateLine(iso, kind)
    rest = _CLOCK.sub(" ", _WEEKDAYS.sub(" ", f"{before} {after}"))
    rest = re.sub(r"[\s,.;:|–—\-·•()\[\]/]+", " ", rest).strip()
    if not rest:
        return _DateLine(iso, "alone")
    name = _NAME_LINE.match(re.sub(r"[\s,;:|–—\-·•]+$", "", before.strip()))
    if name and not after.strip(" \t,.|–—-") and before.strip():
        return _DateLine(iso, "named", name["name"], comma=before.rstrip().endswith(","))
    return None


_CLOSERS = "\"'”’»)]"


def credited_date(text: str, credit: Credit, *, lines: int = 3) -> str | None:
    """``YYYY-MM-DD`` of the original as a copy's credit gives it, or None.

    A republished article often dates its source beside the credit: "Originally published by The
    Cradle on 5 March 2022" on the credit's own line, or a line of its own under it ("By The
    Cradle" / "The Cradle 5 March 2022"). Taken: a date on the credit's line (a short line), or, on
    one of the next ``lines`` non-empty lines, a date alone or the credited name with a date. A
    date further down is the copy's own business (its dateline, a quoted event), not the source's.
    """
    start = text.rfind("\n", 0, credit.start) + 1
    end = text.find("\n", credit.end)
    own = text[start:len(text) if end < 0 else end].strip()
    if len(own) <= 160:
        found = find_date(own)
        if found is not None:
            return found[2]
    pos, seen = (len(text) if end < 0 else end + 1), 0
    while pos < len(text) and seen < lines:
        stop = text.find("\n", pos)
        stop = len(text) if stop < 0 else stop
        line = text[pos:stop].strip()
        pos = stop + 1
        if not line:
            continue
        seen += 1
        dated = _date_line(line)
        if dated is not None and (dated.kind == "alone" or (
                dated.kind == "named" and dated.name and _squash(dated.name) == _squash(credit.name))):
            return dated.iso
    return None


def _title_case(line: str) -> bool:
    """Most words capitalised, as headlines are written ("Facebook Bans Outline to Stop Attacks.")."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’-]*", line) if len(w) > 3]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _is_body(line: str) -> bool:
    words = len(line.split())
    exclaims = line.rstrip(_CLOSERS).endswith(("?", "!"))  # a headline may end with ! or ?, quoted or not
    return len(line) > 200 or (words >= 6 and _SENTENCE_END.search(line) is not None and not exclaims
                               and not (line.endswith(".") and 4 <= words <= 20 and _title_case(line)))


def _looks_like_title(line: str) -> bool:
    line = line.lstrip("\ufeff")  # a byte-order mark left at the start of a file
    words = line.split()
    if not 2 <= len(words) <= 30 or not 8 <= len(line) <= 200:
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "“\"‘'«¿¡"):
        return False
    if line.endswith((",", ";", ":", "-", "–", "—")):
        return False
    if line.endswith(".") and not line.endswith("...") and not (4 <= len(words) <= 20 and _title_case(line)):
        # a headline closed by a full stop; a shorter one is a site's tagline ("America's Immigration Voice.")
        return False
    return _URL.search(line) is None


def _header_lines(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text[:20_000].split("\n"):
        line = raw.strip()
        if line:
            lines.append(line)
            if len(lines) >= HEADER_LINES:
                break
    return lines


def _host_matches(name: str, url: str) -> bool:
    host = (urlsplit(url if "://" in url else f"http://{url}").hostname or "").lower()
    squashed = _squash(name)
    if len(squashed) < 4 or not host:
        return False
    labels = host.removeprefix("www.").split(".")
    joined = "".join(labels[:-1]) if len(labels) > 1 else labels[0]
    return squashed in joined or squashed.removeprefix("the") in labels


@dataclass(slots=True)
class _Header:
    title: str | None = None
    published: str | None = None
    published_how: str | None = None
    outlet: str | None = None
    outlet_how: str | None = None
    author: str | None = None


def analyze_header(text: str) -> _Header:
    """Title, date, outlet and byline stated in the header of ``text`` (see module doc)."""
    out = _Header()
    lines = _header_lines(text)
    found: list[list[Credit]] = []

    def text_credits() -> list[Credit]:  # looked for once, and only when a line needs them
        if not found:
            found.append(find_credits(text))
        return found[0]

    def credited(name: str) -> bool:
        return _squash(name) in {_squash(c.name) for c in text_credits()}

    def credits_someone() -> bool:
        """Whether the text credits anyone but a byline's person (then a "Name DATE" line may be a credit)."""
        return any(c.cue != "byline" or _outlet_named(c.name) for c in text_credits())

    best_date: tuple[int, int, _DateLine] | None = None
    outlets: list[tuple[int, str, str]] = []  # (priority, name, how)
    meta_lines: set[int] = set()
    for i, line in enumerate(lines):
        dl = _date_line(line)
        if dl is not None:
            meta_lines.add(i)
            rank = (_PRIORITY[dl.kind], i)
            if best_date is None or rank < best_date[:2]:
                best_date = (*rank, dl)
            if dl.kind == "named" and dl.name and dl.comma and not credited(dl.name):
                outlets.append((3, dl.name.strip(), "text:dateline"))
            elif dl.kind == "named" and dl.name and i > 0 and _outlet_named(dl.name.strip()) and not credits_someone():
                # "Coastline Post 4 April 2025": a newspaper's name before the date, in a text that credits
                # nobody (a repost's "The Cradle 5 March 2022" comes with its other credits)
                outlets.append((3, dl.name.strip(), "text:dateline"))
            continue
        if _URL_LINE.match(line) or re.fullmatch(r"[\d\s.,:|•·–—-]*", line):
            meta_lines.add(i)
            continue
        byline = _BYLINE.match(line)
        if byline and len(line) <= 80:
            meta_lines.add(i)
            span = _name_at(line, byline.end())
            if span and _rest_of_line_is_empty(line, span[1]) and out.author is None:
                out.author = line[span[0]:span[1]]
            continue
        named = _NAME_LINE.match(line)
        if named and len(line) <= 60:
            name = named["name"]
            neighbours = [lines[j] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
            if any(_URL_LINE.match(n) and _host_matches(name, n) for n in neighbours):
                meta_lines.add(i)
                outlets.append((0, name, "text:outlet-url-line"))
                continue
            if named["comma"] and not credited(name):
                meta_lines.add(i)
                outlets.append((1, name, "text:outlet-line"))
                continue
        own = _OUTLET_LINE.match(line) if len(line) <= 60 and i > 0 else None
        if own and _outlet_named(own["name"]) and not credited(own["name"]):
            meta_lines.add(i)
            outlets.append((1, own["name"], "text:outlet-line"))
            continue
    for i, line in enumerate(lines):
        if i in meta_lines:
            continue
        if not _is_body(line) and _looks_like_title(line):
            out.title = line.lstrip("\ufeff")
        break
    if best_date is not None:
        out.published, out.published_how = best_date[2].iso, _HOW[best_date[2].kind]
    footer = [ln.strip() for ln in text[-5_000:].split("\n") if ln.strip()][-FOOTER_LINES:]
    for line in reversed(footer):
        m = _FOOTER_OUTLET.search(line)
        if m:
            outlets.append((2, m["quoted"].strip(), "text:footer-line"))
            break
    if not outlets:
        own = _copyright_of_a_repost(text_credits()) or _copyright_of_an_uncredited_text(text_credits())
        if own:
            outlets.append((4, own, "text:copyright-line"))
    if outlets:
        _, out.outlet, out.outlet_how = min(outlets, key=lambda o: o[0])
        out.outlet = _as_spelled_elsewhere(text, out.outlet)
    return out


def _as_spelled_elsewhere(text: str, name: str) -> str:
    """An outlet's name found in capitals ("GULF WIRE, LINDHOLT") as the text spells it elsewhere
    in mixed case ("(Gulf Wire, 2025. Redistribution to subscribers only.)"), if it does."""
    if not name.isupper():
        return name
    for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.IGNORECASE):
        found = m.group(0)
        if not found.isupper() and found[:1].isupper():
            return found
    return name


#: Credits that name where a text comes from (not who holds its copyright).
_ORIGIN_CUES = ("original-source", "first-published", "republished")


def _copyright_of_a_repost(credits: Sequence[Credit]) -> str | None:
    """The copyright holder of a text that credits another outlet as its origin: the republisher.

    "This article was first published by Harbour Courier. Copyright © Northern Ledger 2025" is
    Northern Ledger's repost. A copyright line alone names no outlet here: a repost may keep the
    original's ("Copyright © The Cradle" under Global Research's repost, which credits The Cradle too).
    """
    origins = {_squash(c.name) for c in credits if c.cue in _ORIGIN_CUES}
    if not origins:
        return None
    for c in credits:
        if c.cue == "copyright":
            name = _copyright_holder(c.name)
            if name and _squash(name) not in origins and len(name) <= 60:
                return name
    return None


def _copyright_of_an_uncredited_text(credits: Sequence[Credit]) -> str | None:
    """The copyright holder of a text that credits nobody else (no source, agency or outlet; a
    byline's person at most), when it is named as newspapers are (:func:`_outlet_named`): "By Oda
    Fenmark ... © The Velorian Observer. All rights reserved." Not a photo's or a syndicate's
    holder ("© AP Photo", "© CREATORS.COM", "© Provided by ..."), and not in a text that credits
    another outlet: it may be a repost keeping the original's line (:func:`_copyright_of_a_repost`)."""
    if any(c.cue not in ("byline", "copyright") or (c.cue == "byline" and _outlet_named(c.name)) for c in credits):
        return None
    holders = {_copyright_holder(c.name) for c in credits if c.cue == "copyright"} - {""}
    if len(holders) != 1:
        return None
    name = holders.pop()
    return name if len(name) <= 60 and _outlet_named(name) else None


def _copyright_holder(name: str) -> str:
    """A copyright line's holder without its years ("Der Küstenbote 2025" -> "Der Küstenbote")."""
    return re.sub(r"[\s,.]*(?:\(c\)|©)?[\s,.]*(?:19|20)\d\d(?:[-–]\d{2,4})?$", "", name).strip(" ,.")


def infer_metadata(record: Record) -> Record:
    """Fill a record's missing title, date, outlet and author from its header.

    Fields the reader already knows are kept; what was inferred, and how, is listed in
    ``meta["inferred"]``.
    """
    if record.title and record.published and record.outlet and (record.author or record.kind != "txt"):
        return record  # structured records name their fields; a byline guess is not worth a header scan
    header = analyze_header(record.text)
    changes: dict[str, object] = {}
    inferred: dict[str, str] = {}
    if not record.title and header.title:
        changes["title"] = header.title
        inferred["title"] = "text:first-line"
    if not record.published and header.published:
        changes["published"] = header.published
        changes["published_how"] = header.published_how
        inferred["published"] = header.published_how or "text"
    if not record.outlet and header.outlet:
        changes["outlet"] = header.outlet
        inferred["outlet"] = header.outlet_how or "text"
    if not record.author and header.author:
        changes["author"] = header.author
        inferred["author"] = "text:byline"
    if not changes:
        return record
    meta = dict(record.meta)
    meta["inferred"] = {**dict(meta.get("inferred") or {}), **inferred}
    return replace(record, meta=meta, **changes)  # type: ignore[arg-type]
