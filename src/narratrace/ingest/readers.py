"""One reader per file format: ``read_<format>(path) -> Iterator[Record | Skipped]``.

A reader raises :class:`~narratrace.errors.InputError` when the whole file is
unreadable and yields :class:`Skipped` for single bad records, so one bad line never
costs the rest of the file.

========================  ==========  =============================================
suffix                    kind        one record is
========================  ==========  =============================================
``.txt``                  ``txt``     the file (UTF-8, or a confident legacy encoding)
``.html`` ``.htm``        ``html``    the file's main text, by trafilatura
``.jsonl`` ``.ndjson``    ``jsonl``   one JSON object per line (:data:`FIELD_MAP`)
``.csv`` / ``.tsv``       ``csv``/    one row under a header row (:data:`FIELD_MAP`)
                          ``tsv``
``.warc`` ``.warc.gz``    ``warc``    one HTML ``response`` record, by trafilatura
========================  ==========  =============================================

Skip codes: NT203 unreadable, NT206 bad JSON line, NT207 no text, NT208 over the size
limit, NT209 binary, NT210 bad encoding, NT211 empty file, NT212 no article text in
HTML, NT213 damaged WARC (or a header over :data:`MAX_WARC_HEADER_LINE` /
:data:`MAX_WARC_HEADER_BYTES`), NT214 bad CSV row, NT215 duplicate record, NT217 over the
decompression limit (:data:`MAX_WARC_RATIO`, :data:`MIN_WARC_DECOMPRESSED`).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import logging
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from narratrace.errors import InputError
from narratrace.model import Skipped
from narratrace.ingest.heuristics import parse_date
from narratrace.ingest.record import Record

__all__ = ["FIELD_MAP", "MAX_FILE_BYTES", "READERS", "HtmlExtract", "extract_html", "map_fields", "read_csv", "read_html",
           "read_jsonl", "read_tsv", "read_txt", "read_warc", "reader_for"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())
for _noisy in ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)

MAX_FILE_BYTES = 20_000_000
"""Largest single-article file (txt, html) and largest record of a JSONL/CSV/WARC file."""

MAX_WARC_HEADER_LINE = 65_536
"""Longest line accepted where a WARC file has headers (a record's WARC and HTTP headers, blank lines)."""

MAX_WARC_HEADER_BYTES = 1_048_576
"""Largest header block of one WARC record (its WARC and HTTP headers together)."""

MAX_WARC_RATIO = 100
"""A WARC file is decompressed to at most this many times its size on disk ..."""

MIN_WARC_DECOMPRESSED = 67_108_864
"""... or to this many bytes, when more: the bound on a gzip bomb (HTML compresses 5-10 times)."""

MIN_HTML_WORDS = 5
"""A page whose main text has fewer words is navigation or boilerplate, not an article."""

FIELD_MAP: dict[str, tuple[str, ...]] = {
    "ref": ("id", "ref", "_id"),
    "text": ("text", "content", "body", "maintext"),
    "title": ("title", "headline"),
    "url": ("url", "link"),
    "outlet": ("outlet", "source", "site", "site_name", "domain"),
    "author": ("author", "authors"),
    "published": ("published", "date", "date_publish", "published_at", "pubDate"),
    "language": ("language", "lang"),
}
"""Record field <- JSONL/CSV keys, tried in order, case-insensitively; the first non-empty wins.

A list value is joined with ", " (``authors``); an object value gives its ``name`` (or
``$oid`` for a MongoDB ``_id``); ``published`` is normalised to ``YYYY-MM-DD`` (a
number counts as a Unix timestamp) and left empty, with the raw value in
``meta["published_raw"]``, when it is not a date.
"""

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _error(message: str, path: Path, code: str) -> InputError:
    exc = InputError(message, path=str(path))
    exc.code = code
    return exc


# --------------------------------------------------------------------------------------
# Bytes -> text
# --------------------------------------------------------------------------------------

def _read_bytes(path: Path, what: str) -> bytes:
    """The whole file, refused (before reading) when over :data:`MAX_FILE_BYTES` or empty."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _error(f"{what} file of {size:,} bytes is over the {MAX_FILE_BYTES:,}-byte limit for one article",
                     path, "NT208")
    if size == 0:
        raise _error("empty file (0 bytes)", path, "NT211")
    return path.read_bytes()


_WESTERN = frozenset(chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)) | frozenset(
    "\u00a0¡¢£¥§©ª«®°·º»¿€‚„…‘’“”•–—™ŠšŒœŽžŸ")
_LATIN_CODECS = frozenset({"cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1254", "iso8859_9",
                           "cp1257", "iso8859_13", "cp1258"})


def _plausible_western(text: str) -> bool:
    """Mostly ASCII prose whose other characters are Latin letters and typographic marks."""
    non_ascii = [c for c in text if ord(c) > 127]
    letters = sum(c.isalpha() for c in text)
    return bool(letters) and len(non_ascii) <= 0.15 * letters and all(c in _WESTERN for c in non_ascii)


def _legacy_decode(data: bytes) -> tuple[str, str] | None:
    """Text and encoding when charset-normalizer finds a confident legacy (non-UTF) encoding.

    Confident means a clean decoding (chaos <= 0.1) that is either a Latin code page whose
    cp1252 reading is plausible Western text (charset-normalizer cannot tell cp1252 from
    its Baltic/Central-European cousins on short texts, so the plausibility test does), or
    one in which it recognises a language (coherence >= 0.2, e.g. cp1251 Russian).
    """
    from charset_normalizer import from_bytes

    matches = [m for m in from_bytes(data) if m.chaos <= 0.1 and not m.encoding.startswith(("utf", "ascii"))]
    if not matches:
        return None
    try:
        western: str | None = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and _plausible_western(western) and \
            any(_LATIN_CODECS & set(m.could_be_from_charset) for m in matches):
        return western, "cp1252"
    best = min(matches, key=lambda m: (m.chaos, -m.coherence))
    if best.coherence >= 0.2:
        return str(best), best.encoding
    return None


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), UTF-16 with BOM, or a legacy one."""
    if data.startswith(codecs.BOM_UTF8):
        data, bom = data[3:], True
    else:
        bom = False
    if not bom and data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _error(f"invalid UTF-16 at byte {exc.start}", path, "NT210") from exc
    if b"\x00" in data:
        raise _error(f"binary file (NUL byte at offset {data.index(0):,}), not text", path, "NT209")
    try:
        return data.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError as exc:
        legacy = None if bom else _legacy_decode(data)
        if legacy is None:
            raise _error(f"invalid UTF-8 at byte {exc.start} (and no confident legacy encoding)", path,
                         "NT210") from exc
        return legacy


def read_txt(path: Path) -> Iterator[Record | Skipped]:
    """The file as one article; ``meta["encoding"]`` says how it was decoded."""
    text, encoding = _decode(_read_bytes(path, "text"), path)
    yield Record(ref=path.stem, text=text, source=str(path), kind="txt", meta={"encoding": encoding})


# --------------------------------------------------------------------------------------
# HTML (trafilatura)
# --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HtmlExtract:
    """What :func:`extract_html` found in one page."""

    text: str
    title: str | None = None
    author: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: str | None = None
    published_how: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _html_to_str(data: bytes) -> tuple[str, str]:
    """Decode HTML by BOM, UTF-8, the declared ``<meta charset>``, a legacy guess, then UTF-8 with
    U+FFFD for the bad bytes (a page with a few broken bytes is still worth its text)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = _META_CHARSET.search(data[:4096])
    if declared:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
            return data.decode(name, "replace"), name
        except LookupError:
            pass
    return _legacy_decode(data) or (data.decode("utf-8", "replace"), "utf-8 (invalid bytes replaced)")


def _date_how(html: str, iso: str, url: str | None) -> str:
    """Where in the page the date came from, to say so in ``published_how``."""
    for m in re.finditer(re.escape(iso), html):
        context = html[max(0, m.start() - 200):m.start()].lower()
        tag_start = context.rfind("<")
        tag = context[tag_start:] if tag_start >= 0 else ""
        if '"datepublished"' in context[-80:] or '"datecreated"' in context[-80:]:
            return "html:json-ld"
        if tag.startswith("<meta"):
            return "html:meta"
        if tag.startswith("<time"):
            return "html:time"
    if url and re.search(r"/(?:19|20)\d\d/\d{1,2}/", url):
        return "html:url"
    return "html:text"


_MARKUP = re.compile(r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|</?[A-Za-z][\w:-]*(?:\s[^<>]{0,1000})?/?>", re.DOTALL)


def _strip_markup(text: str) -> str:
    """Drop tag-like text (a page's escaped ``&lt;script&gt;`` comes out of extraction as ``<script>``)."""
    return re.sub(r"[ \t]{2,}", " ", _MARKUP.sub("", text)) if "<" in text else text


def _body_text(body: Any) -> str:
    """Plain text of trafilatura's body, one block (paragraph, heading, list...) per paragraph."""
    from lxml import etree
    from trafilatura.xml import xmltotxt

    blocks: list[str] = []
    if body.text and body.text.strip():
        blocks.append(body.text.strip())
    for child in list(body):
        tail, child.tail = child.tail, None  # the body is ours: trafilatura made it for this call
        wrapper = etree.Element("body")
        wrapper.append(child)
        block = xmltotxt(wrapper, include_formatting=False).strip()
        if block:
            blocks.append(block)
        if tail and tail.strip():
            blocks.append(tail.strip())
    return "\n\n".join(blocks)


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _day_written(html: str, iso: str) -> bool:
    """Whether the page writes the day of ``iso`` (htmldate completes a partial date with a day).

    htmldate turns "Posted in 2021" anywhere in the text into 2021-01-01, a meta date "31/02/2022"
    (no such day) into 2022-02-01 and "2022-01" into the 1st or today's day of that month. So a
    date is kept only when the page has it verbatim, or its year with the day's number and the
    month (another number, or a month name) just before or after it ("5 March 2022", "March 5th,
    2022", "05.03.2022", a URL's "/2022/03/05/").
    """
    if iso in html:
        return True
    year, month, day = iso[:4], int(iso[5:7]), int(iso[8:10])
    lower = html.lower()
    for hit in re.finditer(rf"(?<!\d){year}(?!\d)", lower):
        tokens = re.findall(r"\d+|[a-z]+", lower[max(0, hit.start() - 22):hit.start()]
                            + " " + lower[hit.end():hit.end() + 8])
        numbers = [int(t) for t in tokens if t.isdigit() and len(t) <= 2]
        named = any(t.startswith(_MONTH_NAMES[month - 1]) and len(t) >= 3 for t in tokens)
        if day in numbers and (named or numbers.count(month) >= (2 if month == day else 1)):
            return True
    return False


def extract_html(data: bytes | str, *, url: str | None = None) -> HtmlExtract | str:
    """Main text and metadata of one HTML page, or the reason (a string) why there is none.

    Boilerplate (navigation, footers, comments), scripts and attributes are dropped; the
    text is plain, paragraphs separated by blank lines.
    """
    import trafilatura

    if isinstance(data, bytes):
        if b"\x00" in data[:65536] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "binary data (NUL bytes), not HTML"
        html, encoding = _html_to_str(data)
    else:
        html, encoding = data, "str"
    if not html.strip():
        return "empty HTML document"
    try:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          include_tables=True, include_images=False, include_links=False)
    except Exception as exc:  # trafilatura/lxml raise many types on hostile input; the skip keeps the reason
        return f"HTML extraction failed: {type(exc).__name__}: {exc}"
    if doc is None or isinstance(doc, dict) or doc.body is None:
        return "no article text found in HTML (only boilerplate, or not an HTML page)"
    text = _strip_markup(_body_text(doc.body))
    if not text.strip():
        return "no article text found in HTML (only boilerplate, or not an HTML page)"
    words = len(text.split())
    if words < MIN_HTML_WORDS:
        return (f"only {words} word{'' if words == 1 else 's'} of text found in HTML (navigation or boilerplate, "
                f"not an article)")
    canonical = doc.url or url
    meta: dict[str, Any] = {"encoding": encoding}
    for key in ("hostname", "description", "sitename"):
        value = getattr(doc, key, None)
        if value:
            meta[key] = value
    links = _article_links(html, canonical)
    if links:
        meta["links"] = links
    published = doc.date or None
    if published and not _day_written(f"{html} {canonical or ''} {url or ''}", published):
        meta["published_unconfirmed"] = published
        published = None
    return HtmlExtract(
        text=text, title=_strip_markup(doc.title or "").strip() or None, author=doc.author or None, url=canonical,
        outlet=doc.sitename or None, published=published,
        published_how=_date_how(html, published, canonical) if published else None, meta=meta)


MAX_LINKS = 200
# Site furniture that sits inside article markup: author pages, tags, sharing, comments.
_NOT_CITATION = re.compile(r"/(?:authors?|tags?|topics?|category|categories|share|sharer|comments?|"
                           r"login|subscribe|newsletter)(?:/|\?|$)|[?&]share=|^mailto:", re.IGNORECASE)


def _article_links(html: str, base: str | None) -> list[dict[str, str]]:
    """Hyperlinks inside the paragraphs of the article body (``<article>``, else ``<main>``, else
    ``<body>``), absolute.

    Kept in ``meta["links"]`` for the provenance graph ("links to" edges). Only links in
    running text count: menus, share buttons, author and topic links are not citations.
    """
    from urllib.parse import urljoin

    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except Exception:  # broken markup: the text was still extracted; links are a bonus
        return []
    container = next(iter(root.xpath("//article") or root.xpath("//main") or root.xpath("//body")), root)
    seen: set[str] = set()
    out = []
    for a in container.xpath(".//p//a[@href] | .//li//a[@href][ancestor::p]"):
        href = (a.get("href") or "").strip()
        url = urljoin(base, href) if base else href
        if not url.lower().startswith(("http://", "https://")) or url in seen or _NOT_CITATION.search(url):
            continue
        seen.add(url)
        text = " ".join((a.text_content() or "").split())[:200]
        out.append({"url": url, "text": text})
        if len(out) >= MAX_LINKS:
            break
    return out


def read_html(path: Path) -> Iterator[Record | Skipped]:
    """The page's main text as one article (boilerplate removed) with its metadata."""
    found = extract_html(_read_bytes(path, "HTML"))
    if isinstance(found, str):
        raise _error(found, path, "NT212")
    yield Record(ref=path.stem, text=found.text, source=str(path), kind="html", title=found.title,
                 url=found.url, outlet=found.outlet, author=found.author, published=found.published,
                 published_how=found.published_how, meta=found.meta)


# --------------------------------------------------------------------------------------
# JSONL and CSV: the field mapping
# --------------------------------------------------------------------------------------

def _scalar(value: Any, *, join: bool = False) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        for key in ("name", "$oid", "value", "id", "url"):
            if key in value:
                return _scalar(value[key])
        return None
    if isinstance(value, (list, tuple)):
        items = [s for s in (_scalar(v) for v in value) if s]
        if not items:
            return None
        return ", ".join(items) if join else items[0]
    return None


def _published(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 100_000_000_000 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC).date().isoformat()
        except (OverflowError, OSError, ValueError):
            return None
    text = _scalar(value)
    return parse_date(text) if text else None


def map_fields(obj: Mapping[str, Any], *, ref: str, source: str, kind: str) -> Record | str:
    """A record from one JSON object or CSV row through :data:`FIELD_MAP`, or why not."""
    lowered = {str(k).lower(): v for k, v in obj.items()}

    def first(name: str) -> tuple[str | None, Any]:
        for key in FIELD_MAP[name]:
            value = lowered.get(key.lower())
            if value is None or (isinstance(value, str) and not value.strip()) or value in ([], {}):
                continue
            return key, value
        return None, None

    _, text = first("text")
    if isinstance(text, list) and text and all(isinstance(p, str) for p in text):
        text = "\n\n".join(text)  # a list of paragraphs
    if not isinstance(text, str) or not text.strip():
        return f"no text (none of the fields {', '.join(FIELD_MAP['text'])} holds a non-empty string)"
    meta: dict[str, Any] = {}
    date_key, date_value = first("published")
    published = _published(date_value) if date_key else None
    if date_key and not published:
        meta["published_raw"] = str(date_value)
    outlet = _scalar(first("outlet")[1])
    if outlet and re.match(r"https?://", outlet):
        outlet = (urlsplit(outlet).hostname or outlet).removeprefix("www.")
    language = (_scalar(first("language")[1]) or "").lower()
    language = re.split(r"[-_]", language)[0]
    return Record(
        ref=_scalar(first("ref")[1]) or ref, text=text, source=source, kind=kind,
        title=_scalar(first("title")[1]), url=_scalar(first("url")[1]), outlet=outlet,
        author=_scalar(first("author")[1], join=True), published=published,
        published_how=f"{kind}:{date_key}" if published else None,
        language=language if re.fullmatch(r"[a-z]{2,3}", language) else None, meta=meta)


def _lines(fh: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines; an over-long line is consumed in chunks and yielded as None."""
    lineno = 0
    while True:
        line = fh.readline(MAX_FILE_BYTES + 1)
        if not line:
            return
        lineno += 1
        if len(line) > MAX_FILE_BYTES and not line.endswith(b"\n"):
            while (chunk := fh.readline(1 << 20)) and not chunk.endswith(b"\n"):
                pass
            yield lineno, None
            continue
        yield lineno, line


def read_jsonl(path: Path) -> Iterator[Record | Skipped]:
    """One article per line holding a JSON object (keys: :data:`FIELD_MAP`)."""
    kind = "jsonl"
    with path.open("rb") as fh:
        for lineno, line in _lines(fh):
            where = f"{path}#{lineno}"
            if line is None:
                yield Skipped(where, f"line {lineno} is over the {MAX_FILE_BYTES:,}-byte limit for one record",
                              "NT208")
                continue
            if lineno == 1 and line.startswith(codecs.BOM_UTF8):
                line = line[3:]
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, or an int of over 4,300 digits
                yield Skipped(where, f"line {lineno} is not valid JSON: {exc}", "NT206")
                continue
            except RecursionError:  # [[[[...]]]]: Python's parser recurses once per level
                yield Skipped(where, f"line {lineno} is JSON nested too deeply to read", "NT206")
                continue
            if not isinstance(obj, dict):
                yield Skipped(where, f"line {lineno} is JSON {type(obj).__name__}, not an object", "NT206")
                continue
            found = map_fields(obj, ref=f"{path.stem}-{lineno}", source=where, kind=kind)
            if isinstance(found, str):
                yield Skipped(where, f"line {lineno}: {found}", "NT207")
                continue
            yield found


_SURROGATE = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (read with surrogateescape)


class _LineTooLong(Exception):
    """A physical line over :data:`MAX_FILE_BYTES` (consumed, never held whole)."""


class _Lines:
    """The physical lines of a text file, as ``csv.reader`` takes them.

    The lines of the record being read are kept (:meth:`taken`), and lines handed back
    (:meth:`again`) are read once more: after an unterminated quote, the lines it swallowed
    are read again as rows of their own.
    """

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.lineno = 0  # physical lines handed out, less those handed back
        self._again: list[str] = []
        self._taken: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            line = self._again.pop()
        else:
            line = self.fh.readline(MAX_FILE_BYTES + 1)
            if not line:
                raise StopIteration
            if len(line) > MAX_FILE_BYTES and not line.endswith(("\n", "\r")):
                while (chunk := self.fh.readline(1 << 20)) and not chunk.endswith(("\n", "\r")):
                    pass
                self.lineno += 1
                self._taken = []
                raise _LineTooLong
        self.lineno += 1
        self._taken.append(line)
        return line

    def taken(self) -> list[str]:
        """The lines read since the last call (those of one record)."""
        taken, self._taken = self._taken, []
        return taken

    def again(self, lines: list[str]) -> None:
        self._again.extend(reversed(lines))
        self.lineno -= len(lines)


def _column(header: list[str], name: str) -> int | None:
    keys = [h.lower() for h in header]
    return next((keys.index(k.lower()) for k in FIELD_MAP[name] if k.lower() in keys), None)


def _shape(value: str) -> str:
    return re.sub(r"[^\W\d_]", "a", re.sub(r"\d", "9", value.strip()))


def _swallowed(lines: list[str], header: list[str], row: list[str], *, delimiter: str) -> int | None:
    """Number (from 1) of the first of ``lines`` (inside one of ``row``'s quoted fields) that reads as a row.

    A line of its own reads as a row when it parses into as many fields as the header and
    looks like one: an id of the same shape as the row's own (``a-17`` like ``a-16``), a
    URL in the url column, or a date in the date column. A paragraph inside a quoted text
    field seldom does all that.
    """
    ref, url, date = _column(header, "ref"), _column(header, "url"), _column(header, "published")
    for n, line in enumerate(lines, start=1):
        try:
            cells = next(csv.reader([line], delimiter=delimiter, strict=True), [])
        except csv.Error:
            continue
        if len(cells) != len(header):
            continue
        if ref is not None and cells[ref].strip() and _shape(cells[ref]) == _shape(row[ref]) \
                and cells[ref].strip() != row[ref].strip():
            return n
        if url is not None and re.match(r"\s*https?://\S+\s*$", cells[url]):
            return n
        if date is not None and cells[date].strip() and len(cells[date]) <= 40 and parse_date(cells[date]):
            return n
    return None


def _read_delimited(path: Path, *, delimiter: str, kind: str) -> Iterator[Record | Skipped]:
    """Rows under a header row; a row whose quote never closes costs that row only.

    An unterminated quote makes the csv module read on into the following lines (to the
    end of the file, or to the next quote). When a quoted field that runs over several
    lines breaks the row (a parse error, the wrong number of fields) or holds a line that
    reads as a row of its own, the row's first line is skipped (NT214) and the lines after
    it are read again as rows.
    """
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        lines = _Lines(fh)

        def rows() -> Iterator[list[str]]:
            return csv.reader(lines, delimiter=delimiter, strict=True)

        reader = rows()
        try:
            header = next(reader)
        except StopIteration:
            raise _error("empty file (no header row)", path, "NT211") from None
        except _LineTooLong:
            raise _error(f"header row over the {MAX_FILE_BYTES:,}-byte limit", path, "NT208") from None
        except csv.Error as exc:
            raise _error(f"unreadable header row: {exc}", path, "NT214") from exc
        lines.taken()
        header = [h.strip() for h in header]
        keys = {h.lower() for h in header}
        if not keys & {k.lower() for k in FIELD_MAP["text"]}:
            raise _error(f"no text column in the header (expected one of {', '.join(FIELD_MAP['text'])}; "
                         f"found {', '.join(header) or 'none'})", path, "NT207")
        while True:
            lineno = lines.lineno + 1
            where = f"{path}#{lineno}"
            try:
                row = next(reader)
            except StopIteration:
                return
            except _LineTooLong:
                reader = rows()
                yield Skipped(where, f"row at line {lineno} has a line over the {MAX_FILE_BYTES:,}-byte limit "
                                     f"for one record", "NT208")
                continue
            except csv.Error as exc:
                taken = lines.taken()
                reader = rows()
                if "field limit" in str(exc):
                    yield Skipped(where, f"row at line {lineno} has a field over the {MAX_FILE_BYTES:,}-byte limit",
                                  "NT208")
                    continue
                if len(taken) > 1:  # a quote opened on this line ran on: its lines are rows again
                    lines.again(taken[1:])
                    yield Skipped(where, f"row at line {lineno} is malformed: {exc} (a quote that is never closed "
                                         f"where it should be; the lines after it are read as rows)", "NT214")
                    continue
                yield Skipped(where, f"row at line {lineno} is malformed: {exc}", "NT214")
                continue
            taken = lines.taken()
            if len(taken) > 1 and len(row) == len(header):
                inner = _swallowed(taken[1:], header, row, delimiter=delimiter)
                if inner is not None:
                    lines.again(taken[1:])
                    reader = rows()
                    yield Skipped(where, f"row at line {lineno} has a quote that is never closed where it should "
                                         f"be: line {lineno + inner}, inside its quoted field, reads as a row of its "
                                         f"own (it is read as one)", "NT214")
                    continue
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                if len(taken) > 1:
                    lines.again(taken[1:])
                    reader = rows()
                    yield Skipped(where, f"row at line {lineno} has {len(row)} fields, the header has {len(header)}, "
                                         f"with a quoted field over {len(taken)} lines (a quote that is never closed "
                                         f"where it should be; the lines after it are read as rows)", "NT214")
                    continue
                yield Skipped(where, f"row at line {lineno} has {len(row)} fields, the header has {len(header)}",
                              "NT214")
                continue
            if any(_SURROGATE.search(cell) for cell in row):
                yield Skipped(where, f"row at line {lineno} is not valid UTF-8", "NT210")
                continue
            found = map_fields(dict(zip(header, row, strict=True)), ref=f"{path.stem}-{lineno}", source=where,
                                kind=kind)
            if isinstance(found, str):
                yield Skipped(where, f"row at line {lineno}: {found}", "NT207")
                continue
            yield found


def read_csv(path: Path) -> Iterator[Record | Skipped]:
    """One article per row under a header row (comma-separated, UTF-8 with or without BOM)."""
    return _read_delimited(path, delimiter=",", kind="csv")


def read_tsv(path: Path) -> Iterator[Record | Skipped]:
    """As :func:`read_csv`, tab-separated."""
    return _read_delimited(path, delimiter="\t", kind="tsv")


# --------------------------------------------------------------------------------------
# WARC (warcio)
# --------------------------------------------------------------------------------------

def _warc_ref(uri: str) -> str:
    """Stable short ref of a target URI: ``host-path-slug``, or ``warc-<sha1>`` when long or queried."""
    parts = urlsplit(uri)
    slug = re.sub(r"[^a-z0-9.]+", "-", f"{(parts.hostname or '').removeprefix('www.')}{parts.path}".lower())
    slug = slug.strip("-.")
    if not slug or parts.query or len(slug) > 80:
        return f"warc-{hashlib.sha1(uri.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
    return slug


class _WarcLimit(Exception):
    """A WARC file went past one of the limits (:data:`MAX_WARC_HEADER_LINE` and the others)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _bounded_iterator(stream: IO[bytes], *, max_bytes: int) -> Any:
    """warcio's ``ArchiveIterator`` over ``stream`` with the limits checked before warcio parses.

    warcio reads a header line in 16 KiB blocks joined one by one (a line of 32 MiB of
    zeros took 50 s, one of 1 GiB hours) and decompresses whatever it is given: its reader
    here caps each line it is asked for, each record's header block, and the bytes it
    decompresses in all.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import DecompressingBufferedReader

    class BoundedReader(DecompressingBufferedReader):  # type: ignore[misc]
        def __init__(self, raw: Any) -> None:
            super().__init__(raw)
            self.decompressed = 0
            self.header_bytes = 0

        def _process_read(self, data: bytes) -> None:
            super()._process_read(data)
            self.decompressed += self.buff_size
            if self.decompressed > max_bytes:
                raise _WarcLimit(f"it decompresses to over {max_bytes:,} bytes (the limit for a file of this "
                                 f"size: {MAX_WARC_RATIO} times its size on disk, or "
                                 f"{MIN_WARC_DECOMPRESSED:,} bytes); a gzip bomb?", "NT217")

        def readline(self, length: int | None = None) -> bytes:
            # warcio's own readline joins blocks one by one, and miscounts a length it is given
            capped = length is None or length > MAX_WARC_HEADER_LINE
            limit = MAX_WARC_HEADER_LINE if capped else length
            parts: list[bytes] = []
            got = 0
            while got < limit:
                self._fillbuff()
                if self.empty():
                    break
                part = self.buff.readline(limit - got)
                parts.append(part)
                got += len(part)
                if part.endswith(b"\n"):
                    break
            line = b"".join(parts)
            if capped and got >= limit and not line.endswith(b"\n"):
                raise _WarcLimit(f"a header line is over the {MAX_WARC_HEADER_LINE:,}-byte limit", "NT213")
            self.header_bytes += got
            if self.header_bytes > MAX_WARC_HEADER_BYTES:
                raise _WarcLimit(f"its headers are over the {MAX_WARC_HEADER_BYTES:,}-byte limit", "NT213")
            return line

        def read(self, length: int | None = None) -> bytes:
            self.header_bytes = 0  # a record's block is read: its headers are over
            data: bytes = super().read(length)
            return data

    class BoundedIterator(ArchiveIterator):  # type: ignore[misc]
        def __init__(self, fileobj: Any) -> None:
            super().__init__(fileobj)
            self.reader = BoundedReader(self.fh)

        def _next_record(self, next_line: Any) -> Any:
            self.reader.header_bytes = 0
            return super()._next_record(next_line)

    return BoundedIterator(stream)


class _Watched(io.RawIOBase):
    """A read-only stream that remembers the error that ended it.

    warcio 1.8 takes an EOFError while it looks for the next record as the clean end of
    the archive, so a gzip stream cut short would pass unnoticed without this.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self.stream = stream
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        try:  # read1: a buffered read(n) would drop what it had when the stream breaks off
            if size is not None and size >= 0 and hasattr(self.stream, "read1"):
                return self.stream.read1(size)
            return self.stream.read(-1 if size is None else size)
        except (EOFError, OSError, zlib.error) as exc:
            self.error = exc
            raise

    def tell(self) -> int:
        return self.stream.tell()


def _stream_damage(error: BaseException, record: int) -> str:
    if isinstance(error, EOFError):
        return f"the file stops inside record {record} ({_short(error)})"
    return f"bad compressed data at record {record} ({_short(error)})"


def _short(exc: BaseException) -> str:
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__


def read_warc(path: Path) -> Iterator[Record | Skipped]:
    """Every HTML ``response`` record (status 2xx) as one article; other records are ignored.

    A ``.gz`` file is decompressed as one stream (record-per-member or not). A damaged or
    truncated archive keeps the records read before the damage and adds a skip for the
    file saying after how many complete records it stopped, and why.
    """
    size = path.stat().st_size
    if size == 0:
        raise _error("empty file (0 bytes)", path, "NT211")
    gz = path.name.lower().endswith(".gz")
    records = complete = 0
    damage: str | None = None
    damage_code = "NT213"
    seen: dict[str, tuple[str, int]] = {}
    previous: Any = None
    with path.open("rb") as raw:
        stream = _Watched(gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw)
        iterator = _bounded_iterator(stream, max_bytes=max(MIN_WARC_DECOMPRESSED, MAX_WARC_RATIO * size))
        try:
            for rec in iterator:
                if previous is not None and not _cut_short(previous):
                    complete += 1
                previous, records = rec, records + 1
                if rec.rec_headers.get_header("Content-Length") is None:
                    damage = f"record {records} has no Content-Length (its header is cut or damaged)"
                    previous = None
                    break
                if rec.rec_type != "response":
                    continue
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                where = f"{path}#{records}"
                status = rec.http_headers.get_statuscode() if rec.http_headers else None
                ctype = (rec.http_headers.get_header("Content-Type") if rec.http_headers else None) or ""
                if not ctype.lower().startswith(_HTML_TYPES) or not (status or "").startswith("2"):
                    continue
                length = int(rec.rec_headers.get_header("Content-Length") or 0)
                if length > MAX_FILE_BYTES:
                    yield Skipped(where, f"record {records} ({uri}) of {length:,} bytes is over the "
                                         f"{MAX_FILE_BYTES:,}-byte limit for one article", "NT208")
                    continue
                payload = rec.content_stream().read(MAX_FILE_BYTES + 1)
                if _cut_short(rec):
                    damage = f"record {records} ({uri}) is cut short"
                    previous = None
                    break
                ref = _warc_ref(uri)
                if seen.get(ref, (uri, 0))[0] != uri:  # two URIs with one slug: the later one gets a hashed ref
                    ref = f"warc-{hashlib.sha1(uri.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
                if ref in seen:
                    yield Skipped(where, f"record {records}: {uri} was already read from record {seen[ref][1]}",
                                  "NT215")
                    continue
                seen[ref] = (uri, records)
                found = extract_html(_with_charset(payload, ctype), url=uri or None)
                if isinstance(found, str):
                    yield Skipped(where, f"record {records} ({uri}): {found}", "NT212")
                    continue
                published, how = found.published, found.published_how
                if not published:
                    published = parse_date(rec.rec_headers.get_header("WARC-Date") or "")
                    how = "warc:date" if published else None
                meta = {**found.meta, "warc_record_id": rec.rec_headers.get_header("WARC-Record-ID"),
                        "warc_target_uri": uri}
                yield Record(ref=ref, text=found.text, source=where, kind="warc", title=found.title,
                             url=found.url or uri or None, outlet=found.outlet, author=found.author,
                             published=published, published_how=how, meta=meta)
        except Exception as exc:  # warcio raises assorted errors on damaged input; the skip keeps the reason
            cut = previous is not None and _cut_short(previous)
            where_cut = records if cut else records + 1
            if isinstance(exc, _WarcLimit):
                damage, damage_code = f"record {where_cut} stops the file: {exc}", exc.code
            elif stream.error is not None:
                damage = _stream_damage(stream.error, where_cut)
            else:
                damage = f"record {where_cut} is {'cut short' if cut else 'unreadable'} ({_short(exc)})"
            if previous is not None and not cut:
                complete += 1
            previous = None
        finally:
            iterator.close()
        if previous is not None:
            if _cut_short(previous):
                damage = damage or f"record {records} is cut short"
            else:
                complete += 1
        if damage is None and stream.error is not None:
            damage = _stream_damage(stream.error, records + 1)
        if damage is None and not gz:
            end = sum(iterator.member_info) if iterator.member_info else iterator.offset
            if _trailing_bytes(path, end, size):
                damage = f"{size - end:,} bytes at the end are not a complete record"
    log.debug("%s: %d WARC records read, %d complete, damage: %s", path, records, complete, damage)
    if damage is not None:
        if complete == 0:
            raise _error(f"not a readable WARC file: {damage}", path, damage_code)
        what = ("truncated gzip" if isinstance(stream.error, EOFError) else "damaged gzip WARC") if gz else \
            "damaged WARC"
        if damage_code != "NT213":
            what = "WARC file over the decompression limit"
        yield Skipped(str(path), f"{what} after {complete} record{'' if complete == 1 else 's'}: {damage}",
                      damage_code)


def _trailing_bytes(path: Path, offset: int, size: int) -> bool:
    """True when something other than blank lines follows the last complete record."""
    if offset >= size:
        return False
    with path.open("rb") as fh:
        fh.seek(offset)
        return bool(fh.read(65536).strip())


def _cut_short(rec: Any) -> bool:
    """True when a record's block ended before its Content-Length (the file stops inside it)."""
    return bool(getattr(rec.raw_stream, "limit", 0) > 0)


def _with_charset(payload: bytes, content_type: str) -> bytes | str:
    """Decode a payload by the charset of its HTTP Content-Type when it names a known one."""
    m = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.IGNORECASE)
    if m:
        try:
            return payload.decode(codecs.lookup(m.group(1)).name)
        except (LookupError, UnicodeDecodeError):
            pass
    return payload


# --------------------------------------------------------------------------------------

READERS: dict[str, Callable[[Path], Iterator[Record | Skipped]]] = {
    ".txt": read_txt,
    ".html": read_html,
    ".htm": read_html,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
    ".csv": read_csv,
    ".tsv": read_tsv,
    ".warc": read_warc,
    ".warc.gz": read_warc,
}


def reader_for(path: Path) -> Callable[[Path], Iterator[Record | Skipped]] | None:
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None
