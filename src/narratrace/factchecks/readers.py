"""Reading fact-checks: schema.org ClaimReview JSON-LD, Google Fact Check Tools JSON, and CSV.

Every reader returns :class:`FactCheck` records and :class:`~narratrace.model.Skipped` entries
(what could not be read, and why); one bad record never stops a file, and one bad file never
stops a directory.

Accepted shapes (a file may hold any of them; the format is sniffed from the content):

* ClaimReview objects (``@type`` ``ClaimReview`` or a list containing it, any case), alone, in a
  list, under ``@graph``, inside a Data Commons ``DataFeed`` (``dataFeedElement[].item[]``), or
  wrapped in other objects (they are searched for, 20 levels deep at most);
* the Google Fact Check Tools claim-search response: ``{"claims": [{"text", "claimant",
  "claimDate", "claimReview": [{"publisher": {"name", "site"}, "url", "title", "reviewDate",
  "textualRating", "languageCode"}]}]}``;
* JSON Lines (one of the above per line);
* an HTML page: its ``<script type="application/ld+json">`` blocks are read;
* CSV (``.csv``/``.tsv``) with a header row, see :data:`CSV_COLUMNS` for the mapping.

Limits: a JSON document over ``max_bytes`` (64 MB) is not loaded whole: a top-level list and JSON
Lines are read one element at a time (any size), anything else is refused with the reason; a single
record over ``max_record_bytes`` (1 MB) is skipped with the reason, and the rest is kept.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from narratrace.model import Skipped

__all__ = ["CSV_COLUMNS", "FactCheck", "ReadResult", "from_vclaim", "normalise_url", "rating_score",
           "read_factchecks", "records_from_json"]

MAX_BYTES = 64 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024
MAX_CLAIM_CHARS = 5000
_MAX_DEPTH = 20
_SUFFIXES = {".json", ".jsonld", ".jsonl", ".ndjson", ".csv", ".tsv", ".html", ".htm"}


@dataclass(frozen=True, slots=True)
class FactCheck:
    """One fact-check (a ClaimReview) as stored: the claim, who made it, the verdict, who checked it."""

    claim: str
    url: str | None = None
    publisher: str | None = None
    rating: str | None = None            # textual rating as published ("False", "Engañoso")
    rating_value: float | None = None    # numeric rating as published, with its scale
    rating_best: float | None = None
    rating_worst: float | None = None
    rating_score: float | None = None    # 0 (false) .. 1 (true): from the text lexicon, else the numbers
    verdict: str = "unrated"             # false | misleading | mixed | mostly_true | true | unrated
    claimant: str | None = None
    claim_date: str | None = None        # YYYY-MM-DD when the claim was made (itemReviewed.datePublished)
    published: str | None = None         # YYYY-MM-DD of the review
    language: str | None = None
    title: str | None = None             # the review's headline, when given
    appearances: tuple[str, ...] = ()    # URLs where the claim appeared
    source: str | None = None            # file#record it was read from
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", factcheck_key(self.url, self.claim, self.publisher))

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "claim": self.claim, "url": self.url, "publisher": self.publisher,
                "rating": self.rating, "rating_value": self.rating_value, "rating_best": self.rating_best,
                "rating_worst": self.rating_worst, "rating_score": self.rating_score, "verdict": self.verdict,
                "claimant": self.claimant, "claim_date": self.claim_date, "published": self.published,
                "language": self.language, "title": self.title, "appearances": list(self.appearances),
                "source": self.source}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FactCheck:
        return cls(claim=d["claim"], url=d.get("url"), publisher=d.get("publisher"), rating=d.get("rating"),
                   rating_value=d.get("rating_value"), rating_best=d.get("rating_best"),
                   rating_worst=d.get("rating_worst"), rating_score=d.get("rating_score"),
                   verdict=d.get("verdict") or "unrated", claimant=d.get("claimant"),
                   claim_date=d.get("claim_date"), published=d.get("published"), language=d.get("language"),
                   title=d.get("title"), appearances=tuple(d.get("appearances") or ()), source=d.get("source"),
                   key=d.get("key") or "")


@dataclass(slots=True)
class ReadResult:
    records: list[FactCheck] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


# -- keys and URLs ---------------------------------------------------------------------------

def _loads(text: str, **options: Any) -> Any:
    """``json.loads``; a document nested too deeply (RecursionError) or with a number of over
    4,300 digits (a plain ValueError) raises ``JSONDecodeError`` too, so every reader's skip
    (NT223) covers it instead of the import stopping there."""
    try:
        return json.loads(text, **options)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", text, 0) from None
    except ValueError as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from None

def normalise_url(url: str | None) -> str | None:
    """Scheme and host lower-cased, no fragment, no trailing slash; ``None`` for a non-URL."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("https", parts.netloc.lower().removeprefix("www."), path, parts.query, ""))


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def factcheck_key(url: str | None, claim: str, publisher: str | None) -> str:
    """The review URL (normalised) when there is one, else claim + publisher: re-imports update."""
    norm = normalise_url(url)
    if norm:
        return "url:" + norm
    digest = hashlib.sha256(f"{_fold(claim)}\0{_fold(publisher or '')}".encode()).hexdigest()[:24]
    return "claim:" + digest


