"""Malformed inputs become skips with reasons while everything around them is ingested.

Large, binary and truncated files are made here in tmp_path, never committed.
"""

from __future__ import annotations

import codecs
import random
from pathlib import Path

import pytest

from narratrace.errors import InputError
from narratrace.ingest import ingest, read_file, readers
from narratrace.ingest.record import Record
from narratrace.model import Skipped
from narratrace.store import Store

from test_ingest_formats import page, write_warc

GOOD_TEXT = ("Council Approves Budget After Long Debate\n\n"
             "The regional council approved the new budget on a narrow vote after a long debate.\n")
CP1252_TEXT = ("Café Owners Protest New Rules\n\n"
               "The owners of twelve cafés said the “new rules” would cost them €2,000 a year — naïve, "
               "one said, to think otherwise.\n")


def junk_bytes() -> bytes:
    rng = random.Random(7)
    return b"Report: " + bytes(rng.randrange(0x80, 0x100) for _ in range(400)) + b" end\n"


def truncated_warc(path: Path) -> None:
    """Three pages; the file is cut in the middle of the third response record."""
    pages = [(f"https://news.example.org/2023/story-{i}", "text/html; charset=utf-8", page(f"Story {i}"))
             for i in range(3)]
    two = len(write_warc(path, pages[:2]))
    full = write_warc(path, pages)
    path.write_bytes(full[:(two + len(full)) // 2])


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (d / "legacy.txt").write_bytes(CP1252_TEXT.encode("cp1252"))
    (d / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (d / "empty.txt").write_bytes(b"")
    (d / "junk.txt").write_bytes(junk_bytes())
    with (d / "huge.txt").open("wb") as fh:  # sparse: 50 MB on paper, nothing on disk, never read
        fh.truncate(50_000_000)
    (d / "broken.html").write_text(
        "<html><body><div><p>Unclosed <b>bold text and a paragraph that never ends, which still has "
        "enough words to be an article<div><p>Second part of the broken page<table><tr><td>cell", encoding="utf-8")
    (d / "garbage.html").write_bytes(b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Storm Hits'
                                     b'</title><script>var x = "')  # cut inside <head>
    (d / "nav-only.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8")
    truncated_warc(d / "crawl.warc.gz")
    (d / "feed.jsonl").write_text(
        '{"id": "ok-1", "text": "First good line of the feed with a few words."}\n'
        '{"id": "broken", "text": \n'
        '{"id": "no-text", "title": "Only a title"}\n'
        '[1, 2, 3]\n'
        '\n'
        '{"id": "ok-2", "body": "Second good line of the feed, text under body."}\n', encoding="utf-8")
    (d / "table.csv").write_text(
        'id,title,text\n'
        'r-1,One,First good row of the table.\n'
        'r-2,Two,"bad"quote\n'
        'r-3,Three,too,many,fields\n'
        'r-4,Four,\n'
        'r-5,Five,"Last good row, quoted."\n', encoding="utf-8")
    (d / "notes.md").write_text("# not an article format\n", encoding="utf-8")
    return d


def test_ingest_malformed_directory(messy: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    report = ingest(store, [messy])

    assert sorted(a.ref for a in store.articles()) == [
        "broken", "good", "legacy", "news.example.org-2023-story-0", "news.example.org-2023-story-1",
        "ok-1", "ok-2", "r-1", "r-5"]
    legacy = store.article("legacy")
    assert legacy.meta["encoding"] == "cp1252"
    assert legacy.text.startswith("Café Owners Protest New Rules") and "“new rules”" in legacy.text
    assert legacy.title == "Café Owners Protest New Rules"
    assert "Second part of the broken page" in store.article("broken").text

    junk_at = _first_bad_utf8(junk_bytes())
    skips = {(Path(s.path.split("#")[0]).name + ("#" + s.path.split("#")[1] if "#" in s.path else ""), s.code):
             s.reason for s in report.skipped}
    assert skips == {
        ("binary.txt", "NT209"): "binary file (NUL byte at offset 8), not text",
        ("empty.txt", "NT211"): "empty file (0 bytes)",
        ("junk.txt", "NT210"): f"invalid UTF-8 at byte {junk_at} (and no confident legacy encoding)",
        ("huge.txt", "NT208"): "text file of 50,000,000 bytes is over the 20,000,000-byte limit for one article",
        ("garbage.html", "NT212"): "no article text found in HTML (only boilerplate, or not an HTML page)",
        ("nav-only.html", "NT212"): "only 1 word of text found in HTML (navigation or boilerplate, not an article)",
        ("crawl.warc.gz", "NT213"): skips.get(("crawl.warc.gz", "NT213"), "missing"),
        ("feed.jsonl#2", "NT206"): skips.get(("feed.jsonl#2", "NT206"), "missing"),
        ("feed.jsonl#3", "NT207"): "line 3: no text (none of the fields text, content, body, maintext holds a "
                                   "non-empty string)",
        ("feed.jsonl#4", "NT206"): "line 4 is JSON list, not an object",
        ("table.csv#3", "NT214"): "row at line 3 is malformed: ',' expected after '\"'",
        ("table.csv#4", "NT214"): "row at line 4 has 5 fields, the header has 3",
        ("table.csv#5", "NT207"): "row at line 5: no text (none of the fields text, content, body, maintext holds "
                                  "a non-empty string)",
        ("notes.md", "NT202"): skips.get(("notes.md", "NT202"), "missing"),
    }
    assert skips[("crawl.warc.gz", "NT213")] == (
        "truncated gzip after 6 records: the file stops inside record 7 "
        "(EOFError: Compressed file ended before the end-of-stream marker was reached)")
    assert skips[("feed.jsonl#2", "NT206")].startswith("line 2 is not valid JSON: ")
    assert skips[("notes.md", "NT202")].startswith("unsupported file type .md")

    # the store keeps every skip, whole files and single records alike
    assert sorted((s.path, s.code, s.reason) for s in store.skipped()) == \
        sorted((s.path, s.code, s.reason) for s in report.skipped)
    assert len(report.skipped) == len(skips) == 14
    store.close()


def _first_bad_utf8(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    raise AssertionError("junk decoded as UTF-8")


def test_ingest_malformed_whole_file_skips_are_stored(messy: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    ingest(store, [messy])
    stored = {Path(s.path).name for s in store.skipped()}
    assert {"binary.txt", "empty.txt", "junk.txt", "huge.txt", "garbage.html", "crawl.warc.gz"} <= stored
    first = store.skipped()
    again = ingest(store, [messy])  # unchanged files are not read again, and their skips stay
    assert again.added == 0 and store.skipped() == first
    store.close()


def test_ingest_malformed_huge_text_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as fh:
        fh.truncate(50_000_000)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a 50 MB file into memory"))
    (skip,) = read_file(path)
    assert isinstance(skip, Skipped) and skip.code == "NT208"


def test_ingest_malformed_text_encodings(tmp_path: Path) -> None:
    cases = {
        "bom.txt": codecs.BOM_UTF8 + GOOD_TEXT.encode("utf-8"),
        "utf16.txt": GOOD_TEXT.encode("utf-16"),
        "cyrillic.txt": ("Москва заявила, что переговоры продолжатся на следующей неделе в Стамбуле.\n"
                         * 3).encode("cp1251"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    encodings = {}
    for name in cases:
        (rec,) = read_file(tmp_path / name)
        assert isinstance(rec, Record), rec
        encodings[name] = rec.meta["encoding"]
        assert "\ufeff" not in rec.text and "\x00" not in rec.text
    assert encodings == {"bom.txt": "utf-8-sig", "utf16.txt": "utf-16", "cyrillic.txt": "cp1251"}


def test_ingest_malformed_html_limits(tmp_path: Path) -> None:
    big = tmp_path / "big.html"
    with big.open("wb") as fh:
        fh.truncate(50_000_000)
    (skip,) = read_file(big)
    assert isinstance(skip, Skipped) and skip.code == "NT208" and "HTML file of 50,000,000 bytes" in skip.reason
    script_only = tmp_path / "script.html"
    script_only.write_text("<html><head><script>alert(1)</script></head><body><script>document.write('x')"
                           "</script><img src=x onerror=alert(2)></body></html>", encoding="utf-8")
    (skip,) = read_file(script_only)
    assert isinstance(skip, Skipped) and skip.code == "NT212"
    nul = tmp_path / "nul.html"
    nul.write_bytes(b"<html>\x00\x01\x02</html>")
    (skip,) = read_file(nul)
    assert isinstance(skip, Skipped) and skip.reason == "binary data (NUL bytes), not HTML"


def test_ingest_malformed_warc_variants(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.warc"
    garbage.write_bytes(b"this is not a warc file\r\n" * 5)
    (skip,) = read_file(garbage)
    assert isinstance(skip, Skipped) and skip.code == "NT213" and skip.reason.startswith("not a readable WARC file")

    plain = tmp_path / "cut.warc"
    pages = [(f"https://example.net/{i}", "text/html", page(f"Plain Story {i}")) for i in range(2)]
    data = write_warc(plain, pages, gzip=False)
    plain.write_bytes(data[:-200])
    found = list(read_file(plain))
    assert [r.ref for r in found if isinstance(r, Record)] == ["example.net-0"]
    assert isinstance(found[-1], Skipped)
    assert found[-1].reason.startswith("damaged WARC after 4 records: record 5 (https://example.net/1) is cut short")


def test_ingest_malformed_warc_gzip_variants(tmp_path: Path) -> None:
    import gzip

    pages = [(f"https://example.net/{i}", "text/html", page(f"Gzip Story {i}")) for i in range(3)]
    plain = write_warc(tmp_path / "plain.warc", pages, gzip=False)
    whole = tmp_path / "whole.warc.gz"  # one gzip member for the whole file (not per record): still readable
    whole.write_bytes(gzip.compress(plain))
    assert [r.ref for r in read_file(whole)] == ["example.net-0", "example.net-1", "example.net-2"]  # type: ignore

    trailing = tmp_path / "trailing.warc.gz"
    trailing.write_bytes(write_warc(tmp_path / "x.warc.gz", pages) + b"not gzip at all")
    found = list(read_file(trailing))
    assert [r.ref for r in found if isinstance(r, Record)] == ["example.net-0", "example.net-1", "example.net-2"]
    assert isinstance(found[-1], Skipped)
    assert found[-1].reason.startswith("damaged gzip WARC after 7 records: bad compressed data at record 8 ")


def test_ingest_malformed_warc_slug_collision(tmp_path: Path) -> None:
    path = tmp_path / "slugs.warc"
    write_warc(path, [("https://example.net/a-b", "text/html", page("Dash Story")),
                      ("https://example.net/a/b", "text/html", page("Slash Story"))], gzip=False)
    first, second = read_file(path)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.ref == "example.net-a-b"
    assert second.ref.startswith("warc-") and second.title == "Slash Story"


def test_ingest_malformed_csv_and_jsonl_whole_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_text = tmp_path / "no-text.csv"
    no_text.write_text("id,title\n1,Only titles\n", encoding="utf-8")
    (skip,) = read_file(no_text)
    assert isinstance(skip, Skipped) and skip.code == "NT207"
    assert skip.reason == ("no text column in the header (expected one of text, content, body, maintext; "
                           "found id, title)")

    bad_utf8 = tmp_path / "latin.csv"
    bad_utf8.write_bytes(b"id,text\n1,caf\xe9 ole\n2,fine row\n")
    found = list(read_file(bad_utf8))
    assert [(type(r).__name__, getattr(r, "ref", None)) for r in found] == [("Skipped", None), ("Record", "2")]
    assert found[0].reason == "row at line 2 is not valid UTF-8"  # type: ignore[union-attr]

    monkeypatch.setattr(readers, "MAX_FILE_BYTES", 200)
    long_line = tmp_path / "long.jsonl"
    long_line.write_text('{"id": "a", "text": "' + "x" * 1000 + '"}\n{"id": "b", "text": "short"}\n',
                         encoding="utf-8")
    found = list(read_file(long_line))
    assert isinstance(found[0], Skipped) and found[0].reason == "line 1 is over the 200-byte limit for one record"
    assert isinstance(found[1], Record) and found[1].ref == "b"


def test_ingest_malformed_reader_raises_input_error_for_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(InputError) as err:
        list(readers.read_txt(path))
    assert err.value.code == "NT211" and err.value.path == str(path)


def test_ingest_malformed_jsonl_nested_too_deeply(tmp_path: Path) -> None:
    """A line of 100,000 nested brackets raised RecursionError out of the reader and ended the whole
    ingest; now it is that line's skip, and the lines around it are read."""
    path = tmp_path / "deep.jsonl"
    good = '{"title": "Budget", "text": "The council approved the budget after a long debate on Monday."}'
    path.write_text(good + "\n" + "[" * 100_000 + "]" * 100_000 + "\n" + good.replace("Budget", "Again") + "\n")
    items = list(read_file(path))
    skips = [i for i in items if isinstance(i, Skipped)]
    assert [s.code for s in skips] == ["NT206"] and "nested too deeply" in skips[0].reason
    assert skips[0].path.endswith("deep.jsonl#2")
    assert [r.title for r in items if isinstance(r, Record)] == ["Budget", "Again"]


def test_ingest_malformed_jsonl_number_too_long(tmp_path: Path) -> None:
    """An integer of 5,000 digits is a ValueError in json.loads (Python's int-from-string limit);
    it used to skip the whole file from that line on, losing the records after it."""
    path = tmp_path / "big.jsonl"
    good = '{"title": "%s", "text": "The council approved the budget after a long debate on Monday."}'
    path.write_text("\n".join([good % "one", '{"title": "big", "text": "x", "published": ' + "9" * 5000 + "}",
                               good % "two"]) + "\n")
    items = list(read_file(path))
    assert [r.title for r in items if isinstance(r, Record)] == ["one", "two"]
    assert [(s.code, s.path.rsplit("#", 1)[1]) for s in items if isinstance(s, Skipped)] == [("NT206", "2")]


BODY = ("<p>The council approved the new budget on a narrow vote after a long debate, its chair said on "
        "Monday, and the opposition promised to fight it in court.</p>")


@pytest.mark.parametrize("head, body, published", [
    # htmldate made these days up: from a bare year in the text, an impossible day, a month alone
    ("", "<p>Posted in 2021</p>", None),
    ("<meta name='date' content='99/99/2022'>", "", None),
    ("<meta name='date' content='31/02/2022'>", "", None),
    ("<meta name='date' content='2022-01'>", "", None),
    # written days are kept, in any of their usual forms
    ("<meta property='article:published_time' content='2022-03-03T10:00:00Z'>", "", "2022-03-03"),
    ("<meta name='date' content='01/02/2022'>", "", "2022-02-01"),
    ("", "<p>March 1, 2022</p>", "2022-03-01"),
    ("", "<div class='date'>05.03.2022</div>", "2022-03-05"),
    ("https://news.example.org/2022/03/05/budget.html", "", "2022-03-05"),  # the URL the page was fetched from
])
def test_ingest_malformed_html_dates_are_not_made_up(head: str, body: str, published: str | None) -> None:
    url = head if head.startswith("https:") else None
    head = "" if url else head
    found = readers.extract_html(f"<html><head><title>Budget</title>{head}</head><body>{body}{BODY}</body></html>",
                                 url=url)
    assert not isinstance(found, str)
    assert found.published == published
    if published is None and head:
        assert found.meta["published_unconfirmed"]  # what htmldate said is kept, not used
