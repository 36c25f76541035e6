"""Property-based fuzzing of the ingest readers (hypothesis): bytes, encodings, nesting and sizes.

Whatever a file holds, reading it yields records and skips (with an NT2xx code and a
reason), never an exception; every record normalises into an article or a skip; ingesting
it into a store neither fails nor drops a record silently. The budget is small here
(``make test``); ``make fuzz`` runs these with ``NARRATRACE_FUZZ=1`` and many more examples.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narratrace.ingest import build_article, ingest, read_file, readers
from narratrace.ingest.record import Record
from narratrace.model import Article, Skipped
from narratrace.store import Store

LONG = os.environ.get("NARRATRACE_FUZZ") == "1"
FUZZ = settings(max_examples=1000 if LONG else 60, deadline=None, derandomize=not LONG, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SUFFIXES = [".txt", ".html", ".jsonl", ".csv", ".tsv", ".warc", ".warc.gz"]
_names = itertools.count()


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="narratrace-fuzz-") as d:
        yield Path(d)


@contextmanager
def small_limits() -> Iterator[None]:
    """Limits small enough for generated inputs to cross them."""
    with mock.patch.object(readers, "MAX_FILE_BYTES", 3000), \
            mock.patch.object(readers, "MAX_WARC_HEADER_LINE", 512), \
            mock.patch.object(readers, "MAX_WARC_HEADER_BYTES", 2048), \
            mock.patch.object(readers, "MIN_WARC_DECOMPRESSED", 50_000):
        yield


def write(workdir: Path, suffix: str, data: bytes) -> Path:
    path = workdir / f"f{next(_names)}{suffix}"
    path.write_bytes(data)
    return path


def check_read(path: Path) -> tuple[list[Article], list[Skipped]]:
    """Read ``path``, normalise its records; every item must be a record or a well-formed skip."""
    articles: list[Article] = []
    skips: list[Skipped] = []
    for item in read_file(path):
        if isinstance(item, Record):
            built = build_article(item)
            if isinstance(built, Article):
                assert built.text and built.ref
                assert built.text.encode("utf-8") and built.ref.encode("utf-8")  # storable text
                articles.append(built)
            else:
                skips.append(built)
        else:
            skips.append(item)
    for s in skips:
        assert isinstance(s, Skipped) and s.reason and s.code.startswith("NT2"), s
        s.reason.encode("utf-8")
        s.path.encode("utf-8")
    return articles, skips


# -- arbitrary bytes, under every suffix --------------------------------------------------------------

@FUZZ
@given(suffix=st.sampled_from(SUFFIXES), data=st.binary(max_size=4000))
def test_ingest_fuzz_arbitrary_bytes_never_raise(workdir: Path, suffix: str, data: bytes) -> None:
    if suffix.endswith(".gz") and data[:1] != b"\x1f":
        data = gzip.compress(data)
    with small_limits():
        check_read(write(workdir, suffix, data))


# -- text in any encoding ------------------------------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252", "latin-1", "cp1251", "koi8-r",
             "shift_jis", "gb18030", "iso8859_7", "mac_roman"]


@FUZZ
@given(text=st.text(min_size=1, max_size=800), encoding=st.sampled_from(ENCODINGS),
       suffix=st.sampled_from([".txt", ".html", ".csv", ".jsonl"]))
def test_ingest_fuzz_text_in_any_encoding(workdir: Path, text: str, encoding: str, suffix: str) -> None:
    data = text.encode(encoding, errors="replace")
    if suffix == ".csv":
        data = "id,text\n".encode(encoding, errors="replace") + data
    articles, skips = check_read(write(workdir, suffix, data))
    if suffix == ".txt" and encoding in ("utf-8", "utf-8-sig") and text.strip() and "\x00" not in text:
        assert articles or {s.code for s in skips} <= {"NT204"}  # valid UTF-8 text is read, unless it is empty


# -- JSON Lines: nesting, odd values, lone surrogates, repeated ids -------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=60)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=30)
FIELD_KEYS = [k for keys in readers.FIELD_MAP.values() for k in keys]
article_objects = st.dictionaries(st.sampled_from(FIELD_KEYS + ["TEXT", "Id", "extra"]), json_values, max_size=8)
surrogate_text = st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(),
                         max_size=40)


def json_line(obj: object, raw: bool) -> str:
    return json.dumps(obj, allow_nan=True) if not raw else str(obj)


@FUZZ
@given(objects=st.lists(article_objects | st.builds(lambda t, i: {"id": i, "text": t}, surrogate_text,
                                                    st.sampled_from(["a", "b", "c", 1, None]))
                        | json_values, max_size=12),
       junk=st.lists(st.binary(max_size=50), max_size=3), deep=st.integers(0, 3000))
def test_ingest_fuzz_jsonl_accounts_for_every_line(workdir: Path, objects: list[object], junk: list[bytes],
                                                   deep: int) -> None:
    lines = [json.dumps(o).encode() for o in objects] + [j.replace(b"\n", b" ") for j in junk]
    lines.append(b"[" * deep + b"]" * deep)  # nesting past the recursion limit
    path = write(workdir, ".jsonl", b"\n".join(lines) + b"\n")
    with small_limits():
        articles, skips = check_read(path)
        with Store(workdir / f"s{next(_names)}.db") as store:
            report = ingest(store, [path], workers=1)
            stored = store.count_articles()
    expected = sum(1 for line in lines if line.strip())
    assert stored + len(report.skipped) == expected  # every non-blank line: an article or a skip
    assert stored == len({a.ref for a in articles})


# -- CSV: what csv.writer writes comes back; broken quotes cost rows, never the file --------------------

cell_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Nd")) | st.sampled_from('",\n\r\t '),
                    max_size=120)


@FUZZ
@given(rows=st.lists(st.tuples(cell_text, cell_text), min_size=1, max_size=8), delimiter=st.sampled_from([",", "\t"]))
def test_ingest_fuzz_csv_written_by_csv_writer_reads_back(workdir: Path, rows: list[tuple[str, str]],
                                                          delimiter: str) -> None:
    buf = io.StringIO(newline="")
    out = csv.writer(buf, delimiter=delimiter)
    out.writerow(["id", "title", "text"])
    for n, (title, text) in enumerate(rows):
        out.writerow([f"id-{n:06d}", title, text])
    path = write(workdir, ".csv" if delimiter == "," else ".tsv", buf.getvalue().encode("utf-8"))
    records = [r for r in read_file(path) if isinstance(r, Record)]
    skipped = [r for r in read_file(path) if isinstance(r, Skipped)]
    kept = [(f"id-{n:06d}", text) for n, (_, text) in enumerate(rows) if text.strip()]
    assert [(r.ref, r.text) for r in records] == kept, skipped
    assert all(s.code == "NT207" for s in skipped)  # only rows without text


@FUZZ
@given(rows=st.lists(st.tuples(cell_text, cell_text), min_size=2, max_size=8), data=st.data())
def test_ingest_fuzz_csv_with_a_broken_quote_never_raises(workdir: Path, rows: list[tuple[str, str]],
                                                          data: st.DataObject) -> None:
    buf = io.StringIO(newline="")
    out = csv.writer(buf, quoting=csv.QUOTE_ALL)
    out.writerow(["id", "title", "text"])
    for n, (title, text) in enumerate(rows):
        out.writerow([f"id-{n:06d}", title, text])
    body = buf.getvalue()
    quotes = [i for i, c in enumerate(body) if c == '"']
    cut = data.draw(st.sampled_from(quotes))
    path = write(workdir, ".csv", (body[:cut] + body[cut + 1:]).encode("utf-8"))
    with small_limits():
        check_read(path)
        with Store(workdir / f"s{next(_names)}.db") as store:
            ingest(store, [path], workers=1)


# -- WARC: records with odd headers, lengths, payloads; truncated; compressed or not --------------------

header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=80)


@st.composite
def warc_records(draw: st.DrawFn) -> bytes:
    payload = draw(st.binary(max_size=600) | st.builds(
        lambda t: f"<html><body><article><p>{t}</p></article></body></html>".encode("utf-8", "replace"),
        st.text(max_size=400)))
    ctype = draw(st.sampled_from(["text/html", "text/html; charset=latin-1", "application/pdf", "text/html; charset=x"]))
    http = f"HTTP/1.1 {draw(st.sampled_from(['200 OK', '404 Not Found', 'junk']))}\r\nContent-Type: {ctype}\r\n"
    http_block = http.encode() + b"".join(f"{k}: {v}\r\n".encode("utf-8", "replace") for k, v in
                                          draw(st.lists(st.tuples(st.sampled_from(["X-A", "Set-Cookie"]),
                                                                  header_values), max_size=3))) + b"\r\n" + payload
    length = draw(st.sampled_from([len(http_block)]) | st.integers(0, 2000) | st.just(10 ** 12))
    kind = draw(st.sampled_from(["response", "request", "warcinfo", "resource", "revisit"]))
    uri = draw(st.sampled_from(["https://news.example.org/a", "https://news.example.org/a?x=1", "", "not a uri"])
               | header_values)
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            f"Content-Length: {length}\r\n\r\n").encode("utf-8", "replace")
    return head + http_block + b"\r\n\r\n"


@FUZZ
@given(records=st.lists(warc_records(), min_size=1, max_size=5), gz=st.booleans(), per_member=st.booleans(),
       cut=st.none() | st.integers(0, 5000), tail=st.binary(max_size=100))
def test_ingest_fuzz_warc_never_raises(workdir: Path, records: list[bytes], gz: bool, per_member: bool,
                                       cut: int | None, tail: bytes) -> None:
    if gz:
        data = b"".join(gzip.compress(r) for r in records) if per_member else gzip.compress(b"".join(records))
    else:
        data = b"".join(records)
    data = (data[:cut] if cut is not None else data) + tail
    with small_limits():
        check_read(write(workdir, ".warc.gz" if gz else ".warc", data))


# -- sizes: around every limit ------------------------------------------------------------------------

@FUZZ
@given(suffix=st.sampled_from([".txt", ".jsonl", ".csv"]), size=st.integers(2900, 3100),
       newlines=st.booleans(), bom=st.sampled_from([b"", codecs.BOM_UTF8, codecs.BOM_UTF16_LE]))
def test_ingest_fuzz_sizes_around_the_limits(workdir: Path, suffix: str, size: int, newlines: bool,
                                             bom: bytes) -> None:
    word = b"word "
    body = (word * (size // len(word) + 1))[:size]
    if newlines:
        body = body.replace(b"word word", b"word\nword")
    if suffix == ".jsonl":
        body = json.dumps({"id": "x", "text": body.decode()}).encode()
    elif suffix == ".csv":
        body = b"id,text\nx," + body
    with small_limits():
        articles, skips = check_read(write(workdir, suffix, bom + body))
    assert len(articles) + len(skips) >= 1