def _absolute_url(url: str | None, base: str | None) -> str | None:
    """Relative review URLs seen in the wild: ``/path`` (against the publisher's site),
    ``//host/path`` and ``host.tld/path`` (no scheme)."""
    if not url:
        return None
    url = url.strip()
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("//"):
        return "https:" + url
    if re.match(r"^[\w-]+(\.[\w-]+)+/", url):
        return "https://" + url
    if url.startswith("/") and base and base.startswith(("http://", "https://")):
        return urljoin(base, url)
    return url


# -- ratings ---------------------------------------------------------------------------------
#: Textual ratings (folded: lower case, no accents, ``_`` as space) -> score 0 (false) .. 1 (true).
#: Written for this project from the ratings fact-checkers publish (IFCN signatories' scales).
RATING_WORDS: Mapping[str, float] = {
    **dict.fromkeys(["false", "falso", "falsa", "faux", "falsch", "fake", "incorrect", "pants on fire",
                     "wrong", "untrue", "not true", "hoax", "fabricated", "scam", "bulo", "mentira",
                     "inventado", "fake news", "totally false", "completely false", "错误", "錯誤",
                     "زائف", "غير صحيح", "فيك", "गलत", "फर्जी", "ভুয়া", "মিথ্যা", "nao e verdade"], 0.0),
    **dict.fromkeys(["mostly false", "misleading", "enganoso", "enganosa", "trompeur", "irrefuhrend",
                     "manipulated", "altered", "distorted", "distorcido", "exaggerated", "exagerado",
                     "missing context", "out of context", "fuera de contexto", "sem contexto", "partly false",
                     "partially false", "nao e bem assim", "unsupported", "sin evidencias", "sem evidencias",
                     "false context", "satire", "misattributed", "impreciso"], 0.25),
    **dict.fromkeys(["half true", "mixture", "mixed", "partly true", "partially true", "medio verdadero",
                     "verdadeiro mas", "verdadero pero", "en parte cierto", "contradictorio"], 0.5),
    **dict.fromkeys(["mostly true", "mostly correct", "largely true", "casi verdadero", "quase verdadeiro"], 0.75),
    **dict.fromkeys(["true", "correct", "accurate", "verdadero", "verdadeiro", "cierto", "vrai", "richtig",
                     "wahr"], 1.0),
}
_VERDICTS = ((0.125, "false"), (0.375, "misleading"), (0.625, "mixed"), (0.875, "mostly_true"), (1.01, "true"))


