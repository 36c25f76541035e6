"""Text normalisation and segmentation shared by ingestion and every stage.

Offsets everywhere in narratrace index into the *normalised* text, so
normalisation happens exactly once, at ingestion, through :func:`normalize_text`.
"""

from __future__ import annotations

import re
import unicodedata

from narratrace.model import Span

__all__ = ["display_text", "normalize_text", "normalized_offsets", "paragraph_spans", "sentence_spans", "word_spans", "words"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"(?:[\t\u00a0\u2009\u202f]| (?=[ \t\u00a0\u2009\u202f]))[ \t\u00a0\u2009\u202f]*")
_BLANKS = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\w+", re.UNICODE)
_ODD_SPACES = ("\t", "\u00a0", "\u2009", "\u202f")
_LINE_EDGES = re.compile(r" \n ?|\n ")
_MANY_NEWLINES = re.compile(r"\n{3,}")

# End of sentence: terminal punctuation, optional closing quotes/brackets, whitespace,
# then something that can start a sentence.
_SENT_END = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+(?=[\"'“‘«(\[]?[A-ZÀ-ÖØ-ÞА-ЯЁ0-9])"
                       r"|[।॥]+[\"'”’»)\]]*\s+")  # Devanagari danda: the script has no capitals to look ahead for
# A period after one of these tokens does not end a sentence ("Mr.", "U.S.", "J.").
_ABBREV = re.compile(
    r"[(\[\"'“‘]?(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|No|Nos|vs|etc|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Inc|Ltd|Co|Corp|approx|ca|cf|e\.g|i\.e|"
    r"Sra|Dra|Exa|"  # Portuguese titles
    r"г|гг|ул|им|др|пр|тыс|млн|млрд|руб|долл|т\.е|т\.к|т\.нар|бр|стр|"  # Russian and Bulgarian
    r"[A-Z]|(?:[A-Z]\.){1,3}[A-Z])\."
)


def display_text(value: str) -> str:
    """``value`` (a command-line option, a path) as it can be written out as UTF-8 and shown: bytes that
    were not UTF-8 (Python's lone surrogates, ``surrogateescape``) become U+FFFD, control characters go."""
    try:
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate no operating system gave
        value = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
    return _CONTROL.sub("", value)


def normalize_text(raw: str) -> str:
    """Unify newlines, drop control characters, collapse runs of spaces, NFC."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    # Each substitution only when needed: most input is already clean (and sre is slow).
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if "  " in text or any(c in text for c in _ODD_SPACES):
        text = _SPACES.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _LINE_EDGES.sub("\n", text)
    if "\n\n\n" in text:
        text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


def normalized_offsets(raw: str, text: str) -> list[int] | None:
    """Where each offset of ``raw`` lands in ``text``, the text ingestion kept of it
    (:func:`normalize_text`: characters dropped, odd spaces made plain): ``out[i]`` is the offset
    in ``text`` of the first character kept at or after ``raw[i]`` (``len(raw) + 1`` entries), so
    a span ``[a, b)`` of ``raw`` is ``[out[a], out[b])`` of ``text``. None when ``text`` is not
    ``raw`` so thinned (NFC joined characters, the text was edited): find spans by their string."""
    out = [0] * (len(raw) + 1)
    j, n = 0, len(text)
    for i, c in enumerate(raw):
        out[i] = j
        if j < n and (c == text[j] or (text[j] == " " and c in _ODD_SPACES)):
            j += 1
    out[len(raw)] = j
    return out if j == n else None


def paragraph_spans(text: str) -> tuple[Span, ...]:
    """Blocks between blank lines; when a text has no blank lines, one paragraph per line."""
    separator = _BLANKS if _BLANKS.search(text) else re.compile(r"\n")
    spans: list[Span] = []
    pos = 0
    for m in separator.finditer(text):
        if text[pos:m.start()].strip():
            spans.append(Span(pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append(Span(pos, len(text)))
    return tuple(spans)


#: A line that ends so cannot close a heading or byline: the sentence goes on ("...the", "...,").
_LINE_GOES_ON = re.compile(r"(?:[,;:(\[–—-]|\b(?:and|or|but|of|the|a|an|to|in|on|for|by|with|from|at|that))$", re.IGNORECASE)
#: A line closed by sentence punctuation (a quote or bracket may follow it): ``_SENT_END``'s case.
_LINE_CLOSED = re.compile(r"[.!?…][\"'”’»)\]]*$")
_LINE_STARTS = re.compile(r"[\"'“‘«(\[]?[A-ZÀ-ÖØ-ÞА-ЯЁ0-9]")


def line_blocks(text: str, para: Span) -> list[Span]:
    """``para`` cut at the line breaks that end a heading, dateline or byline inside it.

    A paragraph's lines are either one text wrapped at a fixed width (a break there is no
    boundary) or separate lines with no closing punctuation: a headline over its date and outlet,
    a title over the text. A break ends a sentence when the line before closes without
    punctuation, the next line starts as a sentence does, and either the line before is short
    against the paragraph's longest line (under 60 %: a wrapped line is nearly full) or the
    paragraph has at least three lines and every one of them starts as a sentence does (wrapped
    prose has lines that start in lower case).
    """
    body = text[para.start:para.end]
    if "\n" not in body:
        return [para]
    lines: list[Span] = []
    pos = para.start
    for piece in body.split("\n"):
        lines.append(Span(pos, pos + len(piece)))
        pos += len(piece) + 1
    longest = max(line.end - line.start for line in lines)
    all_start = len(lines) >= 3 and all(_LINE_STARTS.match(text, line.start, line.end) for line in lines
                                       if line.end > line.start)
    blocks: list[Span] = []
    start = para.start
    for line, nxt in zip(lines, lines[1:]):
        before = text[line.start:line.end].rstrip()
        if not before or _LINE_CLOSED.search(before) or _LINE_GOES_ON.search(before):
            continue
        if not _LINE_STARTS.match(text, nxt.start, nxt.end):
            continue
        if all_start or len(before) < 0.6 * longest:
            blocks.append(Span(start, line.end))
            start = nxt.start
    blocks.append(Span(start, para.end))
    return blocks


def sentence_spans(text: str, paragraphs: tuple[Span, ...] | None = None) -> tuple[Span, ...]:
    """Rule-based sentence split inside each paragraph (never across paragraphs), and at the
    line breaks that close a heading or byline (:func:`line_blocks`)."""
    spans: list[Span] = []
    blocks = paragraphs if paragraphs is not None else paragraph_spans(text)
    for para in (line for block in blocks for line in line_blocks(text, block)):
        start = para.start
        for m in _SENT_END.finditer(text, para.start, para.end):
            if text[m.start()] == ".":
                word_start = max(text.rfind(" ", start, m.start()), text.rfind("\n", start, m.start())) + 1
                if _ABBREV.fullmatch(text, max(word_start, start), m.start() + 1):
                    continue
            end = m.end()
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                spans.append(Span(start, end))
            start = m.end()
        if start < para.end and text[start:para.end].strip():
            spans.append(Span(start, para.end))
    return tuple(spans)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of the words of ``text`` (Unicode ``\\w+`` runs)."""
    return [m.span() for m in _WORD.finditer(text)]


def words(text: str) -> list[str]:
    """Lower-cased words, the unit of every comparison between texts."""
    return _WORD.findall(text.lower())
