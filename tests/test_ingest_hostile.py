"""Hostile input (issue 17): each case is a skip with a reason code, and the rest is ingested.

Every input is made here in tmp_path: links that point nowhere or at themselves, a FIFO,
repeated ids, lone surrogates, CSV quotes that never close, gzip bombs.
"""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import pytest

from narratrace.ingest import discover, ingest, read_file, readers
from narratrace.ingest.record import Record
from narratrace.model import Skipped
from narratrace.store import Store

TEXT = "The regional council approved the new budget on a narrow vote after a long debate."


def _ingest(tmp_path: Path, *paths: Path) -> tuple[Store, object]:
    store = Store(tmp_path / "t.db")
    return store, ingest(store, list(paths), workers=1)


def _codes(skips: list[Skipped]) -> dict[str, str]:
    return {Path(s.path.split("#")[0]).name + ("#" + s.path.split("#")[1] if "#" in s.path else ""): s.code
            for s in skips}


# -- 1. links, FIFOs and names in a directory --------------------------------------------------------

def test_ingest_hostile_dangling_and_looping_links_are_skips(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(TEXT)
    (d / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (d / "loop.txt").symlink_to(d / "loop.txt")
    (d / "linked.txt").symlink_to(d / "good.txt")  # a link to a file is read like the file
    (d / "sub").mkdir()
    (d / "sub" / "inner.txt").write_text(TEXT + " Inner.")
    (d / "dirlink").symlink_to(d / "sub", target_is_directory=True)
    os.mkfifo(d / "pipe.txt")  # reading it would block for ever
    store, report = _ingest(tmp_path, d)
    with store:
        assert {a.ref for a in store.articles()} == {"good", "linked", "inner"}
        codes = _codes(report.skipped)
        assert codes == {"dangling.txt": "NT216", "loop.txt": "NT216", "dirlink": "NT216", "pipe.txt": "NT216"}
        reasons = {Path(s.path).name: s.reason for s in report.skipped}
        assert "broken symbolic link" in reasons["dangling.txt"] and "loop" in reasons["loop.txt"]
        assert "FIFO" in reasons["pipe.txt"] and "not followed" in reasons["dirlink"]
        assert {Path(s.path).name for s in store.skipped()} == set(codes)


def test_ingest_hostile_file_gone_after_listing_is_a_skip(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    for name in ("a.txt", "b.txt"):
        (d / name).write_text(f"{TEXT} {name}")
    files, _ = discover([d])
    (d / "a.txt").unlink()
    with Store(tmp_path / "t.db") as store:
        report = ingest(store, [d], files=files, workers=1)
        assert [a.ref for a in store.articles()] == ["b"]
        assert [(Path(s.path).name, s.code) for s in report.skipped] == [("a.txt", "NT201")]


def test_ingest_hostile_file_name_not_utf8_is_a_skip(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    (d / "good.txt").write_text(TEXT)
    try:
        (Path(os.fsdecode(bytes(d) + b"/bad-\xff.txt"))).write_text(TEXT + " Bad name.")
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    store, report = _ingest(tmp_path, d)
    with store:
        assert [a.ref for a in store.articles()] == ["good"]
        [skip] = report.skipped
        assert skip.code == "NT210" and skip.path.endswith("bad-\\xff.txt")


# -- 3. the same id twice in one file -----------------------------------------------------------------

@pytest.mark.parametrize("name, body", [
    ("dup.jsonl", "".join(json.dumps({"id": i, "text": f"{TEXT} {n}"}) + "\n"
                          for n, i in enumerate(["x", "x", "y", "x"]))),
    ("dup.csv", "id,text\n" + "".join(f"{i},{TEXT} {n}\n" for n, i in enumerate(["x", "x", "y", "x"]))),
])
def test_ingest_hostile_same_id_twice_in_one_file_is_nt215(tmp_path: Path, name: str, body: str) -> None:
    src = tmp_path / name
    src.write_text(body)
    store, report = _ingest(tmp_path, src)
    with store:
        arts = {a.ref: a for a in store.articles()}
        assert set(arts) == {"x", "y"}
        assert arts["x"].text.endswith(" 0")  # the first one read is kept
        assert [s.code for s in report.skipped] == ["NT215", "NT215"]
        assert all("already read from" in s.reason for s in report.skipped)


def test_ingest_hostile_same_id_in_two_batches_keeps_the_first(tmp_path: Path) -> None:
    src = tmp_path / "dup.jsonl"
    src.write_text("".join(json.dumps({"id": "x" if n in (0, 7) else f"r{n}", "text": f"{TEXT} {n}"}) + "\n"
                           for n in range(10)))
    with Store(tmp_path / "t.db") as store:
        report = ingest(store, [src], workers=1, batch_size=3)
        assert store.article("x").text.endswith(" 0")
        assert [s.code for s in report.skipped] == ["NT215"]
        assert store.count_articles() == 9


# -- 4. lone surrogates -------------------------------------------------------------------------------

def test_ingest_hostile_lone_surrogate_is_nt210(tmp_path: Path) -> None:
    src = tmp_path / "s.jsonl"
    src.write_text('{"id": "s1", "text": "bad \\ud800 text"}\n'
                   '{"id": "s2", "text": "fine text", "title": "low \\udfff half"}\n'
                   '{"id": "s3", "text": "fine text", "date": "\\udc80"}\n'
                   '{"id": "ok", "text": "fine text, the only one"}\n', encoding="utf-8")
    store, report = _ingest(tmp_path, src)
    with store:
        assert [a.ref for a in store.articles()] == ["ok"]
        assert [(s.path.rsplit("#")[1], s.code) for s in report.skipped] == [("1", "NT210"), ("2", "NT210"),
                                                                             ("3", "NT210")]
        assert "text field" in report.skipped[0].reason and "title field" in report.skipped[1].reason
        assert "meta field" in report.skipped[2].reason  # the unparsed date is kept in meta.published_raw


# -- 8. CSV quotes that never close -------------------------------------------------------------------

CSV_CASES = {
    # the quote runs to the end of the file: every row after it was lost
    "to-the-end": ('id,title,text\na,A,"never closed\nb,B,second row\nc,C,third row\n', ["b", "c"]),
    # the next row's quote closes it, then the parser fails: that row was lost with it
    "closed-by-next": ('id,title,text\na,A,"never closed\nb,B,"second row"\nc,C,third row\n', ["b", "c"]),
    # a quote at the end of the next row closes it cleanly: the next row silently became text
    "silent": ('id,text\na,"never closed\nb,second row"\nc,third row\n', ["b", "c"]),
    "silent-by-url": ('url,text\nhttps://x.example/a,"never closed\nhttps://x.example/b,second row"\n'
                      'https://x.example/c,third row\n', ["b", "c"]),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES))
def test_ingest_hostile_unterminated_csv_quote_costs_one_row(tmp_path: Path, case: str) -> None:
    body, kept = CSV_CASES[case]
    src = tmp_path / "q.csv"
    src.write_text(body)
    found = list(read_file(src))
    records = [r for r in found if isinstance(r, Record)]
    skips = [s for s in found if isinstance(s, Skipped)]
    assert [s.code for s in skips] == ["NT214"] and skips[0].path.endswith("#2")
    assert "never closed" in skips[0].reason
    assert [r.text.rstrip('"') for r in records] == ["second row", "third row"]
    assert [r.source.rsplit("#")[1] for r in records] == ["3", "4"]
    if case != "silent-by-url":
        assert [r.ref for r in records] == kept


def test_ingest_hostile_quoted_paragraphs_are_kept_whole(tmp_path: Path) -> None:
    text = "First paragraph, with a comma.\n\nSecond, also with one.\n\n\"Quoted\" words, too"
    src = tmp_path / "ok.csv"
    src.write_text('id,title,text,date\nart-1,One,"' + text.replace('"', '""') + '",2024-01-02\n'
                   'art-2,Two,"Another\nparagraph, plain",2024-01-03\n')
    records = list(read_file(src))
    assert [type(r).__name__ for r in records] == ["Record", "Record"]
    assert records[0].text == text and records[1].text == "Another\nparagraph, plain"


# -- 2. gzip bombs and WARC limits --------------------------------------------------------------------

def _warc_record(uri: str, payload: bytes, *, length: int | None = None, kind: str = "response") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + payload
    head = (f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\n"
            f"WARC-Record-ID: <urn:uuid:{abs(hash(uri)):032x}>\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            f"Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http) if length is None else length}\r\n\r\n").encode()
    return head + http + b"\r\n\r\n"


def _page(title: str) -> bytes:
    body = "".join(f"<p>{title}: paragraph {i} of a real enough article about the harbour and the council "
                   f"vote, told at length.</p>" for i in range(6))
    return f"<html><head><title>{title}</title></head><body><article>{body}</article></body></html>".encode()


def _zeros_gz(path: Path, size: int, prefix: bytes = b"") -> None:
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(prefix)
        block = bytes(1 << 20)
        for _ in range(size >> 20):
            fh.write(block)


def test_ingest_hostile_gzip_bomb_of_zeros_stops_at_the_header_limit(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.warc.gz"
    _zeros_gz(bomb, 64 << 20)  # 64 MiB of zeros in 64 KB: warcio alone takes minutes on one header line
    started = time.monotonic()
    [skip] = list(read_file(bomb))
    assert time.monotonic() - started < 5
    assert isinstance(skip, Skipped) and skip.code == "NT213"
    assert f"{readers.MAX_WARC_HEADER_LINE:,}" in skip.reason


def test_ingest_hostile_gzip_bomb_stops_at_the_decompression_limit(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A valid record, then one whose 48 MiB body of zeros (48 KB on disk) would be decompressed."""
    monkeypatch.setattr(readers, "MIN_WARC_DECOMPRESSED", 4 << 20)
    bomb = tmp_path / "bomb.warc.gz"
    good = _warc_record("https://news.example.org/a", _page("Harbour vote"))
    huge = _warc_record("https://news.example.org/b.iso", b"", length=(48 << 20) + 60, kind="resource")
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        fh.write(good + huge[:-4])
        for _ in range(48):
            fh.write(bytes(1 << 20))
    found = list(read_file(bomb))
    assert [type(r).__name__ for r in found] == ["Record", "Skipped"]
    assert found[0].url == "https://news.example.org/a"
    assert found[1].code == "NT217" and "decompress" in found[1].reason
    with Store(tmp_path / "t.db") as store:
        report = ingest(store, [bomb], workers=1)
        assert report.added == 1 and [s.code for s in report.skipped] == ["NT217"]


def test_ingest_hostile_many_header_lines_stop_at_the_header_limit(tmp_path: Path) -> None:
    warc = tmp_path / "headers.warc"
    good = _warc_record("https://news.example.org/a", _page("Harbour vote"))
    warc.write_bytes(good + b"WARC/1.0\r\n" + b"X-Filler: 0123456789\r\n" * 200_000)
    found = list(read_file(warc))
    assert [type(r).__name__ for r in found] == ["Record", "Skipped"]
    assert found[1].code == "NT213" and f"{readers.MAX_WARC_HEADER_BYTES:,}" in found[1].reason


def test_ingest_hostile_warc_limits_are_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "ingest.md").read_text()
    for value in (readers.MAX_FILE_BYTES, readers.MAX_WARC_HEADER_LINE, readers.MAX_WARC_HEADER_BYTES,
                  readers.MIN_WARC_DECOMPRESSED):
        assert f"{value:,}" in doc, value
    assert f"{readers.MAX_WARC_RATIO} times" in doc


# -- found by the fuzz tests (test_ingest_fuzz.py) -----------------------------------------------------

def test_ingest_hostile_csv_header_not_utf8_is_a_storable_skip(tmp_path: Path) -> None:
    src = tmp_path / "h.csv"
    src.write_bytes(b"id,t\xffxt\nb,some text\n")
    store, report = _ingest(tmp_path, src)
    with store:
        [skip] = store.skipped()
        assert skip.code == "NT207" and "t\\xffxt" in skip.reason
        assert [s.reason for s in report.skipped] == [skip.reason]