def rating_score(text: str | None, value: float | None = None, best: float | None = None,
                 worst: float | None = None) -> float | None:
    """0 (false) .. 1 (true): the textual rating through :data:`RATING_WORDS` (its leading words,
    so "FALSO: the images were taken from..." is false), else ``value`` on its scale (schema.org
    defaults: worst 1, best 5), else ``None``."""
    if text:
        folded = _fold(text).replace("_", " ").strip(" .!:;-\r\n\t")
        if folded in RATING_WORDS:
            return RATING_WORDS[folded]
        lead = re.split(r"[:.;!\n(]|\s[-–—]\s", folded, maxsplit=1)[0].strip()
        if lead in RATING_WORDS:
            return RATING_WORDS[lead]
        words = lead.split()
        for n in (3, 2, 1):
            if len(words) >= n and " ".join(words[:n]) in RATING_WORDS:
                return RATING_WORDS[" ".join(words[:n])]
    if value is not None:
        lo = 1.0 if worst is None else worst
        hi = 5.0 if best is None else best
        if hi > lo and lo <= value <= hi:
            return round((value - lo) / (hi - lo), 4)
    return None


def verdict_of(score: float | None) -> str:
    if score is None:
        return "unrated"
    return next(name for limit, name in _VERDICTS if score < limit)


# -- field helpers (wrong types become None, never an exception) ------------------------------
def _text(value: Any, limit: int = 2000) -> str | None:
    if isinstance(value, str):
        text = " ".join(html.unescape(value).split())
        return text[:limit] if text else None
    if isinstance(value, Mapping):
        return _text(value.get("name") or value.get("alternateName") or value.get("@value"), limit)
    if isinstance(value, list) and value:
        return _text(value[0], limit)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def _date(value: Any) -> str | None:
    from narratrace.ingest.heuristics import parse_date

    text = _text(value, 200)
    return parse_date(text) if text else None


def _names(value: Any) -> str | None:
    """Name of an author/publisher: an object's name, a string, or the first of a list."""
    if isinstance(value, list):
        names = [n for n in (_names(v) for v in value) if n]
        return names[0] if names else None
    if isinstance(value, Mapping):
        return _text(value.get("name")) or _text(value.get("legalName")) or _text(value.get("alternateName"))
    return _text(value, 300)


def _site(value: Any) -> str | None:
    if isinstance(value, list):
        return next((s for s in (_site(v) for v in value) if s), None)
    if isinstance(value, Mapping):
        for k in ("url", "@id", "site"):
            v = value.get(k)
            if isinstance(v, str) and v.startswith(("http://", "https://")):
                return v
    return None


def _types(obj: Mapping[str, Any]) -> set[str]:
    t = obj.get("@type")
    values = t if isinstance(t, list) else [t]
    return {v.casefold() for v in values if isinstance(v, str)}


def _language(value: Any) -> str | None:
    text = _text(value, 40)
    if not text:
        return None
    return text.split("-")[0].split("_")[0].lower()[:8]


# -- ClaimReview and Google records ------------------------------------------------------------
def _from_claimreview(obj: Mapping[str, Any], where: str) -> FactCheck | Skipped:
    claim = obj.get("claimReviewed")
    if isinstance(claim, list) and all(isinstance(c, str) for c in claim):
        claim = " ".join(claim)
    if claim is None or claim == "":
        return Skipped(where, "ClaimReview without claimReviewed: no claim text to match", "NT230")
    if not isinstance(claim, str):
        return Skipped(where, f"claimReviewed is {type(claim).__name__}, not text", "NT231")
    claim = " ".join(html.unescape(claim).split())
    if len(claim) > MAX_CLAIM_CHARS:
        return Skipped(where, f"claimReviewed is {len(claim):,} characters long (more than {MAX_CLAIM_CHARS:,})",
                       "NT232")
    item = obj.get("itemReviewed") if isinstance(obj.get("itemReviewed"), Mapping) else {}
    rating = obj.get("reviewRating")
    rating_obj = rating[0] if isinstance(rating, list) and rating and isinstance(rating[0], Mapping) else rating
    if isinstance(rating_obj, Mapping):
        rating_text = _text(rating_obj.get("alternateName"), 300) or _text(rating_obj.get("name"), 300)
        value, best, worst = (_number(rating_obj.get(k)) for k in ("ratingValue", "bestRating", "worstRating"))
    else:
        rating_text, value, best, worst = _text(rating_obj, 300), None, None, None
    author = obj.get("author") or obj.get("publisher") or obj.get("sdPublisher")
    publisher = _names(author)
    if isinstance(author, list) or (isinstance(author, Mapping) and "person" in _types(author)):
        # a person wrote it: the organisation publishing it is the better "publisher"
        publisher = _names(obj.get("publisher")) or _names(obj.get("sdPublisher")) or publisher
    base = _site(obj.get("author")) or _site(obj.get("publisher")) or _site(obj.get("mainEntityOfPage"))
    url = _absolute_url(_text(obj.get("url"), 2000) or _text(obj.get("@id"), 2000) or
                        _text(obj.get("mainEntityOfPage"), 2000), base)
    appearances = []
    for k in ("appearance", "firstAppearance"):
        v = item.get(k)
        for a in v if isinstance(v, list) else [v]:
            u = a.get("url") if isinstance(a, Mapping) else a
            if isinstance(u, str) and u.startswith(("http://", "https://")):
                appearances.append(u)
    if isinstance(item.get("url"), str) and item["url"].startswith(("http://", "https://")):
        appearances.append(item["url"])
    score = rating_score(rating_text, value, best, worst)
    return FactCheck(
        claim=claim, url=url, publisher=publisher, rating=rating_text, rating_value=value, rating_best=best,
        rating_worst=worst, rating_score=score, verdict=verdict_of(score),
        claimant=_names(item.get("author")) or _names(item.get("creator")),
        claim_date=_date(item.get("datePublished")), published=_date(obj.get("datePublished")),
        language=_language(obj.get("inLanguage")) or _language(item.get("inLanguage")),
        title=_text(obj.get("headline")) or _text(obj.get("name")) or _text(obj.get("title")),
        appearances=tuple(dict.fromkeys(appearances)), source=where)


def _from_google(claim: Mapping[str, Any], where: str) -> Iterator[FactCheck | Skipped]:
    text = claim.get("text")
    reviews = claim.get("claimReview")
    if not isinstance(text, str) or not text.strip():
        yield Skipped(where, "Fact Check Tools claim without text", "NT230")
        return
    if not isinstance(reviews, list) or not reviews:
        yield Skipped(where, "Fact Check Tools claim without claimReview list", "NT233")
        return
    text = " ".join(text.split())
    if len(text) > MAX_CLAIM_CHARS:
        yield Skipped(where, f"claim text is {len(text):,} characters long (more than {MAX_CLAIM_CHARS:,})", "NT232")
        return
    for n, review in enumerate(reviews):
        if not isinstance(review, Mapping):
            yield Skipped(f"{where}.{n}", f"claimReview entry is {type(review).__name__}, not an object", "NT231")
            continue
        publisher = review.get("publisher")
        rating = _text(review.get("textualRating"), 300)
        score = rating_score(rating)
        yield FactCheck(
            claim=text, url=_text(review.get("url"), 2000), publisher=_names(publisher) or
            (_text(publisher.get("site")) if isinstance(publisher, Mapping) else None),
            rating=rating, rating_score=score, verdict=verdict_of(score), claimant=_text(claim.get("claimant")),
            claim_date=_date(claim.get("claimDate")), published=_date(review.get("reviewDate")),
            language=_language(review.get("languageCode")), title=_text(review.get("title")),
            source=f"{where}.{n}")


def from_vclaim(obj: Mapping[str, Any], where: str) -> FactCheck | Skipped:
    """A CheckThat! verified claim (``vclaim_id``, ``vclaim``, ``title``, ``date``, optional ``page_url``:
    the Snopes collection of the claim-retrieval task) as a fact-check keyed ``vclaim:<id>``."""
    claim = " ".join(str(obj.get("vclaim") or obj.get("title") or "").split())
    if not claim:
        return Skipped(where, "verified claim (vclaim) without vclaim or title text: no claim to match", "NT230")
    if len(claim) > MAX_CLAIM_CHARS:
        return Skipped(where, f"vclaim is {len(claim):,} characters long (more than {MAX_CLAIM_CHARS:,})", "NT232")
    return FactCheck(claim=claim, title=" ".join(str(obj.get("title") or "").split()) or None,
                     url=_text(obj.get("page_url")), published=_date(obj.get("date")), publisher="vclaims",
                     source=where, key=f"vclaim:{obj['vclaim_id']}")


def records_from_json(value: Any, where: str, depth: int = 0) -> Iterator[FactCheck | Skipped]:
    """Every ClaimReview / Fact Check Tools record inside a parsed JSON value (or a skip saying why)."""
    found = False
    for item in _walk(value, where, depth):
        found = True
        yield item
    if not found:
        kind = type(value).__name__ if not isinstance(value, Mapping) else (
            "object with @type " + "/".join(sorted(_types(value))) if _types(value) else "object")
        yield Skipped(where, f"no ClaimReview, Fact Check Tools claim or CheckThat! vclaim in this {kind}", "NT234")


def _walk(value: Any, where: str, depth: int) -> Iterator[FactCheck | Skipped]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, list):
        for n, v in enumerate(value):
            yield from _walk(v, f"{where}[{n}]", depth + 1)
        return
    if not isinstance(value, Mapping):
        return
    if "claimreview" in _types(value):
        yield _from_claimreview(value, where)
        return
    if "claimReview" in value and ("text" in value or "claimant" in value):
        yield from _from_google(value, where)
        return
    if "vclaim_id" in value and ("vclaim" in value or "title" in value):
        yield from_vclaim(value, where)
        return
    for k, v in value.items():
        if isinstance(v, (list, Mapping)) and k not in ("itemReviewed", "reviewRating", "author", "publisher"):
            yield from _walk(v, f"{where}.{k}" if depth else f"{where}#{k}", depth + 1)


# -- files -----------------------------------------------------------------------------------
def read_factchecks(path: str | Path, *, csv_mapping: Mapping[str, str] | None = None,
                    max_bytes: int = MAX_BYTES, max_record_bytes: int = MAX_RECORD_BYTES) -> ReadResult:
    """Fact-checks in a file or a directory (its ``.json/.jsonld/.jsonl/.csv/.tsv/.html`` files)."""
    root = Path(path)
    result = ReadResult()
    if root.is_dir():
        files = sorted(p for p in root.rglob("*") if p.is_file() and (p.suffix.lower() in _SUFFIXES or _is_tar(p)))
        if not files:
            result.skipped.append(Skipped(str(root), "directory holds no .json/.jsonld/.jsonl/.csv/.html files",
                                          "NT220"))
    elif root.is_file():
        files = [root]
    else:
        result.skipped.append(Skipped(str(root), "no such file or directory", "NT220"))
        files = []
    for file in files:
        try:
            items: Iterable[FactCheck | Skipped] = list(_read_file(file, csv_mapping, max_bytes, max_record_bytes))
        except UnicodeDecodeError as exc:
            items = [Skipped(str(file), f"not UTF-8 text ({exc.reason} at byte {exc.start})", "NT221")]
        except OSError as exc:
            items = [Skipped(str(file), f"cannot read: {exc.strerror or exc}", "NT220")]
        for item in items:
            (result.records if isinstance(item, FactCheck) else result.skipped).append(item)  # type: ignore[arg-type]
    return result


def _read_file(file: Path, csv_mapping: Mapping[str, str] | None, max_bytes: int,
               max_record_bytes: int) -> Iterator[FactCheck | Skipped]:
    where = str(file)
    if _is_tar(file):
        yield from _read_tar(file, max_bytes)
        return
    if file.suffix.lower() in (".csv", ".tsv"):
        yield from _read_csv(file, csv_mapping, max_bytes)
        return
    size = file.stat().st_size
    with open(file, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    first = head[:1]
    if not head:
        yield Skipped(where, "empty file", "NT222")
    elif first == b"<":
        yield from _read_html(file, size, max_bytes)
    elif first == b"[":
        yield from _read_array(file, max_record_bytes)
    elif first == b"{":
        if size <= max_bytes:
            text = file.read_text(encoding="utf-8-sig")
            try:
                value = _loads(text)
            except json.JSONDecodeError as exc:
                if exc.msg == "Extra data":  # JSON Lines
                    yield from _read_lines(io.StringIO(text), where, max_record_bytes)
                    return
                yield Skipped(where, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", "NT223")
                return
            yield from records_from_json(value, where)
        else:
            with open(file, encoding="utf-8-sig") as fh:
                line = fh.readline(max_record_bytes + 1)
                try:
                    _loads(line)
                except json.JSONDecodeError:
                    yield Skipped(where, f"one JSON document of {size / 2**20:,.0f} MB is over the "
                                         f"{max_bytes / 2**20:,.0f} MB limit; split it into a JSON list or JSON Lines",
                                  "NT224")
                    return
                fh.seek(0)
                yield from _read_lines(fh, where, max_record_bytes)
    else:
        shown = head[:20].decode("utf-8", "replace")
        yield Skipped(where, f"not JSON, JSON Lines, CSV or HTML (starts with {shown!r})", "NT223")


def _is_tar(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".tar", ".tar.gz", ".tgz"))


def _read_tar(file: Path, max_bytes: int) -> Iterator[FactCheck | Skipped]:
    """The JSON members of a tar archive (the CheckThat! ``vclaims.tar.gz``: one object per file)."""
    import tarfile

    where = str(file)
    try:
        archive = tarfile.open(file, "r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        yield Skipped(where, f"not a readable tar archive: {exc}", "NT223")
        return
    found = False
    with archive:
        try:
            for member in archive:
                name = member.name.lower()
                if not member.isfile() or not name.endswith((".json", ".jsonld")):
                    continue
                found = True
                at = f"{where}!{member.name}"
                if member.size > max_bytes:
                    yield Skipped(at, f"member of {member.size / 2**20:,.0f} MB is over the "
                                      f"{max_bytes / 2**20:,.0f} MB limit", "NT224")
                    continue
                raw = archive.extractfile(member)
                data = raw.read() if raw is not None else b""
                try:
                    value = _loads(data.decode("utf-8-sig"))
                except UnicodeDecodeError as exc:
                    yield Skipped(at, f"not UTF-8 text ({exc.reason} at byte {exc.start})", "NT221")
                    continue
                except json.JSONDecodeError as exc:
                    yield Skipped(at, f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", "NT223")
                    continue
                yield from records_from_json(value, at)
        except (tarfile.TarError, OSError, EOFError) as exc:  # truncated archive: keep what was read
            yield Skipped(where, f"tar archive is truncated or damaged: {exc}", "NT223")
    if not found:
        yield Skipped(where, "tar archive holds no .json files", "NT234")


def _read_lines(fh: Iterable[str], where: str, max_record_bytes: int) -> Iterator[FactCheck | Skipped]:
    for n, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        if len(line) > max_record_bytes:
            yield Skipped(f"{where}#{n}", f"line of {len(line):,} characters is over the "
                                          f"{max_record_bytes:,}-byte record limit", "NT225")
            continue
        try:
            value = _loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(f"{where}#{n}", f"malformed JSON line: {exc.msg} at column {exc.colno}", "NT223")
            continue
        yield from records_from_json(value, f"{where}#{n}")


_SCRIPT = re.compile(r"<script\b[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
                     re.IGNORECASE | re.DOTALL)


def _read_html(file: Path, size: int, max_bytes: int) -> Iterator[FactCheck | Skipped]:
    where = str(file)
    kind = "HTML instead of JSON" if file.suffix.lower() in (".json", ".jsonld", ".jsonl") else "HTML page"
    if size > max_bytes:
        yield Skipped(where, f"{kind} of {size / 2**20:,.0f} MB is over the {max_bytes / 2**20:,.0f} MB limit", "NT224")
        return
    page = file.read_text(encoding="utf-8", errors="replace")
    blocks = _SCRIPT.findall(page)
    if not blocks:
        yield Skipped(where, f"{kind}: no <script type=\"application/ld+json\"> block to read", "NT226")
        return
    found = False
    for n, block in enumerate(blocks, start=1):
        try:
            value = _loads(block.strip().removeprefix("<!--").removesuffix("-->"), strict=False)
        except json.JSONDecodeError as exc:
            yield Skipped(f"{where}#script{n}", f"malformed JSON-LD: {exc.msg} at line {exc.lineno}", "NT223")
            continue
        for item in _walk(value, f"{where}#script{n}", 0):
            found = True
            yield item
    if not found:
        yield Skipped(where, f"{kind}: its {len(blocks)} JSON-LD block(s) hold no ClaimReview", "NT234")


_IN_STRING = re.compile(r'["\\]')
_OUT_STRING = re.compile(r'["\[\]{},]')


def _read_array(file: Path, max_record_bytes: int, chunk: int = 1 << 20) -> Iterator[FactCheck | Skipped]:
    """The elements of a top-level JSON list, one at a time, in bounded memory (any file size).

    A scanner finds each element's end (strings and nesting respected) with regular-expression
    searches, so a 100 MB string is skipped at C speed; an element over ``max_record_bytes`` is
    not kept in memory and becomes a skip.
    """
    where = str(file)
    index = 0
    depth = 0          # nesting inside the top-level list
    in_string = False
    escape = False
    parts: list[str] = []
    kept = 0           # characters of the current element held in ``parts``
    oversized = 0      # characters of the current element seen while oversized
    started = False    # the top-level "[" was seen
    finished = False

    def flush() -> Iterator[FactCheck | Skipped]:
        nonlocal parts, kept, oversized, index
        text = "".join(parts).strip()
        if oversized:
            yield Skipped(f"{where}[{index}]", f"record of {kept + oversized:,} characters is over the "
                                               f"{max_record_bytes:,}-byte record limit", "NT225")
        elif text:
            try:
                value = _loads(text)
            except json.JSONDecodeError as exc:
                yield Skipped(f"{where}[{index}]", f"malformed JSON: {exc.msg}", "NT223")
            else:
                yield from records_from_json(value, f"{where}[{index}]")
        if text or oversized:
            index += 1
        parts, kept, oversized = [], 0, 0

    def keep(piece: str) -> None:
        nonlocal kept, oversized, parts
        if oversized or kept + len(piece) > max_record_bytes:
            oversized += len(piece)
            parts = []
        else:
            parts.append(piece)
            kept += len(piece)

    with open(file, encoding="utf-8-sig") as fh:
        while not finished:
            buf = fh.read(chunk)
            if not buf:
                break
            pos = 0
            if not started:
                pos = buf.index("[") + 1
                started = True
            while pos < len(buf):
                if in_string:
                    if escape:
                        escape = False
                        keep(buf[pos])
                        pos += 1
                        continue
                    m = _IN_STRING.search(buf, pos)
                    if m is None:
                        keep(buf[pos:])
                        pos = len(buf)
                        break
                    keep(buf[pos:m.end()])
                    pos = m.end()
                    if m.group() == "\\":
                        escape = True
                    else:
                        in_string = False
                    continue
                m = _OUT_STRING.search(buf, pos)
                if m is None:
                    keep(buf[pos:])
                    pos = len(buf)
                    break
                ch = m.group()
                if ch == "," and depth == 0:
                    keep(buf[pos:m.start()])
                    yield from flush()
                    pos = m.end()
                    continue
                if ch == "]" and depth == 0:
                    keep(buf[pos:m.start()])
                    yield from flush()
                    finished = True
                    break
                keep(buf[pos:m.end()])
                pos = m.end()
                if ch == '"':
                    in_string = True
                elif ch in "[{":
                    depth += 1
                elif ch in "]}":
                    depth -= 1
    if not finished:
        if parts or oversized:
            yield from flush()
        yield Skipped(where, "JSON list is cut short (no closing ']'); the complete records before it were kept",
                      "NT223")


# -- CSV -------------------------------------------------------------------------------------
#: CSV columns (header names, case and spaces ignored) -> FactCheck fields. ``claim`` is required.
CSV_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "claim": ("claim", "claimreviewed", "claim_reviewed", "claim_text", "text"),
    "url": ("url", "review_url", "factcheck_url", "link"),
    "publisher": ("publisher", "author", "fact_checker", "organisation", "organization"),
    "rating": ("rating", "textual_rating", "textualrating", "rating_text", "verdict", "alternatename"),
    "rating_value": ("rating_value", "ratingvalue"),
    "rating_best": ("best_rating", "bestrating", "rating_best"),
    "rating_worst": ("worst_rating", "worstrating", "rating_worst"),
    "claimant": ("claimant", "claim_author", "said_by"),
    "claim_date": ("claim_date", "claimdate"),
    "published": ("date", "review_date", "reviewdate", "date_published", "datepublished", "published"),
    "language": ("language", "lang", "languagecode", "inlanguage"),
    "title": ("title", "headline"),
}


def _read_csv(file: Path, mapping: Mapping[str, str] | None, max_bytes: int) -> Iterator[FactCheck | Skipped]:
    where = str(file)
    if file.stat().st_size > max_bytes * 16:
        yield Skipped(where, f"CSV of {file.stat().st_size / 2**20:,.0f} MB is over the limit", "NT224")
        return
    csv.field_size_limit(MAX_RECORD_BYTES)
    with open(file, encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(8192)
        fh.seek(0)
        first_line = sample.split("\n", 1)[0]
        delimiter = "\t" if file.suffix.lower() == ".tsv" else max(",;\t|", key=first_line.count)
        reader = csv.DictReader(fh, delimiter=delimiter)
        header = {(h or "").strip().casefold().replace(" ", "_"): h for h in reader.fieldnames or []}
        columns: dict[str, str] = {}
        for name, aliases in CSV_COLUMNS.items():
            wanted = (mapping or {}).get(name)
            if wanted is not None:
                if wanted not in (reader.fieldnames or []):
                    yield Skipped(where, f"mapped column {wanted!r} (for {name}) is not in the header", "NT227")
                    return
                columns[name] = wanted
                continue
            found = next((header[a] for a in aliases if a in header), None)
            if found is not None:
                columns[name] = found
        if "claim" not in columns:
            yield Skipped(where, "CSV has no claim column (one of: claim, claimReviewed, claim_text, text; or map one "
                                 f"with --map claim=COLUMN); header: {', '.join(reader.fieldnames or [])}", "NT227")
            return
        try:
            for n, row in enumerate(reader, start=2):
                if any(v is None for k, v in row.items() if k is not None) and any(
                        "\n" in (v or "") for k, v in row.items() if k is not None):
                    # a quote that never closes swallows the lines after it into one field (and leaves the
                    # row's later columns empty): that is no fact-check, and no claim of the lines it ate
                    yield Skipped(f"{where}#{n}", "a quoted field never closes: the lines after it were read "
                                                  "into it (close the quote)", "NT223")
                    continue
                values = {k: (row.get(col) or "").strip() or None for k, col in columns.items()}
                claim = values.pop("claim")
                if not claim:
                    yield Skipped(f"{where}#{n}", "empty claim", "NT230")
                    continue
                if len(claim) > MAX_CLAIM_CHARS:
                    yield Skipped(f"{where}#{n}", f"claim is {len(claim):,} characters long", "NT232")
                    continue
                value, best, worst = (_number(values.pop(k, None)) for k in ("rating_value", "rating_best", "rating_worst"))
                score = rating_score(values.get("rating"), value, best, worst)
                yield FactCheck(claim=" ".join(claim.split()), url=values.get("url"),
                                publisher=values.get("publisher"), rating=values.get("rating"), rating_value=value,
                                rating_best=best, rating_worst=worst, rating_score=score, verdict=verdict_of(score),
                                claimant=values.get("claimant"), claim_date=_date(values.get("claim_date")),
                                published=_date(values.get("published")), language=_language(values.get("language")),
                                title=values.get("title"), source=f"{where}#{n}")
        except csv.Error as exc:
            yield Skipped(where, f"malformed CSV: {exc}", "NT223")


def with_language(record: FactCheck) -> FactCheck:
    """The record with a detected language (CLD2 on the claim) when it states none."""
    if record.language:
        return record
    from narratrace.ingest.heuristics import detect_language

    return replace(record, language=detect_language(record.claim))
